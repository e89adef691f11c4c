"""Units end to end: spellings, conversions, one unit per analyte, and the unit beside
every concentration (curves, samples, QC, Levey-Jennings, statistics); figures and the
report are in test_units_shown.py.

The reference for every conversion is the same study written in pg/mL: a plate whose
standards are stated in ng/mL (the numbers / 1000) is the same plate, so after
conversion every concentration, limit and CI must equal the pg/mL study's, and in a
study whose unit is ng/mL be 1/1000 of it (to the precision of the curve fit, whose
log-dose parameterisation makes it scale-free).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.curves import fit_plate_curves, predict
from assaypipe.errors import InputError
from assaypipe.exclusions import exclusion_table, included_samples
from assaypipe.interpolate import interpolate_wells
from assaypipe.kits import read_kit
from assaypipe.qc import run_qc
from assaypipe.samples import combine_replicates
from assaypipe.settings import CurveSettings, Settings
from assaypipe.sheets import read_aliases
from assaypipe.stats import change_by_response, pair_correlations, prepost
from assaypipe.units import (
    canonical,
    factor,
    parse_conversion,
    plan_units,
    plate_units,
    study_units,
)
from tests.conftest import wells_frame

# -- spellings and factors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "spelled"),
    [
        ("pg/mL", "pg/mL"),
        ("pg/ml", "pg/mL"),
        ("PG/ML", "pg/mL"),
        (" ng / mL ", "ng/mL"),
        ("ug/mL", "µg/mL"),
        ("μg/mL", "µg/mL"),  # Greek mu
        ("µg/mL", "µg/mL"),  # micro sign
        ("mg/mL", "mg/mL"),
        ("IU/mL", "IU/mL"),
        ("iu/ml", "IU/mL"),
        ("U/mL", "U/mL"),
        ("copies", "copies"),
        ("copies  /mL", "copies /mL"),
        ("", ""),
        (None, ""),
    ],
)
def test_spellings(written: Any, spelled: str) -> None:
    assert canonical(written) == spelled


def test_factors_between_mass_units_are_exact_powers_of_ten() -> None:
    assert factor("ng/mL", "pg/mL") == 1000.0
    assert factor("ug/mL", "pg/mL") == 1e6
    assert factor("μg/mL", "ng/mL") == 1000.0
    assert factor("mg/mL", "µg/mL") == 1000.0
    assert factor("pg/mL", "ng/mL") == 0.001
    assert factor("ng/L", "pg/mL") == 1.0
    assert factor("pg/ml", "pg/mL") == 1.0
    # an unknown unit equals only itself; IU and mass need a kit's factor
    assert factor("copies", "copies") == 1.0
    assert factor("copies", "pg/mL") is None
    assert factor("IU/mL", "pg/mL") is None


def test_a_kit_conversion_relates_iu_to_mass_both_ways() -> None:
    conversion = parse_conversion("1 IU/mL = 4.2 pg/mL")
    assert factor("IU/mL", "pg/mL", [conversion]) == pytest.approx(4.2)
    assert factor("mIU/mL", "ng/mL", [conversion]) == pytest.approx(4.2e-6)
    assert factor("ng/mL", "IU/mL", [conversion]) == pytest.approx(1000 / 4.2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("IU/mL = 4.2 pg/mL", "expected '1 <unit>"),
        ("1 IU/mL = -2 pg/mL", "positive number"),
        ("1 IU/mL = 4.2 copies", "mass unit"),
        ("1 ng/mL = 1000 pg/mL", "not a mass"),
    ],
)
def test_a_wrong_conversion_says_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_conversion(text)


# -- a small study -------------------------------------------------------------------------

PARAMS = {"a": 20.0, "b": 1.1, "c": 500.0, "d": 20000.0, "g": 1.0}
LEVELS = [10000.0 / 4**k for k in range(7)]  # pg/mL, in-well
CONTROL = 1500.0
SUBJECTS = [f"P{i}" for i in range(8)]
# True pg/mL per subject and visit: CCL2 falls after treatment in every subject but one.
TRUE = {
    (subject, visit): 60.0 * 1.45**i * (1.0 if visit == "baseline" else 0.6 + 0.05 * (i == 3) * 9)
    for i, subject in enumerate(SUBJECTS)
    for visit in ("baseline", "post")
}
SHEET = pd.DataFrame(
    [{"sample_id": f"{s}-{v}", "subject_id": s, "visit": v, "matrix": "CSF"} for (s, v) in TRUE]
)
WELL_NAMES = [f"{row}{col}" for row in "ABCDEFGH" for col in range(1, 13)]


def make_plate(
    plate_id: str, unit: str = "pg/mL", scale: float = 1.0, gain: float = 1.0, analyte="CCL2"
) -> pd.DataFrame:
    """One plate read off PARAMS (signals × ``gain``), its standards and control stated in
    ``unit`` as ``scale`` × the pg/mL number (ng/mL: scale 0.001)."""
    rows: list[dict[str, Any]] = []

    def add(role: str, name: str, conc: float, **extra: Any) -> None:
        for jitter in (0.98, 1.02):
            signal = float(predict(PARAMS, conc)) * jitter * gain if conc > 0 else 19.0 * jitter
            rows.append({"role": role, "sample_name": name, "signal": signal, **extra})

    for level, conc in enumerate(LEVELS, start=1):
        add("standard", f"S{level}", conc, expected_conc=conc * scale, level=level)
    add("blank", "Blank", 0.0)
    add("control", "Control1", CONTROL, sample_id="Control1", expected_conc=CONTROL * scale)
    for (subject, visit), conc in TRUE.items():
        add("sample", f"{subject}-{visit}", conc, sample_id=f"{subject}-{visit}")
    for i, row in enumerate(rows):
        row.update(
            plate_id=plate_id,
            analyte=analyte,
            analyte_raw=analyte,
            well=WELL_NAMES[i],
            unit=unit,
            source_file=f"{plate_id}.csv",
        )
    return wells_frame(rows)


def plates_table(plate_ids: list[str]) -> pd.DataFrame:
    rows = [
        {
            "plate_id": p,
            "source_file": f"{p}.csv",
            "status": "read",
            "run_time": f"2025-01-0{i + 1}",
            "n_wells": 96,
            "n_analytes": 1,
            "warnings": [],
            "chunk": "chunk000",
        }
        for i, p in enumerate(plate_ids)
    ]
    return tables.PLATES.validate(pd.DataFrame(rows, columns=list(tables.PLATES.columns)))


def run_study(
    *plates: pd.DataFrame, targets: dict[str, str] | None = None, kits: tuple[Any, ...] = ()
) -> dict[str, Any]:
    """Curves, wells, unit plan, QC, exclusions, samples and statistics of the plates."""
    wells = pd.concat(plates, ignore_index=True)
    curves = fit_plate_curves(wells, CurveSettings.from_mapping({"models": ["4PL"]}))
    wells = interpolate_wells(wells, curves)
    units = plan_units(plate_units(wells), targets, kits)
    qc = run_qc(
        wells,
        curves,
        plates_table(sorted(set(wells["plate_id"]))),
        Settings(),
        kits=kits,
        units=units,
    )
    manual = pd.DataFrame(columns=["level", "plate_id", "well", "analyte", "reason", "who"])
    exclusions = exclusion_table(wells, qc.verdicts, manual, exclude_failing=False, units=units)
    samples = included_samples(wells, curves, SHEET, exclusions, units)
    return {
        "wells": wells,
        "curves": curves,
        "units": units,
        "qc": qc,
        "exclusions": exclusions,
        "samples": samples,
        "all_samples": combine_replicates(wells, curves, SHEET, units),
        "prepost": prepost(samples),
    }


@pytest.fixture(scope="module")
def in_pg() -> dict[str, Any]:
    return run_study(make_plate("A"), make_plate("B", gain=1.04), make_plate("C", gain=0.97))


@pytest.fixture(scope="module")
def mixed() -> dict[str, Any]:
    """Plate A in pg/mL, B and C the same plates stated in ng/mL: ng/mL is the most common."""
    return run_study(
        make_plate("A"),
        make_plate("B", "ng/mL", 0.001, gain=1.04),
        make_plate("C", "ng/mL", 0.001, gain=0.97),
    )


@pytest.fixture(scope="module")
def mixed_to_pg() -> dict[str, Any]:
    """The mixed study with pg/mL set for CCL2 in the analyte table."""
    return run_study(
        make_plate("A"),
        make_plate("B", "ng/mL", 0.001, gain=1.04),
        make_plate("C", "ng/mL", 0.001, gain=0.97),
        targets={"CCL2": "pg/mL"},
    )


CONC = ["concentration", "lloq", "uloq"]
ESTIMATES = ["estimate", "ci_low", "ci_high"]


def test_curves_carry_their_plates_unit_and_limits_in_it(in_pg, mixed) -> None:
    pg = in_pg["curves"].set_index("plate_id")
    ng = mixed["curves"].set_index("plate_id")
    assert pg["unit"].tolist() == ["pg/mL"] * 3
    assert ng["unit"].tolist() == ["pg/mL", "ng/mL", "ng/mL"]
    # The same plate fitted in ng/mL: c and every limit / 1000 (log-dose fit).
    for column in ["c", "std_low", "std_high", "lloq", "uloq", "lod"]:
        np.testing.assert_allclose(
            ng.loc[["B", "C"], column] * 1000, pg.loc[["B", "C"], column], rtol=1e-6
        )
    np.testing.assert_allclose(ng.loc["A", "lloq"], pg.loc["A", "lloq"], rtol=1e-12)


def test_ng_plates_are_converted_before_replicates_are_combined(in_pg, mixed_to_pg) -> None:
    pg, converted = in_pg["samples"], mixed_to_pg["samples"]
    assert converted["unit"].unique().tolist() == ["pg/mL"]
    assert (converted["flags"].str.contains("several_plates")).all()
    np.testing.assert_allclose(converted[CONC], pg[CONC], rtol=1e-6)
    pd.testing.assert_series_equal(converted["censor"], pg["censor"])
    np.testing.assert_allclose(
        mixed_to_pg["prepost"][ESTIMATES], in_pg["prepost"][ESTIMATES], rtol=1e-6
    )
    assert mixed_to_pg["prepost"]["unit"].tolist() == ["pg/mL"]
    # The converted plates say so in the QC table, with the factor.
    unit_rows = mixed_to_pg["qc"].qc.query("check == 'unit'").set_index("plate_id")
    assert unit_rows.index.tolist() == ["B", "C"]
    assert unit_rows["value"].tolist() == [1000.0, 1000.0]
    assert unit_rows["status"].tolist() == ["pass", "pass"]
    assert "ng/mL converted to pg/mL (× 1000)" in unit_rows.loc["B", "detail"]
    assert mixed_to_pg["exclusions"].empty


def test_the_most_common_unit_is_the_study_unit_a_1000_fold_step(in_pg, mixed) -> None:
    samples = mixed["samples"]
    assert samples["unit"].unique().tolist() == ["ng/mL"]
    # every concentration, limit and CI in ng/mL is the pg/mL study's / 1000
    np.testing.assert_allclose(samples[CONC] * 1000, in_pg["samples"][CONC], rtol=1e-6)
    np.testing.assert_allclose(
        mixed["prepost"][ESTIMATES] * 1000, in_pg["prepost"][ESTIMATES], rtol=1e-6
    )
    assert mixed["prepost"]["p"].tolist() == pytest.approx(in_pg["prepost"]["p"].tolist())
    assert mixed["prepost"]["unit"].tolist() == ["ng/mL"]
    assert mixed["units"].study_unit("CCL2") == "ng/mL"


def test_levey_jennings_charts_concentrations_in_the_study_unit(in_pg, mixed) -> None:
    def controls(result: dict[str, Any]) -> pd.DataFrame:
        lj = result["qc"].levey_jennings
        return lj[lj["kind"] == "control"].set_index("plate_id")

    pg, ng = controls(in_pg), controls(mixed)
    assert ng["unit"].unique().tolist() == ["ng/mL"]
    np.testing.assert_allclose(ng["value"] * 1000, pg["value"], rtol=1e-6)
    lj = mixed["qc"].levey_jennings
    assert set(lj.loc[lj["series"] == "curve_c", "unit"]) == {"ng/mL"}
    # signals carry their signal kind, which the chart's axis names
    assert set(lj.loc[lj["series"].isin(["curve_d", "top_standard"]), "unit"]) == {"Median MFI"}
    # The per-plate control check stays in the plate's own unit.
    checks = mixed["qc"].qc.query("check == 'control:Control1'").set_index("plate_id")
    assert checks["unit"].tolist() == ["pg/mL", "ng/mL", "ng/mL"]
    assert checks.loc["B", "value"] == pytest.approx(pg.loc["B", "value"] / 1000, rel=1e-6)


@pytest.mark.parametrize("odd", ["copies", "IU/mL"])
def test_a_unit_that_cannot_be_converted_keeps_the_analyte_out_with_the_reason(odd) -> None:
    result = run_study(make_plate("A"), make_plate("B", gain=1.04), make_plate("C", odd))
    exclusions = result["exclusions"]
    assert exclusions[["source", "level", "analyte", "who"]].values.tolist() == [
        ["units", "analyte", "CCL2", "assaypipe units"]
    ]
    reason = exclusions["reason"].iloc[0]
    assert f"{odd} on plate C" in reason and "cannot be converted to pg/mL" in reason
    assert "stated on 2 of 3 plates" in reason
    assert int(exclusions["n_wells"].iloc[0]) == len(result["wells"])  # every CCL2 well
    assert result["samples"].empty  # nothing of CCL2 reaches the statistics
    # samples.parquet keeps each plate's own unit and never averages across them
    everything = result["all_samples"]
    assert (everything["unit"] == "").all()
    assert everything["concentration"].isna().all()
    assert everything["flags"].str.contains("mixed_units").all()
    row = result["qc"].qc.query("check == 'unit'")
    assert row["plate_id"].tolist() == ["C"] and row["status"].tolist() == ["warn"]
    assert row["unit"].tolist() == [odd]
    # Levey-Jennings leaves the plate out of the concentration series, not the signals
    lj = result["qc"].levey_jennings
    assert "C" not in set(lj.loc[lj["kind"] == "control", "plate_id"])
    assert "C" in set(lj.loc[lj["series"] == "top_standard", "plate_id"])


def test_one_unknown_unit_on_every_plate_is_kept_as_it_is() -> None:
    result = run_study(make_plate("A", "copies"), make_plate("B", "copies", gain=1.04))
    assert result["exclusions"].empty
    assert result["samples"]["unit"].unique().tolist() == ["copies"]
    assert result["prepost"]["unit"].tolist() == ["copies"]


def test_a_kit_factor_converts_iu_plates(tmp_path: Path, in_pg) -> None:
    kit = tmp_path / "kit.yaml"
    kit.write_text(
        "kit: K\nlot: '1'\nunit: IU/mL\nplates: [C]\n"
        "controls: {Control1: {CCL2: [1, 2]}}\nconversions: {CCL2: 1 IU/mL = 2 pg/mL}\n",
        encoding="utf-8",
    )
    result = run_study(
        make_plate("A"),
        make_plate("B", gain=1.04),
        make_plate("C", "IU/mL", 0.5, gain=0.97),
        kits=(read_kit(kit),),
    )
    assert result["exclusions"].empty
    np.testing.assert_allclose(result["samples"][CONC], in_pg["samples"][CONC], rtol=1e-6)
    control = result["qc"].qc.query("check == 'control:Control1' and plate_id == 'C'")
    # the kit range [1, 2] IU/mL checked in the plate's unit, IU/mL itself
    assert control["threshold"].tolist() == ["1-2"] and control["unit"].tolist() == ["IU/mL"]


def test_a_plate_without_a_unit_takes_the_study_unit_with_a_warning(in_pg) -> None:
    result = run_study(make_plate("A"), make_plate("B", gain=1.04), make_plate("C", "", gain=0.97))
    assert result["exclusions"].empty
    np.testing.assert_allclose(result["samples"][CONC], in_pg["samples"][CONC], rtol=1e-12)
    row = result["qc"].qc.query("check == 'unit'").iloc[0]
    assert (row["plate_id"], row["status"], row["unit"]) == ("C", "warn", "pg/mL")
    assert "states no unit" in row["detail"] and "pg/mL assumed" in row["detail"]
    verdict = result["qc"].verdicts.set_index("plate_id").loc["C"]
    assert "unit" in verdict["warned"].split(";")


def test_a_kit_file_gives_the_unit_of_plates_whose_export_states_none(tmp_path: Path) -> None:
    kit = tmp_path / "kit.yaml"
    kit.write_text(
        "kit: K\nlot: '1'\nunit: ng/mL\nplates: ['*']\ncontrols: {Control1: {CCL2: [1, 2]}}\n",
        encoding="utf-8",
    )
    result = run_study(
        make_plate("A", "", 0.001), make_plate("B", "", 0.001), kits=(read_kit(kit),)
    )
    assert result["samples"]["unit"].unique().tolist() == ["ng/mL"]
    rows = result["qc"].qc.query("check == 'unit'")
    assert rows["status"].tolist() == ["pass", "pass"]
    assert rows["detail"].str.contains("ng/mL from the kit file").all()


def test_nothing_stated_anywhere_leaves_the_unit_empty() -> None:
    result = run_study(make_plate("A", ""), make_plate("B", "", gain=1.04))
    assert result["exclusions"].empty
    assert result["samples"]["unit"].unique().tolist() == [""]
    assert result["qc"].qc.query("check == 'unit'").empty


def test_plate_units_prefer_the_standards_and_list_every_unit_stated() -> None:
    wells = make_plate("A", "ng/mL")
    wells.loc[wells["role"] == "sample", "unit"] = "pg/ml"
    units = plate_units(wells)
    assert units[["unit", "stated"]].values.tolist() == [["ng/mL", "ng/mL;pg/mL"]]
    plan = plan_units(units)
    row = plan.qc_rows()[0]
    assert row["status"] == "warn" and "several units (ng/mL, pg/mL)" in row["detail"]


def test_the_analyte_table_unit_column_must_agree_per_analyte(tmp_path: Path) -> None:
    path = tmp_path / "analytes.tsv"
    path.write_text(
        "alias\tanalyte\tdisplay\tunit\nMCP-1\tCCL2\tCCL2\tpg/ml\nCCL2\tCCL2\tCCL2\t\n"
        "NfL\tNfL\tNfL\tng/mL\n",
        encoding="utf-8",
    )
    plan = study_units(make_plate("A", "ng/mL", 0.001), read_aliases(path))
    assert plan.study_unit("CCL2") == "pg/mL"
    path.write_text(
        "alias\tanalyte\tdisplay\tunit\nMCP-1\tCCL2\tCCL2\tpg/mL\nCCL2\tCCL2\tCCL2\tng/mL\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"line 3: unit 'ng/mL' for CCL2 differs from 'pg/mL'"):
        read_aliases(path)


def test_kit_conversions_are_checked(tmp_path: Path) -> None:
    kit = tmp_path / "kit.yaml"
    kit.write_text(
        "kit: K\nlot: '1'\nunit: IU/mL\nplates: ['*']\ncontrols: {C1: {CCL2: [1, 2]}}\n"
        "conversions: {CCL2: 1 IU/mL = 4.2}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="conversions, CCL2"):
        read_kit(kit)


# -- statistics ---------------------------------------------------------------------------


def test_every_statistics_row_says_the_unit_of_its_estimate(mixed) -> None:
    samples = mixed["samples"]
    nfl = samples.assign(analyte="NfL", unit="pg/mL", concentration=samples["concentration"] * 7)
    both = pd.concat([samples, nfl], ignore_index=True)
    groups = pd.Series(
        {s: ("responder" if i % 2 else "nonresponder") for i, s in enumerate(SUBJECTS)}
    )
    change = change_by_response(both, groups).set_index(["analysis", "analyte"])["unit"]
    assert change.loc[("change_difference", "CCL2")] == "ng/mL"
    assert change.loc[("change_log2_ratio", "NfL")] == "log2 ratio"
    pairs = pair_correlations(both, [["CCL2", "NfL"]]).set_index(["analysis", "group"])["unit"]
    assert pairs.loc[("ols_slope", "CCL2 | pooled")] == "pg/mL per ng/mL"
    assert pairs.loc[("ols_intercept", "CCL2 | change")] == "pg/mL"
    assert pairs.loc[("ols_r2", "CCL2 | pooled")] == ""
    assert pairs.loc[("spearman_rho", "CCL2 | pooled")] == ""


def test_statistics_refuse_to_mix_units(mixed, in_pg) -> None:
    both = pd.concat([mixed["samples"], in_pg["samples"]], ignore_index=True)
    with pytest.raises(ValueError, match=r"CCL2 has values in several units \(ng/mL, pg/mL\)"):
        prepost(both)


@pytest.mark.parametrize(
    ("stated", "study", "excluded"),
    [
        (["pg/mL", "ng/mL"], "pg/mL", False),  # a tie: the smaller mass unit
        (["IU/mL", "ng/mL"], "ng/mL", True),  # a tie: a mass unit before IU
        (["copies", "pg/mL", "copies"], "copies", True),  # most plates win, known or not
        (["", "ng/mL"], "ng/mL", False),
    ],
)
def test_the_study_unit_of_an_analyte(stated: list[str], study: str, excluded: bool) -> None:
    units = pd.DataFrame(
        {"plate_id": [f"P{i}" for i in range(len(stated))], "analyte": "CCL2", "unit": stated}
    )
    plan = plan_units(units)
    assert plan.study_unit("CCL2") == study
    assert ("CCL2" in plan.excluded()) is excluded
