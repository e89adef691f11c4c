"""Plate maps: each plate's wells in their layout (rows A-H or A-P, columns 1-12 or
1-24), coloured by signal (one panel per analyte) and, for Luminex, by bead count (the
median over the plate's analytes, coloured by the QC limits).

Thousands of plates are drawn, so a figure is drawn once per plate shape (grid size,
number of analyte panels, with or without beads), with its row and column labels, and
kept as a picture: each plate only draws its panels' pixels and titles over it, and the
result is written as PNG (text is most of the cost of a matplotlib figure).

>>> grid_of(["A1", "H12"]), grid_of(["A1", "P24"]), grid_of(["B3", "Q30"])
((8, 12), (16, 24), (16, 24))
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.text import Text
from PIL import Image

from assaypipe.figure_text import shown

matplotlib.use("Agg")

# Analytes drawn as their own panel; past it the plate map names how many more there are.
MAX_ANALYTE_PANELS = 8
PANEL_COLUMNS = 3
PLATE_DPI = 72
_WELL = re.compile(r"^([A-Pa-p])0*([0-9]{1,2})$")
SIGNAL_MAP = matplotlib.colormaps["viridis"].with_extremes(bad="#e6e6e6")
# Bead counts: red below the fail limit, orange below the warn limit, then greens.
BEAD_COLOURS = ["#c0392b", "#e08a00", "#a1d99b", "#41ab5d", "#006d2c"]


def grid_of(wells: Sequence[str]) -> tuple[int, int]:
    """The plate's rows and columns: 8 x 12 unless a well lies beyond H12."""
    for well in wells:
        found = _WELL.match(str(well))
        if found is None or found.group(1).upper() > "H" or int(found.group(2)) > 12:
            return (16, 24)
    return (8, 12)


# Row and column (from 0) of every well name a plate can have.
POSITIONS = {f"{chr(65 + r)}{c + 1}": (r, c) for r in range(16) for c in range(24)}


def well_grid(wells: Sequence[str], values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``values`` placed at their ``wells`` in a rows x columns array (NaN where none).

    >>> well_grid(["A1", "B2", "Z9"], np.array([1.0, 2.0, 3.0]), (2, 2)).tolist()
    [[1.0, nan], [nan, 2.0]]
    """
    grid = np.full(shape, np.nan)
    for well, value in zip(wells, values.tolist(), strict=True):
        row, col = POSITIONS.get(well.upper(), (-1, -1))
        if 0 <= row < shape[0] and 0 <= col < shape[1]:
            grid[row, col] = value
    return grid


@dataclasses.dataclass
class _Template:
    figure: Figure
    canvas: FigureCanvasAgg
    images: list[AxesImage]
    titles: list[Text]
    heading: Text
    # the figure drawn with its labels and empty panels, restored before each plate
    background: Any = None


class PlateMaps:
    """Draws plate maps, reusing one figure per plate shape."""

    def __init__(self, bead_fail: float = 35, bead_warn: float = 50) -> None:
        self.bead_bounds = [0, bead_fail, bead_warn, 2 * bead_warn, 4 * bead_warn, np.inf]
        self.templates: dict[tuple[tuple[int, int], int, bool], _Template] = {}

    def png(self, plate_id: str, wells: pd.DataFrame) -> bytes:
        """The plate map of one plate's wells (``tables.WELLS`` rows of one plate) as PNG
        (no metadata: the same wells give the same bytes)."""
        template = self._fill(plate_id, wells)
        canvas = template.canvas
        if template.background is None:
            blank = [artist.get_text() for artist in (*template.titles, template.heading)]
            for artist in (*template.titles, template.heading):
                artist.set_text("")
            for image in template.images:
                image.set_visible(False)
            canvas.draw()  # type: ignore[no-untyped-call]
            template.background = canvas.copy_from_bbox(  # type: ignore[no-untyped-call]
                template.figure.bbox
            )
            for artist, text in zip((*template.titles, template.heading), blank, strict=True):
                artist.set_text(text)
            for image in template.images:
                image.set_visible(True)
        canvas.restore_region(template.background)  # type: ignore[no-untyped-call]
        drawn: list[Artist] = [*template.images, *template.titles, template.heading]
        for item in drawn:
            template.figure.draw_artist(item)
        buffer = io.BytesIO()
        pixels = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
        Image.fromarray(pixels).save(buffer, format="png", compress_level=3)
        return buffer.getvalue()

    def figure(self, plate_id: str, wells: pd.DataFrame) -> Figure:
        """The plate map of one plate as a figure (drawn in full when saved)."""
        return self._fill(plate_id, wells).figure

    def _fill(self, plate_id: str, wells: pd.DataFrame) -> _Template:
        shape = grid_of(list(wells["well"].astype(str).unique()))
        analytes = sorted(wells["analyte"].astype(str).unique())
        drawn = analytes[:MAX_ANALYTE_PANELS]
        beads = "bead_count" in wells and bool(wells["bead_count"].notna().any())
        template = self._template(shape, len(drawn), beads)
        panel = 0
        kind = str(wells["signal_kind"].iloc[0]) if "signal_kind" in wells and len(wells) else ""
        names = wells["well"].astype(str).to_numpy(dtype=object)
        analyte_of = wells["analyte"].astype(str).to_numpy(dtype=object)
        signal = pd.to_numeric(wells["signal"], errors="coerce").to_numpy(dtype=float)
        for analyte in drawn:
            mine = analyte_of == analyte
            grid = well_grid(list(names[mine]), signal[mine], shape)
            image, title = template.images[panel], template.titles[panel]
            image.set_data(np.ma.masked_invalid(grid))
            finite = grid[np.isfinite(grid)]
            positive = finite[finite > 0]
            if positive.size and positive.size == finite.size and positive.max() > positive.min():
                image.set_norm(LogNorm(positive.min(), positive.max()))
                scale = "log"
            else:
                low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
                image.set_norm(Normalize(low, high if high > low else low + 1))
                scale = "linear"
            span = f"{finite.min():.3g}–{finite.max():.3g}" if finite.size else "no signal"
            title.set_text(shown(f"{analyte}: {kind} {span} ({scale})", 48))
            panel += 1
        if beads:
            counts = pd.to_numeric(wells["bead_count"], errors="coerce").to_numpy(dtype=float)
            grids = [
                well_grid(list(names[analyte_of == a]), counts[analyte_of == a], shape)
                for a in analytes
            ]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a well with no count
                grid = np.nanmedian(np.stack(grids), axis=0)
            template.images[panel].set_data(np.ma.masked_invalid(grid))
            low = int(np.sum(grid < self.bead_bounds[1]))
            template.titles[panel].set_text(
                f"beads, median over analytes: {low} well(s) < {self.bead_bounds[1]:g}"
            )
        more = len(analytes) - len(drawn)
        heading = shown(plate_id)
        if more:
            heading += f" ({more} more analytes not drawn)"
        template.heading.set_text(heading)
        return template

    def _template(self, shape: tuple[int, int], n_signal: int, beads: bool) -> _Template:
        key = (shape, n_signal, beads)
        if key in self.templates:
            return self.templates[key]
        panels = n_signal + int(beads)
        columns = min(panels, PANEL_COLUMNS)
        rows = math.ceil(panels / columns)
        width = 3.4 if shape[1] == 12 else 5.2
        height = width * shape[0] / shape[1] + 0.75
        figure = Figure(figsize=(width * columns, height * rows + 0.3), dpi=PLATE_DPI)
        figure.subplots_adjust(
            left=0.06 / columns,
            right=1 - 0.02 / columns,
            top=1 - 0.55 / (height * rows + 0.3),
            bottom=0.25 / (height * rows + 0.3),
            wspace=0.15,
            hspace=0.45,
        )
        axes = figure.subplots(rows, columns, squeeze=False).ravel()
        empty = np.full(shape, np.nan)
        images, titles = [], []
        for index, ax in enumerate(axes):
            if index >= panels:
                ax.set_visible(False)
                continue
            bead_panel = beads and index == panels - 1
            if bead_panel:
                colours = ListedColormap(BEAD_COLOURS).with_extremes(bad="#e6e6e6")
                norm = BoundaryNorm(self.bead_bounds, colours.N)
                image = ax.imshow(empty, cmap=colours, norm=norm, interpolation="nearest")
            else:
                image = ax.imshow(empty, cmap=SIGNAL_MAP, interpolation="nearest")
            step = 1 if shape[1] == 12 else 2
            ax.set_xticks(range(0, shape[1], step), [str(c + 1) for c in range(0, shape[1], step)])
            ax.set_yticks(range(shape[0]), [chr(65 + r) for r in range(shape[0])])
            ax.tick_params(labelsize=6.5, length=0, labeltop=True, labelbottom=False)
            images.append(image)
            # a text at a fixed place rather than a title, which is placed by measuring
            # the tick labels above it each time it is drawn
            titles.append(ax.text(0, 1.16, "", fontsize=7.5, transform=ax.transAxes))
        heading = figure.text(0.01, 0.99, "", fontsize=9, va="top", ha="left")
        template = _Template(figure, FigureCanvasAgg(figure), images, titles, heading)
        self.templates[key] = template
        return template
