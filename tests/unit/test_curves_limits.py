"""Uncertainty of interpolated concentrations, the precision profile, EP17 limits, and the
extrapolation policy applied by interpolation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.optimize import brentq

from assaypipe.curves import (
    ep17_limits,
    fit_curve,
    fit_plate_curves,
    ich_m10_range,
    inverse,
    inverse_interval,
    inverse_log_gradient,
    log_conc_se,
    precision_profile_range,
    predict,
)
from assaypipe.interpolate import interpolate_wells
from assaypipe.settings import CurveSettings
from assaypipe.simulate import LUMINEX_4PLEX, LUMINEX_SIGMA
from tests.conftest import wells_frame
from tests.unit.test_curves import CONC, LEVELS, SIMULATED, noisy, standards_frame

FIVE = SIMULATED[1]
FALLING = SIMULATED[3]


@pytest.mark.parametrize("params", [FIVE, FALLING])
def test_inverse_gradient_matches_finite_differences(params):
    signal = predict(params, np.array([20.0, 300.0, 3000.0]))
    grad, dy = inverse_log_gradient(params, signal)
    # numpy: central differences of log(inverse) in each parameter and in the signal
    for j, name in enumerate("abcdg"):
        step = 1e-6 * max(abs(params[name]), 1e-3)
        up, down = dict(params), dict(params)
        up[name] += step
        down[name] -= step
        numeric = (np.log(inverse(up, signal)) - np.log(inverse(down, signal))) / (2 * step)
        np.testing.assert_allclose(grad[:, j], numeric, rtol=1e-5, atol=1e-12, err_msg=name)
    h = 1e-6 * np.abs(signal)
    numeric = (np.log(inverse(params, signal + h)) - np.log(inverse(params, signal - h))) / (2 * h)
    np.testing.assert_allclose(dy, numeric, rtol=1e-5)


def test_interval_is_the_delta_method_on_log_concentration():
    fit = fit_curve(CONC, noisy(FIVE, seed=5), model="5PL")
    signal = fit.predict(np.array([10.0, 500.0]))
    df = fit.n_points - 5
    x, se, low, high = inverse_interval(
        fit.params, fit.vcov, signal, fit.sigma2, fit.weight_power, df
    )
    grad, dy = inverse_log_gradient(fit.params, signal)
    # numpy: grad' V grad + (dlogx/dy)^2 sigma^2 y^2, by hand
    var = np.einsum("ni,ij,nj->n", grad, fit.vcov, grad) + dy**2 * fit.sigma2 * signal**2
    np.testing.assert_allclose(se, x * np.sqrt(var), rtol=1e-10)
    t = stats.t.ppf(0.975, df)  # SciPy: Student t quantile
    np.testing.assert_allclose(low, x * np.exp(-t * np.sqrt(var)), rtol=1e-10)
    np.testing.assert_allclose(high, x * np.exp(t * np.sqrt(var)), rtol=1e-10)
    assert np.all(low < x) and np.all(x < high)


def test_no_degrees_of_freedom_no_interval():
    fit = fit_curve(CONC, noisy(FIVE, seed=5), model="5PL")
    x, se, low, high = inverse_interval(fit.params, fit.vcov, [500.0], fit.sigma2, 1.0, 0)
    assert math.isfinite(x[0]) and np.isnan([se[0], low[0], high[0]]).all()


def test_precision_profile_limits_are_where_the_cv_reaches_the_limit():
    fit = fit_curve(CONC, noisy(SIMULATED[0], seed=8), model="4PL")

    def cv(x: float) -> float:
        return float(log_conc_se(fit.params, fit.vcov, predict(fit.params, x), fit.sigma2, 1.0)[0])

    low, high = precision_profile_range(
        fit.params, fit.vcov, fit.sigma2, 1.0, LEVELS[0], LEVELS[-1], cv_limit=0.2
    )
    assert LEVELS[0] <= low < high <= LEVELS[-1]
    # SciPy: brentq on CV(x) - 0.2 brackets each end the profile found
    if low > LEVELS[0]:
        assert low == pytest.approx(brentq(lambda v: cv(v) - 0.2, LEVELS[0], 300.0), rel=1e-3)
    if high < LEVELS[-1]:
        assert high == pytest.approx(brentq(lambda v: cv(v) - 0.2, 300.0, LEVELS[-1]), rel=1e-3)
    inside = np.geomspace(low * 1.01, high / 1.01, 20)
    assert max(cv(v) for v in inside) <= 0.2
    strict = precision_profile_range(
        fit.params, fit.vcov, fit.sigma2, 1.0, LEVELS[0], LEVELS[-1], cv_limit=0.1
    )
    assert strict[0] >= low and strict[1] <= high


def test_ep17_limit_of_blank_and_detection():
    params = SIMULATED[0]
    blanks = np.array([28.0, 31.0, 30.0, 33.0, 29.0, 30.5])
    low = np.array([60.0, 64.0, 58.0, 66.0])
    lob, lod = ep17_limits(params, blanks, low)
    # CLSI EP17-A2 by hand: LoB = mean_B + 1.645 SD_B; LoD = LoB + c SD_L with
    # c = 1.645 / (1 - 1 / (4 (L - J))), one low sample (J = 1) of L = 4 replicates;
    # each signal read off the curve with SciPy's brentq.
    z = stats.norm.ppf(0.95)
    lob_signal = blanks.mean() + z * blanks.std(ddof=1)
    c = z / (1 - 1 / (4 * (low.size - 1)))
    lod_signal = lob_signal + c * low.std(ddof=1)
    root = lambda s: brentq(lambda v: float(predict(params, v)) - s, 1e-9, 1e4, xtol=1e-14)  # noqa: E731
    assert lob == pytest.approx(root(lob_signal), rel=1e-8)
    assert lod == pytest.approx(root(lod_signal), rel=1e-8)
    assert math.isnan(ep17_limits(params, blanks[:1], low)[0])
    assert math.isnan(ep17_limits(params, blanks, low[:1])[1])


# -------------------------------------------------------------------- interpolation


def plate_with_samples(extrapolation: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = SIMULATED[0]
    extra = [{"role": "blank", "signal": s} for s in (28.0, 31.0, 30.0, 33.0)]
    standards = standards_frame("P1", "CCL2", CONC, noisy(truth, seed=12), extra)
    samples = wells_frame(
        [
            {"well": f"H{i + 1}", "signal": float(predict(truth, conc)), "dilution": 2.0}
            for i, conc in enumerate([1.0, 50.0, 500.0, 14000.0])
        ]
    )
    wells = pd.concat([standards, samples], ignore_index=True)
    # Under ich_m10 this curve (its top level 69% recovered) has five passing levels,
    # one short of a range: the unbroken run of passing levels gives it one.
    curves = fit_plate_curves(
        wells,
        CurveSettings.from_mapping(
            {"selection": "4PL", "extrapolation": extrapolation, "limits": "longest_run"}
        ),
    )
    return wells, curves


def test_interpolated_wells_carry_a_delta_method_interval():
    wells, curves = plate_with_samples("keep")
    out = interpolate_wells(wells, curves)
    row = curves[curves["selected"]].iloc[0]
    params = row[["a", "b", "c", "d", "g"]].astype(float).to_dict()
    vcov = np.asarray(row["vcov"], dtype=float).reshape(5, 5)
    samples = out[out["role"] == "sample"]
    signal = samples["signal"].to_numpy(dtype=float)
    df = int(row["n_points"]) - 4
    x, se, low, high = inverse_interval(
        params, vcov, signal, float(row["rss"]) / df, float(row["weight_power"]), df
    )
    np.testing.assert_allclose(samples["concentration"], 2.0 * x, rtol=1e-12)
    np.testing.assert_allclose(samples["conc_se"], 2.0 * se, rtol=1e-12)
    np.testing.assert_allclose(samples["conc_ci_low"], 2.0 * low, rtol=1e-12)
    np.testing.assert_allclose(samples["conc_ci_high"], 2.0 * high, rtol=1e-12)
    assert list(out.columns[out.columns.get_loc("concentration") :][:4]) == [
        "concentration",
        "conc_se",
        "conc_ci_low",
        "conc_ci_high",
    ]
    # the relative uncertainty is smallest mid-curve
    relative = (samples["conc_se"] / samples["concentration"]).to_numpy()
    assert relative[2] < relative[0] and relative[2] < relative[3]


@pytest.mark.parametrize(
    ("policy", "reported"),
    [
        ("keep", [True, True, True, True]),
        ("standards", [False, True, True, False]),
    ],
)
def test_extrapolation_policy_decides_which_values_are_reported(policy, reported):
    wells, curves = plate_with_samples(policy)
    out = interpolate_wells(wells, curves)
    samples = out[out["role"] == "sample"]
    assert samples["concentration"].notna().tolist() == reported
    assert samples["conc_se"].notna().tolist() == reported
    # the censor label is set whether or not the value is reported
    assert samples["censor"].iloc[0] in {"<LLOQ", "<LOD"}
    assert samples["censor"].iloc[3] == ">ULOQ"


def test_extrapolation_none_reports_only_within_the_quantification_range():
    wells, curves = plate_with_samples("none")
    out = interpolate_wells(wells, curves)
    row = curves[curves["selected"]].iloc[0]
    in_well = out["concentration"] / out["dilution"]
    reported = in_well.dropna()
    assert ((reported >= row["lloq"]) & (reported <= row["uloq"])).all()
    assert out.loc[out["censor"].notna() & (out["role"] == "sample"), "concentration"].isna().all()


# ------------------------------------------------------------ ICH M10 standard limits

# CCL2-like: the top standard well below the upper asymptote.
CCL2 = {"a": 20.0, "b": 1.0, "c": 2000.0, "d": 30000.0, "g": 1.0}


def duplicates(spread: dict[int, float]) -> np.ndarray:
    """Duplicate signals on the CCL2 curve, +-1% apart, +-``spread[level]`` at a level."""
    factor = np.tile([0.99, 1.01], LEVELS.size)
    for level, half in spread.items():
        factor[2 * level : 2 * level + 2] = [1 - half, 1 + half]
    return predict(CCL2, CONC) * factor


def levels_table(recovery: list[float], cv: float = 0.05) -> pd.DataFrame:
    n = len(recovery)
    return pd.DataFrame({"expected": 2.0 ** np.arange(n), "recovery": recovery, "cv": [cv] * n})


def test_an_interior_standard_with_a_high_cv_does_not_narrow_the_range():
    # With the simulator's noise doubled, one interior CCL2 standard had a duplicate CV
    # of 20.6% while all seven were within 14% recovery: the range must stay 2.4-10,000.
    # Duplicates (1 - h, 1 + h) have CV h * sqrt(2): h = 0.206 / sqrt(2).
    wells = standards_frame("P1", "CCL2", CONC, duplicates({3: 0.206 / math.sqrt(2)}))
    curves = fit_plate_curves(wells, CurveSettings.from_mapping({"selection": "4PL"})).set_index(
        "model"
    )
    row = curves.loc["4PL"]
    assert (row["lloq"], row["uloq"]) == (LEVELS[0], LEVELS[-1])
    # the failing level is left out of the fit, with its reason, like any excluded well
    assert row["n_points"] == CONC.size - 2 and row["n_excluded"] == 2
    dropped = [r for r in row["reasons"].split(";") if r.startswith("excluded standard")]
    assert dropped == [
        "excluded standard well(s) G1,H1: outside the standard limits: "
        "replicate CV 20.6% (limit 20%)"
    ]
    # the former rule, the longest unbroken run of passing levels (the lower on a tie),
    # ends the range below the failing level: every sample above 39 pg/mL was >ULOQ
    old = fit_plate_curves(
        wells, CurveSettings.from_mapping({"selection": "4PL", "limits": "longest_run"})
    ).set_index("model")
    assert (old.loc["4PL", "lloq"], old.loc["4PL", "uloq"]) == (LEVELS[0], LEVELS[2])
    assert old.loc["4PL", "n_points"] == CONC.size


def test_the_simulators_ccl2_with_doubled_noise_keeps_its_range():
    # The simulator's CCL2 standards (nominal curve, 7 levels 4-fold from 10,000 pg/mL,
    # duplicates) with twice its Luminex noise; seed 11 of numpy's default generator
    # gives the 625 pg/mL duplicates a CV of 21.8%, every other level below 20%.
    ccl2 = LUMINEX_4PLEX[0]
    levels = np.sort(ccl2.standards())
    conc = np.repeat(levels, 2)
    rng = np.random.default_rng(11)
    signal = predict(dict(zip("abcdg", ccl2.nominal, strict=True)), conc) * np.exp(
        rng.normal(0.0, 2 * LUMINEX_SIGMA, conc.size)
    )
    pairs = signal.reshape(-1, 2)
    cv = pairs.std(axis=1, ddof=1) / pairs.mean(axis=1)
    assert np.flatnonzero(cv > 0.2).tolist() == [4] and cv[4] == pytest.approx(0.218, abs=5e-4)
    wells = standards_frame("P1", "CCL2", conc, signal)
    new = fit_plate_curves(wells).query("selected").iloc[0]
    old = (
        fit_plate_curves(wells, CurveSettings.from_mapping({"limits": "longest_run"}))
        .query("selected")
        .iloc[0]
    )
    assert (new["lloq"], new["uloq"]) == (levels[0], levels[-1])
    assert "excluded standard well(s) A2,B2: outside the standard limits" in new["reasons"]
    # the former rule: the longest unbroken run ends below the noisy level
    assert (old["lloq"], old["uloq"]) == (levels[0], levels[3])


def test_a_failing_lowest_standard_raises_the_lloq_to_the_next_passing_one():
    # the lowest level is judged at the edge limit (25%), the next one too once it is
    # the LLOQ: 22% off passes there although it would fail inside the range (20%)
    verdict = ich_m10_range(levels_table([1.4, 1.22, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9]))
    assert (verdict.lloq, verdict.uloq) == (2.0, 128.0)
    assert [level for level, _ in verdict.failing] == [1.0]
    assert verdict.failing[0][1] == "outside the standard limits: recovery 140% (limits 75-125%)"
    verdict = ich_m10_range(levels_table([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.7]))
    assert (verdict.lloq, verdict.uloq) == (1.0, 32.0)
    # through the plate: the lowest level's duplicates 50% apart
    wells = standards_frame("P1", "CCL2", CONC, duplicates({0: 0.5}))
    row = (
        fit_plate_curves(wells, CurveSettings.from_mapping({"selection": "4PL"}))
        .set_index("model")
        .loc["4PL"]
    )
    assert (row["lloq"], row["uloq"]) == (LEVELS[1], LEVELS[-1])
    # beyond the range it stays in the fit, as an anchor point would
    assert row["n_excluded"] == 0
    assert "outside the standard limits" not in row["reasons"]


def test_the_share_of_passing_standards_between_the_limits():
    # 6 of 8 levels from LLOQ to ULOQ pass: 75%, a range
    verdict = ich_m10_range(levels_table([1.0, 1.3, 1.3, 1.0, 1.0, 1.0, 1.0, 1.0]))
    assert (verdict.lloq, verdict.uloq) == (1.0, 128.0)
    assert (verdict.n_passing, verdict.n_between) == (6, 8)
    # 6 of 9: 67%, no range, and the reason says so
    verdict = ich_m10_range(levels_table([1.0, 1.3, 1.3, 1.3, 1.0, 1.0, 1.0, 1.0, 1.0]))
    assert math.isnan(verdict.lloq) and math.isnan(verdict.uloq)
    assert verdict.reason == (
        "6 of 9 standard levels from 1 to 256 pass; at least 75% and 6 levels must"
    )
    # the share is a setting; so is the count of levels (5 of 5 passing is too few)
    assert ich_m10_range(levels_table([1.0, 1.3, 1.3, 1.3] + [1.0] * 5), min_share=0.6).lloq == 1
    assert math.isnan(ich_m10_range(levels_table([1.0] * 5)).lloq)
    assert ich_m10_range(levels_table([1.0] * 5), min_levels=5).uloq == 16.0
    # a CV above the limit fails a level, a missing CV (one replicate) does not
    assert math.isnan(ich_m10_range(levels_table([1.0] * 7, cv=0.25)).lloq)
    assert ich_m10_range(levels_table([1.0] * 7, cv=math.nan)).uloq == 64.0


def test_a_curve_whose_standards_miss_the_share_has_no_range_and_keeps_its_points():
    # three of seven levels 40% off: 4 of 7 pass
    signal = predict(CCL2, CONC * np.repeat([1.0, 1.4, 1.0, 1.4, 1.0, 1.4, 1.0], 2))
    wells = standards_frame("P1", "CCL2", CONC, signal)
    row = (
        fit_plate_curves(wells, CurveSettings.from_mapping({"selection": "4PL"}))
        .set_index("model")
        .loc["4PL"]
    )
    assert math.isnan(row["lloq"]) and math.isnan(row["uloq"])
    assert row["n_excluded"] == 0
    assert "no standard range meets the ich_m10 limits: " in row["reasons"]


def test_anchor_points_are_fitted_but_never_judged():
    # the lowest level is an anchor below the range with duplicates 50% apart (CV 71%):
    # it neither fails nor is the LLOQ, and it stays in the fit
    wells = standards_frame("P1", "CCL2", CONC, duplicates({0: 0.5}))
    row = (
        fit_plate_curves(wells, CurveSettings.from_mapping({"selection": "4PL", "anchors_low": 1}))
        .set_index("model")
        .loc["4PL"]
    )
    assert (row["lloq"], row["uloq"]) == (LEVELS[1], LEVELS[-1])
    assert row["n_points"] == CONC.size and row["n_excluded"] == 0
    # judged, the same level fails all the same: beyond the range it stays in the fit
    plain = (
        fit_plate_curves(wells, CurveSettings.from_mapping({"selection": "4PL"}))
        .set_index("model")
        .loc["4PL"]
    )
    assert plain["n_excluded"] == 0 and plain["lloq"] == LEVELS[1]
    # a passing anchor is no limit either
    clean = standards_frame("P1", "CCL2", CONC, duplicates({}))
    both = fit_plate_curves(
        clean, CurveSettings.from_mapping({"selection": "4PL", "anchors_low": 1, "anchors_high": 1})
    )
    assert both["lloq"].isna().all()
    assert "5 of 5 standard levels from 9.766 to 2500 pass" in both["reasons"].iloc[0]
    both = fit_plate_curves(
        clean,
        CurveSettings.from_mapping(
            {"selection": "4PL", "anchors_low": 1, "anchors_high": 1, "min_passing_levels": 5}
        ),
    )
    assert both.set_index("model").loc["4PL", ["lloq", "uloq"]].tolist() == [
        LEVELS[1],
        LEVELS[-2],
    ]
