"""BMG LABTECH MARS CSV exports into wells (docs/formats.md, "BMG LABTECH MARS").

MARS (the data analysis software of the PHERAstar, CLARIOstar, Omega, SPECTROstar and
other BMG readers) exports a test run as comma-, semicolon- or tab-separated text:

- header fields, several to a line or one per line: `User: USER`, `Path: C:\\...\\BMG\\
  PHERAstar\\User\\Data`, `Test run no.: 4` (or `Test ID`), `Test name: ...`, `Date:`,
  `Time:`, `ID1:`, `ID2:`, `ID3:` (the plate's IDs);
- the read mode on a line of its own: `Absorbance`, `Fluorescence (FI)`, `Luminescence`,
  `Fluorescence (FI), multichromatic`, `Absorbance spectrum`, ...;
- the data, in one of two views. The plate view writes one grid per data set, titled:
  `Raw Data (580/620)`, `Raw Data (450 1)`, `1. Raw Data (402-8/474-9)`, `Blank corrected
  based on Raw Data (450)`, `2. Layout`; then a line of column numbers and a line per
  plate row. The table view writes a line `Well,Content,<title>,<title>...` (or `Well
  Row,Well Col,Content,...`) and one line per well: `A01,Standard S1,0.812,...`.

Three layers, as for Gen5:

1. `split_export` cuts the text into runs (each starts at a `User` field), and each run
   into header fields, the mode line and the titled grids or the table.
2. `RunHeader`, `Grid`, `TableView` and `DataSet` are frozen records whose `create`
   checks one block each.
3. `compose` picks the read (`ReadOptions.read`, else the first `Raw Data` read), places
   each value in its well, gives the wells the roles of the layout (`Content`) and
   keeps what MARS calculated as vendor results.

A data set's title tells what it is: `Raw Data (...)` is a measured read; `Layout` or
`Content` the wells' contents (`Standard S1`, `Blank B`, `Sample X1`, `S1`, `B`, `X1`);
`Concentration(s)` (standards' concentrations) and `Dilution` the layout's numbers;
anything else (`Blank corrected based on Raw Data (450)`, `Average over replicates based
on ...`, `Ratio ...`) a value MARS calculated, kept under its title as a vendor result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

import numpy as np

from assaypipe import units
from assaypipe.errors import InputError, excerpt
from assaypipe.readers.cells import (
    ROW_LETTERS,
    classify_texts,
    is_whole,
    line_cells,
    listed,
    stray_quotes,
    vendor_rows,
    wells_columns,
    whole_numbers,
)
from assaypipe.readers.columns import ColumnTable
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import RoleRule, level_number
from assaypipe.vocabulary import Role

__all__ = [
    "MARS",
    "DataSet",
    "Grid",
    "RawRun",
    "RunHeader",
    "TableView",
    "compose",
    "looks_like_mars",
    "read_mars",
    "split_export",
]

Kind = Literal["measurement", "calculated", "content", "concentration", "dilution"]
Line = tuple[tuple[str, ...], int]

# A header field: `User: USER`, `Test run no.: 4`, `ID2:`; `User = USER` is read too. The
# key and the space after it are taken whole (possessive): a lazy key backtracked over a
# long run of spaces with no separator, quadratic in its length (64,000 spaces: 23 s).
_FIELD: Final = re.compile(
    r"^\s*+(?P<key>[A-Za-z][A-Za-z0-9 .#]*+)\s*+(?P<sep>:|=)\s*(?P<value>.*)$"
)
_RUN_START: Final = re.compile(r"^\s*User\s*[:=]", re.IGNORECASE)
_TEST_KEYS: Final = ("test name", "test id", "test run no.")
_NUMBERED: Final = re.compile(r"^\d+\.\s*")
_SPEC: Final = re.compile(r"\((?P<inside>[^()]*)\)\s*(?P<after>.*)$")
# The spec is the shortest text ending in a non-space (runs of space taken whole: a lazy
# `.*?` before `\s+` was quadratic in a long run of spaces).
_TRAILING_NUMBER: Final = re.compile(r"^(?P<spec>(?:[^\S\n]*+\S)*?)\s+(?P<number>\d{1,2})$")
_WAVELENGTH: Final = re.compile(r"\d{3,4}")
_UNIT: Final = re.compile(
    r"(?<![A-Za-z])((?:[pnµμumk]?g|[pnµμum]?mol|I?U)/(?:[mµμu]?L|dL|ml)|[pnµμum]M)(?![A-Za-z])",
    re.IGNORECASE,
)
_DECIMAL_COMMA: Final = re.compile(r"\s*[+-]?\d+,\d+\s*")
_CYCLE: Final = re.compile(r"^Cycle\s+\d+\b", re.IGNORECASE)
_SCAN: Final = re.compile(r"spectrum", re.IGNORECASE)
_INSTRUMENT: Final = re.compile(r"\\BMG\\([^\\]+)\\", re.IGNORECASE)
# Content as MARS writes it: `Sample X1`, `Standard S3`, `Blank B`, `Control C2`,
# `Positive control P`, or the code alone (`X1`, `S3`, `B`).
_CONTENT: Final = re.compile(
    r"^(?:(?P<word>sample|standard|blank|(?:positive |negative )?control|reference)\s+)?"
    r"(?P<code>[XSBCNPR])(?P<number>\d*)$",
    re.IGNORECASE,
)
_CODE_ROLES: Final = {
    "X": Role.SAMPLE,
    "S": Role.STANDARD,
    "B": Role.BLANK,
    "C": Role.CONTROL,
    "N": Role.CONTROL,
    "P": Role.CONTROL,
    "R": Role.CONTROL,
}
_EMPTY_CONTENT: Final = frozenset({"", "empty", "-"})
_MOST_LISTED: Final = 12
# A grid line's row label: A to P; beyond them a 1536-well plate's (Q to Z, then a to f
# as MARS writes AA to AF).
_ROW_LABEL: Final = re.compile(r"[A-Za-z]{1,2}")


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    key: str
    value: str
    separator: str
    line: int


@dataclass(frozen=True)
class Grid:
    """A titled grid of the plate view: its column numbers and one line per plate row."""

    title: str
    title_line: int
    columns: tuple[int, ...]
    rows: tuple[tuple[str, tuple[str, ...], int], ...]
    line: int

    @classmethod
    def create(cls, title: str, title_line: int, lines: list[Line], file: str) -> Grid:
        (header, header_line), body = lines[0], lines[1:]
        cells = _trim(header)[1:]
        too_long = [cell for cell in cells if not is_whole(cell)]
        if too_long:
            raise InputError(
                file,
                f"expected the {_named(title)} grid's column numbers 1 to 24 (or to 48 on a "
                f"1536-well plate), found {excerpt(too_long[0])}; the line looks damaged",
                where=f"line {header_line}",
            )
        columns = tuple(int(cell) for cell in cells)
        off_plate = [column for column in columns if not 1 <= column <= 48]
        if off_plate:
            raise InputError(
                file,
                f"expected the {_named(title)} grid's column numbers 1 to 24 (or to 48 on a "
                f"1536-well plate), found {off_plate[0]}; the line looks damaged",
                where=f"line {header_line}",
            )
        if len(set(columns)) != len(columns):
            raise InputError(
                file,
                f"the {_named(title)} grid names a column twice; each column should appear once",
                where=f"line {header_line}",
            )
        rows: list[tuple[str, tuple[str, ...], int]] = []
        seen: dict[str, int] = {}
        for values, number in body:
            letter = values[0].strip()
            if not _ROW_LABEL.fullmatch(letter):
                raise InputError(
                    file,
                    f"expected a plate row letter (A to P, or to AF on a 1536-well plate) at "
                    f"the start of a line of the {_named(title)} grid, found "
                    f"{excerpt(letter)}; the line looks damaged",
                    where=f"line {number}",
                )
            if letter in seen:
                raise InputError(
                    file,
                    f"row {letter} appears twice in the {_named(title)} grid (lines "
                    f"{seen[letter]} and {number}); each row should appear once",
                    where=f"line {number}",
                )
            seen[letter] = number
            cells_of_row = tuple([cell.strip() for cell in values[1:]])
            if len(cells_of_row) > len(columns) and any(cells_of_row[len(columns) :]):
                raise InputError(
                    file,
                    f"row {letter} of the {_named(title)} grid has "
                    f"{len(_trim(cells_of_row))} cells for {len(columns)} columns; the line "
                    "looks damaged",
                    where=f"line {number}",
                )
            padded = (cells_of_row + ("",) * len(columns))[: len(columns)]
            rows.append((letter, padded, number))
        return cls(title, title_line, columns, tuple(rows), header_line)

    def is_wide(self) -> bool:
        """Whether the grid is of a plate larger than 384 wells (1536: 32 x 48)."""
        beyond = [
            letter for letter, _, _ in self.rows if len(letter) != 1 or letter not in ROW_LETTERS
        ]
        return bool(beyond) or max(self.columns, default=0) > 24

    def wells(self) -> tuple[np.ndarray, np.ndarray]:
        wells = [f"{letter}{column}" for letter, _, _ in self.rows for column in self.columns]
        texts = [cell for _, cells, _ in self.rows for cell in cells]
        return np.array(wells, dtype=object), np.array(texts, dtype=object)


@dataclass(frozen=True)
class TableView:
    """The table view: per value column its title (and axis label, for a kinetic or
    spectral read), and per well its name, content and cells."""

    titles: tuple[str, ...]
    axis_name: str
    axis: tuple[str, ...]
    rows: tuple[tuple[str, str, tuple[str, ...], int], ...]
    line: int

    @classmethod
    def create(cls, lines: list[Line], file: str) -> TableView:
        (header, header_line), body = lines[0], lines[1:]
        names = [cell.strip().casefold() for cell in header]
        split_well = len(names) > 1 and names[0] == "well row" and names[1] == "well col"
        first = 2 if split_well else 1
        content = first if len(names) > first and names[first] == "content" else None
        start = first + (content is not None)
        titles = tuple(" ".join(cell.split()) for cell in _trim(header)[start:])
        axis_name = ""
        axis: tuple[str, ...] = ()
        if body:
            cells, _ = body[0]
            label = cells[content].strip() if content is not None and len(cells) > content else ""
            if not any(cell.strip() for cell in cells[:first]) and label:
                axis_name = label
                axis = tuple(cell.strip() for cell in cells[start : start + len(titles)])
                body = body[1:]
        rows = []
        for cells, number in body:
            padded = tuple(cells) + ("",) * (start + len(titles))
            well = f"{padded[0].strip()}{padded[1].strip()}" if split_well else padded[0].strip()
            text = padded[content].strip() if content is not None else ""
            values = tuple(cell.strip() for cell in padded[start : start + len(titles)])
            if len(cells) > start + len(titles) and any(
                c.strip() for c in cells[start + len(titles) :]
            ):
                raise InputError(
                    file,
                    f"well {well} has more cells than the table has titled columns "
                    f"({len(titles)}); the line looks damaged",
                    where=f"line {number}",
                )
            rows.append((well, text, values, number))
        return cls(titles, axis_name, axis, tuple(rows), header_line)


@dataclass(frozen=True)
class RawRun:
    """One test run of an export: header fields, mode line, and its grids or table."""

    fields: tuple[Field, ...]
    mode: str
    mode_line: int
    grids: tuple[Grid, ...]
    table: TableView | None
    cycles: tuple[int, ...]
    first_line: int
    delimiter: str = ","
    # What the split read past that the lab should know (lines that look like a grid's
    # rows outside any grid).
    notes: tuple[str, ...] = ()


def looks_like_mars(lines: Sequence[str]) -> bool:
    """A MARS export: it starts with a `User` field and names its test in the first
    lines (`Test name`, `Test ID` or `Test run no.`)."""
    head = [line for line in lines[:30] if line.strip(" ,;\t")]
    if not head or not _RUN_START.match(head[0].lstrip("\ufeff")):
        return False
    text = " ".join(head[:10]).casefold()
    return any(key in text for key in _TEST_KEYS)


def split_export(text: str, file: str) -> list[RawRun]:
    """Cut the export into test runs (each starts at a `User` field) and each into its
    header, mode line and data blocks."""
    lines, delimiter = _split_lines(text)
    starts = [i for i, (cells, _) in enumerate(lines) if cells and _RUN_START.match(cells[0])] or [
        0
    ]
    bounds = [*starts[1:], len(lines)]
    return [
        replace(_split_run(lines[a:b], file), delimiter=delimiter)
        for a, b in zip(starts, bounds, strict=True)
    ]


def _split_lines(text: str) -> tuple[list[Line], str]:
    """Each line's cells, split by the export's delimiter, with its line number."""
    raw = text.lstrip("\ufeff").splitlines()
    # Header fields may stand one to a line: the delimiter is the commonest of the head.
    head = "\n".join(raw[:40])
    delimiter = max((";", "\t", ","), key=lambda d: (head.count(d), d == ","))
    # Each line is one row: a stray quote (a damaged line) leaves the lines after it alone
    # where a reader over the whole text would run them into one cell.
    return [(line_cells(line, delimiter), n) for n, line in enumerate(raw, start=1)], delimiter


def _split_run(lines: list[Line], file: str) -> RawRun:
    fields: list[Field] = []
    index = 0
    while index < len(lines):
        cells, number = lines[index]
        filled = [cell for cell in cells if cell.strip()]
        if filled and not all(_FIELD.match(cell) for cell in filled):
            break
        for cell in filled:
            found = _FIELD.match(cell)
            if found is not None:
                key = " ".join(found.group("key").split())
                fields.append(Field(key, found.group("value").strip(), found.group("sep"), number))
        index += 1
    mode, mode_line = "", 0
    # A table's row moved above its header (a line swapped) is no mode line.
    strays: list[int] = []
    while index < len(lines):
        cells, number = lines[index]
        filled = [cell.strip() for cell in cells if cell.strip()]
        if filled and _is_table_row(filled):
            strays.append(number)
        elif filled:
            if not _is_title(filled) and not _is_grid_header(cells) and not _is_table_header(cells):
                mode, mode_line = filled[0], number
                index += 1
            break
        index += 1
    grids, table, cycles, orphans, more_strays = _blocks(lines[index:], file)
    strays += more_strays
    first = lines[0][1] if lines else 1
    notes: list[str] = []
    if orphans:
        notes.append(
            "lines that look like rows of a grid stand outside any grid (after a blank or "
            "title line that ended the grid above, or with no grid header) and are not "
            f"read; the file looks damaged: {listed([f'line {n}' for n in orphans], _MOST_LISTED)}"
        )
    if strays:
        notes.append(
            "lines that look like rows of a table view (a well and its values) stand "
            "outside the table (above its header, or with no table) and are not read; the "
            f"file looks damaged: {listed([f'line {n}' for n in strays], _MOST_LISTED)}"
        )
    return RawRun(tuple(fields), mode, mode_line, grids, table, cycles, first, notes=tuple(notes))


def _blocks(
    lines: list[Line], file: str
) -> tuple[tuple[Grid, ...], TableView | None, tuple[int, ...], tuple[int, ...], list[int]]:
    """The grids, the table view, the `Cycle` lines, and the lines that look like a
    grid's rows outside any grid and like a table's rows outside the table (both passed
    over)."""
    grids: list[Grid] = []
    cycles: list[int] = []
    orphans: list[int] = []
    strays: list[int] = []
    title, title_line = "", 0
    index = 0
    while index < len(lines):
        cells, number = lines[index]
        filled = [cell.strip() for cell in cells if cell.strip()]
        if not filled:
            index += 1
        elif _is_table_header(cells):
            body = [line for line in lines[index:] if any(c.strip() for c in line[0])]
            table = TableView.create(body, file)
            return tuple(grids), table, tuple(cycles), tuple(orphans), strays
        elif _is_grid_header(cells):
            end = index + 1
            # A grid runs to the next blank line: a line in it that is not a row (its row
            # letter lost, say) is the grid's, refused there, rather than leaving the rows
            # after it out of the grid without a word.
            while end < len(lines) and (_is_row(lines[end][0]) or _is_damaged_row(lines[end][0])):
                end += 1
            name = title or f"untitled grid (line {number})"
            grids.append(Grid.create(name, title_line, lines[index:end], file))
            title, title_line = "", 0
            index = end
        else:
            if _CYCLE.match(filled[0]):
                cycles.append(number)
            elif len(filled) == 1:
                title, title_line = " ".join(_NUMBERED.sub("", filled[0]).split()), number
            elif _is_row(cells) and _ROW_LABEL.fullmatch(cells[0].strip()):
                orphans.append(number)
            elif _is_table_row(filled):
                strays.append(number)
            index += 1
    return tuple(grids), None, tuple(cycles), tuple(orphans), strays


def _trim(cells: Sequence[str]) -> list[str]:
    trimmed = [cell.strip() for cell in cells]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def _is_grid_header(cells: Sequence[str]) -> bool:
    trimmed = _trim(cells)
    return (
        len(trimmed) > 1
        and not trimmed[0]
        and all(cell.isdecimal() for cell in trimmed[1:])
        and is_whole(trimmed[1])
        and int(trimmed[1]) == 1
    )


def _is_row(cells: Sequence[str]) -> bool:
    letter = cells[0].strip() if cells else ""
    return len(cells) > 1 and len(letter) in (1, 2) and letter.isalpha()


def _is_damaged_row(cells: Sequence[str]) -> bool:
    """A line of values inside a grid without a row letter: more than one filled cell,
    and no grid's or table's header (which starts a block of its own)."""
    filled = [cell for cell in cells if cell.strip()]
    return len(filled) > 1 and not _is_grid_header(cells) and not _is_table_header(cells)


def _is_table_row(filled: Sequence[str]) -> bool:
    """A table view's row: a well (`A01`) and at least one value."""
    return len(filled) > 1 and _well(filled[0]) is not None


def _is_table_header(cells: Sequence[str]) -> bool:
    first = cells[0].strip().casefold() if cells else ""
    return first in ("well", "well row") and len(cells) > 1


def _is_title(filled: list[str]) -> bool:
    return len(filled) == 1 and _NUMBERED.sub("", filled[0]).casefold().startswith("raw data")


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class RunHeader:
    user: str
    path: str
    test_run: str
    test_name: str
    run_time: str
    plate_ids: tuple[str, ...]
    instrument: str
    equals_line: int

    @classmethod
    def create(cls, raw: RawRun) -> RunHeader:
        values: dict[str, str] = {}
        for found in raw.fields:
            values.setdefault(found.key.casefold(), found.value)
        path = values.get("path", "")
        instrument = _INSTRUMENT.search(path + "\\")
        when = " ".join(v for v in (values.get("date", ""), values.get("time", "")) if v)
        equals = [f.line for f in raw.fields if f.separator == "="]
        return cls(
            user=values.get("user", ""),
            path=path,
            test_run=values.get("test run no.", values.get("test id", "")),
            test_name=values.get("test name", ""),
            run_time=when,
            plate_ids=tuple(values.get(f"id{n}", "") for n in (1, 2, 3)),
            instrument=instrument.group(1) if instrument else "",
            equals_line=equals[0] if equals else 0,
        )


@dataclass(frozen=True)
class DataSet:
    """One data set of the run (a read, a calculated value or a layout field) by well.

    `spec` is what a read measured as its title writes it (`580/620`, `450`,
    `No filter`, `F: 482-16/525-20`), `number` its chromatic or channel number (`1` of
    `Raw Data (450 1)`)."""

    title: str
    kind: Kind
    spec: str
    number: str
    wells: np.ndarray
    texts: np.ndarray
    line: int

    @classmethod
    def create(cls, title: str, wells: np.ndarray, texts: np.ndarray, line: int) -> DataSet:
        folded = title.casefold()
        spec, number = "", ""
        kind: Kind = "calculated"
        if folded.startswith("raw data"):
            kind = "measurement"
            found = _SPEC.search(title)
            if found is not None:
                spec = found.group("inside").strip()
                trailing = _TRAILING_NUMBER.match(spec)
                if trailing is not None and _WAVELENGTH.search(trailing.group("spec")):
                    spec, number = trailing.group("spec"), trailing.group("number")
                number = number or found.group("after").strip()
        elif re.fullmatch(r"(?:layout|contents?)", folded):
            kind = "content"
        elif "based on" not in folded and re.match(r"(?:standard )?concentrations?\b", folded):
            kind = "concentration"
        elif re.match(r"dilutions?(?: factors?)?\b", folded):
            kind = "dilution"
        return cls(title, kind, spec, number, wells, texts, line)

    def signal_kind(self, mode: str, numbered: bool = False) -> str:
        """What the read is, for `signal_kind`: `OD450`, `Fluorescence 580/620`, `Lum`;
        `numbered` adds the read's number (`Fluorescence 485/520 [2]`), for an export
        holding two reads of the same kind."""
        if self.kind != "measurement":
            return self.title
        spec = re.sub(r"^[A-Za-z]+:\s*", "", self.spec)
        centres = [m.group(0) for m in (_WAVELENGTH.match(p.strip()) for p in spec.split("/")) if m]
        folded = mode.casefold()
        if folded.startswith("absorbance") and centres:
            kind = f"OD{centres[0]}"
        elif folded.startswith("luminescence"):
            kind = "Lum" if not centres else f"Lum {'/'.join(centres)}"
        elif centres and ("fluorescence" in folded or "/" in spec):
            kind = f"Fluorescence {'/'.join(centres)}"
        else:
            kind = self.title
        return (
            f"{kind} [{self.number}]" if numbered and self.number and kind != self.title else kind
        )

    def text_of(self, wells: np.ndarray) -> np.ndarray:
        lookup = dict(zip(self.wells.tolist(), self.texts.tolist(), strict=True))
        return np.array([lookup.get(well, "") for well in wells.tolist()], dtype=object)


def data_sets(raw: RawRun, file: str) -> list[DataSet]:
    """Every data set of the run, in the order the export writes them."""
    if raw.table is not None:
        return _table_sets(raw.table, file)
    sets = []
    for grid in raw.grids:
        if grid.is_wide():
            raise InputError(file, _wide(grid), where=f"line {grid.line}")
        wells, texts = grid.wells()
        sets.append(DataSet.create(grid.title, wells, texts, grid.line))
    return sets


def _table_sets(table: TableView, file: str) -> list[DataSet]:
    """The table view's data sets; a well given twice keeps its first row (the others
    are named by `_repeated_wells`)."""
    wells: list[str] = []
    for well, _, _, number in table.rows:
        placed = _well(well)
        if placed is None:
            wide = re.fullmatch(r"([A-Za-z]{1,2})0*(\d{1,2})", well)
            if wide is not None:
                raise InputError(
                    file,
                    f"well {well} is not on a 96- or 384-well plate: this table is of a "
                    "larger plate (1536 wells); assaypipe places wells on 96- and 384-well "
                    "plates only (A1 to P24)",
                    where=f"line {number}",
                )
            raise InputError(
                file, f"expected a well name such as A01, found {well!r}", where=f"line {number}"
            )
        wells.append(placed)
    first: dict[str, int] = {}  # each well's first row
    for i, well in enumerate(wells):
        first.setdefault(well, i)
    rows = [table.rows[i] for i in first.values()]
    placed_wells = np.array(list(first), dtype=object)
    sets = []
    contents = np.array([text for _, text, _, _ in rows], dtype=object)
    if any(contents):
        sets.append(DataSet("Content", "content", "", "", placed_wells, contents, table.line))
    for position, title in enumerate(table.titles):
        texts = np.array([values[position] for _, _, values, _ in rows], dtype=object)
        sets.append(DataSet.create(title, placed_wells, texts, table.line))
    return sets


def _repeated_wells(table: TableView) -> list[str]:
    """Wells the table view gives twice: `B3 (lines 12 and 15)` for each repeat."""
    seen: dict[str, int] = {}
    repeats = []
    for well, _, _, number in table.rows:
        placed = _well(well)
        if placed is None:
            continue
        if placed in seen:
            repeats.append(f"{placed} (lines {seen[placed]} and {number})")
        else:
            seen[placed] = number
    return repeats


def _well(text: str) -> str | None:
    found = re.fullmatch(r"\s*([A-Pa-p])\s*0*([1-9]|1\d|2[0-4])\s*", text)
    return f"{found.group(1).upper()}{int(found.group(2))}" if found else None


# --- layer 3: compose --------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    read: DataSet
    why: str


def compose(raw: RawRun, options: ReadOptions, file: str, name: str = "") -> ParsedPlate:
    """One test run's wells, run facts, MARS's own results and warnings."""
    notes = Warnings(raw.notes)
    header = RunHeader.create(raw)
    if header.equals_line:
        notes.add(
            "the header's fields are written `key = value` (`User = USER`) where MARS writes "
            "`key: value`; they are read as written, but the file looks edited",
            f"line {header.equals_line}",
        )
    _refuse_dynamic(raw, file)
    sets = data_sets(raw, file)
    repeats = _repeated_wells(raw.table) if raw.table is not None else []
    if repeats:
        notes.add(
            "wells given twice in the table, the first row of each read, the other not "
            f"(a well name may be damaged): {listed(repeats, _MOST_LISTED)}"
        )
    if not sets:
        raise InputError(
            file,
            "the export holds no plate data: no titled grid (such as `Raw Data (450)`) and "
            "no table of wells after the header; export the test run with its data",
            where=f"line {raw.mode_line or raw.first_line}",
        )
    _refuse_repeated(raw, sets, file)
    choice = _choose(sets, raw, options, file)
    read = choice.read
    content = next((s for s in sets if s.kind == "content"), None)
    named = content.text_of(read.wells) if content is not None else None
    has_value = np.array([bool(text) for text in read.texts.tolist()], dtype=bool)
    keep = has_value | (
        np.array([text.casefold() not in _EMPTY_CONTENT for text in named], dtype=bool)
        if named is not None
        else False
    )
    if not keep.any():
        raise InputError(
            file,
            f"the data set `{read.title}` is empty in every well: there is no value to read",
            where=f"line {read.line}",
        )
    wells, texts = read.wells[keep], read.texts[keep]
    # Semicolon- and tab-separated exports of European locales write 0,812.
    comma = raw.delimiter != "," and any(_DECIMAL_COMMA.fullmatch(t) for t in texts.tolist())
    columns = _wells(wells, texts, _kind_of(read, sets, raw.mode), comma, file)
    unit = ""
    if content is not None:
        layout, unit = _apply_content(wells, sets, options.rule, comma)
        columns.update(layout)
    _note_unused(choice, sets, raw.mode, notes)
    meta = {
        "format": "mars",
        "instrument": header.instrument,
        "software": "MARS",
        "software_version": "",
        "serial_number": "",
        "batch": header.test_name,
        "run_time": header.run_time,
        "unit": unit,
    }
    vendor = _vendor(sets, read, wells, comma)
    table = wells_columns(len(wells), **columns)
    return ParsedPlate(wells=table, meta=meta, vendor=vendor, name=name, warnings=notes.as_tuple())


def _refuse_dynamic(raw: RawRun, file: str) -> None:
    """Kinetic and spectral reads hold no endpoint value: refused, saying which."""
    table = raw.table
    scan = bool(_SCAN.search(raw.mode))
    if table is not None and table.axis_name:
        axis = table.axis_name.casefold()
        if axis.startswith("time"):
            raise InputError(
                file,
                f"this is a kinetic read: the table holds {_count(len(table.axis), 'time point')} "
                "per well and no endpoint value; export an endpoint read, or a value MARS "
                "calculated per well, to read it",
                where=f"line {table.line}",
            )
        if axis.startswith("wavelength") or scan:
            raise InputError(
                file,
                f"this is a spectral scan: the table holds "
                f"{_count(len(table.axis), 'wavelength')} per well and no endpoint value; "
                "export an endpoint read, or a value MARS calculated per well, to read it",
                where=f"line {table.line}",
            )
    if len(raw.cycles) > 1:
        raise InputError(
            file,
            f"this is a kinetic read: the export holds {len(raw.cycles)} cycles of each grid "
            "and no endpoint value; export an endpoint read, or a value MARS calculated per "
            "well, to read it",
            where=f"line {raw.cycles[0]}",
        )
    if scan:
        raise InputError(
            file,
            f"this is a spectral scan (`{raw.mode}`) with no endpoint value; export an "
            "endpoint read, or a value MARS calculated per well, to read it",
            where=f"line {raw.mode_line}",
        )


def _refuse_repeated(raw: RawRun, sets: list[DataSet], file: str) -> None:
    seen: dict[str, int] = {}
    for data in sets:
        if data.title in seen and data.kind == "measurement":
            what = "grids" if raw.table is None else "columns"
            raise InputError(
                file,
                f"the export holds two {what} titled `{data.title}` (lines {seen[data.title]} "
                f"and {data.line}) and nothing tells them apart (a kinetic or scan read "
                "without its time or wavelength line?); export an endpoint read",
                where=f"line {data.line}",
            )
        seen.setdefault(data.title, data.line)


def _wide(grid: Grid) -> str:
    letters = [letter for letter, _, _ in grid.rows]
    shown = ", ".join(letters) if len(letters) <= 8 else f"{letters[0]} to {letters[-1]}"
    rows = f"; rows {shown}" if letters else ""
    return (
        f"the {_named(grid.title)} grid is of a 1536-well plate ({len(grid.columns)} columns"
        f"{rows}): assaypipe places wells on 96- and 384-well plates only (A1 to P24), so "
        "this plate cannot be read"
    )


def _choose(sets: list[DataSet], raw: RawRun, options: ReadOptions, file: str) -> Choice:
    values = [s for s in sets if s.kind in ("measurement", "calculated")]
    wanted = options.read.strip()
    if wanted:
        return Choice(_asked(wanted, values, raw.mode, file), f"wells.read `{wanted}`")
    measured = [s for s in values if s.kind == "measurement"]
    if measured:
        return Choice(measured[0], "the first read")
    if values:
        raise InputError(
            file,
            f"the export holds no measured read (`Raw Data ...`), only values MARS calculated "
            f"({_listed(values)}); export the raw data too, or name one of these in wells.read",
            where=f"line {values[0].line}",
        )
    raise InputError(
        file,
        "the export holds no plate data, only its layout; export the test run with its data",
        where=f"line {sets[0].line}",
    )


def _asked(wanted: str, sets: list[DataSet], mode: str, file: str) -> DataSet:
    """The data set `options.read` names: its title, what it reads, its number or its
    signal_kind."""
    folded = wanted.casefold()
    keys: list[Callable[[DataSet], str]] = [
        lambda s: s.title,
        lambda s: s.spec,
        lambda s: "/".join(_WAVELENGTH.findall(s.spec)) if s.kind == "measurement" else "",
        lambda s: s.number,
        lambda s: _kind_of(s, sets, mode),
    ]
    for key in keys:
        matches = [s for s in sets if key(s) and key(s).casefold() == folded]
        if matches:
            return matches[0]
    raise InputError(
        file,
        f"wells.read asks for the read `{wanted}`, which this export does not hold; it holds "
        f"{_listed(sets)} (name one of them, or leave wells.read empty for the first read)",
    )


def _kind_of(data: DataSet, sets: Sequence[DataSet], mode: str) -> str:
    """The read's signal_kind, numbered where another read of the export has the same."""
    plain = data.signal_kind(mode)
    twins = [
        s
        for s in sets
        if s.kind == "measurement" and s is not data and s.signal_kind(mode) == plain
    ]
    return data.signal_kind(mode, numbered=bool(twins))


def _listed(sets: Sequence[DataSet]) -> str:
    return listed([f"`{s.title}`" for s in sets], _MOST_LISTED)


def _wells(
    wells: np.ndarray, texts: np.ndarray, kind: str, decimal_comma: bool, file: str
) -> dict[str, Any]:
    """The wells' columns from the read (`cells.wells_columns` fills in the others)."""
    raw_text = np.array([str(text).strip() for text in texts.tolist()], dtype=object)
    tokens, values = classify_texts(raw_text.tolist(), decimal_comma=decimal_comma)
    return {
        "well": wells.astype(object),
        "signal": values,
        "signal_kind": kind,
        "raw_text": raw_text,
        "token": tokens,
        "source_file": file,
        "bead_count": whole_numbers(np.full(len(wells), np.nan)),
    }


def _apply_content(
    wells: np.ndarray, sets: list[DataSet], rule: RoleRule, decimal_comma: bool
) -> tuple[dict[str, Any], str]:
    """Roles, names, standards' concentrations and dilutions from the layout: the wells'
    columns they give, and the unit."""
    content = next(s for s in sets if s.kind == "content").text_of(wells)
    listed = content.tolist()
    # A layout repeats its contents (replicates, empty wells): each is read once.
    of_text = {text: _role(text, rule) for text in dict.fromkeys(listed)}
    roles = [of_text[text] for text in listed]
    role = np.array([r for r, _, _ in roles], dtype=object)
    named = role != ""
    concentration = next((s for s in sets if s.kind == "concentration"), None)
    dilution = next((s for s in sets if s.kind == "dilution"), None)
    missing = np.full(len(wells), np.nan)
    expected = _numbers(concentration.text_of(wells), decimal_comma) if concentration else missing
    factor = _numbers(dilution.text_of(wells), decimal_comma) if dilution else missing
    unit = ""
    if concentration is not None and (found := _UNIT.search(concentration.title)) is not None:
        unit = units.canonical(found.group(1))
    is_reference = np.isin(role, [Role.STANDARD, Role.CONTROL])
    levels = np.array([np.nan if lv is None else lv for _, lv, _ in roles], dtype=float)
    return (
        {
            "role": np.where(named, role, Role.SAMPLE.value),
            "sample_name": np.where(named, content, ""),
            "sample_id": np.array([i for _, _, i in roles], dtype=object),
            "level": whole_numbers(levels),
            "expected_conc": np.where(is_reference, expected, np.nan),
            "dilution": np.where((role == Role.SAMPLE) & (factor > 0), factor, 1.0),
        },
        unit,
    )


def _role(text: str, rule: RoleRule) -> tuple[str, int | None, str | None]:
    """Role, level and sample_id of one well's content ("" for an empty well)."""
    if text.casefold() in _EMPTY_CONTENT:
        return "", None, None
    found = _CONTENT.fullmatch(text)
    if found is None:
        role, level = rule.classify(text)
        return role, level, text if role in (Role.SAMPLE, Role.CONTROL) else None
    code = found.group("code").upper()
    word = (found.group("word") or "").casefold()
    role = (
        Role.CONTROL
        if "control" in word  # their word
        else {"sample": Role.SAMPLE, "standard": Role.STANDARD, "blank": Role.BLANK}.get(
            word, _CODE_ROLES[code]
        )
    )
    number = found.group("number")
    level = level_number(number) if number and role in (Role.STANDARD, Role.CONTROL) else None
    identity = f"{code}{number}" if role in (Role.SAMPLE, Role.CONTROL) else None
    return role, level, identity


def _numbers(texts: np.ndarray, decimal_comma: bool) -> np.ndarray:
    tokens, values = classify_texts([str(text) for text in texts.tolist()], decimal_comma)
    return np.where(tokens == "numeric", values, np.nan)


def _note_unused(choice: Choice, sets: list[DataSet], mode: str, notes: Warnings) -> None:
    read = choice.read
    others = [s for s in sets if s.kind == "measurement" and s is not read]
    if not others:
        return
    named = listed([f"`{s.title}` ({_kind_of(s, sets, mode)})" for s in others], _MOST_LISTED)
    if read.kind == "measurement":
        notes.add(
            f"the export holds {len(others) + 1} reads; the signal is `{read.title}` "
            f"({_kind_of(read, sets, mode)}, {choice.why}), not {named}; name "
            "another in wells.read"
        )
    else:
        notes.add(
            f"the signal is `{read.title}`, a value MARS calculated ({choice.why}), not the "
            f"measured {'read' if len(others) == 1 else 'reads'} {named}"
        )


def _vendor(
    sets: list[DataSet], read: DataSet, wells: np.ndarray, decimal_comma: bool
) -> ColumnTable:
    rows: list[tuple[str, str | None, str, str]] = []
    unit_of: list[str | None] = []
    for data in sets:
        if data.kind != "calculated" or data is read:
            continue
        texts = data.text_of(wells)
        found = _UNIT.search(data.title)
        is_conc = "conc" in data.title.casefold()
        quantity = "concentration" if is_conc else data.title
        rows += [("", str(w), quantity, str(t)) for w, t in zip(wells, texts, strict=True)]
        unit_of += [units.canonical(found.group(1)) if is_conc and found else None] * len(wells)
    table = vendor_rows(rows, decimal_comma)
    # MARS's exports do not say whether a calculated concentration includes the
    # well's dilution: its basis is left unstated (null).
    table.columns["unit"] = np.array(unit_of, dtype=object)
    return table


def _named(title: str) -> str:
    return f"`{title}`" if title else "untitled"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def read_mars(text: str, source_file: str, options: ReadOptions | None = None) -> list[ParsedPlate]:
    """Every test run of one export: wells (unvalidated), run facts, MARS's calculated
    values and warnings. A run that cannot be read is skipped with a warning on the
    others; the file is refused when none can be read."""
    options = options or ReadOptions()
    runs = split_export(text, source_file)
    names = _run_names(runs)
    plates: list[ParsedPlate] = []
    failed: list[tuple[str, InputError]] = []
    for raw, name in zip(runs, names, strict=True):
        try:
            plates.append(compose(raw, options, source_file, name))
        except InputError as error:
            if len(runs) == 1:
                raise
            failed.append((name, error))
    if not plates:
        raise failed[0][1]
    if failed:
        skipped = "; ".join(
            f"{name} ({error.where or 'run'}): {error.message}" for name, error in failed
        )
        plates = [
            ParsedPlate(p.wells, p.meta, p.vendor, p.name, (*p.warnings, f"not read: {skipped}"))
            for p in plates
        ]
    return plates


def _run_names(runs: list[RawRun]) -> list[str]:
    """Each run's plate ID (`ID1`), else `Test run <n>`, made unique where one repeats."""
    names: list[str] = []
    for position, raw in enumerate(runs, start=1):
        header = RunHeader.create(raw)
        name = header.plate_ids[0]
        if len(runs) > 1:
            name = name or (f"Test run {header.test_run}" if header.test_run else f"Run {position}")
        candidate, count = name, 1
        while candidate in names:
            count += 1
            candidate = f"{name} ({count})"
        names.append(candidate)
    return names


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    plates = read_mars(source.text, source.file, options)
    # Each line is split on its own (`_split_lines`): a stray quote takes the rest of its
    # line only, and is named.
    stray = stray_quotes(source.text, _MOST_LISTED)
    if stray is None:
        return plates
    return [replace(plate, warnings=(stray, *plate.warnings)) for plate in plates]


def _recognise(source: Source) -> bool:
    return looks_like_mars(source.lines)


MARS: Final = Format(
    name="mars",
    described="a MARS CSV export",
    software="BMG LABTECH MARS",
    export=(
        "CSV export, plate or table view, comma or semicolon/decimal comma: absorbance, "
        "fluorescence, luminescence endpoint reads, several reads, raw and calculated "
        "data, 96/384 wells"
    ),
    versions="not stated in the exports (3.40 by one file's name); PHERAstar, CLARIOstar",
    plate_map="without a Layout or Content",
    recognised_by="a first line `User: ...` and a `Test name`, `Test ID` or `Test run no.` field",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
