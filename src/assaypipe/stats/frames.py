"""Shared steps of the study statistics: censored values, pairing, the stats table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from assaypipe import tables

BELOW_LLOQ_POLICIES = ("half_lloq", "lloq_sqrt2", "exclude")
BELOW_LLOQ_TEXT = {
    "half_lloq": "below LLOQ set to LLOQ/2",
    "lloq_sqrt2": "below LLOQ set to LLOQ/√2",
    "exclude": "below LLOQ excluded",
}
ALL = "all"
# The unit of a change given as log2(post / pre).
LOG2_RATIO = "log2 ratio"


def analyte_units(samples: pd.DataFrame) -> dict[str, str]:
    """Each analyte's unit in a samples table (its ``unit`` column; "" without one).

    Statistics never mix units: an analyte with values in several units is an error
    (the workflow leaves such an analyte out before the statistics).
    """
    if "unit" not in samples:
        return {}
    valued = samples[samples["concentration"].notna()]
    units = valued.groupby("analyte", sort=True)["unit"].unique()
    mixed = {str(a): sorted(map(str, u)) for a, u in units.items() if len(u) > 1}
    if mixed:
        analyte, found = next(iter(mixed.items()))
        raise ValueError(
            f"{analyte} has values in several units ({', '.join(found)}); bring them to one "
            "unit or leave the analyte out before the statistics"
        )
    return {str(a): str(u[0]) for a, u in units.items()}


def per(unit: str, other: str) -> str:
    """The unit of a slope: ``unit`` per ``other`` ("" when neither is known)."""
    if not unit and not other:
        return ""
    return f"{unit or 'unit not stated'} per {other or 'unit not stated'}"


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
    substitute = {
        "half_lloq": lloq / 2,
        "lloq_sqrt2": lloq / math.sqrt(2),
        "exclude": np.nan * lloq,
    }
    values[below] = np.asarray(substitute[policy])[below]
    values[above] = samples["uloq"].astype(float)[above]
    return values


def visit_values(samples: pd.DataFrame, visit: str, below_lloq: str) -> pd.DataFrame:
    """One value per subject x analyte at ``visit`` (mean of its samples), wide by analyte."""
    data = samples.assign(value=apply_censor_policy(samples, below_lloq))
    data = data[(data["visit"] == visit) & data["subject_id"].notna()]
    if data.empty:
        return pd.DataFrame(index=pd.Index([], name="subject_id"))
    wide = data.pivot_table(index="subject_id", columns="analyte", values="value", aggfunc="mean")
    wide.columns.name = None
    return wide.sort_index()


def paired_values(
    samples: pd.DataFrame, pre: str, post: str, below_lloq: str
) -> dict[str, pd.DataFrame]:
    """Per analyte, the subjects with a value at both visits: columns ``pre``, ``post``.

    The second element of a pair is the subject's mean value when a visit has several
    samples. Censored values follow ``below_lloq``; a pair with a missing value (or an
    excluded one) is left out.
    """
    before = visit_values(samples, pre, below_lloq)
    after = visit_values(samples, post, below_lloq)
    analytes = sorted(set(before.columns) | set(after.columns))
    out = {}
    for analyte in analytes:
        pairs = pd.DataFrame(
            {
                "pre": before.get(analyte, pd.Series(dtype=float)),
                "post": after.get(analyte, pd.Series(dtype=float)),
            }
        ).dropna()
        out[analyte] = pairs.sort_index()
    return out


def censored_counts(samples: pd.DataFrame, visits: Sequence[str]) -> dict[str, int]:
    """Per analyte, how many samples at ``visits`` are below the LLOQ or LOD."""
    data = samples[samples["visit"].isin(list(visits))]
    below = data["censor"].isin(["<LLOQ", "<LOD"])
    return {str(k): int(v) for k, v in below.groupby(data["analyte"]).sum().items()}


def row(
    analysis: str,
    analyte: str,
    group: str,
    n: int,
    estimate: float = math.nan,
    ci: tuple[float, float] = (math.nan, math.nan),
    statistic: float = math.nan,
    p: float = math.nan,
    method: str = "",
    adjust: bool = False,
    unit: str = "",
    missing: str = "",
) -> dict[str, Any]:
    """One stats row; ``adjust`` marks it for Benjamini-Hochberg within analysis x group;
    ``unit`` is the unit of the estimate and its CI ("" when they have none).

    A row without an estimate says why at the end of its method (``no estimate:``
    ``missing``, or ``n = 0`` when n is 0), so that no row is blank without a word.
    """
    if math.isnan(estimate):
        reason = missing or ("n = 0" if n == 0 else "not computable from these values")
        method = f"{method}; no estimate: {reason}" if method else f"no estimate: {reason}"
    return {
        "analysis": analysis,
        "analyte": analyte,
        "group": group,
        "n": n,
        "estimate": estimate,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "unit": unit,
        "statistic": statistic,
        "p": p,
        "q": math.nan,
        "method": method,
        "_adjust": adjust,
    }


def stats_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The rows as a tables.STATS frame, with BH q across analytes per analysis x group.

    Only rows marked ``adjust`` with a finite p take part; the others keep q missing.
    """
    from statsmodels.stats.multitest import multipletests

    if not rows:
        return tables.empty(tables.STATS)
    frame = pd.DataFrame(list(rows))
    adjust = frame.pop("_adjust").astype(bool) & frame["p"].notna()
    for _, index in frame[adjust].groupby(["analysis", "group"], sort=False).groups.items():
        frame.loc[index, "q"] = multipletests(frame.loc[index, "p"], method="fdr_bh")[1]
    return tables.STATS.validate(frame[list(tables.STATS.columns)].reset_index(drop=True))
