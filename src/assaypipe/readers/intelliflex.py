"""Luminex INTELLIFLEX exports into the wells table: the xPONENT-style long CSV and the
wide CSV with one row per well.

The long export (`Program,xPONENT,,Intelliflex` and `DataType:` blocks) is xPONENT's
and is read by `readers.xponent`. The wide export has one header row, then one row per
well: run columns (`MODEL NAME`, `SERIAL NUMBER`, `SOFTWARE VERSION`, `PLATE NAME`,
`PLATE START`, ...), well columns (`WELL LOCATION`, `WELL TYPE`, `WELL STATUS`,
`SAMPLE ID`, `DILUTION`) and, per bead region and reporter, a column per statistic
named `R25: RP1 MEDIAN`, `R25: RP1 COUNT`, `R25: RP1 NET MEDIAN`, ... It may end with a
`--DOCUMENT SIGNATURE--` section, which is not data.

Three layers, as for xPONENT:

1. `split_wide` only cuts the file into its header row and well rows.
2. `WideColumns` sorts the header into run, well and region columns; `WideWells`
   checks the well columns of one plate (locations, repeats, roles, dilutions).
3. `read_wide` composes one plate per `PLATE NAME`: wells x analytes, run metadata,
   the software's own per-well results (`vendor_results`) and the warnings.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers.cells import (
    classify_texts,
    line_cells,
    parse_well,
    parsed_numbers,
    vendor_table,
    well_order,
    wells_columns,
    whole_numbers,
)
from assaypipe.readers.cells import listed as listed_places
from assaypipe.readers.columns import ColumnTable
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.readers.xponent import instrument_of, looks_like_xponent, read_xponent
from assaypipe.roles import DEFAULT_RULE, RoleRule, level_number
from assaypipe.vocabulary import Role

__all__ = [
    "INTELLIFLEX",
    "WideColumns",
    "WideFile",
    "WideWells",
    "looks_like_wide",
    "read_wide",
    "split_wide",
]

# options.signal -> (the region column read, wells.signal_kind)
SIGNAL_FIELDS: Final = {"median": ("MEDIAN", "Median MFI"), "net_mfi": ("NET MEDIAN", "Net MFI")}
# Bead statistics of the acquisition; every other region column is something the
# software computed from them (background, net and normalised medians, the replicates'
# average and CV), kept in vendor_results.
_MEASURED: Final = frozenset(
    {
        "ANALYTE NAME",
        "REGION",
        "MEDIAN",
        "MEAN",
        "COUNT",
        "%CV",
        "PEAK",
        "STANDARD DEVIATION",
        "STD DEV",
        "TRIMMED MEAN",
        "TRIMMED PEAK",
        "TRIMMED %CV",
        "TRIMMED STANDARD DEVIATION",
        "TRIMMED STD DEV",
    }
)
# WELL TYPE: U1 (unknown), S1 (standard), C1 (control), B (background).
_WELL_TYPES: Final = {
    "u": Role.SAMPLE,
    "unknown": Role.SAMPLE,
    "s": Role.STANDARD,
    "std": Role.STANDARD,
    "standard": Role.STANDARD,
    "c": Role.CONTROL,
    "ctrl": Role.CONTROL,
    "control": Role.CONTROL,
    "b": Role.BLANK,
    "bg": Role.BLANK,
    "background": Role.BLANK,
    "blank": Role.BLANK,
}
_WELL_TYPE: Final = re.compile(r"^(?P<kind>[A-Za-z]+?)\s*(?P<level>\d*)$")
_REGION: Final = re.compile(r"^(?P<region>R\d+\s*:\s*RP\d+)\s+(?P<field>\S.*)$", re.IGNORECASE)
_BUNDLE: Final = re.compile(r"Bundle\s*-\s*(?P<version>[\w.]+)", re.IGNORECASE)
_DONE: Final = frozenset({"", "completed", "complete", "acquired", "ok", "n/a"})
_NOT_VALUES: Final = frozenset({"", "nan", "n/a"})
_SHOWN: Final = 6


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class WideFile:
    """The header row and the well rows of a wide export, cells still text."""

    header: tuple[str, ...]
    header_line: int
    rows: tuple[tuple[str, ...], ...]
    row_lines: tuple[int, ...]
    # the lines with text above the header row (not read): their cells and line numbers
    above: tuple[tuple[tuple[str, ...], int], ...] = ()


def _delimiter(line: str) -> str:
    """The delimiter that makes `WELL LOCATION` a cell of the header row."""
    for delimiter in (",", ";", "\t"):
        cells = line_cells(line, delimiter)
        if any(_name(cell) == "WELL LOCATION" for cell in cells):
            return delimiter
    return ","


def looks_like_wide(lines: list[str]) -> bool:
    """A header row with `WELL LOCATION` and an `R<n>: RP<n> MEDIAN` column, in the
    first lines (lines above it are read past, with a warning)."""
    return _header_index(lines) is not None


# The lines a wide export's header row is looked for in: other lines above it (a title
# a lab added, a damaged line) are named in a warning, not taken for the header.
HEADER_WITHIN = 10


def _header_index(lines: Sequence[str]) -> int | None:
    """The index of the wide header row among the first HEADER_WITHIN lines, if any."""
    for index, line in enumerate(lines[:HEADER_WITHIN]):
        upper = line.upper()
        if "WELL LOCATION" not in upper or "MEDIAN" not in upper:
            continue
        cells = line_cells(line, _delimiter(line))
        if any(
            (match := _REGION.match(cell.strip())) and _name(match.group("field")) == "MEDIAN"
            for cell in cells
        ):
            return index
    return None


def split_wide(text: str) -> WideFile:
    """The header row and every well row up to a `--...--` line (the signature section
    INTELLIFLEX appends); blank rows are dropped."""
    # Lines as Source.lines cuts them: a lone CR ends a line here too.
    lines = text.splitlines()
    start = _header_index(lines) or 0
    first = next((line for line in lines[start:] if line.strip()), "")
    delimiter = _delimiter(first)
    above = tuple(
        (line_cells(line, delimiter), n)
        for n, line in enumerate(lines[:start], start=1)
        if line.strip()
    )
    reader = csv.reader(lines[start:], delimiter=delimiter)
    header: tuple[str, ...] = ()
    header_line = 0
    rows: list[tuple[str, ...]] = []
    row_lines: list[int] = []
    for raw_row in reader:
        if not "".join(raw_row).strip():
            continue
        if raw_row[0].strip().startswith("--"):
            break
        if not header:
            header, header_line = tuple(raw_row), start + reader.line_num
            continue
        rows.append(tuple(raw_row))
        row_lines.append(start + reader.line_num)
    return WideFile(header, header_line, tuple(rows), tuple(row_lines), above)


def _name(text: str) -> str:
    return " ".join(text.split()).upper()


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class WideColumns:
    """Where each column of the header row is: run and well columns by name, region
    columns by region (`R25: RP1`) and statistic (`MEDIAN`)."""

    named: dict[str, int]
    regions: dict[str, dict[str, int]]

    @classmethod
    def create(cls, header: tuple[str, ...], file: str, line: int) -> WideColumns:
        named: dict[str, int] = {}
        regions: dict[str, dict[str, int]] = {}
        for index, cell in enumerate(header):
            match = _REGION.match(cell.strip())
            if match:
                region = " ".join(match.group("region").upper().replace(":", ": ").split())
                regions.setdefault(region, {}).setdefault(_name(match.group("field")), index)
            elif cell.strip():
                named.setdefault(_name(cell), index)
        if "WELL LOCATION" not in named:
            raise InputError(file, "the header row has no WELL LOCATION column", f"line {line}")
        return cls(named=named, regions=regions)

    def cell(self, row: tuple[str, ...], name: str) -> str:
        index = self.named.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""


@dataclass(frozen=True, eq=False)
class WideWells:
    """The wells of one plate: location, role, level, sample name and dilution, in the
    order of the file, each well once."""

    wells: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    roles: tuple[str, ...]
    levels: tuple[int | None, ...]
    names: tuple[str, ...]
    dilutions: np.ndarray

    @classmethod
    def create(
        cls,
        rows: list[tuple[tuple[str, ...], int]],
        columns: WideColumns,
        file: str,
        rule: RoleRule,
        notes: Warnings,
    ) -> WideWells:
        seen: dict[str, int] = {}
        kept: list[tuple[tuple[str, ...], int, str]] = []
        for row, line in rows:
            text = columns.cell(row, "WELL LOCATION")
            well = parse_well(text)
            if well is None:
                raise InputError(
                    file,
                    f"expected a well like A1 in WELL LOCATION, found {text!r}",
                    f"line {line}",
                )
            if well in seen:
                notes.add(
                    f"well {well} appears twice (lines {seen[well]} and {line}); the first is read",
                    where=f"line {line}",
                )
                continue
            seen[well] = line
            kept.append((row, line, well))
        roles: list[str] = []
        levels: list[int | None] = []
        names: list[str] = []
        unknown_types: dict[str, None] = {}
        for row, _, _ in kept:
            well_type = columns.cell(row, "WELL TYPE")
            name = columns.cell(row, "SAMPLE ID")
            role, level = _role(well_type)
            if role is None:
                if well_type:
                    unknown_types.setdefault(well_type)
                role, level = rule.classify(name)
            roles.append(role)
            levels.append(level)
            names.append(name if name.casefold() not in _NOT_VALUES else well_type)
        if unknown_types:
            notes.add(
                f"WELL TYPE {_listed(list(unknown_types))} is not one of U, S, C, B "
                "(unknown, standard, control, background); those wells take their role "
                "from the SAMPLE ID"
            )
        return cls(
            wells=tuple(well for _, _, well in kept),
            rows=tuple(row for row, _, _ in kept),
            lines=tuple(line for _, line, _ in kept),
            roles=tuple(roles),
            levels=tuple(levels),
            names=tuple(names),
            dilutions=_dilutions(kept, columns, notes),
        )


def _role(well_type: str) -> tuple[str | None, int | None]:
    """Role and level of a WELL TYPE such as `S3`; (None, None) when it names none."""
    match = _WELL_TYPE.match(well_type.strip())
    role = _WELL_TYPES.get(match.group("kind").casefold()) if match else None
    if match is None or role is None:
        return None, None
    level = match.group("level")
    return role, level_number(level) if level and role in (Role.STANDARD, Role.CONTROL) else None


def _dilutions(
    kept: list[tuple[tuple[str, ...], int, str]], columns: WideColumns, notes: Warnings
) -> np.ndarray:
    text = [columns.cell(row, "DILUTION") for row, _, _ in kept]
    number = parsed_numbers(text)
    blank = np.array([cell.casefold() in _NOT_VALUES for cell in text], dtype=bool)
    bad = ~blank & ~(np.isfinite(number) & (number > 0))
    if bad.any():
        index = np.flatnonzero(bad).tolist()
        listed = _listed([f"{kept[i][2]} {text[i]!r}" for i in index])
        notes.add(
            f"DILUTION {listed}: not a number above 0; read as undiluted (1): give the "
            "dilution in a plate map",
            where=f"line {kept[index[0]][1]}",
        )
    return np.where(blank | bad, 1.0, number)


def _above_header(wide: WideFile, columns: WideColumns) -> str:
    """The warning naming the lines above the header row, and those of them that name a
    well in the WELL LOCATION column (well rows moved above the header)."""
    places = [f"line {n}" for _, n in wide.above]
    one = len(places) == 1
    told = (
        f"{listed_places(places)} {'stands' if one else 'stand'} above the header row "
        f"(`WELL LOCATION`, ...) and {'is' if one else 'are'} not read"
    )
    rows = [n for cells, n in wide.above if parse_well(columns.cell(cells, "WELL LOCATION"))]
    if not rows:
        return told + ": not part of the export as INTELLIFLEX writes it"
    wells = listed_places([f"line {n}" for n in rows])
    return (
        f"{told}; {wells} {'is a well row' if len(rows) == 1 else 'are well rows'}, whose "
        "wells are not read (a line moved above the header); the file looks damaged"
    )


# --- layer 3: compose --------------------------------------------------------------


def read_wide(
    text: str, source_file: str, signal: str = "median", rule: RoleRule = DEFAULT_RULE
) -> list[ParsedPlate]:
    """Wells (unvalidated), run metadata, the software's per-well results and warnings
    of a wide INTELLIFLEX export: one `ParsedPlate` per PLATE NAME."""
    try:
        wide = split_wide(text)
    except csv.Error as error:
        raise InputError(source_file, f"the file is not a readable CSV ({error})") from None
    columns = WideColumns.create(wide.header, source_file, wide.header_line)
    field, signal_kind = SIGNAL_FIELDS[signal]
    analytes = [region for region, fields in columns.regions.items() if field in fields]
    if not analytes:
        raise InputError(
            source_file,
            f"no `R<region>: RP<reporter> {field}` column was found in the header row",
            where=f"line {wide.header_line}",
        )
    if not wide.rows:
        raise InputError(source_file, "the export has no well rows", f"line {wide.header_line}")
    notes = Warnings()
    if wide.above:
        notes.add(_above_header(wide, columns))
    lacking = [region for region in columns.regions if region not in analytes]
    if lacking:
        notes.add(
            f"{_listed(lacking)} {'has' if len(lacking) == 1 else 'have'} no {field} column; "
            f"{'it is' if len(lacking) == 1 else 'they are'} not read",
            where=f"line {wide.header_line}",
        )
    # Trailing cells under no header name (a row's closing comma) are not needed.
    width = max((i + 1 for i, name in enumerate(wide.header) if name.strip()), default=0)
    if len(wide.rows[-1]) < width:
        raise InputError(
            source_file,
            f"the file ends in the middle of a well row ({len(wide.rows[-1])} of {width} "
            "cells), so it is incomplete; wait until it is fully copied, or export it again",
            where=f"line {wide.row_lines[-1]}",
        )
    short = [line for row, line in zip(wide.rows, wide.row_lines, strict=True) if len(row) < width]
    if short:
        notes.add(
            f"{len(short)} well row{'s' if len(short) > 1 else ''} (first at line {short[0]}) "
            f"{'has' if len(short) == 1 else 'have'} fewer cells than the header row; the "
            "missing cells are read as empty"
        )
    long = [
        line
        for row, line in zip(wide.rows, wide.row_lines, strict=True)
        if any(cell.strip() for cell in row[width:])
    ]
    if long:
        notes.add(
            f"{len(long)} well row{'s' if len(long) > 1 else ''} (first at line {long[0]}) "
            f"{'has' if len(long) == 1 else 'have'} more cells than the header row, read up "
            "to its last column (the rest is not read; two lines may have run together)"
        )
    by_plate: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for row, line in zip(wide.rows, wide.row_lines, strict=True):
        by_plate.setdefault(columns.cell(row, "PLATE NAME"), []).append((row, line))
    several = len(by_plate) > 1
    plates: list[ParsedPlate] = []
    for plate_name, rows in by_plate.items():
        plate_notes = Warnings(notes.as_tuple())
        wells = WideWells.create(rows, columns, source_file, rule, plate_notes)
        names = _analyte_names(columns, analytes, wells, plate_notes)
        table = _compose(columns, analytes, names, wells, field, signal_kind, plate_notes)
        _note_statuses(columns, wells, plate_notes)
        plates.append(
            ParsedPlate(
                wells=table,
                meta=_meta(columns, wells.rows[0], plate_name),
                vendor=_vendor(columns, analytes, names, wells),
                name=plate_name if several else "",
                warnings=plate_notes.as_tuple(),
            )
        )
    return plates


def _analyte_names(
    columns: WideColumns, regions: list[str], wells: WideWells, notes: Warnings
) -> list[str]:
    """Each region's ANALYTE NAME as the file gives it, else the region itself
    (`R25: RP1`); `HPV6 (R25: RP2)` where two regions give the same name."""
    names: list[str] = []
    for region in regions:
        index = columns.regions[region].get("ANALYTE NAME")
        given = (
            list(
                dict.fromkeys(
                    cell
                    for row in wells.rows
                    if index < len(row)
                    and (cell := row[index].strip()).casefold() not in _NOT_VALUES
                )
            )
            if index is not None
            else []
        )
        if len(given) > 1:
            notes.add(
                f"{region} ANALYTE NAME differs between wells ({_listed(given)}); "
                f"the first, {given[0]!r}, is used"
            )
        names.append(given[0] if given else region)
    shared = {name for name in names if names.count(name) > 1}
    return [
        f"{name} ({region})" if name in shared else name
        for name, region in zip(names, regions, strict=True)
    ]


def _column(
    columns: WideColumns, rows: tuple[tuple[str, ...], ...], region: str, field: str
) -> list[str]:
    index = columns.regions[region].get(field)
    if index is None:
        return [""] * len(rows)
    return [row[index].strip() if index < len(row) else "" for row in rows]


def _compose(
    columns: WideColumns,
    regions: list[str],
    names: list[str],
    wells: WideWells,
    field: str,
    signal_kind: str,
    notes: Warnings,
) -> ColumnTable:
    """One row per well x analyte, wells in file order, analytes in header order."""
    n_wells, n_analytes = len(wells.wells), len(regions)
    # Well-major order: the texts of every region for well 1, then well 2, ...
    texts = np.array(
        [_column(columns, wells.rows, region, field) for region in regions], dtype=object
    ).T.ravel()
    tokens, values = classify_texts(texts.tolist())
    counts = np.array(
        [_column(columns, wells.rows, region, "COUNT") for region in regions], dtype=object
    ).T.ravel()
    number = parsed_numbers(counts.tolist())
    whole = np.isfinite(number) & (number == np.round(number)) & (np.abs(number) < 2**53)
    fractional = np.isfinite(number) & ~whole
    if fractional.any():
        first = int(np.flatnonzero(fractional)[0])
        notes.add(
            f"{int(fractional.sum())} COUNT values are not whole numbers (first: well "
            f"{wells.wells[first // n_analytes]}, {names[first % n_analytes]}: "
            f"{counts[first]!r}); they are read as no bead count"
        )
    role = np.array(wells.roles, dtype=object)
    sample_name = np.array(wells.names, dtype=object)
    sample_id = sample_name.copy()
    sample_id[~np.isin(role, [Role.SAMPLE, Role.CONTROL]) | (sample_name == "")] = None
    return wells_columns(
        n_wells * n_analytes,
        well=np.repeat(np.array(wells.wells, dtype=object), n_analytes),
        analyte=np.tile(np.array(names, dtype=object), n_wells),
        role=np.repeat(role, n_analytes),
        sample_name=np.repeat(sample_name, n_analytes),
        sample_id=np.repeat(sample_id, n_analytes),
        level=pd.array(list(wells.levels), dtype="Int64").repeat(n_analytes),
        dilution=np.repeat(wells.dilutions, n_analytes),
        signal=values,
        signal_kind=signal_kind,
        bead_count=whole_numbers(np.where(whole, number, np.nan)),
        raw_text=texts,
        token=tokens,
    )


def _vendor(
    columns: WideColumns, regions: list[str], names: list[str], wells: WideWells
) -> ColumnTable:
    """The region columns the software computed (BACKGROUND, NET MEDIAN, AVERAGE MFI,
    REPLICATE %CV, ...), one quantity each (`net_median`, `replicate_cv`, ...)."""
    analyte: list[str] = []
    well: list[str] = []
    quantity: list[str] = []
    text: list[str] = []
    for region, name in zip(regions, names, strict=True):
        for field in columns.regions[region]:
            if field in _MEASURED:
                continue
            cells = _column(columns, wells.rows, region, field)
            analyte += [name] * len(cells)
            well += list(wells.wells)
            quantity += [_quantity(field)] * len(cells)
            text += cells
    return vendor_table(
        np.array(analyte, dtype=object),
        np.array(well, dtype=object),
        np.array(quantity, dtype=object),
        np.array(text, dtype=object),
    )


def _quantity(field: str) -> str:
    """`NET MEDIAN` -> `net_median`, `REPLICATE %CV` -> `replicate_cv`."""
    return re.sub(r"[^a-z0-9]+", "_", field.casefold().replace("%cv", "cv")).strip("_")


def _note_statuses(columns: WideColumns, wells: WideWells, notes: Warnings) -> None:
    """The plate's and the wells' status as INTELLIFLEX reported them."""
    plate_status = [
        status
        for status in dict.fromkeys(columns.cell(row, "PLATE STATUS") for row in wells.rows)
        if status.casefold() not in _DONE
    ]
    if plate_status:
        notes.add(
            f"INTELLIFLEX reports the plate as {' / '.join(plate_status)} (PLATE STATUS): "
            "not every well may have been acquired"
        )
    by_status: dict[str, list[str]] = {}
    for row, well in zip(wells.rows, wells.wells, strict=True):
        status = columns.cell(row, "WELL STATUS")
        if status.casefold() not in _DONE:
            by_status.setdefault(status, []).append(well)
    if by_status:
        listed = "; ".join(
            f"{status} at {_listed(sorted(found, key=well_order), 'well')}"
            for status, found in by_status.items()
        )
        notes.add(f"INTELLIFLEX's WELL STATUS is not Completed for {listed}")


def _meta(columns: WideColumns, row: tuple[str, ...], plate_name: str) -> dict[str, str]:
    versions = columns.cell(row, "SOFTWARE VERSION")
    bundle = _BUNDLE.search(versions)
    return {
        "format": INTELLIFLEX.name,
        "instrument": columns.cell(row, "MODEL NAME") or columns.cell(row, "INSTRUMENT TYPE"),
        "software": "Luminex INTELLIFLEX",
        "software_version": bundle.group("version") if bundle else versions,
        "serial_number": columns.cell(row, "SERIAL NUMBER"),
        "batch": plate_name,
        "run_time": columns.cell(row, "PLATE START"),
        "kit_lot": "",
        "unit": "",
    }


def _listed(items: Iterable[str], noun: str = "") -> str:
    names = list(items)
    prefix = f"{noun}{'s' if len(names) > 1 else ''} " if noun else ""
    return prefix + listed_places(names, _SHOWN)


# --- the format ----------------------------------------------------------------------


def _is_long(source: Source) -> bool:
    return looks_like_xponent(source.lines) and (
        "intelliflex" in instrument_of(source.lines).casefold()
    )


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    if _is_long(source):
        return read_xponent(
            source.text, source.file, options.signal, options.rule, format_name=INTELLIFLEX.name
        )
    return read_wide(source.text, source.file, options.signal, options.rule)


def _recognise(source: Source) -> bool:
    return _is_long(source) or looks_like_wide(source.lines)


INTELLIFLEX: Final = Format(
    name="intelliflex",
    described="an INTELLIFLEX CSV",
    software="Luminex INTELLIFLEX",
    export="xPONENT-style CSV, or the wide CSV with one row per well",
    versions="2.0, 2.1",
    plate_map="optional",
    recognised_by=(
        "a `Program,xPONENT` line naming instrument `Intelliflex`, or a row in the first 10 lines "
        "with `WELL LOCATION` and `R<region>: RP<n> MEDIAN` columns"
    ),
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
