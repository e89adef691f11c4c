"""Rank tests with Hodges-Lehmann estimates, computed the way R's ``wilcox.test`` does.

The p-values come from SciPy (``wilcoxon``, ``mannwhitneyu``) by R's rules, or, with
``exact="prism"``, from the exact permutation distribution of the (mid)ranks even
with ties and zeros, as GraphPad Prism 6 and later compute it. SciPy has no
Hodges-Lehmann confidence interval, so the interval is computed here, by the same
rules as R's ``wilcox.test(..., conf.int = TRUE)``:

- without ties (and, paired, without zero differences) and fewer than 50 values per
  sample: order statistics of the Walsh averages (paired) or of all pairwise
  differences (two samples), chosen from the exact null distribution;
- otherwise: the shifts at which the normal-approximation statistic (tie-corrected,
  continuity-corrected) crosses the normal quantiles, found by Brent's root finder
  with R's tolerance; the estimate is where the uncorrected statistic crosses zero.

The second rule searches a step function, so the limit it returns depends on the
path of the root finder; ``_zeroin`` follows the iteration R uses so that the limits
agree with R to far better than the 1e-4 tolerance both use. R takes its estimate
from the same root finder, which can stop anywhere on a flat step; by default
(``hodges_lehmann="median"``) the estimate is instead the textbook Hodges-Lehmann
estimate, the median of the Walsh averages (paired) or of all pairwise differences
(two samples); ``hodges_lehmann="r"`` keeps R's.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from assaypipe.settings import DEFAULTS
from assaypipe.vocabulary import ExactMethod, HodgesLehmannMethod, ZeroMethod, values

ZERO_METHODS = values(ZeroMethod)
# p-values: as R's wilcox.test (exact only without ties and zeros), or exact by the
# permutation distribution of the midranks also with ties and zeros (GraphPad Prism)
EXACT_METHODS = values(ExactMethod)
# Hodges-Lehmann estimate with ties or zeros: the median of the Walsh averages or
# pairwise differences (textbook), or R's root of the normal-approximation statistic
HODGES_LEHMANN_METHODS = values(HodgesLehmannMethod)

# Differences are rounded to this many significant digits before ranking, so that
# float noise (0.1 + 0.2 - 0.3) cannot turn a tie into two ranks.
SIGNIFICANT_DIGITS = 10

# Two samples: exact p and interval below this many values per sample, as R's
# wilcox.test by default.
EXACT_LIMIT = 50
# Paired: exact whenever there are no ties and no zeros (R's wilcox.test with
# exact = TRUE), up to this many pairs; beyond it the exact distribution costs
# seconds per test and the normal approximation is as good to many digits.
PAIRED_EXACT_LIMIT = 200

# Two samples, exact="prism": exact p also with ties while the smaller sample has at
# most this many values (Prism's rule), and the pooled sample at most POOLED_EXACT_LIMIT
# (the enumeration's table grows as the smaller sample times the pooled sample squared).
PRISM_EXACT_LIMIT = 100
POOLED_EXACT_LIMIT = 200

# R's uniroot tolerance in wilcox.test (tol.root).
ROOT_TOLERANCE = 1e-4

# R's quantile functions step down by this much before searching a discrete CDF,
# so a probability that equals a CDF value up to rounding still selects it.
_QUANTILE_FUZZ = 10 * sys.float_info.epsilon


def round_significant(values: np.ndarray, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray:
    """Round to ``digits`` significant digits (zeros stay zero, NaN stays NaN)."""
    values = np.asarray(values, dtype=float)
    out = values.copy()
    finite = np.isfinite(values) & (values != 0)
    magnitude = np.floor(np.log10(np.abs(values[finite])))
    scale = 10.0 ** (digits - 1 - magnitude)
    out[finite] = np.round(values[finite] * scale) / scale
    return out


def signed_rank_null(n: int) -> np.ndarray:
    """Exact null distribution of the signed-rank statistic V for n untied pairs.

    Element v is P(V = v); counts of subsets of {1..n} summing to v, over 2**n.
    """
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank].copy()
    return counts / 2.0**n


@lru_cache(maxsize=64)
def _rank_sum_counts(m: int, n: int) -> tuple[float, ...]:
    # table[k][u] = orderings of k x's and j y's with U = u. The largest value is a y
    # (U as for k x's and j - 1 y's) or an x (it beats all j y's: U - j as for k - 1
    # x's and j y's), so each j follows from the previous one; j = 0 gives U = 0.
    table = [np.ones(1) for _ in range(m + 1)]
    for j in range(1, n + 1):
        previous = table
        table = [np.ones(1)]
        for k in range(1, m + 1):
            counts = np.zeros(k * j + 1)
            counts[: len(previous[k])] += previous[k]
            counts[j : j + len(table[k - 1])] += table[k - 1]
            table.append(counts)
    return tuple(float(c) for c in table[m])


def rank_sum_null(m: int, n: int) -> np.ndarray:
    """Exact null distribution of the Mann-Whitney U of m against n untied values.

    Element u is P(U = u), U = number of (x, y) pairs with x > y.
    """
    counts = np.asarray(_rank_sum_counts(m, n))
    null: np.ndarray = counts / counts.sum()
    return null


def _doubled(ranks: np.ndarray) -> np.ndarray:
    # midranks are multiples of 1/2: doubled, they are integers that index a table
    doubled: np.ndarray = np.rint(2 * np.asarray(ranks, dtype=float)).astype(np.int64)
    return doubled


def signed_rank_permutation_counts(ranks: np.ndarray) -> np.ndarray:
    """Sign assignments of ``ranks`` (midranks allowed) by their doubled positive sum.

    Element k is the number of the 2**n ways to give each rank a sign under which
    twice the sum of the positive ranks is k: the coefficients of
    prod_i (1 + t**(2 r_i)), built one factor at a time (the shift algorithm).
    """
    doubled = _doubled(ranks)
    counts = np.zeros(int(doubled.sum()) + 1)
    counts[0] = 1.0
    for step in doubled:
        counts[step:] = counts[step:] + counts[: len(counts) - step]
    return counts


def signed_rank_exact_p(ranks: np.ndarray, positive: np.ndarray) -> float:
    """Two-sided exact p of the signed-rank statistic, ties (midranks) allowed.

    ``ranks`` are the ranks of the differences that carry a sign, ``positive`` marks
    those above zero. p = P(|V - E V| >= |v - E V|) over all 2**n sign assignments
    equally likely; without ties this is R's exact ``wilcox.test`` p.
    """
    doubled = _doubled(ranks)
    counts = signed_rank_permutation_counts(ranks)
    total = int(doubled.sum())
    observed = abs(2 * int(doubled[np.asarray(positive, dtype=bool)].sum()) - total)
    sums = np.arange(len(counts), dtype=np.int64)
    extreme = np.abs(2 * sums - total) >= observed
    return min(1.0, float(counts[extreme].sum() / 2.0 ** len(doubled)))


def rank_sum_permutation_counts(ranks: np.ndarray, m: int) -> np.ndarray:
    """Subsets of size m of the pooled ``ranks`` (midranks allowed) by doubled rank sum.

    Element s is the number of the C(N, m) ways to choose the first sample's ranks
    with twice their sum equal to s (a knapsack count, one rank at a time).
    """
    doubled = _doubled(ranks)
    total = int(doubled.sum())
    table = np.zeros((m + 1, total + 1))
    table[0, 0] = 1.0
    for step in doubled:
        # row k from the old row k - 1: each rank is chosen at most once
        table[1:, step:] = table[1:, step:] + table[:-1, : total + 1 - step]
    counts: np.ndarray = table[m]
    return counts


def rank_sum_exact_p(ranks: np.ndarray, in_x: np.ndarray) -> float:
    """Two-sided exact p of the rank-sum statistic, ties (midranks) allowed.

    ``ranks`` are the pooled midranks, ``in_x`` marks the first sample. p =
    P(|S - E S| >= |s - E S|) over all C(N, m) equally likely assignments, S the
    first sample's rank sum (the definition StatXact and Prism use; without ties the
    distribution is symmetric and this is R's exact ``wilcox.test`` p).
    """
    in_x = np.asarray(in_x, dtype=bool)
    doubled = _doubled(ranks)
    # count subsets of the smaller sample: fewer rows, and S of x follows from it
    chosen = in_x if in_x.sum() <= (~in_x).sum() else ~in_x
    m, pooled = int(chosen.sum()), len(doubled)
    counts = rank_sum_permutation_counts(ranks, m)
    total = int(doubled.sum())
    observed = abs(pooled * int(doubled[chosen].sum()) - m * total)
    sums = np.arange(len(counts), dtype=np.int64)
    extreme = np.abs(pooled * sums - m * total) >= observed
    return min(1.0, float(counts[extreme].sum() / counts.sum()))


def _lower_quantile(null: np.ndarray, probability: float) -> int:
    """Smallest q with P(T <= q) >= probability, as R's qsignrank/qwilcox."""
    cdf = np.cumsum(null)
    return int(np.searchsorted(cdf, probability - _QUANTILE_FUZZ, side="left"))


def _zeroin(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    f_lower: float,
    f_upper: float,
    tol: float = ROOT_TOLERANCE,
    max_iterations: int = 1000,
) -> float:
    """A zero of f in [lower, upper] by Brent's method, iterating as R's uniroot does.

    Forsythe, Malcolm & Moler (1977), *Computer methods for mathematical
    computations*, ``zeroin``: bisection combined with secant or inverse quadratic
    steps, stopping when the bracket is within 2 eps |b| + tol / 2.
    """
    eps = sys.float_info.epsilon
    a, b, c = lower, upper, lower
    fa, fb, fc = f_lower, f_upper, f_lower
    if fa == 0:
        return a
    if fb == 0:
        return b
    for _ in range(max_iterations + 1):
        previous_step = b - a
        if abs(fc) < abs(fb):
            # keep b the best approximation, with c on the other side of the root
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tolerance = 2 * eps * abs(b) + tol / 2
        step = (c - b) / 2
        if abs(step) <= tolerance or fb == 0:
            return b
        if abs(previous_step) >= tolerance and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tolerance * q) / 2) and p < abs(previous_step * q / 2):
                step = p / q
        if abs(step) < tolerance:
            step = tolerance if step > 0 else -tolerance
        a, fa = b, fb
        b += step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


def _tie_term(ranks: np.ndarray) -> float:
    _, counts = np.unique(ranks, return_counts=True)
    return float(np.sum(counts.astype(float) ** 3 - counts))


def _signed_rank_z(d: np.ndarray, shift: float, correct: bool) -> float:
    # The normal-approximation statistic of d - shift, zeros dropped (R's W(d)).
    from scipy import stats as sps

    with np.errstate(divide="ignore", invalid="ignore"):
        xd = d - shift
        xd = xd[xd != 0]
        nx = float(len(xd))
        ranks = sps.rankdata(np.abs(xd))
        z = float(ranks[xd > 0].sum()) - nx * (nx + 1) / 4
        sigma = math.sqrt(nx * (nx + 1) * (2 * nx + 1) / 24 - _tie_term(ranks) / 48)
        correction = math.copysign(0.5, z) * (z != 0) if correct else 0.0
        return float(np.float64(z - correction) / np.float64(sigma))


def _rank_sum_z(x: np.ndarray, y: np.ndarray, shift: float, correct: bool) -> float:
    # The normal-approximation statistic of x - shift against y (R's W(d)).
    from scipy import stats as sps

    with np.errstate(divide="ignore", invalid="ignore"):
        nx, ny = float(len(x)), float(len(y))
        ranks = sps.rankdata(np.concatenate([x - shift, y]))
        z = float(ranks[: len(x)].sum()) - nx * (nx + 1) / 2 - nx * ny / 2
        total = nx + ny
        sigma = math.sqrt((nx * ny / 12) * ((total + 1) - _tie_term(ranks) / (total * (total - 1))))
        correction = math.copysign(0.5, z) * (z != 0) if correct else 0.0
        return float(np.float64(z - correction) / np.float64(sigma))


@dataclass(frozen=True)
class Interval:
    """A Hodges-Lehmann estimate with its confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float  # achieved level (R lowers it when the requested one is not reachable)
    exact: bool


def _walsh_interval(d: np.ndarray, confidence: float) -> Interval:
    n = len(d)
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2.0)
    alpha = 1.0 - confidence
    null = signed_rank_null(n)
    q = max(_lower_quantile(null, alpha / 2), 1)
    achieved = 2 * float(np.cumsum(null)[q - 1])
    level = 1 - float(f"{achieved:.2g}") if achieved - alpha > alpha / 2 else confidence
    return Interval(
        float(np.median(walsh)), float(walsh[q - 1]), float(walsh[len(walsh) - q]), level, True
    )


def _signed_rank_root_interval(d: np.ndarray, confidence: float) -> Interval:
    from scipy import stats as sps

    low_end, high_end = float(np.min(d)), float(np.max(d))
    at_min = _signed_rank_z(d, low_end, correct=True)
    at_max = _signed_rank_z(d, high_end, correct=True) if math.isfinite(at_min) else math.nan
    if not math.isfinite(at_max):
        # every difference the same: no interval, the midrange as the estimate (as R)
        return Interval((low_end + high_end) / 2, math.nan, math.nan, 0.0, False)
    alpha = 1.0 - confidence
    # widen until both normal quantiles lie inside the range the statistic spans
    while alpha < 1:
        upper_q = float(sps.norm.isf(alpha / 2))
        lower_q = float(sps.norm.ppf(alpha / 2))
        if at_min - upper_q < 0 or at_max - lower_q > 0:
            alpha *= 2
        else:
            break
    level = confidence
    if alpha >= 1 or 1 - confidence < alpha * 0.75:
        level = 1 - min(1.0, alpha)
    if alpha < 1:

        def limit(quantile: float) -> float:
            return _zeroin(
                lambda shift: _signed_rank_z(d, shift, correct=True) - quantile,
                low_end,
                high_end,
                at_min - quantile,
                at_max - quantile,
            )

        low = limit(float(sps.norm.isf(alpha / 2)))
        high = limit(float(sps.norm.ppf(alpha / 2)))
    else:
        low = high = float(np.median(d))
    estimate = _zeroin(
        lambda s: _signed_rank_z(d, s, correct=False),
        low_end,
        high_end,
        _signed_rank_z(d, low_end, correct=False),
        _signed_rank_z(d, high_end, correct=False),
    )
    return Interval(estimate, low, high, level, False)


def _pairwise_interval(x: np.ndarray, y: np.ndarray, confidence: float) -> Interval:
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    alpha = 1.0 - confidence
    null = rank_sum_null(len(x), len(y))
    q = max(_lower_quantile(null, alpha / 2), 1)
    achieved = 2 * float(np.cumsum(null)[q - 1])
    level = 1 - achieved if achieved - alpha > alpha / 2 else confidence
    return Interval(
        float(np.median(diffs)), float(diffs[q - 1]), float(diffs[len(diffs) - q]), level, True
    )


def _rank_sum_root_interval(x: np.ndarray, y: np.ndarray, confidence: float) -> Interval:
    from scipy import stats as sps

    low_end = float(np.min(x) - np.max(y))
    high_end = float(np.max(x) - np.min(y))
    at_min = _rank_sum_z(x, y, low_end, correct=True)
    at_max = _rank_sum_z(x, y, high_end, correct=True)
    alpha = 1.0 - confidence

    def limit(quantile: float) -> float:
        if at_min - quantile <= 0:
            return low_end
        if at_max - quantile >= 0:
            return high_end
        return _zeroin(
            lambda s: _rank_sum_z(x, y, s, correct=True) - quantile,
            low_end,
            high_end,
            at_min - quantile,
            at_max - quantile,
        )

    low = limit(float(sps.norm.isf(alpha / 2)))
    high = limit(float(sps.norm.ppf(alpha / 2)))
    estimate = _zeroin(
        lambda s: _rank_sum_z(x, y, s, correct=False),
        low_end,
        high_end,
        _rank_sum_z(x, y, low_end, correct=False),
        _rank_sum_z(x, y, high_end, correct=False),
    )
    return Interval(estimate, low, high, confidence, False)


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}")


def walsh_median(d: np.ndarray) -> float:
    """Median of the Walsh averages (d_i + d_j) / 2, i <= j: the Hodges-Lehmann estimate."""
    i, j = np.triu_indices(len(d))
    return float(np.median((d[i] + d[j]) / 2.0)) if len(d) else math.nan


def pairwise_median(x: np.ndarray, y: np.ndarray) -> float:
    """Median of all differences x_i - y_j: the two-sample Hodges-Lehmann shift."""
    return float(np.median(np.subtract.outer(x, y))) if len(x) and len(y) else math.nan


def _approximation_reason(ties: bool, zeros: bool, limit: str) -> str:
    reasons = [text for flag, text in ((ties, "ties"), (zeros, "zero differences")) if flag]
    return " and ".join(reasons) if reasons else limit


@dataclass(frozen=True)
class SignedRankResult:
    """Wilcoxon signed-rank test of differences with the Hodges-Lehmann estimate."""

    n: int  # differences given
    n_zero: int  # zero differences
    n_ranked: int  # differences that enter the ranks (zeros too under Pratt)
    ties: bool  # tied absolute differences among the nonzero ones
    zero_method: str
    statistic: float  # V: sum of the ranks of the positive differences
    p: float
    exact: bool
    z: float  # normal-approximation z without continuity correction, sign of the shift
    interval: Interval
    exact_method: str = "r"
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value

    @property
    def effect_size(self) -> float:
        """r = Z / sqrt(n), n the differences ranked."""
        return self.z / math.sqrt(self.n_ranked) if self.n_ranked else math.nan

    def describe(self) -> str:
        """The methods used, as one phrase for the ``method`` column."""
        if self.exact and (self.ties or self.n_zero):
            p_method = "exact (Prism: permutation distribution of the signed midranks)"
        elif self.exact:
            p_method = "exact"
        else:
            limit = f"more than {PAIRED_EXACT_LIMIT} differences"
            reason = (
                limit
                if self.exact_method == "prism"
                else _approximation_reason(self.ties, self.n_zero > 0, limit)
            )
            p_method = f"normal approximation with continuity correction ({reason})"
        zeros = (
            "zero differences dropped before ranking (Wilcoxon)"
            if self.zero_method == "wilcox"
            else "zero differences ranked, then dropped (Pratt)"
        )
        if self.interval.exact or self.hodges_lehmann == "median":
            estimate = "median of the Walsh averages of the nonzero differences"
        else:
            estimate = "root of the signed-rank statistic as R"
        ci = (
            "exact Walsh-average order statistics"
            if self.interval.exact
            else "normal-approximation inversion as R"
        )
        return (
            f"Wilcoxon signed-rank V, p {p_method}; {self.n_zero} zero differences, "
            f"{zeros}; ties {'present' if self.ties else 'none'}; Hodges-Lehmann estimate "
            f"{estimate}, {self.interval.confidence:.0%} CI by {ci}"
        )


def signed_rank(
    differences: np.ndarray,
    zero_method: str = DEFAULTS.prepost.zero_method.value,
    confidence: float = 0.95,
    exact: str = DEFAULTS.stats.exact.value,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
) -> SignedRankResult:
    """Wilcoxon signed-rank test of ``differences`` (post - pre) against zero.

    Differences are rounded to 10 significant digits first. With ``exact="r"`` the
    p-value is exact when there are no ties, no zeros and at most 200 differences
    (R's ``exact = TRUE``), otherwise the normal approximation with tie and continuity
    correction (as R); with ``exact="prism"`` it is exact up to 200 differences also
    with ties and zeros (the permutation distribution of the signed midranks, as
    GraphPad Prism). Zero differences are dropped before ranking (``wilcox``, as R and
    GraphPad Prism) or ranked and then dropped (``pratt``). The Hodges-Lehmann
    estimate and interval use the nonzero differences, as R does; the estimate is the
    median of their Walsh averages (``hodges_lehmann="median"``) or, with ties or
    zeros, R's root of the normal-approximation statistic (``"r"``).
    """
    from scipy import stats as sps

    _check("zero_method", zero_method, ZERO_METHODS)
    _check("exact", exact, EXACT_METHODS)
    _check("hodges_lehmann", hodges_lehmann, HODGES_LEHMANN_METHODS)
    d = round_significant(np.asarray(differences, dtype=float))
    d = d[np.isfinite(d)]
    nonzero = d[d != 0]
    ranked = nonzero if zero_method == "wilcox" else d
    n_ranked = len(ranked)
    if len(nonzero) == 0:
        nothing = Interval(math.nan, math.nan, math.nan, 0.0, False)
        return SignedRankResult(
            len(d),
            len(d),
            n_ranked,
            False,
            zero_method,
            math.nan,
            math.nan,
            False,
            math.nan,
            nothing,
            exact,
            hodges_lehmann,
        )
    ranks = sps.rankdata(np.abs(ranked))
    positive = float(ranks[ranked > 0].sum())
    negative = float(ranks[ranked < 0].sum())
    ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
    has_zeros = len(nonzero) < len(d)
    untied = not ties and not has_zeros and len(nonzero) <= PAIRED_EXACT_LIMIT
    if exact == "prism" and len(nonzero) <= PAIRED_EXACT_LIMIT:
        # the zeros (ranked under Pratt) carry no sign: only the others are permuted
        signed = ranked != 0
        p = signed_rank_exact_p(ranks[signed], ranked[signed] > 0)
        is_exact = True
    else:
        test = sps.wilcoxon(
            d,
            zero_method=zero_method,
            method="exact" if untied else "approx",
            correction=not untied,
        )
        p, is_exact = float(test.pvalue), untied
    # the z behind the effect size r: the same statistic without continuity correction
    plain = sps.wilcoxon(d, zero_method=zero_method, method="approx", correction=False)
    z = math.copysign(abs(float(plain.zstatistic)), positive - negative)
    if untied:
        interval = _walsh_interval(nonzero, confidence)
    else:
        interval = _signed_rank_root_interval(nonzero, confidence)
        if hodges_lehmann == "median":
            interval = replace(interval, estimate=walsh_median(nonzero))
    return SignedRankResult(
        n=len(d),
        n_zero=len(d) - len(nonzero),
        n_ranked=n_ranked,
        ties=ties,
        zero_method=zero_method,
        statistic=positive,
        p=p,
        exact=is_exact,
        z=z,
        interval=interval,
        exact_method=exact,
        hodges_lehmann=hodges_lehmann,
    )


@dataclass(frozen=True)
class RankSumResult:
    """Wilcoxon rank-sum (Mann-Whitney) test with the Hodges-Lehmann shift of x - y."""

    n_x: int
    n_y: int
    ties: bool
    statistic: float  # W = U of x: pairs (x, y) with x > y, ties counting one half
    p: float
    exact: bool
    interval: Interval
    exact_method: str = "r"
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value

    def describe(self) -> str:
        """The methods used, as one phrase for the ``method`` column."""
        if self.exact and self.ties:
            p_method = "exact (Prism: permutation distribution of the midranks)"
        elif self.exact:
            p_method = "exact"
        else:
            limit = (
                f"more than {PRISM_EXACT_LIMIT} values in the smaller sample or "
                f"{POOLED_EXACT_LIMIT} in all"
                if self.exact_method == "prism"
                else f"{EXACT_LIMIT} or more values in a sample"
            )
            reason = _approximation_reason(self.ties and self.exact_method == "r", False, limit)
            p_method = f"normal approximation with continuity correction ({reason})"
        if self.interval.exact or self.hodges_lehmann == "median":
            estimate = "median of the pairwise differences"
        else:
            estimate = "root of the rank-sum statistic as R"
        ci = (
            "exact pairwise-difference order statistics"
            if self.interval.exact
            else "normal-approximation inversion as R"
        )
        return (
            f"Mann-Whitney U (Wilcoxon rank-sum W), p {p_method}; ties "
            f"{'present' if self.ties else 'none'}; Hodges-Lehmann shift {estimate}, "
            f"{self.interval.confidence:.0%} CI by {ci}"
        )


def rank_sum(
    x: np.ndarray,
    y: np.ndarray,
    confidence: float = 0.95,
    exact: str = DEFAULTS.stats.exact.value,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
) -> RankSumResult:
    """Mann-Whitney U test of x against y with the Hodges-Lehmann shift x - y.

    Values are rounded to 10 significant digits first. With ``exact="r"``: exact p
    and interval without ties and with fewer than 50 values per sample, otherwise the
    normal approximation with tie and continuity correction (as R). With
    ``exact="prism"`` the p is exact also with ties (the permutation distribution of
    the midranks) while the smaller sample has at most 100 values and the pooled one
    at most 200. The estimate is the median of all pairwise differences
    (``hodges_lehmann="median"``) or, with ties, R's root (``"r"``).
    """
    from scipy import stats as sps

    _check("exact", exact, EXACT_METHODS)
    _check("hodges_lehmann", hodges_lehmann, HODGES_LEHMANN_METHODS)
    a = round_significant(np.asarray(x, dtype=float))
    b = round_significant(np.asarray(y, dtype=float))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        nothing = Interval(math.nan, math.nan, math.nan, 0.0, False)
        return RankSumResult(
            len(a), len(b), False, math.nan, math.nan, False, nothing, exact, hodges_lehmann
        )
    pooled = np.concatenate([a, b])
    ties = len(np.unique(pooled)) < len(pooled)
    untied = not ties and len(a) < EXACT_LIMIT and len(b) < EXACT_LIMIT
    test = sps.mannwhitneyu(
        a,
        b,
        alternative="two-sided",
        method="exact" if untied else "asymptotic",
        use_continuity=True,
    )
    p, is_exact = float(test.pvalue), untied
    if (
        exact == "prism"
        and min(len(a), len(b)) <= PRISM_EXACT_LIMIT
        and len(pooled) <= POOLED_EXACT_LIMIT
    ):
        in_x = np.arange(len(pooled)) < len(a)
        p, is_exact = rank_sum_exact_p(sps.rankdata(pooled), in_x), True
    if untied:
        interval = _pairwise_interval(a, b, confidence)
    else:
        interval = _rank_sum_root_interval(a, b, confidence)
        if hodges_lehmann == "median":
            interval = replace(interval, estimate=pairwise_median(a, b))
    return RankSumResult(
        n_x=len(a),
        n_y=len(b),
        ties=ties,
        statistic=float(test.statistic),
        p=p,
        exact=is_exact,
        interval=interval,
        exact_method=exact,
        hodges_lehmann=hodges_lehmann,
    )


def wilcoxon_paired(
    pre: np.ndarray, post: np.ndarray, zero_method: str = "wilcox", exact: str = "r"
) -> dict[str, float | int | str]:
    """Wilcoxon matched-pairs signed-rank test of post − pre (V, p and how p was found)."""
    result = signed_rank(np.asarray(post, float) - np.asarray(pre, float), zero_method, exact=exact)
    if math.isnan(result.p):
        method_p = "no nonzero pairs"
    elif result.exact:
        method_p = "exact"
    else:
        method_p = "normal approximation with continuity correction"
    return {"n": result.n, "statistic": result.statistic, "p": result.p, "method_p": method_p}


def hodges_lehmann_paired(
    differences: np.ndarray,
    confidence: float = 0.95,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
) -> tuple[float, float, float]:
    """Hodges-Lehmann estimate and CI of paired differences (see :func:`signed_rank`)."""
    interval = signed_rank(
        differences, confidence=confidence, hodges_lehmann=hodges_lehmann
    ).interval
    return interval.estimate, interval.low, interval.high
