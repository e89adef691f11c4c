"""Exact rank-test p-values with ties and zeros (``exact="prism"``) and the textbook
Hodges-Lehmann estimate (``hodges_lehmann="median"``).

References: brute-force enumeration of every sign assignment (signed rank) or group
assignment (rank sum) for small samples with ties and zeros; R's exact
``wilcox.test`` p where there are no ties; for the estimate, the median of the Walsh
averages or pairwise differences computed directly with numpy.
"""

from __future__ import annotations

import itertools
import math
import subprocess
from math import comb
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from assaypipe.stats import prepost, rank_sum, signed_rank
from assaypipe.stats.ranks import (
    rank_sum_permutation_counts,
    signed_rank_null,
    signed_rank_permutation_counts,
)
from tests.unit.test_stats_reference import PAIRED, UNPAIRED, _fixture

# --- the brute-force references -----------------------------------------------------


def brute_force_signed_rank_p(d: np.ndarray, zero_method: str) -> float:
    """Two-sided p over all 2**n sign assignments of the nonzero differences."""
    ranked = d[d != 0] if zero_method == "wilcox" else d
    ranks = sps.rankdata(np.abs(ranked))
    signed = ranked != 0
    ranks, positive = ranks[signed], ranked[signed] > 0
    centre = ranks.sum() / 2
    observed = abs(ranks[positive].sum() - centre)
    signs = np.array(list(itertools.product([False, True], repeat=len(ranks))))
    sums = signs.astype(float) @ ranks
    # sums are multiples of 1/2: a margin far below 1/2 decides "as extreme" exactly
    return float(np.mean(np.abs(sums - centre) >= observed - 1e-9))


def brute_force_rank_sum_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p over all C(N, m) ways to choose which pooled values are x."""
    ranks = sps.rankdata(np.concatenate([x, y]))
    m = len(x)
    centre = m * ranks.sum() / len(ranks)
    observed = abs(ranks[:m].sum() - centre)
    sums = np.array([ranks[list(c)].sum() for c in itertools.combinations(range(len(ranks)), m)])
    return float(np.mean(np.abs(sums - centre) >= observed - 1e-9))


def _tied_differences(seed: int, n: int) -> np.ndarray:
    # small integers: many ties among |d|, and at least one zero
    d = np.random.default_rng(seed).integers(-5, 6, size=n).astype(float)
    d[0] = 0.0
    return d


@pytest.mark.parametrize("zero_method", ["wilcox", "pratt"])
@pytest.mark.parametrize(("seed", "n"), [(1, 6), (2, 9), (3, 12), (4, 14), (5, 16), (6, 16)])
def test_prism_signed_rank_p_equals_enumeration_of_all_sign_assignments(
    seed: int, n: int, zero_method: str
) -> None:
    # Reference: brute force over all 2**n sign assignments (brute_force_signed_rank_p)
    d = _tied_differences(seed, n)
    result = signed_rank(d, zero_method=zero_method, exact="prism")
    assert result.exact
    assert result.ties and result.n_zero > 0  # the cases exercise both
    assert result.p == pytest.approx(brute_force_signed_rank_p(d, zero_method), abs=1e-12)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([1.5, 2, 2, 3.5, 4, 6, 7, 7], [0.5, 1, 2, 2, 3, 3.5, 5]),
        ([-3, -2.5, -2.5, -1, 0, 0, 1.5], [-1, 0, 0, 0.5, 2, 2, 3, 4.5]),
        ([1, 1, 1, 2], [1, 2, 2, 2, 3, 3, 3, 3, 4]),
        ([5, 5, 5, 5, 6], [5, 5, 6, 6, 6, 7, 7]),
    ],
)
def test_prism_rank_sum_p_equals_enumeration_of_all_group_assignments(
    x: list[float], y: list[float]
) -> None:
    # Reference: brute force over all C(N, m) group assignments (brute_force_rank_sum_p)
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    for first, second in ((a, b), (b, a)):
        result = rank_sum(first, second, exact="prism")
        assert result.exact and result.ties
        assert result.p == pytest.approx(brute_force_rank_sum_p(first, second), abs=1e-12)


def test_permutation_counts_cover_every_assignment() -> None:
    # 2**n sign assignments and C(N, m) subsets; without ties the signed-rank counts
    # are the exact null distribution (signed_rank_null, checked against R elsewhere)
    ranks = sps.rankdata([1, 2, 2, 3, 5, 5, 5, 8, 9])
    assert signed_rank_permutation_counts(ranks).sum() == 2**9
    assert rank_sum_permutation_counts(ranks, 4).sum() == comb(9, 4)
    untied = signed_rank_permutation_counts(np.arange(1.0, 13.0))
    assert np.allclose(untied[::2] / 2**12, signed_rank_null(12), rtol=0, atol=1e-15)
    assert not untied[1::2].any()


def test_the_default_keeps_the_normal_approximation_at_ties_and_zeros() -> None:
    d = _tied_differences(3, 12)
    default, prism = signed_rank(d), signed_rank(d, exact="prism")
    assert not default.exact and prism.exact
    assert default.p != prism.p
    assert "normal approximation with continuity correction (ties and zero differences)" in (
        default.describe()
    )
    assert "exact (Prism: permutation distribution of the signed midranks)" in prism.describe()


def test_prism_falls_back_to_the_normal_approximation_beyond_200_pairs() -> None:
    d = np.random.default_rng(7).integers(-40, 41, size=230).astype(float)
    result = signed_rank(d, exact="prism")
    assert not result.exact
    assert "(more than 200 differences)" in result.describe()
    assert result.p == signed_rank(d).p


# --- R's exact p where there are no ties ----------------------------------------------


def _r_exact_p(rscript: str, folder: Path, cases: dict[str, tuple[list[float], list[float]]]):
    # R: wilcox.test(y, x, paired = TRUE, exact = TRUE)$p.value and
    #    wilcox.test(x, y, exact = TRUE)$p.value, printed with 17 significant digits
    lines = []
    for name, (x, y) in cases.items():
        lines.append(f"{name}\tx\t{' '.join(repr(float(v)) for v in x)}")
        lines.append(f"{name}\ty\t{' '.join(repr(float(v)) for v in y)}")
    data = folder / "cases.tsv"
    data.write_text("\n".join(lines) + "\n")
    code = f"""
    rows <- strsplit(readLines("{data}"), "\\t")
    for (i in seq(1, length(rows), 2)) {{
      name <- rows[[i]][1]
      x <- as.numeric(strsplit(rows[[i]][3], " ")[[1]])
      y <- as.numeric(strsplit(rows[[i + 1]][3], " ")[[1]])
      paired <- startsWith(name, "paired")
      p <- wilcox.test(y, x, paired = paired, exact = TRUE)$p.value
      if (!paired) p <- wilcox.test(x, y, exact = TRUE)$p.value
      cat(name, sprintf("%.17g", p), "\\n")
    }}
    """
    result = subprocess.run(
        [rscript, "--vanilla", "-e", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return {line.split()[0]: float(line.split()[1]) for line in result.stdout.splitlines()}


def test_prism_p_without_ties_equals_r_exact_wilcox_test(rscript: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    cases = {
        "paired_hollander_wolfe": PAIRED["hollander_wolfe"],
        "paired_exact_n12": PAIRED["exact_n12"],
        "paired_exact_n60": PAIRED["exact_n60"],
        "paired_random_n25": (list(rng.normal(size=25)), list(rng.normal(0.6, 1, size=25))),
        "unpaired_exact_10_5": UNPAIRED["exact_10_5"],
        "unpaired_exact_9_9": UNPAIRED["exact_9_9"],
        "unpaired_small_3_4": UNPAIRED["small_3_4"],
        "unpaired_random_20_17": (list(rng.normal(size=20)), list(rng.normal(1, 1, size=17))),
    }
    reference = _r_exact_p(rscript, tmp_path, cases)
    for name, (x, y) in cases.items():
        a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        result = (
            signed_rank(b - a, exact="prism")
            if name.startswith("paired")
            else rank_sum(a, b, exact="prism")
        )
        assert result.exact and not result.ties
        assert math.isclose(result.p, reference[name], rel_tol=1e-12, abs_tol=0), name


# --- Hodges-Lehmann: the textbook estimate by default, R's on request -------------------


def _walsh_median_numpy(d: np.ndarray) -> float:
    d = d[d != 0]
    averages = [(d[i] + d[j]) / 2 for i in range(len(d)) for j in range(i, len(d))]
    return float(np.median(averages))


@pytest.mark.parametrize("name", ["ties_and_zero", "ties_zeros_n16", "normal_n250_ties"])
def test_paired_estimate_is_the_median_of_the_walsh_averages(name: str) -> None:
    # Reference: the Walsh averages (d_i + d_j) / 2, i <= j, of the nonzero differences
    x, y = (np.asarray(v, dtype=float) for v in PAIRED[name])
    d = y - x
    textbook = signed_rank(d)
    assert textbook.interval.estimate == pytest.approx(_walsh_median_numpy(d), abs=1e-12)
    # the interval is R's either way; only the estimate changes
    r = signed_rank(d, hodges_lehmann="r")
    assert (textbook.interval.low, textbook.interval.high) == (r.interval.low, r.interval.high)
    assert "median of the Walsh averages" in textbook.describe()
    assert "root of the signed-rank statistic as R" in r.describe()


def test_the_textbook_estimate_differs_from_r_on_a_flat_step() -> None:
    # R 4.x: wilcox.test(d, conf.int = TRUE)$estimate = 2.6292547941968931 (the root
    # finder stops inside a flat step of the statistic); Walsh-average median 3
    d = np.array([2, -2, 0, 0, 2, 6, 1, 1, 6, 7], dtype=float)
    assert signed_rank(d, hodges_lehmann="r").interval.estimate == pytest.approx(
        2.6292547941968931, rel=1e-6
    )
    assert signed_rank(d).interval.estimate == _walsh_median_numpy(d) == 3.0
    # R: wilcox.test(x, y, conf.int = TRUE)$estimate = -1.016671236803127; median of
    # the pairwise differences -1.5
    x = np.array([0, 4, 0, 2, 1, 0, 0], dtype=float)
    y = np.array([4, 2, 3, 0, 4, 0], dtype=float)
    assert rank_sum(x, y, hodges_lehmann="r").interval.estimate == pytest.approx(
        -1.016671236803127, rel=1e-6
    )
    assert rank_sum(x, y).interval.estimate == float(np.median(np.subtract.outer(x, y))) == -1.5


@pytest.mark.parametrize("name", ["ties_8_7", "ties_negative"])
def test_two_sample_estimate_is_the_median_of_the_pairwise_differences(name: str) -> None:
    # Reference: numpy median of all x_i - y_j
    x, y = (np.asarray(v, dtype=float) for v in UNPAIRED[name])
    expected = float(np.median([a - b for a in x for b in y]))
    assert rank_sum(x, y).interval.estimate == pytest.approx(expected, abs=1e-12)
    assert "median of the pairwise differences" in rank_sum(x, y).describe()


@pytest.mark.parametrize("name", ["hollander_wolfe", "exact_n12"])
def test_without_ties_both_estimates_are_r_exact_one(name: str) -> None:
    x, y = (np.asarray(v, dtype=float) for v in PAIRED[name])
    assert signed_rank(y - x).interval == signed_rank(y - x, hodges_lehmann="r").interval


def test_tables_name_the_exact_method_in_every_row() -> None:
    samples, _, groups = _fixture()
    default = prepost(samples, groups=groups)
    prism = prepost(samples, groups=groups, exact="prism")
    # the fixture has ties or zeros in some analytes: there the methods differ
    approximate = default["method"].str.contains("normal approximation")
    assert approximate.any()
    assert prism.loc[approximate, "method"].str.contains("exact (Prism", regex=False).all()
    assert (prism.loc[approximate, "p"] != default.loc[approximate, "p"]).all()
    untouched = ~approximate & default["p"].notna()
    assert (prism.loc[untouched, "p"] - default.loc[untouched, "p"]).abs().max() < 1e-12
