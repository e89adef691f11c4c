"""curves.result: the covariance of a fit against scipy.optimize.curve_fit's pcov, and
the one-curve view of a batch."""

import math

import numpy as np
import pytest
from scipy.optimize import curve_fit

from assaypipe.curves.result import BatchFit, CurveFit, covariance


def four_pl(x: np.ndarray, a: float, b: float, log_c: float, d: float) -> np.ndarray:
    return d + (a - d) / (1.0 + (x / math.exp(log_c)) ** b)


def test_covariance_is_scipys_pcov_at_the_same_optimum():
    rng = np.random.default_rng(8)
    x = np.repeat(20000.0 / 3.0 ** np.arange(8)[::-1], 2)
    y = four_pl(x, 40.0, 1.1, math.log(300.0), 18000.0) * (1 + 0.04 * rng.standard_normal(16))
    theta, pcov = curve_fit(
        four_pl, x, y, p0=[40.0, 1.1, math.log(300.0), 18000.0], sigma=y, maxfev=20000
    )
    sqrt_w = 1.0 / y  # 1/y^2 weights; curve_fit's sigma = y, scaled by rss / (n - k)
    rss = np.sum((sqrt_w * (y - four_pl(x, *theta))) ** 2)
    full, cov_theta = covariance(
        theta[None, :], np.log(x)[None, :], sqrt_w[None, :], np.array([rss]), np.array([16]), False
    )
    # curve_fit's Jacobian is by finite differences: agreement to about 1e-5
    assert cov_theta[0] == pytest.approx(pcov, rel=1e-4)
    # (a, b, c, d, g): c = exp(log c), so var(c) = c^2 var(log c); g's row is zero
    c = math.exp(theta[2])
    assert full[0, 2, 2] == pytest.approx(c * c * pcov[2, 2], rel=1e-4)
    assert full[0, 0, 3] == pytest.approx(pcov[0, 3], rel=1e-4)
    assert (full[0, 4] == 0).all()


def test_no_degrees_of_freedom_gives_no_covariance():
    x = np.array([1.0, 10.0, 100.0, 1000.0])
    theta = np.array([[10.0, 1.0, math.log(50.0), 1000.0]])
    full, cov_theta = covariance(
        theta, np.log(x)[None, :], np.ones((1, 4)), np.array([1.0]), np.array([4]), False
    )
    assert np.isnan(full).all() and np.isnan(cov_theta).all()


def test_a_batch_gives_each_curve_with_its_reasons():
    params = np.array([[10.0, 1.0, 50.0, 1000.0, 1.0], [np.nan] * 5])
    batch = BatchFit(
        model="4PL",
        weighting="1/y^2",
        params=params,
        rss=np.array([0.5, np.nan]),
        aic=np.array([-3.0, np.nan]),
        n_points=np.array([10, 2]),
        converged=np.array([True, False]),
        status=("converged", "too_few_points"),
        fit_reasons=((), ("2 points",)),
        point_reasons=(("1 point(s) masked as outliers",), ()),
        vcov=np.zeros((2, 5, 5)),
        weight_power=np.array([1.0, 1.0]),
        point_code=np.zeros((2, 10), dtype=np.int8),
    )
    first, second = batch.curves()
    assert len(batch) == 2
    assert first.params == {"a": 10.0, "b": 1.0, "c": 50.0, "d": 1000.0, "g": 1.0}
    assert first.usable and not second.usable
    assert second.reasons == ("2 points",)
    assert first.sigma2 == pytest.approx(0.5 / (10 - 4))
    # the 4PL's midpoint signal is at c, and the inverse takes it back
    assert first.predict([50.0])[0] == pytest.approx(505.0)
    assert first.inverse([505.0])[0] == pytest.approx(50.0)
    assert isinstance(first, CurveFit) and math.isnan(second.sigma2)
