"""Luminex xPONENT CSV exports (3.x, 4.x, INTELLIFLEX) into the wells table.

Three layers, each testable alone:

1. `split_export` only cuts the CSV into the header rows and `DataType:` blocks.
2. `XponentHeader`, `WellBlock` and `ReagentBlock` are small frozen records whose
   `create` checks one block (well locations, duplicates, numbers).
3. `compose` joins the checked blocks into one row per well x analyte.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers import classify_cells
from assaypipe.roles import classify_name

__all__ = [
    "RawBlock",
    "ReagentBlock",
    "WellBlock",
    "XponentFile",
    "XponentHeader",
    "compose",
    "looks_like_xponent",
    "parse_location",
    "read_xponent",
    "split_export",
]

SIGNAL_BLOCKS: Final = {"median": ("Median", "Median MFI"), "net_mfi": ("Net MFI", "Net MFI")}
_NOT_ANALYTES: Final = frozenset({"", "total events"})
# "1(1,A1)": acquisition order, then (plate, well); some exports write just "A1".
_LOCATION: Final = re.compile(
    r"^(?:\d+\s*\(\s*(?P<plate>\d+)\s*,\s*)?(?P<row>[A-Pa-p])\s*0?(?P<col>\d{1,2})\s*\)?$"
)


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

    def block(self, name: str) -> RawBlock | None:
        """The first block of that DataType name (case-insensitive), if any."""
        wanted = name.casefold()
        return next((b for b in self.blocks if b.name.casefold() == wanted), None)


def looks_like_xponent(lines: list[str]) -> bool:
    return any(line.startswith(("Program,xPONENT", '"Program","xPONENT"')) for line in lines[:50])


def split_export(text: str) -> XponentFile:
    """Cut an xPONENT CSV into its header rows and its `DataType:` blocks.

    Blank rows (all cells empty, as Excel re-saves leave them) are dropped; rows keep
    their trailing empty cells, which the next layer ignores.
    """
    reader = csv.reader(io.StringIO(text))
    header_rows: list[tuple[str, ...]] = []
    # Each block collects (row, line number); the first row is the block's own header.
    openings: list[tuple[str, int]] = []
    contents: list[list[tuple[tuple[str, ...], int]]] = []
    in_results = False
    for raw_row in reader:
        if not "".join(raw_row).strip():
            continue
        row = tuple(raw_row)
        first = row[0].strip()
        if first.startswith("--") and first.endswith("--"):
            # "-- CRC --" and its checksum close the export; nothing after is data.
            break
        if first == "DataType:":
            openings.append((row[1].strip() if len(row) > 1 else "", reader.line_num))
            contents.append([])
            in_results = True
        elif contents:
            contents[-1].append((row, reader.line_num))
        elif first == "Results":
            in_results = True
        elif not in_results:
            header_rows.append(row)
    blocks = tuple(
        RawBlock(
            name=name,
            line=line,
            header=content[0][0] if content else (),
            header_line=content[0][1] if content else line,
            rows=tuple(row for row, _ in content[1:]),
            row_lines=tuple(number for _, number in content[1:]),
        )
        for (name, line), content in zip(openings, contents, strict=True)
    )
    return XponentFile(header_rows=tuple(header_rows), blocks=blocks)


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

        run_time = first("BatchStartTime") or " ".join(values.get("Date", ())[:2])
        return cls(
            software="xPONENT",
            instrument=program[1] if len(program) > 1 else "",
            software_version=first("Build"),
            serial_number=first("SN"),
            batch=first("Batch"),
            run_time=run_time,
        )


@dataclass(frozen=True, eq=False)
class WellBlock:
    """A per-well block (`Location,Sample,<columns>`), one row per well.

    `cells` holds the text of each cell, one row per well and one column per
    analyte (or the one `Dilution Factor` column).
    """

    name: str
    analytes: tuple[str, ...]
    wells: tuple[str, ...]
    samples: tuple[str, ...]
    lines: tuple[int, ...]
    cells: np.ndarray

    @classmethod
    def create(cls, raw: RawBlock, file: str) -> WellBlock:
        header = [cell.strip() for cell in raw.header]
        if [cell.casefold() for cell in header[:2]] != ["location", "sample"]:
            raise InputError(
                file,
                f"the {raw.name} block should start with a `Location,Sample,...` row, "
                f"found {','.join(header[:3])!r}",
                where=f"line {raw.header_line}",
            )
        columns = [i for i in range(2, len(header)) if header[i].casefold() not in _NOT_ANALYTES]
        if not columns:
            raise InputError(
                file, f"the {raw.name} block names no analytes", where=f"line {raw.header_line}"
            )
        names = [header[i] for i in columns]
        repeated = next((name for name in names if names.count(name) > 1), None)
        if repeated is not None:
            raise InputError(
                file,
                f"analyte {repeated!r} appears twice in the {raw.name} block header; "
                "each analyte should have one column",
                where=f"line {raw.header_line}",
            )
        located = [
            parse_location(row[0], file, line)
            for row, line in zip(raw.rows, raw.row_lines, strict=True)
        ]
        plates = sorted({plate for plate, _ in located}, key=int)
        if len(plates) > 1:
            raise InputError(
                file,
                f"the {raw.name} block holds wells of {len(plates)} plates "
                f"({', '.join(plates)}); export one plate per file",
            )
        wells = [well for _, well in located]
        seen: dict[str, int] = {}
        for well, line in zip(wells, raw.row_lines, strict=True):
            if well in seen:
                raise InputError(
                    file,
                    f"well {well} appears twice in the {raw.name} block "
                    f"(lines {seen[well]} and {line}); each well should appear once",
                    where=f"line {line}",
                )
            seen[well] = line
        width = max([len(header), *(len(row) for row in raw.rows)])
        grid = np.array([row + ("",) * (width - len(row)) for row in raw.rows], dtype=object)
        grid = grid.reshape(len(raw.rows), width)
        return cls(
            name=raw.name,
            analytes=tuple(names),
            wells=tuple(wells),
            samples=tuple(str(sample).strip() for sample in grid[:, 1]),
            lines=raw.row_lines,
            cells=grid[:, columns],
        )

    def aligned(self, wells: tuple[str, ...], analytes: tuple[str, ...]) -> np.ndarray:
        """Cell texts in the given well and analyte order; "" where this block has none."""
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
    def create(cls, raw: RawBlock) -> ReagentBlock:
        header = [cell.strip() for cell in raw.header]
        columns = [i for i in range(1, len(header)) if header[i]]
        rows = [row for row in raw.rows if row[0].strip()]
        width = max([len(header), *(len(row) for row in rows)])
        grid = np.array([row + ("",) * (width - len(row)) for row in rows], dtype=object)
        grid = grid.reshape(len(rows), width)[:, columns]
        numbers = pd.to_numeric(pd.Series(grid.ravel(), dtype="str"), errors="coerce")
        return cls(
            name=raw.name,
            analytes=tuple(header[i] for i in columns),
            reagents=tuple(row[0].strip() for row in rows),
            values=numbers.to_numpy(dtype=float).reshape(grid.shape),
        )

    def lookup(self, name: str, role: str, level: int | None) -> int | None:
        """Row of the reagent for a well: its exact name, else the one of its role and level.

        The fallback lets a well named `Std1` find the reagent row `Standard1`.
        """
        if name in self.reagents:
            return self.reagents.index(name)
        matches = [i for i, r in enumerate(self.reagents) if classify_name(r) == (role, level)]
        return matches[0] if len(matches) == 1 else None

    def aligned(self, row: int, analytes: tuple[str, ...]) -> np.ndarray:
        """One reagent's values in the given analyte order; NaN where it has none."""
        column_of = {analyte: j for j, analyte in reversed(list(enumerate(self.analytes)))}
        return np.array(
            [self.values[row, column_of[a]] if a in column_of else np.nan for a in analytes]
        )


def parse_location(text: str, file: str = "", line: int | None = None) -> tuple[str, str]:
    """Plate number and well of an xPONENT Location cell.

    >>> parse_location('1(1,A1)')
    ('1', 'A1')
    >>> parse_location('12(1,D2)')
    ('1', 'D2')
    """
    match = _LOCATION.match(text.replace(" ", ""))
    column = int(match.group("col")) if match else 0
    if match is None or not 1 <= column <= 24:
        raise InputError(
            file,
            f"expected a well location like 1(1,A1), found {text!r}",
            where=f"line {line}" if line is not None else None,
        )
    return match.group("plate") or "1", f"{match.group('row').upper()}{column}"


# --- layer 3: compose --------------------------------------------------------------


def read_xponent(
    text: str, source_file: str, sha256: str, plate_id: str, signal: str = "median"
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Wells table (unvalidated) and run metadata of one xPONENT export's text."""
    parsed = split_export(text)
    header = XponentHeader.create(parsed.header_rows, source_file)
    wells = compose(parsed, signal, source_file, sha256, plate_id)
    meta = {
        "format": "xponent",
        "instrument": header.instrument,
        "software": header.software,
        "software_version": header.software_version,
        "serial_number": header.serial_number,
        "batch": header.batch,
        "run_time": header.run_time,
    }
    return wells, meta


def compose(
    parsed: XponentFile, signal: str, source_file: str, sha256: str, plate_id: str
) -> pd.DataFrame:
    """One row per well x analyte from the signal, Count, Dilution and expected blocks."""
    block_name, signal_kind = SIGNAL_BLOCKS[signal]
    raw_signal = parsed.block(block_name)
    if raw_signal is None:
        present = ", ".join(b.name for b in parsed.blocks) or "none"
        raise InputError(
            source_file, f"no {block_name} block was found (blocks present: {present})"
        )
    main = WellBlock.create(raw_signal, source_file)
    n_wells, n_analytes = len(main.wells), len(main.analytes)
    if n_wells == 0:
        raise InputError(
            source_file, f"the {block_name} block has no wells", where=f"line {raw_signal.line}"
        )

    raw_text = pd.Series(main.cells.ravel(), dtype="str")
    tokens, values = classify_cells(raw_text)

    roles = [classify_name(sample) for sample in main.samples]
    role = np.array([r for r, _ in roles], dtype=object)
    level = pd.array([lv for _, lv in roles], dtype="Int64")
    sample_name = np.array(main.samples, dtype=object)
    sample_id = sample_name.copy()
    sample_id[~np.isin(role, ["sample", "control"])] = None

    return pd.DataFrame(
        {
            "plate_id": plate_id,
            "well": np.repeat(np.array(main.wells, dtype=object), n_analytes),
            "analyte": np.tile(np.array(main.analytes, dtype=object), n_wells),
            "analyte_raw": np.tile(np.array(main.analytes, dtype=object), n_wells),
            "role": np.repeat(role, n_analytes),
            "sample_name": np.repeat(sample_name, n_analytes),
            "sample_id": np.repeat(sample_id, n_analytes),
            "level": level.repeat(n_analytes),
            "expected_conc": _expected(parsed, main, roles).ravel(),
            "dilution": np.repeat(_dilution(parsed, main, source_file), n_analytes),
            "signal": values.to_numpy(),
            "signal_kind": signal_kind,
            "bead_count": _bead_counts(parsed, main, source_file),
            "raw_text": raw_text.to_numpy(),
            "token": tokens.to_numpy(),
            "concentration": np.nan,
            "censor": None,
            "flags": "",
            "source_file": source_file,
            "source_sha256": sha256,
        }
    )


def _bead_counts(parsed: XponentFile, main: WellBlock, source_file: str) -> pd.arrays.IntegerArray:
    raw = parsed.block("Count")
    if raw is None:
        return pd.array([pd.NA] * main.cells.size, dtype="Int64")
    counts = WellBlock.create(raw, source_file).aligned(main.wells, main.analytes)
    number = _numbers(counts.ravel())
    # A count is whole; anything else (NaN, a fraction) is not a usable count.
    whole = np.isfinite(number) & (number == np.round(number))
    return pd.array(np.where(whole, number, np.nan), dtype="Int64")


def _dilution(parsed: XponentFile, main: WellBlock, source_file: str) -> np.ndarray:
    raw = parsed.block("Dilution Factor")
    if raw is None:
        return np.ones(len(main.wells))
    block = WellBlock.create(raw, source_file)
    text = np.array(
        [str(cell).strip() for cell in block.aligned(main.wells, block.analytes[:1])[:, 0]]
    )
    number = _numbers(text)
    blank = text == ""
    bad = ~blank & ~(np.isfinite(number) & (number > 0))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        well = main.wells[index]
        line = block.lines[block.wells.index(well)]
        raise InputError(
            source_file,
            f"well {well} has dilution factor {str(text[index])!r}; expected a number above 0",
            where=f"line {line}",
        )
    # xPONENT leaves the factor blank for undiluted wells (standards, blanks).
    return np.where(blank, 1.0, number)


def _numbers(cells: np.ndarray) -> np.ndarray:
    return pd.to_numeric(pd.Series(cells, dtype="str"), errors="coerce").to_numpy(dtype=float)


def _expected(
    parsed: XponentFile, main: WellBlock, roles: list[tuple[str, int | None]]
) -> np.ndarray:
    expected = np.full((len(main.wells), len(main.analytes)), np.nan)
    blocks = {
        "standard": parsed.block("Standard Expected Concentration"),
        "control": parsed.block("Control Expected Concentration"),
    }
    reagents = {role: ReagentBlock.create(raw) for role, raw in blocks.items() if raw is not None}
    for i, (sample, (role, level)) in enumerate(zip(main.samples, roles, strict=True)):
        table = reagents.get(role)
        row = table.lookup(sample, role, level) if table is not None else None
        if table is not None and row is not None:
            expected[i] = table.aligned(row, main.analytes)
    return expected
