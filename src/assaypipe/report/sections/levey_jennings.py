"""Levey–Jennings: per analyte, the chart of its controls and curve parameters against
the guide set, the kit lots' guide sets, the points that broke a Westgard rule and the
inter-plate checks."""

from __future__ import annotations

import pandas as pd

from assaypipe.figure_text import file_stem
from assaypipe.qc.checks import records
from assaypipe.qc.levey_jennings import MIN_GUIDE, guide_sets
from assaypipe.report.cells import check_value, num
from assaypipe.report.context import ReportContext
from assaypipe.report.figure_cache import FigureRequest, figure_key
from assaypipe.report.figures import levey_jennings_figure, png_bytes
from assaypipe.report.html import Html, anchor, badge, table, tag
from assaypipe.report.page import section
from assaypipe.settings import QcSettings
from assaypipe.vocabulary import GuideBy, QcStatus

# Kit lots listed under a Levey-Jennings chart; past it, counted.
MAX_LOT_ROWS = 20


def render(ctx: ReportContext) -> Html:
    lj = ctx.inputs.levey_jennings
    settings = ctx.inputs.settings.qc
    guide_plates = settings.guide_plates
    rules = ", ".join(rule.value for rule in settings.westgard) or "none"
    parts: list[object] = [
        tag(
            "p",
            f"Guide set: {_guide_text(settings)}. Lines: guide mean, ±1 SD (dotted), ±2 SD "
            f"(orange), ±3 SD (red). Westgard rules applied: {rules} (1-2s warns, the others "
            f"reject). A series needs {MIN_GUIDE} guide plates for limits.",
            class_="note",
        )
    ]
    sets = guide_sets(lj)
    qc = ctx.inputs.qc
    across = qc[qc["plate_id"].isna()]
    # Each analyte's series and the plates charting it, in run order, worked out once.
    charted = {}
    for analyte in ctx.analytes:
        series = lj[lj["analyte"] == analyte]
        plate_ids = set(series["plate_id"])
        charted[analyte] = (series, [p for p in ctx.plate_ids if p in plate_ids])
    charts = {}
    for analyte, (series, plates) in charted.items():
        if not series.empty and len(plates) >= MIN_GUIDE:
            positions = {p: i for i, p in enumerate(plates)}
            local = series.assign(run_index=series["plate_id"].map(positions))
            args = (local.reset_index(drop=True), plates, guide_plates)
            charts[analyte] = FigureRequest(figure_key("levey_jennings", *args), _chart_png, args)
    # The charts at once: in parallel while the page is built, or kept from a run
    # whose charts were the same.
    pngs = ctx.figures.later(list(charts.values()))
    for analyte, (series, plates) in charted.items():
        parts.append(tag("h3", ctx.name(analyte), id=anchor("lj", analyte)))
        if series.empty:
            parts.append(tag("p", "No control or curve to chart.", class_="note"))
            continue
        if analyte not in charts:
            parts += _too_few(series, len(plates), guide_plates)
            continue
        parts.append(_guide_note(sets[sets["analyte"] == analyte], guide_plates))
        image = ctx.image(
            pngs[charts[analyte].key],
            f"Levey-Jennings charts of {ctx.name(analyte)}",
            "levey_jennings",
            file_stem(analyte) + ".png",
        )
        parts.append(tag("figure", image, class_="wide lj", data_analyte=analyte))
        violations = series[series["status"] != QcStatus.PASS]
        if not violations.empty:
            parts.append(_violations(violations))
        cvs = across[across["analyte"] == analyte]
        if not cvs.empty:
            parts.append(_inter_plate(cvs))
    return section("levey-jennings", *parts)


def _chart_png(series: pd.DataFrame, plates: list[str], guide_plates: int | None) -> bytes:
    return png_bytes(levey_jennings_figure(series, plates, guide_plates, reuse=True))


def _guide_text(settings: QcSettings) -> str:
    """Which plates make the guide set, as qc.guide_range, qc.guide_by and
    qc.guide_plates say."""
    guide_range = list(settings.guide_range)
    guide_plates = settings.guide_plates
    if guide_range:
        return (
            f"plates {guide_range[0]} to {guide_range[1]} (qc.guide_range); every other "
            "plate is judged against them"
        )
    if settings.guide_by == GuideBy.KIT_LOT:
        return (
            f"the first {guide_plates} plates of each kit lot (qc.guide_plates; the lot from "
            "the kit files, else the export); the lot's later plates are judged against "
            "it. A lot with fewer plates has no limits and none of its plates is judged"
        )
    return (
        f"the first {guide_plates} plates of the study (qc.guide_plates); the later "
        "plates are judged against it"
    )


def _too_few(series: pd.DataFrame, n_plates: int, guide_plates: int) -> list[Html]:
    """A chart of one or two points says nothing; the values say it plainer."""
    return [
        tag(
            "p",
            f"{n_plates} plate(s) so far: too few for a chart (it takes "
            f"{MIN_GUIDE}), and no plate is judged until a guide set "
            f"({guide_plates} plates) is complete.",
            class_="note",
        ),
        table(
            ["plate", "series", "value"],
            [
                [r["plate_id"], r["series"], num(r["value"], r.get("unit"))]
                for r in series.to_dict("records")
            ],
        ),
    ]


def _violations(violations: pd.DataFrame) -> Html:
    """The points that broke a Westgard rule."""
    return table(
        ["plate", "series", "value", "z", "rules", "status"],
        [
            [
                r["plate_id"],
                r["series"],
                num(r["value"], r.get("unit")),
                f"{r['z']:+.2f}",
                r["rules"],
                badge(str(r["status"])),
            ]
            for r in violations.to_dict("records")
        ],
        row_classes=list(violations["status"].astype(str)),
    )


def _inter_plate(cvs: pd.DataFrame) -> Html:
    """The analyte's checks across plates (inter-plate CVs)."""
    return table(
        ["inter-plate check", "value", "threshold", "status", "detail"],
        [
            [r["check"], check_value(r), r["threshold"], badge(str(r["status"])), r["detail"]]
            for r in cvs.to_dict("records")
        ],
        text_columns={2, 4},
    )


def _guide_note(sets: pd.DataFrame, guide_plates: int) -> Html:
    """How the analyte's plates split into guide and judged plates, per kit lot, and
    which lots have too few plates for a guide set."""
    incomplete = sets[~sets["complete"]]
    said = (
        f"{int(sets['judged'].sum())} plate(s) judged against a guide set; "
        f"{len(incomplete)} of {len(sets)} lot(s) without a complete guide set "
        f"({guide_plates} plates): their plates are not judged."
    )
    if incomplete.empty:
        said = f"{int(sets['judged'].sum())} plate(s) judged against a guide set."
    rows = [
        [
            r["lot"] or "–",
            r["plates"],
            r["guide"],
            r["judged"],
            badge(QcStatus.PASS)
            if r["complete"]
            else tag("span", "too few plates", class_="badge warn"),
        ]
        for r in records(sets.head(MAX_LOT_ROWS))
    ]
    more = len(sets) - len(rows)
    return tag(
        "details",
        tag("summary", said),
        table(["kit lot", "plates", "guide", "judged", "guide set"], rows),
        tag("p", f"and {more} more lots (levey_jennings.parquet)", class_="note") if more else "",
        class_="guide",
    )
