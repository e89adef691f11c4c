"""Pre vs post per analyte: Wilcoxon matched-pairs signed-rank test and its companions.

Every function returns tables.STATS rows. The test rows (``prepost``) carry the
Hodges-Lehmann estimate of post − pre with its 95% CI, V, p and the BH q across
analytes of the same group; the descriptive rows carry the medians, the median of the
differences and the effect size r = Z/√n.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from assaypipe.settings import DEFAULTS
from assaypipe.stats.frames import (
    ALL,
    BELOW_LLOQ_TEXT,
    SENSITIVITY_POLICIES,
    analyte_units,
    analytes_of,
    censored_counts,
    paired_values,
    row,
    stats_table,
    visit_values,
)
from assaypipe.stats.ranks import round_significant, signed_rank
from assaypipe.vocabulary import CensorPolicy

TEST = "prepost"
MEDIAN_PRE = "prepost_median_pre"
MEDIAN_POST = "prepost_median_post"
MEDIAN_DIFFERENCE = "prepost_median_difference"
EFFECT_SIZE = "prepost_effect_size"
SUBGROUP_PREFIX = "subgroup_"
SENSITIVITY_PREFIX = "sensitivity_"


def group_members(groups: pd.Series | None, include_all: bool) -> dict[str, set[str] | None]:
    """Subject sets by group label (None: every subject), ``all`` first if asked for."""
    members: dict[str, set[str] | None] = {ALL: None} if include_all or groups is None else {}
    if groups is not None:
        labels = groups.dropna().astype(str)
        for label in sorted(labels.unique()):
            members[label] = set(labels.index[labels == label].astype(str))
    return members


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if len(values) else math.nan


def _family_rows(
    samples: pd.DataFrame,
    members: Mapping[str, set[str] | None],
    *,
    pre: str,
    post: str,
    below_lloq: str,
    zero_method: str,
    exact: str = DEFAULTS.stats.exact.value,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
    prefix: str = "",
    tests: bool = True,
    descriptives: bool = True,
    note: str = "",
    test_name: str = TEST,
    empty: str = "",
    expected: Sequence[str] = (),
) -> list[dict[str, Any]]:
    expected = analytes_of(samples, expected)
    pairs = paired_values(samples, pre, post, below_lloq, expected)
    # under the policies that can drop censored values: who would have a pair without it
    kept = (
        paired_values(samples, pre, post, CensorPolicy.HALF_LLOQ, expected)
        if below_lloq in (CensorPolicy.EXCLUDE, CensorPolicy.AS_READ)
        else pairs
    )
    units = analyte_units(samples)
    policy = BELOW_LLOQ_TEXT[below_lloq]
    suffix = f"; {note}" if note else ""
    rows: list[dict[str, Any]] = []
    for group, subjects in members.items():
        for analyte, both in pairs.items():
            unit = units.get(analyte, "")
            if subjects is not None:
                both = both[both.index.astype(str).isin(subjects)]
            n = len(both)
            before = both["pre"].to_numpy(dtype=float)
            after = both["post"].to_numpy(dtype=float)
            difference = round_significant(after - before)
            result = signed_rank(
                difference, zero_method=zero_method, exact=exact, hodges_lehmann=hodges_lehmann
            )
            scope = ", ".join(
                part
                for part in (
                    "in the subgroup" if prefix == SUBGROUP_PREFIX else "",
                    "" if group == ALL else f"in group {group}",
                )
                if part
            )
            if n:
                missing = f"all {n} differences are zero"
            elif empty:
                missing = f"n = 0{' ' + scope if scope else ''}: {empty}"
            elif len(kept[analyte]):
                missing = (
                    f"n = 0{' ' + scope if scope else ''}: all values censored (every pair "
                    f"has a {analyte} value below the LLOQ or LOD; {policy})"
                )
            else:
                missing = (
                    f"n = 0{' ' + scope if scope else ''}: "
                    f"no subject with {analyte} at both {pre} and {post}"
                )
            if tests:
                rows.append(
                    row(
                        prefix + test_name,
                        analyte,
                        group,
                        n,
                        estimate=result.interval.estimate,
                        ci=(result.interval.low, result.interval.high),
                        statistic=result.statistic,
                        p=result.p,
                        method=f"{result.describe()}; {post} − {pre}; {policy}{suffix}",
                        adjust=True,
                        unit=unit,
                        missing=missing,
                    )
                )
            if descriptives:
                rows += [
                    row(
                        prefix + MEDIAN_PRE,
                        analyte,
                        group,
                        n,
                        estimate=_median(before),
                        method=f"median at {pre} of the complete pairs; {policy}{suffix}",
                        unit=unit,
                        missing=missing,
                    ),
                    row(
                        prefix + MEDIAN_POST,
                        analyte,
                        group,
                        n,
                        estimate=_median(after),
                        method=f"median at {post} of the complete pairs; {policy}{suffix}",
                        unit=unit,
                        missing=missing,
                    ),
                    row(
                        prefix + MEDIAN_DIFFERENCE,
                        analyte,
                        group,
                        n,
                        estimate=_median(difference),
                        method=f"median of {post} − {pre}; {policy}{suffix}",
                        unit=unit,
                        missing=missing,
                    ),
                    row(
                        prefix + EFFECT_SIZE,
                        analyte,
                        group,
                        n,
                        estimate=result.effect_size,
                        statistic=result.z,
                        method=(
                            "effect size r = Z/√n: Z (statistic) the signed-rank normal "
                            "approximation without continuity correction, tie-corrected, signed "
                            f"as {post} − {pre}; n = {result.n_ranked} differences ranked "
                            f"({zero_method}); {policy}{suffix}"
                        ),
                        missing=missing,
                    ),
                ]
    return rows


def prepost(
    samples: pd.DataFrame,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
    zero_method: str = DEFAULTS.prepost.zero_method.value,
    exact: str = DEFAULTS.stats.exact.value,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
    groups: pd.Series | None = None,
    include_all: bool = True,
    expected: Sequence[str] = (),
) -> pd.DataFrame:
    """Pre vs post tests per analyte (analysis ``prepost``), one row per group x analyte.

    ``groups`` maps subject_id to a group label (e.g. responder / nonresponder); each
    label gets its own rows, and group ``all`` (every subject with a pair) comes first
    unless ``include_all`` is false. q is BH across analytes within a group.
    ``exact`` and ``hodges_lehmann`` as in :func:`~assaypipe.stats.ranks.signed_rank`;
    each analyte of ``expected`` gets rows also without values (n = 0, with a note).
    """
    members = group_members(groups, include_all)
    return stats_table(
        _family_rows(
            samples,
            members,
            pre=pre,
            post=post,
            below_lloq=below_lloq,
            zero_method=zero_method,
            exact=exact,
            hodges_lehmann=hodges_lehmann,
            descriptives=False,
            expected=expected,
        )
    )


def prepost_summary(
    samples: pd.DataFrame,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
    zero_method: str = DEFAULTS.prepost.zero_method.value,
    exact: str = DEFAULTS.stats.exact.value,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
    groups: pd.Series | None = None,
    expected: Sequence[str] = (),
) -> pd.DataFrame:
    """Descriptive rows of the pre/post comparison for ``all`` and each group.

    Per analyte: median at each visit and median of the differences (complete pairs),
    and the effect size r.
    """
    return stats_table(
        _family_rows(
            samples,
            group_members(groups, include_all=True),
            pre=pre,
            post=post,
            below_lloq=below_lloq,
            zero_method=zero_method,
            exact=exact,
            hodges_lehmann=hodges_lehmann,
            tests=False,
            expected=expected,
        )
    )


def subgroup_subjects(
    samples: pd.DataFrame, analyte: str, threshold: float, visit: str, below_lloq: str
) -> set[str]:
    """Subjects whose ``analyte`` at ``visit`` is above ``threshold``."""
    values = visit_values(samples, visit, below_lloq)
    if analyte not in values:
        return set()
    column = values[analyte]
    return set(column.index[column > threshold].astype(str))


def prepost_subgroup(
    samples: pd.DataFrame,
    analyte: str = DEFAULTS.subgroup.analyte,
    threshold: float = DEFAULTS.subgroup.threshold,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
    zero_method: str = DEFAULTS.prepost.zero_method.value,
    exact: str = DEFAULTS.stats.exact.value,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
    groups: pd.Series | None = None,
    expected: Sequence[str] = (),
) -> pd.DataFrame:
    """Pre/post tests and descriptives among subjects with baseline ``analyte`` > threshold.

    Analyses are named ``subgroup_prepost``, ``subgroup_prepost_median_pre``, ...;
    groups are ``all`` and each label of ``groups``, restricted to the subgroup.
    """
    chosen = subgroup_subjects(samples, analyte, threshold, pre, below_lloq)
    members = {
        label: (chosen if subjects is None else subjects & chosen)
        for label, subjects in group_members(groups, include_all=True).items()
    }
    unit = analyte_units(samples).get(analyte, "")
    note = f"subgroup: {pre} {analyte} > {threshold:g}" + (f" {unit}" if unit else "")
    if chosen:
        empty = ""
    elif visit_values(samples, pre, below_lloq).get(analyte, pd.Series()).notna().any():
        empty = f"no subject has {pre} {analyte} > {threshold:g}" + (f" {unit}" if unit else "")
    else:
        empty = f"no subject has a {pre} {analyte} value, so the subgroup is empty"
    return stats_table(
        _family_rows(
            samples,
            members,
            pre=pre,
            post=post,
            below_lloq=below_lloq,
            zero_method=zero_method,
            exact=exact,
            hodges_lehmann=hodges_lehmann,
            prefix=SUBGROUP_PREFIX,
            note=note,
            empty=empty,
            expected=expected,
        )
    )


def prepost_sensitivity(
    samples: pd.DataFrame,
    policies: Sequence[str] = SENSITIVITY_POLICIES,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    zero_method: str = DEFAULTS.prepost.zero_method.value,
    exact: str = DEFAULTS.stats.exact.value,
    hodges_lehmann: str = DEFAULTS.stats.hodges_lehmann.value,
    expected: Sequence[str] = (),
) -> pd.DataFrame:
    """The pre/post tests of every subject rerun under each below-LLOQ policy.

    One analysis per policy, ``sensitivity_<policy>`` (e.g. ``sensitivity_exclude``),
    group ``all``; the method names the number of censored samples per analyte.
    """
    rows: list[dict[str, Any]] = []
    counts = censored_counts(samples, [pre, post])
    for policy in policies:
        family = _family_rows(
            samples,
            {ALL: None},
            pre=pre,
            post=post,
            below_lloq=policy,
            zero_method=zero_method,
            exact=exact,
            hodges_lehmann=hodges_lehmann,
            descriptives=False,
            test_name=policy,
            prefix=SENSITIVITY_PREFIX,
            expected=expected,
        )
        for item in family:
            censored = counts.get(str(item["analyte"]), 0)
            item["method"] += f"; {censored} samples below LLOQ/LOD at {pre} or {post}"
        rows += family
    return stats_table(rows)
