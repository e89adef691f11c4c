"""The batch path, weightings, statuses, outlier masking and curve uncertainty."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares

from assaypipe import tables
from assaypipe.curves import (
    BatchFit,
    fit_curve,
    fit_curves,
    fit_plate_curves,
    inverse,
    predict,
)
from assaypipe.curves.fit import POINT_BROKEN_SERIES, POINT_HOOK, POINT_OUTLIER, POINT_USED
from assaypipe.readers.standards import implausible_levels
from assaypipe.settings import CurveSettings
from tests.unit.test_curves import CONC, LEVELS, SIMULATED, noisy, standards_frame

TRUTH = SIMULATED[0]


def curve_set(n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Curves of different lengths and shapes: 5 to 8 levels, duplicates, one lost well."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        levels = 20000.0 / 3.0 ** np.arange(5 + i % 4)[::-1]
        conc = np.repeat(levels, 2)[: 2 * levels.size - (i % 2)]
        params = SIMULATED[i % len(SIMULATED)]
        y = predict(params, conc) * (1.0 + 0.04 * rng.standard_normal(conc.size))
        out.append((conc, y))
    return out


# ------------------------------------------------------------------ batch = single


@pytest.mark.parametrize("model", ["4PL", "5PL"])
@pytest.mark.parametrize("weighting", ["1/y^2", "none", "1/yhat^2"])
def test_batch_gives_each_curve_what_fit_curve_gives_it(model, weighting):
    curves = curve_set(12, seed=3)
    batch = fit_curves([c for c, _ in curves], [y for _, y in curves], model, weighting)
    assert isinstance(batch, BatchFit) and len(batch) == 12
    for i, (conc, y) in enumerate(curves):
        single = fit_curve(conc, y, model=model, weighting=weighting)
        got = batch.curve(i)
        assert got.status == single.status
        assert got.n_points == single.n_points
        # Each curve ends on the same bits in a batch as alone (fit_curves fits the
        # curves of each width together, and nothing a curve's steps compute depends
        # on the other rows).
        assert got.status == single.status and got.reasons == single.reasons
        assert got.rss == single.rss or (math.isnan(got.rss) and math.isnan(single.rss))
        assert got.params == single.params or not math.isfinite(single.rss)
        assert np.array_equal(got.vcov, single.vcov, equal_nan=True)


def test_a_nan_padded_matrix_is_the_same_as_a_list_of_curves():
    curves = curve_set(6, seed=4)
    width = max(c.size for c, _ in curves)
    conc = np.full((6, width), np.nan)
    signal = np.full((6, width), np.nan)
    for i, (c, y) in enumerate(curves):
        conc[i, : c.size], signal[i, : y.size] = c, y
    from_list = fit_curves([c for c, _ in curves], [y for _, y in curves], "4PL")
    from_matrix = fit_curves(conc, signal, "4PL")
    np.testing.assert_allclose(from_matrix.params, from_list.params, rtol=1e-12)
    # in a matrix the padding is a point without a concentration, reported as such
    assert from_matrix.n_points.tolist() == from_list.n_points.tolist()


def test_mismatched_shapes_and_unknown_options_are_programming_errors():
    with pytest.raises(ValueError, match="shape"):
        fit_curves([CONC], [CONC[:-1]], "4PL")
    with pytest.raises(ValueError, match="outliers"):
        fit_curves([CONC], [CONC], "4PL", outliers="grubbs")


# ------------------------------------------------------------------------- weights


def test_fitted_value_weights_are_a_fixed_point_of_reweighting():
    y = noisy(TRUTH, seed=21)
    fit = fit_curve(CONC, y, model="4PL", weighting="1/yhat^2")
    assert fit.status == "converged" and fit.weight_power == 1.0
    frozen = 1.0 / fit.predict(CONC)
    # SciPy: least_squares with the weights frozen at 1/yhat^2 of our solution, started
    # there, must not find a lower objective: our parameters minimise it.
    start = np.array([fit.params["a"], fit.params["b"], math.log(fit.params["c"]), fit.params["d"]])

    def residuals(p: np.ndarray) -> np.ndarray:
        params = {"a": p[0], "b": p[1], "c": math.exp(p[2]), "d": p[3]}
        return frozen * (y - predict(params, CONC))

    other = least_squares(residuals, start, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    assert fit.rss == pytest.approx(float(np.sum(residuals(start) ** 2)), rel=1e-9)
    assert float(np.sum(other.fun**2)) >= fit.rss * (1 - 1e-8)
    # and the observed-signal weights give a different fit
    assert fit_curve(CONC, y, model="4PL", weighting="1/y^2").rss != pytest.approx(fit.rss)


def test_power_of_the_mean_is_estimated_from_replicates():
    rng = np.random.default_rng(5)
    conc = np.repeat(LEVELS, 6)
    mean = predict(TRUTH, conc)
    # SD = 0.05 * mean**0.7: the power of the mean variance function is 0.7
    y = mean + 0.05 * mean**0.7 * rng.standard_normal(conc.size)
    fit = fit_curve(conc, y, model="4PL", weighting="power")
    assert fit.weight_power == pytest.approx(0.7, abs=0.1)
    assert fit.status == "converged"
    # numpy: the slope of log SD on log mean of the levels, as the fit estimates it
    levels = pd.DataFrame({"x": conc, "y": y}).groupby("x")["y"].agg(["mean", "std"])
    slope = np.polyfit(np.log(levels["mean"]), np.log(levels["std"]), 1)[0]
    assert fit.weight_power == pytest.approx(slope, rel=1e-9)


def test_power_without_replicates_falls_back_with_a_reason():
    fit = fit_curve(LEVELS, predict(TRUTH, LEVELS) * 1.01, model="4PL", weighting="power")
    assert fit.weight_power == 1.0
    assert any("power of the mean not estimable" in r for r in fit.reasons)


# ------------------------------------------------------------------------ statuses


def test_a_hook_at_the_top_is_left_out_and_reported():
    conc = np.repeat(np.append(LEVELS, 40000.0), 2)
    y = predict(TRUTH, conc) * np.tile([0.99, 1.01], conc.size // 2)
    y[-2:] *= 0.6  # the highest standard reads 40% low: a prozone hook
    batch = fit_curves([conc], [y], "4PL")
    fit = batch.curve(0)
    assert fit.status == "hook"
    assert any(r.startswith("hook: the mean signal falls") for r in fit.reasons)
    assert (batch.point_code[0, -2:] == POINT_HOOK).all()
    assert fit.n_points == conc.size - 2
    assert fit.params["c"] == pytest.approx(TRUTH["c"], rel=0.05)


def test_an_end_level_off_the_dilution_series_is_left_out_and_reported():
    conc = CONC.copy()
    conc[-2:] = CONC[-2:] * 1000.0  # a lost decimal point at the top
    y = predict(TRUTH, CONC) * np.tile([0.99, 1.01], 7)
    batch = fit_curves([conc], [y], "4PL")
    fit = batch.curve(0)
    assert fit.status == "broken_dilution_series"
    assert (batch.point_code[0, -2:] == POINT_BROKEN_SERIES).all()
    assert fit.params["c"] == pytest.approx(TRUTH["c"], rel=0.05)


def test_a_reversal_in_the_middle_is_reported_as_non_monotonic():
    y = predict(TRUTH, CONC) * np.tile([0.99, 1.01], 7)
    y[6:8], y[8:10] = y[8:10].copy(), y[6:8].copy()  # levels 4 and 5 swapped
    fit = fit_curve(CONC, y, model="4PL")
    assert fit.status == "non_monotonic"
    assert any(r.startswith("non-monotonic") for r in fit.reasons)
    assert fit.converged


def test_a_5pl_whose_asymmetry_runs_off_says_so():
    # A curve without a plateau at either end: its 5PL runs g off along a ridge.
    x = np.repeat(LEVELS, 2)
    y = 50.0 * (x / 10.0) ** 0.6 * np.tile([0.98, 1.02], 7)
    fit = fit_curve(x, y, model="5PL")
    assert fit.status in {"non_identifiable_asymmetry", "parameter_at_bound"}
    assert fit.converged
    assert fit.reasons != ()


# ------------------------------------------------------------------------ outliers


def outlier_curve() -> tuple[np.ndarray, np.ndarray]:
    conc = np.repeat(LEVELS, 3)
    rng = np.random.default_rng(9)
    y = predict(TRUTH, conc) * (1.0 + 0.02 * rng.standard_normal(conc.size))
    return conc, y


def test_an_outlying_standard_is_masked_with_its_reason():
    conc, y = outlier_curve()
    y[10] *= 1.8  # one replicate of the fourth level
    plain = fit_curves([conc], [y], "4PL")
    masked = fit_curves([conc], [y], "4PL", outliers="studentized", outlier_limit=4.0)
    assert plain.point_code[0, 10] == POINT_USED
    assert masked.point_code[0, 10] == POINT_OUTLIER
    assert (masked.point_code[0, np.arange(conc.size) != 10] == POINT_USED).all()
    fit = masked.curve(0)
    assert any(r.startswith(f"masked outlier at {conc[10]:.4g}") for r in fit.reasons)
    assert "1 point(s) masked as outliers" in fit.reasons
    assert fit.rss < plain.curve(0).rss
    assert abs(fit.params["c"] / TRUTH["c"] - 1) < abs(plain.curve(0).params["c"] / TRUTH["c"] - 1)


def test_lowest_and_highest_levels_are_kept_unless_config_says_otherwise():
    conc, y = outlier_curve()
    y[0] *= 2.0  # a replicate of the lowest level: the LLOQ calibrator
    kept = fit_curves([conc], [y], "4PL", outliers="studentized")
    assert kept.point_code[0, 0] == POINT_USED
    masked = fit_curves([conc], [y], "4PL", outliers="studentized", mask_edge_levels=True)
    assert masked.point_code[0, 0] == POINT_OUTLIER


# ---------------------------------------------------------------------- covariance


def test_covariance_matches_the_spread_of_refits_monte_carlo():
    # numpy Monte Carlo: 400 noisy copies of one design, fitted in one batch; the
    # delta-method variance of log c and of the concentration read at one signal must
    # match the spread of the fitted values.
    rng = np.random.default_rng(11)
    conc = np.tile(np.repeat(LEVELS, 2), (400, 1))
    y = predict(TRUTH, conc) * (1.0 + 0.05 * rng.standard_normal(conc.shape))
    fits = fit_curves(conc, y, "4PL")
    ok = np.array([s == "converged" for s in fits.status])
    assert ok.mean() > 0.95
    log_c = np.log(fits.params[ok, 2])
    predicted_var = np.median(fits.vcov[ok, 2, 2] / fits.params[ok, 2] ** 2)
    assert np.var(log_c, ddof=1) / predicted_var == pytest.approx(1.0, abs=0.25)
    signal = float(predict(TRUTH, 300.0))
    read = np.array(
        [float(inverse(dict(zip("abcdg", p, strict=True)), signal)) for p in fits.params[ok]]
    )
    from assaypipe.curves import log_conc_se

    curve_only = np.median(
        [
            float(log_conc_se(dict(zip("abcdg", p, strict=True)), v, signal, 0.0, 1.0)[0])
            for p, v in zip(fits.params[ok], fits.vcov[ok], strict=True)
        ]
    )
    assert np.std(np.log(read), ddof=1) / curve_only == pytest.approx(1.0, abs=0.15)


def test_vcov_is_symmetric_and_4pl_has_no_asymmetry_variance():
    fit = fit_curve(CONC, noisy(TRUTH, seed=2), model="4PL")
    np.testing.assert_allclose(fit.vcov, fit.vcov.T, rtol=1e-12)
    assert (fit.vcov[4] == 0).all() and (fit.vcov[:, 4] == 0).all()
    assert (np.diag(fit.vcov)[:4] > 0).all()


# ---------------------------------------------------------------------- plate level


def test_plate_curves_carry_the_new_columns_and_settings():
    blanks = [{"role": "blank", "signal": s} for s in (28.0, 31.0, 30.0, 33.0, 29.0)]
    wells = standards_frame("P1", "CCL2", CONC, noisy(TRUTH, seed=3), blanks)
    curves = fit_plate_curves(
        wells,
        CurveSettings.from_mapping(
            {
                "limits": "both",
                "lod_method": "ep17",
                "extrapolation": "standards",
                "profile_cv": 0.15,
                "min_passing_levels": 5,
            }
        ),
    )
    tables.CURVES.validate(curves)
    row = curves.set_index("model").loc["4PL"]
    assert len(row["vcov"]) == 25
    assert row["std_low"] == LEVELS[0] and row["std_high"] == LEVELS[-1]
    assert row["weight_power"] == 1.0
    assert row["extrapolation"] == "standards"
    assert row["lloq_profile"] < row["uloq_profile"]
    # "both": the range meeting the recovery limits and the precision profile
    assert row["lloq"] >= row["lloq_profile"] and row["uloq"] <= row["uloq_profile"]
    assert row["lob"] < row["lod"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("limits", "strict"),
        ("lod_method", "iupac"),
        ("extrapolation", "all"),
        ("outliers", "dixon"),
    ],
)
def test_plate_settings_are_checked(key, value):
    wells = standards_frame("P1", "CCL2", CONC, noisy(TRUTH, seed=3))
    with pytest.raises(ValueError, match=key):
        fit_plate_curves(wells, CurveSettings.from_mapping({key: value}))


def test_reader_flagged_standards_are_left_out_with_a_reason():
    y = noisy(TRUTH, seed=4)
    wells = standards_frame("P1", "CCL2", CONC, y)
    wells.loc[3, "flags"] = "broken_dilution_series;implausible_expected_conc"
    # longest_run leaves no failing standard out, so only the flagged well is missing
    row = (
        fit_plate_curves(
            wells, CurveSettings.from_mapping({"selection": "4PL", "limits": "longest_run"})
        )
        .set_index("model")
        .loc["4PL"]
    )
    assert row["n_points"] == CONC.size - 1 and row["n_excluded"] == 1
    assert f"excluded standard well(s) {wells.loc[3, 'well']}: implausible_expected_conc" in (
        row["reasons"].split(";")
    )


@pytest.mark.parametrize(
    "levels",
    [
        [10000.0, 2500.0, 625.0, 156.25, 39.0625, 1.953125],  # the last step 20x in a 1:4 series
        [10000.0 * 1000, 2500.0, 625.0, 156.25, 39.0625, 9.765625],  # a top level 1000x
        [10000.0, 2500.0, 625.0, 156.25, 39.0625, 9.765625],  # a clean 1:4 series
    ],
)
def test_the_fit_and_the_reader_leave_out_the_same_levels(levels):
    # One rule (curves.series): the reader's implausible levels, by level number, are the
    # levels the fit leaves out, by concentration.
    conc = np.repeat(levels, 2)
    y = predict(TRUTH, np.repeat(10000.0 / 4.0 ** np.arange(6), 2)) * np.tile([0.99, 1.01], 6)
    batch = fit_curves([conc], [y], "4PL")
    left_out = set(conc[batch.point_code[0] == POINT_BROKEN_SERIES].tolist())
    positions = implausible_levels(np.arange(1.0, 7.0), np.array(levels))
    assert left_out == {levels[p] for p in positions}
    assert (batch.curve(0).status == "broken_dilution_series") == bool(positions)


def test_a_zero_dose_is_no_step_of_the_dilution_series():
    # With zero_dose the zero standard is fitted as the zero-dose response; the series
    # checks start after it (log of 0 is no step: it was once taken as a level off).
    conc = np.repeat(np.r_[0.0, LEVELS], 2)
    y = predict(TRUTH, np.r_[np.full(2, 1e-9), CONC]) * np.tile([0.99, 1.01], 8)
    batch = fit_curves([conc], [y], "4PL", zero_dose=True)
    assert batch.status == ("converged",)
    assert (batch.point_code[0] == POINT_USED).all()
    conc[-2:] *= 1000.0  # a lost decimal point at the top is still found
    batch = fit_curves([conc], [y], "4PL", zero_dose=True)
    assert batch.status == ("broken_dilution_series",)
    assert (batch.point_code[0, -2:] == POINT_BROKEN_SERIES).all()
    assert (batch.point_code[0, :-2] == POINT_USED).all()
