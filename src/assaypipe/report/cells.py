"""How the report writes a table cell: numbers, intervals, p values, QC values, and the
blanks and warnings of the input tables."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from assaypipe.qc.checks import SHARE_CHECKS
from assaypipe.units import UNIT_CHECK


def blank(value: object) -> bool:
    # pd.NA first: comparing it with "" gives NA, whose truth value raises
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, str) and value == "")
        or (isinstance(value, float) and math.isnan(value))
    )


def to_float(value: object) -> float:
    """A number from a table cell; NaN for missing values (None, NA, NaT) and text."""
    if isinstance(value, int | float | np.number):
        return float(value)
    return math.nan


def num(value: object, unit: object = None) -> str:
    """A number to 4 significant digits, followed by its unit when it has one."""
    number = to_float(value)
    if not math.isfinite(number):
        return "–"
    return f"{number:.4g} {unit}" if not blank(unit) else f"{number:.4g}"


def interval(low: object, high: object) -> str:
    """A confidence interval as ``low to high``; – when either end is missing."""
    a, b = to_float(low), to_float(high)
    if not (math.isfinite(a) and math.isfinite(b)):
        return "–"
    return f"{a:.4g} to {b:.4g}"


def p_value(value: object) -> str:
    """A p or q value to 2 significant digits; below 0.0001 as ``< 0.0001``.

    >>> p_value(0.0390625), p_value(3e-7), p_value(float("nan"))
    ('0.039', '< 0.0001', '–')
    """
    number = to_float(value)
    if not math.isfinite(number):
        return "–"
    return "< 0.0001" if number < 1e-4 else f"{number:.2g}"


def share_or_number(value: object, check: str, unit: object = None) -> str:
    """A check's value as it reads: a percentage for a share (``qc.checks.SHARE_CHECKS``, by
    the name before any ``:``), else a number with its unit.

    >>> share_or_number(1.0047, "recovery:S1"), share_or_number(90.0, "bead_count")
    ('100.5%', '90')
    >>> share_or_number(32.0, "blank_signal")
    '32'
    """
    number = to_float(value)
    if not math.isfinite(number):
        return "–"
    if check.split(":", 1)[0] in SHARE_CHECKS:
        return f"{100 * number:.1f}%"
    return num(number, unit)


def check_value(check: Mapping[Any, Any]) -> str:
    """A QC row's value as the report shows it: the ``unit`` check's value is a factor."""
    if check["check"] == UNIT_CHECK:
        number = to_float(check["value"])
        return f"× {number:g}" if math.isfinite(number) else "–"
    return share_or_number(check["value"], str(check["check"]), check.get("unit"))


def warnings_of(value: object) -> list[str]:
    """A plate's warnings: a list (or array, as parquet gives it back); none when missing."""
    if value is None or isinstance(value, float):
        return []
    return [str(item) for item in value]  # type: ignore[attr-defined]


def warning_counts(plates: pd.DataFrame) -> pd.Series:
    if "warnings" not in plates:
        return pd.Series(0, index=plates.index)
    return plates["warnings"].map(lambda value: len(warnings_of(value)))
