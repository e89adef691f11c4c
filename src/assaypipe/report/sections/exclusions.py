"""Exclusions: what is left out of the statistics (by QC, for units, for the sheets, as a
copy of another plate's file, by hand), with the exclusions that match no well marked."""

from __future__ import annotations

from assaypipe.report.cells import blank
from assaypipe.report.context import ReportContext
from assaypipe.report.html import Html, table, tag
from assaypipe.report.page import section

COLUMNS = [
    "source",
    "level",
    "plate",
    "well",
    "analyte",
    "reason",
    "who",
    "when",
    "line",
    "wells",
    "samples",
]


def render(ctx: ReportContext) -> Html:
    exclusions = ctx.inputs.exclusions
    note = _note(ctx)
    if exclusions.empty:
        return section("exclusions", note, tag("p", "Nothing is excluded.", class_="note"))
    rows = []
    classes = []
    for r in exclusions.to_dict("records"):
        rows.append(
            [
                r["source"],
                r["level"],
                r["plate_id"],
                r["well"],
                ctx.name(str(r["analyte"])) if not blank(r["analyte"]) else "all",
                r["reason"],
                r["who"],
                r["when"],
                r["line"],
                r["n_wells"],
                r["n_samples"],
            ]
        )
        classes.append("nomatch" if int(r["n_wells"]) == 0 else None)
    unmatched = classes.count("nomatch")
    extra: list[object] = []
    if unmatched:
        extra.append(
            tag(
                "p",
                f"{unmatched} exclusion(s) match no well (shown in italics): check the "
                "plate_id, well and analyte spelling.",
                class_="note",
            )
        )
    return section(
        "exclusions",
        note,
        *extra,
        table(COLUMNS, rows, row_classes=classes, text_columns={5}),
    )


def _note(ctx: ReportContext) -> Html:
    failing = ctx.inputs.settings.qc.exclude_failing
    return tag(
        "p",
        (
            "Plate × analyte pairs that fail QC are left out of the statistics "
            "(qc.exclude_failing: true). "
            if failing
            else "Failing plate × analyte pairs are kept (qc.exclude_failing: false). "
        ),
        "A plate read from a copy of another plate's file (the same bytes) is left out "
        "(source duplicate). Manual exclusions come from ",
        tag("code", ctx.inputs.exclusions_file),
        " and apply on the next run. Sample values are recomputed from the wells left.",
        class_="note",
    )
