"""stats.regression: least squares and Spearman's rho.

References: numpy.polyfit for the line; scipy.stats.spearmanr for rho and (large n)
the p value; R's cor.test(x, y, method = "spearman") for the exact small-n p.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from assaypipe.stats.regression import ols, spearman


def test_ols_matches_polyfit_and_skips_incomplete_pairs() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=30)
    y = 2.0 + 0.5 * x + rng.normal(scale=0.3, size=30)
    fit = ols(np.append(x, np.nan), np.append(y, 1.0))
    slope, intercept = np.polyfit(x, y, 1)
    assert fit.n == 30
    assert fit.slope == pytest.approx(slope, rel=1e-10)
    assert fit.intercept == pytest.approx(intercept, rel=1e-10)
    assert fit.slope_ci[0] < fit.slope < fit.slope_ci[1]


def test_spearman_rho_and_p_as_scipy_for_a_larger_sample() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=40)
    y = x + rng.normal(size=40)
    result = spearman(x, y)
    reference = sps.spearmanr(x, y)
    assert result.n == 40
    assert result.rho == pytest.approx(reference.statistic, rel=1e-12)
    assert result.s == pytest.approx((40**3 - 40) * (1 - result.rho) / 6)
    assert 0.0 <= result.p < 0.05


def test_spearman_exact_p_for_a_perfect_small_sample() -> None:
    # R: cor.test(1:5, c(2, 4, 6, 8, 10), method = "spearman") gives S = 0, p = 0.01667
    result = spearman(np.arange(1.0, 6.0), np.arange(2.0, 12.0, 2.0))
    assert result.rho == pytest.approx(1.0)
    assert result.p == pytest.approx(2 / 120)


def test_too_few_values_give_no_rho() -> None:
    result = spearman(np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0]))
    assert np.isnan(result.rho) and np.isnan(result.p)
