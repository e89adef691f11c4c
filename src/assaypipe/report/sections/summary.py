"""Summary: the study's counts as cards, the rejected files with their reasons, and the
files of the plates folder skipped."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from assaypipe.qc.checks import records
from assaypipe.report.cells import warning_counts
from assaypipe.report.context import ReportContext
from assaypipe.report.html import Html, table, tag
from assaypipe.report.page import section
from assaypipe.units import UNIT_SOURCE
from assaypipe.vocabulary import QcStatus, Role

# Places listed under one reason of a rejected file; past it, how many more.
MAX_PLACES = 12


def render(ctx: ReportContext) -> Html:
    plates = ctx.inputs.plates
    rejections = _rejections(ctx.inputs.rejected, plates)
    n_rejected_files = sum(1 for r in rejections if r.whole)
    n_partly = len(rejections) - n_rejected_files
    skipped = ctx.inputs.skipped
    skipped_html: list[Html] = []
    if not skipped.empty:
        skipped_html = [
            tag("h3", f"Skipped files ({len(skipped)})"),
            tag("p", "Files of the plates folder not taken for plate exports.", class_="note"),
            table(
                ["file", "reason"],
                [(r["source_file"], r["reason"]) for r in records(skipped)],
                text_columns={1},
            ),
        ]
    heading = f"Rejected files ({n_rejected_files})"
    if n_partly:
        heading += f" and files read with wells rejected ({n_partly})"
    return section(
        "summary",
        tag("div", *_cards(ctx, n_rejected_files, n_partly), class_="cards"),
        tag("h3", heading),
        _rejection_table(rejections),
        *skipped_html,
    )


def _cards(ctx: ReportContext, n_rejected_files: int, n_partly: int) -> list[Html]:
    inputs = ctx.inputs
    plates = inputs.plates
    n_read = int((plates["status"] == "read").sum()) if not plates.empty else 0
    n_warned = int((warning_counts(plates) > 0).sum())
    counts = inputs.verdicts["verdict"].value_counts()
    exclusions = inputs.exclusions
    n_qc = int((exclusions["source"] == "qc").sum())
    n_units = int((exclusions["source"] == UNIT_SOURCE).sum())
    n_manual = int((exclusions["source"] == "manual").sum())
    measured = inputs.wells[
        (inputs.wells["role"] == Role.SAMPLE) & inputs.wells["sample_id"].notna()
    ][["sample_id", "analyte"]].drop_duplicates()
    return [
        _card(
            "Plates read",
            n_read,
            f"{n_warned} with warnings; {n_rejected_files} files rejected"
            + (f", {n_partly} read with wells rejected" if n_partly else ""),
        ),
        _card("Wells", len(inputs.wells), "plate × well × analyte rows"),
        tag(
            "div",
            tag("div", "Plate × analyte verdicts", class_="label"),
            tag(
                "div",
                *(
                    tag("span", f"{int(counts.get(s, 0))} {s}", class_=f"badge {s}")
                    for s in (QcStatus.PASS, QcStatus.WARN, QcStatus.FAIL)
                ),
                class_="split number",
            ),
            class_="card",
        ),
        _card(
            "Exclusions",
            len(exclusions),
            f"{n_qc} by QC, "
            + (f"{n_units} for units, " if n_units else "")
            + f"{n_manual} manual",
        ),
        _card(
            "Sample values in statistics",
            len(inputs.samples),
            f"of {len(measured)} sample × analyte measured",
        ),
    ]


def _card(label: str, number: object, note: str) -> Html:
    return tag(
        "div",
        tag("div", label, class_="label"),
        tag("div", f"{number:,}" if isinstance(number, int) else number, class_="number"),
        tag("div", note, class_="note"),
        class_="card",
    )


@dataclasses.dataclass(frozen=True)
class _Rejection:
    """One file's rejections: whether the whole file was refused, and its reasons, each
    with the places (``file``, ``line 53``, ``well C4``) it was given for."""

    source_file: str
    whole: bool
    reasons: tuple[tuple[str, tuple[str, ...]], ...]


def _rejections(rejected: pd.DataFrame, plates: pd.DataFrame) -> list[_Rejection]:
    """The rejected rows grouped by file (in file order), reasons in order of first
    appearance. A file the plates table does not list as read was rejected whole; one it
    lists was read, and only some of its wells were rejected."""
    read = set()
    if not plates.empty and "status" in plates:
        read = set(plates.loc[plates["status"] == "read", "source_file"].astype(str))
    by_file: dict[str, dict[str, list[str]]] = {}
    for record in records(rejected[["source_file", "where", "reason"]]):
        source, where = str(record["source_file"]), str(record["where"])
        reason = _reason_alone(**record)
        by_file.setdefault(source, {}).setdefault(reason, []).append(where)
    return [
        _Rejection(
            source,
            source not in read,
            tuple((reason, tuple(places)) for reason, places in reasons.items()),
        )
        for source, reasons in sorted(by_file.items())
    ]


def _rejection_table(rejections: Sequence[_Rejection]) -> Html:
    """One row per file: rejected whole or wells only, and each reason with its places."""
    if not rejections:
        return tag("p", "No file was rejected.", class_="note")
    rows = []
    for found in rejections:
        items = []
        for reason, places in found.reasons:
            named = [p for p in places if p != "file"]
            where = ", ".join(named[:MAX_PLACES])
            if len(named) > MAX_PLACES:
                where += f" and {len(named) - MAX_PLACES} more"
            items.append(tag("li", reason, f" ({len(named)}: {where})" if named else ""))
        n_rows = sum(len(places) for _reason, places in found.reasons)
        rows.append(
            [
                found.source_file,
                "file rejected" if found.whole else f"read; {n_rows} rejected",
                tag("ul", *items),
            ]
        )
    return table(
        ["file", "status", "reasons (places)"],
        rows,
        row_classes=[QcStatus.FAIL if found.whole else QcStatus.WARN for found in rejections],
        text_columns={2},
    )


def _reason_alone(source_file: object, where: object, reason: object) -> str:
    """A rejection's sentence without the file and place the table's columns show."""
    text = str(reason)
    for prefix in (f"{source_file}: ", f"{where}: "):
        text = text.removeprefix(prefix)
    return text
