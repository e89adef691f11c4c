"""curves.weights: the square roots of the weights and the power of the mean, against
scipy.stats.linregress and the weights written out."""

import numpy as np
import pytest
from scipy import stats

from assaypipe.curves.levels import levels_of
from assaypipe.curves.weights import POWER_RANGE, WEIGHTINGS, estimate_power, sqrt_weights


def test_observed_weights_are_one_over_the_signal_to_the_power():
    y = np.array([[2.0, 4.0, 8.0]])
    used = np.array([[True, True, False]])
    # 1/y^2: w = 1 / y^2, sqrt(w) = 1 / y; the unused point weighs nothing
    got = sqrt_weights("observed", np.array([1.0]), y, None, used)
    assert np.allclose(got, [[0.5, 0.25, 0.0]])
    # 1/y: sqrt(w) = y^-0.5
    got = sqrt_weights("observed", np.array([0.5]), y, None, used)
    assert np.allclose(got, [[2.0**-0.5, 0.5, 0.0]])
    assert WEIGHTINGS["1/y^2"] == ("observed", 1.0) and WEIGHTINGS["power"][1] is None


def test_fitted_weights_use_the_fitted_values_with_a_floor():
    y = np.array([[10.0, 100.0, 1000.0]])
    yhat = np.array([[20.0, 0.0, 500.0]])
    used = np.ones((1, 3), dtype=bool)
    got = sqrt_weights("fitted", np.array([1.0]), y, yhat, used)
    floor = 1e-6 * 1000.0  # a fitted value of 0 weighs as 1e-6 of the largest signal
    assert got[0] == pytest.approx([1 / 20.0, 1 / floor, 1 / 500.0])


def test_power_is_the_slope_of_log_sd_on_log_mean():
    rng = np.random.default_rng(3)
    conc = np.repeat([1.0, 10.0, 100.0, 1000.0], 3)
    mean = np.repeat([50.0, 200.0, 1500.0, 9000.0], 3)
    y = mean * (1.0 + 0.05 * rng.standard_normal(conc.size))
    levels = levels_of(conc[None, :], y[None, :], np.ones((1, conc.size), dtype=bool))
    power, estimable = estimate_power(levels)
    reference = stats.linregress(np.log(levels.mean[0, :4]), np.log(levels.sd[0, :4]))
    assert estimable.tolist() == [True]
    expected = np.clip(reference.slope, *POWER_RANGE)
    assert power[0] == pytest.approx(expected, rel=1e-10)


def test_power_needs_three_replicated_levels():
    conc = np.array([1.0, 1.0, 10.0, 10.0, 100.0])
    y = np.array([5.0, 6.0, 50.0, 58.0, 400.0])
    levels = levels_of(conc[None, :], y[None, :], np.ones((1, 5), dtype=bool))
    power, estimable = estimate_power(levels)
    assert estimable.tolist() == [False] and power.tolist() == [1.0]
