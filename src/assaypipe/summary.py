"""The few lines a run ends with: what was read, what was refused, what to look at.

Printed by the workflow when it finishes and written to ``results/summary.txt``, so lab
staff learn from the terminal how the run went without opening a log: files read,
rejected and skipped (one line per file with its reason: a hidden file, lock file or
README of the plates folder is listed, so that no file goes unmentioned), each plate
warning (the first few) and the warnings counted by kind, QC verdicts in all and by
analyte, analytes left out of the statistics, analyses that came out empty or lost an
analyte, a group or every row (with the rows' notes), the primary family of tests, and
where the report is. With ``run.strict`` a run with a rejected file, a failing plate x
analyte or an analyte left out exits non-zero (`finish_run`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from assaypipe.errors import visible
from assaypipe.exclusion_sheet import DUPLICATE_SOURCE
from assaypipe.units import UNIT_SOURCE
from assaypipe.vocabulary import QcStatus

__all__ = [
    "RunSummary",
    "finish_run",
    "run_summary",
    "statistics_losses",
    "summarise_run",
    "warning_kind",
]

# Warnings and rejections printed one per line before they are only counted.
MOST_LINES = 20
# Names listed per kind of sheet mismatch.
_SHEET_NAMES = 5
_PLACE = re.compile(r"^(?:(?:line|row|sheet|plate|well|analyte) [^:]{1,80}?: )+")
_QUOTED = re.compile(r"`[^`]*`|(?<!\w)'[^']*'(?!\w)|\"[^\"]*\"")
_WELL = re.compile(r"\b[A-P](?:[1-9]|1\d|2[0-4])\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Analyte and sample names as the summary shows them, at most this long.
_NAME = 60


@dataclass(frozen=True)
class RunSummary:
    """The summary's text, and what a strict run fails on (empty: nothing)."""

    text: str
    problems: tuple[str, ...]


def warning_kind(warning: str) -> str:
    """A plate warning without its place, quoted names and numbers, so that alike
    warnings of many plates count as one kind.

    >>> warning_kind("line 7: row H has two `450` lines; the first is read")
    'row H has two `…` lines; the first is read'
    >>> warning_kind("sheet `Data`, row 3: 12 wells of 96 are empty")
    'N wells of N are empty'
    >>> warning_kind("the control at well H11 reads 2.5 times its range")
    'the control at well <well> reads N times its range'
    """
    text = _PLACE.sub("", warning)
    text = _QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[-1], text)
    text = _NUMBER.sub("N", _WELL.sub("<well>", text))
    return text if len(text) <= 120 else text[:119] + "…"


def run_summary(results: str | Path, most: int = MOST_LINES) -> str:
    """The summary's text for the run whose outputs are in ``results``.

    >>> print(run_summary("/nonexistent"))
    assaypipe: no plates table in /nonexistent; nothing was read
    """
    return summarise_run(results, most).text


def finish_run(results: str | Path, strict: bool | str = False) -> int:
    """Print the summary, write it to ``results/summary.txt``, and return the exit
    code: 1 for a strict run with problems, else 0. ``strict`` may be the text
    ``"true"`` (as ``snakemake --config 'run={strict: true}'`` passes it)."""
    strict = str(strict).casefold() == "true"
    summary = summarise_run(results)
    text = summary.text
    if strict and summary.problems:
        text += "\nstrict run (run.strict): exit 1 for " + "; ".join(summary.problems)
    print(text)
    folder = Path(results)
    if folder.is_dir():
        (folder / "summary.txt").write_text(text + "\n", encoding="utf-8")
    return 1 if strict and summary.problems else 0


def summarise_run(results: str | Path, most: int = MOST_LINES) -> RunSummary:
    """The summary of the run whose outputs are in ``results``, and its problems."""
    results = Path(results)
    plates_path = results / "plates.parquet"
    if not plates_path.is_file():
        return RunSummary(
            f"assaypipe: no plates table in {results}; nothing was read", ("nothing was read",)
        )
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
    skipped = _table(results / "skipped.parquet")
    lines = [
        f"assaypipe: {_count(len(read), 'plate')} read ({n_warned} with warnings), "
        f"{_count(n_rejected, 'file')} rejected"
        + (f", {len(skipped)} skipped" if len(skipped) else "")
    ]
    # A rejection's reason names its file already (errors.InputError).
    shown = [f"  rejected: {r.reason}" for r in rejected.itertuples()]
    shown += [f"  skipped: {r.source_file}: {r.reason}" for r in skipped.itertuples()]
    shown += [f"  warning {plate_id}: {warning}" for plate_id, warning in warned]
    lines += shown[:most]
    if len(shown) > most:
        lines.append(
            f"  ... and {len(shown) - most} more (results/rejected.parquet, skipped.parquet, "
            "results/plates.parquet column warnings, the report's Plates section)"
        )
    kinds = Counter(warning_kind(warning) for _, warning in warned)
    if len(warned) > 1:
        lines.append(f"warnings by kind ({len(warned)} on {_count(n_warned, 'plate')}):")
        lines += [f"  {n} x {kind}" for kind, n in kinds.most_common(most)]
        if len(kinds) > most:
            lines.append(f"  ... and {len(kinds) - most} more kinds")
    problems = [f"{_count(n_rejected, 'file')} rejected"] if n_rejected else []
    verdicts = _table(results / "qc_verdicts.parquet")
    if not verdicts.empty:
        lines += _verdict_lines(verdicts, most)
        n_fail = int((verdicts["verdict"] == QcStatus.FAIL).sum())
        if n_fail:
            problems.append(f"{n_fail} plate x analyte failed QC")
    exclusions = _table(results / "exclusions.parquet")
    if not exclusions.empty:
        left_out = exclusions[exclusions["source"] == UNIT_SOURCE]
        lines += [
            f"{r.analyte} left out of the statistics: {r.reason}" for r in left_out.itertuples()
        ]
        if len(left_out):
            problems.append(f"{_count(len(left_out), 'analyte')} left out for its units")
        copies = exclusions[exclusions["source"] == DUPLICATE_SOURCE]
        lines += [
            f"plate {r.plate_id} left out of the statistics: {r.reason}"
            for r in copies.itertuples()
        ]
        if len(copies):
            problems.append(f"{_count(len(copies), 'plate')} read from a copy of another's file")
    findings = _table(results / "sheet_checks.parquet")
    if not findings.empty:
        lines += _sheet_lines(findings, most)
        n = len(findings)
        problems.append(f"{n} sheet mismatch{'' if n == 1 else 'es'}")
    lines += _statistics_lines(results)
    report = results / "report.html"
    if report.is_file():
        lines.append(f"report: {report}")
    # File names and analyte names come from the lab's files: a control character in one
    # (an escape sequence) is shown, not sent to the terminal.
    return RunSummary(visible("\n".join(lines)), tuple(problems))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _verdict_lines(verdicts: pd.DataFrame, most: int = MOST_LINES) -> list[str]:
    counts = verdicts["verdict"].value_counts()
    lines = [
        "QC verdicts (plate x analyte): "
        + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in QcStatus)
    ]
    if "analyte" not in verdicts.columns:
        return lines
    by_analyte = verdicts.groupby("analyte")["verdict"].value_counts().unstack(fill_value=0)
    passed = []
    flagged = []
    for analyte, row in by_analyte.iterrows():
        if not row.get(QcStatus.WARN, 0) and not row.get(QcStatus.FAIL, 0):
            passed.append(_short(str(analyte), _NAME))
            continue
        shown = ", ".join(f"{int(row.get(s, 0))} {s}" for s in QcStatus)
        flagged.append(f"  {_short(str(analyte), _NAME)}: {shown}")
    lines += flagged[:most]
    if len(flagged) > most:
        lines.append(
            f"  ... and {len(flagged) - most} more analytes with a warn or fail (the report's "
            "Verdicts, results/qc_verdicts.parquet)"
        )
    if passed:
        more = f" and {len(passed) - most} more" if len(passed) > most else ""
        lines.append(f"  every plate passes: {', '.join(passed[:most])}{more}")
    return lines


def _sheet_lines(findings: pd.DataFrame, most: int) -> list[str]:
    """The sheet checks: per check, how many and the first few names."""
    lines = ["sheet checks (results/sheet_checks.parquet, the report's Sheet checks):"]
    named = min(most, _SHEET_NAMES)
    for check, group in findings.groupby("check", sort=False):
        names = [
            f"{_short(str(r.name), _NAME)} ({_short(str(r.where))})"
            if r.n_wells
            else _short(str(r.name), _NAME)
            for r in group.itertuples()
        ]
        more = f" and {len(names) - named} more" if len(names) > named else ""
        lines.append(
            f"  {len(group)} {str(check).replace('_', ' ')}: {', '.join(names[:named])}{more}"
        )
    return lines


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _statistics_lines(results: Path) -> list[str]:
    """Analyses that came out empty or lost an analyte, a group or every row, and why
    (the rows' notes); then the primary family, or that no row matched it."""
    folder = results / "stats"
    paths = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    lines = []
    primary: list[str] = []
    for path in paths:
        table = pd.read_parquet(path)
        name = path.stem
        if table.empty:
            lines.append(f"  {name}: no result")
            continue
        lines += [f"  {name}: {loss}" for loss in statistics_losses(table)]
        if "family" in table.columns:
            chosen = table[(table["family"] == "primary") & table["p"].notna()]
            for (analysis, group), rows in chosen.groupby(["analysis", "group"], sort=False):
                primary.append(f"{analysis} [{group}] in {name} ({_count(len(rows), 'test')})")
    out = ["statistics that lost an analyte, a group or every row:", *lines] if lines else []
    if paths:
        out.append(
            "primary family (stats.primary_family): " + "; ".join(primary)
            if primary
            else "primary family (stats.primary_family): no test matches; every row is exploratory"
        )
    return out


def statistics_losses(table: pd.DataFrame, most: int = 3) -> list[str]:
    """What a stats table lost, in words: the analytes and groups without any estimate
    and, for the other rows without one, how many; each with its ``note``.

    >>> rows = pd.DataFrame({"analysis": "prepost", "analyte": ["CCL2", "NfL"],
    ...     "group": "all", "estimate": [1.0, None], "note": [None, "NfL: all plates failed QC"]})
    >>> statistics_losses(rows)
    ['no estimate for NfL (NfL: all plates failed QC)']
    """
    if "note" not in table.columns:
        return []
    empty = table["estimate"].isna()
    if not empty.any():
        return []
    if empty.all():
        return [f"no estimate in any of its {_count(len(table), 'row')} ({_notes(table, most)})"]
    out = []
    left = empty.copy()
    for key, label in (("analyte", "for"), ("group", "in group")):
        lost = empty.groupby(table[key]).all()
        for value in lost.index[lost.to_numpy()]:
            rows = table[left & (table[key] == value)]
            if rows.empty:
                continue
            out.append(f"no estimate {label} {value} ({_notes(rows, most)})")
            left &= table[key] != value
    if left.any():
        rows = table[left]
        out.append(f"{_count(len(rows), 'more row')} without an estimate ({_notes(rows, most)})")
    return out


def _notes(rows: pd.DataFrame, most: int) -> str:
    counts = rows["note"].fillna("no note").astype(str).value_counts(sort=True)
    shown = [
        str(note) if n == len(rows) else f"{note}: {n}" for note, n in counts.iloc[:most].items()
    ]
    more = f"; and {len(counts) - most} other notes" if len(counts) > most else ""
    return "; ".join(shown) + more


def _table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.is_file() else pd.DataFrame()
