"""BioTek (Agilent) Gen5 text exports into wells (docs/formats.md, "BioTek Gen5").

A Gen5 export is tab-separated. Per plate: a header (`Software Version`, `Plate
Number`, `Date`, ...), `Procedure Details` (the plate type and the read steps), then
paragraphs, each a title line and a body: the `Layout` grid (`Well ID`, `Conc/Dil`), the
`Results` grid (per plate row one line per data set, named by its last cell), or, in
exports without a results matrix, one grid per data set titled by its name; kinetic and
spectrum tables (`Time ...`, `Wavelength ...`, not read) and `... Fitting Results`. An
export of several plates repeats all of it per plate.

Three layers, as for xPONENT:

1. `split_export` cuts the text into plates, and each plate into header lines,
   procedure lines and titled blocks.
2. `Procedure` (its `ReadStep`s), `PlateGrid`, `DataSet`, `Layout` and `CurveTable` are
   frozen records whose `create` checks one block each.
3. `compose` picks the read (`ReadOptions.read`, else the first endpoint read, else the
   first per-well reduction of a kinetic or scan read), places each value in its well,
   applies the Layout and keeps what Gen5 calculated as vendor results.

A data set's name tells what it is: `[<step>:]<read>[ [Test|Ref|Parallel|Perpendicular]]`
is a measurement (`450`, `od:600`, `DAPI/GFP:360/40,460/40`, `LUM:Lum`, `Alpha`,
`Filter Lum:460/40`); a name holding `conc` is a concentration (`[Concentration]`,
`Conc`, `DNA concentration ng/uL`); `<reduction> [<read>]` of a kinetic, spectrum or
area-scan step is a per-well reduced value (`Mean V [420]`, `Max V [600]`,
`Integral [Lum]`, `Mean Max OD [Scan:Spectrum]`); anything else (`Blank 450nm:450`,
`NormLum`, `Ratio 260/280`, `Polarization`, `Delta OD`) is a value Gen5 calculated.

The signal is the measured read as exported: Gen5's blank subtraction is left to the
curve engine (the blank-subtracted values are vendor results). A second wavelength of the
read is subtracted only where the export shows Gen5 used it as a reference: a calculated
data set equal to the read minus that wavelength in every well (or `options.read`
`450-630`); otherwise it is a read not used, named in a warning.

Gen5 writes `MISSED` where the reader took no measurement of a well: token `error`
(signal NaN), the well stays in the table and QC reports it. `OVRFLW` is `overflow`,
`?????` `error`, `<0.000`/`>4.000` `oor_low`/`oor_high`. A value between asterisks
(`*0.356*`) is a well masked in Gen5 (Gen5 calculates nothing from it): its number is
read and the well flagged `vendor_masked`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Final, Literal

import numpy as np

from assaypipe.errors import InputError, excerpt
from assaypipe.readers.cells import (
    ROW_LETTERS,
    classify_texts,
    is_whole,
    parsed_numbers,
    vendor_table,
    wells_columns,
    whole_numbers,
)
from assaypipe.readers.cells import (
    listed as cells_listed,
)
from assaypipe.readers.columns import ColumnTable, objects
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import RoleRule
from assaypipe.vocabulary import Role, VendorBasis, WellFlag

__all__ = [
    "GEN5",
    "Block",
    "CurveTable",
    "DataSet",
    "GridLine",
    "Layout",
    "PlateGrid",
    "Procedure",
    "RawPlate",
    "ReadStep",
    "ReaderHeader",
    "compose",
    "looks_like_gen5",
    "read_gen5",
    "split_export",
]

Mode = Literal["absorbance", "fluorescence", "luminescence", "alpha", ""]
Kind = Literal["measurement", "reduced", "concentration", "calculated"]
_MODES: Final[dict[str, Mode]] = {
    "absorbance": "absorbance",
    "fluorescence": "fluorescence",
    "luminescence": "luminescence",
    "alpha": "alpha",
}

# A read step's mode line: `Absorbance Endpoint`, `Luminescence Spectrum`, `Alpha Endpoint`.
_MODE_LINE: Final = re.compile(
    r"^(Absorbance|Fluorescence|Luminescence|Alpha)\s+(Endpoint|Spectrum|Area Scan|Kinetic)\b",
    re.IGNORECASE,
)
_WAVELENGTHS: Final = re.compile(r"Wavelengths?:\s*([\d\s,]+)", re.IGNORECASE)
_EXCITATION: Final = re.compile(r"^Excitation:\s*([\d/]+)", re.IGNORECASE)
_EMISSION: Final = re.compile(r"Emission:\s*([^,]+?)\s*(?:,|$)", re.IGNORECASE)
_PATHLENGTH: Final = re.compile(r"Pathlength Correction:\s*(\d+)\s*/\s*(\d+)", re.IGNORECASE)
_REGION: Final = re.compile(r"^(?:Full Plate|[A-P]\d{1,2}\.\.[A-P]\d{1,2}.*)$", re.IGNORECASE)
# The plate type names its well count somewhere: `96 WELL PLATE`, `Nunc 384 flat bottom`,
# `PE 1/2 area plate 96` (not the 2 of 1/2).
_PLATE_SIZE: Final = re.compile(r"(?<![\d/])(6|12|24|48|96|384|1536)(?![\d/])")
_PLATE_SHAPES: Final = {6: (2, 3), 12: (3, 4), 24: (4, 6), 48: (6, 8), 96: (8, 12), 384: (16, 24)}
# What a measurement's name holds after its step label: a wavelength (`450`, `450nm`),
# excitation,emission (`485/20,528/20`, `504,531`), a luminescence emission filter
# (`460/40`), `Lum` or `Alpha`; then maybe the pathlength or polarization channel.
_SPEC: Final = re.compile(
    r"^(?P<spec>\d{3,4}(?:/\d{1,3})?(?:\s*nm)?(?:\s*,\s*\d{3,4}(?:/\d{1,3})?)?|Lum|Alpha)"
    r"(?:\s*\[(?P<suffix>Test|Ref|Parallel|Perpendicular)\])?$",
    re.IGNORECASE,
)
# The statistic is the shortest text (one character at least) ending in a non-space, or a
# lone space before the bracket (runs of space taken whole: a lazy `.+?` before `\s*` was
# quadratic in a long run of spaces).
_REDUCTION: Final = re.compile(
    r"^(?P<stat>[^\S\n](?=\s*+\[)|(?:[^\S\n]*+\S)+?)\s*\[(?P<source>.+)\]$"
)
_GRID_HEADER: Final = re.compile(r"^\t\s*\d+\s*(?:\t|$)")
_FITTING: Final = re.compile(r"fitting results\s*$", re.IGNORECASE)
_SECTIONS: Final = frozenset({"Layout", "Results"})
_UNIT: Final = re.compile(
    r"(?<![A-Za-z])((?:[pnµμumk]?g|[pnµμum]?mol|I?U)/(?:[mµμu]?L|dL)|[pnµμum]M)(?![A-Za-z])"
)
_MASKED: Final = re.compile(r"^\*\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*\*$")
# Gen5 numbers sample dilutions `SPL1:2`; the sample is SPL1.
_DILUTION_SUFFIX: Final = re.compile(r":\d+$")
# Gen5's own layout IDs: samples SPL<n>, standards STD<n>, blanks BLK, controls CTL<n>.
# Any other Well ID is an assay control the lab named (`POS`, `NEGCON`).
_GEN5_SAMPLE: Final = re.compile(r"^SPL\d+$", re.IGNORECASE)
_FOUR_PL: Final = "Y=(A-D)/(1+(X/C)^B)+D"
_FIVE_PL: Final = "Y=D+(A-D)/(1+(X/C)^B)^E"
_REFERENCE_TOLERANCE: Final = 0.0016  # three exported decimals on each of three values
_MOST_LISTED: Final = 12


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A titled paragraph after the procedure: its title, title line and body lines."""

    title: str
    line: int
    rows: tuple[tuple[tuple[str, ...], int], ...]

    @property
    def is_grid(self) -> bool:
        return bool(self.rows) and bool(_GRID_HEADER.match("\t".join(self.rows[0][0])))


@dataclass(frozen=True)
class RawPlate:
    """One plate of an export: header `key<TAB>value` lines, procedure lines (as
    written, indentation kept) and the titled blocks after them."""

    header: tuple[tuple[str, str, int], ...]
    procedure: tuple[tuple[str, int], ...]
    procedure_line: int
    blocks: tuple[Block, ...]
    first_line: int


def looks_like_gen5(lines: list[str]) -> bool:
    """A Gen5 text export: a `Software Version` line, then `Procedure Details` or
    `Plate Number`."""
    head = lines[:60]
    if not any(line.startswith("Software Version") for line in head[:40]):
        return False
    return any(
        line.strip() == "Procedure Details" or line.startswith("Plate Number") for line in head
    )


def split_export(text: str) -> list[RawPlate]:
    """Cut the export into plates: each starts at a `Software Version` line."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Software Version")]
    if not starts:
        starts = [0]
    bounds = [*starts[1:], len(lines)]
    return [_split_plate(lines, start, end) for start, end in zip(starts, bounds, strict=True)]


def _split_plate(lines: list[str], start: int, end: int) -> RawPlate:
    header: list[tuple[str, str, int]] = []
    procedure: list[tuple[str, int]] = []
    procedure_line = 0
    index = start
    while index < end and lines[index].strip() != "Procedure Details":
        if lines[index].strip():
            cells = lines[index].split("\t")
            value = cells[1].strip() if len(cells) > 1 else ""
            header.append((cells[0].strip(), value, index + 1))
        index += 1
    if index < end:
        procedure_line = index + 1
        index += 1
        while index < end and not lines[index].strip():
            index += 1
        # The procedure runs to its first blank line.
        while index < end and lines[index].strip():
            procedure.append((lines[index].rstrip(), index + 1))
            index += 1
    return RawPlate(
        header=tuple(header),
        procedure=tuple(procedure),
        procedure_line=procedure_line,
        blocks=tuple(_blocks(lines, index, end)),
        first_line=start + 1,
    )


def _blocks(lines: list[str], start: int, end: int) -> Iterator[Block]:
    """Titled paragraphs (runs of non-blank lines). A paragraph whose first line holds
    one cell is titled by it; a lone title line titles the next paragraph (`420`, a
    blank line, `Time ...`). Paragraphs with no title (`Actual Temperature:`) are skipped."""
    pending: tuple[str, int] | None = None
    for paragraph in _paragraphs(lines, start, end):
        (first, number), rest = paragraph[0], paragraph[1:]
        filled = [cell for cell in first if cell.strip()]
        if len(filled) == 1 and first[0].strip():
            if rest:
                yield Block(first[0].strip(), number, tuple(rest))
                pending = None
            else:
                pending = (first[0].strip(), number)
        elif pending is not None:
            yield Block(pending[0], pending[1], tuple(paragraph))
            pending = None


def _paragraphs(
    lines: list[str], start: int, end: int
) -> Iterator[list[tuple[tuple[str, ...], int]]]:
    paragraph: list[tuple[tuple[str, ...], int]] = []
    for index in range(start, end):
        stripped = lines[index].strip()
        if paragraph and (stripped in _SECTIONS or _FITTING.search(stripped)):
            # Gen5's own section titles open a block even with no blank line before.
            yield paragraph
            paragraph = []
        if stripped:
            paragraph.append((tuple(lines[index].split("\t")), index + 1))
        elif paragraph:
            yield paragraph
            paragraph = []
    if paragraph:
        yield paragraph


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class ReaderHeader:
    software_version: str
    plate_number: str
    run_time: str
    reader_type: str
    serial_number: str

    @classmethod
    def create(cls, raw: RawPlate) -> ReaderHeader:
        values: dict[str, str] = {}
        for key, value, _ in raw.header:
            values.setdefault(key.rstrip(":").strip(), value)
        return cls(
            software_version=values.get("Software Version", ""),
            plate_number=values.get("Plate Number", ""),
            run_time=" ".join(v for v in (values.get("Date", ""), values.get("Time", "")) if v),
            reader_type=values.get("Reader Type", ""),
            serial_number=values.get("Reader Serial Number", ""),
        )


@dataclass(frozen=True)
class ReadStep:
    """One `Read` step of the procedure.

    `name` is its step label, or Gen5's `Read <n>` when the procedure has several
    unlabelled steps; `specs` what it reads, as the data sets name it (`450`,
    `360/40,460/40`, `Lum`, `460/40`, `Alpha`); `dynamic` for a kinetic, spectrum or
    area-scan read (its per-well values are reductions, not endpoint reads).
    """

    number: int
    label: str
    name: str
    mode: Mode
    scan: str
    kinetic: str
    specs: tuple[str, ...]
    pathlength: tuple[str, str] | None
    full_plate: bool

    @property
    def dynamic(self) -> bool:
        return bool(self.kinetic) or self.scan != "endpoint"

    def describe(self) -> str:
        what = f"{self.mode} {self.scan}".strip()
        if self.kinetic:
            return f"a kinetic {what} read ({self.kinetic})"
        return f"a {what} read"


@dataclass(frozen=True)
class Procedure:
    plate_size: int | None
    steps: tuple[ReadStep, ...]

    @classmethod
    def create(cls, raw: RawPlate) -> Procedure:
        size: int | None = None
        kinetic = ""
        steps: list[_StepText] = []
        current: _StepText | None = None
        for text, _ in raw.procedure:
            if text.startswith("\t"):
                # A tab-indented line is a setting of the step above it.
                if current is not None:
                    current.lines.append(text.strip())
                continue
            key, _, value = (part.strip() for part in text.strip().partition("\t"))
            current = None
            if key == "Plate Type" and size is None:
                found = _PLATE_SIZE.search(value)
                size = int(found.group(1)) if found else None
            elif key == "Start Kinetic":
                kinetic = value or "kinetic"
            elif key == "End Kinetic":
                kinetic = ""
            elif key == "Read":
                current = _StepText(value, [], kinetic)
                steps.append(current)
        made = [_step(step, index + 1) for index, step in enumerate(steps)]
        if len(made) > 1:
            # Gen5 names the unlabelled steps of a procedure of several `Read <n>`.
            made = [
                step if step.label else replace(step, name=f"Read {step.number}") for step in made
            ]
        return cls(plate_size=size, steps=tuple(made))

    @property
    def full_plate(self) -> bool:
        return any(step.full_plate for step in self.steps)

    def step_named(self, name: str) -> ReadStep | None:
        folded = name.strip().casefold()
        return next((s for s in self.steps if s.name.casefold() == folded and s.name), None)


@dataclass
class _StepText:
    """A `Read` line of the procedure and the settings under it, before they are read."""

    value: str
    lines: list[str]
    kinetic: str


def _step(text: _StepText, number: int) -> ReadStep:
    value, lines = text.value, text.lines
    mode_line = _MODE_LINE.match(value)
    label = "" if mode_line else value
    if mode_line is None:
        mode_line = next((m for line in lines if (m := _MODE_LINE.match(line))), None)
    mode = _mode(mode_line.group(1) if mode_line else "")
    scan = mode_line.group(2).casefold() if mode_line else "endpoint"
    specs: list[str] = []
    pathlength = None
    for line in lines:
        if (found := _WAVELENGTHS.search(line)) is not None:
            specs += [w for w in re.split(r"[\s,]+", found.group(1)) if w]
        elif (found := _PATHLENGTH.search(line)) is not None:
            pathlength = (found.group(1), found.group(2))
        elif (found := _EXCITATION.match(line)) is not None:
            paired = _EMISSION.search(line)
            specs.append(f"{found.group(1)},{paired.group(1)}" if paired else found.group(1))
        elif (found := _EMISSION.search(line)) is not None and mode == "luminescence":
            emission = found.group(1).strip()
            # `Full light`, `Hole`, `Plug`: no filter, the data set is `Lum`.
            specs.append(emission if re.fullmatch(r"[\d/]+", emission) else "Lum")
    if mode == "alpha":
        specs = ["Alpha"]
    elif mode == "luminescence" and not specs:
        specs = ["Lum"]
    return ReadStep(
        number=number,
        label=label,
        name=label,
        mode=mode,
        scan=scan,
        kinetic=text.kinetic,
        specs=tuple(specs),
        pathlength=pathlength,
        full_plate=any(line.casefold() == "full plate" for line in lines),
    )


def _mode(word: str) -> Mode:
    return _MODES.get(word.casefold(), "")


@dataclass(frozen=True)
class GridLine:
    """One line of a grid: its plate row, cell texts and last-cell label."""

    row: str
    cells: tuple[str, ...]
    label: str
    line: int


@dataclass(frozen=True)
class PlateGrid:
    """A Layout, Results or data-set grid: plate columns, rows, and the lines of each row."""

    name: str
    columns: tuple[int, ...]
    rows: tuple[str, ...]
    lines: tuple[GridLine, ...]
    line: int

    @classmethod
    def create(cls, block: Block, file: str) -> PlateGrid:
        (header, header_line), body = block.rows[0], block.rows[1:]
        name = block.title
        columns = _grid_columns(header, header_line, name, file)
        grid_lines = _grid_lines(body, len(columns), header_line, name, file)
        rows = tuple(dict.fromkeys(line.row for line in grid_lines))
        return cls(name=name, columns=columns, rows=rows, lines=grid_lines, line=block.line)

    def wells(self) -> np.ndarray:
        return np.array([f"{row}{column}" for row in self.rows for column in self.columns])


def _grid_columns(header: tuple[str, ...], line: int, name: str, file: str) -> tuple[int, ...]:
    cells = [cell.strip() for cell in header[1:]]
    while cells and not cells[-1]:
        cells.pop()
    if not cells or not all(is_whole(cell) and 1 <= int(cell) <= 24 for cell in cells):
        raise InputError(
            file,
            f"the {name} grid should start with a line of column numbers 1 to 12 (or 24), "
            f"found {excerpt('|'.join(cells[:4]))}",
            where=f"line {line}",
        )
    columns = tuple(int(cell) for cell in cells)
    if len(set(columns)) != len(columns):
        raise InputError(
            file,
            f"the {name} grid names a column twice ({', '.join(cells)}); each column "
            "should appear once",
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
    return tuple(lines)


@dataclass(frozen=True)
class DataSet:
    """One data set of the plate (a read, a reduction or a calculated value) by well.

    `kind` says which (see the module docstring); `step` is the read step it belongs
    to where that is known, `spec` what the step read (`450`, `485/20,528/20`, `Lum`)
    and `suffix` the pathlength or polarization channel.
    """

    label: str
    kind: Kind
    step: ReadStep | None
    spec: str
    suffix: str
    grid: PlateGrid
    wells: np.ndarray
    texts: np.ndarray
    line: int

    @property
    def signal_kind(self) -> str:
        """What the signal is, for `signal_kind`: `OD450`, `Fluorescence 485/528`, `Lum`."""
        if self.kind != "measurement":
            return self.label
        mode = self.step.mode if self.step else _mode_of_spec(self.spec)
        centres = [part.split("/")[0].strip() for part in self.spec.split(",")]
        centres = [re.sub(r"\s*nm$", "", c, flags=re.IGNORECASE) for c in centres]
        if mode == "absorbance" or (not mode and len(centres) == 1 and centres[0].isdigit()):
            kind = f"OD{centres[0]}"
        elif mode == "fluorescence" or len(centres) == 2:
            kind = f"Fluorescence {'/'.join(centres)}"
        elif self.spec.casefold() == "alpha":
            kind = "Alpha"
        elif self.spec.casefold() == "lum":
            kind = "Lum"
        else:
            kind = f"Lum {centres[0]}"
        return f"{kind} [{self.suffix}]" if self.suffix else kind

    def text_of(self, wells: np.ndarray) -> np.ndarray:
        """The data set's texts for the given wells ("" where it has none)."""
        lookup = dict(zip(self.wells.tolist(), self.texts.tolist(), strict=True))
        return np.array([lookup.get(well, "") for well in wells.tolist()], dtype=object)


def _mode_of_spec(spec: str) -> Mode:
    if "," in spec:
        return "fluorescence"
    if spec.casefold() == "alpha":
        return "alpha"
    if spec.casefold() == "lum" or "/" in spec:
        return "luminescence"
    return "absorbance"


@dataclass
class _Collected:
    """A data set's lines as they are gathered, grid line by grid line."""

    grid: PlateGrid
    line: int
    rows: set[str]
    wells: list[str]
    texts: list[str]


def data_sets(grids: list[PlateGrid], procedure: Procedure, notes: Warnings) -> list[DataSet]:
    """Every data set of the plate's grids, in the order the export writes them."""
    found: dict[str, _Collected] = {}
    for grid in grids:
        unlabelled: dict[str, int] = {}
        for line in grid.lines:
            label = line.label
            if not label and grid.name != "Results":
                label = grid.name
            if not label:
                # Unlabelled lines are the declared reads in their order (an old export).
                position = unlabelled.get(line.row, 0)
                unlabelled[line.row] = position + 1
                label = _declared(procedure, position)
            entry = found.setdefault(label, _Collected(grid, line.line, set(), [], []))
            if line.row in entry.rows:
                notes.add(
                    f"row {line.row} has two `{label}` lines; the first is read",
                    f"line {line.line}",
                )
                continue
            entry.rows.add(line.row)
            entry.wells += [f"{line.row}{column}" for column in grid.columns]
            entry.texts += line.cells
    return [_data_set(label, entry, procedure) for label, entry in found.items()]


def _declared(procedure: Procedure, position: int) -> str:
    specs = [spec for step in procedure.steps if not step.dynamic for spec in step.specs]
    return specs[position] if position < len(specs) else ""


def _data_set(label: str, entry: _Collected, procedure: Procedure) -> DataSet:
    kind, step, spec, suffix = _classify_label(label, procedure)
    wells = np.array(entry.wells, dtype=object)
    texts = np.array(entry.texts, dtype=object)
    return DataSet(label, kind, step, spec, suffix, entry.grid, wells, texts, entry.line)


def _classify_label(label: str, procedure: Procedure) -> tuple[Kind, ReadStep | None, str, str]:
    if "conc" in label.casefold():
        return "concentration", None, "", ""
    measured = _measurement(label, procedure)
    if measured is not None and not label.casefold().startswith("blank "):
        step, spec, suffix = measured
        return "measurement", step, spec, suffix
    reduction = _REDUCTION.match(label)
    if reduction is not None:
        source = re.sub(r"^blank\s+", "", reduction.group("source"), flags=re.IGNORECASE)
        step = _step_of(source, procedure)
        dynamic = [s for s in procedure.steps if s.dynamic]
        if (step is not None and step.dynamic) or (step is None and dynamic):
            return "reduced", step or (dynamic[0] if len(dynamic) == 1 else None), "", ""
    return "calculated", None, "", ""


def _measurement(label: str, procedure: Procedure) -> tuple[ReadStep | None, str, str] | None:
    """The step, spec and channel a measurement's name gives; None for other names."""
    prefix, tail = "", label.strip()
    match = _SPEC.match(tail)
    if match is None:
        prefix, _, tail = label.rpartition(":")
        match = _SPEC.match(tail.strip()) if prefix else None
    if match is None:
        return None
    spec = re.sub(r"\s+", "", match.group("spec"))
    suffix = (match.group("suffix") or "").title()
    step = procedure.step_named(prefix) if prefix else None
    if step is None:
        step = _step_with(spec, suffix, procedure)
    if "/" in spec and "," not in spec and step is not None and step.mode != "luminescence":
        # `260/280` is a luminescence emission filter only in a luminescence read.
        return None
    return step, spec, suffix


def _step_with(spec: str, suffix: str, procedure: Procedure) -> ReadStep | None:
    """The step that reads `spec` (or, alone, the only step)."""
    bare = re.sub(r"nm$", "", spec, flags=re.IGNORECASE)
    for step in procedure.steps:
        if bare in step.specs or (suffix and step.pathlength and bare in step.pathlength):
            return step
    centres = _centres(bare)
    for step in procedure.steps:
        if any(_centres(own) == centres for own in step.specs):
            return step
    return procedure.steps[0] if len(procedure.steps) == 1 else None


def _centres(spec: str) -> tuple[str, ...]:
    return tuple(part.split("/")[0].strip() for part in spec.split(","))


def _step_of(source: str, procedure: Procedure) -> ReadStep | None:
    """The step a reduction's `[source]` names: `420`, `Read 2:450,490`, `Scan:Spectrum`."""
    step = procedure.step_named(source)
    if step is not None:
        return step
    prefix = source.rpartition(":")[0]
    if prefix and (step := procedure.step_named(prefix)) is not None:
        return step
    measured = _measurement(source, procedure)
    return measured[0] if measured else None


@dataclass(frozen=True)
class Layout:
    """The `Layout` grid: per well its Well ID, Conc/Dil and Name, where written."""

    ids: dict[str, str]
    concs: dict[str, str]
    names: dict[str, str]
    unit: str

    @classmethod
    def create(cls, grid: PlateGrid) -> Layout:
        fields: dict[str, dict[str, str]] = {"well id": {}, "conc": {}, "name": {}}
        unit = ""
        for line in grid.lines:
            label = line.label.casefold()
            key = next((k for k in fields if label.startswith(k)), "")
            if not key:
                continue
            if key == "conc" and (found := _UNIT.search(line.label)) is not None:
                unit = unit or found.group(1)
            for column, text in zip(grid.columns, line.cells, strict=True):
                if text.strip():
                    fields[key].setdefault(f"{line.row}{column}", text.strip())
        return cls(fields["well id"], fields["conc"], fields["name"], unit)


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


@dataclass(frozen=True)
class Choice:
    """The read used for the signal, and the reference subtracted from it, if any."""

    read: DataSet
    reference: DataSet | None
    why: str


def compose(raw: RawPlate, options: ReadOptions, file: str, name: str = "") -> ParsedPlate:
    """One plate's wells, run facts, Gen5's own results and warnings."""
    notes = Warnings()
    header = ReaderHeader.create(raw)
    procedure = Procedure.create(raw)
    layout_blocks = [b for b in raw.blocks if b.title == "Layout" and b.is_grid]
    grids = [
        PlateGrid.create(block, file)
        for block in raw.blocks
        if block.is_grid and block.title != "Layout" and not _FITTING.search(block.title)
    ]
    if not grids:
        raise InputError(file, _no_data(raw, procedure), where=_where(raw))
    sets = data_sets(grids, procedure, notes)
    choice = _choose(sets, procedure, options, file)
    wells, texts = choice.read.wells, choice.read.texts
    layout = Layout.create(PlateGrid.create(layout_blocks[0], file)) if layout_blocks else None
    keep = _kept(wells, texts, layout)
    if not keep.any():
        raise InputError(file, _empty(choice.read), where=f"line {choice.read.line}")
    _note_dropped(wells[~keep], choice.read, procedure, notes)
    wells, texts = wells[keep], texts[keep]
    columns = _wells(wells, texts, choice)
    if layout is not None:
        columns.update(_layout_columns(wells, layout, options.rule, notes))
    table = wells_columns(len(wells), source_file=file, **columns)
    _note_shape(choice.read.grid, procedure, notes)
    _note_rows_without_read(choice.read, notes)
    _note_unused(choice, sets, notes)
    meta = {
        "format": "gen5",
        "instrument": header.reader_type,
        "software": "Gen5",
        "software_version": header.software_version,
        "serial_number": header.serial_number,
        "batch": header.plate_number,
        "run_time": header.run_time,
        "unit": layout.unit if layout is not None else "",
    }
    vendor = _vendor(sets, choice, wells, raw)
    return ParsedPlate(wells=table, meta=meta, vendor=vendor, name=name, warnings=notes.as_tuple())


def _where(raw: RawPlate) -> str:
    return f"line {raw.procedure_line or raw.first_line}"


def _no_data(raw: RawPlate, procedure: Procedure) -> str:
    tables = [b.title for b in raw.blocks if not b.is_grid and not _FITTING.search(b.title)]
    if tables and procedure.steps and any(s.dynamic for s in procedure.steps):
        step = next(s for s in procedure.steps if s.dynamic)
        return (
            f"this is {step.describe()} and the export holds no per-well endpoint or reduced "
            f"value (only the {', '.join(f'`{t}`' for t in tables[:3])} table): export it "
            "with a kinetic or scan data reduction (such as `Mean V` or `Max V`), or its "
            "endpoint read"
        )
    return (
        "the export holds no plate data: no `Results` grid and no data-set grid after "
        "the procedure; export the plate with its results"
    )


def _empty(read: DataSet) -> str:
    what = f"`{read.label}`"
    if read.kind == "reduced" and read.step is not None:
        return (
            f"this is {read.step.describe()} and its per-well value {what} is empty in every "
            "well: there is no endpoint value to read"
        )
    return f"the data set {what} is empty in every well: there is no value to read"


def _choose(sets: list[DataSet], procedure: Procedure, options: ReadOptions, file: str) -> Choice:
    wanted = options.read.strip()
    if wanted:
        return _asked(wanted, sets, file)
    order = {step.name: step.number for step in procedure.steps}
    endpoint = [
        s for s in sets if s.kind == "measurement" and not (s.step is not None and s.step.dynamic)
    ]
    if endpoint:
        endpoint.sort(key=lambda s: _read_order(s, order))
        read = endpoint[0]
        return Choice(read, _reference(read, sets), "the first endpoint read")
    reduced = [s for s in sets if s.kind == "reduced" and (s.texts != "").any()]
    reduced = reduced or [s for s in sets if s.kind == "reduced"]
    if reduced:
        return Choice(reduced[0], None, "the first per-well reduction")
    unlabelled = [s for s in sets if s.label == ""]
    if unlabelled:
        raise InputError(
            file, "the export does not say which wavelength was read (no `Wavelengths:`)"
        )
    if procedure.steps and all(s.dynamic for s in procedure.steps):
        step = procedure.steps[0]
        raise InputError(
            file,
            f"this is {step.describe()} and the export holds no per-well endpoint or reduced "
            f"value (such as `Mean V` or `Max V`), only {_listed(sets)}",
        )
    raise InputError(
        file,
        f"the export holds no measured read, only values Gen5 calculated ({_listed(sets)}); "
        "export the measurements too, or name one of these in wells.read",
        where=f"line {sets[0].grid.line}",
    )


def _read_order(data: DataSet, order: dict[str, int]) -> tuple[int, int, int, int]:
    step = data.step
    position = 99
    if step is not None:
        bare = re.sub(r"nm$", "", data.spec, flags=re.IGNORECASE)
        specs = list(step.specs)
        position = specs.index(bare) if bare in specs else 50
    suffix = ["", "Parallel", "Perpendicular", "Test", "Ref"].index(data.suffix)
    return (order.get(step.name, 99) if step else 99, position, suffix, data.line)


def _listed(sets: list[DataSet]) -> str:
    return cells_listed([f"`{s.label}`" for s in sets], _MOST_LISTED)


def _asked(wanted: str, sets: list[DataSet], file: str) -> Choice:
    """The data set `options.read` names: its name, what it reads, its step or its kind."""
    folded = wanted.casefold()
    difference = re.fullmatch(r"(\d{3,4})\s*-\s*(\d{3,4})", wanted)
    if difference is not None:
        first, second = (
            _asked(part, sets, file).read for part in (difference.group(1), difference.group(2))
        )
        return Choice(first, second, f"wells.read `{wanted}`")
    # In this order: the data set's name, what it reads (with or without bandwidths),
    # its step's name, its signal_kind.
    keys: list[Callable[[DataSet], str]] = [
        lambda s: s.label,
        lambda s: s.spec if s.kind == "measurement" else "",
        lambda s: ",".join(_centres(s.spec)) if s.kind == "measurement" else "",
        lambda s: s.step.name if s.kind == "measurement" and s.step is not None else "",
        lambda s: s.signal_kind,
    ]
    for key in keys:
        matches = [s for s in sets if key(s).casefold() == folded]
        if matches:
            return Choice(matches[0], None, f"wells.read `{wanted}`")
    raise InputError(
        file,
        f"wells.read asks for the read `{wanted}`, which this export does not hold; it holds "
        f"{_listed([s for s in sets if s.kind in ('measurement', 'reduced')] or sets)} "
        "(name one of them, or leave wells.read empty for the first read)",
    )


def _reference(read: DataSet, sets: list[DataSet]) -> DataSet | None:
    """The other wavelength Gen5 subtracted from the read, where its export shows it did:
    a calculated data set equal to read - reference in every well with three numbers."""
    if read.step is None or read.step.mode != "absorbance" or read.suffix:
        return None
    others = [
        s
        for s in sets
        if s.kind == "measurement" and s is not read and s.step is read.step and not s.suffix
    ]
    calculated = [
        s
        for s in sets
        if s.kind == "calculated" and not s.label.casefold().startswith("blank")  # their word
    ]
    if not others or not calculated:
        return None
    values = _numbers(read.texts)
    for other in others:
        difference = values - _numbers(other.text_of(read.wells))
        for candidate in calculated:
            given = _numbers(candidate.text_of(read.wells))
            both = np.isfinite(difference) & np.isfinite(given)
            if both.any() and np.all(
                np.abs(difference[both] - given[both]) <= _REFERENCE_TOLERANCE
            ):
                return other
    return None


def _numbers(texts: np.ndarray | list[str]) -> np.ndarray:
    """The numbers of the (stripped) texts, NaN where a text is not one."""
    return parsed_numbers([text.strip() for text in list(texts)])


def _kept(wells: np.ndarray, texts: np.ndarray, layout: Layout | None) -> np.ndarray:
    """Wells with a value, or that the Layout names: a cell empty in the read and in the
    Layout is a well the export has nothing about (outside the wells read)."""
    ids = layout.ids if layout is not None else {}
    return np.array(
        [bool(text.strip()) or well in ids for well, text in zip(wells, texts, strict=True)],
        dtype=bool,
    )


def _note_dropped(
    dropped: np.ndarray, read: DataSet, procedure: Procedure, notes: Warnings
) -> None:
    step = read.step
    full = step.full_plate if step is not None else procedure.full_plate
    if dropped.size and full:
        notes.add(
            f"{_count(len(dropped), 'well')} of the full-plate read "
            f"{'has' if len(dropped) == 1 else 'have'} no value in `{read.label}` and no "
            f"Layout entry ({_well_list(dropped.tolist())}); left out"
        )


def _wells(wells: np.ndarray, texts: np.ndarray, choice: Choice) -> dict[str, object]:
    """The wells' columns from the read (and its reference): well, signal, raw text,
    token and the flag of a well masked in Gen5."""
    stripped = [text.strip() for text in texts.tolist()]
    masked = [_MASKED.search(text) for text in stripped]
    is_masked = np.array([found is not None for found in masked], dtype=bool)
    tokens, values = classify_texts(
        [
            text if found is None else found.group(1)
            for text, found in zip(stripped, masked, strict=True)
        ]
    )
    raw_text = np.array(stripped, dtype=object)
    kind = choice.read.signal_kind
    if choice.reference is not None:
        reference = [text.strip() for text in choice.reference.text_of(wells).tolist()]
        second_tokens, second_values = classify_texts(reference)
        # The well's token is the first that is not a plain number, so an unusable
        # reference reading is as visible as an unusable primary one.
        tokens = np.where(tokens != "numeric", tokens, second_tokens)
        values = values - second_values
        raw_text = np.array(
            [f"{first}|{second}" for first, second in zip(stripped, reference, strict=True)],
            dtype=object,
        )
        kind = f"{kind}-{_centres(choice.reference.spec)[0]}"
    flags = np.full(len(wells), "", dtype=object)
    flags[is_masked] = WellFlag.VENDOR_MASKED.value
    return {
        "well": wells.astype(object),
        "signal": values,
        "signal_kind": kind,
        "raw_text": raw_text,
        "token": tokens,
        "flags": flags,
    }


def _layout_columns(
    wells: np.ndarray, layout: Layout, rule: RoleRule, notes: Warnings
) -> dict[str, object]:
    """The columns the Layout gives the wells: role, sample name and ID, standard
    level, expected concentration and dilution."""
    listed = wells.tolist()
    present = set(listed)
    missing = [well for well in layout.ids if well not in present]
    if missing:
        named = cells_listed([f"{w} ({layout.ids[w]})" for w in missing], _MOST_LISTED)
        notes.add(
            f"the Layout names {len(missing)} wells the read does not hold: {named}; "
            "they have no reading and are left out"
        )
    ids = [layout.ids.get(w, "") for w in listed]
    given = [layout.names.get(w, "") for w in listed]
    base = [_DILUTION_SUFFIX.sub("", well_id) for well_id in ids]
    # Each distinct ID is classified once (replicates and dilutions repeat them).
    classified = {name: _role(name, rule) if name else (Role.SAMPLE, None) for name in set(base)}
    roles = [classified[name] for name in base]
    role = np.array([r for r, _ in roles], dtype=object)
    number = _numbers([layout.concs.get(w, "") for w in listed])
    number[~np.isfinite(number)] = np.nan
    is_reference = np.array([r in (Role.STANDARD, Role.CONTROL) for r, _ in roles], dtype=bool)
    is_sample = role == Role.SAMPLE
    # Gen5 writes a sample's dilution as the fraction kept (0.5) or as a factor (2).
    with np.errstate(divide="ignore", invalid="ignore"):
        dilution = np.where(number <= 1, 1 / number, number)
        dilution = np.where(is_sample & (number > 0), dilution, 1.0)
    sample_id = np.array(
        [
            (name or plain) if r in (Role.SAMPLE, Role.CONTROL) and well_id else None
            for (r, _), well_id, name, plain in zip(roles, ids, given, base, strict=True)
        ],
        dtype=object,
    )
    levels = [np.nan if level is None else level for _, level in roles]
    return {
        "role": role,
        "sample_name": np.array(ids, dtype=object),
        "sample_id": sample_id,
        "level": whole_numbers(np.array(levels, dtype=float)),
        "expected_conc": np.where(is_reference, number, np.nan),
        "dilution": dilution,
    }


def _role(well_id: str, rule: RoleRule) -> tuple[str, int | None]:
    role, level = rule.classify(well_id)
    if role == Role.SAMPLE and not _GEN5_SAMPLE.match(well_id):
        # Gen5 names samples SPL<n>; any other ID is an assay control the lab defined.
        return Role.CONTROL, None
    return role, level


def _note_shape(grid: PlateGrid, procedure: Procedure, notes: Warnings) -> None:
    size = procedure.plate_size
    if not procedure.full_plate or size not in _PLATE_SHAPES:
        return
    n_rows, n_columns = _PLATE_SHAPES[size]
    if len(grid.rows) == n_rows and len(grid.columns) == n_columns:
        return
    rows = ", ".join(grid.rows) if len(grid.rows) <= 8 else f"{grid.rows[0]}-{grid.rows[-1]}"
    notes.add(
        f"the procedure reads the full {size}-well plate but the {grid.name} grid holds "
        f"{_count(len(grid.rows), 'row')} ({rows}) x {_count(len(grid.columns), 'column')}: "
        "its wells are read where they are; check the export is complete",
        f"line {grid.line}",
    )


def _note_rows_without_read(read: DataSet, notes: Warnings) -> None:
    """Rows of the read's grid that hold lines, none of them the read's (a damaged label)."""
    have = {str(well).rstrip("0123456789") for well in read.wells}
    missing: dict[str, list[str]] = {}
    for line in read.grid.lines:
        if line.row not in have:
            missing.setdefault(line.row, []).append(line.label)
    if not missing:
        return
    rows = ", ".join(missing)
    labels = sorted({f"`{label}`" for found in missing.values() for label in found if label})
    said = f" (labelled {', '.join(labels[:_MOST_LISTED])} there)" if labels else ""
    notes.add(
        f"row{'s' if len(missing) > 1 else ''} {rows} of the {read.grid.name} grid "
        f"{'have' if len(missing) > 1 else 'has'} no `{read.label}` line{said}: "
        f"{'their' if len(missing) > 1 else 'its'} wells are not read; check the export "
        "is complete",
        f"line {read.grid.line}",
    )


def _note_unused(choice: Choice, sets: list[DataSet], notes: Warnings) -> None:
    read = choice.read
    if read.kind == "reduced":
        stat = _REDUCTION.match(read.label)
        prefix = stat.group("stat") if stat else read.label
        others = [
            s
            for s in sets
            if s.kind == "reduced"
            and s is not read
            and (m := _REDUCTION.match(s.label)) is not None
            and m.group("stat") == prefix
        ]
    else:
        others = [s for s in sets if s.kind == "measurement" and s is not read]
    others = [s for s in others if s is not choice.reference]
    if not others:
        return
    named = cells_listed([f"`{s.label}` ({s.signal_kind})" for s in others], _MOST_LISTED)
    notes.add(
        f"the export holds {len(others) + 1} reads; the signal is `{read.label}` "
        f"({read.signal_kind}, {choice.why}), not {named}; name another in wells.read"
    )


def _vendor(sets: list[DataSet], choice: Choice, wells: np.ndarray, raw: RawPlate) -> ColumnTable:
    analytes: list[str] = []
    well_names: list[str | None] = []
    quantities: list[str] = []
    raw_texts: list[str] = []
    units: list[str | None] = []
    bases: list[str | None] = []
    listed = [str(well) for well in wells.tolist()]
    for data in sets:
        if data.kind == "measurement" or data is choice.read:
            continue
        texts = data.text_of(wells)
        if data.kind == "concentration":
            quantity = "concentration"
            found = _UNIT.search(data.label)
            unit = found.group(1) if found else None
            # Gen5's concentrations are of the well as measured: its [Concentration] of
            # SPL1:2 (Conc/Dil 0.5) is half that of SPL1:1. A data set naming the
            # dilution (`Conc*Dil`) is of the sample.
            basis = VendorBasis.SAMPLE if "dil" in data.label.casefold() else VendorBasis.IN_WELL
        else:
            quantity, unit, basis = data.label, None, None
        analytes += [""] * len(listed)
        well_names += listed
        quantities += [quantity] * len(listed)
        raw_texts += [str(text) for text in texts.tolist()]
        units += [unit] * len(listed)
        bases += [basis] * len(listed)
    for analyte, well, quantity, text in _curve_rows(raw):
        analytes.append(analyte)
        well_names.append(well)
        quantities.append(quantity)
        raw_texts.append(text)
        units.append(None)
        bases.append(None)
    table = vendor_table(
        objects(analytes), objects(well_names), objects(quantities), objects(raw_texts)
    )
    table.columns["unit"] = objects(units)
    table.columns["basis"] = objects(bases)
    return table


def _curve_rows(raw: RawPlate) -> list[tuple[str, str | None, str, str]]:
    rows: list[tuple[str, str | None, str, str]] = []
    fitting = [b for b in raw.blocks if _FITTING.search(b.title)]
    for block in fitting:
        for curve in CurveTable.create(block.rows).rows:
            formula = curve.get("Curve Formula", "")
            rows.append(("", None, "model", formula))
            letters = {
                key: value
                for key, value in curve.items()
                if len(key) == 1 and key.isalpha() and value
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
    return rows


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _well_list(wells: list[str]) -> str:
    order = sorted(wells, key=lambda w: (ROW_LETTERS.index(w[0]), int(w[1:])))
    return cells_listed(order, _MOST_LISTED)


def read_gen5(text: str, source_file: str, options: ReadOptions | None = None) -> list[ParsedPlate]:
    """Every plate of one export's text: wells (unvalidated), run facts, Gen5's own
    results and warnings. A plate that cannot be read is skipped with a warning on the
    others; the file is refused when none can be read."""
    options = options or ReadOptions()
    raws = split_export(text)
    names = _plate_names(raws)
    plates: list[ParsedPlate] = []
    failed: list[tuple[str, InputError]] = []
    for raw, name in zip(raws, names, strict=True):
        try:
            plates.append(compose(raw, options, source_file, name if len(raws) > 1 else ""))
        except InputError as error:
            if len(raws) == 1:
                raise
            failed.append((name, error))
    if not plates:
        raise failed[0][1]
    if failed:
        skipped = "; ".join(
            f"{name} ({error.where or 'plate'}): {error.message}" for name, error in failed
        )
        plates = [
            ParsedPlate(p.wells, p.meta, p.vendor, p.name, (*p.warnings, f"not read: {skipped}"))
            for p in plates
        ]
    return plates


def _plate_names(raws: list[RawPlate]) -> list[str]:
    """Each plate's `Plate Number`, made unique (`Plate 1 (2)`) where one repeats."""
    names: list[str] = []
    for position, raw in enumerate(raws, start=1):
        name = ReaderHeader.create(raw).plate_number or f"Plate {position}"
        candidate, count = name, 1
        while candidate in names:
            count += 1
            candidate = f"{name} ({count})"
        names.append(candidate)
    return names


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_gen5(source.text, source.file, options)


def _recognise(source: Source) -> bool:
    return looks_like_gen5(source.lines)


GEN5: Final = Format(
    name="gen5",
    described="a Gen5 text export",
    software="BioTek (Agilent) Gen5",
    export=(
        "text export: absorbance, fluorescence, luminescence, Alpha endpoint reads or "
        "kinetic/scan reductions, several reads or plates, 96/384 wells"
    ),
    versions="3.0 to 3.15",
    plate_map="without a Layout",
    recognised_by="`Software Version` and `Procedure Details`",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
