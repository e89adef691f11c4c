"""Plates: every plate read with what its export says of it and its reader's warnings,
and the plate maps (each plate's wells in their layout)."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from assaypipe.figure_text import file_stem
from assaypipe.qc import study_rules
from assaypipe.qc.checks import records
from assaypipe.report.cells import blank, warning_counts, warnings_of
from assaypipe.report.context import ReportContext
from assaypipe.report.figure_cache import FigureRequest, figure_key
from assaypipe.report.html import Html, anchor, join, table, tag
from assaypipe.report.page import section
from assaypipe.report.plate_maps import PlateMaps
from assaypipe.vocabulary import QcStatus


def render(ctx: ReportContext) -> Html:
    """The plates table; past `curve_figures` plates, only those with warnings are listed."""
    plates = ctx.inputs.plates
    read = plates[plates["status"] == "read"] if not plates.empty else plates
    counts = warning_counts(read)
    listed = read if len(read) <= ctx.inputs.curve_figures else read[counts > 0]
    rows = [
        [
            r["plate_id"],
            Path(str(r["source_file"])).name,
            r["format"],
            r["instrument"],
            r["n_wells"],
            r["n_analytes"],
            r["unit"] if not blank(r["unit"]) else ctx.plate_units.get(str(r["plate_id"]), ""),
            tag("ul", *(tag("li", w) for w in warnings_of(r["warnings"])))
            if len(warnings_of(r["warnings"]))
            else "",
        ]
        for r in records(listed)
    ]
    note = (
        f"{len(read)} plates read, {int((counts > 0).sum())} with warnings: what the "
        "reader read past but the lab should know (also in results/plates.parquet, "
        "column warnings)."
    )
    if len(listed) < len(read):
        note += f" {len(read) - len(listed)} plates without warnings are not listed."
    return section(
        "plates",
        tag("p", note, class_="note"),
        plate_maps(ctx),
        table(
            ["plate", "file", "format", "instrument", "wells", "analytes", "unit", "warnings"],
            rows,
            row_classes=[
                QcStatus.WARN if len(warnings_of(r["warnings"])) else None for r in records(listed)
            ],
            text_columns={7},
        )
        if rows
        else "",
    )


def plate_maps(ctx: ReportContext) -> Html:
    """Each plate's wells in their layout: signal per analyte, and bead counts; past
    ``plate_maps`` plates, those with a failed or warned verdict or a reader's
    warning first, in run order."""
    budget = ctx.inputs.plate_maps
    chosen = _plates_to_map(ctx, budget)
    wells = ctx.inputs.wells
    columns = [
        c
        for c in ("plate_id", "well", "analyte", "signal", "bead_count", "signal_kind")
        if c in wells
    ]
    keep = wells["plate_id"].astype(str).isin(chosen).to_numpy()
    by_plate = dict(iter(wells.loc[keep, columns].groupby("plate_id", sort=False)))
    # the limits that apply to every analyte (qc.overrides for "*")
    rules = study_rules(ctx.inputs.settings)("*")
    bounds = (rules.bead_count_fail, rules.bead_count_warn)
    mapped = [p for p in ctx.plate_ids if p in set(chosen) and p in by_plate]
    requests = {}
    for plate_id in mapped:
        group = by_plate[plate_id].reset_index(drop=True)
        key = figure_key("plate_map", plate_id, group, _maps(bounds).bead_bounds)
        requests[plate_id] = FigureRequest(key, _map_png, (bounds, plate_id, group))
    # Drawn by the report's workers while the page is built.
    pngs = ctx.figures.later(list(requests.values()))
    figures = []
    for plate_id in mapped:
        image = ctx.image(
            pngs[requests[plate_id].key],
            f"Plate map of {plate_id}",
            "plates",
            file_stem(plate_id) + ".png",
        )
        figures.append(
            tag(
                "figure",
                image,
                tag("figcaption", tag("a", plate_id, href=f"#{anchor('plate', plate_id)}")),
                class_="platemap",
                id=anchor("platemap", plate_id),
                data_plate=plate_id,
            )
        )
    return join(
        [
            tag("h3", "Plate maps", id="plate-maps"),
            tag("p", _maps_note(len(chosen), len(ctx.plate_ids), budget), class_="note"),
            tag("div", *figures, class_="grid"),
        ]
    )


def _plates_to_map(ctx: ReportContext, budget: int) -> list[str]:
    """The plates drawn: those that failed or warned in QC or have a reader's warning
    first, then the others, in run order, up to ``budget``."""
    warned = set()
    plates = ctx.inputs.plates
    if "warnings" in plates:
        warned = set(plates.loc[warning_counts(plates) > 0, "plate_id"].astype(str))
    looked = {
        plate for (plate, _analyte), r in ctx.verdict.items() if r["verdict"] != QcStatus.PASS
    }
    ranked = [p for p in ctx.plate_ids if p in looked or p in warned]
    ranked += [p for p in ctx.plate_ids if p not in looked and p not in warned]
    return ranked[:budget]


def _maps_note(n_chosen: int, n_plates: int, budget: int) -> str:
    note = (
        "Each plate's wells in their layout (rows A–H or A–P, columns 1–12 or 1–24): "
        "the signal of each analyte (its own colour scale, log where every signal is "
        "above 0; grey: no well or no signal) and, for bead assays, the median bead "
        "count over the analytes (red below the QC fail limit, orange below the warn "
        "limit). Click a plate's name for its curves."
    )
    if n_chosen < n_plates:
        note += (
            f" {n_chosen} of {n_plates} plates are drawn "
            f"(report.plate_maps = {budget}): those that failed or warned in QC or "
            "have a reader's warning come first."
        )
    return note


@functools.cache
def _maps(bounds: tuple[float, float]) -> PlateMaps:
    """The process's plate maps for these bead-count limits (fail, warn): one per
    process, so that a worker draws each plate shape's template once."""
    return PlateMaps(*bounds)


def _map_png(bounds: tuple[float, float], plate_id: str, wells: pd.DataFrame) -> bytes:
    return _maps(bounds).png(plate_id, wells)
