"""Units shown where concentrations are: every figure axis (the matplotlib figure
objects' labels, the SVG text) and the report, from the data's own units.

The studies are those of tests/unit/test_units.py: plates read off one 4PL, stated in
pg/mL or (the same numbers / 1000) in ng/mL.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from assaypipe import tables
from assaypipe.figures_stats import plot_correlation, plot_prepost
from assaypipe.report import ReportInputs, build_report
from assaypipe.report.figures import curve_figure, levey_jennings_figure, prepost_figure
from assaypipe.settings import Settings
from assaypipe.units import NOT_STATED
from tests.unit.test_units import make_plate, mixed, plates_table, run_study

__all__ = ["mixed"]  # the fixture, shared with test_units.py


def axis_labels(figure: Figure) -> list[str]:
    return [text for ax in figure.axes for text in (ax.get_xlabel(), ax.get_ylabel()) if text]


def test_figures_name_the_unit_from_the_data(mixed, tmp_path: Path) -> None:
    wells = mixed["wells"]
    group = wells[wells["plate_id"] == "B"]
    standards = group[group["role"] == "standard"].assign(fitted=True)
    figure = curve_figure(standards, None, {}, group.iloc[:0], "Median MFI", "ng/mL")
    assert axis_labels(figure) == ["concentration in well (ng/mL)", "Median MFI"]
    unstated = curve_figure(standards, None, {}, group.iloc[:0], "OD450")
    assert axis_labels(unstated) == [f"concentration in well ({NOT_STATED})", "OD450"]

    lj = mixed["qc"].levey_jennings
    labels = axis_labels(levey_jennings_figure(lj, ["A", "B", "C"]))
    assert "Control1\n(ng/mL)" in labels
    assert "curve d\n(top asymptote)\n(Median MFI)" in labels  # a signal: its kind

    pairs = pd.DataFrame({"analyte": ["CCL2"], "subject_id": ["P1"], "pre": [1.0], "post": [0.5]})
    shown = prepost_figure(pairs, ["CCL2", "NfL"], {}, {"CCL2": "ng/mL"})
    assert [ax.get_ylabel() for ax in shown.axes[:2]] == ["ng/mL", NOT_STATED]

    samples = mixed["samples"]
    nfl = samples.assign(analyte="NfL", unit="pg/mL")
    out = tmp_path / "corr.svg"
    plot_correlation(pd.concat([samples, nfl]), "CCL2", "NfL", [out])
    svg = out.read_text(encoding="utf-8")
    assert "CCL2 (ng/mL)" in svg and "NfL (pg/mL)" in svg
    plot_prepost(samples, None, [tmp_path / "prepost.svg"])
    assert "CCL2 (ng/mL)" in (tmp_path / "prepost.svg").read_text(encoding="utf-8")
    assert "pg/mL" not in (tmp_path / "prepost.svg").read_text(encoding="utf-8")


def report_inputs(result: dict[str, Any]) -> ReportInputs:
    qc = result["qc"]
    return ReportInputs(
        wells=result["wells"],
        curves=result["curves"],
        plates=plates_table(sorted(set(result["wells"]["plate_id"]))),
        rejected=tables.empty(tables.REJECTED),
        qc=qc.qc,
        verdicts=qc.verdicts,
        levey_jennings=qc.levey_jennings,
        exclusions=result["exclusions"],
        samples=result["samples"],
        settings=Settings.from_config(
            {"qc": {"preset": "ich_m10", "exclude_failing": True, "westgard": []}}
        ),
    )


def test_the_report_shows_each_plates_unit_and_the_study_unit(mixed) -> None:
    page = build_report(report_inputs(mixed))
    curves = mixed["curves"].set_index("plate_id")
    for plate_id, unit in [("A", "pg/mL"), ("B", "ng/mL")]:
        figure = page.split(f'class="curve" id="curve-{plate_id}', 1)[1].split("</figure>", 1)[0]
        lloq = f"{curves.loc[plate_id, 'lloq']:.4g}"
        assert f"LLOQ {lloq} – ULOQ" in figure and f"{unit} (in well)" in figure
        # the control check's value in the plate's own unit, in its table of checks
        assert re.search(rf"control:Control1</td><td>[0-9.]+ {unit}</td>", figure)
    # plate A is converted to the study unit: its unit check shows the factor
    figure = page.split('class="curve" id="curve-A', 1)[1].split("</figure>", 1)[0]
    assert "<td>unit</td><td>× 0.001</td>" in figure
    assert "pg/mL converted to ng/mL (× 0.001) for the statistics" in figure
    # the plates table names each plate's unit where the export states none
    plates = page.split('id="plates"', 1)[1].split("</section>", 1)[0]
    assert "<td>pg/mL</td>" in plates and "<td>ng/mL</td>" in plates


def test_the_report_takes_an_assumed_unit_from_the_unit_check() -> None:
    result = run_study(make_plate("A", "ng/mL"), make_plate("B", "ng/mL"), make_plate("C", ""))
    assert result["curves"].set_index("plate_id").loc["C", "unit"] == ""
    page = build_report(report_inputs(result))
    figure = page.split('class="curve" id="curve-C', 1)[1].split("</figure>", 1)[0]
    assert "ng/mL (in well)" in figure
    assert "states no unit for CCL2; ng/mL assumed" in figure
    # the plates table says the unit was not stated by the export
    plates = page.split('id="plates"', 1)[1].split("</section>", 1)[0]
    row = next(r for r in plates.split("<tr") if "<td>C</td>" in r)
    assert "<td>ng/mL (assumed)</td>" in row


def test_the_report_names_the_unit_exclusion() -> None:
    result = run_study(make_plate("A"), make_plate("B", gain=1.04), make_plate("C", "copies"))
    page = build_report(report_inputs(result))
    section = page.split('id="exclusions"', 1)[1].split("</section>", 1)[0]
    assert "<td>units</td>" in section
    assert "copies on plate C" in section and "cannot be converted to pg/mL" in section
    assert "1 for units" in page


def test_a_real_elisa_export_in_ng_ml_is_shown_in_ng_ml(realdata: Path, tmp_path: Path) -> None:
    """SoftMax ELISA with standards St1..St8 = 320..5 ng/mL (realdata README; the export
    says so only in its group summary "5 to 320 ng/mL", the kit file too): every figure
    and fact says ng/mL, never pg/mL."""
    from assaypipe.curves import fit_plate_curves
    from assaypipe.interpolate import interpolate_wells
    from assaypipe.kits import read_kit
    from assaypipe.qc import run_qc
    from assaypipe.readers import read_exports
    from assaypipe.units import plan_units, plate_units

    export = realdata / "softmax" / "softmax_elisa_std8_utf16.txt"
    wells = pd.concat([p.wells for p in read_exports(export, plate_id="elisa")])
    kit = tmp_path / "kit.yaml"
    kit.write_text(
        "kit: ELISA\nlot: '1'\nunit: ng/mL\nplates: [elisa]\ncontrols: {Co1: {OD: [1, 300]}}\n",
        encoding="utf-8",
    )
    kits = (read_kit(kit),)
    curves = fit_plate_curves(wells)
    wells = interpolate_wells(wells, curves)
    units = plan_units(plate_units(wells), kits=kits)
    assert curves["unit"].unique().tolist() == ["ng/mL"]  # the reader finds it in the export
    assert units.plate_unit("elisa", "OD") == "ng/mL"
    qc = run_qc(wells, curves, plates_table(["elisa"]), kits=kits, units=units)
    result = {
        "wells": wells,
        "curves": curves,
        "qc": qc,
        "exclusions": tables.empty(tables.EXCLUSIONS),
        "samples": tables.empty(tables.SAMPLES),
    }
    page = build_report(report_inputs(result))
    figure = page.split('class="curve" id="curve-elisa', 1)[1].split("</figure>", 1)[0]
    lloq = curves.loc[curves["selected"], "lloq"].iloc[0]
    assert 5 <= lloq <= 320  # within the standards, in ng/mL
    assert f"LLOQ {lloq:.4g} – ULOQ" in figure and "ng/mL (in well)" in figure
    assert "pg/mL" not in page
    group = wells[wells["role"] == "standard"].assign(fitted=True)
    shown = curve_figure(group, None, {}, group.iloc[:0], "OD", units.plate_unit("elisa", "OD"))
    assert shown.axes[0].get_xlabel() == "concentration in well (ng/mL)"
