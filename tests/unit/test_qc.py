"""Checks of one plate x analyte, Levey-Jennings across plates, rule sets and verdicts.

Plates are built from a known 4PL, so each test knows exactly which check a change
should move; the thresholds tested are ICH M10's (DESIGN.md) unless a test says so.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.curves import fit_plate_curves, inverse, predict
from assaypipe.curves.excluded import parse_excluded_wells
from assaypipe.errors import InputError
from assaypipe.interpolate import classify_censor
from assaypipe.kits import KitLot, control_range, read_kit
from assaypipe.qc import RULE_KEYS, presets, read_kits, rules_for, run_qc, study_rules
from assaypipe.qc.levey_jennings import (
    guide_sets,
    levey_jennings,
    plate_lots,
    run_order,
    series_values,
    westgard_checks,
)
from assaypipe.settings import CurveSettings, Settings
from tests.conftest import wells_frame

PARAMS = {"a": 20.0, "b": 1.1, "c": 500.0, "d": 20000.0, "g": 1.0}
LEVELS = [10000.0 / 4**k for k in range(7)]  # 10000 .. 2.44
CONTROLS = {"Control1": 1500.0, "Control2": 150.0}
SAMPLES = {f"S{i:02d}": conc for i, conc in enumerate(np.geomspace(8, 4000, 10), start=1)}
LLOQ, ULOQ, LOD = LEVELS[-1], LEVELS[0], 1.0
QC = {"preset": "ich_m10", "overrides": [], "guide_plates": 20, "guide_range": []}
SETTINGS = Settings.from_config({"qc": QC})
WELL_NAMES = [f"{row}{col}" for row in "ABCDEFGHIJKLMNOP" for col in range(1, 25)]


def make_plate(
    plate_id: str = "P1",
    analyte: str = "CCL2",
    control_factor: float = 1.0,
    signal_factor: float = 1.0,
    run_time: str = "2025-01-01 09:00",
    bead_count: int | None = 100,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Wells, curves and plates tables of one plate x analyte read off PARAMS.

    Replicates differ by +-2% in signal. ``control_factor`` scales the controls'
    concentrations; ``signal_factor`` scales every signal of the plate (a drifting
    detector) without refitting, as a Levey-Jennings chart would see it.
    """
    rows: list[dict[str, Any]] = []

    def add(role: str, name: str, conc: float, expected: float = np.nan, **extra: Any) -> None:
        for k, jitter in enumerate((0.98, 1.02)):
            signal = float(predict(PARAMS, conc)) * jitter * signal_factor if conc > 0 else 20.0
            if role == "blank":
                signal = 19.5 + k
            rows.append(
                {
                    "role": role,
                    "sample_name": name,
                    "signal": signal,
                    "expected_conc": expected,
                    **extra,
                }
            )

    for level, conc in enumerate(LEVELS, start=1):
        add("standard", f"Standard{level}", conc, expected=conc, level=level)
    add("blank", "Blank", 0.0)
    for name, conc in CONTROLS.items():
        add("control", name, conc * control_factor, expected=conc, sample_id=name)
    for name, conc in SAMPLES.items():
        add("sample", name, conc, sample_id=name)
    for i, row in enumerate(rows):
        row.update(plate_id=plate_id, analyte=analyte, analyte_raw=analyte, well=WELL_NAMES[i])
        row["bead_count"] = bead_count
        row["signal_kind"] = "Median MFI" if bead_count is not None else "OD450"
    wells = wells_frame(rows)
    wells = interpolate(wells)
    return wells, curve_rows(plate_id, analyte), plate_rows(plate_id, run_time)


def interpolate(wells: pd.DataFrame) -> pd.DataFrame:
    signal = wells["signal"].to_numpy(dtype=float)
    in_well = inverse(PARAMS, signal)
    out = wells.copy()
    out["concentration"] = in_well * out["dilution"].to_numpy(dtype=float)
    out["censor"] = classify_censor(in_well, signal, PARAMS, LLOQ, ULOQ, LOD)
    return tables.WELLS.validate(out)


def curve_rows(
    plate_id: str,
    analyte: str,
    status: str = "converged",
    reasons: str = "",
    params: dict[str, float] | None = None,
    model: str = "4PL",
    selected: bool = True,
    excluded_wells: str = "",
) -> pd.DataFrame:
    p = params or PARAMS
    row = {
        "plate_id": plate_id,
        "analyte": analyte,
        "model": model,
        "weighting": "1/y^2",
        "selected": selected,
        **p,
        "rss": 0.01,
        "aic": -80.0,
        "n_points": 14,
        "n_excluded": 0,
        "lloq": LLOQ,
        "uloq": ULOQ,
        "lod": LOD,
        "unit": "pg/mL",
        "converged": status not in ("not_converged", "no_standards"),
        "status": status,
        "reasons": reasons,
        "excluded_wells": excluded_wells,
    }
    return tables.CURVES.validate(pd.DataFrame([row]))


def plate_rows(plate_id: str, run_time: str) -> pd.DataFrame:
    row = {
        "plate_id": plate_id,
        "source_file": f"{plate_id}.csv",
        "source_sha256": "0" * 64,
        "status": "read",
        "run_time": run_time,
        "n_wells": 96,
        "n_analytes": 1,
        "warnings": [],
        "chunk": "chunk000",
    }
    frame = pd.DataFrame([row]).reindex(columns=list(tables.PLATES.columns))
    return tables.PLATES.validate(frame)


def study(*plates: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, ...]:
    return tuple(pd.concat(parts, ignore_index=True) for parts in zip(*plates, strict=True))


def checks_of(wells, curves, plates, settings=SETTINGS, **kwargs) -> pd.DataFrame:
    return run_qc(wells, curves, plates, settings, **kwargs).qc.set_index("check")


def scale_wells(wells: pd.DataFrame, mask: pd.Series, factor: float) -> pd.DataFrame:
    out = wells.copy()
    out.loc[mask, "signal"] = out.loc[mask, "signal"] * factor
    return interpolate(out)


# -- rule sets -------------------------------------------------------------------------


def test_ich_m10_preset_holds_the_design_defaults():
    ich = rules_for("CCL2", "ich_m10")
    assert (ich.min_calibrators, ich.recovery_limit, ich.recovery_limit_edge) == (6, 0.2, 0.25)
    assert (ich.min_calibrators_passing, ich.cv_limit, ich.cv_limit_edge) == (0.75, 0.2, 0.25)
    assert (ich.bead_count_fail, ich.bead_count_warn) == (35, 50)
    vendor = rules_for("CCL2", "milliplex")
    assert (vendor.cv_limit, vendor.inter_plate_cv_limit, vendor.bead_count_warn) == (0.15, 0.2, 50)
    for name, preset in presets().items():
        assert set(RULE_KEYS) - {"bead_count_fail"} <= set(preset), name


def test_overrides_apply_to_all_then_to_the_named_analyte():
    overrides = [
        {"analyte": "NfL", "cv_limit": 0.3},
        {"analyte": "*", "cv_limit": 0.25, "bead_count_warn": 40},
    ]
    assert rules_for("NfL", "ich_m10", overrides).cv_limit == 0.3
    assert rules_for("CCL2", "ich_m10", overrides).cv_limit == 0.25
    assert rules_for("CCL2", "ich_m10", overrides).bead_count_warn == 40


def test_unknown_preset_or_rule_key_is_refused():
    with pytest.raises(ValueError, match="westgard_ich"):
        rules_for("CCL2", "westgard_ich")
    with pytest.raises(ValueError, match="cv_limt"):
        rules_for("CCL2", "ich_m10", [{"analyte": "CCL2", "cv_limt": 0.3}])


# -- per plate x analyte ------------------------------------------------------------


def test_a_clean_plate_passes_every_check():
    result = run_qc(*make_plate(), SETTINGS)
    qc = result.qc
    assert set(qc["status"]) == {"pass"}, qc[qc["status"] != "pass"]
    families = {check.split(":")[0] for check in qc["check"]}
    assert families == {
        "curve_status",
        "calibrators",
        "recovery",
        "standard_cv",
        "calibrators_passing",
        "replicate_cv",
        "bead_count",
        "blank_signal",
        "control",
        "samples_in_range",
        "saturation",
    }
    assert result.verdicts.set_index("analyte").loc["CCL2", "verdict"] == "pass"
    tables.QC.validate(qc)
    tables.QC_VERDICTS.validate(result.verdicts)


def test_one_calibrator_off_warns_and_two_fail_the_plate():
    wells, curves, plates = make_plate()
    level3 = (wells["role"] == "standard") & (wells["level"] == 3)
    level4 = (wells["role"] == "standard") & (wells["level"] == 4)
    one = checks_of(scale_wells(wells, level3, 1.6), curves, plates)
    assert one.loc["recovery:S3", "status"] == "warn"
    assert one.loc["calibrators_passing", "value"] == pytest.approx(6 / 7)
    assert one.loc["calibrators_passing", "status"] == "pass"
    two = checks_of(scale_wells(scale_wells(wells, level3, 1.6), level4, 0.6), curves, plates)
    assert two.loc["calibrators_passing", "value"] == pytest.approx(5 / 7)
    assert two.loc["calibrators_passing", "status"] == "fail"


def test_the_end_levels_get_the_wider_recovery_limit():
    wells, curves, plates = make_plate()
    # A recovery of about 122%: inside 75-125% at the top level, outside 80-120% below it.
    top = (wells["role"] == "standard") & (wells["level"] == 1)
    second = (wells["role"] == "standard") & (wells["level"] == 2)
    target = {1: LEVELS[0] * 1.22, 2: LEVELS[1] * 1.22}
    for mask, level in ((top, 1), (second, 2)):
        wells.loc[mask, "signal"] = float(predict(PARAMS, target[level]))
    qc = checks_of(interpolate(wells), curves, plates)
    assert qc.loc["recovery:S1", "threshold"] == "75-125%"
    assert qc.loc["recovery:S1", "status"] == "pass"
    assert qc.loc["recovery:S2", "status"] == "warn"


def test_too_few_calibrators_fail():
    wells, curves, plates = make_plate()
    dropped = wells[~((wells["role"] == "standard") & wells["level"].isin([6, 7]))]
    qc = checks_of(dropped, curves, plates)
    assert qc.loc["calibrators", "value"] == 5
    assert qc.loc["calibrators", "status"] == "fail"


def test_a_standard_left_out_by_the_engine_is_named_and_does_not_pass():
    wells, _, plates = make_plate()
    s5 = wells[(wells["role"] == "standard") & (wells["level"] == 5)]["well"].tolist()
    curves = curve_rows(
        "P1",
        "CCL2",
        reasons=f"excluded standard well(s) {','.join(s5)}: masked",
        excluded_wells=";".join(f"{well}=masked" for well in s5),
    )
    qc = checks_of(wells, curves, plates)
    assert qc.loc["calibrators", "value"] == 6
    assert qc.loc["recovery:S5", "status"] == "warn"
    assert "masked" in qc.loc["recovery:S5", "detail"]
    assert qc.loc["calibrators_passing", "value"] == pytest.approx(6 / 7)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("converged", "pass"),
        ("hook", "warn"),
        ("parameter_at_bound", "warn"),
        ("not_converged", "fail"),
        ("flat_signal", "fail"),
    ],
)
def test_curve_status_from_the_engine(status, expected):
    wells, _, plates = make_plate()
    qc = checks_of(wells, curve_rows("P1", "CCL2", status=status), plates)
    assert qc.loc["curve_status", "status"] == expected


def test_a_broken_dilution_series_fails_whatever_the_fit_says():
    wells, curves, plates = make_plate()
    wells.loc[wells["role"] == "standard", "flags"] = "broken_dilution_series"
    qc = checks_of(wells, curves, plates)
    assert qc.loc["curve_status", "status"] == "fail"
    assert "broken_dilution_series" in qc.loc["curve_status", "detail"]


def test_no_curve_fails():
    wells, curves, plates = make_plate()
    qc = checks_of(wells, curves.iloc[0:0], plates)
    assert qc.loc["curve_status", "status"] == "fail"
    assert qc.loc["calibrators_passing", "status"] == "fail"


@pytest.mark.parametrize(
    ("typical", "n_low", "expected"),
    [
        (100, 0, "pass"),
        (100, 1, "pass"),  # one low well of 40: already flagged and left out
        (100, 4, "warn"),  # 10% of wells below 35
        (45, 0, "warn"),
        (30, 0, "fail"),
    ],
)
def test_bead_count(typical, n_low, expected):
    wells, curves, plates = make_plate()
    counts = [typical] * len(wells)
    counts[:n_low] = [10] * n_low
    wells["bead_count"] = counts
    qc = checks_of(wells, curves, plates)
    assert qc.loc["bead_count", "status"] == expected


def test_plate_readers_have_no_bead_count_check():
    qc = checks_of(*make_plate(bead_count=None))
    assert "bead_count" not in qc.index


def test_blank_signal_warns_when_high_and_fails_at_the_lloq():
    wells, curves, plates = make_plate()
    blank = wells["role"] == "blank"
    top = float(predict(PARAMS, LEVELS[0]))
    high = wells.copy()
    high.loc[blank, "signal"] = 0.2 * top
    assert checks_of(high, curves, plates).loc["blank_signal", "status"] == "fail"
    raised = wells.copy()
    # Above 10% of the top standard but still below the signal at the LLOQ: needs a
    # curve whose LLOQ sits high, so move the LLOQ to level 2.
    raised.loc[blank, "signal"] = 0.12 * top
    high_lloq = curve_rows("P1", "CCL2")
    high_lloq["lloq"] = LEVELS[1]
    assert checks_of(raised, high_lloq, plates).loc["blank_signal", "status"] == "warn"
    assert checks_of(wells, curves, plates).loc["blank_signal", "status"] == "pass"


def kit_file(tmp_path: Path, plates: str = "P*", low: float = 1200, high: float = 1800) -> Path:
    path = tmp_path / "kit.yaml"
    path.write_text(
        "kit: Test kit\n"
        'lot: "L1"\n'
        "unit: pg/mL\n"
        f'plates: ["{plates}"]\n'
        "controls:\n"
        f"  control1:\n    MCP-1: [{low}, {high}]\n"
        "  Control2:\n    CCL2: [100, 200]\n",
        encoding="utf-8",
    )
    return path


def aliases() -> pd.DataFrame:
    return pd.DataFrame({"alias": ["MCP-1"], "analyte": ["CCL2"], "display": ["CCL2"]})


def test_controls_are_judged_against_the_kit_lot_range(tmp_path):
    kits = read_kits([kit_file(tmp_path)], aliases())
    inside = checks_of(*make_plate(), kits=kits)
    assert inside.loc["control:Control1", "status"] == "pass"
    assert inside.loc["control:Control1", "threshold"] == "1200-1800"
    assert "lot L1" in inside.loc["control:Control1", "detail"]
    outside = checks_of(*make_plate(control_factor=1.3), kits=kits)
    assert outside.loc["control:Control1", "status"] == "fail"
    # 150 x 1.3 = 195 is still inside the kit's 100-200 for Control2
    assert outside.loc["control:Control2", "value"] == pytest.approx(195, rel=0.02)
    assert outside.loc["control:Control2", "status"] == "pass"


def test_without_a_kit_range_a_control_off_its_nominal_value_only_warns(tmp_path):
    other_lot = read_kits([kit_file(tmp_path, plates="Q*")])
    qc = checks_of(*make_plate(control_factor=1.3), kits=other_lot)
    assert qc.loc["control:Control1", "status"] == "warn"
    assert "nominal 1500" in qc.loc["control:Control1", "detail"]


def test_kit_files_are_checked(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        'kit: K\nlot: "1"\nunit: pg/mL\nplates: [P1]\ncontrols:\n  C1:\n    CCL2: [300, 200]\n'
    )
    with pytest.raises(InputError, match=r"bad.yaml: control C1, analyte CCL2: expected 0 <= low"):
        read_kit(path)
    path.write_text('kit: K\nlot: "1"\nplates: [P1]\ncontrols: {}\n')
    with pytest.raises(InputError, match="missing unit"):
        read_kit(path)


def test_two_lots_claiming_one_plate_is_an_error(tmp_path):
    first = kit_file(tmp_path)
    second = tmp_path / "kit2.yaml"
    second.write_text(first.read_text().replace('"L1"', '"L2"'))
    kits = read_kits([first, second], aliases())
    with pytest.raises(InputError, match="narrow their plates patterns"):
        control_range(kits, "P1", "Control1", "CCL2")


def test_samples_above_the_uloq_warn_as_saturation_and_out_of_range():
    wells, curves, plates = make_plate()
    samples = wells["role"] == "sample"
    wells.loc[samples, "signal"] = float(predict(PARAMS, 20000.0))
    qc = checks_of(interpolate(wells), curves, plates)
    assert qc.loc["saturation", "value"] == 1.0
    assert qc.loc["saturation", "status"] == "warn"
    assert qc.loc["samples_in_range", "status"] == "warn"


def test_replicate_cv_fails_when_the_median_is_above_the_limit():
    wells, curves, plates = make_plate()
    replicates = wells["role"].isin(["sample", "control"])
    second = replicates & wells.duplicated(["sample_name"], keep="first")
    noisy = scale_wells(wells, second, 1.5)
    qc = checks_of(noisy, curves, plates)
    assert qc.loc["replicate_cv", "value"] > 0.2
    assert qc.loc["replicate_cv", "status"] == "fail"
    assert checks_of(wells, curves, plates).loc["replicate_cv", "status"] == "pass"


def test_replicates_the_lab_masked_are_left_out_of_the_cv():
    # The same noisy second replicates as above, each masked in the instrument software
    # (SoftMax `Masked`, Bio-Plex Outlier): no pair is left, so there is no CV to fail
    wells, curves, plates = make_plate()
    replicates = wells["role"].isin(["sample", "control"])
    second = replicates & wells.duplicated(["sample_name"], keep="first")
    noisy = scale_wells(wells, second, 1.5)
    assert checks_of(noisy, curves, plates).loc["replicate_cv", "status"] == "fail"
    masked = noisy.assign(flags=noisy["flags"].where(~second, "vendor_masked"))
    assert "replicate_cv" not in checks_of(masked, curves, plates).index


def test_milliplex_preset_is_stricter_on_replicate_cv():
    wells, curves, plates = make_plate()
    replicates = wells["role"].isin(["sample", "control"])
    second = replicates & wells.duplicated(["sample_name"], keep="first")
    # a median CV of about 18%: within ICH M10's 20%, beyond the vendor's 15%
    wells = scale_wells(wells, second, 1.2)
    ich = checks_of(wells, curves, plates)
    vendor = checks_of(
        wells, curves, plates, settings=Settings.from_config({"qc": {**QC, "preset": "milliplex"}})
    )
    assert ich.loc["replicate_cv", "status"] == "pass"
    assert vendor.loc["replicate_cv", "status"] == "fail"


def test_manual_well_exclusions_are_left_out_of_the_checks():
    wells, curves, plates = make_plate()
    first_control = wells.index[wells["sample_name"] == "Control1"][0]
    wells.loc[first_control, "signal"] = float(predict(PARAMS, 6000.0))
    wells = interpolate(wells)
    assert checks_of(wells, curves, plates).loc["control:Control1", "status"] == "warn"
    manual = pd.DataFrame(
        [
            {
                "level": "well",
                "plate_id": "P1",
                "well": wells.loc[first_control, "well"],
                "analyte": "",
            }
        ]
    )
    kept = checks_of(wells, curves, plates, manual=manual)
    assert kept.loc["control:Control1", "status"] == "pass"


# -- across plates ---------------------------------------------------------------------


def run_of_plates(factors: list[float], **kwargs: Any) -> tuple[pd.DataFrame, ...]:
    plates = [
        make_plate(f"P{i:02d}", control_factor=f, run_time=f"2025-01-{i + 1:02d} 09:00", **kwargs)
        for i, f in enumerate(factors)
    ]
    return study(*plates)


def test_a_control_beyond_3_sd_of_the_guide_set_fails_its_plate():
    factors = [1.00, 1.02, 0.98, 1.01, 0.99, 1.00, 1.15]
    wells, curves, plates = run_of_plates(factors)
    result = run_qc(wells, curves, plates, Settings.from_config({"qc": {**QC, "guide_plates": 6}}))
    lj = result.levey_jennings
    control1 = lj[(lj["series"] == "Control1")].set_index("plate_id")
    assert control1["guide"].sum() == 6
    assert control1.loc["P06", "z"] > 3
    assert "1-3s" in control1.loc["P06", "rules"]
    assert control1.loc["P06", "status"] == "fail"
    # Both control levels moved together: within the run that is 2-2s as well.
    assert "2-2s" in control1.loc["P06", "rules"]
    verdicts = result.verdicts.set_index("plate_id")
    assert verdicts.loc["P06", "verdict"] == "fail"
    assert "levey_jennings:Control1" in verdicts.loc["P06", "failed"]
    assert (verdicts.drop(index="P06")["verdict"] == "pass").all()
    tables.LEVEY_JENNINGS.validate(lj)


def test_guide_range_names_the_plates_of_the_guide_set():
    wells, curves, plates = run_of_plates([1.0, 1.02, 0.98, 1.01, 0.99])
    order = run_order(plates, sorted(set(plates["plate_id"])))
    values = series_values(wells, curves)
    lj = levey_jennings(values, order, guide_range=["P03", "P01"])
    control1 = lj[lj["series"] == "Control1"].set_index("plate_id")
    assert control1["guide"].to_dict() == {
        "P00": False,
        "P01": True,
        "P02": True,
        "P03": True,
        "P04": False,
    }
    # a range is a guide set whatever the lots: every plate outside it is judged
    assert control1.index[control1["judged"]].tolist() == ["P00", "P04"]
    with pytest.raises(InputError, match="P99"):
        levey_jennings(values, order, guide_range=["P01", "P99"])


def test_run_order_follows_the_run_time_not_the_plate_name():
    plates = study(
        make_plate("B", run_time="6/21/2025 9:00:00 AM"),
        make_plate("A", run_time="6/22/2025 9:00:00 AM"),
        make_plate("C", run_time=""),
    )[2]
    assert list(run_order(plates, ["A", "B", "C"]).index) == ["B", "A", "C"]


def test_run_order_reads_times_with_and_without_a_time_zone():
    # Real exports mix both (Bio-Plex XML writes an offset, xPONENT local time).
    plates = study(
        make_plate("B", run_time="2025-06-21T10:00:00+02:00"),  # 08:00 UTC
        make_plate("A", run_time="6/21/2025 9:00:00 AM"),  # read as UTC
        make_plate("C", run_time="2025-06-21T07:30:00Z"),
    )[2]
    assert list(run_order(plates, ["A", "B", "C"]).index) == ["C", "B", "A"]


def test_fewer_than_three_guide_plates_give_no_westgard_checks():
    wells, curves, plates = run_of_plates([1.0, 1.5])
    result = run_qc(wells, curves, plates, SETTINGS)
    assert result.levey_jennings["z"].isna().all()
    assert not result.qc["check"].str.startswith("levey_jennings").any()


def test_curve_parameters_are_charted_from_the_4pl_fit_whichever_model_was_selected():
    wells, curves, _ = run_of_plates([1.0, 1.0, 1.0])
    five = curves.assign(model="5PL", c=curves["c"] * 3, selected=True)
    curves = pd.concat([curves.assign(selected=False), five], ignore_index=True)
    values = series_values(wells, tables.CURVES.validate(curves))
    c_values = values[values["series"] == "curve_c"]["value"]
    assert (c_values == PARAMS["c"]).all()


def test_inter_plate_cv_of_controls_warns_above_the_limit():
    steady = run_qc(*run_of_plates([1.0, 1.05, 0.95, 1.0]), SETTINGS).qc
    spread = run_qc(*run_of_plates([1.0, 1.4, 0.7, 1.2]), SETTINGS).qc
    row = spread[spread["check"] == "inter_plate_cv:Control1"].iloc[0]
    assert pd.isna(row["plate_id"])
    assert row["status"] == "warn"
    assert steady[steady["check"] == "inter_plate_cv:Control1"]["status"].iloc[0] == "pass"


def test_verdicts_ignore_checks_across_plates():
    result = run_qc(
        *run_of_plates([1.0, 1.4, 0.7, 1.2]), Settings.from_config({"qc": {**QC, "westgard": []}})
    )
    assert (result.qc[result.qc["plate_id"].isna()]["status"] == "warn").all()
    assert set(result.verdicts["verdict"]) <= {"pass", "warn"}
    assert not any("inter_plate_cv" in w for w in result.verdicts["warned"])


def test_values_stay_finite_for_levey_jennings():
    wells, curves, _ = run_of_plates([1.0, 1.0, 1.0])
    values = series_values(wells, curves)
    assert set(values["series"]) == {"Control1", "Control2", "curve_c", "curve_d", "top_standard"}
    assert all(math.isfinite(v) for v in values["value"])


def test_a_study_checks_each_plate_and_analyte_as_if_it_were_alone():
    # Plates of different shapes in one table, not in plate x analyte order: each plate x
    # analyte's checks read only its own wells, whatever its neighbours hold.
    clean = make_plate("P1", "CCL2")
    noisy_wells, noisy_curves, noisy_plates = make_plate("P2", "CCL2", bead_count=None)
    second = noisy_wells["role"].isin(["sample", "control"]) & noisy_wells.duplicated(
        ["sample_name"], keep="first"
    )
    noisy_wells = scale_wells(noisy_wells, second, 1.3)
    # a third replicate of each sample at a second dilution
    extra = noisy_wells[noisy_wells["role"] == "sample"].drop_duplicates("sample_name")
    extra = interpolate(extra.assign(dilution=2.0, well="P24"))
    noisy_wells = pd.concat([noisy_wells, extra, extra, extra], ignore_index=True)
    other = make_plate("P1", "IL6", control_factor=1.3)
    plates = [clean, (noisy_wells, noisy_curves, noisy_plates), other]
    wells, curves, plate_table = study(*plates)
    settings = Settings.from_config({"qc": {**QC, "westgard": []}})
    together = run_qc(wells, curves, plate_table, settings).qc
    together = together[together["plate_id"].notna()].reset_index(drop=True)
    alone = pd.concat(
        [run_qc(*plate, settings).qc for plate in plates], ignore_index=True
    ).sort_values(["analyte", "plate_id", "check"], kind="stable")
    pd.testing.assert_frame_equal(together, alone.reset_index(drop=True))


# -- what real files bring (tests/oddities.py, which builds on make_plate) ----------------


@pytest.fixture(scope="module")
def oddities():
    import tests.oddities

    return tests.oddities


# What the calibrator checks say of each plate x analyte without a usable curve.
NO_CURVE_CALIBRATORS = {
    "no_standards": "no standard wells",
    "no_signal": "0 of 7 non-zero levels fitted",
    "no_positive_signal": "0 of 7 non-zero levels fitted",
    "single_well": "no standard wells",
    "unassigned": "no standard wells: every well is unassigned (a plate map gives the wells "
    "their roles)",
}
# Why each of its standard levels was not fitted (none where there are no standards).
NO_CURVE_LEVELS = {
    "no_signal": "not fitted: no signal",
    # the engine's reason, not the no_curve flag that follows from it
    "no_positive_signal": "not fitted: signal <= 0 under 1/y^2 weights",
}


@pytest.mark.parametrize("case", list(NO_CURVE_CALIBRATORS))
def test_a_plate_without_a_usable_curve_fails_and_the_checks_say_why(oddities, case):
    stages = oddities.run_stages(oddities.odd_plate(case))
    qc = tables.QC.validate(stages.qc.qc).set_index("check")
    curve = stages.curves[stages.curves["selected"]].iloc[0]
    assert qc.loc["curve_status", "status"] == "fail"
    assert qc.loc["curve_status", "detail"] == f"{curve['status']}: {curve['reasons']}"
    assert (qc.loc["calibrators", "status"], qc.loc["calibrators", "detail"]) == (
        "fail",
        NO_CURVE_CALIBRATORS[case],
    )
    levels = qc[qc.index.str.startswith("recovery:")]
    if case in NO_CURVE_LEVELS:
        assert len(levels) == 7 and (levels["detail"] == NO_CURVE_LEVELS[case]).all()
    else:
        assert levels.empty
    verdicts = stages.qc.verdicts
    assert verdicts[["plate_id", "verdict"]].values.tolist() == [["P1", "fail"]]
    assert "curve_status" in verdicts["failed"].iloc[0].split(";")
    # no curve parameter to chart, and a well-formed table all the same
    lj = tables.LEVEY_JENNINGS.validate(stages.qc.levey_jennings)
    assert not lj["series"].isin(["curve_c", "curve_d"]).any()


def test_a_plate_with_no_placed_wells_fails_alone(oddities):
    wells = pd.concat([oddities.odd_plate("clean", "P1"), oddities.odd_plate("unassigned", "P2")])
    verdicts = oddities.run_stages(wells).qc.verdicts.set_index("plate_id")["verdict"]
    assert verdicts.to_dict() == {"P1": "pass", "P2": "fail"}


@pytest.mark.parametrize("label", ["mathtext", "markup", "path", "long", "huge"])
def test_odd_plate_and_analyte_names_are_checked_like_any_other(oddities, label):
    name = oddities.ODD_NAMES[label]
    clean = oddities.run_stages(oddities.odd_plate("clean")).qc.qc
    odd = oddities.run_stages(
        oddities.renamed(oddities.odd_plate("clean"), plate_id=name, analyte=name)
    ).qc.qc
    assert set(odd["plate_id"].dropna()) == {name} and set(odd["analyte"]) == {name}
    columns = ["check", "value", "status", "detail"]
    pd.testing.assert_frame_equal(odd[columns], clean[columns])


# -- guide sets by kit lot ---------------------------------------------------------------


def series_of(values: list[float], plate_ids: list[str] | None = None) -> pd.DataFrame:
    plate_ids = plate_ids or [f"P{i:02d}" for i in range(len(values))]
    return pd.DataFrame(
        {
            "analyte": "CCL2",
            "series": "Control1",
            "kind": "control",
            "plate_id": plate_ids,
            "value": values,
            "unit": "pg/mL",
        }
    )


def test_the_guide_set_is_the_first_plates_of_each_kit_lot_and_is_never_judged():
    # lot A: 7 plates (4 guide, 3 judged); lot B: 3 plates, fewer than the 4 needed
    values = series_of([100, 102, 98, 101, 99, 100, 101, 150, 151, 149])
    order = pd.Series(range(10), index=values["plate_id"])
    lots = {p: ("A" if i < 7 else "B") for i, p in enumerate(values["plate_id"])}
    lj = levey_jennings(values, order, guide_plates=4, lots=lots).set_index("plate_id")
    assert lj.index[lj["guide"]].tolist() == ["P00", "P01", "P02", "P03", "P07", "P08", "P09"]
    assert lj.index[lj["judged"]].tolist() == ["P04", "P05", "P06"]
    assert lj["z"].notna().tolist() == lj["judged"].tolist()
    # lot A's limits come from its four guide plates alone (numpy, n - 1)
    guide = np.array([100, 102, 98, 101], dtype=float)
    assert lj.loc["P05", "mean"] == pytest.approx(guide.mean())
    assert lj.loc["P05", "sd"] == pytest.approx(guide.std(ddof=1))
    # lot B (150s) is neither judged against lot A nor against itself
    assert lj.loc[["P07", "P08", "P09"], "mean"].isna().all()
    assert (lj.loc[["P07", "P08", "P09"], "status"] == "pass").all()
    assert lj["lot"].tolist() == list("AAAAAAABBB")
    sets = guide_sets(lj.reset_index())
    assert sets[["lot", "plates", "guide", "judged", "complete"]].values.tolist() == [
        ["A", 7, 4, 3, True],
        ["B", 3, 3, 0, False],
    ]
    # the same plates as one study: the first four guide, every later one judged
    study_wide = levey_jennings(values, order, guide_plates=4).set_index("plate_id")
    assert study_wide["judged"].sum() == 6 and (study_wide["lot"] == "").all()
    assert study_wide.loc["P07", "status"] == "fail"


def test_a_shifted_series_trips_westgard_on_the_plate_that_completes_the_pattern():
    # five guide plates, then four judged plates 1.5 SD above the guide mean: 4-1s
    guide = np.array([100.0, 102.0, 98.0, 101.0, 99.0])
    sd = guide.std(ddof=1)
    shifted = [100.0, 100.0 + 1.5 * sd, 100.0 + 1.5 * sd, 100.0 + 1.5 * sd, 100.0 + 1.5 * sd]
    values = series_of([*guide, *shifted])
    order = pd.Series(range(10), index=values["plate_id"])
    lj = levey_jennings(values, order, guide_plates=5, lots=dict.fromkeys(order.index, "L1"))
    assert lj["z"].round(6).tolist()[5:] == [0.0, 1.5, 1.5, 1.5, 1.5]
    assert lj["rules"].tolist() == [""] * 9 + ["4-1s"]
    assert lj["status"].tolist() == ["pass"] * 9 + ["fail"]
    checks = westgard_checks(lj)
    assert [c["plate_id"] for c in checks] == ["P05", "P06", "P07", "P08", "P09"]
    assert checks[-1]["status"] == "fail" and "lot L1" in checks[-1]["threshold"]


def test_a_kit_file_names_the_lot_of_its_plates_before_the_export():
    plates = pd.DataFrame(
        {"plate_id": ["lx_1", "lx_2", "elisa_1", "other"], "kit_lot": ["9", "9", "E7", None]}
    )
    kit = KitLot(path="k.yaml", kit="K", lot="L42", unit="pg/mL", plates=("lx_*",), ranges={})
    assert plate_lots(plates, ["lx_1", "lx_2", "elisa_1", "other"], [kit]) == {
        "lx_1": "L42",
        "lx_2": "L42",
        "elisa_1": "E7",
        "other": "",
    }


def _reasons_as_text(reasons: str) -> dict[str, str]:
    """The standard wells named in a curve's ``reasons`` text, read with a regular
    expression written from the wording of curves/plate.py (an independent reading of
    what ``excluded_wells`` holds as data)."""
    out: dict[str, str] = {}
    for wells, why in re.findall(r"excluded standard well\(s\) ([A-Za-z0-9,]+): ([^;]+)", reasons):
        out.update(dict.fromkeys(wells.split(","), why.strip()))
    return out


def test_qc_reads_the_excluded_wells_column_not_the_reasons_text():
    wells, _, plates = make_plate()
    standards = wells.index[wells["role"] == "standard"]
    wells.loc[standards[0], "flags"] = "vendor_masked"  # masked in the software
    wells.loc[standards[3], "flags"] = "low_beads"
    wells.loc[standards[6], "signal"] = np.nan
    wells.loc[standards[9], "signal"] = -5.0  # not fitted under 1/y^2 weights
    wells = interpolate(wells)
    curves = fit_plate_curves(wells, CurveSettings.from_mapping({"selection": "4PL"}))
    selected = curves[curves["selected"]]
    (reasons,), (excluded,) = selected["reasons"], selected["excluded_wells"]
    named = {wells.loc[standards[k], "well"] for k in (0, 3, 6, 9)}
    assert set(parse_excluded_wells(excluded)) == named
    assert parse_excluded_wells(excluded) == _reasons_as_text(reasons)

    qc = checks_of(wells, curves, plates)
    reworded = checks_of(wells, curves.assign(reasons=""), plates)
    # Only the curve_status row quotes the reasons text.
    assert reworded.loc["curve_status", "detail"] != qc.loc["curve_status", "detail"]
    pd.testing.assert_frame_equal(qc.drop(index="curve_status"), reworded.drop("curve_status"))
    left_out = [d for d in qc["detail"] if "low_beads" in d or "masked in" in d]
    assert left_out, "QC names the wells the curve left out"
    # Without the column, QC no longer knows why the curve left them out.
    blind = checks_of(wells, curves.assign(excluded_wells=""), plates)
    assert not blind.drop(index="curve_status").equals(qc.drop(index="curve_status"))


def test_bead_count_fail_is_wells_min_bead_count_and_no_override_sets_it():
    # One threshold: the chunk stage flags wells below wells.min_bead_count low_beads,
    # and QC fails a pair whose median is below the same number.
    assert rules_for("CCL2", "ich_m10").bead_count_fail == 35
    assert rules_for("CCL2", "milliplex", bead_count_fail=20).bead_count_fail == 20
    study = Settings.from_config({"wells": {"min_bead_count": 42}})
    assert study_rules(study)("IL8").bead_count_fail == 42
    assert all("bead_count_fail" not in preset for preset in presets().values())
    with pytest.raises(ValueError, match=r"bead_count_fail was removed; set wells\.min_bead_count"):
        rules_for("CCL2", "ich_m10", [{"analyte": "CCL2", "bead_count_fail": 20}])
