"""A plain plate grid (8 x 12 or 16 x 24) as CSV, TSV or an Excel sheet, for any reader
whose own format is not supported: copy the readings into a grid and give a plate map.

Labelled form: a header row of column numbers 1..12 (or 1..24), its first cell
optionally naming the reading (`OD450`, used as `signal_kind`), then one row per
plate row, `A` to `H` (or `P`). Bare form: exactly 8 rows of 12 cells (or 16 of 24)
and nothing else. Cells are delimited by tabs, semicolons or commas; with semicolons
or tabs a comma between digits is a decimal comma. The grid names no roles: a plate
map gives them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from itertools import chain
from typing import Final

import numpy as np

from assaypipe.errors import InputError, excerpt, shortened
from assaypipe.readers.cells import ROW_LETTERS, classify_texts, wells_columns
from assaypipe.readers.parsed import ParsedPlate
from assaypipe.readers.protocol import Format, ReadOptions, Source

__all__ = ["GRID", "MAX_LINES", "PlainGrid", "find_grid", "read_grid", "text_rows"]

_SHAPES: Final = {12: 8, 24: 16}
# The header row's column numbers of each grid width.
_HEADERS: Final = {width: [str(c) for c in range(1, width + 1)] for width in _SHAPES}
_DECIMAL_COMMA_CELL: Final = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_NUMBER_CELL: Final = re.compile(r"^[+-]?[\d.,]+(?:[eE][+-]?\d+)?$")
# A plain grid export is one grid and a few lines about it (a sheet may add a thousand
# empty rows): a longer text or sheet is not searched for one, which for a file of
# millions of lines would take minutes.
MAX_LINES: Final = 10_000


@dataclass(frozen=True, eq=False)
class PlainGrid:
    title: str
    rows: tuple[str, ...]
    columns: int
    cells: np.ndarray
    line: int


def text_rows(text: str) -> tuple[list[tuple[str, ...]], bool] | None:
    """The text's rows split by the delimiter that makes a plate grid, and whether
    numbers use a decimal comma; None when no delimiter does (or the text is longer
    than a grid export, `MAX_LINES`)."""
    if max(text.count("\n"), text.count("\r")) > MAX_LINES:
        return None
    for delimiter in ("\t", ";", ","):
        try:
            rows = [tuple(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        except csv.Error:
            continue
        if _locate(rows) is not None:
            comma = delimiter != "," and any(
                _DECIMAL_COMMA_CELL.match(cell) for row in rows for cell in row
            )
            return rows, comma
    return None


def _trim(row: tuple[str, ...]) -> list[str]:
    cells = [cell.strip() for cell in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _header_width(row: tuple[str, ...]) -> int | None:
    if len(row) <= min(_SHAPES) or row[1].strip() != "1":
        return None  # too short for a header, or its numbers do not start at 1
    cells = _trim(row)[1:]
    for width, numbers in _HEADERS.items():
        if cells == numbers:
            return width
    return None


def _locate(rows: list[tuple[str, ...]]) -> tuple[str, int, int] | None:
    """("labelled", header index, width) or ("bare", 0, width), else None."""
    if len(rows) > MAX_LINES:
        return None
    header = next(
        ((i, w) for i, row in enumerate(rows) if (w := _header_width(row)) is not None), None
    )
    if header is not None:
        index, width = header
        return "labelled", index, width
    filled = [_trim(row) for row in rows if any(cell.strip() for cell in row)]
    for width, height in _SHAPES.items():
        if len(filled) != height or max(len(row) for row in filled) != width:
            continue
        numbers = len(list(filter(_NUMBER_CELL.match, chain.from_iterable(filled))))
        # Mostly numbers: a short table of words is not a plate of readings.
        if numbers * 2 >= width * height:
            return "bare", 0, width
    return None


def find_grid(rows: list[tuple[str, ...]], file: str) -> PlainGrid | None:
    """The one plate grid in these rows, checked; None if there is none."""
    located = _locate(rows)
    if located is None:
        return None
    kind, index, width = located
    height = _SHAPES[width]
    if kind == "bare":
        filled = [list(row) for row in rows if any(cell.strip() for cell in row)]
        cells = np.array([(row + [""] * width)[:width] for row in filled], dtype=object)
        return PlainGrid("", tuple(ROW_LETTERS[:height]), width, cells, 1)
    others = [i for i, row in enumerate(rows) if i > index and _header_width(row) is not None]
    if others:
        raise InputError(
            file,
            f"the file holds {len(others) + 1} plate grids; a plain grid export holds one: "
            "put each reading in its own file",
            where=f"line {others[0] + 1}",
        )
    header = _trim(rows[index])
    title = header[0] if header else ""
    if not title and index > 0:
        above = _trim(rows[index - 1])
        title = above[0] if len(above) == 1 else ""
    body: list[list[str]] = []
    for offset, letter in enumerate(ROW_LETTERS[:height], start=1):
        position = index + offset
        row = list(rows[position]) if position < len(rows) else []
        if not row or row[0].strip().upper() != letter:
            found = excerpt(row[0].strip() if row else "the end of the file")
            raise InputError(
                file,
                f"expected plate row {letter} of an {height} x {width} grid, found {found}",
                where=f"line {position + 1}",
            )
        values = [cell for cell in row[1:]]
        if len(values) > width and any(cell.strip() for cell in values[width:]):
            raise InputError(
                file,
                f"row {letter} has {len(_trim(tuple(values)))} cells for {width} columns; "
                "the line looks damaged",
                where=f"line {position + 1}",
            )
        body.append((values + [""] * width)[:width])
    following = index + height + 1
    if following < len(rows):
        extra = _trim(rows[following])
        if extra and extra[0].upper() in ROW_LETTERS[height:] and len(extra) > 1:
            raise InputError(
                file,
                f"the grid has more than {height} rows (row {shortened(extra[0])} follows); "
                f"expected {height} x {width}",
                where=f"line {following + 1}",
            )
    return PlainGrid(
        title, tuple(ROW_LETTERS[:height]), width, np.array(body, dtype=object), index + 1
    )


def read_grid(grid: PlainGrid, decimal_comma: bool = False) -> ParsedPlate:
    """One row per grid cell; roles and analyte come from the plate map."""
    wells = np.array(
        [f"{row}{column}" for row in grid.rows for column in range(1, grid.columns + 1)],
        dtype=object,
    )
    raw_text = np.array([str(cell).strip() for cell in grid.cells.ravel().tolist()], dtype=object)
    tokens, values = classify_texts(raw_text.tolist(), decimal_comma=decimal_comma)
    table = wells_columns(
        len(wells),
        well=wells,
        signal=values,
        signal_kind=grid.title or "value",
        raw_text=raw_text,
        token=tokens,
    )
    return ParsedPlate(wells=table, meta={"format": "grid"})


def _rows(source: Source) -> list[tuple[list[tuple[str, ...]], bool]]:
    """Each candidate table of the source (a workbook's sheets, or the text split by
    the delimiter that makes a grid) with whether it uses a decimal comma."""
    if source.kind == "workbook":
        return [(list(sheet.rows), False) for sheet in source.sheets]
    rows = text_rows(source.text)
    return [rows] if rows is not None else []


def _recognise(source: Source) -> bool:
    return any(_locate(rows) is not None for rows, _ in _rows(source))


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    for rows, decimal_comma in _rows(source):
        found = find_grid(rows, source.file)
        if found is not None:
            return [read_grid(found, decimal_comma=decimal_comma)]
    raise InputError(source.file, "no plate grid was found")


GRID: Final = Format(
    name="grid",
    described="a plain 8 x 12 or 16 x 24 grid",
    software="any other reader",
    export="a plain 8 × 12 or 16 × 24 grid, CSV/TSV/Excel",
    versions="-",
    plate_map="required",
    recognised_by="one 8 x 12 or 16 x 24 grid",
    kinds=("text", "workbook"),
    recognise=_recognise,
    read=_read,
)
