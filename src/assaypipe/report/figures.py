"""The report's figures (matplotlib, Agg), as PNG bytes with no date or software stamp.

- :func:`curve_figure`: a plate x analyte's standards (fitted and left out), the
  selected curve, LLOQ/ULOQ/LOD, the blank level, and its samples and controls;
- :func:`levey_jennings_figure`: one panel per series of an analyte across plates, the
  guide-set mean and 1/2/3 SD lines, Westgard violations marked and named;
- :func:`prepost_figure`: paired pre/post values per subject, one panel per analyte
  (used when the statistics' own figure is not there).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator
from matplotlib.transforms import Bbox

from assaypipe.curves import asymptotes, predict
from assaypipe.figure_text import shown as plain
from assaypipe.units import label
from assaypipe.vocabulary import QcStatus, Role

matplotlib.use("Agg")

FITTED = "#1f4e9c"
LEFT_OUT = "#c0392b"
SAMPLE = "#e08a00"
CONTROL = "#7b3294"
LIMIT = "#2e7d32"
RECOVERY_OFF = "#111111"
STATUS_COLOURS: dict[str, str] = {QcStatus.FAIL: "#c0392b", QcStatus.WARN: "#e08a00"}


PLAIN_NUMBER = FuncFormatter(lambda value, _position: f"{value:g}")


# The curve figure's size and resolution: 450 x 324 px, shown at its own size (the
# page's figure.curve box), so that 8.5 pt text is 10.6 px on screen.
CURVE_SIZE = (5.0, 3.6)
CURVE_DPI = 90
CURVE_TEXT = {"ticks": 8.5, "labels": 9.0, "legend": 8.5, "limits": 8.5, "note": 9.0}
# Limit labels sit above the plot in rows: one closer than this (axes fraction) to the
# previous label of a row goes up a row (a label is about 0.08 wide).
LIMIT_GAP = 0.11
LIMIT_ROW_PX = 13


def png_bytes(figure: Figure, dpi: int = CURVE_DPI) -> bytes:
    """The figure as PNG; no metadata, so the same figure gives the same bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def curve_figure(
    standards: pd.DataFrame,
    params: Mapping[str, float] | None,
    limits: Mapping[str, float],
    others: pd.DataFrame,
    signal_label: str,
    unit: str = "",
    note: str = "",
    *,
    reuse: bool = False,
) -> Figure:
    """One standard curve.

    ``standards``: columns expected_conc, signal, fitted (bool), and optionally
    recovery_ok (bool: False for a fitted level whose back-calculated recovery is out of
    limits). ``limits``: lloq, uloq, lod (in-well) and blank (mean blank signal); NaN to
    leave one out. ``others``: the other wells (samples, controls, blanks, unassigned)
    with role, concentration (in-well) and signal. ``unit``: the unit of the
    concentrations ("" when none is stated). ``note``: why there is no curve (its status
    and reasons), written in the figure when ``params`` is None.

    Without a curve, the standards are still drawn, and the samples' signals as ticks at
    the right edge. Without a standard to draw (none, or none with a signal and a
    concentration above 0) the figure says why and draws the wells' signals in plate
    order, when they have any. The signal axis is logarithmic only when every
    standard's signal is above 0 and something is drawn on it. LLOQ, ULOQ and LOD are
    named above the plot, in rows where they are close, so that their labels never
    overlap.

    ``reuse``: draw on a figure this process keeps for the purpose, emptied first,
    rather than a new one (the same PNG, a fifth less work; for drawing many in a row):
    the figure returned is then valid until the next such call only.
    """
    conc = pd.to_numeric(standards["expected_conc"], errors="coerce").to_numpy(dtype=float)
    signal = pd.to_numeric(standards["signal"], errors="coerce").to_numpy(dtype=float)
    fitted = standards["fitted"].to_numpy(dtype=bool)
    recovery_ok = (
        standards["recovery_ok"].to_numpy(dtype=bool)
        if "recovery_ok" in standards
        else np.ones(len(standards), dtype=bool)
    )
    shown = np.isfinite(conc) & (conc > 0) & np.isfinite(signal)
    positive_x = conc[shown]
    low = float(positive_x.min()) / 3 if positive_x.size else 0.1
    high = float(positive_x.max()) * 3 if positive_x.size else 10.0
    marked = _limit_rows(limits, low, high)
    rows = max((row for _name, _value, row in marked), default=-1) + 1
    # Fixed margins rather than a layout engine: thousands of these are drawn, and
    # measuring every tick label to place the axes costs more than drawing them.
    height_px = CURVE_SIZE[1] * CURVE_DPI
    # Why there is no curve goes above the plot, where it hides no point.
    missing = _no_curve_text(note) if params is None and note else ""
    rows += missing.count("\n") + 1 if missing else 0
    top = 1 - (6 + LIMIT_ROW_PX * max(rows, 0.3)) / height_px
    figure, ax = _curve_canvas(top, reuse and bool(shown.any()))
    if missing:
        figure.text(
            0.02,
            top + 4 / height_px,
            missing,
            ha="left",
            va="bottom",
            fontsize=CURVE_TEXT["legend"],
            color=STATUS_COLOURS[QcStatus.FAIL],
            linespacing=1.1,
        )
    points = {role: _placed(others[others["role"] == role]) for role in (Role.SAMPLE, Role.CONTROL)}
    # Without a curve the samples have no concentration: their signals are shown alone.
    unplaced = _unplaced_signals(others) if params is None else np.empty(0)
    drawn_y = np.concatenate([signal[shown], unplaced, *(y for _x, y in points.values())])
    # A log signal axis needs standards above zero and something to draw on it.
    log_y = bool(np.all(signal[np.isfinite(signal)] > 0) and np.any(drawn_y > 0))

    if not shown.any():
        return _wells_in_plate_order(
            figure, ax, others, "" if missing else _nothing_to_draw(conc, signal), signal_label
        )
    if unplaced.size:
        ax.scatter(
            np.full(unplaced.size, high / 1.25),
            unplaced,
            s=60,
            marker="_",
            color=SAMPLE,
            alpha=0.75,
            zorder=2,
            label="sample signals (no curve)",
        )
    if params is not None:
        grid = np.geomspace(low, high, 200)
        ax.plot(grid, predict(dict(params), grid), color=FITTED, lw=1.3, label="curve")
    good = shown & fitted & recovery_ok
    if good.any():
        ax.scatter(conc[good], signal[good], s=26, color=FITTED, zorder=3, label=Role.STANDARD)
    off = shown & fitted & ~recovery_ok
    if off.any():
        # Fitted, but its back-calculated recovery is out of limits: a hollow square.
        ax.scatter(
            conc[off],
            signal[off],
            s=48,
            marker="s",
            facecolors="none",
            edgecolors=RECOVERY_OFF,
            linewidths=1.5,
            zorder=4,
            label="recovery out of limits",
        )
    out = shown & ~fitted
    if out.any():
        ax.scatter(
            conc[out],
            signal[out],
            s=50,
            marker="x",
            color=LEFT_OUT,
            zorder=4,
            label="left out (masked, flagged)",
        )
    for (role, (x, y)), colour, marker in zip(
        points.items(), (SAMPLE, CONTROL), ("^", "D"), strict=True
    ):
        if x.size:
            ax.scatter(
                np.clip(x, low, high),
                y,
                s=14 if role == Role.SAMPLE else 22,
                marker=marker,
                color=colour,
                alpha=0.75,
                zorder=2,
                label=role + "s",
            )
    for name, value, row in marked:
        style, colour = LIMIT_STYLES[name]
        ax.axvline(value, color=colour, ls=style, lw=1)
        ax.annotate(
            name.upper(),
            (value, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2 + LIMIT_ROW_PX * row),
            textcoords="offset pixels",
            fontsize=CURVE_TEXT["limits"],
            va="bottom",
            ha="center",
            color=colour,
            annotation_clip=False,
        )
    blank = float(limits.get("blank", math.nan))
    if math.isfinite(blank) and (blank > 0 or not log_y):
        ax.axhline(blank, color="#777777", ls=":", lw=1, label=Role.BLANK)
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    # Plain numbers (1000, 1e+05) rather than the log axis's default 10^3 in mathtext,
    # whose typesetting is most of the cost of a figure.
    ax.xaxis.set_major_formatter(PLAIN_NUMBER)
    if log_y:
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(PLAIN_NUMBER)
    ax.set_xlim(low, high)
    ax.set_xlabel(f"concentration in well ({plain(label(unit))})", fontsize=CURVE_TEXT["labels"])
    ax.set_ylabel(plain(signal_label), fontsize=CURVE_TEXT["labels"])
    ax.tick_params(labelsize=CURVE_TEXT["ticks"])
    increasing = params is None or asymptotes(params)[1] >= asymptotes(params)[0]
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            fontsize=CURVE_TEXT["legend"],
            loc="upper left" if increasing else "upper right",
            framealpha=0.85,
            handletextpad=0.3,
            borderpad=0.3,
            labelspacing=0.25,
        )
    return figure


class _Canvases:
    """Figures kept by this process to draw the next figure of the same shape on:
    emptied of their artists, their axes keep their ticks and text objects, which
    matplotlib otherwise builds afresh for every figure (a fifth of a curve figure's
    cost). The PNG drawn on a kept figure is the one a new figure gives (tested)."""

    def __init__(self) -> None:
        self._kept: dict[object, tuple[Figure, list[Axes]]] = {}

    def kept(
        self, shape: object, make: Callable[[], tuple[Figure, list[Axes]]]
    ) -> tuple[Figure, list[Axes]]:
        found = self._kept.get(shape)
        if found is None:
            found = self._kept[shape] = make()
            return found
        for ax in found[1]:
            for artist in [*ax.lines, *ax.collections, *ax.texts, *ax.patches]:
                artist.remove()
            if ax.legend_ is not None:
                ax.legend_.remove()
            ax.dataLim.set_points(Bbox.null().get_points())
            ax.ignore_existing_data_limits = True
            ax.set_autoscale_on(True)
        return found


_CURVES = _Canvases()
_CHARTS = _Canvases()


def _curve_canvas(top: float, reuse: bool) -> tuple[Figure, Axes]:
    def make() -> tuple[Figure, list[Axes]]:
        figure = Figure(figsize=CURVE_SIZE, dpi=CURVE_DPI)
        figure.subplots_adjust(left=0.17, right=0.97, top=top, bottom=0.15)
        return figure, [figure.add_subplot()]

    if not reuse:
        figure, (ax,) = make()
        return figure, ax
    figure, (ax,) = _CURVES.kept("curve", make)
    for text in list(figure.texts):
        text.remove()
    ax.set_xscale("linear")
    ax.set_yscale("linear")
    figure.subplots_adjust(top=top)
    return figure, ax


LIMIT_STYLES = {"lloq": ("--", LIMIT), "uloq": ("--", LIMIT), "lod": (":", "#555555")}


def _limit_rows(
    limits: Mapping[str, float], low: float, high: float
) -> list[tuple[str, float, int]]:
    """The limits inside the x range, each with its label's row above the plot (0 is
    the lowest): a label closer than ``LIMIT_GAP`` to the last one of a row goes up.

    >>> _limit_rows({"lod": 1.0, "lloq": 1.1, "uloq": 500.0}, 0.1, 1000.0)
    [('lod', 1.0, 0), ('lloq', 1.1, 1), ('uloq', 500.0, 0)]
    """
    found = []
    for name in LIMIT_STYLES:
        value = float(limits.get(name, math.nan))
        if math.isfinite(value) and low <= value <= high:
            found.append((math.log(value / low) / math.log(high / low), name, value))
    last: list[float] = []  # the axes fraction of each row's last label
    out = []
    for fraction, name, value in sorted(found):
        row = next((i for i, x in enumerate(last) if fraction - x >= LIMIT_GAP), len(last))
        if row == len(last):
            last.append(fraction)
        last[row] = fraction
        out.append((name, value, row))
    return out


def _placed(wells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The concentrations and signals of wells that can be placed on the curve's axes."""
    x = pd.to_numeric(wells["concentration"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(wells["signal"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(x) & (x > 0) & np.isfinite(y)
    return x[keep], y[keep]


# The reasons a figure without a curve lists (of its curve's reasons), and the longest.
MAX_NOTE_REASONS = 3
MAX_NOTE_CHARS = 72


def _no_curve_text(note: str) -> str:
    """A curve's status and reasons as a few short lines.

    >>> print(_no_curve_text("too_few_points: a;b"))
    no curve: too_few_points
    a
    b
    """
    head, _, rest = note.partition(": ")
    reasons = [r.strip() for r in rest.split(";") if r.strip()]
    lines = [f"no curve: {head}"] + [plain(r, MAX_NOTE_CHARS) for r in reasons[:MAX_NOTE_REASONS]]
    if len(reasons) > MAX_NOTE_REASONS:
        lines.append(f"and {len(reasons) - MAX_NOTE_REASONS} more reason(s)")
    return "\n".join(lines)


def _unplaced_signals(wells: pd.DataFrame) -> np.ndarray:
    """The finite signals of the sample wells."""
    samples = wells[wells["role"] == Role.SAMPLE]
    y: np.ndarray = pd.to_numeric(samples["signal"], errors="coerce").to_numpy(dtype=float)
    found: np.ndarray = y[np.isfinite(y)]
    return found


def _wells_in_plate_order(
    figure: Figure, ax: Axes, wells: pd.DataFrame, why: str, signal_label: str
) -> Figure:
    """The figure of a plate x analyte without a standard to place: the other wells'
    signals in plate order (by role) when they have any, and ``why`` in the plot (unless
    the curve's own reasons are above it)."""
    y = pd.to_numeric(wells["signal"], errors="coerce").to_numpy(dtype=float)
    roles = wells["role"].fillna(Role.UNASSIGNED).astype(str).to_numpy(dtype=object)
    keep = np.isfinite(y)
    if not keep.any():
        ax.text(
            0.5,
            0.5,
            why or "No well has a signal to draw.",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=CURVE_TEXT["note"],
            wrap=True,
        )
        ax.tick_params(labelbottom=False, labelleft=False)
        return figure
    x = np.arange(len(y))
    for role in dict.fromkeys(roles[keep]):
        hit = keep & (roles == role)
        ax.scatter(
            x[hit],
            y[hit],
            s=12,
            color=ROLE_COLOURS.get(str(role), "#777777"),
            label=plain(role, 20),
            zorder=3,
        )
    if np.all(y[keep] > 0):
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(PLAIN_NUMBER)
    ax.set_xlabel("well, in plate order (no standard to place)", fontsize=CURVE_TEXT["labels"])
    ax.set_ylabel(plain(signal_label), fontsize=CURVE_TEXT["labels"])
    ax.tick_params(labelsize=CURVE_TEXT["ticks"])
    if why:
        ax.set_title(why.replace("\n", " "), fontsize=CURVE_TEXT["legend"], loc="left")
    ax.legend(fontsize=CURVE_TEXT["legend"], loc="lower right", framealpha=0.85)
    return figure


ROLE_COLOURS: dict[str, str] = {
    Role.SAMPLE: SAMPLE,
    Role.CONTROL: CONTROL,
    Role.BLANK: "#777777",
    Role.STANDARD: FITTED,
}


def _nothing_to_draw(conc: np.ndarray, signal: np.ndarray) -> str:
    """Why a plate x analyte has no standard to draw, in the lab's words."""
    if conc.size == 0:
        return "No standard wells for this analyte on this plate:\nno curve to draw."
    has_signal, has_conc = np.isfinite(signal), np.isfinite(conc) & (conc > 0)
    if not has_signal.any():
        why = "no standard well has a signal"
    elif not has_conc.any():
        why = "no standard well has an expected concentration above 0"
    else:
        why = "no standard well has both a signal and an expected concentration above 0"
    return f"{len(conc)} standard well(s), but {why}:\nno curve to draw."


# A Levey-Jennings panel names the Westgard rules beside its flagged points up to
# this many; past it the points are marked only.
MAX_LJ_LABELS = 40

LJ_LABELS = {
    "curve_c": "curve c (inflection)",
    "curve_d": "curve d (top asymptote)",
    "top_standard": "top standard signal",
}


# Lots named on a Levey-Jennings chart, with a line where one ends; past it, counted.
MAX_LJ_LOTS = 12


def levey_jennings_figure(
    series: pd.DataFrame,
    plate_labels: Sequence[str],
    guide_plates: int | None = None,
    *,
    reuse: bool = False,
) -> Figure:
    """Panels for every series of one analyte (``tables.LEVEY_JENNINGS`` rows), stacked
    so that one plate lines up across controls and parameters; ``plate_labels`` are the
    plate ids in run order, for the x axis. Each axis names its unit (a concentration's,
    or a signal's kind). Each kit lot has its own guide set (shaded) and limits, drawn
    over its plates; a lot without a complete guide set (``guide_plates`` plates) has no
    limits, and the panel says so. ``reuse``: as for :func:`curve_figure`, on a kept
    figure with as many panels."""
    names = list(dict.fromkeys(series.sort_values(["kind", "series"])["series"]))
    height = 1.45 * len(names) + 1.3

    def make() -> tuple[Figure, list[Axes]]:
        figure = Figure(figsize=(11.0, height))
        figure.subplots_adjust(
            left=0.08, right=0.98, top=1 - 0.3 / height, bottom=1.2 / height, hspace=0.12
        )
        return figure, list(figure.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0])

    figure, axes = _CHARTS.kept(len(names), make) if reuse else make()
    lots = series["lot"].astype(str) if "lot" in series else pd.Series("", index=series.index)
    for ax, name in zip(axes, names, strict=False):
        points = series[series["series"] == name].assign(lot=lots).sort_values("run_index")
        x = points["run_index"].to_numpy(dtype=float)
        y = points["value"].to_numpy(dtype=float)
        guide = points["guide"].to_numpy(dtype=bool)
        for first, last in _runs(x, guide):
            ax.axvspan(first - 0.4, last + 0.4, color="#eef3fb", zorder=0)
        _draw_limits(ax, points)
        ax.plot(x, y, color=FITTED, lw=0.8, marker="o", ms=3.5, zorder=3)
        _mark_flagged(ax, points, x, y)
        missing = _incomplete_lots(points, guide_plates)
        if missing:
            ax.annotate(
                missing,
                (0.995, 0.97),
                xycoords="axes fraction",
                va="top",
                ha="right",
                fontsize=7,
                color="#555555",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
        shown = LJ_LABELS.get(name, name)
        unit = str(points["unit"].iloc[0]) if "unit" in points and len(points) else ""
        if unit:
            shown = f"{shown} ({unit})"
        ax.set_ylabel(plain(shown).replace(" (", "\n("), fontsize=7.5)
        ax.tick_params(labelsize=7)
    _mark_lots(list(axes), series.assign(lot=lots))
    ticks = np.arange(len(plate_labels))
    step = max(1, math.ceil(len(ticks) / 40))
    axes[-1].set_xticks(ticks[::step])
    axes[-1].set_xticklabels(
        [plain(p) for p in plate_labels][::step], rotation=60, ha="right", fontsize=6
    )
    axes[-1].set_xlim(-0.6, max(len(plate_labels) - 0.4, 0.6))
    figure.supxlabel(
        "plate, in run order (shaded: guide set; the plates after it are judged against it)",
        fontsize=8,
        y=0.01,
    )
    return figure


def _runs(x: np.ndarray, inside: np.ndarray) -> list[tuple[float, float]]:
    """The first and last x of each run of consecutive points ``inside``.

    >>> _runs(np.array([0.0, 1, 2, 3, 4]), np.array([True, True, False, True, True]))
    [(0.0, 1.0), (3.0, 4.0)]
    """
    runs: list[tuple[float, float]] = []
    for position in np.flatnonzero(inside):
        if runs and position > 0 and inside[position - 1]:
            runs[-1] = (runs[-1][0], float(x[position]))
        else:
            runs.append((float(x[position]), float(x[position])))
    return runs


def _draw_limits(ax: Axes, points: pd.DataFrame) -> None:
    """Each lot's guide mean and its 1, 2 and 3 SD lines, over the lot's plates."""
    # Per lot (in order of first appearance): its first and last plate, and its first
    # stated mean and SD. A chart has a few lots; a loop over them is cheaper than a
    # groupby, which costs more than drawing the lines.
    codes, lots = pd.factorize(points["lot"].to_numpy(dtype=object), sort=False)
    run = points["run_index"].to_numpy(dtype=float)
    means = points["mean"].to_numpy(dtype=float)
    sds = points["sd"].to_numpy(dtype=float)
    spans = []
    for code in range(len(lots)):
        inside = codes == code
        lot_runs, lot_means, lot_sds = run[inside], means[inside], sds[inside]
        mean_stated = lot_means[~np.isnan(lot_means)]
        sd_stated = lot_sds[~np.isnan(lot_sds)]
        if mean_stated.size and np.isfinite(mean_stated[0]):
            sd_first = sd_stated[0] if sd_stated.size else math.nan
            spans.append((lot_runs.min(), lot_runs.max(), mean_stated[0], sd_first))
    if not spans:
        return
    first, last, mean, sd = (np.array(column, dtype=float) for column in zip(*spans, strict=True))
    low = first - 0.4
    high = last + 0.4
    ax.hlines(mean, low, high, color="#333333", lw=1)
    spread = np.isfinite(sd) & (sd > 0)
    levels: tuple[tuple[int, str, Literal[":", "--"]], ...] = (
        (1, "#999999", ":"),
        (2, "#e08a00", "--"),
        (3, "#c0392b", "--"),
    )
    for k, colour, style in levels:
        for sign in (1, -1):
            ax.hlines(
                mean[spread] + sign * k * sd[spread],
                low[spread],
                high[spread],
                color=colour,
                linestyles=style,
                lw=0.8,
            )


def _mark_flagged(ax: Axes, points: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> None:
    """Westgard violations as crosses, named beside them up to MAX_LJ_LABELS."""
    flagged = int(points["status"].isin(list(STATUS_COLOURS)).sum())
    # Past a few dozen, the rule names overlap into a smear and drawing them is most
    # of the figure's cost; the table under the chart names every one.
    labelled = flagged <= MAX_LJ_LABELS
    if not labelled:
        ax.annotate(
            f"{flagged} points flagged: their rules are in the table below",
            (0.005, 0.97),
            xycoords="axes fraction",
            va="top",
            fontsize=7,
            color=STATUS_COLOURS[QcStatus.FAIL],
        )
    for status, colour in STATUS_COLOURS.items():
        hit = (points["status"] == status).to_numpy()
        if not hit.any():
            continue
        ax.scatter(x[hit], y[hit], s=70, marker="X", color=colour, zorder=4)
        if not labelled:
            continue
        for xi, yi, found in zip(x[hit], y[hit], points["rules"][hit], strict=True):
            ax.annotate(
                found.replace(";", " "),
                (xi, yi),
                textcoords="offset points",
                xytext=(4, 6),
                fontsize=7,
                color=colour,
            )


def _incomplete_lots(points: pd.DataFrame, guide_plates: int | None) -> str:
    """What the panel says of the lots whose guide set is not complete ("" if none)."""
    missing = points[points["mean"].isna()]
    if missing.empty:
        return ""
    counts = missing.groupby("lot", sort=False)["plate_id"].count()
    needed = f"a guide set needs {guide_plates}" if guide_plates else "no complete guide set"
    if len(counts) == 1:
        lot, n = next(iter(counts.items()))
        named = f"lot {plain(lot, 24)}" if lot else "these plates"
        return f"{named}: {n} plate(s), {needed}: no limits, not judged"
    return f"{len(counts)} lots with too few plates ({needed}): no limits, not judged"


def _mark_lots(axes: Sequence[Axes], series: pd.DataFrame) -> None:
    """A line where one kit lot's plates end and the next's begin, and the lots' names
    over the top panel, when there are 2 to MAX_LJ_LOTS lots."""
    firsts = series.groupby("lot", sort=False)["run_index"].min().sort_values()
    if not 1 < len(firsts) <= MAX_LJ_LOTS:
        return
    for lot, start in firsts.items():
        if start > firsts.iloc[0]:
            for ax in axes:
                ax.axvline(float(start) - 0.5, color="#7b3294", lw=0.8, ls="-.")
        axes[0].annotate(
            f"lot {plain(lot, 20)}" if lot else "lot not stated",
            (float(start) - 0.4, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            fontsize=7,
            color="#7b3294",
            va="bottom",
            annotation_clip=False,
        )


def prepost_figure(
    pairs: pd.DataFrame,
    analytes: Sequence[str],
    display: Mapping[str, str],
    units: Mapping[str, str] | None = None,
) -> Figure:
    """Lines from pre to post per subject, one panel per analyte.

    ``pairs``: columns analyte, subject_id, pre, post (concentrations); ``units``: the
    unit of each analyte's values (none stated where missing).
    """
    n = max(len(analytes), 1)
    columns = min(n, 3)
    rows = math.ceil(n / columns)
    figure = Figure(figsize=(3.0 * columns, 2.6 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, analyte in zip(axes, analytes, strict=False):
        data = pairs[pairs["analyte"] == analyte]
        for pre, post in zip(data["pre"], data["post"], strict=True):
            ax.plot([0, 1], [pre, post], color="#888888", lw=0.8, marker="o", ms=3)
        if not data.empty:
            ax.plot([0, 1], [data["pre"].median(), data["post"].median()], color=FITTED, lw=2.4)
            if (data[["pre", "post"]] > 0).all().all():
                ax.set_yscale("log")
        ax.set_xticks([0, 1], ["pre", "post"])
        ax.set_xlim(-0.3, 1.3)
        ax.set_title(f"{plain(display.get(analyte, analyte))} (n={len(data)})", fontsize=9)
        ax.set_ylabel(plain(label((units or {}).get(analyte, ""))), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(analytes) :]:
        ax.set_visible(False)
    return figure
