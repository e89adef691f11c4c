"""Responders vs nonresponders: the change after treatment compared between groups.

Per analyte, the change of each subject (post − pre, and log2 of post/pre) is
compared between the two groups by the Mann-Whitney U test with the Hodges-Lehmann
shift and its 95% CI (see :mod:`assaypipe.stats.ranks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from assaypipe.settings import DEFAULTS
from assaypipe.stats.frames import (
    BELOW_LLOQ_TEXT,
    LOG2_RATIO,
    analyte_units,
    analytes_of,
    paired_values,
    row,
    stats_table,
)
from assaypipe.stats.ranks import rank_sum, round_significant

RESPONDER = "responder"
NONRESPONDER = "nonresponder"
CHANGES = {
    "change_difference": "post − pre",
    "change_log2_ratio": "log2(post / pre)",
}


def subject_changes(
    samples: pd.DataFrame, pre: str, post: str, below_lloq: str, expected: Sequence[str] = ()
) -> dict[str, pd.DataFrame]:
    """Per analyte, each paired subject's ``difference`` and ``log2_ratio`` (post vs pre).

    The log2 ratio is missing where a value is not positive.
    """
    out = {}
    for analyte, both in paired_values(samples, pre, post, below_lloq, expected).items():
        before = both["pre"].to_numpy(dtype=float)
        after = both["post"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where((before > 0) & (after > 0), np.log2(after / before), np.nan)
        out[analyte] = pd.DataFrame(
            {"difference": round_significant(after - before), "log2_ratio": ratio},
            index=both.index,
        )
    return out


def change_by_response(
    samples: pd.DataFrame,
    groups: pd.Series,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
    first: str = NONRESPONDER,
    second: str = RESPONDER,
    exact: str = DEFAULTS.stats.exact.value,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
    expected: Sequence[str] = (),
) -> pd.DataFrame:
    """Change of ``first`` vs ``second`` group per analyte (tables.STATS rows).

    Test rows ``change_difference`` and ``change_log2_ratio`` (group
    ``nonresponder vs responder``): Hodges-Lehmann shift first − second with 95% CI,
    W (the U of the first group), p, BH q across analytes and both changes (one
    family: they are two versions of one test). Descriptive rows
    ``change_difference_median`` and ``change_log2_ratio_median``: the median change
    in each group. ``exact`` and ``hodges_lehmann`` as in
    :func:`~assaypipe.stats.ranks.rank_sum`.
    """
    labels = groups.dropna().astype(str)
    labels.index = labels.index.astype(str)
    comparison = f"{first} vs {second}"
    policy = BELOW_LLOQ_TEXT[below_lloq]
    units = analyte_units(samples)
    rows: list[dict[str, Any]] = []
    for analyte, changes in subject_changes(
        samples, pre, post, below_lloq, analytes_of(samples, expected)
    ).items():
        label = labels.reindex(changes.index.astype(str)).to_numpy()
        for analysis, formula in CHANGES.items():
            unit = units.get(analyte, "") if analysis == "change_difference" else LOG2_RATIO
            column = changes["difference" if analysis == "change_difference" else "log2_ratio"]
            values = column.to_numpy(dtype=float)
            finite = np.isfinite(values)
            x = values[finite & (label == first)]
            y = values[finite & (label == second)]
            result = rank_sum(x, y, exact=exact, hodges_lehmann=hodges_lehmann)
            why = {
                name: f"n = 0 in group {name}"
                + (" (a log2 ratio needs positive values at both visits)" if skipped else "")
                for name, part, skipped in (
                    (first, x, bool(np.any(~finite & (label == first)))),
                    (second, y, bool(np.any(~finite & (label == second)))),
                )
                if not len(part)
            }
            rows.append(
                row(
                    analysis,
                    analyte,
                    comparison,
                    len(x) + len(y),
                    estimate=result.interval.estimate,
                    ci=(result.interval.low, result.interval.high),
                    statistic=result.statistic,
                    p=result.p,
                    method=(
                        f"{result.describe()}; {formula} ({post} vs {pre}) of {first} "
                        f"(n={len(x)}) − {second} (n={len(y)}); {policy}"
                    ),
                    adjust=True,
                    unit=unit,
                    missing=" and ".join(why.values()),
                    family=f"{' and '.join(CHANGES)} [{comparison}]",
                )
            )
            for name, part in ((first, x), (second, y)):
                rows.append(
                    row(
                        f"{analysis}_median",
                        analyte,
                        name,
                        len(part),
                        estimate=float(np.median(part)) if len(part) else math.nan,
                        method=f"median of {formula} ({post} vs {pre}); {policy}",
                        unit=unit,
                        missing=why.get(name, ""),
                    )
                )
    return stats_table(rows)
