"""Thermo Fisher SkanIt Software Excel exports into wells (docs/formats.md, "Thermo
Fisher SkanIt").

A SkanIt export of a session (.xlsx) holds one sheet per step of its results, titled
`<step>_<nn>` (`Absorbance 1_01`, `Blank Subtraction 1_02`, `Standard Curve 1_03`), and
sheets describing the run (`General information`, `Session information`, `Instrument
information`, `Protocol parameters`, `Run log`, `Layout definitions`). A results sheet
opens with `Measurement results`, the session file (`.skax`), the run time and the
step's name; then, per plate, maybe a `Wavelength: 450 nm` line, the plate's name
(`Plate 1`) and its grids: a header of column numbers whose first cell says what the
grid holds (`Abs`, `RLU`, `Blank subtracted`, `Conc. [microg/ml]`, `Sample`), then one
line per plate row. A step reading several wavelengths repeats the plate per
wavelength. `Layout definitions` gives per plate and well the sample name (`Std0001`,
`Un0001`, `Blank1`, `Ctrl0001`), its group and the standard's concentration
(`1 microg/ml`) or the sample's dilution (`1:25`).

Three layers, as for Gen5:

1. `split_results` cuts each results sheet into titled lines and `Grid`s (step, plate,
   wavelength, what the grid holds, its wells and texts).
2. `RunInfo`, `Protocol`, `LayoutDefinitions` and `CurveFit` are frozen records whose
   `create` reads one sheet or block each.
3. `compose` picks the read (`ReadOptions.read`, else the first measured read), makes
   one plate per plate name, gives the wells their names, roles, concentrations and
   dilutions, and keeps what SkanIt calculated as vendor results.

The signal is the read as measured: SkanIt's blank subtraction and curve are kept as
vendor results. Its `Standard Curve` concentrations are of the well as measured
(`basis` `in_well`): its `Dilution Factor` step writes them multiplied by the layout's
dilution (basis `sample`, checked well by well).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import pandas as pd

from assaypipe import units
from assaypipe.errors import InputError
from assaypipe.readers.cells import (
    ROW_LETTERS,
    classify_texts,
    vendor_rows,
    wells_columns,
)
from assaypipe.readers.cells import (
    listed as cells_listed,
)
from assaypipe.readers.columns import ColumnTable
from assaypipe.readers.excel import Sheet
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import RoleRule
from assaypipe.vocabulary import Role, VendorBasis

__all__ = [
    "SKANIT",
    "CurveFit",
    "DataSet",
    "Grid",
    "LayoutDefinitions",
    "Protocol",
    "ResultSheet",
    "RunInfo",
    "compose",
    "looks_like_skanit",
    "read_skanit",
    "split_results",
]

Mode = Literal["absorbance", "fluorescence", "luminescence", "alpha", ""]

_RESULTS: Final = "Measurement results"
_SESSION_FILE: Final = re.compile(r"\.skax?$", re.IGNORECASE)
# The value is the shortest text ending in a non-space (runs of space taken whole: a lazy
# `.*?` before `\s*` was quadratic in a long run of spaces).
_WAVELENGTH: Final = re.compile(
    r"^Wavelength:\s*+((?:[^\S\n]*+\S)*?)\s*+(?:nm)?\s*$", re.IGNORECASE
)
# What a measured grid's first cell says: SkanIt's unit of the raw reading.
_RAW_LABELS: Final[dict[str, Mode]] = {
    "abs": "absorbance",
    "od": "absorbance",
    "rlu": "luminescence",
    "rfu": "fluorescence",
}
# A measurement step's name, when the export has no `Protocol parameters` sheet.
_STEP_MODES: Final[tuple[tuple[re.Pattern[str], Mode], ...]] = (
    (re.compile(r"^(?:absorbance|photometric)", re.IGNORECASE), "absorbance"),
    (re.compile(r"^(?:fluorescence|fi\b|trf\b|time-resolved|fret)", re.IGNORECASE), "fluorescence"),
    (re.compile(r"^luminescence", re.IGNORECASE), "luminescence"),
    (re.compile(r"^alpha", re.IGNORECASE), "alpha"),
)
_NAMES_LABEL: Final = "sample"  # their word
_SW_VERSION: Final = re.compile(r"ver\.?\s*([\d.]+)\s*$", re.IGNORECASE)
_SOFTWARE: Final = re.compile(r"^(.*?SkanIt Software)", re.IGNORECASE)
_UNIT_IN_LABEL: Final = re.compile(r"\[(.+?)\]")
_DILUTION: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$")
_AMOUNT: Final = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S.*)?$")
_PARAMETER: Final = re.compile(r"^([a-z])\s*=$")
_R_SQUARED: Final = re.compile(r"^R(?:²|\^?2)\s*:\s*(\S+)", re.IGNORECASE)
_FOUR_PL: Final = "y=d+((a-d)/(1+(x/c)^b))"
# Exported to four significant digits: a concentration times the dilution agrees with
# SkanIt's own product to within rounding.
_PRODUCT_TOLERANCE: Final = 2e-3
_MOST_LISTED: Final = 12


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Grid:
    """One plate grid of a results sheet: its step, plate and wavelength, what it holds
    (`label`, the header's first cell), its wells and their texts (row by row)."""

    sheet: str
    step: str
    plate: str
    wavelength: str
    label: str
    wells: np.ndarray
    texts: np.ndarray
    line: int
    # The columns its header names, and the filled cells of its rows right of them
    # (within the sheet's widest grid): a damaged header number narrows the grid.
    columns: int = 0
    cut: int = 0

    def text_of(self, wells: np.ndarray) -> np.ndarray:
        lookup = dict(zip(self.wells.tolist(), self.texts.tolist(), strict=True))
        return np.array([lookup.get(well, "") for well in wells.tolist()], dtype=object)


@dataclass(frozen=True)
class ResultSheet:
    """A results sheet: the step it shows, its settings lines (`Fit type: 4PL`), its
    grids, its other lines (the curve's equation and table) and cells right of its
    grids that SkanIt did not write there."""

    name: str
    step: str
    session: str
    run_time: str
    settings: tuple[tuple[str, int], ...]
    grids: tuple[Grid, ...]
    lines: tuple[tuple[tuple[str, ...], int], ...]
    stray: tuple[tuple[str, int, int], ...]


def looks_like_skanit(sheets: Sequence[Sheet]) -> bool:
    """A SkanIt export: a sheet opening `Measurement results` and its session file."""
    return any(_is_results(sheet) for sheet in sheets)


def _is_results(sheet: Sheet) -> bool:
    head = [row[0].strip() if row else "" for row in sheet.rows[:3]]
    return len(head) >= 2 and head[0] == _RESULTS and bool(_SESSION_FILE.search(head[1]))


def split_results(sheets: Sequence[Sheet]) -> list[ResultSheet]:
    """Every results sheet, cut into settings, grids and other lines."""
    return [_split_sheet(sheet) for sheet in sheets if _is_results(sheet)]


def _header_width(row: tuple[str, ...]) -> int:
    """The number of plate columns a grid header names (`1 2 ... n`), else 0."""
    width = 0
    for cell in row[1:]:
        if cell.strip() != str(width + 1):
            break
        width += 1
    return width if width >= 2 else 0


def _split_sheet(sheet: Sheet) -> ResultSheet:
    rows = sheet.rows

    def first(index: int) -> str:
        return rows[index][0].strip() if index < len(rows) and rows[index] else ""

    step = ""
    index = 3
    while index < len(rows) and not step:
        step = first(index)
        index += 1
    settings: list[tuple[str, int]] = []
    other: list[tuple[tuple[str, ...], int]] = []
    grids: list[Grid] = []
    plate = wavelength = ""
    # Cells right of the widest grid are not SkanIt's (a lab's notes beside the plate).
    widest = max((_header_width(row) for row in rows if row and row[0].strip()), default=0)
    while index < len(rows):
        if not rows[index]:
            index += 1
            continue
        row = rows[index][: widest + 1] if widest else rows[index]
        filled = [cell for cell in row if cell.strip()]
        width = _header_width(row)
        if width and row[0].strip():
            grid, index = _grid(sheet.name, rows, index, width, step, plate, wavelength, widest)
            grids.append(grid)
            continue
        if filled and len(filled) == 1 and row[0].strip():
            text = row[0].strip()
            found = _WAVELENGTH.match(text)
            if found is not None:
                wavelength = found.group(1)
            elif ":" in text or "=" in text or text.startswith("Autoloading range"):
                settings.append((text, index + 1))
            else:
                plate = text
        elif filled:
            other.append((row, index + 1))
        index += 1
    stray = tuple(
        (cell, number + 1, column + 1)
        for number, row in enumerate(rows)
        for column, cell in enumerate(row)
        if widest and column > widest and cell.strip()
    )
    return ResultSheet(
        name=sheet.name,
        step=step,
        session=first(1),
        run_time=first(2),
        settings=tuple(settings),
        grids=tuple(grids),
        lines=tuple(other),
        stray=stray,
    )


def _grid(
    sheet: str,
    rows: tuple[tuple[str, ...], ...],
    start: int,
    width: int,
    step: str,
    plate: str,
    wavelength: str,
    widest: int = 0,
) -> tuple[Grid, int]:
    """The grid whose header is at `start`: its rows while they follow A, B, C, ..."""
    wells: list[str] = []
    texts: list[str] = []
    cut = 0
    index = start + 1
    for letter in ROW_LETTERS:
        row = rows[index] if index < len(rows) else ()
        if not row or row[0].strip().upper() != letter:
            break
        cut += sum(1 for cell in row[width + 1 : max(widest, width) + 1] if cell.strip())
        cells = row[1 : width + 1]
        cells = cells + ("",) * (width - len(cells))
        wells += [f"{letter}{column}" for column in range(1, width + 1)]
        texts += [cell.strip() for cell in cells]
        index += 1
    grid = Grid(
        sheet=sheet,
        step=step,
        plate=plate,
        wavelength=wavelength,
        label=rows[start][0].strip(),
        wells=np.array(wells, dtype=object),
        texts=np.array(texts, dtype=object),
        line=start + 1,
        columns=width,
        cut=cut,
    )
    return grid, index


# --- layer 2: structure ------------------------------------------------------------


def _key_values(sheet: Sheet | None) -> dict[str, str]:
    """`key ... value` rows of an information sheet: the first and last filled cells."""
    values: dict[str, str] = {}
    for row in sheet.rows if sheet is not None else ():
        filled = [cell.strip() for cell in row if cell.strip()]
        if len(filled) >= 2:
            values.setdefault(filled[0], filled[-1])
    return values


@dataclass(frozen=True)
class RunInfo:
    software: str
    software_version: str
    instrument: str
    serial_number: str
    session: str
    run_time: str

    @classmethod
    def create(cls, sheets: dict[str, Sheet], first: ResultSheet) -> RunInfo:
        general = _key_values(sheets.get("General information"))
        session = _key_values(sheets.get("Session information"))
        instrument = _key_values(sheets.get("Instrument information"))
        written = general.get("Report generated with SW version", "")
        executed = session.get("Executed with", "")
        version = _SW_VERSION.search(written) or _SW_VERSION.search(executed)
        software = _SOFTWARE.match(written) or _SOFTWARE.match(executed)
        name = session.get("Session name", "") or first.session
        return cls(
            software=software.group(1) if software else "SkanIt Software",
            software_version=version.group(1) if version else "",
            instrument=instrument.get("Name", ""),
            serial_number=instrument.get("Serial number", ""),
            session=_SESSION_FILE.sub("", name),
            run_time=session.get("Execution time", "") or first.run_time,
        )


@dataclass(frozen=True)
class Protocol:
    """`Protocol parameters`: the measurement steps by name, with their settings."""

    steps: dict[str, tuple[tuple[str, str], ...]]

    @classmethod
    def create(cls, sheet: Sheet | None) -> Protocol | None:
        if sheet is None:
            return None
        steps: dict[str, list[tuple[str, str]]] = {}
        current: list[tuple[str, str]] | None = None
        for row in sheet.rows[1:]:
            filled = [cell.strip() for cell in row if cell.strip()]
            if not filled:
                continue
            if row[0].strip() and len(filled) == 1:
                current = steps.setdefault(filled[0], [])
            elif current is not None and len(filled) >= 2:
                current.append((filled[0], filled[-1]))
        return cls({name: tuple(values) for name, values in steps.items()})

    def mode(self, step: str) -> Mode | None:
        """A listed step's measurement mode ("" when its name does not tell); None for a
        step the protocol does not list (a calculation)."""
        if step not in self.steps:
            return None
        mode = _mode_of_step(step)
        wavelength = any(key.casefold().startswith("wavelength") for key, _ in self.steps[step])
        return mode or ("absorbance" if wavelength else "")


def _mode_of_step(step: str) -> Mode:
    for pattern, mode in _STEP_MODES:
        if pattern.match(step):
            return mode
    return ""


@dataclass(frozen=True)
class WellEntry:
    name: str
    group: str
    amount: str


@dataclass(frozen=True)
class LayoutDefinitions:
    """`Layout definitions`: per plate name, per well its sample name, group and
    concentration or dilution as SkanIt writes them."""

    plates: dict[str, dict[str, WellEntry]]

    @classmethod
    def create(cls, sheet: Sheet | None) -> LayoutDefinitions:
        plates: dict[str, dict[str, WellEntry]] = {}
        if sheet is None:
            return cls(plates)
        current: dict[str, WellEntry] | None = None
        width = 0
        lines: list[tuple[str, ...]] = []
        letter = ""

        def flush() -> None:
            if current is None or not letter:
                return
            # A row's lines up to its last filled one (the empty ones after it are gaps).
            end = max((i for i, line in enumerate(lines) if any(line)), default=-1) + 1
            filled = lines[:end]
            for column in range(1, width + 1):
                cell = [_cell(line, column) for line in filled]
                if not any(cell):
                    continue
                amount = next((c for c in cell[2:] if c), "")
                group = cell[1] if len(cell) > 1 else ""
                current[f"{letter}{column}"] = WellEntry(cell[0], group, amount)

        for row in sheet.rows:
            head = row[0].strip() if row else ""
            if head == "Name" and len(row) > 1:
                flush()
                letter, lines = "", []
                current = plates.setdefault(row[1].strip(), {})
            elif not head and _header_width(row):
                width = _header_width(row)
            elif len(head) == 1 and head in ROW_LETTERS and width:
                flush()
                letter, lines = head, [row]
            elif letter and not head:
                lines.append(row)
        flush()
        return cls(plates)


def _cell(row: tuple[str, ...], column: int) -> str:
    return row[column].strip() if column < len(row) else ""


@dataclass(frozen=True)
class CurveFit:
    """A `Standard Curve` step: SkanIt's fit type, equation, coefficients and R²."""

    model: str
    equation: str
    parameters: tuple[tuple[str, str], ...]
    r_squared: str

    @classmethod
    def create(cls, result: ResultSheet) -> CurveFit:
        model = r_squared = ""
        equations: list[str] = []
        for text, _ in result.settings:
            key, _, value = text.partition(":")
            if key.strip().casefold() == "fit type":
                model = value.strip()
            elif (found := _R_SQUARED.match(text)) is not None:
                r_squared = found.group(1)
            elif text.replace(" ", "").startswith("y="):
                equations.append(text)
        # SkanIt writes the equation with its coefficients, then in letters.
        lettered = [e for e in equations if not re.search(r"\d\.\d", e)]
        equation = (lettered or equations or [""])[0]
        parameters: list[tuple[str, str]] = []
        for row, _ in result.lines:
            if len(row) >= 2 and (found := _PARAMETER.match(row[0].strip())) is not None:
                parameters.append((found.group(1), row[1].strip()))
        return cls(model, equation, tuple(parameters), r_squared)

    def vendor_rows(self) -> list[tuple[str, str | None, str, str]]:
        rows: list[tuple[str, str | None, str, str]] = []
        if self.model:
            rows.append(("", None, "model", self.model))
        if self.equation:
            rows.append(("", None, "equation", self.equation))
        letters = dict(self.parameters)
        logistic = self.equation.replace(" ", "") == _FOUR_PL and set("abcd") <= set(letters)
        if logistic:
            # SkanIt's y = d + (a - d) / (1 + (x/c)^b) is DESIGN.md's 4PL letter for letter.
            rows += [("", None, letter, letters[letter]) for letter in "abcd"]
            rows.append(("", None, "g", "1"))
        else:
            rows += [("", None, f"param_{letter}", value) for letter, value in self.parameters]
        if self.r_squared:
            rows.append(("", None, "r_squared", self.r_squared))
        return rows


# --- layer 3: compose --------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DataSet:
    """A read or a calculated value over the plates: one step's grids with one label
    and wavelength. `kind` is `measurement` for a read SkanIt measured."""

    step: str
    label: str
    wavelength: str
    kind: Literal["measurement", "calculated"]
    mode: Mode
    name: str
    grids: dict[str, Grid] = field(default_factory=dict)
    # Grids beyond the first of a plate: a kinetic or repeated read has no one value.
    repeated: dict[str, int] = field(default_factory=dict)

    @property
    def signal_kind(self) -> str:
        """`OD450`, `Lum`, `Fluorescence 485/520`; a calculated value's own name."""
        if self.kind != "measurement":
            return self.name
        wavelength = self.wavelength if self.wavelength not in ("", "0") else ""
        if self.mode == "absorbance":
            return f"OD{wavelength}" if wavelength else "OD"
        if self.mode == "luminescence":
            return f"Lum {wavelength}" if wavelength else "Lum"
        if self.mode == "alpha":
            return "Alpha"
        return f"Fluorescence {wavelength}".strip()


def data_sets(results: list[ResultSheet], protocol: Protocol | None) -> list[DataSet]:
    """Every data set of the export, in the order of its sheets and grids."""
    found: dict[tuple[str, str, str], DataSet] = {}
    for result in results:
        labels = list(dict.fromkeys(g.label for g in result.grids if _is_data(g)))
        wavelengths = list(dict.fromkeys(g.wavelength for g in result.grids if _is_data(g)))
        mode = _sheet_mode(result, protocol)
        measured = mode is not None
        for grid in result.grids:
            if not _is_data(grid):
                continue
            key = (result.step, grid.label, grid.wavelength)
            if key not in found:
                name = result.step
                if len(labels) > 1 and not measured:
                    name = f"{name}: {grid.label}"
                if len(wavelengths) > 1:
                    name = f"{name} ({grid.wavelength} nm)"
                found[key] = DataSet(
                    step=result.step,
                    label=grid.label,
                    wavelength=grid.wavelength,
                    kind="measurement" if measured else "calculated",
                    mode=mode or "",
                    name=name,
                )
            data = found[key]
            if grid.plate in data.grids:
                data.repeated[grid.plate] = data.repeated.get(grid.plate, 1) + 1
            else:
                data.grids[grid.plate] = grid
    return list(found.values())


def _is_data(grid: Grid) -> bool:
    return grid.label.casefold() != _NAMES_LABEL


def _sheet_mode(result: ResultSheet, protocol: Protocol | None) -> Mode | None:
    """The measurement mode of a results sheet ("" when unknown), None for a step that
    calculates: a grid of raw readings (`Abs`, `RLU`, `RFU`) or a step the protocol
    lists is measured; without a protocol, a step named for its measurement."""
    labels = {g.label.casefold() for g in result.grids}
    for label, mode in _RAW_LABELS.items():
        if label in labels:
            return mode
    if protocol is not None:
        return protocol.mode(result.step)
    return _mode_of_step(result.step) or None


@dataclass(frozen=True)
class Choice:
    read: DataSet
    why: str


def _choose(sets: list[DataSet], options: ReadOptions, file: str) -> Choice:
    wanted = options.read.strip()
    if wanted:
        return Choice(_asked(wanted, sets, file), f"wells.read `{wanted}`")
    measured = [s for s in sets if s.kind == "measurement"]
    if measured:
        return Choice(measured[0], "the first measured read")
    raise InputError(
        file,
        "the export holds no measured read, only values SkanIt calculated "
        f"({_listed(sets)}); export the measurement steps too, or name one of these in "
        "wells.read",
    )


def _asked(wanted: str, sets: list[DataSet], file: str) -> DataSet:
    """The data set `options.read` names: its name, its step, its wavelength, its
    signal_kind."""
    folded = re.sub(r"\s*nm$", "", wanted.strip(), flags=re.IGNORECASE).casefold()
    keys: list[Callable[[DataSet], str]] = [
        lambda s: s.name,
        lambda s: s.step if s.kind == "measurement" else "",
        lambda s: s.wavelength if s.kind == "measurement" else "",
        lambda s: s.signal_kind,
    ]
    for key in keys:
        matches = [s for s in sets if key(s).casefold() == folded]
        if matches:
            return matches[0]
    raise InputError(
        file,
        f"wells.read asks for the read `{wanted}`, which this export does not hold; it holds "
        f"{_listed([s for s in sets if s.kind == 'measurement'] or sets)} (name one of them, "
        "or leave wells.read empty for the first measured read)",
    )


def _listed(sets: Sequence[DataSet]) -> str:
    return cells_listed([f"`{s.name}`" for s in sets], _MOST_LISTED)


def compose(sheets: Sequence[Sheet], options: ReadOptions, file: str) -> list[ParsedPlate]:
    """Every plate of the export: wells, run facts, SkanIt's own results, warnings."""
    results = split_results(sheets)
    by_name = {sheet.name: sheet for sheet in sheets}
    sets = data_sets(results, Protocol.create(by_name.get("Protocol parameters")))
    if not sets:
        raise InputError(
            file,
            f"the export holds no plate data: no plate grid on its results sheets "
            f"({', '.join(f'`{r.name}`' for r in results[:4])}); export the session's "
            "results with their plates",
        )
    choice = _choose(sets, options, file)
    _refuse_repeated(choice.read, file)
    info = RunInfo.create(by_name, results[0])
    layout = LayoutDefinitions.create(by_name.get("Layout definitions"))
    curves = {r.step: CurveFit.create(r) for r in results if _is_curve(r)}
    names = _names(results)
    common = Warnings()
    _note_unused(choice, sets, common)
    _note_stray(results, common)
    plates = list(choice.read.grids)
    others = [p for s in sets for p in s.grids if p not in choice.read.grids]
    for plate in dict.fromkeys(others):
        common.add(
            f"plate `{plate or 'without a name'}` has no `{choice.read.name}` grid (only "
            "other steps' values); it is not read"
        )
    meta = {
        "format": "skanit",
        "instrument": info.instrument,
        "software": info.software,
        "software_version": info.software_version,
        "serial_number": info.serial_number,
        "batch": info.session,
        "run_time": info.run_time,
    }
    parsed = []
    for plate in plates:
        notes = Warnings()
        notes.extend(common)
        grid = choice.read.grids[plate]
        entries = _entries(layout, plate, len(plates)) or _from_names(
            names.get((grid.sheet, plate))
        )
        frame, unit = _plate_wells(grid, choice.read, entries, options.rule, file)
        vendor = _vendor(sets, choice.read, plate, frame, curves, unit)
        parsed.append(
            ParsedPlate(
                wells=frame,
                meta={**meta, "unit": unit},
                vendor=vendor,
                name=plate if len(plates) > 1 else "",
                warnings=notes.as_tuple(),
            )
        )
    return parsed


def _refuse_repeated(read: DataSet, file: str) -> None:
    """A read whose plate has several grids at one wavelength is kinetic or repeated:
    no single value per well, so none is picked."""
    if not read.repeated:
        return
    plate, count = next(iter(read.repeated.items()))
    grid = read.grids[plate]
    raise InputError(
        file,
        f"the `{read.name}` step holds {count} grids of plate `{plate or 'without a name'}`"
        f"{f' at {read.wavelength} nm' if read.wavelength else ''} (a kinetic or repeated "
        "read): there is no single endpoint value per well; export the step's endpoint or "
        "a calculated value of it (such as an average or a slope) and name it in wells.read",
        where=f"sheet `{grid.sheet}`, row {grid.line}",
    )


def _is_curve(result: ResultSheet) -> bool:
    return any(text.casefold().startswith("fit type") for text, _ in result.settings)


def _names(results: list[ResultSheet]) -> dict[tuple[str, str], Grid]:
    """Each results sheet's `Sample` grid per plate."""
    found: dict[tuple[str, str], Grid] = {}
    for result in results:
        for grid in result.grids:
            if not _is_data(grid):
                found.setdefault((result.name, grid.plate), grid)
    return found


def _entries(layout: LayoutDefinitions, plate: str, n_plates: int) -> dict[str, WellEntry]:
    """The layout of a plate; with one plate on each side, the layout's only plate."""
    if plate in layout.plates:
        return layout.plates[plate]
    if n_plates == 1 and len(layout.plates) == 1:
        return next(iter(layout.plates.values()))
    return {}


def _from_names(grid: Grid | None) -> dict[str, WellEntry]:
    if grid is None:
        return {}
    return {
        well: WellEntry(name, "", "")
        for well, name in zip(grid.wells.tolist(), grid.texts.tolist(), strict=True)
        if name
    }


def _plate_wells(
    grid: Grid, read: DataSet, entries: dict[str, WellEntry], rule: RoleRule, file: str
) -> tuple[ColumnTable, str]:
    """The wells of one plate that hold a reading or a sample, with their layout."""
    has_value = np.array([bool(text) for text in grid.texts.tolist()], dtype=bool)
    named = np.isin(grid.wells, list(entries))
    keep = has_value | named
    if not keep.any():
        raise InputError(
            file,
            f"the `{read.name}` grid of plate `{grid.plate}` is empty in every well: there "
            "is no value to read",
            where=f"sheet `{grid.sheet}`, row {grid.line}",
        )
    wells, texts = grid.wells[keep], grid.texts[keep]
    tokens, values = classify_texts(texts.tolist())
    given = [entries.get(well, WellEntry("", "", "")) for well in wells.tolist()]
    names = np.array([entry.name for entry in given], dtype=object)
    classified = [rule.classify(name) if name else (Role.SAMPLE, None) for name in names]
    role = np.array([r for r, _ in classified], dtype=object)
    amounts = [_amount(entry.amount) for entry in given]
    is_reference = np.isin(role, [Role.STANDARD, Role.CONTROL])
    expected = np.array([conc for conc, _, _ in amounts], dtype=float)
    dilution = np.array([factor for _, factor, _ in amounts], dtype=float)
    unit_of = np.array([unit for _, _, unit in amounts], dtype=object)
    stated = sorted(set(unit_of[is_reference & (unit_of != "")].tolist()))
    sample_id = np.array(names, dtype=object)
    sample_id[~(np.isin(role, [Role.SAMPLE, Role.CONTROL]) & (names != ""))] = None
    frame = wells_columns(
        len(wells),
        well=wells,
        role=role,
        sample_name=names,
        sample_id=sample_id,
        level=pd.array([level for _, level in classified], dtype="Int64"),
        expected_conc=np.where(is_reference, expected, np.nan),
        unit=np.where(is_reference, unit_of, ""),
        dilution=np.where(role == Role.SAMPLE, dilution, 1.0),
        signal=values,
        signal_kind=read.signal_kind,
        raw_text=texts,
        token=tokens,
        source_file=file,
    )
    return frame, ";".join(stated)


def _amount(text: str) -> tuple[float, float, str]:
    """(concentration, dilution, unit) of a layout's third line: `1 microg/ml` is a
    concentration, `1:25` a 25-fold dilution (SkanIt's Dilution Factor step multiplies
    by 25)."""
    found = _DILUTION.match(text)
    if found is not None and float(found.group(1)) > 0:
        return np.nan, float(found.group(2)) / float(found.group(1)), ""
    found = _AMOUNT.match(text)
    if found is not None:
        return float(found.group(1)), 1.0, _unit(found.group(2) or "")
    return np.nan, 1.0, ""


def _unit(text: str) -> str:
    """SkanIt's unit words as units: `microg/ml` is µg/mL."""
    spelled = re.sub(r"^micro", units.MICRO, text.strip(), flags=re.IGNORECASE)
    spelled = re.sub(r"^nano", "n", spelled, flags=re.IGNORECASE)
    spelled = re.sub(r"^pico", "p", spelled, flags=re.IGNORECASE)
    spelled = re.sub(r"^milli", "m", spelled, flags=re.IGNORECASE)
    return units.canonical(spelled) if units.parse(spelled) else text.strip()


def _vendor(
    sets: list[DataSet],
    read: DataSet,
    plate: str,
    frame: ColumnTable,
    curves: dict[str, CurveFit],
    plate_unit: str,
) -> ColumnTable:
    wells = np.asarray(frame.columns["well"], dtype=object)
    dilution = np.asarray(frame.columns["dilution"], dtype=float)
    rows: list[tuple[str, str | None, str, str]] = []
    unit_of: list[str | None] = []
    basis_of: list[str | None] = []
    in_well: dict[str, np.ndarray] = {}
    conc_unit = ""
    for data in sets:
        grid = data.grids.get(plate)
        if grid is None or data is read or data.kind == "measurement":
            continue
        texts = grid.text_of(wells)
        quantity, unit, basis = data.name, None, None
        if data.step in curves and data.label.casefold().startswith("conc"):
            label_unit = _UNIT_IN_LABEL.search(data.label)
            conc_unit = _unit(label_unit.group(1)) if label_unit else plate_unit
            quantity, unit, basis = "concentration", conc_unit or None, VendorBasis.IN_WELL
            in_well[data.step] = _numbers(texts)
        elif data.label.casefold() == "value" and in_well:
            product = _numbers(texts)
            if _is_product(product, next(iter(in_well.values())), dilution):
                # SkanIt's Dilution Factor step: the concentration times the dilution.
                quantity, unit, basis = "concentration", conc_unit or None, VendorBasis.SAMPLE
        rows += [("", str(w), quantity, str(t)) for w, t in zip(wells, texts, strict=True)]
        unit_of += [unit] * len(wells)
        basis_of += [basis] * len(wells)
    for step, curve in curves.items():
        if any(data.step == step and plate in data.grids for data in sets):
            curve_rows = curve.vendor_rows()
            rows += curve_rows
            unit_of += [None] * len(curve_rows)
            basis_of += [None] * len(curve_rows)
    vendor = vendor_rows(rows)
    vendor.columns["unit"] = np.array(unit_of, dtype=object)
    vendor.columns["basis"] = np.array(basis_of, dtype=object)
    return vendor


def _numbers(texts: np.ndarray) -> np.ndarray:
    tokens, values = classify_texts([str(t) for t in texts.tolist()])
    return np.where(tokens == "numeric", values, np.nan)


def _is_product(product: np.ndarray, conc: np.ndarray, dilution: np.ndarray) -> bool:
    """Whether `product` is `conc` times the well's dilution where all three are
    numbers and some dilution is not 1 (else nothing tells the two apart)."""
    usable = np.isfinite(product) & np.isfinite(conc) & (conc != 0) & (dilution != 1)
    if not usable.any():
        return False
    expected = conc[usable] * dilution[usable]
    return bool(np.all(np.abs(product[usable] / expected - 1) <= _PRODUCT_TOLERANCE))


def _note_unused(choice: Choice, sets: list[DataSet], notes: Warnings) -> None:
    others = [s for s in sets if s.kind == "measurement" and s is not choice.read]
    if not others:
        return
    named = cells_listed([f"`{s.name}` ({s.signal_kind})" for s in others], _MOST_LISTED)
    read = choice.read
    notes.add(
        f"the export holds {len(others) + 1} reads; the signal is `{read.name}` "
        f"({read.signal_kind}, {choice.why}), not {named}; name another in wells.read"
    )


def _note_stray(results: list[ResultSheet], notes: Warnings) -> None:
    for result in results:
        for grid in result.grids:
            if grid.cut:
                notes.add(
                    f"the grid's header names columns 1 to {grid.columns} only, so {grid.cut} "
                    f"filled cells right of column {grid.columns} in its rows are not read (a "
                    "header number looks damaged)",
                    f"sheet `{result.name}` row {grid.line}",
                )
        if not result.stray:
            continue
        shown = ", ".join(f"`{text}`" for text, _, _ in result.stray[:3])
        first_column = min(column for _, _, column in result.stray)
        notes.add(
            f"{len(result.stray)} cells right of the plate grids (from column "
            f"{_column_letters(first_column)}: {shown}) were not written by SkanIt (the "
            "workbook was edited); they are not read",
            f"sheet `{result.name}`",
        )


def _column_letters(column: int) -> str:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def read_skanit(
    sheets: Sequence[Sheet], source_file: str, options: ReadOptions | None = None
) -> list[ParsedPlate]:
    """Every plate of a SkanIt export's sheets (unvalidated wells, run facts, SkanIt's
    own results, warnings)."""
    return compose(sheets, options or ReadOptions(), source_file)


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_skanit(source.sheets, source.file, options)


def _recognise(source: Source) -> bool:
    return looks_like_skanit(source.sheets)


SKANIT: Final = Format(
    name="skanit",
    described="a SkanIt Software export",
    software="Thermo Fisher SkanIt Software",
    export=(
        "Excel export of a session: absorbance and luminescence endpoint reads, several "
        "wavelengths, steps or plates, Layout definitions, Standard Curve and Dilution "
        "Factor results, 96/384 wells"
    ),
    versions="7.0, 7.0.2",
    plate_map="without a Layout definitions or Sample grid",
    recognised_by="a sheet opening `Measurement results` and a `.skax` session file",
    kinds=("workbook",),
    recognise=_recognise,
    read=_read,
)
