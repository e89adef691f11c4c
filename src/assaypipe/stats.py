"""Study statistics over the samples table.

Pre/post per analyte: Wilcoxon matched-pairs signed-rank test (SciPy), with the
Hodges-Lehmann estimate of the shift and its confidence interval, and
Benjamini-Hochberg q across analytes (statsmodels).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from assaypipe import tables

BELOW_LLOQ_POLICIES = ("half_lloq", "lloq_sqrt2", "exclude")
ZERO_METHODS = ("wilcox", "pratt")

# Differences are rounded to this many significant digits before ranking, so that
# float noise (0.1 + 0.2 - 0.3) cannot turn a tie into two ranks.
_SIGNIFICANT_DIGITS = 10


def apply_censor_policy(samples: pd.DataFrame, policy: str = "half_lloq") -> pd.Series:
    """Concentrations with censored values replaced by the stated policy.

    ``<LLOQ`` and ``<LOD`` become LLOQ/2 (``half_lloq``), LLOQ/√2 (``lloq_sqrt2``) or
    missing (``exclude``); ``>ULOQ`` becomes the ULOQ.
    """
    if policy not in BELOW_LLOQ_POLICIES:
        raise ValueError(f"below_lloq policy must be one of {BELOW_LLOQ_POLICIES}, not {policy!r}")
    values = samples["concentration"].astype(float).copy()
    below = samples["censor"].isin(["<LLOQ", "<LOD"]).to_numpy()
    above = (samples["censor"] == ">ULOQ").to_numpy()
    lloq = samples["lloq"].astype(float)
    substitute = {"half_lloq": lloq / 2, "lloq_sqrt2": lloq / math.sqrt(2), "exclude": np.nan}
    values[below] = np.asarray(substitute[policy] if policy != "exclude" else np.nan * lloq)[below]
    values[above] = samples["uloq"].astype(float)[above]
    return values


def round_significant(values: np.ndarray, digits: int = _SIGNIFICANT_DIGITS) -> np.ndarray:
    """Round to ``digits`` significant digits (zeros stay zero)."""
    values = np.asarray(values, dtype=float)
    out = np.zeros_like(values)
    nonzero = values != 0
    magnitude = np.floor(np.log10(np.abs(values[nonzero])))
    scale = 10.0 ** (digits - 1 - magnitude)
    out[nonzero] = np.round(values[nonzero] * scale) / scale
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


def hodges_lehmann_paired(
    differences: np.ndarray, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Hodges-Lehmann estimate (median of Walsh averages) and its distribution-free CI.

    The interval is the pair of order statistics of the Walsh averages given by the
    exact signed-rank distribution, as in Hollander & Wolfe (and R's ``wilcox.test``
    without ties).
    """
    d = np.asarray(differences, dtype=float)
    n = len(d)
    if n == 0:
        return math.nan, math.nan, math.nan
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2.0)
    estimate = float(np.median(walsh))
    cdf = np.cumsum(signed_rank_null(n))
    alpha = 1.0 - confidence
    # smallest q with P(V <= q) >= alpha/2, as R's qsignrank
    q = int(np.searchsorted(cdf, alpha / 2.0 - 1e-12))
    q = max(q, 1)
    m = len(walsh)
    low = walsh[q - 1]
    high = walsh[m - q]
    return estimate, float(low), float(high)


def wilcoxon_paired(
    pre: np.ndarray, post: np.ndarray, zero_method: str = "wilcox"
) -> dict[str, float | int | str]:
    """Wilcoxon matched-pairs signed-rank test of post − pre.

    ``statistic`` is V, the sum of the ranks of positive differences (as R reports).
    The p-value is exact when there are no ties and no zero differences, otherwise
    from the normal approximation with continuity correction (as R falls back to).
    Zero differences are dropped (``wilcox``, as GraphPad Prism) or ranked and then
    dropped (``pratt``).
    """
    if zero_method not in ZERO_METHODS:
        raise ValueError(f"zero_method must be one of {ZERO_METHODS}, not {zero_method!r}")
    d = round_significant(np.asarray(post, float) - np.asarray(pre, float))
    n_pairs = len(d)
    nonzero = d[d != 0]
    ranked = nonzero if zero_method == "wilcox" else d
    ranks = sps.rankdata(np.abs(ranked))
    v = float(ranks[ranked > 0].sum())
    has_ties = len(np.unique(np.abs(ranked))) < len(ranked)
    has_zeros = len(nonzero) < n_pairs
    exact = not has_ties and not has_zeros and 0 < len(nonzero) <= 50
    if len(nonzero) == 0:
        return {"n": n_pairs, "statistic": math.nan, "p": math.nan, "method_p": "no nonzero pairs"}
    result = sps.wilcoxon(
        d,
        zero_method=zero_method,
        method="exact" if exact else "approx",
        correction=not exact,
    )
    method_p = "exact" if exact else "normal approximation with continuity correction"
    return {"n": n_pairs, "statistic": v, "p": float(result.pvalue), "method_p": method_p}


def prepost(
    samples: pd.DataFrame,
    pre: str = "baseline",
    post: str = "post",
    below_lloq: str = "half_lloq",
    zero_method: str = "wilcox",
) -> pd.DataFrame:
    """Pre vs post per analyte (tables.STATS): HL shift of post − pre, CI, V, p, BH q."""
    data = samples.assign(value=apply_censor_policy(samples, below_lloq))
    data = data[data["visit"].isin([pre, post]) & data["subject_id"].notna()]
    rows = []
    for analyte, group in data.groupby("analyte", sort=True):
        wide = group.pivot_table(
            index="subject_id", columns="visit", values="value", aggfunc="mean"
        ).dropna()
        if pre not in wide or post not in wide or len(wide) == 0:
            continue
        before, after = wide[pre].to_numpy(), wide[post].to_numpy()
        test = wilcoxon_paired(before, after, zero_method=zero_method)
        estimate, low, high = hodges_lehmann_paired(round_significant(after - before))
        rows.append(
            {
                "analysis": "prepost",
                "analyte": analyte,
                "group": "all",
                "n": len(wide),
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "statistic": test["statistic"],
                "p": test["p"],
                "q": math.nan,
                "method": (
                    f"Wilcoxon signed-rank ({test['method_p']}, zeros: {zero_method}) of "
                    f"{post} - {pre}; Hodges-Lehmann 95% CI; below LLOQ: {below_lloq}"
                ),
            }
        )
    if not rows:
        return tables.empty(tables.STATS)
    result = pd.DataFrame(rows)
    finite = result["p"].notna()
    if finite.any():
        result.loc[finite, "q"] = multipletests(result.loc[finite, "p"], method="fdr_bh")[1]
    return tables.STATS.validate(result)
