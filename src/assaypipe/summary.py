"""The few lines a run ends with: what was read, what was refused, what to look at.

Printed by the workflow when it finishes, so lab staff learn from the terminal how the
run went without opening a log: files read and rejected, each plate warning (the first
few), QC verdicts, analytes left out of the statistics for their units, and where the
report is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assaypipe.units import UNIT_SOURCE

__all__ = ["run_summary"]

# Warnings and rejections printed one per line before they are only counted.
MOST_LINES = 20


def run_summary(results: str | Path, most: int = MOST_LINES) -> str:
    """The summary of the run whose outputs are in ``results``.

    >>> print(run_summary("/nonexistent"))
    assaypipe: no plates table in /nonexistent; nothing was read
    """
    results = Path(results)
    plates_path = results / "plates.parquet"
    if not plates_path.is_file():
        return f"assaypipe: no plates table in {results}; nothing was read"
    plates = pd.read_parquet(plates_path)
    rejected = _table(results / "rejected.parquet")
    read = plates[plates["status"] == "read"]
    warned = [
        (str(plate_id), str(warning))
        for plate_id, warnings in zip(read["plate_id"], read["warnings"], strict=True)
        for warning in warnings
    ]
    n_warned = len({plate_id for plate_id, _ in warned})
    n_rejected = rejected["source_file"].nunique() if not rejected.empty else 0
    lines = [
        f"assaypipe: {len(read)} plates read ({n_warned} with warnings), "
        f"{n_rejected} files rejected"
    ]
    # A rejection's reason names its file already (errors.InputError).
    shown = [f"  rejected: {r.reason}" for r in rejected.itertuples()]
    shown += [f"  warning {plate_id}: {warning}" for plate_id, warning in warned]
    lines += shown[:most]
    if len(shown) > most:
        lines.append(
            f"  ... and {len(shown) - most} more (results/rejected.parquet, "
            "results/plates.parquet column warnings, the report's Plates section)"
        )
    verdicts = _table(results / "qc_verdicts.parquet")
    if not verdicts.empty:
        counts = verdicts["verdict"].value_counts()
        lines.append(
            "QC verdicts (plate x analyte): "
            + ", ".join(
                f"{int(counts.get(status, 0))} {status}" for status in ("pass", "warn", "fail")
            )
        )
    exclusions = _table(results / "exclusions.parquet")
    if not exclusions.empty:
        lines += [
            f"{r.analyte} left out of the statistics: {r.reason}"
            for r in exclusions[exclusions["source"] == UNIT_SOURCE].itertuples()
        ]
    report = results / "report.html"
    if report.is_file():
        lines.append(f"report: {report}")
    return "\n".join(lines)


def _table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.is_file() else pd.DataFrame()
