"""Verdicts: the worst status of each plate x analyte's checks, as a plate x analyte
matrix linking to the curves."""

from __future__ import annotations

from assaypipe.report.context import ReportContext
from assaypipe.report.html import Html, anchor, badge, table, tag
from assaypipe.report.page import section


def render(ctx: ReportContext) -> Html:
    header = ["plate", "run", *(ctx.name(a) for a in ctx.analytes)]
    plates = ctx.inputs.plates.drop_duplicates("plate_id").set_index("plate_id")
    rows = []
    for plate_id in ctx.plate_ids:
        run = plates["run_time"].get(plate_id) if "run_time" in plates else None
        cells: list[object] = [plate_id, run]
        for analyte in ctx.analytes:
            verdict = ctx.verdict.get((plate_id, analyte))
            if verdict is None:
                cells.append("")
                continue
            content = [badge(str(verdict["verdict"]))]
            if (plate_id, analyte) in ctx.excluded:
                content.append(tag("span", "excluded", class_="badge excluded"))
            cells.append(tag("a", *content, href=f"#{anchor('curve', plate_id, analyte)}"))
        rows.append(cells)
    return section(
        "verdicts",
        tag(
            "p",
            "The worst status of each plate × analyte's checks; click a cell for its curve. "
            "Excluded: left out of the statistics (see Exclusions).",
            class_="note",
        ),
        table(header, rows, class_="matrix"),
    )
