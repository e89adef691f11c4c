"""Plate-reader endpoint absorbance text exports (BioTek Gen5 style) into wells.

Three layers, as for xPONENT:

1. `split_export` cuts the tab-separated text into header lines and the Results grid.
2. `ReaderHeader` and `ResultsGrid` are frozen records whose `create` checks them.
3. `compose` turns the grid into one row per well; `read_platereader` applies the
   plate map, which is required because such an export names no roles or analytes.

With two wavelengths the signal is the first minus the second (reference) one,
`signal_kind` "OD450-630", `raw_text` "0.812|0.044"; with one it is the reading
itself, `signal_kind` "OD450".

Gen5 writes `MISSED` where the reader took no measurement of a well. That is not a
value out of range and not an empty cell the software chose to leave out, so it is
token `error` (signal NaN): the well stays in the table and QC reports it.
`OVRFLW` is token `overflow`, `?????` `error`, `<0.000`/`>4.000` `oor_low`/`oor_high`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers import classify_cells
from assaypipe.readers.platemap import apply_plate_map

__all__ = [
    "GridLine",
    "RawExport",
    "ReaderHeader",
    "ResultsGrid",
    "compose",
    "read_platereader",
    "split_export",
]

_ROWS: Final = "ABCDEFGHIJKLMNOP"
_WAVELENGTHS: Final = re.compile(r"Wavelengths?:\s*([\d\s,]+)", re.IGNORECASE)
# A grid line's last cell names what it holds: "450", "abs450:450", "Read 1:630".
_WAVELENGTH_LABEL: Final = re.compile(r"^(?:.*:)?\s*(\d{3,4})(?:\s*nm)?$", re.IGNORECASE)


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class RawExport:
    """Header `key<TAB>value` lines, procedure lines and the Results grid lines."""

    header: tuple[tuple[str, str, int], ...]
    procedure: tuple[str, ...]
    grid_header: tuple[str, ...]
    grid_header_line: int
    grid: tuple[tuple[tuple[str, ...], int], ...]
    n_results: int


def split_export(text: str, file: str) -> RawExport:
    """Cut the export into header, `Procedure Details` and the first Results grid."""
    lines = text.splitlines()
    header: list[tuple[str, str, int]] = []
    procedure: list[str] = []
    results_at = [i for i, line in enumerate(lines) if line.strip() == "Results"]
    if not results_at:
        raise InputError(file, "no Results section was found")
    section = "header"
    for number, line in enumerate(lines[: results_at[0]], start=1):
        stripped = line.strip()
        if stripped in ("Procedure Details", "Layout"):
            section = stripped
        elif section == "header" and stripped:
            cells = line.split("\t")
            header.append((cells[0].strip(), cells[1].strip() if len(cells) > 1 else "", number))
        elif section == "Procedure Details" and stripped:
            procedure.append(stripped)

    index = results_at[0] + 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index == len(lines):
        raise InputError(file, "the Results section is empty", where=f"line {results_at[0] + 1}")
    grid_header = tuple(lines[index].split("\t"))
    grid_header_line = index + 1
    grid: list[tuple[tuple[str, ...], int]] = []
    for number in range(index + 1, len(lines)):
        line = lines[number]
        if not line.strip():
            break
        grid.append((tuple(line.split("\t")), number + 1))
    return RawExport(
        header=tuple(header),
        procedure=tuple(procedure),
        grid_header=grid_header,
        grid_header_line=grid_header_line,
        grid=tuple(grid),
        n_results=len(results_at),
    )


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class ReaderHeader:
    software_version: str
    plate_number: str
    run_time: str
    reader_type: str
    serial_number: str
    wavelengths: tuple[int, ...]

    @classmethod
    def create(cls, raw: RawExport, file: str) -> ReaderHeader:
        values: dict[str, str] = {}
        plates = 0
        for key, value, _ in raw.header:
            name = key.rstrip(":").strip()
            plates += name == "Plate Number"
            values.setdefault(name, value)
        if plates > 1 or raw.n_results > 1:
            raise InputError(
                file, "the export holds several plates or reads; export one plate per file"
            )
        if any(line.startswith("Start Kinetic") for line in raw.procedure):
            raise InputError(
                file,
                "this is a kinetic read; assaypipe reads endpoint absorbance exports only",
            )
        wavelengths: tuple[int, ...] = ()
        for line in raw.procedure:
            match = _WAVELENGTHS.search(line)
            if match:
                wavelengths = tuple(int(w) for w in re.findall(r"\d+", match.group(1)))
                break
        return cls(
            software_version=values.get("Software Version", ""),
            plate_number=values.get("Plate Number", ""),
            run_time=" ".join(v for v in (values.get("Date", ""), values.get("Time", "")) if v),
            reader_type=values.get("Reader Type", ""),
            serial_number=values.get("Reader Serial Number", ""),
            wavelengths=wavelengths,
        )


@dataclass(frozen=True)
class GridLine:
    """One line of the Results grid: its plate row, cell texts and last-cell label."""

    row: str
    cells: tuple[str, ...]
    label: str
    line: int


@dataclass(frozen=True)
class ResultsGrid:
    """The Results grid: plate columns and, per wavelength, one line per plate row."""

    columns: tuple[int, ...]
    rows: tuple[str, ...]
    wavelengths: tuple[int, ...]
    readings: tuple[tuple[GridLine, ...], ...]

    @classmethod
    def create(cls, raw: RawExport, declared: tuple[int, ...], file: str) -> ResultsGrid:
        columns = _grid_columns(raw, file)
        lines = _grid_lines(raw, len(columns), file)
        rows = tuple(dict.fromkeys(line.row for line in lines))
        wavelengths = declared or tuple(
            dict.fromkeys(w for line in lines if (w := _label_wavelength(line.label)))
        )
        if not wavelengths:
            raise InputError(
                file, "the export does not say which wavelength was read (no `Wavelengths:`)"
            )
        if len(wavelengths) > 2:
            raise InputError(
                file,
                f"the export reads {len(wavelengths)} wavelengths "
                f"({', '.join(map(str, wavelengths))}); expected one, or one and a reference",
            )
        readings = tuple(
            tuple(_line_for(lines, row, position, wavelength, wavelengths, file) for row in rows)
            for position, wavelength in enumerate(wavelengths)
        )
        return cls(columns=columns, rows=rows, wavelengths=wavelengths, readings=readings)


def _grid_columns(raw: RawExport, file: str) -> tuple[int, ...]:
    cells = [cell.strip() for cell in raw.grid_header[1:]]
    while cells and not cells[-1]:
        cells.pop()
    if not cells or not all(cell.isdigit() and 1 <= int(cell) <= 24 for cell in cells):
        raise InputError(
            file,
            "the Results grid should start with a line of column numbers 1 to 12 (or 24), "
            f"found {'|'.join(cells[:4])!r}",
            where=f"line {raw.grid_header_line}",
        )
    columns = tuple(int(cell) for cell in cells)
    if len(set(columns)) != len(columns):
        raise InputError(
            file,
            "a column number appears twice in the Results grid header",
            where=f"line {raw.grid_header_line}",
        )
    return columns


def _grid_lines(raw: RawExport, width: int, file: str) -> list[GridLine]:
    lines: list[GridLine] = []
    row = ""
    started: dict[str, int] = {}
    for cells, number in raw.grid:
        letter = cells[0].strip().upper()
        if letter:
            if len(letter) != 1 or letter not in _ROWS:
                raise InputError(
                    file,
                    f"expected a plate row letter A to P, found {cells[0]!r}",
                    where=f"line {number}",
                )
            if letter in started:
                raise InputError(
                    file,
                    f"row {letter} appears twice in the Results grid "
                    f"(lines {started[letter]} and {number}); each row should appear once",
                    where=f"line {number}",
                )
            started[letter] = number
            row = letter
        elif not row:
            raise InputError(file, "the Results grid line names no plate row", f"line {number}")
        padded = tuple(cells[1:]) + ("",) * max(0, width + 1 - len(cells[1:]))
        lines.append(GridLine(row, padded[:width], padded[width].strip(), number))
    if not lines:
        raise InputError(file, "the Results grid has no rows", f"line {raw.grid_header_line}")
    return lines


def _label_wavelength(label: str) -> int | None:
    match = _WAVELENGTH_LABEL.match(label)
    return int(match.group(1)) if match else None


def _line_for(
    lines: list[GridLine],
    row: str,
    position: int,
    wavelength: int,
    wavelengths: tuple[int, ...],
    file: str,
) -> GridLine:
    own = [line for line in lines if line.row == row]
    labelled = [line for line in own if _label_wavelength(line.label) == wavelength]
    if labelled:
        return labelled[0]
    # Unlabelled lines are taken in the order the wavelengths are declared.
    unlabelled = [line for line in own if not line.label]
    if len(unlabelled) == len(wavelengths):
        return unlabelled[position]
    raise InputError(
        file,
        f"row {row} of the Results grid has no {wavelength} nm line",
        where=f"line {own[0].line}",
    )


# --- layer 3: compose --------------------------------------------------------------


def compose(grid: ResultsGrid, source_file: str, sha256: str, plate_id: str) -> pd.DataFrame:
    """One row per well, before the plate map gives roles and analytes."""
    texts = [
        np.array([line.cells for line in reading], dtype=object).ravel()
        for reading in grid.readings
    ]
    wells = np.array([f"{row}{column}" for row in grid.rows for column in grid.columns])
    first_tokens, first_values = classify_cells(pd.Series(texts[0], dtype="str"))
    if len(texts) == 2:
        second_tokens, second_values = classify_cells(pd.Series(texts[1], dtype="str"))
        # The well's token is the first that is not a plain number, so an unusable
        # reference reading is as visible as an unusable primary one.
        tokens = first_tokens.where(first_tokens != "numeric", second_tokens)
        signal = first_values - second_values
        raw_text = (
            pd.Series(texts[0], dtype="str").str.strip()
            + "|"
            + pd.Series(texts[1], dtype="str").str.strip()
        )
        kind = f"OD{grid.wavelengths[0]}-{grid.wavelengths[1]}"
    else:
        tokens, signal = first_tokens, first_values
        raw_text = pd.Series(texts[0], dtype="str").str.strip()
        kind = f"OD{grid.wavelengths[0]}"
    return pd.DataFrame(
        {
            "plate_id": plate_id,
            "well": wells,
            "analyte": "",
            "analyte_raw": "",
            "role": "sample",
            "sample_name": "",
            "sample_id": None,
            "level": pd.array([pd.NA] * len(wells), dtype="Int64"),
            "expected_conc": np.nan,
            "dilution": 1.0,
            "signal": signal.to_numpy(dtype=float),
            "signal_kind": kind,
            "bead_count": pd.array([pd.NA] * len(wells), dtype="Int64"),
            "raw_text": raw_text.to_numpy(),
            "token": tokens.to_numpy(),
            "concentration": np.nan,
            "censor": None,
            "flags": "",
            "source_file": source_file,
            "source_sha256": sha256,
        }
    )


def read_platereader(
    text: str,
    source_file: str,
    sha256: str,
    plate_id: str,
    plate_map: pd.DataFrame | None,
) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame]:
    """Wells table (unvalidated), run metadata and rejected wells of one export's text.

    A well with a reading but no row in the plate map has no role: it is not a well of
    the wells table, so it is listed as rejected (nothing read is dropped silently).
    """
    raw = split_export(text, source_file)
    header = ReaderHeader.create(raw, source_file)
    grid = ResultsGrid.create(raw, header.wavelengths, source_file)
    if plate_map is None:
        raise InputError(
            source_file,
            "this is a plate-reader export that does not name well roles; give it a plate map",
        )
    composed = compose(grid, source_file, sha256, plate_id)
    unmapped = sorted(set(composed["well"]) - set(plate_map["well"]), key=_well_order)
    rejected = pd.DataFrame(
        {
            "source_file": source_file,
            "where": [f"well {well}" for well in unmapped],
            "reason": [
                f"{source_file}: well {well}: has a reading but no row in the plate map, "
                "so its role is unknown; add it to the plate map if it holds anything"
                for well in unmapped
            ],
        },
        columns=["source_file", "where", "reason"],
    )
    wells = apply_plate_map(composed, plate_map)
    meta = {
        "format": "platereader",
        "instrument": header.reader_type,
        "software": "Gen5",
        "software_version": header.software_version,
        "serial_number": header.serial_number,
        "batch": header.plate_number,
        "run_time": header.run_time,
    }
    return wells, meta, rejected


def _well_order(well: str) -> tuple[str, int]:
    return well[0], int(well[1:])
