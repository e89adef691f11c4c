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


def test_spearman_far_in_the_tail_gives_the_t_approximation_not_zero() -> None:
    # R 4: cor.test(1:18, y, method = "spearman") gives rho = -0.8452, p = 0 (AS 89's
    # Edgeworth series below 0, clamped); cor.test(..., exact = FALSE) gives 1.007895e-05,
    # which is scipy.stats.spearmanr's p.
    y = np.array([18, 17, 16, 8, 15, 13, 9, 6, 10, 14, 12, 7, 11, 5, 4, 3, 2, 1], dtype=float)
    x = np.arange(1.0, 19.0)
    result = spearman(x, y)
    assert result.rho == pytest.approx(-0.8452012, abs=1e-7)
    assert result.p == pytest.approx(1.007895e-05, rel=1e-6)
    assert result.p == pytest.approx(sps.spearmanr(x, y).pvalue, rel=1e-12)
    assert result.method.startswith("by the t approximation")
    # nearer independence the series is positive and the p is R's:
    # cor.test(1:18, c(11, 7, 18, ...), method = "spearman") gives p = 0.2637037
    y = np.array([11, 7, 18, 17, 4, 13, 10, 8, 9, 15, 5, 1, 14, 2, 16, 6, 3, 12], dtype=float)
    result = spearman(x, y)
    assert result.method == "Edgeworth series (AS 89)"
    assert result.p == pytest.approx(0.2637037, rel=1e-6)
