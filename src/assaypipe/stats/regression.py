"""Simple linear regression (statsmodels OLS) and Spearman's rank correlation.

OLS standard errors are the usual (independent errors) ones or, given the subject of
each point, cluster-robust by subject (statsmodels ``cov_type="cluster"``: the CR1
sandwich with the small-sample factor G/(G − 1) · (N − 1)/(N − K), as R's
``sandwich::vcovCL(type = "HC1")``), with t tests and CIs on G − 1 degrees of freedom.

Spearman's rho comes from SciPy. Its p-value follows R's ``cor.test(method =
"spearman")``: without ties, the distribution of S = (n^3 - n)(1 - rho)/6 (exact by
enumeration up to 9 subjects, the Edgeworth series of Best & Roberts 1975, AS 89,
beyond); with ties, the t approximation (SciPy's p-value).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Largest n for which the null distribution of S is enumerated, as R does.
_EXACT_SPEARMAN_N = 9
# R uses the S distribution up to this n (then its n^3 overflows int) and t beyond.
_SPEARMAN_S_LIMIT = 1290
EDGEWORTH_BELOW_ZERO = (
    "by the t approximation as R cor.test(exact = FALSE): this far in the tail the Edgeworth "
    "series of AS 89, R's default, falls below 0 and R gives p = 0"
)

# Edgeworth-series coefficients of AS 89.
_AS89 = (0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932, 0.0879, 0.0151, 0.0072, 0.0831)
_AS89_TAIL = (0.0131, 4.6e-4)


@dataclass(frozen=True)
class OlsResult:
    """y = intercept + slope * x by ordinary least squares."""

    n: int
    intercept: float
    intercept_ci: tuple[float, float]
    intercept_t: float
    intercept_p: float
    slope: float
    slope_ci: tuple[float, float]
    slope_t: float
    slope_p: float
    r_squared: float
    f: float
    f_p: float
    clusters: int = 0  # subjects the standard errors are clustered by (0: not clustered)


def ols(
    x: np.ndarray,
    y: np.ndarray,
    confidence: float = 0.95,
    groups: np.ndarray | None = None,
) -> OlsResult:
    """Least-squares line of y on x (complete pairs only), with t-based CIs.

    ``groups`` (one label per point, e.g. the subject) makes the standard errors, t,
    p, CIs and F cluster-robust by group, on G − 1 degrees of freedom; it needs at
    least 3 groups. The estimates and R² are the same either way.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    labels = None if groups is None else np.asarray(groups)[keep]
    x, y = x[keep], y[keep]
    n = len(x)
    clusters = 0 if labels is None else len(np.unique(labels))
    if n < 3 or np.ptp(x) == 0 or (labels is not None and clusters < 3):
        nan2 = (math.nan, math.nan)
        nan = math.nan
        return OlsResult(n, nan, nan2, nan, nan, nan, nan2, nan, nan, nan, nan, nan, clusters)
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    model = OLS(y, add_constant(x, has_constant="add"))
    if labels is None:
        fit = model.fit()
    else:
        codes = np.unique(labels, return_inverse=True)[1]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    params = np.asarray(fit.params)
    ci = np.asarray(fit.conf_int(alpha=1 - confidence))
    t = np.asarray(fit.tvalues)
    p = np.asarray(fit.pvalues)
    return OlsResult(
        n=n,
        intercept=float(params[0]),
        intercept_ci=(float(ci[0, 0]), float(ci[0, 1])),
        intercept_t=float(t[0]),
        intercept_p=float(p[0]),
        slope=float(params[1]),
        slope_ci=(float(ci[1, 0]), float(ci[1, 1])),
        slope_t=float(t[1]),
        slope_p=float(p[1]),
        r_squared=float(fit.rsquared),
        f=float(np.squeeze(fit.fvalue)),
        f_p=float(np.squeeze(fit.f_pvalue)),
        clusters=clusters,
    )


@dataclass(frozen=True)
class SpearmanResult:
    """Spearman's rank correlation with R's S statistic and p-value."""

    n: int
    rho: float
    s: float  # (n^3 - n)(1 - rho) / 6
    p: float
    method: str  # how p was found


@lru_cache(maxsize=_EXACT_SPEARMAN_N + 1)
def _s_null_counts(n: int) -> tuple[np.ndarray, int]:
    # S = sum (i - pi_i)^2 over all n! permutations pi, tabulated by value.
    ranks = np.arange(n)
    s_values = np.fromiter(
        (int(np.sum((ranks - np.asarray(p)) ** 2)) for p in itertools.permutations(range(n))),
        dtype=np.int64,
    )
    return np.bincount(s_values), len(s_values)


def s_tail_probability(s: float, n: int, lower_tail: bool) -> float:
    """P(S < s) (``lower_tail``) or P(S >= s) under independence, as AS 89.

    Exact by enumeration for n <= 9, Edgeworth series beyond.
    """
    from scipy import stats as sps

    if n <= 1:
        return 0.0 if lower_tail else 1.0
    if s <= 0:
        return 0.0 if lower_tail else 1.0
    s_max = n * (n * n - 1.0) / 3.0
    if s > s_max:
        return 1.0 if lower_tail else 0.0
    if n <= _EXACT_SPEARMAN_N:
        counts, total = _s_null_counts(n)
        values = np.arange(len(counts))
        at_least = int(counts[values >= s].sum())
        return (total - at_least) / total if lower_tail else at_least / total
    b = 1.0 / n
    x = (6.0 * (s - 1) * b / (n * n - 1.0) - 1.0) * math.sqrt(n - 1.0)
    y = x * x
    c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 = _AS89
    c11, c12 = _AS89_TAIL
    inner = c9 - c10 * b + y * b * (c11 - c12 * y)
    u = (
        x
        * b
        * (
            c1
            + b * (c2 + c3 * b)
            + y * (-c4 + b * (c5 + c6 * b) - y * b * (c7 + c8 * b - y * inner))
        )
    )
    correction = u / math.exp(y / 2.0)
    normal = float(sps.norm.cdf(x)) if lower_tail else float(sps.norm.sf(x))
    p = (-correction if lower_tail else correction) + normal
    return min(max(p, 0.0), 1.0)


def spearman(x: np.ndarray, y: np.ndarray) -> SpearmanResult:
    """Spearman's rho of complete pairs with a two-sided p-value as R's ``cor.test``."""
    from scipy import stats as sps

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = len(x)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return SpearmanResult(n, math.nan, math.nan, math.nan, "too few distinct values")
    result = sps.spearmanr(x, y)
    rho = float(result.statistic)
    s = (n**3 - n) * (1 - rho) / 6
    ties = len(np.unique(x)) < n or len(np.unique(y)) < n
    if ties or n > _SPEARMAN_S_LIMIT:
        return SpearmanResult(n, rho, s, float(result.pvalue), "t approximation (ties)")
    # R: the tail of S on the side of the observed value, rounded S, doubled
    if s > (n**3 - n) / 6:
        tail = s_tail_probability(round(s), n, lower_tail=False)
    else:
        tail = s_tail_probability(round(s) + 2, n, lower_tail=True)
    if tail <= 0.0 and n > _EXACT_SPEARMAN_N:
        # Far in the tail the Edgeworth series falls below 0, which R's cor.test reports as
        # p = 0; a p of 0 is never true, so the t approximation stands in there.
        return SpearmanResult(n, rho, s, float(result.pvalue), EDGEWORTH_BELOW_ZERO)
    method = "exact" if n <= _EXACT_SPEARMAN_N else "Edgeworth series (AS 89)"
    return SpearmanResult(n, rho, s, min(2 * tail, 1.0), method)
