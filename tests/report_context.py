"""A small study's report context for the section tests: three CCL2 plates and one
TGF-β2 plate, QC run, inputs built as tests/unit/test_report.py builds them."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from assaypipe.report.context import ReportContext
from tests.unit.test_qc import make_plate, study
from tests.unit.test_report import inputs_for, parse

__all__ = ["context", "frames", "parse"]


@cache
def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return study(
        make_plate("P1", run_time="2025-01-01"),
        make_plate("P1", analyte="TGFB2", run_time="2025-01-01"),
        make_plate("P2", run_time="2025-01-02"),
        make_plate("P3", run_time="2025-01-03", control_factor=1.02),
    )


def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Copies of the study's wells, curves and plates tables."""
    return tuple(frame.copy() for frame in _frames())  # type: ignore[return-value]


def context(
    wells: pd.DataFrame | None = None,
    curves: pd.DataFrame | None = None,
    plates: pd.DataFrame | None = None,
    **options: Any,
) -> ReportContext:
    base = frames()
    given = (wells, curves, plates)
    tables = [b if g is None else g for b, g in zip(base, given, strict=True)]
    return ReportContext.of(inputs_for(*tables, **options))
