"""Shared steps of the study statistics: censored values, pairing, the stats table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from assaypipe import tables
from assaypipe.settings import DEFAULTS
from assaypipe.vocabulary import Censor, CensorPolicy, values

BELOW_LLOQ_POLICIES = values(CensorPolicy)
# The policies the pre/post tests are rerun under unless the config names others.
SENSITIVITY_POLICIES: tuple[str, ...] = (
    CensorPolicy.HALF_LLOQ,
    CensorPolicy.LLOQ_SQRT2,
    CensorPolicy.EXCLUDE,
)
BELOW_LLOQ_TEXT = {
    CensorPolicy.HALF_LLOQ.value: "below LLOQ set to LLOQ/2",
    CensorPolicy.LLOQ_SQRT2.value: "below LLOQ set to LLOQ/√2",
    CensorPolicy.EXCLUDE.value: "below LLOQ excluded",
    CensorPolicy.AS_READ.value: (
        "below LLOQ as read off the curve (excluded where the curve gives no value)"
    ),
}
ALL = "all"
PRIMARY = "primary"
EXPLORATORY = "exploratory"
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


def apply_censor_policy(
    samples: pd.DataFrame, policy: str = DEFAULTS.prepost.below_lloq
) -> pd.Series:
    """Concentrations with censored values replaced by the stated policy.

    ``<LLOQ`` and ``<LOD`` become LLOQ/2 (``half_lloq``), LLOQ/√2 (``lloq_sqrt2``),
    missing (``exclude``) or keep the concentration read off the curve (``as_read``;
    missing where the curve gives none, a signal at or beyond its zero-dose response);
    ``>ULOQ`` becomes the ULOQ.

    >>> samples = pd.DataFrame({"concentration": [1.5, float("nan"), 8.0],
    ...     "censor": ["<LLOQ", "<LOD", None], "lloq": 2.0, "uloq": 100.0})
    >>> apply_censor_policy(samples, "half_lloq").tolist()
    [1.0, 1.0, 8.0]
    >>> apply_censor_policy(samples, "as_read").tolist()
    [1.5, nan, 8.0]
    """
    if policy not in BELOW_LLOQ_POLICIES:
        raise ValueError(f"below_lloq policy must be one of {BELOW_LLOQ_POLICIES}, not {policy!r}")
    values = samples["concentration"].astype(float).copy()
    below = samples["censor"].isin([Censor.BELOW_LLOQ, Censor.BELOW_LOD]).to_numpy()
    above = (samples["censor"] == Censor.ABOVE_ULOQ).to_numpy()
    lloq = samples["lloq"].astype(float)
    substitute = {
        CensorPolicy.HALF_LLOQ.value: lloq / 2,
        CensorPolicy.LLOQ_SQRT2.value: lloq / math.sqrt(2),
        CensorPolicy.EXCLUDE.value: np.nan * lloq,
        CensorPolicy.AS_READ.value: values,
    }
    values[below] = np.asarray(substitute[policy])[below]
    values[above] = samples["uloq"].astype(float)[above]
    return values


def analytes_of(samples: pd.DataFrame, expected: Sequence[str] = ()) -> list[str]:
    """Every analyte of ``samples`` (with values or not) and of ``expected``, sorted: the
    analytes a statistics table has rows for, so none disappears without a note."""
    return sorted({*samples["analyte"].astype(str), *map(str, expected)})


def visit_values(
    samples: pd.DataFrame, visit: str, below_lloq: str, expected: Sequence[str] = ()
) -> pd.DataFrame:
    """One value per subject x analyte at ``visit`` (mean of its samples), wide by analyte.

    Each analyte of ``expected`` has a column, empty where it has no values.
    """
    data = samples.assign(value=apply_censor_policy(samples, below_lloq))
    data = data[(data["visit"] == visit) & data["subject_id"].notna()]
    if data.empty:
        wide = pd.DataFrame(index=pd.Index([], name="subject_id"))
    else:
        wide = data.pivot_table(
            index="subject_id", columns="analyte", values="value", aggfunc="mean"
        )
        wide.columns.name = None
    missing = [str(a) for a in expected if a not in wide.columns]
    if missing:
        wide = wide.reindex(columns=sorted([*map(str, wide.columns), *missing])).astype(float)
    return wide.sort_index()


def paired_values(
    samples: pd.DataFrame, pre: str, post: str, below_lloq: str, expected: Sequence[str] = ()
) -> dict[str, pd.DataFrame]:
    """Per analyte, the subjects with a value at both visits: columns ``pre``, ``post``.

    The second element of a pair is the subject's mean value when a visit has several
    samples. Censored values follow ``below_lloq``; a pair with a missing value (or an
    excluded one) is left out. Each analyte of ``expected`` has an entry, empty where
    it has no pairs.
    """
    before = visit_values(samples, pre, below_lloq, expected)
    after = visit_values(samples, post, below_lloq, expected)
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
    below = data["censor"].isin([Censor.BELOW_LLOQ, Censor.BELOW_LOD])
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
    family: str = "",
) -> dict[str, Any]:
    """One stats row; ``adjust`` marks it for Benjamini-Hochberg within its family:
    ``family`` names it (default ``<analysis> [<group>]``: the analytes of one analysis
    and group). ``unit`` is the unit of the estimate and its CI ("" when they have none).

    A row without an estimate says why in its ``note`` (``missing``, or ``n = 0`` when n
    is 0), so that no row is blank without a word; a row with an estimate has no note.
    """
    note = None
    if math.isnan(estimate):
        note = missing or ("n = 0" if n == 0 else "not computable from these values")
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
        "q_family": None,
        "family": EXPLORATORY,
        "method": method,
        "note": note,
        "_adjust": adjust,
        "_family": family or f"{analysis} [{group}]",
    }


def stats_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The rows as a tables.STATS frame, with BH q within each family of tests.

    Only rows marked ``adjust`` with a finite p take part; the others keep q (and
    ``q_family``) missing. ``q_family`` names the family and how many tests it has.
    Every row is ``exploratory`` until :func:`mark_primary` says otherwise.
    """
    from statsmodels.stats.multitest import multipletests

    if not rows:
        return tables.empty(tables.STATS)
    frame = pd.DataFrame(list(rows))
    adjust = frame.pop("_adjust").astype(bool) & frame["p"].notna()
    families = frame.pop("_family")
    for family, index in frame[adjust].groupby(families[adjust], sort=False).groups.items():
        frame.loc[index, "q"] = multipletests(frame.loc[index, "p"], method="fdr_bh")[1]
        frame.loc[index, "q_family"] = (
            f"{family}: {len(index)} test{'' if len(index) == 1 else 's'}"
        )
    return tables.STATS.validate(frame[list(tables.STATS.columns)].reset_index(drop=True))


def mark_primary(table: pd.DataFrame, analysis: str, group: str) -> pd.DataFrame:
    """``table`` with the primary family marked: the rows of ``analysis`` x ``group`` and
    every row whose q was adjusted together with theirs (``family`` = ``primary``)."""
    declared = (table["analysis"] == analysis) & (table["group"] == group)
    shared = set(table.loc[declared, "q_family"].dropna())
    primary = declared | table["q_family"].isin(shared)
    out = table.copy()
    out["family"] = np.where(primary, PRIMARY, EXPLORATORY)
    return out


def note_lost(table: pd.DataFrame, lost: Mapping[str, str]) -> pd.DataFrame:
    """``table`` with the note of each row of an analyte in ``lost`` (analyte -> why its
    values are gone, e.g. "all plates failed QC") saying so, where the row has no
    estimate: "NfL: all plates failed QC". A correlation row whose predictor is the
    analyte (group ``<analyte> | ...``) says so too."""
    out = table.copy()
    for analyte, why in lost.items():
        named = (out["analyte"] == analyte) | out["group"].str.startswith(f"{analyte} | ")
        hit = named & out["estimate"].isna()
        out.loc[hit, "note"] = f"{analyte}: {why}"
    return out
