"""Standard curves: per plate, each plate x analyte's curve figure (up to the budget,
report.curve_figures), its facts, the checks it did not pass and, where the export holds
them, the instrument software's own concentrations beside ours."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from assaypipe.figure_text import file_stem
from assaypipe.qc.checks import curve_params, level_name, records, selected_curves
from assaypipe.qc.index import ObjectArray, PairedWells, Wells
from assaypipe.report.cells import blank, check_value, num, to_float
from assaypipe.report.context import ReportContext
from assaypipe.report.figure_cache import FigureRequest, Pending, figure_key
from assaypipe.report.figures import curve_figure, png_bytes
from assaypipe.report.html import Html, anchor, badge, join, table, tag
from assaypipe.report.page import section
from assaypipe.units import label
from assaypipe.vocabulary import QcStatus, Role

# Wells listed in a curve's comparison with the vendor's concentrations: the largest
# differences first (the page stays bounded however many wells a plate has).
VENDOR_ROWS = 24

NOTE = (
    "Each plate × analyte: standards fitted (blue dots), fitted but out of "
    "their recovery limits (black open squares) and left out, masked or flagged "
    "(red ×), the selected curve, LLOQ/ULOQ (green dashes) and LOD (grey dots) "
    "named above the plot, the blank level, "
    "and the plate's samples (orange) and controls (purple) at their "
    "back-calculated in-well concentrations. Where the export holds the "
    "instrument software's own concentrations, a curve says how far "
    "assaypipe's are from them and lists both, per sample."
)


def render(ctx: ReportContext) -> Html:
    selected = selected_curves(ctx.inputs.curves)
    checks_by_pair = _checks_by_pair(ctx)
    # What the page says of each plate under its heading, looked up once.
    plates = ctx.inputs.plates.drop_duplicates("plate_id")
    meta_of = {str(r["plate_id"]): [r.get(key) for key in PLATE_META] for r in records(plates)}
    plans = _plans(ctx, selected, checks_by_pair)
    # Every drawn figure at once: the kept ones reused, the others drawn in parallel
    # while the page is built.
    pngs = ctx.figures.later([plan.request for plan in plans.values()])
    articles = []
    for done, plate_id in enumerate(ctx.plate_ids, start=1):
        figures = [
            pair_entry(
                ctx,
                plate_id,
                analyte,
                plans.get((plate_id, analyte)),
                selected.get((plate_id, analyte)),
                checks_by_pair.get((plate_id, analyte), []),
                pngs,
            )
            for analyte in ctx.analytes
            if (plate_id, analyte) in ctx.present
        ]
        meta = meta_of.get(plate_id, [])
        articles.append(
            tag(
                "article",
                tag("h3", plate_id),
                tag("p", join([m for m in meta if not blank(m)], " · "), class_="note"),
                tag("div", *figures, class_="grid"),
                class_="plate",
                id=anchor("plate", plate_id),
            )
        )
        if ctx.progress is not None:
            ctx.progress(done, len(ctx.plate_ids))
    return section(
        "curves",
        tag("p", NOTE, class_="note"),
        _figures_note(ctx, len(ctx.present)),
        *articles,
    )


def _plans(
    ctx: ReportContext,
    selected: Mapping[tuple[str, str], Mapping[str, Any]],
    checks_by_pair: Mapping[tuple[str, str], list[dict[str, Any]]],
) -> dict[tuple[str, str], _Plan]:
    """Each drawn pair's plan."""
    wells = ctx.inputs.wells
    # Only the drawn pairs need their wells: made the QC's arrays once (with why each
    # standard is left out of its fit), each pair's rows then cut from them (a pair's own
    # frames cost more than its figure's inputs take to work out).
    drawn = wells.loc[_of_pairs(wells, ctx.drawn)]
    paired = PairedWells.of(drawn, selected)
    signal_kind = drawn["signal_kind"].astype(str).to_numpy(dtype=object)[paired.order]
    plans = {}
    for i, pair in enumerate(paired.keys):
        rows = slice(paired.bounds[i], paired.bounds[i + 1])
        plans[pair] = _plan(
            ctx,
            pair,
            paired.wells.take(rows),
            paired.left_out[rows],
            str(signal_kind[rows][0]) if rows.stop > rows.start else "signal",
            selected.get(pair),
            checks_by_pair.get(pair, []),
        )
    return plans


@dataclasses.dataclass(frozen=True)
class _Plan:
    """A drawn pair's standards (with their recovery marks), limits and figure."""

    standards: pd.DataFrame
    limits: dict[str, float]
    request: FigureRequest


def _plan(
    ctx: ReportContext,
    pair: tuple[str, str],
    wells: Wells,
    left_out: ObjectArray,
    signal_kind: str,
    curve: Mapping[str, Any] | None,
    checks: Sequence[Mapping[str, Any]],
) -> _Plan:
    """What a drawn pair's figure is drawn from, and its key: only the columns the
    figure uses, so that nothing else about the wells (their place in the study's
    table) makes it be drawn again. The standards carry ``fitted`` (used by the curve)
    and ``left_out`` (why not: a well flag or the engine's reason; empty when fitted)."""
    limits = _limits(curve)
    is_standard = wells.role == Role.STANDARD
    standards, others = wells.take(is_standard), wells.take(~is_standard)
    reasons = left_out[is_standard]
    table = pd.DataFrame(
        {
            "well": standards.well,
            "expected_conc": standards.expected,
            "signal": standards.signal,
            "fitted": reasons == "",
            "recovery_ok": _recovery_ok(standards.expected, standards.level, checks),
            "left_out": reasons,
        }
    )
    shown = pd.DataFrame(
        {
            "role": others.role,
            "concentration": others.concentration / others.dilution,
            "signal": others.signal,
        }
    )
    blanks = wells.signal[wells.role == Role.BLANK]
    limits["blank"] = float(pd.Series(blanks).mean()) if (~np.isnan(blanks)).any() else math.nan
    args = (
        table[FIGURE_STANDARDS],
        curve_params(curve),
        dict(limits),
        shown,
        signal_kind,
        ctx.units.get(pair, ""),
        _no_curve_note(curve),
    )
    request = FigureRequest(figure_key("curve", *args), _curve_png, args)
    return _Plan(table, limits, request)


# The plate's facts under its heading, from the plates table.
PLATE_META = ("format", "instrument", "run_time", "source_file")
# The standards' columns a curve figure is drawn from.
FIGURE_STANDARDS = ["expected_conc", "signal", "fitted", "recovery_ok"]


def _curve_png(*args: Any) -> bytes:
    return png_bytes(curve_figure(*args, reuse=True))


def _limits(curve: Mapping[str, Any] | None) -> dict[str, float]:
    return {
        key: to_float(curve.get(key)) if curve is not None else math.nan
        for key in ("lloq", "uloq", "lod")
    }


def _checks_by_pair(ctx: ReportContext) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The per-plate checks shown: all of a drawn pair's, the others' that did not pass.
    Only these become plain records, grouped by pair in one pass (in table order)."""
    qc = ctx.inputs.qc
    per_plate = qc[qc["plate_id"].notna()]
    shown = (per_plate["status"].astype(str) != QcStatus.PASS).to_numpy() | _of_pairs(
        per_plate, ctx.drawn
    )
    checks_by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records(per_plate[shown]):
        key = (record["plate_id"], record["analyte"])
        checks_by_pair.setdefault(key, []).append(record)
    return checks_by_pair


def _figures_note(ctx: ReportContext, n_pairs: int) -> Html:
    if len(ctx.drawn) == n_pairs:
        return Html("")
    return tag(
        "p",
        f"{len(ctx.drawn)} of {n_pairs} plate × analyte curves are drawn (the study has "
        f"more than report.curve_figures = {ctx.inputs.curve_figures}): those that failed "
        "or warned in QC or were left out come first; the others are listed with their "
        "facts and any check that did not pass (all their checks are in qc.parquet). "
        "Raise report.curve_figures in the config to draw them all.",
        class_="note",
    )


def pair_entry(
    ctx: ReportContext,
    plate_id: str,
    analyte: str,
    plan: _Plan | None,
    curve: Mapping[str, Any] | None,
    checks: Sequence[Mapping[str, Any]],
    pngs: Mapping[str, bytes | Pending],
) -> Html:
    """One pair's entry; ``plan`` (its standards and figure) is given for the pairs
    drawn, and ``pngs`` holds their figures by key.

    A pair past the figure budget (report.curve_figures) gets its facts and the checks
    it did not pass, without the figure and the standards' detail, which are what cost
    time in a study of thousands of plates."""
    drawn = plan is not None
    limits = plan.limits if plan is not None else _limits(curve)
    standards = plan.standards if plan is not None else None
    if plan is not None:
        alt = f"Standard curve of {ctx.name(analyte)} on plate {plate_id}"
        filename = file_stem(plate_id, analyte) + ".png"
        img = ctx.image(pngs[plan.request.key], alt, "curves", filename)
    else:
        img = tag("p", "figure not drawn (report.curve_figures)", class_="note")
    verdict = ctx.verdict.get((plate_id, analyte))
    heading: list[object] = [tag("b", ctx.name(analyte)), " "]
    if verdict is not None:
        heading.append(badge(str(verdict["verdict"])))
    if (plate_id, analyte) in ctx.excluded:
        heading += [" ", tag("span", "excluded", class_="badge excluded")]
    compared = ctx.compared.get((plate_id, analyte))
    vendor_name = ctx.software.get(plate_id, "the instrument software")
    facts = _facts(ctx, plate_id, analyte, curve, limits, standards, compared, vendor_name)
    items = [tag("li", fact) for fact in facts]
    items += [
        tag("li", badge(str(r["status"])), " ", r["check"], ": ", r["detail"])
        for r in checks
        if r["status"] != QcStatus.PASS
    ]
    # Past the figure budget a pair lists the checks that did not pass; the table of all
    # its checks is in qc.parquet (thousands of such tables would make the page too big
    # to open).
    details = _checks_table(checks) if checks and drawn else Html("")
    beside: Html = Html("")
    if compared is not None and drawn:
        beside = _vendor_table(compared, vendor_name, label(ctx.units.get((plate_id, analyte), "")))
    return tag(
        "figure",
        img,
        tag("figcaption", *heading, tag("ul", *items), beside, details),
        class_="curve",
        id=anchor("curve", plate_id, analyte),
        data_plate=plate_id,
        data_analyte=analyte,
    )


def _facts(
    ctx: ReportContext,
    plate_id: str,
    analyte: str,
    curve: Mapping[str, Any] | None,
    limits: Mapping[str, float],
    standards: pd.DataFrame | None,
    compared: pd.DataFrame | None,
    vendor_name: str,
) -> list[str]:
    """The pair's facts: its model and status, its limits, the vendor's comparison and
    the standard wells left out."""
    facts = []
    if curve is not None:
        facts.append(f"{curve.get('model')}, {curve.get('status')}")
        lloq, uloq = limits["lloq"], limits["uloq"]
        unit = label(ctx.units.get((plate_id, analyte), ""))
        facts.append(f"LLOQ {num(lloq)} – ULOQ {num(uloq)} {unit} (in well)")
    else:
        facts.append("no curve")
    if compared is not None:
        facts.append(_vendor_fact(compared, vendor_name))
    left_out = standards[~standards["fitted"]] if standards is not None else None
    if left_out is not None and not left_out.empty:
        facts.append(
            "left out: "
            + "; ".join(
                f"{w} ({why})"
                for w, why in zip(left_out["well"], left_out["left_out"], strict=True)
            )
        )
    return facts


def _checks_table(checks: Sequence[Mapping[str, Any]]) -> Html:
    """All of a drawn pair's checks, folded."""
    return tag(
        "details",
        tag("summary", f"all {len(checks)} checks"),
        table(
            ["check", "value", "threshold", "status", "detail"],
            [
                [r["check"], check_value(r), r["threshold"], r["status"], r["detail"]]
                for r in checks
            ],
            text_columns={2, 4},
        ),
    )


def _vendor_fact(compared: pd.DataFrame, software: str) -> str:
    """One line: how far assaypipe's concentrations are from the software's own."""
    error = 100.0 * compared["relative_difference"].abs().dropna()
    if error.empty:
        return f"{software} gives {len(compared)} concentration(s); none to compare with"
    return (
        f"vs {software}'s own concentrations: {len(error)} wells, median |difference| "
        f"{error.median():.2f}%, largest {error.max():.2f}%"
    )


def _vendor_table(compared: pd.DataFrame, software: str, unit: str) -> Html:
    """assaypipe's and the software's concentration of each well, per sample (the
    largest differences first, at most VENDOR_ROWS)."""
    order = compared["relative_difference"].abs().fillna(np.inf).sort_values(ascending=False)
    shown = compared.loc[order.index[:VENDOR_ROWS]]
    rows = [
        [
            r["well"],
            r["role"],
            num(r["ours"]),
            num(r["vendor"]),
            r["basis"] if not blank(r["basis"]) else "not stated",
            f"{100 * r['relative_difference']:+.2f}%"
            if math.isfinite(to_float(r["relative_difference"]))
            else "–",
        ]
        for r in records(shown)
    ]
    more = len(compared) - len(shown)
    summary = f"assaypipe vs {software}, per sample ({unit})"
    if more > 0:
        summary += f": the {len(shown)} largest differences of {len(compared)} wells"
    return tag(
        "details",
        tag("summary", summary),
        table(["well", "role", "assaypipe", software, "vendor basis", "difference"], rows),
    )


def _no_curve_note(curve: Mapping[str, Any] | None) -> str:
    """``status: reasons`` of a curve that gives no parameters to draw, else ""."""
    if curve is None:
        return "missing: the curves table has no row for this plate and analyte"
    if curve_params(curve) is not None:
        return ""
    reasons = "" if blank(curve.get("reasons")) else str(curve.get("reasons"))
    return f"{curve.get('status')}: {reasons}"


def _of_pairs(frame: pd.DataFrame, pairs: frozenset[tuple[str, str]]) -> np.ndarray:
    """Which rows of ``frame`` belong to one of the plate x analyte ``pairs``."""
    keys = pd.MultiIndex.from_arrays([frame["plate_id"].astype(str), frame["analyte"].astype(str)])
    return np.asarray(keys.isin(list(pairs)), dtype=bool)


def recovery_ok(standards: pd.DataFrame, checks: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Per standard well, False where its level's ``recovery:<level>`` check did not pass."""
    return _recovery_ok(
        pd.to_numeric(standards["expected_conc"], errors="coerce").to_numpy(dtype=float),
        pd.to_numeric(standards["level"], errors="coerce").to_numpy(dtype=float),
        checks,
    )


def _recovery_ok(
    conc: np.ndarray, level: np.ndarray, checks: Sequence[Mapping[str, Any]]
) -> np.ndarray:
    off = {
        str(c["check"]).split(":", 1)[1]
        for c in checks
        if str(c["check"]).startswith("recovery:") and c["status"] != QcStatus.PASS
    }
    if not off:
        return np.ones(len(conc), dtype=bool)
    names = [level_name(c, lv) for c, lv in zip(conc, level, strict=True)]
    return np.array([name not in off for name in names], dtype=bool)
