"""Findings: every QC check that did not pass, failures first."""

from __future__ import annotations

from assaypipe.report.cells import blank, check_value
from assaypipe.report.context import ReportContext
from assaypipe.report.html import Html, badge, table, tag
from assaypipe.report.page import section
from assaypipe.vocabulary import QcStatus


def render(ctx: ReportContext) -> Html:
    qc = ctx.inputs.qc
    flagged = qc[qc["status"] != QcStatus.PASS].copy()
    flagged["rank"] = flagged["status"].map({"fail": 0, "warn": 1})
    flagged = flagged.sort_values(["rank", "plate_id", "analyte", "check"], na_position="last")
    if flagged.empty:
        return section("findings", tag("p", "Every check passed.", class_="note"))
    rows = [
        [
            r["plate_id"] if not blank(r["plate_id"]) else "all plates",
            ctx.name(str(r["analyte"])),
            r["check"],
            check_value(r),
            r["threshold"],
            badge(str(r["status"])),
            r["detail"],
        ]
        for r in flagged.to_dict("records")
    ]
    failed = int((flagged["status"] == QcStatus.FAIL).sum())
    warned = int((flagged["status"] == QcStatus.WARN).sum())
    return section(
        "findings",
        tag(
            "p",
            f"{failed} failed and {warned} warning checks of {len(qc)}; "
            "every check is in results/qc.parquet.",
            class_="note",
        ),
        table(
            ["plate", "analyte", "check", "value", "threshold", "status", "detail"],
            rows,
            row_classes=list(flagged["status"].astype(str)),
            text_columns={4, 6},
        ),
    )
