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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from assaypipe import tables
from assaypipe.errors import InputError, excerpt
from assaypipe.settings import DEFAULTS, ResponderSettings
from assaypipe.sheets import OUTCOME_COLUMNS, SUBJECT_COLUMNS, read_sheet
from assaypipe.vocabulary import ResponderRule, values

RULES = values(ResponderRule)
# A month from baseline beyond a century is a typing error (and beyond 2**63 it would
# not fit an integer).
MAX_MONTH = 1200
RESPONDER = "responder"
NONRESPONDER = "nonresponder"
NOT_EVALUABLE = "not_evaluable"


def _first_line(rows: pd.Series) -> int:
    """The sheet line of the first row marked in ``rows`` (line 1 is the header)."""
    return int(np.flatnonzero(rows.to_numpy())[0]) + 2


def _numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    text = frame[column].astype(str).str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = values.isna() & (text != "")
    if bad.any():
        raise InputError(
            path,
            f"{column} {excerpt(text[bad].iloc[0])} is not a number",
            f"line {_first_line(bad)}",
        )
    return values.astype(float)


def read_subjects(path: str | Path) -> pd.DataFrame:
    """The subject sheet with numbers as numbers and ``ambulatory`` as a nullable bool."""
    path = Path(path)
    sheet = read_sheet(path, SUBJECT_COLUMNS, key="subject_id")
    out = sheet[list(SUBJECT_COLUMNS)].copy()
    for column in ("age", "disease_duration"):
        out[column] = _numbers(sheet, column, path)
    ambulatory = sheet["ambulatory"].str.lower().map({"true": True, "false": False})
    out["ambulatory"] = ambulatory.astype("boolean")
    return out


def read_outcomes(path: str | Path) -> pd.DataFrame:
    """The outcome sheet: subject_id, month (int), edss and t25fw (float, NaN if empty)."""
    path = Path(path)
    sheet = read_sheet(path, OUTCOME_COLUMNS)
    out = pd.DataFrame({"subject_id": sheet["subject_id"]})
    out["month"] = _numbers(sheet, "month", path)
    if out["month"].isna().any():
        raise InputError(path, "month is empty", f"line {_first_line(out['month'].isna())}")
    beyond = out["month"] > MAX_MONTH
    if beyond.any():
        raise InputError(
            path,
            f"month {excerpt(sheet['month'][beyond].iloc[0])} is beyond {MAX_MONTH}; expected "
            "the months from baseline",
            f"line {_first_line(beyond)}",
        )
    out["month"] = out["month"].astype(int)
    out["edss"] = _numbers(sheet, "edss", path)
    out["t25fw"] = _numbers(sheet, "t25fw", path)
    twice = out.duplicated(["subject_id", "month"])
    if twice.any():
        first = int(np.flatnonzero(twice.to_numpy())[0])
        raise InputError(
            path,
            f"subject {out['subject_id'].iloc[first]} has month "
            f"{out['month'].iloc[first]} twice; one row per subject and month",
            f"line {first + 2}",
        )
    return out


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
