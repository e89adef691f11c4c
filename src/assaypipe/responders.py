"""Responder classification from the outcome sheet, by the rules in config.

Two rules, both judged against the baseline month and both optionally required to
hold again (sustained) at a later month:

- ``edss``: EDSS improved (fell) by at least ``edss_improvement`` points;
- ``t25fw``: the timed 25-foot walk improved (time fell) by more than
  ``walk_improvement`` (a fraction of the baseline time).

Every subject of the subject sheet gets one row per rule with the values the label
came from; the rule chosen in config is marked ``primary`` and gives the groups the
statistics use. A subject with a value missing is ``not_evaluable``, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from assaypipe import tables
from assaypipe.settings import DEFAULTS, ResponderSettings
from assaypipe.vocabulary import ResponderRule, values

RULES = values(ResponderRule)
RESPONDER = "responder"
NONRESPONDER = "nonresponder"
NOT_EVALUABLE = "not_evaluable"


def _criterion(
    rule: str,
    baseline_month: int,
    month: int,
    sustained_month: int | None,
    edss_improvement: float,
    walk_improvement: float,
) -> str:
    months = f"month {month}" + (
        f" and again at month {sustained_month}" if sustained_month is not None else ""
    )
    if rule == "edss":
        return f"EDSS at least {edss_improvement:g} below month {baseline_month} at {months}"
    return (
        f"T25FW more than {walk_improvement:.0%} faster than at month {baseline_month} at {months}"
    )


def _improvement(rule: str, start: float, later: float) -> float:
    # EDSS in points, T25FW as the fraction of the baseline time saved
    if rule == "edss":
        return start - later
    return (start - later) / start if start > 0 else math.nan


def _meets(rule: str, improvement: float, edss_improvement: float, walk_improvement: float) -> bool:
    # EDSS moves in half points, so "at least 0.5" is an exact comparison
    if rule == "edss":
        return bool(improvement >= edss_improvement)
    return bool(improvement > walk_improvement)


def classify_responders(
    subjects: pd.DataFrame,
    outcomes: pd.DataFrame,
    settings: ResponderSettings = DEFAULTS.responders,
) -> pd.DataFrame:
    """The subjects table (tables.SUBJECTS): one row per subject x rule.

    ``subjects`` and ``outcomes`` as from :func:`read_subjects` and
    :func:`read_outcomes`; ``settings`` the config's ``responders`` section, whose
    ``rule`` picks the primary rule.
    """
    rule = settings.rule.value
    baseline_month, month = settings.baseline_month, settings.month
    sustained_month = settings.sustained_month
    edss_improvement, walk_improvement = settings.edss_improvement, settings.walk_improvement
    recorded: dict[tuple[str, int, str], float] = {
        (str(subject_id), int(at), measure): float(value)
        for measure in ("edss", "t25fw")
        for subject_id, at, value in zip(
            outcomes["subject_id"], outcomes["month"], outcomes[measure], strict=True
        )
    }

    def value(subject_id: str, measure: str, at: int | None) -> float:
        return math.nan if at is None else recorded.get((subject_id, at, measure), math.nan)

    rows: list[dict[str, Any]] = []
    for subject in subjects.to_dict("records"):
        subject_id = str(subject["subject_id"])
        baseline_edss = value(subject_id, "edss", baseline_month)
        for name in RULES:
            measure = "edss" if name == "edss" else "t25fw"
            start = value(subject_id, measure, baseline_month)
            at_month = value(subject_id, measure, month)
            at_sustained = value(subject_id, measure, sustained_month)
            improvement = _improvement(name, start, at_month)
            sustained = _improvement(name, start, at_sustained)
            needed = [(baseline_month, start), (month, at_month)]
            if sustained_month is not None:
                needed.append((sustained_month, at_sustained))
            missing = [m for m, v in needed if not math.isfinite(v)]
            if missing:
                responder: bool | None = None
                group = NOT_EVALUABLE
                reason = f"no {measure.upper()} at month " + ", ".join(str(m) for m in missing)
            else:
                limits = (edss_improvement, walk_improvement)
                responder = _meets(name, improvement, *limits) and (
                    sustained_month is None or _meets(name, sustained, *limits)
                )
                group = RESPONDER if responder else NONRESPONDER
                reason = ""
            rows.append(
                {
                    "subject_id": subject_id,
                    "course": subject.get("course"),
                    "sex": subject.get("sex"),
                    "age": subject.get("age"),
                    "disease_duration": subject.get("disease_duration"),
                    "ambulatory": subject.get("ambulatory"),
                    "baseline_edss": baseline_edss,
                    "rule": name,
                    "primary": name == rule,
                    "criterion": _criterion(
                        name,
                        baseline_month,
                        month,
                        sustained_month,
                        edss_improvement,
                        walk_improvement,
                    ),
                    "baseline_value": start,
                    "month_value": at_month,
                    "sustained_value": at_sustained,
                    "improvement": improvement,
                    "sustained_improvement": sustained,
                    "responder": responder,
                    "group": group,
                    "reason": reason,
                }
            )
    if not rows:
        return tables.empty(tables.SUBJECTS)
    frame = pd.DataFrame(rows)
    for column in ("course", "sex"):
        frame[column] = frame[column].replace("", None)
    frame["responder"] = frame["responder"].astype("boolean")
    frame["ambulatory"] = frame["ambulatory"].astype("boolean")
    return tables.SUBJECTS.validate(frame[list(tables.SUBJECTS.columns)])


def primary_subjects(subjects_table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the primary rule: one per subject."""
    return subjects_table[subjects_table["primary"].astype(bool)].reset_index(drop=True)


def response_groups(
    subjects_table: pd.DataFrame, labels: Sequence[str] = (RESPONDER, NONRESPONDER)
) -> pd.Series:
    """subject_id -> ``responder`` / ``nonresponder`` by the primary rule (evaluable only)."""
    primary = primary_subjects(subjects_table)
    primary = primary[primary["group"].isin(list(labels))]
    return pd.Series(
        primary["group"].astype(str).to_numpy(),
        index=pd.Index(primary["subject_id"].astype(str), name="subject_id"),
        name="group",
    )
