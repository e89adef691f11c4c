"""Luminex xPONENT CSV exports (3.x, 4.x, and INTELLIFLEX's xPONENT-style export) into
the wells table.

Three layers, each testable alone:

1. `split_export` only cuts the CSV into the header rows and `DataType:` blocks.
2. `XponentHeader`, `WellBlock`, `ReagentBlock` and `AnalyteBlock` are small frozen
   records whose `create` checks one block (well locations, repeats, numbers).
3. `read_xponent` joins the checked blocks into one row per well x analyte and plate;
   `vendor_results` collects what xPONENT computed itself (Result, Analysis
   Types/Coefficients, R^2).

The same code reads comma-separated exports (quoted or not, Excel re-saves padded
with trailing commas, 0-3 blank lines between blocks) and the semicolon-separated,
comma-decimal exports of European Windows locales.

A file is refused only when its wells' signals cannot be placed: no signal block (or
one without wells, or cut short by the end of the file), a location that is not a well,
signal values under no analyte name. What does not stop the signals is read and
warned of: a header `Samples` count that differs from the signal block, per-well
blocks listing other wells or analytes than the signal block, a well or analyte twice
in a block, a file without its closing `-- CRC --` line after a complete signal block,
and xPONENT's own Warnings/Errors block (summarised). Wells of several plates in one
file are read as one plate per plate number.

xPONENT's Result is the concentration in the sample: its 5PL inverted on the well's
Net MFI, times the well's Dilution Factor. Its Standard and Control Expected
Concentrations are in the same terms, so the wells table stores them divided by the
well's dilution (in-well, as `wells.expected_conc` is everywhere).
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, cast

import numpy as np
import pandas as pd

from assaypipe.errors import InputError, excerpt
from assaypipe.readers.cells import (
    bad_bead_flags,
    classify_texts,
    is_whole,
    line_cells,
    listed,
    unreadable_counts,
    vendor_table,
    well_order,
    wells_columns,
    whole_numbers,
)
from assaypipe.readers.columns import ColumnTable
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import DEFAULT_RULE, RoleRule
from assaypipe.vocabulary import Role, VendorBasis

__all__ = [
    "RESULT_BASIS",
    "XPONENT",
    "AnalyteBlock",
    "RawBlock",
    "ReagentBlock",
    "WellBlock",
    "XponentFile",
    "XponentHeader",
    "compose",
    "compose_columns",
    "delimiter_of",
    "instrument_of",
    "looks_like_xponent",
    "parse_location",
    "read_xponent",
    "split_export",
    "vendor_results",
    "vendor_results_table",
]

SIGNAL_BLOCKS: Final = {"median": ("Median", "Median MFI"), "net_mfi": ("Net MFI", "Net MFI")}
# xPONENT multiplies the concentration it reads off its curve by the Dilution Factor.
RESULT_BASIS: Final = VendorBasis.SAMPLE
_NOT_ANALYTES: Final = frozenset({"total events"})
# The per-well blocks whose values are read, and what a well missing from one means.
_READ_BLOCKS: Final = {
    "count": "they are read without a bead count",
    "result": "they have no xPONENT Result",
    "dilution factor": "they are read as undiluted (dilution 1)",
}
# "1(1,A1)": acquisition order, then (plate, well); some exports write just "A1".
_LOCATION: Final = re.compile(
    r"^(?:\d+\s*\(\s*(?P<plate>\d+)\s*,\s*)?(?P<row>[A-Pa-p])\s*0?(?P<col>\d{1,2})\s*\)?$"
)
# The Warnings/Errors block's "1,A1" (plate, well).
_LOG_LOCATION: Final = re.compile(r"^(?:(?P<plate>\d+)\s*,\s*)?(?P<well>[A-Pa-p]\d{1,2})$")
_PROGRAM: Final = re.compile(r'^\s*"?Program"?\s*([,;])\s*"?xPONENT"?', re.IGNORECASE)
_DECIMAL_COMMA: Final = re.compile(r"(?<=\d),(?=\d)")
# How many wells or messages a warning names before it counts the rest.
_SHOWN: Final = 6
# A FLEXMAP 3D tells 500 bead regions apart, so a row holds at most 500 analytes and
# a few other columns; a wider one is refused before the file is split further.
MAX_ANALYTES: Final = 500
_MAX_ROW_CELLS: Final = MAX_ANALYTES + 10


class _Notes:
    """The warnings of one export: for every plate it holds, or for one plate."""

    def __init__(self) -> None:
        self._of: dict[str | None, Warnings] = {}

    def add(self, message: str, where: str | None = None, plate: str | None = None) -> None:
        self._of.setdefault(plate, Warnings()).add(message, where)

    def of(self, plate: str) -> tuple[str, ...]:
        notes = Warnings(self._of.get(None, Warnings()).as_tuple())
        notes.extend(self._of.get(plate, Warnings()))
        return notes.as_tuple()


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class RawBlock:
    """One `DataType:` block as cut from the file: cells are still text."""

    name: str
    line: int
    header: tuple[str, ...]
    header_line: int
    rows: tuple[tuple[str, ...], ...]
    row_lines: tuple[int, ...]


@dataclass(frozen=True)
class XponentFile:
    header_rows: tuple[tuple[str, ...], ...]
    blocks: tuple[RawBlock, ...]
    delimiter: str = ","
    has_crc: bool = True
    last_line: int = 0
    # rows over several lines (first and last line), and a quote never closed
    spans: tuple[tuple[int, int], ...] = ()
    unclosed: tuple[int, int] | None = None

    @property
    def decimal_comma(self) -> bool:
        return self.delimiter == ";"

    def quotes(self) -> str:
        """What the file's quotes hid from its rows ("" if nothing): the rows that run
        over several lines, and a quote the file never closes."""
        told = []
        if len(self.spans) == 1:
            ((first, last),) = self.spans
            told.append(
                f"lines {first} to {last} are read as one row: a double quote on line "
                f"{first} opens a cell that closes only on line {last}, so the lines between "
                "are text in that cell, not rows"
            )
        elif self.spans:
            places = [f"{first} to {last}" for first, last in self.spans]
            told.append(
                f"rows run over several lines (lines {listed(places, 12)}): in each a double "
                "quote opens a cell that closes only on its last line, so the lines between "
                "are text in that cell, not rows"
            )
        if self.unclosed is not None:
            first, last = self.unclosed
            told.append(
                f"a double quote on line {first} opens a cell that the file never closes: "
                f"lines {first} to {last} are not read"
            )
        return "; ".join(told)

    def block(self, name: str) -> RawBlock | None:
        """The first block of that DataType name (case-insensitive), if any."""
        wanted = name.casefold()
        return next((b for b in self.blocks if b.name.casefold() == wanted), None)


def looks_like_xponent(lines: list[str]) -> bool:
    return any(_PROGRAM.match(line) for line in lines[:50])


def instrument_of(lines: list[str]) -> str:
    """The instrument the `Program` line names (its fourth cell), or ""."""
    line = next((line for line in lines[:50] if _PROGRAM.match(line)), "")
    cells = line_cells(line, delimiter_of([line]))
    return cells[3].strip() if len(cells) > 3 else ""


def delimiter_of(lines: list[str]) -> str:
    """`;` for exports of European locales, else `,`, read from the Program line."""
    match = next((m for line in lines[:50] if (m := _PROGRAM.match(line))), None)
    return match.group(1) if match else ","


# What a row running over several lines holds after a line break when a stray quote ran
# rows into one cell: a well's location or a block's opening line (a comment written over
# several lines, which the format allows, holds neither).
_SWALLOWED = re.compile(r"\n.*(?:\d+\s*\(\s*\d+\s*,\s*[A-Pa-p]\s*\d+\s*\)|DataType:)")


def split_export(text: str, delimiter: str = ",", file: str = "") -> XponentFile:
    """Cut an xPONENT CSV into its header rows and its `DataType:` blocks.

    Blank rows (all cells empty, as Excel re-saves leave them) are dropped; rows keep
    their trailing empty cells, which the next layer ignores.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header_rows: list[tuple[str, ...]] = []
    # Each block: its name and line, then its rows and their line numbers; the first row
    # is the block's own header.
    openings: list[tuple[str, int]] = []
    contents: list[tuple[list[tuple[str, ...]], list[int]]] = []
    block_rows: list[tuple[str, ...]] | None = None
    block_lines: list[int] = []
    in_results = False
    has_crc = False
    # Rows that run over several lines (a quoted cell holding line breaks), and an
    # open quote the file never closes: (first line, last line) each.
    spans: list[tuple[int, int]] = []
    unclosed: tuple[int, int] | None = None
    previous = last_start = 0
    try:
        for raw_row in reader:
            line = reader.line_num
            if line - previous > 1:
                last_start = previous + 1
                if _SWALLOWED.search(delimiter.join(raw_row)):
                    spans.append((last_start, line))
            else:
                last_start = line
            previous = line
            first = raw_row[0].strip() if raw_row else ""
            if not first and not "".join(raw_row).strip():
                continue
            if len(raw_row) > _MAX_ROW_CELLS:
                raise InputError(
                    file,
                    f"the line has {len(raw_row):,} cells; an xPONENT export holds at most "
                    f"{MAX_ANALYTES} analytes (bead regions) and a few other columns",
                    where=f"line {line}",
                )
            if first == "DataType:":
                openings.append((raw_row[1].strip() if len(raw_row) > 1 else "", line))
                block_rows, block_lines = [], []
                contents.append((block_rows, block_lines))
                in_results = True
            elif first[:2] == "--" and first.endswith("--"):
                # "-- CRC --" and its checksum close the export; nothing after is data.
                has_crc = True
                break
            elif block_rows is not None:
                block_rows.append(tuple(raw_row))
                block_lines.append(line)
            elif first == "Results":
                in_results = True
            elif not in_results:
                header_rows.append(tuple(raw_row))
    except csv.Error:
        # Only a quote still open at the end of the file makes csv fail: the file was
        # cut (in its last line), or a stray quote opened a cell that runs over the
        # lines after it to the end.
        has_crc = False
        if reader.line_num > previous + 1:
            unclosed = (previous + 1, reader.line_num)
    if not has_crc and unclosed is None and last_start < reader.line_num:
        # The last row ran over several lines to the end of the file: when its quotes do
        # not pair up, a quote the file never closes (csv keeps such a cell open to the
        # end without an error).
        tail = "\n".join(text.split("\n")[last_start - 1 :])
        if tail.count('"') % 2:
            if spans and spans[-1][1] == reader.line_num:
                spans.pop()
            unclosed = (last_start, reader.line_num)
    blocks = tuple(
        RawBlock(
            name=name,
            line=line,
            header=rows[0] if rows else (),
            header_line=lines[0] if rows else line,
            rows=tuple(rows[1:]),
            row_lines=tuple(lines[1:]),
        )
        for (name, line), (rows, lines) in zip(openings, contents, strict=True)
    )
    return XponentFile(
        header_rows=tuple(header_rows),
        blocks=blocks,
        delimiter=delimiter,
        has_crc=has_crc,
        last_line=reader.line_num,
        spans=tuple(spans),
        unclosed=unclosed,
    )


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class XponentHeader:
    """What the header says about the run."""

    software: str
    instrument: str
    software_version: str
    serial_number: str
    batch: str
    run_time: str
    kit_lot: str
    n_samples: int | None
    samples_text: str = ""

    @classmethod
    def create(cls, rows: tuple[tuple[str, ...], ...], file: str) -> XponentHeader:
        values: dict[str, tuple[str, ...]] = {}
        for row in rows:
            values.setdefault(row[0].strip(), tuple(cell.strip() for cell in row[1:] if cell))
        program = values.get("Program", ())
        if not program or program[0] != "xPONENT":
            raise InputError(file, "the header has no `Program,xPONENT` line")

        def first(key: str) -> str:
            return next(iter(values.get(key, ())), "")

        samples = first("Samples")
        run_time = first("BatchStartTime") or " ".join(values.get("Date", ())[:2])
        return cls(
            software="xPONENT",
            instrument=program[1] if len(program) > 1 else "",
            software_version=first("Build"),
            serial_number=first("SN"),
            batch=first("Batch"),
            run_time=run_time,
            kit_lot=_kit_lot(rows),
            n_samples=int(samples) if is_whole(samples) else None,
            samples_text=samples,
        )


def _kit_lot(rows: tuple[tuple[str, ...], ...]) -> str:
    """The kit's lot number from `AssayLotInfo:`, else the standards' lot numbers."""
    starts = [i for i, row in enumerate(rows) if row[0].strip() == "AssayLotInfo:"]
    if not starts:
        return ""
    cells = [tuple(cell.strip() for cell in row) for row in rows[starts[0] :]]
    starts = [0]
    kit_lot = ""
    reagent_lots: list[str] = []
    header: tuple[str, ...] = ()
    for row in cells[starts[0] + 1 :]:
        if row[0] in ("KitName", "Reagent"):
            header = row
            continue
        if not header or row[0] == "Samples":
            break
        record = dict(zip(header, row, strict=False))
        lot = record.get("LotNumber", "")
        if header[0] == "KitName" and lot:
            kit_lot = lot
        elif lot and lot not in reagent_lots:
            reagent_lots.append(lot)
    return kit_lot or "; ".join(reagent_lots)


@dataclass(frozen=True, eq=False)
class WellBlock:
    """A per-well block (`Location,Sample,<columns>`), one row per plate and well.

    `cells` holds the text of each cell, one row per well and one column per
    analyte (or the one `Dilution Factor` column). `plates` holds each row's plate
    number (`1` where the location names none).
    """

    name: str
    analytes: tuple[str, ...]
    plates: tuple[str, ...]
    wells: tuple[str, ...]
    samples: tuple[str, ...]
    lines: tuple[int, ...]
    cells: np.ndarray

    @classmethod
    def create(
        cls, raw: RawBlock, file: str, notes: _Notes | None = None, signal: bool = True
    ) -> WellBlock:
        """Check one per-well block. The signal block (`signal`) is refused when a
        location is not a well or values stand under no analyte name; another block
        skips that row or column with a warning. A well or analyte twice keeps its
        first row or column, with a warning."""
        notes = notes if notes is not None else _Notes()
        header = [cell.strip() for cell in raw.header]
        if [cell.casefold() for cell in header[:2]] != ["location", "sample"]:  # their words
            raise InputError(
                file,
                f"the {raw.name} block should start with a `Location,Sample,...` row, "
                f"found {','.join(header[:3])!r}",
                where=f"line {raw.header_line}",
            )
        lengths = {len(row) for row in raw.rows}
        width = max([len(header), *lengths])
        if lengths == {width}:
            grid = np.array(raw.rows, dtype=object)
        else:
            grid = np.array([row + ("",) * (width - len(row)) for row in raw.rows], dtype=object)
        grid = grid.reshape(len(raw.rows), width)
        _check_unnamed(raw, header, grid, file, notes, signal)
        columns: list[int] = []
        first_of: dict[str, int] = {}
        for i in range(2, len(header)):
            name = header[i]
            if not name or name.casefold() in _NOT_ANALYTES:
                continue
            if name in first_of:
                notes.add(
                    f"analyte {name!r} has two columns in the {raw.name} block (columns "
                    f"{first_of[name] + 1} and {i + 1}); the first is read, the other is not",
                    where=f"line {raw.header_line}",
                )
                continue
            first_of[name] = i
            columns.append(i)
        if not columns:
            raise InputError(
                file, f"the {raw.name} block names no analytes", where=f"line {raw.header_line}"
            )
        located_rows = [_location(row[0]) for row in raw.rows]
        rows, lines = grid, raw.row_lines
        if None in located_rows or len(set(located_rows)) != len(located_rows):
            # Rows that are no well, or a well again: passed over (the signal block
            # refuses a row that is no well), each named.
            keep: list[int] = []
            seen: dict[tuple[str, str], int] = {}
            for index, (row, line) in enumerate(zip(raw.rows, raw.row_lines, strict=True)):
                located = located_rows[index]
                if located is None:
                    if signal:
                        parse_location(row[0], file, line)  # raises, naming the cell
                    notes.add(
                        f"expected a well location like 1(1,A1) in the {raw.name} block, "
                        f"found {excerpt(row[0].strip())}; the row is not read",
                        where=f"line {line}",
                    )
                    continue
                if located in seen:
                    plate, well = located
                    notes.add(
                        f"well {well} appears twice in the {raw.name} block (lines "
                        f"{seen[located]} and {line}); the first is read",
                        where=f"line {line}",
                        plate=plate,
                    )
                    continue
                seen[located] = line
                keep.append(index)
            located_rows = [located_rows[i] for i in keep]
            rows, lines = grid[keep], tuple(raw.row_lines[i] for i in keep)
        placed = cast(list[tuple[str, str]], located_rows)
        return cls(
            name=raw.name,
            analytes=tuple(header[i] for i in columns),
            plates=tuple(plate for plate, _ in placed),
            wells=tuple(well for _, well in placed),
            samples=tuple(sample.strip() for sample in rows[:, 1].tolist()) if width > 1 else (),
            lines=lines,
            cells=rows[:, columns],
        )

    def keys(self) -> set[tuple[str, str]]:
        return set(zip(self.plates, self.wells, strict=True))

    def of_plate(self, plate: str) -> WellBlock:
        """The rows of one plate (the block itself when it holds no other)."""
        mine = np.array([p == plate for p in self.plates], dtype=bool)
        if mine.all():
            return self
        index = np.flatnonzero(mine).tolist()
        return WellBlock(
            name=self.name,
            analytes=self.analytes,
            plates=tuple(self.plates[i] for i in index),
            wells=tuple(self.wells[i] for i in index),
            samples=tuple(self.samples[i] for i in index) if self.samples else (),
            lines=tuple(self.lines[i] for i in index),
            cells=self.cells[index],
        )

    def aligned(self, wells: tuple[str, ...], analytes: tuple[str, ...]) -> np.ndarray:
        """Cell texts in the given well and analyte order; "" where this block has none.

        The block holds one plate's rows (`of_plate`)."""
        if wells == self.wells and analytes == self.analytes:
            return self.cells
        row_of = {well: i for i, well in enumerate(self.wells)}
        column_of = {analyte: j for j, analyte in enumerate(self.analytes)}
        rows = np.array([row_of.get(well, -1) for well in wells], dtype=int)
        columns = np.array([column_of.get(analyte, -1) for analyte in analytes], dtype=int)
        out = np.full((len(wells), len(analytes)), "", dtype=object)
        has_row, has_column = rows >= 0, columns >= 0
        out[np.ix_(has_row, has_column)] = self.cells[np.ix_(rows[has_row], columns[has_column])]
        return out


def _check_unnamed(
    raw: RawBlock, header: list[str], grid: np.ndarray, file: str, notes: _Notes, signal: bool
) -> None:
    """Values in a column whose header cell is empty belong to no analyte."""
    width = grid.shape[1]
    unnamed = [i for i in range(2, width) if i >= len(header) or not header[i]]
    if not unnamed or not len(raw.rows):
        return
    # Excel re-saves pad every row with empty cells: most such columns are all blank.
    if not any(str(cell).strip() for cell in set(grid[:, unnamed].ravel().tolist())):
        return
    filled = next(
        (
            (row, column)
            for row, cells in enumerate(grid[:, unnamed].tolist())
            for column, cell in enumerate(cells)
            if str(cell).strip()
        ),
        None,
    )
    if filled is None:
        return
    row, column = filled
    message = (
        f"column {unnamed[column] + 1} of the {raw.name} block has values but no analyte "
        "name in the block's header row; the header looks damaged"
    )
    if signal:
        raise InputError(file, message, where=f"line {raw.row_lines[row]}")
    notes.add(f"{message}: the column is not read", where=f"line {raw.row_lines[row]}")


@dataclass(frozen=True, eq=False)
class ReagentBlock:
    """A per-reagent block (`Reagent,<analytes>`): expected concentrations by name.

    `values` has one row per reagent and one column per analyte; NaN where the cell
    is blank or not a number.
    """

    name: str
    analytes: tuple[str, ...]
    reagents: tuple[str, ...]
    values: np.ndarray

    @classmethod
    def create(cls, raw: RawBlock, decimal_comma: bool = False) -> ReagentBlock:
        header = [cell.strip() for cell in raw.header]
        columns = [i for i in range(1, len(header)) if header[i]]
        rows = [row for row in raw.rows if row[0].strip()]
        width = max([len(header), *(len(row) for row in rows)])
        grid = np.array([row + ("",) * (width - len(row)) for row in rows], dtype=object)
        grid = grid.reshape(len(rows), width)[:, columns]
        numbers = _numbers(grid.ravel(), decimal_comma)
        return cls(
            name=raw.name,
            analytes=tuple(header[i] for i in columns),
            reagents=tuple(row[0].strip() for row in rows),
            values=numbers.reshape(grid.shape),
        )

    def lookup(self, name: str, role: str, level: int | None, rule: RoleRule) -> int | None:
        """Row of the reagent for a well: its exact name, else the one of its role and level.

        The fallback lets a well named `Std1` find the reagent row `Standard1`.
        """
        if name in self.reagents:
            return self.reagents.index(name)
        matches = [i for i, r in enumerate(self.reagents) if rule.classify(r) == (role, level)]
        return matches[0] if len(matches) == 1 else None

    def aligned(self, row: int, analytes: tuple[str, ...]) -> np.ndarray:
        """One reagent's values in the given analyte order; NaN where it has none."""
        column_of = {analyte: j for j, analyte in reversed(list(enumerate(self.analytes)))}
        return np.array(
            [self.values[row, column_of[a]] if a in column_of else np.nan for a in analytes]
        )


@dataclass(frozen=True)
class AnalyteBlock:
    """A per-analyte block (`Analyte:,<analytes>` then one row per quantity):
    Units, Per Bead Count, Analysis Types, Analysis Coefficients, R^2."""

    name: str
    analytes: tuple[str, ...]
    rows: dict[str, tuple[str, ...]]

    @classmethod
    def create(cls, raw: RawBlock) -> AnalyteBlock:
        header = [cell.strip() for cell in raw.header]
        columns = [i for i in range(1, len(header)) if header[i]]
        rows = {
            row[0].strip(): tuple(row[i].strip() if i < len(row) else "" for i in columns)
            for row in raw.rows
            if row and row[0].strip()
        }
        return cls(name=raw.name, analytes=tuple(header[i] for i in columns), rows=rows)

    def value(self, key: str, analyte: str) -> str:
        values = self.rows.get(key)
        if values is None or analyte not in self.analytes:
            return ""
        return values[self.analytes.index(analyte)]


def parse_location(text: str, file: str = "", line: int | None = None) -> tuple[str, str]:
    """Plate number and well of an xPONENT Location cell.

    >>> parse_location('1(1,A1)')
    ('1', 'A1')
    >>> parse_location('12(1,D2)')
    ('1', 'D2')
    >>> parse_location('9(01,A2)')  # the same plate as 1
    ('1', 'A2')
    """
    location = _location(text)
    if location is None:
        raise InputError(
            file,
            f"expected a well location like 1(1,A1), found {excerpt(text)}",
            where=f"line {line}" if line is not None else None,
        )
    return location


@functools.lru_cache(maxsize=4096)
def _location(text: str) -> tuple[str, str] | None:
    # Every block of every plate repeats the same few hundred Location cells.
    match = _LOCATION.match(text.replace(" ", ""))
    column = int(match.group("col")) if match else 0
    if match is None or not 1 <= column <= 24:
        return None
    number = match.group("plate") or "1"
    if not is_whole(number):
        return None
    # The plate number is a number: "01" and "1" are the same plate.
    return str(int(number)), f"{match.group('row').upper()}{column}"


# --- layer 3: compose --------------------------------------------------------------


def read_xponent(
    text: str,
    source_file: str,
    signal: str = "median",
    rule: RoleRule = DEFAULT_RULE,
    format_name: str = "xponent",
) -> list[ParsedPlate]:
    """Wells (unvalidated), run metadata, vendor results and warnings of one xPONENT
    export's text: one `ParsedPlate` per plate number its locations name."""
    parsed = split_export(text, delimiter_of(text.splitlines()), source_file)
    quotes = parsed.quotes()
    try:
        return _read_split(parsed, quotes, source_file, signal, rule, format_name)
    except InputError as error:
        # A refusal of a file whose quotes ran lines together says so: that is most
        # likely what it found damaged.
        if not quotes or "double quote" in error.message:
            raise
        raise InputError(
            error.file, f"{error.message}; {quotes}: the file looks damaged", error.where
        ) from None


def _read_split(
    parsed: XponentFile,
    quotes: str,
    source_file: str,
    signal: str,
    rule: RoleRule,
    format_name: str,
) -> list[ParsedPlate]:
    """`read_xponent` of the split file; ``quotes`` is what its quotes hid
    (`XponentFile.quotes`)."""
    header = XponentHeader.create(parsed.header_rows, source_file)
    notes = _Notes()
    block_name, signal_kind = SIGNAL_BLOCKS[signal]
    raw_signal = parsed.block(block_name)
    if raw_signal is None:
        present = ", ".join(b.name for b in parsed.blocks) or "none"
        cut = (
            ""
            if parsed.has_crc or parsed.unclosed is not None
            else f"; the file ends at line {parsed.last_line} without xPONENT's closing "
            "`-- CRC --` line, so it looks cut short: export it again"
        )
        raise InputError(
            source_file, f"no {block_name} block was found (blocks present: {present}){cut}"
        )
    if quotes:
        notes.add(f"{quotes}; the file looks damaged")
    _check_end(parsed, raw_signal, source_file, notes)
    main = WellBlock.create(raw_signal, source_file, notes)
    if not main.wells:
        raise InputError(
            source_file, f"the {block_name} block has no wells", where=f"line {raw_signal.line}"
        )
    others = _other_blocks(parsed, raw_signal, main, source_file, notes)
    _check_samples(header, main, notes)
    _summarise_log(parsed, notes)
    units = _units(parsed, main.analytes)
    reagents = _reagents(parsed)
    meta = {
        "format": format_name,
        "instrument": header.instrument,
        "software": header.software,
        "software_version": header.software_version,
        "serial_number": header.serial_number,
        "batch": header.batch,
        "run_time": header.run_time,
        "kit_lot": header.kit_lot,
        "unit": "; ".join(dict.fromkeys(unit for unit in units.values() if unit)),
    }
    plates = list(dict.fromkeys(main.plates))
    read: list[ParsedPlate] = []
    for plate in plates:
        own = main.of_plate(plate)
        blocks = {name: block.of_plate(plate) for name, block in others.items()}
        wells = compose_columns(
            own, blocks, reagents, units, signal_kind, parsed.decimal_comma, rule, notes
        )
        read.append(
            ParsedPlate(
                wells=wells,
                meta=dict(meta),
                vendor=vendor_results_table(parsed, own, blocks.get("result"), units),
                name=f"plate {plate}" if len(plates) > 1 else "",
                warnings=notes.of(plate),
            )
        )
    return read


def compose(
    main: WellBlock,
    blocks: dict[str, WellBlock],
    reagents: dict[str, ReagentBlock],
    units: dict[str, str],
    signal_kind: str,
    decimal_comma: bool = False,
    rule: RoleRule = DEFAULT_RULE,
    notes: _Notes | None = None,
) -> pd.DataFrame:
    """One row per well x analyte of one plate, from its signal block and the Count,
    Dilution Factor and expected-concentration blocks."""
    return compose_columns(
        main, blocks, reagents, units, signal_kind, decimal_comma, rule, notes
    ).frame()


def compose_columns(
    main: WellBlock,
    blocks: dict[str, WellBlock],
    reagents: dict[str, ReagentBlock],
    units: dict[str, str],
    signal_kind: str,
    decimal_comma: bool = False,
    rule: RoleRule = DEFAULT_RULE,
    notes: _Notes | None = None,
) -> ColumnTable:
    """`compose` as columns, as `read_xponent` hands them over."""
    notes = notes if notes is not None else _Notes()
    n_wells, n_analytes = len(main.wells), len(main.analytes)
    raw_text = main.cells.ravel()
    tokens, values = classify_texts(raw_text.tolist(), decimal_comma=decimal_comma)

    roles = [rule.classify(sample) for sample in main.samples]
    role = np.array([r for r, _ in roles], dtype=object)
    level = whole_numbers(np.array([np.nan if lv is None else lv for _, lv in roles], dtype=float))
    sample_name = np.array(main.samples, dtype=object)
    sample_id = sample_name.copy()
    sample_id[~np.isin(role, [Role.SAMPLE, Role.CONTROL])] = None
    dilution = _dilution(blocks.get("dilution factor"), main, decimal_comma, notes)
    # xPONENT's expected concentrations are in the terms of its Result (x dilution).
    expected = _expected(reagents, main, roles, rule) / dilution[:, None]
    unit = np.array([units.get(analyte, "") for analyte in main.analytes], dtype=object)
    bead_count, unreadable = _bead_counts(blocks.get("count"), main, decimal_comma, tokens)

    return wells_columns(
        n_wells * n_analytes,
        well=np.repeat(np.array(main.wells, dtype=object), n_analytes),
        analyte=np.tile(np.array(main.analytes, dtype=object), n_wells),
        role=np.repeat(role, n_analytes),
        sample_name=np.repeat(sample_name, n_analytes),
        sample_id=np.repeat(sample_id, n_analytes),
        level=level.repeat(n_analytes),
        expected_conc=expected.ravel(),
        unit=np.tile(unit, n_wells),
        dilution=np.repeat(dilution, n_analytes),
        signal=values,
        signal_kind=signal_kind,
        bead_count=bead_count,
        raw_text=raw_text,
        token=tokens,
        flags=bad_bead_flags([""] * len(unreadable), unreadable),
    )


def vendor_results(
    parsed: XponentFile,
    main: WellBlock,
    result: WellBlock | None = None,
    units: dict[str, str] | None = None,
) -> pd.DataFrame:
    """xPONENT's own results (`vendor_results_table`) as a frame."""
    return vendor_results_table(parsed, main, result, units).frame()


def vendor_results_table(
    parsed: XponentFile,
    main: WellBlock,
    result: WellBlock | None = None,
    units: dict[str, str] | None = None,
) -> ColumnTable:
    """xPONENT's own results: Result per well, and per analyte the fitted model.

    Result is a concentration in the sample (`RESULT_BASIS`: the curve's value times
    the well's Dilution Factor), in the analyte's unit from the Units block.
    xPONENT's Logistic 5P is y = A + (B - A) / (1 + (x / C)^D)^F on Net MFI, which is
    the curve model of DESIGN.md with d = A, a = B, c = C, b = D, g = F (D is
    negative, so a is the response at infinite dose). Other models keep their
    coefficients as `param_<letter>`.
    """
    rows: list[tuple[str, str | None, str, str]] = []
    blocks = {
        name: AnalyteBlock.create(raw)
        for name in ("Analysis Types", "Analysis Coefficients", "R^2")
        if (raw := parsed.block(name)) is not None
    }
    types, coefficients, r_squared = (
        blocks.get(name) for name in ("Analysis Types", "Analysis Coefficients", "R^2")
    )
    for analyte in main.analytes:
        model = types.value("AnalysisType", analyte) if types else ""
        if model and model.casefold() != "none":
            rows.append((analyte, None, "model", model))
        if coefficients is not None:
            letters = {
                key.removeprefix("Coefficient").strip(): coefficients.value(key, analyte)
                for key in coefficients.rows
                if key.startswith("Coefficient")
            }
            letters = {letter: text for letter, text in letters.items() if text}
            if model.casefold().replace(" ", "") == "logistic5p" and set("ABCDF") <= set(letters):
                for name, letter in (("a", "B"), ("b", "D"), ("c", "C"), ("d", "A"), ("g", "F")):
                    rows.append((analyte, None, name, letters[letter]))
            else:
                rows.extend((analyte, None, f"param_{k}", text) for k, text in letters.items())
        if r_squared is not None and (text := r_squared.value("Value", analyte)):
            rows.append((analyte, None, "r_squared", text))
    if result is None:
        columns = [np.array([row[i] for row in rows], dtype=object) for i in range(4)]
        return vendor_table(
            columns[0], columns[1], columns[2], columns[3], decimal_comma=parsed.decimal_comma
        )
    # The per-well Results, then the per-analyte rows, as one table.
    cells = result.aligned(main.wells, main.analytes)
    n_wells, n_analytes = cells.shape
    n_rows = len(rows)
    unit = [(units or {}).get(analyte) or None for analyte in main.analytes]
    table = vendor_table(
        _joined(np.tile(np.array(main.analytes, dtype=object), n_wells), [r[0] for r in rows]),
        _joined(np.repeat(np.array(main.wells, dtype=object), n_analytes), [r[1] for r in rows]),
        _joined(np.full(cells.size, "concentration", dtype=object), [r[2] for r in rows]),
        _joined(cells.ravel(), [r[3] for r in rows]),
        decimal_comma=parsed.decimal_comma,
    )
    table.columns["unit"] = _joined(np.tile(np.array(unit, dtype=object), n_wells), [None] * n_rows)
    table.columns["basis"] = _joined(
        np.full(cells.size, RESULT_BASIS, dtype=object), [None] * n_rows
    )
    return table


def _joined(first: np.ndarray, then: list[str | None]) -> np.ndarray:
    """An object column: ``first``'s values, then ``then``'s."""
    out = np.empty(len(first) + len(then), dtype=object)
    out[: len(first)] = first
    out[len(first) :] = then
    return out


def _check_end(parsed: XponentFile, raw_signal: RawBlock, source_file: str, notes: _Notes) -> None:
    """Without `-- CRC --` the file was cut: refused when the cut may run through the
    signal block, warned of when a later block shows the signal block ended."""
    if parsed.has_crc or (parsed.unclosed is not None and parsed.blocks[-1] is not raw_signal):
        # A quote never closed is named with the file's other warnings.
        return
    last = parsed.blocks[-1]
    if parsed.unclosed is not None:
        first, end = parsed.unclosed
        raise InputError(
            source_file,
            f"a double quote on line {first} opens a cell that the file never closes, "
            f"in the {raw_signal.name} block: lines {first} to {end} are not read, and the "
            "block may be incomplete; the file looks damaged",
        )
    if last is raw_signal:
        raise InputError(
            source_file,
            f"the file ends at line {parsed.last_line}, in the {raw_signal.name} block and "
            "without xPONENT's closing `-- CRC --` line, so it is incomplete; wait until "
            "it is fully copied, or export it again",
        )
    notes.add(
        f"the file ends at line {parsed.last_line}, in or after the {last.name} block, "
        f"without xPONENT's closing `-- CRC --` line: blocks may be missing (the "
        f"{raw_signal.name} block is complete and read); export it again if in doubt"
    )


def _other_blocks(
    parsed: XponentFile, raw_signal: RawBlock, main: WellBlock, source_file: str, notes: _Notes
) -> dict[str, WellBlock]:
    """Every other per-well block compared with the signal block (a well or analyte it
    lacks or adds is a warning); the blocks whose values are read, by lower-case name."""
    read: dict[str, WellBlock] = {}
    first_line: dict[str, int] = {}
    keys = main.keys()
    locations = tuple(row[0].strip() for row in raw_signal.rows)
    for raw in parsed.blocks:
        name = raw.name.casefold()
        if name in first_line:
            notes.add(
                f"the {raw.name} block appears again (first at line {first_line[name]}); "
                "only the first is read",
                where=f"line {raw.line}",
            )
            continue
        first_line[name] = raw.line
        if raw is raw_signal or name.startswith("avg"):
            continue
        # their words
        if [cell.strip().casefold() for cell in raw.header[:2]] != ["location", "sample"]:
            if name in _READ_BLOCKS:
                notes.add(
                    f"the {raw.name} block should start with a `Location,Sample,...` row; "
                    f"it is not read: {_READ_BLOCKS[name].replace('they are', 'the wells are')}",
                    where=f"line {raw.header_line}",
                )
            continue
        _compare_analytes(raw, main, notes)
        same_wells = tuple(row[0].strip() for row in raw.rows) == locations
        if same_wells and name not in _READ_BLOCKS:
            continue
        try:
            block = WellBlock.create(raw, source_file, notes, signal=False)
        except InputError as error:
            notes.add(f"{error.message}; the block is not read", where=error.where)
            continue
        if not same_wells:
            _compare_wells(raw, block, main.name, keys, notes)
        if name in _READ_BLOCKS:
            read[name] = block
    return read


def _compare_analytes(raw: RawBlock, main: WellBlock, notes: _Notes) -> None:
    names = [cell.strip() for cell in raw.header[2:] if cell.strip()]
    if [name.casefold() for name in names] == ["dilution factor"]:
        return
    analytes = [name for name in names if name.casefold() not in _NOT_ANALYTES]
    missing = [analyte for analyte in main.analytes if analyte not in analytes]
    extra = [analyte for analyte in dict.fromkeys(analytes) if analyte not in main.analytes]
    consequence = _READ_BLOCKS.get(raw.name.casefold(), "the header looks damaged")
    if missing:
        notes.add(
            f"the {raw.name} block has no column for {_listed(missing, 'analyte')}, which "
            f"the {main.name} block has; {consequence}",
            where=f"line {raw.header_line}",
        )
    if extra:
        notes.add(
            f"the {raw.name} block has a column for {_listed(extra, 'analyte')}, which the "
            f"{main.name} block lacks; {'it is' if len(extra) == 1 else 'they are'} not read",
            where=f"line {raw.header_line}",
        )


def _compare_wells(
    raw: RawBlock, block: WellBlock, main_name: str, keys: set[tuple[str, str]], notes: _Notes
) -> None:
    got = block.keys()
    several = len({plate for plate, _ in keys | got}) > 1
    # % Recovery lists the standards only; every other per-well block lists all wells.
    missing = set() if "recovery" in raw.name.casefold() else keys - got
    extra = got - keys
    if missing:
        consequence = _READ_BLOCKS.get(raw.name.casefold(), "the file looks truncated or edited")
        notes.add(
            f"the {raw.name} block has no row for {_wells(missing, several)}, which the "
            f"{main_name} block has; {consequence}",
            where=f"line {raw.line}",
        )
    if extra:
        notes.add(
            f"the {raw.name} block has a row for {_wells(extra, several)}, which the "
            f"{main_name} block lacks; {'this well is' if len(extra) == 1 else 'these wells are'}"
            f" not read (no {main_name} value)",
            where=f"line {raw.line}",
        )


def _check_samples(header: XponentHeader, main: WellBlock, notes: _Notes) -> None:
    if header.samples_text and header.n_samples is None:
        notes.add(
            f"the header's Samples line gives {excerpt(header.samples_text)}, not a count; it "
            "is ignored"
        )
        return
    distinct = len(set(main.samples))
    # xPONENT counts distinct sample names (91 for drLumi's 96 wells); some writers
    # count wells.
    if header.n_samples is None or header.n_samples in (distinct, len(main.wells)):
        return
    notes.add(
        f"the header's Samples line says {header.n_samples} but the {main.name} block names "
        f"{distinct} different samples in {len(main.wells)} wells; the export holds part "
        "of the run or was edited: check that every well you expect is there"
    )


def _summarise_log(parsed: XponentFile, notes: _Notes) -> None:
    """xPONENT's Warnings/Errors block, as the lab saw it in xPONENT: one warning per
    plate with the count of messages and the commonest ones."""
    raw = parsed.block("Warnings/Errors")
    if raw is None or not raw.rows:
        return
    header = [cell.strip().casefold() for cell in raw.header]
    columns = [
        header.index(name) if name in header else default
        for name, default in (("location", 0), ("status", 1), ("message", 2))
    ]
    by_plate: dict[str | None, list[tuple[str, str, str]]] = {}
    for row in raw.rows:
        location, status, message = (
            " ".join(row[i].split()) if i < len(row) else "" for i in columns
        )
        if not (status or message):
            continue
        match = _LOG_LOCATION.match(location.replace(" ", ""))
        plate = (match.group("plate") or "1") if match else None
        well = _location(match.group("well")) if match else None
        by_plate.setdefault(plate, []).append((well[1] if well else location, status, message))
    for plate, entries in by_plate.items():
        notes.add(_log_summary(entries), where=f"line {raw.line}", plate=plate)


def _log_summary(entries: list[tuple[str, str, str]]) -> str:
    statuses: dict[str, int] = {}
    for _, status, _ in entries:
        word = status.casefold() or "message"
        statuses[word] = statuses.get(word, 0) + 1
    counted = " and ".join(f"{n} {word}{'s' if n > 1 else ''}" for word, n in statuses.items())
    by_message: dict[str, list[str]] = {}
    for well, _, message in entries:
        by_message.setdefault(message, []).append(well)
    common = sorted(by_message.items(), key=lambda item: -len(item[1]))
    shown = [f"{message!r}{_at(wells)}" for message, wells in common[:3]]
    others = f"; and {len(common) - 3} other messages" if len(common) > 3 else ""
    wells = {well for well, _, _ in entries if well}
    on = f" on {len(wells)} well{'s' if len(wells) != 1 else ''}" if wells else ""
    return f"xPONENT's Warnings/Errors block holds {counted}{on}: " + "; ".join(shown) + others


def _at(wells: list[str]) -> str:
    """Where a message was logged: ` at well B9`, ` at 64 wells`, or nothing."""
    named = list(dict.fromkeys(well for well in wells if well))
    if not named:
        return ""
    return f" at {_listed(named, 'well')}" if len(named) <= 3 else f" at {len(named)} wells"


def _listed(names: Iterable[str], noun: str) -> str:
    """`analyte 'IL6'`, `analytes 'IL6', 'IL8' and 3 more`."""
    items = list(names)
    shown = ", ".join(repr(item) if noun == "analyte" else item for item in items[:_SHOWN])
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return f"{noun}{'s' if len(items) > 1 else ''} {shown}{more}"


def _wells(keys: set[tuple[str, str]], several: bool) -> str:
    ordered = sorted(keys, key=lambda key: (int(key[0]), *well_order(key[1])))
    return _listed([f"plate {p} {w}" if several else w for p, w in ordered], "well")


def _units(parsed: XponentFile, analytes: tuple[str, ...]) -> dict[str, str]:
    """Each analyte's unit from the Units block ("" where it gives none)."""
    raw = parsed.block("Units")
    if raw is None:
        return {}
    units = AnalyteBlock.create(raw)
    return {analyte: units.value("Units:", analyte) for analyte in analytes}


def _reagents(parsed: XponentFile) -> dict[str, ReagentBlock]:
    blocks = {
        Role.STANDARD: parsed.block("Standard Expected Concentration"),
        Role.CONTROL: parsed.block("Control Expected Concentration"),
    }
    return {
        role: ReagentBlock.create(raw, parsed.decimal_comma)
        for role, raw in blocks.items()
        if raw is not None
    }


def _bead_counts(
    block: WellBlock | None,
    main: WellBlock,
    decimal_comma: bool,
    signal_tokens: np.ndarray | None = None,
) -> tuple[pd.arrays.IntegerArray, np.ndarray]:
    """The counts, and which cells of the Count block hold text that is no count (`abc`)
    or nothing where the signal block has a number (a well measured without its count:
    how many beads gave the median is not known, so it cannot be trusted in a fit).
    `signal_tokens` are the signal cells' tokens, when the caller has them."""
    if block is None:
        return pd.array([pd.NA] * main.cells.size, dtype="Int64"), np.zeros(main.cells.size, bool)
    counts = block.aligned(main.wells, main.analytes)
    number = _numbers(counts.ravel(), decimal_comma)
    # A count is whole; anything else (NaN, a fraction) is not a usable count.
    whole = np.isfinite(number) & (number == np.round(number)) & (np.abs(number) < 2**53)
    usable = np.where(whole, number, np.nan)
    # Blank cells of rows and columns the block has (a well or analyte it lacks is warned
    # of as a whole: `_block_mismatch`).
    has_well, has_analyte = set(block.wells), set(block.analytes)
    written = np.outer(
        np.array([well in has_well for well in main.wells], dtype=bool),
        np.array([analyte in has_analyte for analyte in main.analytes], dtype=bool),
    )
    blank = written.ravel() & np.array([str(t).strip() == "" for t in counts.ravel().tolist()])
    if signal_tokens is None:
        texts = [str(text) for text in main.cells.ravel().tolist()]
        signal_tokens, _ = classify_texts(texts, decimal_comma)
    measured = signal_tokens == "numeric"
    unread = unreadable_counts(counts.ravel().tolist(), usable) | (blank & measured)
    return whole_numbers(usable), unread


def _dilution(
    block: WellBlock | None, main: WellBlock, decimal_comma: bool, notes: _Notes
) -> np.ndarray:
    if block is None:
        return np.ones(len(main.wells))
    text = np.array(
        [str(cell).strip() for cell in block.aligned(main.wells, block.analytes[:1])[:, 0]]
    )
    number = _numbers(text, decimal_comma)
    blank = text == ""
    bad = ~blank & ~(np.isfinite(number) & (number > 0))
    if bad.any():
        index = np.flatnonzero(bad).tolist()
        named = listed([f"{main.wells[i]} {str(text[i])!r}" for i in index], _SHOWN)
        notes.add(
            f"the Dilution Factor block gives {named}: not a number above 0; "
            f"{'that well is' if len(index) == 1 else 'those wells are'} read as undiluted "
            "(1): give the dilution in a plate map",
            where=f"line {block.lines[block.wells.index(main.wells[index[0]])]}",
            plate=main.plates[0],
        )
    # xPONENT leaves the factor blank for undiluted wells (standards, blanks).
    return np.where(blank | bad, 1.0, number)


def _numbers(cells: np.ndarray, decimal_comma: bool = False) -> np.ndarray:
    text = [str(cell).strip() for cell in cells.tolist()]
    if decimal_comma:
        text = [_DECIMAL_COMMA.sub(".", cell) if "," in cell else cell for cell in text]
    number = np.asarray(pd.to_numeric(np.array(text, dtype=object), errors="coerce"), dtype=float)
    return np.where(np.isfinite(number), number, np.nan)


def _expected(
    reagents: dict[str, ReagentBlock],
    main: WellBlock,
    roles: list[tuple[str, int | None]],
    rule: RoleRule,
) -> np.ndarray:
    expected = np.full((len(main.wells), len(main.analytes)), np.nan)
    for i, (sample, (role, level)) in enumerate(zip(main.samples, roles, strict=True)):
        table = reagents.get(role)
        row = table.lookup(sample, role, level, rule) if table is not None else None
        if table is not None and row is not None:
            expected[i] = table.aligned(row, main.analytes)
    return expected


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_xponent(source.text, source.file, options.signal, options.rule)


def _recognise(source: Source) -> bool:
    # INTELLIFLEX writes the same export; its own format (readers.intelliflex) reads it.
    return looks_like_xponent(source.lines) and (
        "intelliflex" not in instrument_of(source.lines).casefold()
    )


XPONENT: Final = Format(
    name="xponent",
    described="an xPONENT CSV",
    software="Luminex xPONENT",
    export="CSV, comma or semicolon/decimal comma (European locales), quoted or Excel re-saved",
    versions="3.1 (LX100/200), 4.3 (FLEXMAP 3D)",
    plate_map="optional",
    recognised_by="a `Program,xPONENT` line (or `Program;xPONENT`)",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
