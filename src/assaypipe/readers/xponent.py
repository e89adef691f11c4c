"""Luminex xPONENT CSV exports (3.x, 4.x) and INTELLIFLEX exports into the wells table.

Three layers, each testable alone:

1. `split_export` only cuts the CSV into the header rows and `DataType:` blocks.
2. `XponentHeader`, `WellBlock`, `ReagentBlock` and `AnalyteBlock` are small frozen
   records whose `create` checks one block (well locations, duplicates, numbers).
3. `compose` joins the checked blocks into one row per well x analyte; `vendor_results`
   collects what xPONENT computed itself (Result, Analysis Types/Coefficients, R^2).

The same code reads comma-separated exports (quoted or not, Excel re-saves padded
with trailing commas, 0-3 blank lines between blocks) and the semicolon-separated,
comma-decimal exports of European Windows locales.

Truncation shows in three ways, each an InputError: no closing `-- CRC --` line,
fewer distinct samples in the signal block than the header's `Samples` count, or a
per-well block (Count, Net MFI, Result, Dilution Factor, ...) that lists other wells
than the signal block.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers.cells import classify_texts, vendor_columns, vendor_frame, wells_frame
from assaypipe.readers.parsed import ParsedPlate
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import DEFAULT_RULE, RoleRule

__all__ = [
    "INTELLIFLEX",
    "XPONENT",
    "AnalyteBlock",
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
    "vendor_results",
]

SIGNAL_BLOCKS: Final = {"median": ("Median", "Median MFI"), "net_mfi": ("Net MFI", "Net MFI")}
_NOT_ANALYTES: Final = frozenset({"total events"})
# "1(1,A1)": acquisition order, then (plate, well); some exports write just "A1".
_LOCATION: Final = re.compile(
    r"^(?:\d+\s*\(\s*(?P<plate>\d+)\s*,\s*)?(?P<row>[A-Pa-p])\s*0?(?P<col>\d{1,2})\s*\)?$"
)
_PROGRAM: Final = re.compile(r'^\s*"?Program"?\s*([,;])\s*"?xPONENT"?', re.IGNORECASE)
_DECIMAL_COMMA: Final = re.compile(r"(?<=\d),(?=\d)")


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

    @property
    def decimal_comma(self) -> bool:
        return self.delimiter == ";"

    def block(self, name: str) -> RawBlock | None:
        """The first block of that DataType name (case-insensitive), if any."""
        wanted = name.casefold()
        return next((b for b in self.blocks if b.name.casefold() == wanted), None)


def looks_like_xponent(lines: list[str]) -> bool:
    return any(_PROGRAM.match(line) for line in lines[:50])


def _instrument(lines: list[str]) -> str:
    """The instrument the `Program` line names (its fourth cell), or ""."""
    line = next((line for line in lines[:50] if _PROGRAM.match(line)), "")
    cells = next(csv.reader([line], delimiter=delimiter_of([line])), [])
    return cells[3].strip() if len(cells) > 3 else ""


def _is_intelliflex(instrument: str) -> bool:
    return "intelliflex" in instrument.casefold()


def delimiter_of(lines: list[str]) -> str:
    """`;` for exports of European locales, else `,`, read from the Program line."""
    match = next((m for line in lines[:50] if (m := _PROGRAM.match(line))), None)
    return match.group(1) if match else ","


def split_export(text: str, delimiter: str = ",") -> XponentFile:
    """Cut an xPONENT CSV into its header rows and its `DataType:` blocks.

    Blank rows (all cells empty, as Excel re-saves leave them) are dropped; rows keep
    their trailing empty cells, which the next layer ignores.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header_rows: list[tuple[str, ...]] = []
    # Each block collects (row, line number); the first row is the block's own header.
    openings: list[tuple[str, int]] = []
    contents: list[list[tuple[tuple[str, ...], int]]] = []
    in_results = False
    has_crc = False
    try:
        for raw_row in reader:
            if not "".join(raw_row).strip():
                continue
            row = tuple(raw_row)
            first = row[0].strip()
            if first.startswith("--") and first.endswith("--"):
                # "-- CRC --" and its checksum close the export; nothing after is data.
                has_crc = True
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
    except csv.Error:
        # Only an unterminated quote at the very end makes csv fail: the file was cut.
        has_crc = False
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
    return XponentFile(
        header_rows=tuple(header_rows),
        blocks=blocks,
        delimiter=delimiter,
        has_crc=has_crc,
        last_line=reader.line_num,
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
        if "Samples" in values and not samples.isdecimal():
            raise InputError(
                file, f"the header's Samples line should give a count, found {samples!r}"
            )
        run_time = first("BatchStartTime") or " ".join(values.get("Date", ())[:2])
        return cls(
            software="xPONENT",
            instrument=program[1] if len(program) > 1 else "",
            software_version=first("Build"),
            serial_number=first("SN"),
            batch=first("Batch"),
            run_time=run_time,
            kit_lot=_kit_lot(rows),
            n_samples=int(samples) if samples else None,
        )


def _kit_lot(rows: tuple[tuple[str, ...], ...]) -> str:
    """The kit's lot number from `AssayLotInfo:`, else the standards' lot numbers."""
    cells = [tuple(cell.strip() for cell in row) for row in rows]
    starts = [i for i, row in enumerate(cells) if row[0] == "AssayLotInfo:"]
    if not starts:
        return ""
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
        width = max([len(header), *(len(row) for row in raw.rows)])
        grid = np.array([row + ("",) * (width - len(row)) for row in raw.rows], dtype=object)
        grid = grid.reshape(len(raw.rows), width)
        named = [i for i in range(2, len(header)) if header[i]]
        columns = [i for i in named if header[i].casefold() not in _NOT_ANALYTES]
        unnamed = [i for i in range(2, width) if i >= len(header) or not header[i]]
        if unnamed and len(raw.rows):
            filled = next(
                (
                    (row, column)
                    for row, cells in enumerate(grid[:, unnamed].tolist())
                    for column, cell in enumerate(cells)
                    if str(cell).strip()
                ),
                None,
            )
            if filled is not None:
                row, column = filled
                raise InputError(
                    file,
                    f"column {unnamed[column] + 1} of the {raw.name} block has values but no "
                    "analyte name in the block's header row; the header looks damaged",
                    where=f"line {raw.row_lines[row]}",
                )
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
        return cls(
            name=raw.name,
            analytes=tuple(names),
            wells=tuple(wells),
            samples=tuple(str(sample).strip() for sample in grid[:, 1]) if width > 1 else (),
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
    """
    location = _location(text)
    if location is None:
        raise InputError(
            file,
            f"expected a well location like 1(1,A1), found {text!r}",
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
    return match.group("plate") or "1", f"{match.group('row').upper()}{column}"


# --- layer 3: compose --------------------------------------------------------------


def read_xponent(
    text: str,
    source_file: str,
    signal: str = "median",
    rule: RoleRule = DEFAULT_RULE,
) -> ParsedPlate:
    """Wells (unvalidated), run metadata and vendor results of one xPONENT export's text."""
    lines = text.splitlines()
    parsed = split_export(text, delimiter_of(lines))
    header = XponentHeader.create(parsed.header_rows, source_file)
    if not parsed.has_crc:
        raise InputError(
            source_file,
            f"the file ends at line {parsed.last_line} without xPONENT's closing "
            "`-- CRC --` line, so it is incomplete; wait until it is fully copied, or "
            "export it again",
        )
    wells, main = compose(parsed, signal, source_file, rule)
    _check_complete(parsed, main, header, source_file)
    instrument = header.instrument
    meta = {
        "format": INTELLIFLEX.name if _is_intelliflex(instrument) else XPONENT.name,
        "instrument": instrument,
        "software": header.software,
        "software_version": header.software_version,
        "serial_number": header.serial_number,
        "batch": header.batch,
        "run_time": header.run_time,
        "kit_lot": header.kit_lot,
        "unit": _unit(parsed, main.analytes),
    }
    return ParsedPlate(wells=wells, meta=meta, vendor=vendor_results(parsed, main, source_file))


def compose(
    parsed: XponentFile, signal: str, source_file: str, rule: RoleRule = DEFAULT_RULE
) -> tuple[pd.DataFrame, WellBlock]:
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

    raw_text = main.cells.ravel()
    tokens, values = classify_texts(raw_text.tolist(), decimal_comma=parsed.decimal_comma)

    roles = [rule.classify(sample) for sample in main.samples]
    role = np.array([r for r, _ in roles], dtype=object)
    level = pd.array([lv for _, lv in roles], dtype="Int64")
    sample_name = np.array(main.samples, dtype=object)
    sample_id = sample_name.copy()
    sample_id[~np.isin(role, ["sample", "control"])] = None

    wells = wells_frame(
        n_wells * n_analytes,
        well=np.repeat(np.array(main.wells, dtype=object), n_analytes),
        analyte=np.tile(np.array(main.analytes, dtype=object), n_wells),
        role=np.repeat(role, n_analytes),
        sample_name=np.repeat(sample_name, n_analytes),
        sample_id=np.repeat(sample_id, n_analytes),
        level=level.repeat(n_analytes),
        expected_conc=_expected(parsed, main, roles, rule).ravel(),
        dilution=np.repeat(_dilution(parsed, main, source_file), n_analytes),
        signal=values,
        signal_kind=signal_kind,
        bead_count=_bead_counts(parsed, main, source_file),
        raw_text=raw_text,
        token=tokens,
    )
    return wells, main


def vendor_results(parsed: XponentFile, main: WellBlock, source_file: str) -> pd.DataFrame:
    """xPONENT's own results: Result per well, and per analyte the fitted model.

    xPONENT's Logistic 5P is y = A + (B - A) / (1 + (x / C)^D)^F on Net MFI, which is
    the curve model of DESIGN.md with d = A, a = B, c = C, b = D, g = F (D is
    negative, so a is the response at infinite dose). Other models keep their
    coefficients as `param_<letter>`.
    """
    rows: list[tuple[str, str | None, str, str]] = []
    per_well = None
    raw_result = parsed.block("Result")
    if raw_result is not None:
        result = WellBlock.create(raw_result, source_file).aligned(main.wells, main.analytes)
        n_wells, n_analytes = result.shape
        per_well = vendor_columns(
            np.tile(np.array(main.analytes, dtype=object), n_wells),
            np.repeat(np.array(main.wells, dtype=object), n_analytes),
            np.full(result.size, "concentration", dtype=object),
            result.ravel(),
            decimal_comma=parsed.decimal_comma,
        )
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
    per_analyte = vendor_frame(rows, decimal_comma=parsed.decimal_comma)
    if per_well is None:
        return per_analyte
    return pd.concat([per_well, per_analyte], ignore_index=True)


def _check_complete(
    parsed: XponentFile, main: WellBlock, header: XponentHeader, source_file: str
) -> None:
    distinct = len(set(main.samples))
    # xPONENT counts distinct sample names (91 for drLumi's 96 wells); some writers
    # count wells. A truncated block falls short of both.
    if header.n_samples is not None and header.n_samples not in (distinct, len(main.wells)):
        raise InputError(
            source_file,
            f"the {main.name} block names {distinct} different samples but the header's "
            f"Samples line says {header.n_samples}; the file looks truncated or edited: "
            "export it again",
        )
    expected = set(main.wells)
    signal_block = parsed.block(main.name)
    locations = tuple(row[0].strip() for row in signal_block.rows) if signal_block else ()
    for raw in parsed.blocks:
        first = [cell.strip().casefold() for cell in raw.header[:2]]
        if first != ["location", "sample"] or raw.name.casefold().startswith("avg"):
            continue
        if raw is signal_block or not raw.rows:
            continue
        _check_analytes(raw, main, source_file)
        if tuple(row[0].strip() for row in raw.rows) == locations:
            # The same Location cells in the same order: the same wells, no need to parse.
            continue
        block = WellBlock.create(raw, source_file)
        # % Recovery lists the standards only; every other per-well block lists all wells.
        partial = "recovery" in raw.name.casefold()
        missing = [] if partial else sorted(expected - set(block.wells))
        extra = sorted(set(block.wells) - expected)
        if missing or extra:
            what = (
                f"has no row for well {missing[0]}, which the {main.name} block has"
                if missing
                else f"has well {extra[0]}, which the {main.name} block lacks"
            )
            raise InputError(
                source_file,
                f"the {raw.name} block {what}; the file looks truncated or edited: export it again",
                where=f"line {raw.line}",
            )


def _check_analytes(raw: RawBlock, main: WellBlock, source_file: str) -> None:
    """Every per-well block of analytes names the signal block's analytes: a header cell
    damaged in one block would otherwise add or drop an analyte without a word."""
    names = [cell.strip() for cell in raw.header[2:] if cell.strip()]
    if names == ["Dilution Factor"]:
        return
    analytes = {name for name in names if name.casefold() not in _NOT_ANALYTES}
    expected = set(main.analytes)
    if analytes != expected:
        odd = sorted(analytes ^ expected)[0]
        where = "has analyte" if odd in analytes else "lacks analyte"
        raise InputError(
            source_file,
            f"the {raw.name} block {where} {odd!r} but the {main.name} block "
            f"{'does not' if odd in analytes else 'has it'}; the header looks damaged: "
            "export it again",
            where=f"line {raw.header_line}",
        )


def _unit(parsed: XponentFile, analytes: tuple[str, ...]) -> str:
    raw = parsed.block("Units")
    if raw is None:
        return ""
    units = AnalyteBlock.create(raw)
    found = [units.value("Units:", analyte) for analyte in analytes]
    return "; ".join(dict.fromkeys(unit for unit in found if unit))


def _bead_counts(parsed: XponentFile, main: WellBlock, source_file: str) -> pd.arrays.IntegerArray:
    raw = parsed.block("Count")
    if raw is None:
        return pd.array([pd.NA] * main.cells.size, dtype="Int64")
    counts = WellBlock.create(raw, source_file).aligned(main.wells, main.analytes)
    number = _numbers(counts.ravel(), parsed.decimal_comma)
    # A count is whole; anything else (NaN, a fraction) is not a usable count.
    whole = np.isfinite(number) & (number == np.round(number)) & (np.abs(number) < 2**53)
    return pd.array(np.where(whole, number, np.nan), dtype="Int64")


def _dilution(parsed: XponentFile, main: WellBlock, source_file: str) -> np.ndarray:
    raw = parsed.block("Dilution Factor")
    if raw is None:
        return np.ones(len(main.wells))
    block = WellBlock.create(raw, source_file)
    text = np.array(
        [str(cell).strip() for cell in block.aligned(main.wells, block.analytes[:1])[:, 0]]
    )
    number = _numbers(text, parsed.decimal_comma)
    blank = text == ""
    bad = ~blank & ~(np.isfinite(number) & (number > 0))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        well = main.wells[index]
        where = f"line {block.lines[block.wells.index(well)]}" if well in block.wells else None
        raise InputError(
            source_file,
            f"well {well} has dilution factor {str(text[index])!r}; expected a number above 0",
            where=where,
        )
    # xPONENT leaves the factor blank for undiluted wells (standards, blanks).
    return np.where(blank, 1.0, number)


def _numbers(cells: np.ndarray, decimal_comma: bool = False) -> np.ndarray:
    text = [str(cell).strip() for cell in cells.tolist()]
    if decimal_comma:
        text = [_DECIMAL_COMMA.sub(".", cell) if "," in cell else cell for cell in text]
    number = np.asarray(pd.to_numeric(np.array(text, dtype=object), errors="coerce"), dtype=float)
    return np.where(np.isfinite(number), number, np.nan)


def _expected(
    parsed: XponentFile, main: WellBlock, roles: list[tuple[str, int | None]], rule: RoleRule
) -> np.ndarray:
    expected = np.full((len(main.wells), len(main.analytes)), np.nan)
    blocks = {
        "standard": parsed.block("Standard Expected Concentration"),
        "control": parsed.block("Control Expected Concentration"),
    }
    reagents = {
        role: ReagentBlock.create(raw, parsed.decimal_comma)
        for role, raw in blocks.items()
        if raw is not None
    }
    for i, (sample, (role, level)) in enumerate(zip(main.samples, roles, strict=True)):
        table = reagents.get(role)
        row = table.lookup(sample, role, level, rule) if table is not None else None
        if table is not None and row is not None:
            expected[i] = table.aligned(row, main.analytes)
    return expected


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return [read_xponent(source.text, source.file, options.signal, options.rule)]


def _recognise_xponent(source: Source) -> bool:
    return looks_like_xponent(source.lines) and not _is_intelliflex(_instrument(source.lines))


def _recognise_intelliflex(source: Source) -> bool:
    return looks_like_xponent(source.lines) and _is_intelliflex(_instrument(source.lines))


XPONENT: Final = Format(
    name="xponent",
    described="an xPONENT CSV",
    software="Luminex xPONENT",
    export="CSV, comma or semicolon/decimal comma (European locales), quoted or Excel re-saved",
    versions="3.1 (LX100/200), 4.3 (FLEXMAP 3D)",
    plate_map="optional",
    recognised_by="a `Program,xPONENT` line (or `Program;xPONENT`)",
    kinds=("text",),
    recognise=_recognise_xponent,
    read=_read,
)
INTELLIFLEX: Final = Format(
    name="intelliflex",
    described="an INTELLIFLEX CSV",
    software="Luminex INTELLIFLEX",
    export="xPONENT-style CSV",
    versions="2.1",
    plate_map="optional",
    recognised_by="the same, instrument `Intelliflex`",
    kinds=("text",),
    recognise=_recognise_intelliflex,
    read=_read,
)
