"""MSD Discovery Workbench data-table exports into wells (docs/formats.md, "MSD
Discovery Workbench").

Discovery Workbench, Meso Scale Discovery's analysis software, exports a plate's
results as a table (CSV, or a sheet of an Excel workbook): a `Plate_<barcode>` line,
then a header row (`Sample`, `Assay`, `Well`, `Spot`, `Dilution`, `Concentration`,
`Signal`, `Adjusted Signal`, `Mean`, `CV`, `Calc. Concentration`, ... as the lab chose
them) and one row per well x spot. A workbook may hold the reader's own header on
another sheet (`Plate ID`, `Read Time`, `Machine ID`, `MSD Read Software Version`).

Three layers, as for the other readers:

1. `split_tables` finds each plate's table in the rows: its `Plate_` line, header and
   body rows (to the first empty row, the next `Plate_` line or the next header).
2. `WorkbenchTable.create` checks one table's columns; `ReaderHeader.create` reads the
   reader's header sheet.
3. `compose` makes the wells: the `Assay` names the analyte (`spot <n>` where it is
   empty), the sample name its role (`S001` a standard, `C001` a control, by the role
   rule), and a row with a `Concentration` is a calibrator (or control) of that
   concentration. The Workbench's own results are vendor results.

The signal is the `Signal` column, the ECL count as the reader measured it (the same
number the reader's text export holds); Workbench's `Adjusted Signal` (the signal after
the background it subtracted, where the lab turned that on) is a vendor result, or the
signal with `wells.read: adjusted`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers.cells import (
    classify_texts,
    is_whole,
    line_cells,
    listed,
    parse_well,
    stray_quotes,
    vendor_table,
    wells_columns,
)
from assaypipe.readers.columns import ColumnTable, stacked
from assaypipe.readers.msd_methodical_mind import SIGNAL_KIND, iso_time, spot_analyte
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import RoleRule
from assaypipe.vocabulary import Role, VendorBasis

__all__ = [
    "MSD_WORKBENCH",
    "ReaderHeader",
    "Table",
    "WorkbenchTable",
    "compose",
    "looks_like_workbench",
    "read_workbench",
    "split_tables",
]

# Column names as Workbench writes them, compared without case and extra spaces.
_REQUIRED: Final = ("sample", "well")  # their words
_SIGNAL: Final = "signal"
_ADJUSTED: Final = "adjusted signal"
# Workbench columns kept as vendor results: column -> quantity. Concentrations are of
# the sample: Workbench multiplies what it reads off the curve by the Dilution of its
# plate layout (basis `sample`).
_VENDOR: Final = {
    "calc. concentration": "concentration",
    "calc. conc. mean": "mean_concentration",
    "calc. conc. cv": "concentration_cv",
    "% recovery": "recovery",
    "cv": "signal_cv",
}
_CONCENTRATIONS: Final = frozenset({"concentration", "mean_concentration"})
_R_SQUARED: Final = "fit statistic: rsquared"
_DETECTION: Final = "detection range"
_READS: Final = {"": _SIGNAL, "signal": _SIGNAL, "adjusted": _ADJUSTED, _ADJUSTED: _ADJUSTED}
_PLATE_LINE: Final = re.compile(r"^\s*Plate_?\s*(.*)$", re.IGNORECASE)
_MOST_LISTED: Final = 12
# Rows looked at past a blank row for a row of the table (a line lost or added is local).
_GAP_LOOKAHEAD: Final = 5
_HEADER_KEYS: Final = {
    "plate id": "plate_id",
    "read time": "read_time",
    "machine id": "serial_number",
    "msd read software version": "reader_version",
    "plate type": "plate_type",
    "run name": "run_name",
}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _is_header(cells: tuple[str, ...]) -> bool:
    names = {_norm(cell) for cell in cells}
    return (
        all(name in names for name in _REQUIRED)
        and bool(names & {_SIGNAL, _ADJUSTED})
        and bool(names & {"assay", "spot"})
    )


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One plate's table: the `Plate_` line's name, the header row, the body rows, and
    where each row is (`line 3`, `sheet Results row 3`)."""

    plate: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    places: tuple[str, ...]
    header_place: str
    # Blank rows inside the table, passed over: rows naming a well follow them.
    gaps: tuple[str, ...] = ()
    # Rows naming a well that stand under no header (after a `Plate_` line inside a
    # table, say): not read, named on every table of the file.
    stray: tuple[str, ...] = ()
    # Headers that follow another table's rows directly (no blank or `Plate_` line
    # between): a header line copied into a table splits it in two. Named on every
    # table of the file.
    split_headers: tuple[str, ...] = ()


def looks_like_workbench(rows: list[tuple[str, ...]]) -> bool:
    """A Workbench data table: a header row with `Sample`, `Well`, `Assay` or `Spot`,
    and `Signal` in the first rows."""
    return any(_is_header(row) for row in rows[:10])


def split_tables(rows: list[tuple[str, ...]], place: str = "line {}") -> list[Table]:
    """Each plate's table in the rows; `place` names a row by its number."""
    tables: list[Table] = []
    stray: list[str] = []
    split: list[str] = []
    plate = ""
    index = 0
    ended_at = -1  # the row that ended the last table's rows
    well = -1  # the Well column of the last header
    while index < len(rows):
        cells = rows[index]
        first = cells[0].strip() if cells else ""
        if _is_header(cells):
            header_place = place.format(index + 1)
            if index == ended_at and tables and tables[-1].rows:
                split.append(header_place)
            well = _well_column(cells)
            body, places, gaps, index = _body(rows, index + 1, place, well)
            tables.append(Table(plate, cells, body, places, header_place, gaps))
            ended_at = index
            plate = ""
            continue
        found = _PLATE_LINE.match(first)
        if found is not None and not any(cell.strip() for cell in cells[1:]):
            plate = found.group(1).strip()
        elif well >= 0 and _is_row_of(cells, well):
            stray.append(place.format(index + 1))
        index += 1
    if stray or split:
        tables = [
            replace(table, stray=tuple(stray), split_headers=tuple(split)) for table in tables
        ]
    return tables


def _well_column(header: tuple[str, ...]) -> int:
    return next(i for i, cell in enumerate(header) if _norm(cell) == "well")


def _body(
    rows: list[tuple[str, ...]], start: int, place: str, well: int
) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...], tuple[str, ...], int]:
    """The table's rows from ``start``, their places, the blank rows passed over inside
    it, and the index of the row after it. The table ends at a blank row, a header or a
    `Plate_` line; a blank row followed by a row naming a well (in the header's ``well``
    column) is inside the table, as a line lost or added would leave it."""
    body: list[tuple[str, ...]] = []
    places: list[str] = []
    gaps: list[str] = []
    index = start
    while index < len(rows):
        cells = rows[index]
        if any(cell.strip() for cell in cells) and (_is_header(cells) or _is_plate_line(cells)):
            break
        if not any(cell.strip() for cell in cells):
            after = next(
                (i for i in range(index, len(rows)) if any(c.strip() for c in rows[i])), None
            )
            if after is None or not _rows_follow(rows, after, well):
                break
            gaps += [place.format(i + 1) for i in range(index, after)]
            index = after
            continue
        body.append(cells)
        places.append(place.format(index + 1))
        index += 1
    return tuple(body), tuple(places), tuple(gaps), index


def _rows_follow(rows: list[tuple[str, ...]], start: int, well: int) -> bool:
    """Whether a row naming a well (a row of the table) comes within the next few rows
    from ``start``, before any header or `Plate_` line: the blank row before ``start``
    is then inside the table."""
    for cells in rows[start : start + _GAP_LOOKAHEAD]:
        if _is_row_of(cells, well):
            return True
        if any(cell.strip() for cell in cells) and (_is_header(cells) or _is_plate_line(cells)):
            return False
    return False


def _is_plate_line(cells: tuple[str, ...]) -> bool:
    return (
        bool(cells)
        and _PLATE_LINE.match(cells[0]) is not None
        and not any(cell.strip() for cell in cells[1:])
    )


def _is_row_of(cells: tuple[str, ...], well: int) -> bool:
    """A row of a table whose Well column is ``well``: not a header or a `Plate_` line,
    and a well in that column."""
    return (
        not _is_header(cells)
        and not _is_plate_line(cells)
        and well < len(cells)
        and parse_well(cells[well]) is not None
    )


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class WorkbenchTable:
    """One table's columns by their Workbench name (normalised), one text array each,
    and the table they were cut from (its plate, rows' places and what the split found)."""

    source: Table
    columns: dict[str, np.ndarray]
    # Rows with text past the header's last column (two lines run together, say).
    long_rows: tuple[str, ...] = ()

    @classmethod
    def create(cls, table: Table, file: str) -> WorkbenchTable:
        names = [_norm(cell) for cell in table.header]
        width = len(names)
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        if repeated:
            raise InputError(
                file,
                f"the header names the column {repeated[0]!r} twice; export the table again",
                where=table.header_place,
            )
        padded = [tuple(row[:width]) + ("",) * (width - len(row)) for row in table.rows]
        long_rows = tuple(
            f"{place} ({len(row)} cells)"
            for row, place in zip(table.rows, table.places, strict=True)
            if any(cell.strip() for cell in row[width:])
        )
        grid = np.array(padded, dtype=object).reshape(len(padded), width)
        columns = {
            name: np.array([str(text).strip() for text in grid[:, position]], dtype=object)
            for position, name in enumerate(names)
            if name
        }
        return cls(table, columns, long_rows)

    @property
    def plate(self) -> str:
        return self.source.plate

    @property
    def places(self) -> tuple[str, ...]:
        return self.source.places

    @cached_property
    def names(self) -> list[str]:
        """The header's column names, normalised, in order ("" where a cell names none)."""
        return [_norm(cell) for cell in self.source.header]

    def title(self, name: str) -> str:
        """The header's own text of the column ``name`` (normalised name)."""
        return " ".join(self.source.header[self.names.index(name)].split())

    def short_of(self, name: str, rows: np.ndarray) -> list[str]:
        """The places of ``rows`` that end before the column ``name`` (its cell is
        missing, not empty), with their number of cells."""
        names = self.names
        if name not in names:
            return []
        position = names.index(name)
        # cells to the header's last named column
        width = max(i for i, named in enumerate(names) if named) + 1
        widths = [len(row) for row in self.source.rows]
        return [
            f"{self.places[i]} ({widths[i]} of {width} cells)"
            for i in rows
            if widths[i] <= position
        ]

    def get(self, name: str) -> np.ndarray:
        """The column's texts, or empty texts where the export has no such column."""
        found = self.columns.get(name)
        if found is None:
            return np.full(len(self.places), "", dtype=object)
        return found

    def has(self, name: str) -> bool:
        return name in self.columns


@dataclass(frozen=True)
class ReaderHeader:
    """The reader's header a Workbench workbook may carry on another sheet."""

    plate_id: str = ""
    read_time: str = ""
    serial_number: str = ""
    reader_version: str = ""
    plate_type: str = ""
    run_name: str = ""

    @classmethod
    def create(cls, rows: list[tuple[str, ...]]) -> ReaderHeader:
        values: dict[str, str] = {}
        for cells in rows[:60]:
            if len(cells) < 2 or not cells[0].strip().endswith(":"):
                continue
            key = _HEADER_KEYS.get(_norm(cells[0].strip().rstrip(":")))
            if key is not None:
                values.setdefault(key, cells[1].strip().strip("<>").strip("*").strip())
        return cls(**values)


# --- layer 3: compose --------------------------------------------------------------


def compose(
    table: WorkbenchTable,
    header: ReaderHeader,
    options: ReadOptions,
    file: str,
    name: str = "",
) -> ParsedPlate:
    """One plate's wells (one row per well x spot), run facts, Workbench's own results."""
    notes = Warnings()
    signal_column = _signal_column(table, options.read, file)
    wells = np.array([parse_well(text) or "" for text in table.get("well")], dtype=object)
    unplaced = wells == ""
    if unplaced.all():
        raise InputError(
            file,
            "no row of the table names a well A1 to P24 in its Well column",
            where=table.places[0] if table.places else None,
        )
    if unplaced.any():
        shown = ", ".join(table.places[i] for i in np.flatnonzero(unplaced)[:_MOST_LISTED])
        notes.add(f"rows without a well A1 to P24 in the Well column are left out: {shown}")
    if table.long_rows:
        notes.add(
            "rows with more cells than the header, read up to its last column (the rest "
            "is not read; two lines may have run together): "
            f"{listed(table.long_rows, _MOST_LISTED)}"
        )
    split = table.source
    if split.stray:
        notes.add(
            "rows naming a well stand under no header (after a `Plate_` line or a damaged "
            "header inside a table) and are not read; the file looks damaged: "
            f"{listed(split.stray, _MOST_LISTED)}"
        )
    if split.split_headers:
        notes.add(
            "a header row follows a table's rows with no blank or `Plate_` line between, "
            "starting another table there (a copied header line may have split one plate's "
            f"table in two); the file looks damaged: {', '.join(split.split_headers)}"
        )
    if split.gaps:
        notes.add(
            "blank lines inside the table are passed over and the rows after them read as "
            f"its rows (a line may have been lost or added): {listed(split.gaps, _MOST_LISTED)}"
        )
    analyte = _analytes(table)
    keep = ~unplaced & _first_of_each(wells, analyte, table, notes)
    rows = np.flatnonzero(keep)
    short = table.short_of(signal_column, rows)
    if short:
        notes.add(
            f"rows that end before the {table.title(signal_column)} column have no "
            f"signal (a line was cut short); the file looks damaged: "
            f"{listed(short, _MOST_LISTED)}"
        )
    wells, analyte = wells[rows], analyte[rows]
    frame = _wells(table, rows, wells, analyte, signal_column, options.rule, file, notes)
    _note_adjusted(table, rows, signal_column, notes)
    vendor = _vendor(table, rows, wells, analyte, signal_column)
    barcode = table.plate or header.plate_id
    meta = {
        "format": MSD_WORKBENCH.name,
        "instrument": "",
        "software": "MSD Discovery Workbench",
        "software_version": "",
        "serial_number": header.serial_number,
        "batch": barcode,
        "run_time": iso_time(header.read_time) if header.read_time else "",
    }
    return ParsedPlate(wells=frame, meta=meta, vendor=vendor, name=name, warnings=notes.as_tuple())


def _signal_column(table: WorkbenchTable, read: str, file: str) -> str:
    """`Signal`, or `Adjusted Signal` where wells.read asks for it (`adjusted`) or the
    export has no Signal column. Other wells.read values are for other formats."""
    wanted = _READS.get(_norm(read), _SIGNAL)
    if table.has(wanted):
        return wanted
    other = _ADJUSTED if wanted == _SIGNAL else _SIGNAL
    if table.has(other):
        return other
    raise InputError(file, "the table has no Signal or Adjusted Signal column")


def _analytes(table: WorkbenchTable) -> np.ndarray:
    assay = table.get("assay")
    spot = table.get("spot")
    names = [
        text or (spot_analyte(int(number)) if is_whole(number) else "")
        for text, number in zip(assay.tolist(), spot.tolist(), strict=True)
    ]
    return np.array(names, dtype=object)


def _first_of_each(
    wells: np.ndarray, analyte: np.ndarray, table: WorkbenchTable, notes: Warnings
) -> np.ndarray:
    """Rows that are the first of their well and analyte; later ones are named."""
    repeated = _repeats(zip(wells.tolist(), analyte.tolist(), strict=True)) & (wells != "")
    if repeated.any():
        shown = ", ".join(
            f"{table.places[i]} ({wells[i]}, {analyte[i] or 'no assay'})"
            for i in np.flatnonzero(repeated)[:_MOST_LISTED]
        )
        notes.add(
            f"rows repeating a well and assay of an earlier row are left out: {shown}; "
            "the first row of each is read"
        )
    return np.asarray(~repeated, dtype=bool)


def _repeats(keys: Iterable[Hashable]) -> np.ndarray:
    """Whether each key is one seen before it (``Series.duplicated``).

    >>> _repeats(["a", "b", "a"]).tolist()
    [False, False, True]
    """
    seen: set[Hashable] = set()
    repeated = []
    for key in keys:
        repeated.append(key in seen)
        seen.add(key)
    return np.array(repeated, dtype=bool)


def _wells(
    table: WorkbenchTable,
    rows: np.ndarray,
    wells: np.ndarray,
    analyte: np.ndarray,
    signal_column: str,
    rule: RoleRule,
    file: str,
    notes: Warnings,
) -> ColumnTable:
    sample = table.get("sample")[rows]
    classified = [rule.classify(name) for name in sample.tolist()]
    role = np.array([r for r, _ in classified], dtype=object)
    level = pd.array([lv for _, lv in classified], dtype="Int64")
    texts = table.get(signal_column)[rows]
    tokens, values = classify_texts(texts.tolist())
    conc = _numbers(table.get("concentration")[rows])
    given = np.isfinite(conc)
    # Workbench fills Concentration for calibrators and controls of known concentration:
    # a row named like a sample but with one is a calibrator.
    role = np.where(given & (role == Role.SAMPLE), Role.STANDARD, role).astype(object)
    expected = np.where(
        given & np.isin(role, [Role.STANDARD, Role.CONTROL, Role.BLANK]), conc, np.nan
    )
    dilution = _dilutions(table, rows, notes)
    sample_id = sample.copy()
    sample_id[~(np.isin(role, [Role.SAMPLE, Role.CONTROL]) & (sample != ""))] = None
    return wells_columns(
        len(rows),
        well=wells,
        analyte=analyte,
        role=role,
        sample_name=sample,
        sample_id=sample_id,
        level=level,
        expected_conc=expected,
        dilution=dilution,
        signal=values,
        signal_kind=SIGNAL_KIND,
        raw_text=texts,
        token=tokens,
        source_file=file,
    )


def _dilutions(table: WorkbenchTable, rows: np.ndarray, notes: Warnings) -> np.ndarray:
    texts = table.get("dilution")[rows]
    numbers = _numbers(texts)
    bad = (texts != "") & ~(np.isfinite(numbers) & (numbers > 0))
    if bad.any():
        shown = ", ".join(
            f"{table.places[rows[i]]} ({texts[i]!r})" for i in np.flatnonzero(bad)[:_MOST_LISTED]
        )
        notes.add(f"Dilution cells that are not a factor above 0 are read as 1: {shown}")
    return np.where(np.isfinite(numbers) & (numbers > 0), numbers, 1.0)


def _numbers(texts: np.ndarray) -> np.ndarray:
    tokens, values = classify_texts([str(text) for text in texts.tolist()])
    return np.where(tokens == "numeric", values, np.nan)


def _note_adjusted(
    table: WorkbenchTable, rows: np.ndarray, signal_column: str, notes: Warnings
) -> None:
    if signal_column != _SIGNAL or not table.has(_ADJUSTED):
        return
    signal = _numbers(table.get(_SIGNAL)[rows])
    adjusted = _numbers(table.get(_ADJUSTED)[rows])
    both = np.isfinite(signal) & np.isfinite(adjusted)
    differ = int((both & ~np.isclose(signal, adjusted, rtol=1e-9, atol=0)).sum())
    if differ:
        notes.add(
            f"Workbench's Adjusted Signal differs from Signal in {differ} rows (it subtracted "
            "a background); the signal is Signal, and the curve's blank or zero calibrator "
            "accounts for the background; set wells.read to `adjusted` to fit Workbench's "
            "Adjusted Signal instead"
        )


def _vendor(
    table: WorkbenchTable,
    rows: np.ndarray,
    wells: np.ndarray,
    analyte: np.ndarray,
    signal_column: str,
) -> ColumnTable:
    parts: list[ColumnTable] = []
    detection = np.array([_norm(t) for t in table.get(_DETECTION)[rows].tolist()], dtype=object)
    columns = dict(_VENDOR)
    if signal_column == _SIGNAL and table.has(_ADJUSTED):
        columns[_ADJUSTED] = "adjusted_signal"
    for column, quantity in columns.items():
        if not table.has(column):
            continue
        part = vendor_table(
            analyte,
            wells,
            np.full(len(rows), quantity, dtype=object),
            table.get(column)[rows],
        )
        if quantity in _CONCENTRATIONS:
            _out_of_range(part, detection)
            part.columns["basis"] = np.full(len(part), VendorBasis.SAMPLE, dtype=object)
        parts.append(part)
    parts.append(_r_squared(table, rows, analyte))
    names = list(parts[0].columns)
    return ColumnTable(stacked([part.columns for part in parts], names), sum(map(len, parts)))


def _out_of_range(part: ColumnTable, detection: np.ndarray) -> None:
    """Concentrations Workbench calls above or below its range (`Detection Range`):
    token `oor_high` or `oor_low`, their number kept, so only in-range values are
    compared with assaypipe's (in place)."""
    above = np.array([text.startswith("above") for text in detection.tolist()], dtype=bool)
    below = np.array([text.startswith("below") for text in detection.tolist()], dtype=bool)
    token = np.array(part.columns["token"], dtype=object)
    token[above] = "oor_high"
    token[below] = "oor_low"
    part.columns["token"] = token


def _r_squared(table: WorkbenchTable, rows: np.ndarray, analyte: np.ndarray) -> ColumnTable:
    """Workbench's R² of each assay's curve (repeated on each of its rows): once."""
    if not table.has(_R_SQUARED):
        empty = np.array([], dtype=object)
        return vendor_table(empty, empty, empty, empty)
    texts = table.get(_R_SQUARED)[rows]
    first = ~_repeats(analyte.tolist())
    return vendor_table(
        analyte[first],
        np.full(int(first.sum()), None, dtype=object),
        np.full(int(first.sum()), "r_squared", dtype=object),
        texts[first],
    )


def read_workbench(
    tables: list[Table], header: ReaderHeader, options: ReadOptions, file: str
) -> list[ParsedPlate]:
    """Every plate table of one export."""
    if not tables:
        raise InputError(file, "no Workbench data table (a header row with Sample and Well)")
    made = [WorkbenchTable.create(table, file) for table in tables]
    names = _plate_names([table.plate for table in made])
    many = len(made) > 1
    return [
        compose(table, header, options, file, name if many else "")
        for table, name in zip(made, names, strict=True)
    ]


def _plate_names(plates: list[str]) -> list[str]:
    names: list[str] = []
    for position, plate in enumerate(plates, start=1):
        base = plate or f"Plate {position}"
        candidate, count = base, 1
        while candidate in names:
            count += 1
            candidate = f"{base} ({count})"
        names.append(candidate)
    return names


def _text_rows(text: str) -> list[tuple[str, ...]]:
    """Each line's cells. A line is one row: a stray double quote (an odd number of them
    on a line) would otherwise open a cell that runs over the lines after it, to the end
    of the file, and those rows would be lost."""
    lines = text.splitlines()
    header = next((line for line in lines[:10] if "well" in line.casefold()), "")
    delimiter = max((",", "\t", ";"), key=header.count)
    return [line_cells(line, delimiter) for line in lines]


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    if source.kind == "workbook":
        tables: list[Table] = []
        header = ReaderHeader()
        for sheet in source.sheets:
            rows = list(sheet.rows)
            found = split_tables(rows, f"sheet {sheet.name} row {{}}")
            tables += found
            if not found and header == ReaderHeader():
                header = ReaderHeader.create(rows)
        return read_workbench(tables, header, options, source.file)
    plates = read_workbench(
        split_tables(_text_rows(source.text)), ReaderHeader(), options, source.file
    )
    stray = stray_quotes(source.text, _MOST_LISTED)
    if stray is None:
        return plates
    return [replace(plate, warnings=(stray, *plate.warnings)) for plate in plates]


def _recognise(source: Source) -> bool:
    if source.kind == "workbook":
        return any(looks_like_workbench(list(sheet.rows)) for sheet in source.sheets)
    head = source.lines[:10]
    if not any("well" in line.casefold() and "signal" in line.casefold() for line in head):
        return False
    return looks_like_workbench(_text_rows("\n".join(head)))


MSD_WORKBENCH: Final = Format(
    name="msd_workbench",
    described="an MSD Discovery Workbench data table",
    software="MSD Discovery Workbench",
    export=(
        "data table (CSV or Excel): one row per well x spot with the assay, the ECL signal, "
        "calibrator concentrations and Workbench's calculated concentrations"
    ),
    versions="not stated in its exports (reader software MMPR 2.0.10)",
    plate_map="optional",
    recognised_by="a header row with `Sample`, `Well`, `Assay` or `Spot`, and `Signal`",
    kinds=("text", "workbook"),
    recognise=_recognise,
    read=_read,
)
