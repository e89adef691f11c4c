"""BioTek Gen5 endpoint text exports (absorbance plate readers) into wells.

Three layers, as for xPONENT:

1. `split_export` cuts the tab-separated text into header lines, procedure lines and
   the `Layout`, `Results` and `... Fitting Results` sections.
2. `ReaderHeader`, `PlateGrid` and `CurveTable` are frozen records whose `create`
   checks them (row letters, column numbers, duplicates, a complete plate).
3. `compose` turns the grid into one row per well, with roles from the Layout when
   the export has one (otherwise a plate map must give them).

Results grid lines are told apart by their last cell:

- a wavelength (`450`, `abs450:450`, `Read 1:630`, `450nm:450`) or nothing: a read;
  with two wavelengths the signal is the first minus the second (reference), with
  `signal_kind` `OD450-630` and `raw_text` `0.812|0.044`;
- `Blank 450nm:450`: Gen5's blank-subtracted read, not used (blanks are the curve
  engine's business);
- `[Concentration]`: Gen5's interpolated concentration, kept as a vendor result;
- anything else (a computed quantity such as `Mean V [420]`): ignored.

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
from assaypipe.readers.cells import ROW_LETTERS, classify_cells, vendor_frame, wells_frame
from assaypipe.readers.parsed import ParsedPlate
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import DEFAULT_RULE, RoleRule

__all__ = [
    "GEN5",
    "CurveTable",
    "GridLine",
    "PlateGrid",
    "RawExport",
    "ReaderHeader",
    "compose",
    "looks_like_gen5",
    "read_gen5",
    "split_export",
]

_WAVELENGTHS: Final = re.compile(r"Wavelengths?:\s*([\d\s,]+)", re.IGNORECASE)
# A read line's last cell names its wavelength: "450", "abs450:450", "Read 1:630".
_WAVELENGTH_LABEL: Final = re.compile(r"^(?:.*:)?\s*(\d{3,4})(?:\s*nm)?$", re.IGNORECASE)
_GRID_HEADER: Final = re.compile(r"^\t\s*1\s*\t\s*2\b")
_FITTING: Final = re.compile(r"fitting results\s*$", re.IGNORECASE)
_PLATE_SIZE: Final = re.compile(r"\b(96|384)\s*WELL", re.IGNORECASE)
# Gen5 numbers sample dilutions `SPL1:2`; the sample is SPL1.
_DILUTION_SUFFIX: Final = re.compile(r":\d+$")
_FOUR_PL: Final = "Y=(A-D)/(1+(X/C)^B)+D"
_FIVE_PL: Final = "Y=D+(A-D)/(1+(X/C)^B)^E"
_SECTIONS: Final = frozenset({"Procedure Details", "Layout", "Results"})


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class RawExport:
    """Header `key<TAB>value` lines, procedure lines and the grid sections' lines."""

    header: tuple[tuple[str, str, int], ...]
    procedure: tuple[str, ...]
    layout: tuple[tuple[tuple[str, ...], int], ...]
    results: tuple[tuple[tuple[str, ...], int], ...]
    results_line: int
    curves: tuple[tuple[tuple[str, ...], int], ...]
    n_results: int
    n_plates: int


def looks_like_gen5(lines: list[str]) -> bool:
    """A Gen5 text export: a `Software Version` line and a `Results` grid."""
    has_version = any(line.startswith("Software Version") for line in lines[:40])
    if not has_version:
        return False
    for index, line in enumerate(lines):
        if line.strip() == "Results":
            following = (other for other in lines[index + 1 :] if other.strip())
            if _GRID_HEADER.match(next(following, "")):
                return True
    return False


def split_export(text: str, file: str) -> RawExport:
    """Cut the export into header, procedure, Layout, Results and curve-fit lines."""
    lines = text.splitlines()
    header: list[tuple[str, str, int]] = []
    procedure: list[str] = []
    sections: dict[str, list[tuple[tuple[str, ...], int]]] = {
        "Layout": [],
        "Results": [],
        "Fitting": [],
    }
    section = "header"
    results_line = 0
    n_results = n_plates = 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped in _SECTIONS or _FITTING.search(stripped):
            section = "Fitting" if _FITTING.search(stripped) else stripped
            if section == "Results":
                n_results += 1
                results_line = results_line or number
            continue
        if stripped.split("\t")[0] == "Plate Number":
            n_plates += 1
        if section == "header" and stripped:
            cells = line.split("\t")
            header.append((cells[0].strip(), cells[1].strip() if len(cells) > 1 else "", number))
        elif section == "Procedure Details" and stripped:
            procedure.append(stripped)
        elif section in sections:
            if not stripped:
                # A grid ends at its first blank line after it started.
                if sections[section] and section != "Fitting":
                    section = "after"
                continue
            sections[section].append((tuple(line.split("\t")), number))
    if not n_results:
        raise InputError(file, "no Results section was found")
    if not sections["Results"]:
        raise InputError(file, "the Results section is empty", where=f"line {results_line}")
    return RawExport(
        header=tuple(header),
        procedure=tuple(procedure),
        layout=tuple(sections["Layout"]),
        results=tuple(sections["Results"]),
        results_line=results_line,
        curves=tuple(sections["Fitting"]),
        n_results=n_results,
        n_plates=n_plates,
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
    plate_size: int | None
    full_plate: bool

    @classmethod
    def create(cls, raw: RawExport, file: str) -> ReaderHeader:
        values: dict[str, str] = {}
        for key, value, _ in raw.header:
            values.setdefault(key.rstrip(":").strip(), value)
        if raw.n_plates > 1 or raw.n_results > 1:
            raise InputError(
                file, "the export holds several plates or reads; export one plate per file"
            )
        kinetic = next((line for line in raw.procedure if line.startswith("Start Kinetic")), "")
        if kinetic:
            detail = kinetic.removeprefix("Start Kinetic").strip()
            raise InputError(
                file,
                f"this is a kinetic read ({detail}); kinetic reads are not supported: "
                "export the endpoint read",
            )
        wavelengths: tuple[int, ...] = ()
        for line in raw.procedure:
            match = _WAVELENGTHS.search(line)
            if match:
                wavelengths = tuple(int(w) for w in re.findall(r"\d+", match.group(1)))
                break
        size = next((m for line in raw.procedure if (m := _PLATE_SIZE.search(line))), None)
        return cls(
            software_version=values.get("Software Version", ""),
            plate_number=values.get("Plate Number", ""),
            run_time=" ".join(v for v in (values.get("Date", ""), values.get("Time", "")) if v),
            reader_type=values.get("Reader Type", ""),
            serial_number=values.get("Reader Serial Number", ""),
            wavelengths=wavelengths,
            plate_size=int(size.group(1)) if size else None,
            full_plate=any(line.casefold() == "full plate" for line in raw.procedure),
        )


@dataclass(frozen=True)
class GridLine:
    """One line of a grid: its plate row, cell texts and last-cell label."""

    row: str
    cells: tuple[str, ...]
    label: str
    line: int


@dataclass(frozen=True)
class PlateGrid:
    """A Layout or Results grid: plate columns, rows, and the lines of each row."""

    name: str
    columns: tuple[int, ...]
    rows: tuple[str, ...]
    lines: tuple[GridLine, ...]

    @classmethod
    def create(
        cls, name: str, lines: tuple[tuple[tuple[str, ...], int], ...], file: str
    ) -> PlateGrid:
        (header, header_line), body = lines[0], lines[1:]
        columns = _grid_columns(header, header_line, name, file)
        grid_lines = _grid_lines(body, len(columns), header_line, name, file)
        rows = tuple(dict.fromkeys(line.row for line in grid_lines))
        return cls(name=name, columns=columns, rows=rows, lines=grid_lines)

    def labelled(self, row: str, accept: re.Pattern[str] | None = None) -> list[GridLine]:
        return [
            line
            for line in self.lines
            if line.row == row and (accept is None or accept.search(line.label))
        ]

    def texts(self, chosen: list[GridLine]) -> np.ndarray:
        return np.array([line.cells for line in chosen], dtype=object).ravel()


def _grid_columns(header: tuple[str, ...], line: int, name: str, file: str) -> tuple[int, ...]:
    cells = [cell.strip() for cell in header[1:]]
    while cells and not cells[-1]:
        cells.pop()
    if not cells or not all(cell.isdecimal() and 1 <= int(cell) <= 24 for cell in cells):
        raise InputError(
            file,
            f"the {name} grid should start with a line of column numbers 1 to 12 (or 24), "
            f"found {'|'.join(cells[:4])!r}",
            where=f"line {line}",
        )
    columns = tuple(int(cell) for cell in cells)
    if columns != tuple(range(columns[0], columns[0] + len(columns))):
        raise InputError(
            file,
            f"the {name} grid's column numbers should run 1, 2, 3, ... without gaps or "
            f"repeats, found {', '.join(cells)}",
            where=f"line {line}",
        )
    return columns


def _grid_lines(
    body: tuple[tuple[tuple[str, ...], int], ...],
    width: int,
    header_line: int,
    name: str,
    file: str,
) -> tuple[GridLine, ...]:
    lines: list[GridLine] = []
    row = ""
    started: dict[str, int] = {}
    for cells, number in body:
        letter = cells[0].strip().upper()
        if letter:
            if len(letter) != 1 or letter not in ROW_LETTERS:
                raise InputError(
                    file,
                    f"expected a plate row letter A to P in the {name} grid, found {cells[0]!r}",
                    where=f"line {number}",
                )
            if letter in started:
                raise InputError(
                    file,
                    f"row {letter} appears twice in the {name} grid "
                    f"(lines {started[letter]} and {number}); each row should appear once",
                    where=f"line {number}",
                )
            started[letter] = number
            row = letter
        elif not row:
            raise InputError(file, f"a {name} grid line names no plate row", f"line {number}")
        values = tuple(cells[1:])
        if len(values) < width:
            # Gen5 writes every cell, empty or not: a short line was cut or damaged.
            raise InputError(
                file,
                f"row {row} of the {name} grid has a line of {len(values)} cells for "
                f"{width} columns; the line looks damaged",
                where=f"line {number}",
            )
        if len(values) > width + 1 and any(cell.strip() for cell in values[width + 1 :]):
            raise InputError(
                file,
                f"row {row} of the {name} grid has {len(values)} cells for {width} columns "
                "and a label; the line looks damaged",
                where=f"line {number}",
            )
        padded = values + ("",) * max(0, width + 1 - len(values))
        lines.append(GridLine(row, padded[:width], padded[width].strip(), number))
    if not lines:
        raise InputError(file, f"the {name} grid has no rows", f"line {header_line}")
    rows = list(started)
    expected = ROW_LETTERS[ROW_LETTERS.index(rows[0]) : ROW_LETTERS.index(rows[0]) + len(rows)]
    if "".join(rows) != expected:
        raise InputError(
            file,
            f"the {name} grid's rows should run A, B, C, ... without gaps, found {', '.join(rows)}",
            where=f"line {started[rows[-1]]}",
        )
    return tuple(lines)


def _read_lines(
    grid: PlateGrid, declared: tuple[int, ...], file: str
) -> tuple[tuple[int, ...], list[list[GridLine]]]:
    """Per wavelength, the read line of every row (the first wavelength first)."""
    reads = {
        row: [line for line in grid.lines if line.row == row and _is_read(line.label)]
        for row in grid.rows
    }
    wavelengths = declared or tuple(
        dict.fromkeys(
            w
            for row in grid.rows
            for line in reads[row]
            if (w := _label_wavelength(line.label)) is not None
        )
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
    chosen: list[list[GridLine]] = []
    for position, wavelength in enumerate(wavelengths):
        per_row = []
        for row in grid.rows:
            own = reads[row]
            labelled = [line for line in own if _label_wavelength(line.label) == wavelength]
            unlabelled = [line for line in own if not line.label]
            if labelled:
                per_row.append(labelled[0])
            elif len(unlabelled) == len(wavelengths):
                # Unlabelled lines are taken in the order the wavelengths are declared.
                per_row.append(unlabelled[position])
            else:
                first = next(line for line in grid.lines if line.row == row)
                raise InputError(
                    file,
                    f"row {row} of the Results grid has no {wavelength} nm line",
                    where=f"line {first.line}",
                )
        chosen.append(per_row)
    return wavelengths, chosen


def _is_read(label: str) -> bool:
    if label.casefold().startswith("blank ") or label.startswith("["):
        return False
    return not label or _label_wavelength(label) is not None


def _label_wavelength(label: str) -> int | None:
    match = _WAVELENGTH_LABEL.match(label)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class CurveTable:
    """`Curve Fitting Results`: one row per curve, Gen5's formula and coefficients."""

    rows: tuple[dict[str, str], ...]

    @classmethod
    def create(cls, lines: tuple[tuple[tuple[str, ...], int], ...]) -> CurveTable:
        header: tuple[str, ...] = ()
        rows = []
        for cells, _ in lines:
            stripped = tuple(cell.strip() for cell in cells)
            if stripped and stripped[0] == "Curve Name":
                header = stripped
            elif header and any(stripped):
                rows.append(dict(zip(header, stripped, strict=False)))
        return cls(rows=tuple(rows))


# --- layer 3: compose --------------------------------------------------------------


def compose(
    results: PlateGrid,
    layout: PlateGrid | None,
    wavelengths: tuple[int, ...],
    reads: list[list[GridLine]],
    rule: RoleRule,
    file: str,
) -> pd.DataFrame:
    """One row per well; role, name and concentration from the Layout when present."""
    wells = np.array([f"{row}{column}" for row in results.rows for column in results.columns])
    texts = [pd.Series(results.texts(per_row), dtype="str") for per_row in reads]
    first_tokens, first_values = classify_cells(texts[0])
    if len(texts) == 2:
        second_tokens, second_values = classify_cells(texts[1])
        # The well's token is the first that is not a plain number, so an unusable
        # reference reading is as visible as an unusable primary one.
        tokens = first_tokens.where(first_tokens != "numeric", second_tokens)
        signal = first_values - second_values
        raw_text = texts[0].str.strip() + "|" + texts[1].str.strip()
        kind = f"OD{wavelengths[0]}-{wavelengths[1]}"
    else:
        tokens, signal = first_tokens, first_values
        raw_text = texts[0].str.strip()
        kind = f"OD{wavelengths[0]}"
    frame = wells_frame(
        len(wells),
        well=wells,
        signal=signal.to_numpy(dtype=float),
        signal_kind=kind,
        raw_text=raw_text.to_numpy(),
        token=tokens.to_numpy(),
        source_file=file,
    )
    if layout is not None:
        frame = _apply_layout(frame, results, layout, rule, file)
    return frame


def _apply_layout(
    frame: pd.DataFrame, results: PlateGrid, layout: PlateGrid, rule: RoleRule, file: str
) -> pd.DataFrame:
    if layout.rows != results.rows or layout.columns != results.columns:
        raise InputError(
            file,
            f"the Layout grid ({len(layout.rows)} rows x {len(layout.columns)} columns) does "
            f"not match the Results grid ({len(results.rows)} x {len(results.columns)}); "
            "the export looks damaged",
        )
    ids = _layout_texts(layout, "well id", file)
    concs = _layout_texts(layout, "conc", file, required=False)
    names = pd.Series(ids, dtype="str").str.strip()
    base = names.str.replace(_DILUTION_SUFFIX, "", regex=True)
    roles = [rule.classify(name) if name else ("sample", None) for name in base]
    role = np.array([r for r, _ in roles], dtype=object)
    number = pd.to_numeric(pd.Series(concs, dtype="str").str.strip(), errors="coerce")
    number = number.where(np.isfinite(number))
    is_reference = np.isin(role, ["standard", "control"])
    is_sample = role == "sample"
    # Gen5 writes a sample's dilution as the fraction kept (0.5) or as a factor (2).
    dilution = np.where(number <= 1, 1 / number, number)
    dilution = np.where(is_sample & (number > 0), dilution, 1.0)
    sample_id = base.where(np.isin(role, ["sample", "control"]) & (names != ""), None)
    return frame.assign(
        role=role,
        sample_name=names.to_numpy(dtype=object),
        sample_id=sample_id.to_numpy(dtype=object),
        level=pd.array([level for _, level in roles], dtype="Int64"),
        expected_conc=np.where(is_reference, number, np.nan),
        dilution=dilution,
    )


def _layout_texts(layout: PlateGrid, label: str, file: str, required: bool = True) -> np.ndarray:
    chosen = []
    for row in layout.rows:
        lines = [line for line in layout.lines if line.row == row]
        match = [line for line in lines if line.label.casefold().startswith(label)]
        if not match and required:
            raise InputError(
                file,
                f"row {row} of the Layout grid has no `Well ID` line",
                where=f"line {lines[0].line}",
            )
        chosen.append(match[0] if match else GridLine(row, ("",) * len(layout.columns), "", 0))
    return layout.texts(chosen)


def read_gen5(text: str, source_file: str, rule: RoleRule = DEFAULT_RULE) -> ParsedPlate:
    """Wells (unvalidated), run metadata and Gen5's own results of one export's text."""
    raw = split_export(text, source_file)
    header = ReaderHeader.create(raw, source_file)
    results = PlateGrid.create("Results", raw.results, source_file)
    _check_plate(results, header, source_file)
    wavelengths, reads = _read_lines(results, header.wavelengths, source_file)
    layout = PlateGrid.create("Layout", raw.layout, source_file) if raw.layout else None
    wells = compose(results, layout, wavelengths, reads, rule, source_file)
    meta = {
        "format": "gen5",
        "instrument": header.reader_type,
        "software": "Gen5",
        "software_version": header.software_version,
        "serial_number": header.serial_number,
        "batch": header.plate_number,
        "run_time": header.run_time,
    }
    return ParsedPlate(wells=wells, meta=meta, vendor=_vendor(raw, results))


def _check_plate(grid: PlateGrid, header: ReaderHeader, file: str) -> None:
    if not header.full_plate:
        return
    size = header.plate_size or (384 if len(grid.columns) > 12 or len(grid.rows) > 8 else 96)
    n_rows, n_columns = (16, 24) if size == 384 else (8, 12)
    if len(grid.rows) != n_rows or len(grid.columns) != n_columns:
        raise InputError(
            file,
            f"the procedure reads the full {size}-well plate but the Results grid has "
            f"{len(grid.rows)} rows x {len(grid.columns)} columns; the file looks truncated: "
            "export it again",
        )


def _vendor(raw: RawExport, results: PlateGrid) -> pd.DataFrame:
    rows: list[tuple[str, str | None, str, str]] = []
    for row in results.rows:
        for line in results.labelled(row):
            if line.label.casefold() == "[concentration]":
                rows.extend(
                    ("", f"{row}{column}", "concentration", text)
                    for column, text in zip(results.columns, line.cells, strict=True)
                )
    for curve in CurveTable.create(raw.curves).rows:
        formula = curve.get("Curve Formula", "")
        rows.append(("", None, "model", formula))
        letters = {
            key: value for key, value in curve.items() if len(key) == 1 and key.isalpha() and value
        }
        compact = formula.replace(" ", "").upper()
        if compact in (_FOUR_PL, _FIVE_PL) and set("ABCD") <= set(letters):
            # Gen5's (A-D)/(1+(X/C)^B)^E + D is DESIGN.md's model letter for letter.
            mapping = {"a": "A", "b": "B", "c": "C", "d": "D"}
            rows.extend(("", None, name, letters[letter]) for name, letter in mapping.items())
            rows.append(("", None, "g", letters.get("E", "1") if compact == _FIVE_PL else "1"))
        else:
            rows.extend(("", None, f"param_{k}", v) for k, v in letters.items())
        if curve.get("R2"):
            rows.append(("", None, "r_squared", curve["R2"]))
        if curve.get("Fit F Prob"):
            rows.append(("", None, "fit_prob", curve["Fit F Prob"]))
    return vendor_frame(rows)


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return [read_gen5(source.text, source.file, options.rule)]


def _recognise(source: Source) -> bool:
    return looks_like_gen5(source.lines)


GEN5: Final = Format(
    name="gen5",
    described="a Gen5 text export",
    software="BioTek (Agilent) Gen5",
    export="text export, endpoint reads, 1 or 2 wavelengths, 96/384 wells",
    versions="3.12",
    plate_map="without a Layout",
    recognised_by="`Software Version` and a `Results` grid",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
