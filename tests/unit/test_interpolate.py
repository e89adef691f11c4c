import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from assaypipe import tables
from assaypipe.curves import fit_plate_curves, predict
from assaypipe.errors import AssaypipeBugError
from assaypipe.interpolate import classify_censor, interpolate_wells
from tests.conftest import wells_frame
from tests.oddities import NO_CURVE_CASES, ODD_NAMES, odd_plate, renamed

RISING = {"a": 20.0, "b": 1.1, "c": 400.0, "d": 22000.0, "g": 1.0}
FALLING = {"a": 2.2, "b": 1.2, "c": 300.0, "d": 0.08, "g": 1.3}
LIMITS = {"lloq": 10.0, "uloq": 5000.0, "lod": 2.0}


def curve_row(plate_id: str, analyte: str, params: dict[str, float], **overrides: Any) -> dict:
    row = {
        "plate_id": plate_id,
        "analyte": analyte,
        "model": "5PL",
        "weighting": "1/y^2",
        "weight_power": 1.0,
        "selected": True,
        **params,
        "rss": 0.01,
        "aic": -50.0,
        "vcov": None,
        "n_points": 14,
        "n_excluded": 0,
        "std_low": 2.0,
        "std_high": 10000.0,
        **LIMITS,
        "lloq_profile": np.nan,
        "uloq_profile": np.nan,
        "lob": np.nan,
        "unit": "pg/mL",
        "extrapolation": "keep",
        "converged": True,
        "status": "converged",
        "reasons": "",
        "excluded_wells": "",
    }
    return {**row, **overrides}


def curves_frame(rows: list[dict]) -> pd.DataFrame:
    return tables.CURVES.validate(pd.DataFrame(rows)[list(tables.CURVES.columns)])


def censors(wells: pd.DataFrame) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in wells["censor"]]


def signal_at(params: dict[str, float], conc: float) -> float:
    return float(predict(params, conc))


def reference_conc(params: dict[str, float], signal: float) -> float:
    # SciPy: brentq root of the model written in dose, independent of curves.inverse
    a, b, c, d, g = (params[k] for k in "abcdg")
    return brentq(
        lambda x: d + (a - d) / (1 + (x / c) ** b) ** g - signal, 1e-8, 1e8, xtol=1e-14, rtol=1e-13
    )


def test_concentration_is_dilution_corrected_and_censored():
    cases = [
        # (in-well conc or None, signal override, dilution, expected censor)
        (100.0, None, 2.0, None),
        (5.0, None, 2.0, "<LLOQ"),  # between LOD and LLOQ
        (1.0, None, 1.0, "<LOD"),  # below the LOD, value kept
        (None, 15.0, 1.0, "<LOD"),  # under the bottom asymptote: no value
        (None, 20.0, 1.0, "<LOD"),  # exactly at the bottom asymptote
        (8000.0, None, 4.0, ">ULOQ"),  # extrapolated above the top standard, kept
        (None, 23000.0, 1.0, ">ULOQ"),  # over the top asymptote: no value
        (None, np.nan, 1.0, None),
    ]
    rows = []
    for i, (conc, signal, dilution, _) in enumerate(cases):
        value = signal if conc is None else signal_at(RISING, conc)
        rows.append({"well": f"A{i + 1}", "signal": value, "dilution": dilution, "censor": ">ULOQ"})
    wells = wells_frame(rows)
    out = interpolate_wells(wells, curves_frame([curve_row("P1", "CCL2", RISING)]))

    assert censors(out) == [c[3] for c in cases]
    # the signals the curve never reaches say so
    assert out["flags"].tolist() == ["", "", "", *["below_curve"] * 2, "", "above_curve", ""]
    for i, (conc, _, dilution, _) in enumerate(cases):
        got = out["concentration"].iloc[i]
        if conc is None:
            assert math.isnan(got)
        else:
            expected = reference_conc(RISING, signal_at(RISING, conc)) * dilution
            assert got == pytest.approx(expected, rel=1e-8)
            assert got == pytest.approx(conc * dilution, rel=1e-8)
    # no covariance in the curve row: no uncertainty
    assert out[["conc_se", "conc_ci_low", "conc_ci_high"]].isna().all().all()
    tables.WELLS.validate(out)


def test_every_role_is_interpolated_and_a_missing_lod_censors_nothing():
    wells = wells_frame(
        [
            {"well": "A1", "role": "standard", "expected_conc": 400.0, "signal": 11010.0},
            {"well": "A2", "role": "blank", "signal": signal_at(RISING, 1.0)},
            {"well": "A3", "role": "control", "signal": signal_at(RISING, 50.0)},
        ]
    )
    curves = curves_frame([curve_row("P1", "CCL2", RISING, lod=np.nan)])
    out = interpolate_wells(wells, curves)
    # at the mid signal (a + d) / 2 a 4PL reads exactly c
    assert out["concentration"].iloc[0] == pytest.approx(400.0, rel=1e-10)
    assert censors(out) == [None, "<LLOQ", None]


def test_decreasing_curve_censors_by_dose_not_by_signal():
    wells = wells_frame(
        [
            {"well": "A1", "signal": 2.5},  # beyond a: less than nothing
            {"well": "A2", "signal": 0.05},  # beyond d: more than the curve can tell
            {"well": "A3", "signal": signal_at(FALLING, 200.0)},
            {"well": "A4", "signal": signal_at(FALLING, 6.0)},
        ]
    )
    out = interpolate_wells(wells, curves_frame([curve_row("P1", "CCL2", FALLING)]))
    assert censors(out) == ["<LOD", ">ULOQ", None, "<LLOQ"]
    assert out["flags"].tolist() == ["below_curve", "above_curve", "", ""]
    expected = reference_conc(FALLING, signal_at(FALLING, 200.0))
    assert out["concentration"].iloc[2] == pytest.approx(expected, rel=1e-8)
    assert out["concentration"].iloc[:2].isna().all()


def test_wells_without_a_usable_curve_are_flagged_and_order_is_kept():
    wells = wells_frame(
        [
            {"plate_id": "P2", "well": "A1", "signal": 500.0, "flags": "low_beads"},
            {"plate_id": "P1", "well": "A1", "signal": 500.0, "flags": "zz;no_curve"},
            {"plate_id": "P3", "well": "A1", "signal": 500.0, "flags": "no_curve;low_beads"},
            {"plate_id": "P1", "well": "A2", "analyte": "HGF", "signal": 500.0},
            {"plate_id": "P2", "well": "A2", "signal": np.nan, "concentration": 3.0},
        ]
    )
    wells.index = [40, 10, 30, 20, 0]
    curves = curves_frame(
        [
            curve_row("P1", "CCL2", RISING),
            curve_row("P1", "CCL2", RISING, model="4PL", selected=False),
            curve_row("P1", "HGF", RISING, converged=False, status="not_converged"),
            # P2 has fits but none selected as usable: only a non-selected converged one
            curve_row("P2", "CCL2", RISING, selected=False),
            curve_row("P3", "CCL2", RISING),
        ]
    )
    out = interpolate_wells(wells, curves)
    assert out.index.tolist() == [40, 10, 30, 20, 0]
    assert out["well"].tolist() == wells["well"].tolist()
    assert out["flags"].tolist() == [
        "low_beads;no_curve",
        "zz",  # a stale no_curve goes once the plate has a curve
        "low_beads",
        "no_curve",
        "no_curve",
    ]
    no_curve = [0, 3, 4]
    assert out["concentration"].iloc[no_curve].isna().all()
    assert out["censor"].iloc[no_curve].isna().all()
    for i in (1, 2):
        assert out["concentration"].iloc[i] == pytest.approx(
            reference_conc(RISING, 500.0), rel=1e-8
        )


def test_two_selected_curves_for_one_plate_analyte_is_a_bug():
    wells = wells_frame([{"signal": 500.0}])
    curves = curves_frame([curve_row("P1", "CCL2", RISING), curve_row("P1", "CCL2", RISING)])
    with pytest.raises(AssaypipeBugError):
        interpolate_wells(wells, curves)


def test_classify_censor_applies_the_rule_to_mean_signals():
    signal = np.array([10.0, 20.0, 200.0, 300.0, 20000.0, 22000.0, np.nan])
    conc = np.array([np.nan, np.nan, 1.5, 7.0, 6000.0, np.nan, np.nan])
    out = classify_censor(conc, signal, RISING, lloq=10.0, uloq=5000.0, lod=2.0)
    assert out.dtype == object
    assert out.tolist() == ["<LOD", "<LOD", "<LOD", "<LLOQ", ">ULOQ", ">ULOQ", None]
    # without limits only the asymptotes censor
    bare = classify_censor(conc, signal, RISING, lloq=np.nan, uloq=np.nan, lod=np.nan)
    assert bare.tolist() == ["<LOD", "<LOD", None, None, None, ">ULOQ", None]
    nan_params = dict.fromkeys("abcdg", np.nan)
    assert classify_censor(conc, signal, nan_params, 10.0, 5000.0, 2.0).tolist() == [None] * 7


# -- what real files bring (tests/oddities.py) ---------------------------------------------


@pytest.mark.parametrize("case", list(NO_CURVE_CASES))
def test_a_plate_without_a_usable_curve_has_no_concentrations_and_says_why(case):
    wells = odd_plate(case)
    out = interpolate_wells(wells, fit_plate_curves(wells))
    assert out[["plate_id", "well", "signal"]].equals(wells[["plate_id", "well", "signal"]])
    assert out[["concentration", "conc_se", "conc_ci_low", "conc_ci_high"]].isna().all().all()
    assert out["censor"].isna().all()
    assert out["flags"].str.split(";").map(lambda flags: "no_curve" in flags).all()


@pytest.mark.parametrize("name", list(ODD_NAMES.values()), ids=list(ODD_NAMES))
def test_odd_names_read_off_their_own_curve(name):
    clean = odd_plate("clean")
    wells = pd.concat([clean, renamed(clean, plate_id=name, analyte=name)], ignore_index=True)
    out = interpolate_wells(wells, fit_plate_curves(wells))
    odd = (out["plate_id"] == name).to_numpy()
    # the same wells under another name give the same concentrations
    np.testing.assert_allclose(
        out.loc[odd, "concentration"].to_numpy(),
        out.loc[~odd, "concentration"].to_numpy(),
        rtol=1e-12,
    )
    assert out.loc[odd & (out["role"] == "sample").to_numpy(), "concentration"].notna().all()
