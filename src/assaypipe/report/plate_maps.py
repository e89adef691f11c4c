"""Plate maps: each plate's wells in their layout (rows A-H or A-P, columns 1-12 or
1-24), coloured by signal (one panel per analyte) and, for Luminex, by bead count (the
median over the plate's analytes, coloured by the QC limits).

Many plates are drawn, so a figure is drawn once per plate shape (grid size, number of
analyte panels, with or without beads), with its row and column labels, and kept as
pixels: each plate only colours its wells into a copy (matplotlib's colour maps) and
writes its titles with PIL in matplotlib's font, and the result is written as PNG (text
and image artists were most of the cost of a matplotlib figure drawn per plate).
``figure`` still gives the matplotlib figure with its artists filled in.

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
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import AxesImage
from matplotlib.text import Text
from PIL import Image, ImageDraw, ImageFont

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
class _Box:
    """A panel's pixels: its top left corner, the grid row under each pixel row and the
    grid column under each pixel column, and where its title's baseline starts."""

    left: int
    top: int
    rows: np.ndarray
    columns: np.ndarray
    title_at: tuple[float, float]


@dataclasses.dataclass
class _Template:
    figure: Figure
    canvas: FigureCanvasAgg
    images: list[AxesImage]
    titles: list[Text]
    heading: Text
    title_font: ImageFont.FreeTypeFont
    heading_font: ImageFont.FreeTypeFont
    # the figure drawn with its labels and empty panels (RGB pixels), each plate's copied
    background: Any = None
    boxes: list[_Box] = dataclasses.field(default_factory=list)
    heading_at: tuple[float, float] = (0.0, 0.0)


class PlateMaps:
    """Draws plate maps, reusing one figure per plate shape."""

    def __init__(self, bead_fail: float = 35, bead_warn: float = 50) -> None:
        self.bead_bounds = [0, bead_fail, bead_warn, 2 * bead_warn, 4 * bead_warn, np.inf]
        self.bead_norm = BoundaryNorm(self.bead_bounds, len(BEAD_COLOURS))
        self.templates: dict[tuple[tuple[int, int], int, bool], _Template] = {}

    def png(self, plate_id: str, wells: pd.DataFrame) -> bytes:
        """The plate map of one plate's wells (``tables.WELLS`` rows of one plate) as PNG
        (no metadata: the same wells give the same bytes).

        The template (labels, empty panels) is drawn by matplotlib once per plate shape;
        each plate's wells are coloured by the panels' colour maps straight into a copy
        of its pixels, and the titles written over it with the same font."""
        panels, heading = self._panels(plate_id, wells)
        template = self._template(*self._key(wells))
        pixels = self._background(template).copy()
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        for (grid, norm, title), box, artist in zip(
            panels, template.boxes, template.images, strict=False
        ):
            colours = artist.get_cmap()(norm(grid), bytes=True)[..., :3]
            rows, columns = box.rows, box.columns
            image.paste(Image.fromarray(colours[rows][:, columns]), (box.left, box.top))
            draw.text(box.title_at, title, fill="black", font=template.title_font, anchor="ls")
        draw.text(template.heading_at, heading, fill="black", font=template.heading_font)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def figure(self, plate_id: str, wells: pd.DataFrame) -> Figure:
        """The plate map of one plate as a figure (drawn in full when saved)."""
        return self._fill(plate_id, wells).figure

    def _fill(self, plate_id: str, wells: pd.DataFrame) -> _Template:
        panels, heading = self._panels(plate_id, wells)
        template = self._template(*self._key(wells))
        for (grid, norm, title), image, text in zip(
            panels, template.images, template.titles, strict=False
        ):
            image.set_data(np.ma.masked_invalid(grid))
            image.set_norm(norm)
            text.set_text(title.replace("$", r"\$"))
        template.heading.set_text(heading.replace("$", r"\$"))
        return template

    def _key(self, wells: pd.DataFrame) -> tuple[tuple[int, int], int, bool]:
        shape = grid_of(list(wells["well"].astype(str).unique()))
        analytes = wells["analyte"].astype(str).nunique()
        beads = "bead_count" in wells and bool(wells["bead_count"].notna().any())
        return shape, min(analytes, MAX_ANALYTE_PANELS), beads

    def _panels(
        self, plate_id: str, wells: pd.DataFrame
    ) -> tuple[list[tuple[np.ndarray, Normalize, str]], str]:
        """Each panel's well grid, colour scale and title (plain text), and the heading."""
        shape, _, beads = self._key(wells)
        analytes = sorted(wells["analyte"].astype(str).unique())
        drawn = analytes[:MAX_ANALYTE_PANELS]
        panels: list[tuple[np.ndarray, Normalize, str]] = []
        kind = str(wells["signal_kind"].iloc[0]) if "signal_kind" in wells and len(wells) else ""
        names = wells["well"].astype(str).to_numpy(dtype=object)
        analyte_of = wells["analyte"].astype(str).to_numpy(dtype=object)
        signal = pd.to_numeric(wells["signal"], errors="coerce").to_numpy(dtype=float)
        for analyte in drawn:
            mine = analyte_of == analyte
            grid = well_grid(list(names[mine]), signal[mine], shape)
            finite = grid[np.isfinite(grid)]
            positive = finite[finite > 0]
            norm: Normalize
            if positive.size and positive.size == finite.size and positive.max() > positive.min():
                norm = LogNorm(positive.min(), positive.max())
                scale = "log"
            else:
                low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
                norm = Normalize(low, high if high > low else low + 1)
                scale = "linear"
            span = f"{finite.min():.3g}–{finite.max():.3g}" if finite.size else "no signal"
            title = shown(f"{analyte}: {kind} {span} ({scale})", 48).replace(r"\$", "$")
            panels.append((grid, norm, title))
        if beads:
            counts = pd.to_numeric(wells["bead_count"], errors="coerce").to_numpy(dtype=float)
            grids = [
                well_grid(list(names[analyte_of == a]), counts[analyte_of == a], shape)
                for a in analytes
            ]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a well with no count
                grid = np.nanmedian(np.stack(grids), axis=0)
            low = int(np.sum(grid < self.bead_bounds[1]))
            title = f"beads, median over analytes: {low} well(s) < {self.bead_bounds[1]:g}"
            panels.append((grid, self.bead_norm, title))
        more = len(analytes) - len(drawn)
        heading = str(plate_id)
        if more:
            heading += f" ({more} more analytes not drawn)"
        return panels, heading

    def _background(self, template: _Template) -> np.ndarray:
        """The template's pixels (RGB) with its labels and empty panels; the panels'
        pixel boxes and the titles' places are measured on the way."""
        if template.background is not None:
            return template.background  # type: ignore[no-any-return]
        for artist in (*template.titles, template.heading):
            artist.set_text("")
        for image in template.images:
            image.set_visible(False)
        template.canvas.draw()  # type: ignore[no-untyped-call]
        pixels = np.asarray(template.canvas.buffer_rgba())[..., :3].copy()  # type: ignore[no-untyped-call]
        height = pixels.shape[0]
        for image, title in zip(template.images, template.titles, strict=True):
            image.set_visible(True)
            extent = image.axes.get_window_extent()
            rows, columns = np.asarray(image.get_array()).shape  # type: ignore[union-attr]
            top, bottom = round(height - extent.y1), round(height - extent.y0)
            left, right = round(extent.x0), round(extent.x1)
            # the well under each pixel's centre
            along = (np.arange(left, right) + 0.5 - extent.x0) / extent.width * columns
            down = (np.arange(top, bottom) + 0.5 - (height - extent.y1)) / extent.height * rows
            x, y = title.get_transform().transform(title.get_position())
            template.boxes.append(
                _Box(
                    left,
                    top,
                    np.clip(down.astype(int), 0, rows - 1),
                    np.clip(along.astype(int), 0, columns - 1),
                    (float(x), float(height - y)),
                )
            )
        x, y = template.heading.get_transform().transform(template.heading.get_position())
        template.heading_at = (float(x), float(height - y))
        template.background = pixels
        return pixels

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
                image = ax.imshow(empty, cmap=colours, norm=self.bead_norm, interpolation="nearest")
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
        font = font_manager.findfont(FontProperties())
        points = PLATE_DPI / 72  # pixels a point
        template = _Template(
            figure,
            FigureCanvasAgg(figure),
            images,
            titles,
            heading,
            ImageFont.truetype(font, 7.5 * points),
            ImageFont.truetype(font, 9 * points),
        )
        self.templates[key] = template
        return template
