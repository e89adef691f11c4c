"""Sheet checks: the plates checked against the study's sheets (analytes, samples,
subjects), and the outcome sheet's subjects against the subject sheet."""

from __future__ import annotations

from assaypipe.report.context import ReportContext
from assaypipe.report.html import Html, table, tag
from assaypipe.report.page import section


def render(ctx: ReportContext) -> Html:
    findings = ctx.inputs.sheet_checks
    note = tag(
        "p",
        "The plates checked against config/analytes.tsv, config/samples.tsv and "
        "config/subjects.tsv, and the outcome sheet's subjects against the subject sheet. "
        "An analyte the alias table does not name stays out of the statistics; a sample "
        "the sample sheet does not list has no subject or visit; an outcome row of a "
        "subject the subject sheet does not list labels no one.",
        class_="note",
    )
    if findings.empty:
        return section("sheets", note, tag("p", "The sheets and the plates agree.", class_="note"))
    counts = findings["check"].value_counts()
    said = ", ".join(f"{int(n)} {str(check).replace('_', ' ')}" for check, n in counts.items())
    rows = [
        [r["check"].replace("_", " "), r["name"], r["where"], r["detail"], r["n_wells"]]
        for r in findings.to_dict("records")
    ]
    return section(
        "sheets",
        note,
        tag("p", said, class_="note"),
        table(["check", "name", "where", "what it means", "wells"], rows, text_columns={2, 3}),
    )
