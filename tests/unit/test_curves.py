import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq, curve_fit

from assaypipe import tables
from assaypipe.curves import (
    fit_curve,
    fit_plate_curves,
    inverse,
    level_recovery,
    limit_of_detection,
    predict,
    quantification_range,
)
from assaypipe.settings import CurveSettings
from tests.conftest import wells_frame
from tests.oddities import NO_CURVE_CASES, ODD_NAMES, odd_plate, renamed

# 7 standards, 4-fold, in duplicate: the usual Luminex kit layout.
LEVELS = 10000.0 / 4.0 ** np.arange(7)[::-1]
CONC = np.repeat(LEVELS, 2)

SIMULATED = [
    {"a": 30.0, "b": 1.1, "c": 400.0, "d": 22000.0, "g": 1.0},
    {"a": 12.0, "b": 0.9, "c": 150.0, "d": 30000.0, "g": 0.6},
    {"a": 50.0, "b": 1.4, "c": 800.0, "d": 18000.0, "g": 2.0},
    # decreasing, as in a competitive ELISA read by optical density
    {"a": 2.2, "b": 1.2, "c": 300.0, "d": 0.08, "g": 1.3},
]
SIGMA = {"1/y^2": lambda y: y, "1/y": np.sqrt, "none": lambda y: None}


def logistic(x: np.ndarray, a: float, b: float, c: float, d: float, g: float = 1.0) -> np.ndarray:
    """The model written directly in dose, as an independent reference."""
    return d + (a - d) / (1.0 + (x / c) ** b) ** g


def noisy(params: dict[str, float], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return predict(params, CONC) * (1.0 + 0.05 * rng.standard_normal(CONC.size))


def as_vector(params: dict[str, float], model: str) -> np.ndarray:
    return np.array([params[k] for k in "abcdg"[: 4 if model == "4PL" else 5]])


def test_predict_matches_the_model_written_in_dose():
    params = {"a": 10.0, "b": 1.3, "c": 70.0, "d": 9000.0, "g": 0.7}
    x = np.array([0.5, 3.0, 70.0, 400.0, 20000.0])
    # Hand-derived: at x = c the 5PL is d + (a - d) / 2**g.
    np.testing.assert_allclose(predict(params, x), logistic(x, *as_vector(params, "5PL")))
    assert predict(params, 70.0) == pytest.approx(9000.0 - 8990.0 / 2**0.7, rel=1e-12)
    assert predict(params, 0.0) == pytest.approx(10.0)
    assert np.isnan(predict(params, [-1.0, np.nan])).all()


@pytest.mark.parametrize("params", SIMULATED)
def test_inverse_undoes_predict_and_matches_a_root_finder(params):
    x = np.geomspace(0.5, 50000.0, 25)
    np.testing.assert_allclose(inverse(params, predict(params, x)), x, rtol=1e-9)
    y = float(predict(params, 123.0))
    # SciPy: brentq root of predict(x) - y on the same curve
    root = brentq(lambda v: float(predict(params, v)) - y, 1e-3, 1e6, xtol=1e-12, rtol=1e-14)
    assert float(inverse(params, y)) == pytest.approx(root, rel=1e-9)


@pytest.mark.parametrize("params", SIMULATED)
def test_inverse_is_nan_outside_the_open_interval_of_the_asymptotes(params):
    a, d = params["a"], params["d"]
    step = abs(d - a)
    beyond_a = a - math.copysign(0.1 * step, d - a)
    beyond_d = d + math.copysign(0.1 * step, d - a)
    out = inverse(params, [a, d, beyond_a, beyond_d, np.nan, np.inf])
    assert np.isnan(out).all()
    assert np.isfinite(inverse(params, [0.5 * (a + d)])).all()


@pytest.mark.parametrize("model", ["4PL", "5PL"])
@pytest.mark.parametrize("params", SIMULATED)
def test_noise_free_data_give_back_the_parameters(params, model):
    truth = dict(params, g=1.0) if model == "4PL" else params
    fit = fit_curve(CONC, predict(truth, CONC), model=model)
    assert fit.status == "converged", fit.reasons
    assert fit.converged
    np.testing.assert_allclose(as_vector(fit.params, "5PL"), as_vector(truth, "5PL"), rtol=1e-6)


@pytest.mark.parametrize("weighting", ["1/y^2", "1/y", "none"])
@pytest.mark.parametrize("model", ["4PL", "5PL"])
@pytest.mark.parametrize("case", range(len(SIMULATED)))
def test_fit_is_as_good_as_scipy_curve_fit(case, model, weighting):
    truth = SIMULATED[case]
    y = noisy(truth, seed=100 + case)
    fit = fit_curve(CONC, y, model=model, weighting=weighting)
    assert fit.converged, fit.reasons

    # SciPy: scipy.optimize.curve_fit on the same data and weights (sigma = y for 1/y^2,
    # sqrt(y) for 1/y), model written in dose, same b and g bounds, started at the truth.
    k = 4 if model == "4PL" else 5
    lower = [-np.inf, 0.05, 1e-12, -np.inf, 0.05][:k]
    upper = [np.inf, 20.0, np.inf, np.inf, 20.0][:k]
    sigma = SIGMA[weighting](y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference, _ = curve_fit(
            logistic,
            CONC,
            y,
            p0=as_vector(truth, model),
            sigma=sigma,
            bounds=(lower, upper),
            method="trf",
            ftol=1e-15,
            xtol=1e-15,
            gtol=1e-15,
            max_nfev=100_000,
        )
    weights = 1.0 if sigma is None else 1.0 / sigma**2
    reference_rss = float(np.sum(weights * (y - logistic(CONC, *reference)) ** 2))

    assert fit.rss <= reference_rss * (1 + 1e-6)
    # The reference is held inside b, g in [0.05, 20]; where it stopped on such a bound
    # our fit (which lets g run off and reports it) may only be better, not equal.
    interior = np.all((reference[1::3] > 0.05 * 1.001) & (reference[1::3] < 20 / 1.001))
    if interior:
        assert fit.rss == pytest.approx(reference_rss, rel=1e-8)  # the same optimum
        # The same curve: its signal at every standard to 1e-4.
        np.testing.assert_allclose(predict(fit.params, CONC), logistic(CONC, *reference), rtol=1e-4)
        # Its parameters: a 4PL's to 1e-3. Along a 5PL's flat directions an RSS equal to
        # 1e-8 leaves the bottom free to ~1e-3 whichever BLAS kernel the machine has
        # (case 1 unweighted: a = 8.9144 against SciPy's 8.9121 on one, 8.9249 on
        # another, with signals at the standards equal to 1.3e-5).
        rtol = 1e-3 if model == "4PL" else 5e-3
        np.testing.assert_allclose(as_vector(fit.params, model), reference, rtol=rtol)
    n = CONC.size
    assert fit.aic == pytest.approx(n * math.log(fit.rss / n) + 2 * k)
    assert fit.n_points == n


def test_rss_is_the_weighted_objective_at_the_reported_parameters():
    y = noisy(SIMULATED[0], seed=7)
    for weighting, w in [("1/y^2", 1 / y**2), ("1/y", 1 / y), ("none", np.ones_like(y))]:
        fit = fit_curve(CONC, y, model="5PL", weighting=weighting)
        assert fit.rss == pytest.approx(float(np.sum(w * (y - fit.predict(CONC)) ** 2)), rel=1e-9)


def test_aic_prefers_the_5pl_on_strongly_asymmetric_data():
    truth = {"a": 20.0, "b": 1.6, "c": 40.0, "d": 20000.0, "g": 0.25}
    for seed in range(6):
        y = noisy(truth, seed=seed)
        four = fit_curve(CONC, y, model="4PL")
        five = fit_curve(CONC, y, model="5PL")
        assert four.converged and five.status == "converged"
        assert five.aic < four.aic
        assert five.params["g"] == pytest.approx(0.25, rel=0.5)

    curves = fit_plate_curves(standards_frame("P1", "CCL2", CONC, noisy(truth, seed=1)))
    assert curves.loc[curves["selected"], "model"].tolist() == ["5PL"]


def median_recovery_error(row: pd.Series, conc: np.ndarray, y: np.ndarray) -> float:
    params = row[["a", "b", "c", "d", "g"]].astype(float).to_dict()
    table = level_recovery(params, conc, y)
    return float(np.median(np.abs(table["recovery"] - 1.0)))


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_aic_selection_breaks_ties_by_back_fit_recovery(seed):
    y = noisy(SIMULATED[0], seed=seed)
    curves = fit_plate_curves(standards_frame("P1", "CCL2", CONC, y)).set_index("model")
    four, five = curves.loc["4PL"], curves.loc["5PL"]
    chosen = curves.index[curves["selected"]].item()
    if abs(four["aic"] - five["aic"]) >= 2.0:
        assert chosen == ("4PL" if four["aic"] < five["aic"] else "5PL")
    else:
        # within 2 AIC units: the better median |recovery - 100%|, the 4PL on a tie
        errors = {m: median_recovery_error(curves.loc[m], CONC, y) for m in ("4PL", "5PL")}
        assert chosen == ("5PL" if errors["5PL"] < errors["4PL"] else "4PL")


@pytest.mark.parametrize(
    ("model", "n_levels", "status"),
    [("5PL", 5, "too_few_points"), ("5PL", 6, "converged"), ("4PL", 4, "too_few_points")],
)
def test_too_few_distinct_concentrations(model, n_levels, status):
    truth = SIMULATED[0]
    conc = np.repeat(LEVELS[:n_levels], 3)
    fit = fit_curve(conc, predict(truth, conc), model=model)
    assert fit.status == status
    if status == "too_few_points":
        assert not fit.converged
        assert math.isnan(fit.rss) and all(math.isnan(v) for v in fit.params.values())
        assert f"{n_levels} distinct concentration(s)" in "; ".join(fit.reasons)


def test_points_that_cannot_be_fitted_are_left_out_with_a_reason():
    truth = SIMULATED[0]
    conc = np.concatenate([[0.0, np.nan], CONC, CONC[:1]])
    y = np.concatenate([[25.0, 30.0], predict(truth, CONC), [-5.0]])
    fit = fit_curve(conc, y, model="4PL", weighting="1/y^2")
    assert fit.n_points == CONC.size
    text = "; ".join(fit.reasons)
    assert "2 point(s) with concentration <= 0" in text
    assert "1 point(s) with signal <= 0" in text
    # without 1/y weights a negative signal is an ordinary point
    assert fit_curve(conc, y, model="4PL", weighting="none").n_points == CONC.size + 1


@pytest.mark.parametrize(
    "signal",
    [np.full(CONC.size, np.nan), np.full(CONC.size, 5.0), np.full(CONC.size, np.inf), np.zeros(0)],
)
def test_bad_numbers_give_a_status_not_an_exception(signal):
    conc = CONC if signal.size else np.zeros(0)
    fit = fit_curve(conc, signal, model="5PL")
    assert not fit.converged
    assert fit.status in {"too_few_points", "flat_signal"}
    assert fit.reasons


def test_a_step_reports_the_slope_outside_its_plausible_range():
    y = np.where(CONC < 500.0, 20.0, 25000.0) * np.tile([0.99, 1.01], 7)
    fit = fit_curve(CONC, y, model="4PL")
    assert fit.status == "parameter_at_bound"
    assert fit.params["b"] > 20.0
    assert any(r.startswith("b = ") for r in fit.reasons), fit.reasons


def test_unknown_model_or_weighting_is_a_programming_error():
    with pytest.raises(ValueError, match="model"):
        fit_curve(CONC, CONC, model="3PL")
    with pytest.raises(ValueError, match="weighting"):
        fit_curve(CONC, CONC, weighting="1/x")


# ----------------------------------------------------------- LLOQ / ULOQ / LOD


def test_lowest_level_off_by_40_percent_moves_the_lloq_up():
    truth = SIMULATED[0]
    y = predict(truth, CONC)
    y[:2] = predict(truth, 1.4 * CONC[:2])
    table = level_recovery(truth, CONC, y)
    assert table["expected"].tolist() == LEVELS.tolist()
    assert table["recovery"].iloc[0] == pytest.approx(1.4, rel=1e-9)
    np.testing.assert_allclose(table["recovery"].iloc[1:], 1.0, rtol=1e-9)
    assert quantification_range(table) == (LEVELS[1], LEVELS[-1])


def test_edge_levels_get_the_wider_limit_and_inner_levels_the_narrow_one():
    def table(recovery, cv=0.05):
        n = len(recovery)
        return pd.DataFrame({"expected": LEVELS[:n], "recovery": recovery, "cv": [cv] * n})

    # 22% off passes at the lowest level (25%) but not inside the series (20%)
    assert quantification_range(table([1.22, 1.0, 1.0, 1.0, 1.0])) == (LEVELS[0], LEVELS[4])
    assert quantification_range(table([1.0, 1.22, 1.0, 1.0, 1.0])) == (LEVELS[2], LEVELS[4])
    assert quantification_range(table([1.0, 1.0, 1.0, 1.0, 0.78])) == (LEVELS[0], LEVELS[4])
    assert quantification_range(table([1.0, 1.0, 1.0, 1.0, 0.74])) == (LEVELS[0], LEVELS[3])
    # the longest contiguous run wins; on a tie the lower one
    assert quantification_range(table([1.0, 1.5, 1.0, 1.0, 1.5, 1.0])) == (LEVELS[2], LEVELS[3])
    assert quantification_range(table([1.0, 1.0, 1.5, 1.0, 1.0])) == (LEVELS[0], LEVELS[1])
    assert quantification_range(table([np.nan, 1.0, 1.0])) == (LEVELS[1], LEVELS[2])
    # replicate CV over the limit fails a level; a single replicate (NaN CV) does not
    assert np.isnan(quantification_range(table([1.0, 1.0], cv=0.3))).all()
    assert quantification_range(table([1.0, 1.0], cv=np.nan)) == (LEVELS[0], LEVELS[1])


def test_level_recovery_cv_is_the_sample_cv_of_the_replicate_signals():
    y = predict(SIMULATED[0], CONC) * np.tile([0.9, 1.1], 7)
    table = level_recovery(SIMULATED[0], CONC, y)
    # numpy: std(ddof=1) / mean of the pair [0.9 m, 1.1 m]
    assert table["cv"].to_numpy() == pytest.approx(np.full(7, np.std([0.9, 1.1], ddof=1)))
    assert table["n"].tolist() == [2] * 7


def test_lod_is_the_inverse_of_blank_mean_plus_k_sd():
    truth = SIMULATED[0]
    blanks = [40.0, 44.0, 48.0]
    # mean 44, sample SD 4: signal 56, read off the curve with a root finder (SciPy brentq)
    expected = brentq(lambda v: float(predict(truth, v)) - 56.0, 1e-6, 1e4, xtol=1e-14)
    assert limit_of_detection(truth, blanks, k=3.0) == pytest.approx(expected, rel=1e-9)
    assert math.isnan(limit_of_detection(truth, [40.0], k=3.0))
    assert math.isnan(limit_of_detection(truth, [1e6, 2e6], k=3.0))
    # a falling curve steps down from the blanks: mean 2.05, SD 0.05, signal 1.9
    falling = SIMULATED[3]
    expected = brentq(lambda v: float(predict(falling, v)) - 1.9, 1e-6, 1e4, xtol=1e-14)
    assert limit_of_detection(falling, [2.0, 2.05, 2.1]) == pytest.approx(expected, rel=1e-9)


# ----------------------------------------------------------------- plate level


def standards_frame(
    plate_id: str,
    analyte: str,
    conc: np.ndarray,
    signal: np.ndarray,
    extra: list[dict[str, Any]] | None = None,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = [
        {
            "plate_id": plate_id,
            "analyte": analyte,
            "analyte_raw": analyte,
            "well": f"{'ABCDEFGH'[i % 8]}{i // 8 + 1}",
            "role": "standard",
            "expected_conc": float(x),
            "signal": float(y),
        }
        for i, (x, y) in enumerate(zip(conc, signal, strict=True))
    ]
    for j, row in enumerate(extra or []):
        i = len(conc) + j
        base = {"plate_id": plate_id, "analyte": analyte, "analyte_raw": analyte}
        rows.append({**base, "well": f"{'ABCDEFGH'[i % 8]}{i // 8 + 1}", **row})
    return wells_frame(rows)


def test_plate_curves_one_row_per_plate_analyte_model_and_one_selected():
    frames = [
        standards_frame(plate, analyte, CONC, noisy(SIMULATED[k], seed=k))
        for k, (plate, analyte) in enumerate([("P2", "HGF"), ("P1", "IL8"), ("P1", "CCL2")])
    ]
    curves = fit_plate_curves(pd.concat(frames, ignore_index=True))
    tables.CURVES.validate(curves)
    keys = list(zip(curves["plate_id"], curves["analyte"], curves["model"], strict=True))
    assert keys == [
        ("P1", "CCL2", "4PL"),
        ("P1", "CCL2", "5PL"),
        ("P1", "IL8", "4PL"),
        ("P1", "IL8", "5PL"),
        ("P2", "HGF", "4PL"),
        ("P2", "HGF", "5PL"),
    ]
    assert curves.groupby(["plate_id", "analyte"])["selected"].sum().tolist() == [1, 1, 1]
    for _, group in curves.groupby(["plate_id", "analyte"]):
        clean = group[group["status"] == "converged"]
        # the lowest AIC, or one within 2 units of it (the recovery tie-breaker)
        assert group.loc[group["selected"], "aic"].item() <= clean["aic"].min() + 2.0
    assert (curves["weighting"] == "1/y^2").all()
    assert (curves["n_points"] + curves["n_excluded"] == CONC.size).all()


def test_plate_curves_exclusions_limits_and_lod():
    truth = SIMULATED[0]
    y = predict(truth, CONC) * np.tile([0.99, 1.01], 7)
    # the lowest level's duplicates disagree badly (CV 57%): it cannot be the LLOQ
    y[:2] = predict(truth, LEVELS[0]) * np.array([0.6, 1.4])
    blanks = [28.0, 31.0, 30.0, 33.0]
    extra = [
        {"role": "standard", "expected_conc": 0.0, "signal": 29.0},
        {"role": "standard", "expected_conc": LEVELS[3], "signal": 1e5, "flags": "low_beads"},
        {"role": "standard", "expected_conc": LEVELS[3], "signal": np.nan},
        {"role": "standard", "expected_conc": LEVELS[2], "signal": -3.0},
        *({"role": "blank", "signal": s} for s in blanks),
        {"role": "blank", "signal": 900.0, "flags": "low_beads"},
        {"role": "sample", "signal": 800.0, "sample_id": "S1"},
    ]
    wells = standards_frame("P1", "CCL2", CONC, y, extra)
    curves = fit_plate_curves(wells, CurveSettings.from_mapping({"selection": "4PL"}))
    row = curves.set_index("model").loc["4PL"]
    assert bool(row["selected"])
    assert not bool(curves.set_index("model").loc["5PL", "selected"])
    # ICH M10: the failing lowest level moves the LLOQ up; beyond the range it stays in
    # the fit (only a failing level inside the range is left out)
    assert row["n_points"] == CONC.size
    assert row["n_excluded"] == 4
    reasons = row["reasons"].split(";")
    assert "excluded standard well(s) G2: concentration <= 0 or missing" in reasons
    assert "excluded standard well(s) H2: low_beads" in reasons
    assert "excluded standard well(s) A3: no finite signal" in reasons
    assert "excluded standard well(s) B3: signal <= 0 under 1/y^2 weights" in reasons
    assert row["lloq"] == LEVELS[1]
    assert row["uloq"] == LEVELS[-1]
    params = row[["a", "b", "c", "d", "g"]].astype(float).to_dict()
    level = np.mean(blanks) + 3 * np.std(blanks, ddof=1)
    # SciPy: brentq root of the fitted curve at mean + 3 SD of the four usable blanks
    lod = brentq(lambda v: float(predict(params, v)) - level, 1e-9, LEVELS[-1], xtol=1e-14)
    assert row["lod"] == pytest.approx(lod, rel=1e-8)


def test_plate_curves_without_standards_or_blanks():
    wells = wells_frame(
        [
            {"well": "A1", "role": "sample", "signal": 100.0, "analyte": "HGF"},
            {"well": "A2", "role": "blank", "signal": 10.0, "analyte": "HGF"},
        ]
    )
    curves = fit_plate_curves(wells)
    assert curves["status"].tolist() == ["no_standards", "no_standards"]
    assert curves["selected"].sum() == 1
    assert not curves["converged"].any()
    assert curves[["a", "b", "c", "d", "g", "rss", "lloq", "lod"]].isna().all().all()
    assert (curves["n_points"] == 0).all() and (curves["n_excluded"] == 0).all()
    assert "LOD not estimated: 1 usable blank(s)" in curves["reasons"].iloc[0]


def test_plate_curves_with_too_few_levels_still_select_one_row():
    conc = np.repeat(LEVELS[:4], 2)
    wells = standards_frame("P1", "CCL2", conc, predict(SIMULATED[0], conc))
    curves = fit_plate_curves(wells)
    assert set(curves["status"]) == {"too_few_points"}
    assert curves["selected"].sum() == 1


def test_plate_curves_empty_input_and_bad_arguments():
    empty = tables.empty(tables.WELLS)
    out = fit_plate_curves(empty)
    assert out.empty and list(out.columns) == list(tables.CURVES.columns)
    wells = standards_frame("P1", "CCL2", CONC, predict(SIMULATED[0], CONC))
    with pytest.raises(ValueError, match="selection"):
        fit_plate_curves(
            wells, CurveSettings.from_mapping({"models": ("4PL",), "selection": "5PL"})
        )
    with pytest.raises(ValueError, match="models"):
        fit_plate_curves(wells, CurveSettings.from_mapping({"models": ("4PL", "6PL")}))


# -- what real files bring (tests/oddities.py) ---------------------------------------------

# The reason each plate x analyte without a usable curve gives, as the lab reads it.
NO_CURVE_REASONS = {
    "no_standards": "no standard wells for this analyte",
    "no_signal": "excluded standard well(s) A1,A2,A3,A4,A5,A6,A7,A8,A9,A10,A11,A12,A13,A14: "
    "no finite signal",
    "no_positive_signal": "excluded standard well(s) A1,A2,A3,A4,A5,A6,A7,A8,A9,A10,A11,A12,"
    "A13,A14: signal <= 0 under 1/y^2 weights",
    "single_well": "no standard wells for this analyte",
    "unassigned": "no standard wells: every well is unassigned (a plate map gives the wells "
    "their roles)",
}


@pytest.mark.parametrize("case", list(NO_CURVE_CASES))
def test_a_plate_without_a_usable_curve_gets_a_status_and_the_reason(case):
    curves = fit_plate_curves(odd_plate(case))
    assert len(curves) == 2 and curves["selected"].sum() == 1  # 5PL and 4PL rows
    assert set(curves["status"]) == {NO_CURVE_CASES[case]}
    assert all(NO_CURVE_REASONS[case] in reasons for reasons in curves["reasons"])
    assert not curves["converged"].any()
    assert curves[["a", "b", "c", "d", "g", "lloq", "uloq", "lod"]].isna().all().all()
    assert (curves["n_points"] == 0).all()


def test_a_plate_with_no_placed_wells_leaves_the_other_plates_fitted():
    wells = pd.concat([odd_plate("clean", "P1"), odd_plate("unassigned", "P2")])
    selected = selected_rows(fit_plate_curves(wells)).set_index("plate_id")
    assert selected["status"].to_dict() == {"P1": "converged", "P2": "no_standards"}
    # the clean plate's curve is the one it gets alone
    alone = selected_rows(fit_plate_curves(odd_plate("clean", "P1")))
    assert selected.loc["P1", "c"] == pytest.approx(alone["c"].iloc[0], rel=1e-12)


@pytest.mark.parametrize("name", list(ODD_NAMES.values()), ids=list(ODD_NAMES))
def test_odd_plate_and_analyte_names_are_kept_as_they_are(name):
    wells = renamed(odd_plate("clean"), plate_id=name, analyte=name)
    selected = selected_rows(fit_plate_curves(wells))
    assert selected[["plate_id", "analyte"]].values.tolist() == [[name, name]]
    assert selected["status"].tolist() == ["converged"]


def selected_rows(curves: pd.DataFrame) -> pd.DataFrame:
    return curves[curves["selected"]]


def test_a_standard_or_blank_with_a_bad_bead_count_is_left_out_with_the_reason():
    truth = SIMULATED[0]
    y = predict(truth, CONC) * np.tile([0.99, 1.01], 7)
    blanks = [{"role": "blank", "signal": s} for s in (28.0, 31.0, 30.0, 33.0)]
    bad = [
        {"role": "standard", "expected_conc": LEVELS[3], "signal": 1e5, "flags": "bad_bead_count"},
        {"role": "blank", "signal": 900.0, "flags": "bad_bead_count"},
    ]
    fitted = fit_plate_curves(
        standards_frame("P1", "CCL2", CONC, y, blanks + bad),
        CurveSettings.from_mapping({"selection": "4PL"}),
    )
    # Reference: the same plate without those two wells.
    clean = fit_plate_curves(
        standards_frame("P1", "CCL2", CONC, y, blanks),
        CurveSettings.from_mapping({"selection": "4PL"}),
    )
    row, reference = fitted.set_index("model").loc["4PL"], clean.set_index("model").loc["4PL"]
    assert row["n_excluded"] == 1
    assert "excluded standard well(s) C3: bad_bead_count" in row["reasons"].split(";")
    for column in ("a", "b", "c", "d", "lod", "lloq", "uloq"):
        assert row[column] == pytest.approx(reference[column], rel=1e-12), column
