"""stats.ranks: Wilcoxon signed-rank and Mann-Whitney tests with Hodges-Lehmann estimates.

References: scipy.stats.wilcoxon and scipy.stats.mannwhitneyu (exact p without ties);
R's wilcox.test(d, conf.int = TRUE) gives the same p (exact = TRUE).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from assaypipe.stats.ranks import rank_sum, signed_rank, signed_rank_null, walsh_median

DIFFERENCES = np.array([1.5, -0.4, 2.2, 3.1, 0.7, -1.1, 2.8, 1.9, 0.3, 4.4])


def test_signed_rank_exact_p_and_statistic_as_scipy() -> None:
    result = signed_rank(DIFFERENCES)
    reference = sps.wilcoxon(DIFFERENCES, method="exact")
    assert result.exact
    # V, the sum of the positive ranks: 55 less the ranks of -0.4 (2) and -1.1 (4)
    assert result.statistic == 49.0
    assert result.p == pytest.approx(reference.pvalue, rel=1e-12)


def test_the_estimate_is_the_median_of_the_walsh_averages() -> None:
    walsh = [(a + b) / 2 for i, a in enumerate(DIFFERENCES) for b in DIFFERENCES[i:]]
    assert walsh_median(DIFFERENCES) == pytest.approx(np.median(walsh))
    result = signed_rank(DIFFERENCES)
    assert result.interval.low < result.interval.estimate < result.interval.high


def test_the_null_distribution_of_v_sums_to_one_and_is_symmetric() -> None:
    null = signed_rank_null(6)
    assert len(null) == 6 * 7 // 2 + 1
    assert null.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(null, null[::-1])


def test_rank_sum_exact_p_as_scipy() -> None:
    x = np.array([3.1, 4.5, 2.2, 5.9, 6.3])
    y = np.array([1.0, 0.4, 2.7, 1.8, 0.9, 1.3])
    result = rank_sum(x, y)
    reference = sps.mannwhitneyu(x, y, method="exact")
    assert result.p == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.interval.estimate > 0
