"""Molecular Devices SoftMax Pro text exports into wells (docs/formats.md, SoftMax Pro).

A SoftMax Pro export is `##BLOCKS= n` followed by n blocks, each ending `~End`:

- `Note:` blocks (free text; `Standard Lot #` and `Kit Lot #` lines give the kit lot);
- `Plate:` blocks: a tab-separated header line (name, export version, PlateFormat or
  TimeFormat, read type, read mode, Raw/Reduced/Both, ..., wavelengths, the read area:
  first column, columns, wells of the plate, first row, rows), then the data.
  PlateFormat writes each read as a grid of the whole plate (several wavelengths side by
  side); TimeFormat writes one line per read with a column per well. A grid whose
  header line has no `Temperature` is the reduced data: SoftMax's own reduction
  (wavelength choice, reference subtraction, a kinetic slope, a spectrum's maximum);
- `Group:` blocks: one table per group (sample, wells, values, computed columns,
  `WellPlateName`) and, when exported, the formula of each column (`!WellValues`,
  `InterpX(Std@StandardCurve,Value)`, `Result*Dilution`, ...).

The signal is the read SoftMax used, as exported: its reduced data when the export
holds it, else the read (or difference of two reads) that the groups' `!WellValues`
reproduce, else the first read; `ReadOptions.read` picks another. The formulas tell
which computed columns are concentrations and whether they include the dilution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Final

import numpy as np

from assaypipe.errors import InputError, excerpt
from assaypipe.readers.cells import (
    ROW_LETTERS,
    classify_texts,
    is_whole,
    parse_well,
    vendor_rows,
    well_order,
    wells_columns,
    whole_numbers,
)
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import DEFAULT_RULE, RoleRule
from assaypipe.vocabulary import Role, VendorBasis, WellFlag

__all__ = [
    "SOFTMAX",
    "Block",
    "Blocks",
    "GroupTable",
    "PlateBlock",
    "PlateHeader",
    "looks_like_softmax",
    "read_softmax",
    "split_blocks",
]

_BLOCKS: Final = re.compile(r"^##BLOCKS=\s*(\d+)\s*$")
_KINDS: Final = ("Note", "Plate", "Group")
_DATA_TYPES: Final = ("Raw", "Reduced", "Both")
# Wells of a plate -> its rows and columns.
_PLATE_SIZES: Final = {6: (2, 3), 12: (3, 4), 24: (4, 6), 48: (6, 8), 96: (8, 12), 384: (16, 24)}
_PREFIXES: Final = {
    "absorbance": "OD",
    "fluorescence": "RFU",
    "luminescence": "RLU",
    "time resolved": "TRF",
}
# Group roles, from the group's name split into lower-case words ("PositiveControl"
# -> "positive control", "Standards 1" -> "standards 1").
_STANDARD_WORDS: Final = frozenset(
    # their words
    {"std", "stds", "standard", "standards", "calibrator", "calibrators", "cal", "cals"}
)
# their words
_CONTROL_WORDS: Final = frozenset({"control", "controls", "ctrl", "ctrls", "ctl", "qc", "qcs"})
# their words
_BLANK_WORDS: Final = frozenset({"blank", "blanks", "blk", "background", "bkg", "bkgd"})
# their words
_SAMPLE_WORDS: Final = frozenset({"unknown", "unknowns", "sample", "samples", "unk"})
# Group columns by name, where the export holds no formulas.
_WELL_NAME: Final = re.compile(r"^wells?$", re.IGNORECASE)
_VALUE_NAME: Final = re.compile(r"^(?:od|values?|raw)$", re.IGNORECASE)
_DILUTION_NAME: Final = re.compile(r"^(?:dilution|dil\.?|df)\s*(?:factor)?$", re.IGNORECASE)
_EXPECTED_NAME: Final = re.compile(
    r"^(?:conc|concentration|standard value|std value|expected|nominal)\b", re.IGNORECASE
)
_CONC_NAME: Final = re.compile(r"conc|result", re.IGNORECASE)
_NOT_CONC_NAME: Final = re.compile(
    r"\bcv|cv\b|\bsd\b|\bstd\b|dev\b|%|status|flag|\brec\b|recovery|range|diff|pass"
    r"|fail|count|#|\bratio\b",
    re.IGNORECASE,
)
_SAMPLE_BASIS_NAME: Final = re.compile(
    r"adj|\*|×|dilution|dil\b|factor|final|corrected", re.IGNORECASE
)
_MEAN_NAME: Final = re.compile(r"mean|avg|average", re.IGNORECASE)
_UNIT: Final = re.compile(
    r"(?<![\w/])((?:[pnµumk]?g|[pnµum]?mol|[mµu]?IU|[mµu]?U|copies|cells)\s*/\s*[µumd]?[lL])"
    r"(?![\w/])"
)
# What a kinetic, spectrum or well-scan read holds per well, in its header's count.
_POINT_WORDS: Final = {
    "Kinetic": "time points",
    "Spectrum": "wavelengths",
    "Well Scan": "scan points",
}
# A group value printed to n decimals is its read within half a unit of the last one.
_ROUNDING_SLACK: Final = 1e-9

# Where each well of a 384-well plate sorts (`cells.well_order`), looked up.
_WELL_ORDER: Final = {
    f"{letter}{column}": (row, column)
    for row, letter in enumerate(ROW_LETTERS)
    for column in range(1, 25)
}
# One read: the text of each well it holds a cell for, by well name.
Grid = dict[str, str]


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One block's lines (its first line names it), where it starts, whether `~End`
    closes it."""

    kind: str
    lines: tuple[str, ...]
    line: int
    closed: bool = True


def looks_like_softmax(lines: list[str]) -> bool:
    first = next((line for line in lines[:5] if line.strip()), "")
    return bool(_BLOCKS.match(first.strip()))


@dataclass(frozen=True)
class Blocks:
    """The export's blocks; `closed` of them end with `~End`, `declared` were announced,
    and `finished` says whether SoftMax's closing `Original Filename: ...` line is there."""

    blocks: tuple[Block, ...]
    declared: int
    closed: int
    finished: bool

    @property
    def cut_short(self) -> bool:
        """Fewer blocks than announced and no closing line: the file was cut."""
        return self.closed < self.declared and not self.finished


def split_blocks(lines: list[str], notes: Warnings | None = None) -> Blocks:
    """The export's blocks. A count that disagrees with the `~End`s in a file SoftMax
    finished writing (its closing line is there, or it holds more blocks than it
    announces) is a warning; an unclosed last block is read as far as it goes."""
    notes = notes if notes is not None else Warnings()
    start = next(i for i, line in enumerate(lines) if line.strip())
    announced = _BLOCKS.match(lines[start].strip()).group(1)  # type: ignore[union-attr]
    # A count of hundreds of digits is no count (int refuses one of thousands).
    significant = announced.lstrip("0") or "0"
    count = int(significant) if is_whole(significant) else None
    blocks: list[Block] = []
    current: list[str] = []
    first_line = 0
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.lstrip().startswith("~End"):
            if current:
                blocks.append(Block(_kind(current), tuple(current), first_line))
            current = []
            line = line.lstrip()[len("~End") :]
            if not line.strip():
                continue
            # The next block's first line follows `~End` on the same line.
            notes.add("a block starts on the line of the previous block's `~End`", f"line {number}")
        if current and _starts_block(line, lines, number):
            # A `~End` is missing: the block that starts here is read as its own.
            blocks.append(Block(_kind(current), tuple(current), first_line, closed=False))
            notes.add(
                f"a {_kind([line])} block starts here before the {_kind(current)} block of "
                f"line {first_line} ends with `~End`; it is read as a block of its own",
                f"line {number}",
            )
            current = []
        if current or line.strip():
            if not current:
                first_line = number
            current.append(line)
    closed = sum(block.closed for block in blocks)
    finished = bool(current) and current[0].startswith("Original Filename")
    if current and _kind(current) in _KINDS:
        blocks.append(Block(_kind(current), tuple(current), first_line, closed=False))
        notes.add(
            f"the {_kind(current)} block that starts here has no `~End` (the file ends "
            "first); it is read as far as it goes",
            f"line {first_line}",
        )
    if count is None:
        notes.add(
            f"the export announces {excerpt(announced)} blocks, not a count; the blocks "
            "present are read"
        )
    declared = closed if count is None else count
    split = Blocks(tuple(blocks), declared, closed, finished)
    if closed != declared and not split.cut_short:
        notes.add(
            f"the export announces {declared} blocks (`##BLOCKS= {declared}`) but holds "
            f"{closed}; the blocks present are read"
        )
    return split


def _starts_block(line: str, lines: list[str], number: int) -> bool:
    """Whether a line is a Plate header (21 or more fields) or a Group's first line
    (the next line names its columns, wells among them)."""
    line = re.sub(r"^[\x00-\x1f]+", "", line)
    if line.startswith("Plate:\t"):
        return line.count("\t") >= 20
    if line.startswith("Group:"):
        following = lines[number] if number < len(lines) else ""
        return any(_WELL_NAME.match(cell.strip()) for cell in following.split("\t"))
    return False


def _looks_like_data(line: str) -> bool:
    """A plate data header line: `\tTemperature(°C)\t1\t2...`, `\t\tA1\tA2...`."""
    cells = [cell.strip() for cell in line.split("\t")]
    return len(cells) > 3 and (
        "temperature" in cells[1].casefold()
        or cells[2:4] == ["1", "2"]
        or bool(parse_well(cells[2]) and parse_well(cells[3]))
    )


def _kind(lines: Sequence[str]) -> str:
    if not lines:
        return ""
    # A stray control character (a damaged byte) does not hide a block's kind.
    head = re.sub(r"^[\x00-\x1f]+", "", lines[0]).split("\t")[0].strip()
    return head.split(":", 1)[0].strip() if ":" in head else head


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class PlateHeader:
    """The fields of a `Plate:` header line that say what was read and where."""

    name: str
    export_format: str
    read_type: str
    read_mode: str
    points: int
    wavelengths: tuple[str, ...]
    excitations: tuple[str, ...]
    spectrum: str
    plate_rows: int
    plate_columns: int
    rows: range
    columns: range
    line: int

    @classmethod
    def create(cls, text: str, line: int, file: str, notes: Warnings) -> PlateHeader:
        cells = [cell.strip() for cell in text.split("\t")]
        where = f"line {line}"
        if len(cells) < 21:
            raise InputError(
                file,
                f"the Plate block's header line has {len(cells)} fields, expected at least 21",
                where=where,
            )
        name, read_mode = cells[1], cells[5]
        # Fluorescence headers hold one field more (top or bottom read) before the
        # data type; the fields after it shift by one.
        shift = next((k for k in (0, 1) if cells[6 + k] in _DATA_TYPES), None)
        if shift is None:
            raise InputError(
                file,
                f"plate {name}'s header line has no data type (Raw, Reduced or Both) where "
                f"SoftMax writes it; found {cells[6]!r}",
                where=where,
            )
        absorbance = read_mode.casefold() == "absorbance"
        at = _fields(shift, absorbance)
        n_wells = _int(cells, at["wells"], "the number of wells", name, file, where)
        if n_wells not in _PLATE_SIZES:
            raise InputError(
                file,
                f"plate {name}'s header gives a plate of {n_wells} wells; expected "
                f"{', '.join(map(str, _PLATE_SIZES))}",
                where=where,
            )
        plate_rows, plate_columns = _PLATE_SIZES[n_wells]
        first_column = _int(cells, at["first_column"], "the first column", name, file, where)
        first_row = _int(cells, at["first_row"], "the first row", name, file, where)
        n_columns = _int(cells, at["columns"], "the number of columns", name, file, where)
        n_rows = _int(cells, at["rows"], "the number of rows", name, file, where)
        rows = range(max(first_row, 1), min(first_row + n_rows, plate_rows + 1))
        columns = range(max(first_column, 1), min(first_column + n_columns, plate_columns + 1))
        if len(rows) != n_rows or len(columns) != n_columns or not rows or not columns:
            notes.add(
                f"plate {name}'s header describes a read of {n_rows} rows from row "
                f"{first_row} and {n_columns} columns from column {first_column}, which "
                f"does not fit a {n_wells}-well plate; the plate's own wells are read",
                where,
            )
            rows, columns = range(1, plate_rows + 1), range(1, plate_columns + 1)
        wavelengths = tuple(_numbers(cells[at["wavelengths"]]))
        excitations = tuple(_numbers(cells[at["excitations"]])) if not absorbance else ()
        spectrum = ""
        if cells[4] == "Spectrum":
            low, high = cells[11 + shift], cells[12 + shift]
            spectrum = f"{_number(low)}-{_number(high)} nm" if low and high else ""
        points_text = cells[8 + shift]
        return cls(
            name=name,
            export_format=cells[3],
            read_type=cells[4],
            read_mode=read_mode,
            points=int(points_text) if is_whole(points_text) else 1,
            wavelengths=wavelengths,
            excitations=excitations,
            spectrum=spectrum,
            plate_rows=plate_rows,
            plate_columns=plate_columns,
            rows=rows,
            columns=columns,
            line=line,
        )

    @property
    def prefix(self) -> str:
        return _PREFIXES.get(self.read_mode.casefold(), self.read_mode or "signal")

    @property
    def area(self) -> list[str]:
        """The wells of the read area, row by row."""
        return [f"{ROW_LETTERS[r - 1]}{c}" for r in self.rows for c in self.columns]

    def read_names(self, n_reads: int) -> list[str]:
        """What each raw read is called (`OD450`, `RFU 485/538`, `RLU`)."""
        names = []
        for k in range(n_reads):
            wavelength = self.wavelengths[k] if k < len(self.wavelengths) else ""
            excitation = self.excitations[k] if k < len(self.excitations) else ""
            if self.prefix == "OD":
                names.append(f"OD{wavelength}")
            elif self.prefix == "RLU":
                names.append("RLU" if wavelength in ("", "0") else f"RLU {wavelength}")
            elif excitation and wavelength:
                names.append(f"{self.prefix} {excitation}/{wavelength}")
            else:
                names.append(f"{self.prefix} {wavelength}".strip())
        if len(set(names)) < len(names):
            names = [f"{name} (read {k + 1})" for k, name in enumerate(names)]
        return names


def _fields(shift: int, absorbance: bool) -> dict[str, int]:
    """Where a header's fields are: absorbance headers give the first row and rows right
    after the plate's wells, the others after their excitation and PMT fields."""
    return {
        "wavelengths": 15 + shift,
        "first_column": 16 + shift,
        "columns": 17 + shift,
        "wells": 18 + shift,
        "excitations": 19 + shift,
        "first_row": 19 + shift if absorbance else 28 + shift,
        "rows": 20 + shift if absorbance else 29 + shift,
    }


def _int(cells: list[str], index: int, what: str, name: str, file: str, where: str) -> int:
    text = cells[index] if index < len(cells) else ""
    if not is_whole(text):
        raise InputError(
            file,
            f"plate {name}'s header line should give {what} in field {index + 1}, "
            f"found {excerpt(text)}",
            where=where,
        )
    return int(text)


def _numbers(text: str) -> list[str]:
    return [_number(token) for token in text.split()]


def _number(text: str) -> str:
    """`450` for `450`, `450.0`; other text as it is."""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else text


@dataclass(frozen=True, eq=False)
class PlateBlock:
    """One `Plate:` block: its header, its wells, and the text of every well's raw
    reads and reduced value (`None` when the export holds none).

    `complete_raw` says whether every raw read holds a cell for every well of the read
    area; `notes` are what was read past.
    """

    header: PlateHeader
    wells: tuple[str, ...]
    reads: tuple[np.ndarray, ...]
    reduced: np.ndarray | None
    complete_raw: bool
    complete_reduced: bool
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.header.name

    @cached_property
    def read_cells(self) -> tuple[_Cells, ...]:
        """The raw reads' cells, classified once."""
        return tuple(_cells(texts) for texts in self.reads)

    @cached_property
    def reduced_cells(self) -> _Cells | None:
        """The reduced data's cells, classified once."""
        return _cells(self.reduced) if self.reduced is not None else None

    @classmethod
    def create(cls, block: Block, file: str) -> PlateBlock:
        notes = Warnings()
        header = PlateHeader.create(block.lines[0], block.line, file, notes)
        lines = list(enumerate(block.lines[1:], start=block.line + 1))
        if header.export_format == "PlateFormat":
            raw, reduced, points = _plate_format(lines, header, notes)
        elif header.export_format == "TimeFormat":
            raw, reduced, points = _time_format(lines, header, notes)
        else:
            raise InputError(
                file,
                f"plate {header.name} uses the export format {header.export_format!r}; "
                "expected PlateFormat or TimeFormat",
                where=f"line {block.line}",
            )
        where = f"line {block.line}"
        if header.read_type != "Endpoint":
            # A kinetic, spectrum or well-scan read gives one value per well only
            # through its reduction.
            if reduced is None:
                raise InputError(
                    file,
                    f"plate {header.name} is a {header.read_type.lower()} read with no "
                    f"endpoint value: the export holds its {header.points} "
                    f"{_POINT_WORDS.get(header.read_type, 'reads')} per well but no reduced "
                    "data; export it with its reduced data (Both) to read it",
                    where=where,
                )
            if points and len(points) < header.points:
                notes.add(
                    f"plate {header.name}'s {header.read_type.lower()} read holds "
                    f"{len(points)} of its {header.points} "
                    f"{_POINT_WORDS.get(header.read_type, 'reads')}; its reduced values are "
                    "read as exported",
                    where,
                )
            raw = []
        elif not raw and reduced is None:
            raise InputError(file, f"plate {header.name} has no data lines", where=where)
        elif raw and len(raw) < len(header.wavelengths):
            notes.add(
                f"plate {header.name}'s header names {len(header.wavelengths)} wavelengths "
                f"but the block holds {len(raw)} raw reads",
                where,
            )
        area = header.area
        named = _named_part(area, raw, reduced) if header.export_format == "TimeFormat" else []
        if 0 < len(named) < len(area):
            # TimeFormat names each well in its column header, so wells the data leaves
            # out move no other well's value: read the wells the data holds.
            notes.add(
                f"plate {header.name}'s header describes a read of rows "
                f"{ROW_LETTERS[header.rows[0] - 1]}-{ROW_LETTERS[header.rows[-1] - 1]} "
                f"and columns {header.columns[0]}-{header.columns[-1]} ({len(area)} wells), "
                f"but its data holds values for {len(named)} of them ({_span(named)}); the "
                f"other {len(area) - len(named)} are not in the file (a partial export, or "
                "the file was cut or edited) and are left out",
                where,
            )
            area = named
        complete_raw = bool(raw) and all(_covers(read, area) for read in raw)
        complete_reduced = reduced is not None and _covers(reduced, area)
        if not complete_raw and not complete_reduced:
            raise InputError(
                file,
                f"plate {header.name}'s data holds no value cell for some wells of its read "
                f"area (rows {ROW_LETTERS[header.rows[0] - 1]}-"
                f"{ROW_LETTERS[header.rows[-1] - 1]}, columns {header.columns[0]}-"
                f"{header.columns[-1]}), in its raw reads or its reduced data: the file looks "
                "cut or damaged; export it again",
                where=where,
            )
        wells = _wells_of(area, header, [*raw, *([reduced] if reduced is not None else [])])
        reads = tuple(_aligned(read, wells) for read in raw)
        in_area = set(header.area)
        outside = [well for well in wells if well not in in_area]
        if outside:
            notes.add(
                f"plate {header.name}'s header describes a read of rows "
                f"{ROW_LETTERS[header.rows[0] - 1]}-{ROW_LETTERS[header.rows[-1] - 1]} and "
                f"columns {header.columns[0]}-{header.columns[-1]}, but the data gives "
                f"values for {len(outside)} wells outside it ({', '.join(outside[:4])}"
                f"{', ...' if len(outside) > 4 else ''}); they are read too",
                where,
            )
        return cls(
            header=header,
            wells=tuple(wells),
            reads=reads,
            reduced=_aligned(reduced, wells) if reduced is not None else None,
            complete_raw=complete_raw,
            complete_reduced=complete_reduced,
            notes=notes.as_tuple(),
        )


def _plate_format(
    lines: list[tuple[int, str]], header: PlateHeader, notes: Warnings
) -> tuple[list[Grid], Grid | None, set[str]]:
    """Raw reads and reduced grid of PlateFormat data (grids of the whole plate), and
    the time points (wavelengths, scan points) the raw data names."""
    raw: list[Grid] = []
    reduced: Grid | None = None
    points: set[str] = set()
    in_raw = False
    labels = [str(c) for c in range(1, header.plate_columns + 1)]
    index = 0
    while index < len(lines):
        number, text = lines[index]
        cells = text.split("\t")
        starts = _grid_starts(cells, labels)
        if not starts:
            if in_raw and cells[0].strip():
                points.add(cells[0].strip())
            index += 1
            continue
        is_raw = in_raw = "temperature" in cells[1].casefold() if len(cells) > 1 else False
        body: list[list[str]] = []
        index += 1
        while index < len(lines) and len(body) < header.plate_rows:
            row_text = lines[index][1]
            if (not row_text.strip() and "\t" not in row_text) or _grid_starts(
                row_text.split("\t"), labels
            ):
                break
            body.append(row_text.split("\t"))
            index += 1
        if len(body) < header.plate_rows and max(header.rows) > len(body):
            which = "raw data" if is_raw else "reduced data"
            notes.add(
                f"the {which} grid of plate {header.name} has {len(body)} rows, expected "
                f"{header.plate_rows}; the file looks truncated or edited",
                f"line {number}",
            )
        grids = [_grid_of(body, start, header.plate_columns) for start in starts]
        if not is_raw:
            reduced = grids[0]
        else:
            points.update(row[0].strip() for row in body if row[0].strip())
            if header.read_type == "Endpoint" and not raw:
                raw = grids
    return raw, reduced, points


def _grid_starts(cells: list[str], labels: list[str]) -> list[int]:
    """Where each grid of a PlateFormat header line starts (its column `1`); none when
    the line is not a header line (`\t\t1\t2...`, or `\tTemperature(°C)\t1\t2...`)."""
    if len(cells) < 2 + len(labels) or cells[2].strip() != "1":
        return []
    stripped = [cell.strip() for cell in cells]
    if stripped[2 : 2 + len(labels)] != labels:
        return []
    step = len(labels) + 1
    return [i for i in range(2, len(stripped), step) if stripped[i : i + len(labels)] == labels]


def _grid_of(body: list[list[str]], start: int, n_columns: int) -> Grid:
    """One grid of PlateFormat rows: the cells from `start`, row by row."""
    grid: Grid = {}
    for r, cells in enumerate(body):
        letter = ROW_LETTERS[r]
        for c, cell in enumerate(cells[start : start + n_columns], start=1):
            grid[f"{letter}{c}"] = cell.strip().strip('"')
    return grid


def _time_format(
    lines: list[tuple[int, str]], header: PlateHeader, notes: Warnings
) -> tuple[list[Grid], Grid | None, set[str]]:
    """Raw reads and reduced line of TimeFormat data (one line per read), and the time
    points (wavelengths) the raw data names."""
    raw: list[Grid] = []
    reduced: Grid | None = None
    points: set[str] = set()
    columns: list[str | None] | None = None
    is_raw = True
    for number, text in lines:
        if not text.strip():
            continue
        cells = text.split("\t")
        if len([cell for cell in cells[2:6] if parse_well(cell)]) >= 2:
            columns = [None, None, *(parse_well(cell) for cell in cells[2:])]
            is_raw = "temperature" in cells[1].casefold()
            continue
        if columns is None:
            continue
        if is_raw and cells[0].strip():
            points.add(cells[0].strip())
        values: Grid = {}
        extra = 0
        for i, cell in enumerate(cells[2:], start=2):
            well = columns[i] if i < len(columns) else None
            if well is not None:
                values[well] = cell.strip().strip('"')
            elif cell.strip():
                extra += 1
        if extra:
            notes.add(
                f"a line of plate {header.name} holds {extra} values beyond the wells its "
                "header line names; they are left out",
                f"line {number}",
            )
        if not is_raw:
            if reduced is None:
                reduced = values
        elif header.read_type == "Endpoint":
            raw.append(values)
    if header.read_type == "Endpoint" and len(raw) > max(len(header.wavelengths), 1):
        notes.add(
            f"plate {header.name} holds {len(raw)} raw read lines for "
            f"{len(header.wavelengths)} wavelengths; the first ones are used",
        )
        raw = raw[: len(header.wavelengths)]
    return raw, reduced, points


def _wells_of(area: Iterable[str], header: PlateHeader, grids: Iterable[Grid]) -> list[str]:
    """The read area, and any other well the data gives a value for, in plate order."""
    wells = set(area)
    for grid in grids:
        wells.update(well for well, text in grid.items() if text)
    inside = [
        well
        for well in wells
        if ROW_LETTERS.index(well[0]) < header.plate_rows and int(well[1:]) <= header.plate_columns
    ]
    return sorted(inside, key=lambda well: _WELL_ORDER.get(well) or well_order(well))


def _aligned(grid: Grid, wells: Sequence[str]) -> np.ndarray:
    return np.array([grid.get(well, "") for well in wells], dtype=object)


def _covers(grid: Grid, area: Iterable[str]) -> bool:
    return all(well in grid for well in area)


def _named_part(area: list[str], raw: list[Grid], reduced: Grid | None) -> list[str]:
    """The wells of the read area that every raw read names, or that the reduced data
    names, whichever are more (the reduced data's when as many): what TimeFormat data
    holds of its read area (all of it when either covers it; empty when it names none)."""
    in_raw = [well for well in area if all(well in read for read in raw)] if raw else []
    in_reduced = [well for well in area if well in reduced] if reduced is not None else []
    return in_raw if len(in_raw) > len(in_reduced) else in_reduced


def _span(wells: list[str]) -> str:
    """`A1, A2, A3, A4 and 8 more`."""
    more = f" and {len(wells) - 4} more" if len(wells) > 4 else ""
    return ", ".join(wells[:4]) + more


@dataclass(frozen=True)
class GroupColumn:
    """What one group column holds: `names`, `well`, `value`, `plate`, `dilution`,
    `expected`, `concentration`, `expected_or_concentration` (a `Conc` column without a
    formula: expected for standards and controls) or `other`; a concentration's unit
    and `basis` (in_well, sample), and whether it holds one value per sample rather than
    per well (`per_sample`; None when only the data can tell)."""

    name: str
    holds: str
    unit: str = ""
    basis: str = ""
    per_sample: bool | None = None


@dataclass(frozen=True)
class GroupRow:
    """One well of a group: the SoftMax sample it belongs to (`entry`, counted from 0
    in the group) and the row's cells by column."""

    entry: int
    well: str
    plate: str
    cells: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class GroupTable:
    """One `Group:` block: its columns (what each holds), its wells, and the units its
    text states. `after_plate` is the number of Plate blocks before it in the file."""

    name: str
    columns: tuple[GroupColumn, ...]
    rows: tuple[GroupRow, ...]
    entries: tuple[tuple[str, str], ...]
    units: tuple[str, ...]
    line: int
    after_plate: int
    notes: tuple[str, ...] = ()

    @classmethod
    def create(cls, block: Block, after_plate: int) -> GroupTable:
        first = [cell.strip() for cell in block.lines[0].split("\t")]
        name = " ".join(part for part in [first[0].split(":", 1)[1].strip(), *first[1:]] if part)
        notes = Warnings()
        table, formulas, rest = _group_sections(block.lines[1:], block.line + 1)
        units = tuple(dict.fromkeys(_UNIT.findall("\n".join(rest))))
        if not table:
            return cls(name, (), (), (), units, block.line, after_plate)
        header_text = table[0][1]
        names = [cell.strip() for cell in header_text.split("\t")]
        while names and not names[-1]:
            names.pop()
        columns = _group_columns(names, formulas)
        holds = [column.holds for column in columns]
        if "well" not in holds:
            return cls(name, columns, (), (), units, block.line, after_plate)
        well_at = holds.index("well")
        names_at = holds.index("names") if "names" in holds else 0
        sample_at = next(
            # their word
            (i for i, column in enumerate(columns) if column.name.casefold() == "sample"),
            names_at,
        )
        plate_at = holds.index("plate") if "plate" in holds else None
        rows: list[GroupRow] = []
        entries: list[tuple[str, str]] = []
        for number, line in table[1:]:
            cells = [cell.strip() for cell in line.split("\t")]
            cells += [""] * (len(columns) - len(cells))
            if cells[names_at] or not entries:
                softmax_name = cells[names_at] or cells[sample_at]
                if not softmax_name:
                    # The group's first row names no sample: its wells are still the
                    # group's, so they take its name (and through it their role).
                    softmax_name = name
                    notes.add(
                        f"the first row of group {name} names no sample; its wells are named "
                        f"after the group ({name!r})",
                        f"line {number}",
                    )
                entries.append((cells[sample_at] or softmax_name, softmax_name))
            well = parse_well(cells[well_at])
            if well is None:
                notes.add(
                    f"group {name} names well {cells[well_at]!r}, which is not a plate well "
                    "(A1 to P24); the row is left out",
                    f"line {number}",
                )
                continue
            plate = cells[plate_at] if plate_at is not None else ""
            rows.append(GroupRow(len(entries) - 1, well, plate, tuple(cells), number))
        return cls(
            name=name,
            columns=columns,
            rows=tuple(rows),
            entries=tuple(entries),
            units=units,
            line=block.line,
            after_plate=after_plate,
            notes=notes.as_tuple(),
        )

    @cached_property
    def role(self) -> str:
        """standard, control, blank or sample from the group's name; "" when the name
        says none of these (the sample names decide)."""
        words = _words(self.name)
        if words & _CONTROL_WORDS:
            return Role.CONTROL
        if words & _BLANK_WORDS:
            return Role.BLANK
        if words & _STANDARD_WORDS:
            return Role.STANDARD
        if words & _SAMPLE_WORDS:
            return Role.SAMPLE
        return ""

    def column(self, holds: str) -> int | None:
        return self._first_of.get(holds)

    @cached_property
    def _first_of(self) -> dict[str, int]:
        """The first column holding each kind of value."""
        first: dict[str, int] = {}
        for i, column in enumerate(self.columns):
            first.setdefault(column.holds, i)
        return first

    def expected_at(self, has_expected: bool) -> int | None:
        """The column of the expected concentrations: a `Conc` column without a formula
        holds them only for standards and controls (`has_expected`)."""
        first = self._first_of
        at = [first.get("expected")]
        if has_expected:
            at.append(first.get("expected_or_concentration"))
        return min((i for i in at if i is not None), default=None)

    def head(self, entry: int) -> GroupRow:
        """The first row of a SoftMax sample: it holds the sample's own columns."""
        return self._heads[entry]

    @cached_property
    def _heads(self) -> dict[int, GroupRow]:
        heads: dict[int, GroupRow] = {}
        for row in self.rows:
            heads.setdefault(row.entry, row)
        return heads

    @cached_property
    def per_sample(self) -> tuple[bool, ...]:
        """For each column, whether it holds one value per SoftMax sample (`_per_sample`)."""
        return tuple(_per_sample(self, at, column) for at, column in enumerate(self.columns))


def _words(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return {word for word in re.split(r"[^a-z]+", spaced.casefold()) if word}


def _group_sections(
    lines: tuple[str, ...], first: int
) -> tuple[list[tuple[int, str]], dict[int, tuple[str, str]], list[str]]:
    """The group's table (header line first), its formulas by column number (name,
    formula), and the rest of its text (summaries)."""
    table: list[tuple[int, str]] = []
    formulas: dict[int, tuple[str, str]] = {}
    rest: list[str] = []
    section = "table"
    for number, line in enumerate(lines, start=first):
        cells = [cell.strip() for cell in line.split("\t")]
        if cells[0] == "Group Column" and "Formula Name" in cells:
            section = "formulas"
            continue
        if cells[0] == "Group Summaries":
            section = "summaries"
            continue
        if section == "table":
            if line.strip():
                table.append((number, line))
            elif table:
                section = "after"
        elif section == "formulas" and is_whole(cells[0]) and len(cells) > 1:
            formulas[int(cells[0])] = (cells[1], cells[2] if len(cells) > 2 else "")
        else:
            rest.append(line)
    return table, formulas, rest


def _group_columns(
    names: list[str], formulas: dict[int, tuple[str, str]]
) -> tuple[GroupColumn, ...]:
    """What each column holds, from its formula when the export gives it, else its name."""
    formula_of: dict[str, str] = {}
    plain: list[str] = []
    for index, header in enumerate(names, start=1):
        name, formula = formulas.get(index, ("", ""))
        if name and not _same_column(header, name):
            name, formula = next(
                ((n, f) for n, f in formulas.values() if _same_column(header, n)), ("", "")
            )
        plain.append(name or header)
        formula_of[(name or header).casefold()] = formula
    dilution_names = {
        p.casefold()
        for p, h in zip(plain, names, strict=True)
        if _DILUTION_NAME.match(p.strip()) or _DILUTION_NAME.match(h.strip())
    }
    per_sample: dict[str, bool | None] = {}
    for name in plain:
        _formula_per_sample(name.casefold(), formula_of, per_sample)
    resolved: dict[str, GroupColumn] = {}
    columns = []
    for header, name in zip(names, plain, strict=True):
        formula = formula_of[name.casefold()]
        column = _group_column(header, name, formula, formula_of, dilution_names, resolved)
        if column.holds == "concentration" and formula:
            column = replace(column, per_sample=per_sample.get(name.casefold()))
        resolved[name.casefold()] = column
        columns.append(column)
    return tuple(columns)


_AGGREGATE: Final = re.compile(
    r"\b(?:average|mean|median|stdev|sd|cv|min|max|sum|itemcount|nthitem|item)\s*\(",
    re.IGNORECASE,
)


def _formula_per_sample(
    name: str, formula_of: dict[str, str], known: dict[str, bool | None], depth: int = 0
) -> bool | None:
    """Whether a column's formula gives one value per sample: a sample's own field
    (`!SampleNames`, `!SampleDescriptor`), an aggregate (`Average(...)`), or a formula of
    such columns only; per well when it uses a well's value (`!WellValues`, `OD`).
    None when the export gives no formula."""
    if name in known:
        return known[name]
    known[name] = None  # a formula referring to itself (or a cycle) decides nothing
    formula = formula_of.get(name, "").strip().casefold()
    result: bool | None
    if not formula or depth > 20:
        result = None
    elif formula.startswith("!"):
        result = not formula.startswith("!well")
    elif _AGGREGATE.search(formula):
        result = True
    elif "!well" in formula:
        result = False
    else:
        used = [
            _formula_per_sample(other, formula_of, known, depth + 1)
            for other in formula_of
            if other != name and _mentions(formula, other)
        ]
        result = False if False in used else (True if True in used or not used else None)
    known[name] = result
    return result


def _same_column(header: str, name: str) -> bool:
    return header.casefold() == name.casefold() or header.casefold().startswith(
        name.casefold() + " "
    )


def _group_column(
    header: str,
    name: str,
    formula: str,
    formula_of: dict[str, str],
    dilution_names: set[str],
    resolved: dict[str, GroupColumn],
) -> GroupColumn:
    unit = _unit_of(header)
    token = formula.strip()
    if token.startswith("!"):
        key = token[1:].casefold()
        if key == "samplenames":
            return GroupColumn(name, "names")
        if key == "wellids":
            return GroupColumn(name, "well")
        if key == "wellvalues":
            return GroupColumn(name, "value")
        if key == "wellplatename":
            return GroupColumn(name, "plate")
        if name.casefold() in dilution_names or "factor" in key or "dilution" in key:
            return GroupColumn(name, "dilution")
        if _EXPECTED_NAME.match(name) or key.startswith(("conc", "sampledescriptor")):
            return GroupColumn(name, "expected", unit)
        return GroupColumn(name, "other")
    if name.casefold() in dilution_names:
        return GroupColumn(name, "dilution")
    if not token:
        return _by_name(header, name, unit)
    if not _CONC_NAME.search(name) or _NOT_CONC_NAME.search(name):
        return GroupColumn(name, "other")
    basis = _formula_basis(token, formula_of, dilution_names, resolved)
    if not basis:
        return GroupColumn(name, "other")
    return GroupColumn(name, "concentration", unit, basis)


def _by_name(header: str, name: str, unit: str) -> GroupColumn:
    """A column the export gives no formula for, by its name."""
    if name.casefold() in ("sample", "samples"):  # their words
        return GroupColumn(name, "names")
    if _WELL_NAME.match(name):
        return GroupColumn(name, "well")
    if name.casefold() == "wellplatename":
        return GroupColumn(name, "plate")
    if _VALUE_NAME.match(name):
        return GroupColumn(name, "value")
    if _DILUTION_NAME.match(name):
        return GroupColumn(name, "dilution")
    if _EXPECTED_NAME.match(name) and not re.search("result|calc", name, re.IGNORECASE):
        return GroupColumn(name, "expected_or_concentration", unit)
    if _CONC_NAME.search(name) and not _NOT_CONC_NAME.search(name):
        basis = VendorBasis.SAMPLE if _SAMPLE_BASIS_NAME.search(name) else VendorBasis.IN_WELL
        return GroupColumn(name, "concentration", unit, basis)
    return GroupColumn(name, "other")


def _formula_basis(
    formula: str,
    formula_of: dict[str, str],
    dilution_names: set[str],
    resolved: dict[str, GroupColumn],
) -> str:
    """in_well or sample for a formula giving a concentration; "" when it gives none.

    `InterpX(...)` reads a concentration off the standard curve (in the well); a
    concentration column times the group's dilution (`Result*Dilution`,
    `AvgConc*!Factor`) is the sample's; `Average(...)` keeps its argument's basis.
    """
    text = formula.casefold()
    referenced = [
        column
        for key, column in resolved.items()
        if column.holds == "concentration" and _mentions(text, key)
    ]
    dilution = any(_mentions(text, key) for key in dilution_names) or "!factor" in text
    if "interpx(" in text:
        return VendorBasis.SAMPLE if dilution else VendorBasis.IN_WELL
    if referenced:
        if dilution and re.search(r"[*/]", text):
            return VendorBasis.SAMPLE
        return referenced[0].basis
    if re.search(r"\*.*(?:!factor|dilution)", text):
        return VendorBasis.SAMPLE
    return ""


def _mentions(formula: str, name: str) -> bool:
    quoted = f"'{name}'"
    if quoted in formula:
        return True
    return bool(re.search(rf"(?<![\w'!@]){re.escape(name)}(?![\w'])", formula))


def _unit_of(text: str) -> str:
    found = _UNIT.search(text)
    return re.sub(r"\s+", "", found.group(1)) if found else ""


# --- layer 3: compose --------------------------------------------------------------


def read_softmax(
    text: str, source_file: str, read: str = "", rule: RoleRule = DEFAULT_RULE
) -> list[ParsedPlate]:
    """One ParsedPlate per `Plate:` block of a SoftMax Pro text export.

    `read` picks the read of plates holding several (`ReadOptions.read`).
    """
    lines = text.splitlines()
    notes = Warnings()
    split = split_blocks(lines, notes)
    blocks = split.blocks
    plates: list[PlateBlock] = []
    groups: list[GroupTable] = []
    refusals: list[InputError] = []
    kit_lot = ""
    n_plate_blocks = 0
    for block in blocks:
        if block.kind == "Plate":
            n_plate_blocks += 1
            try:
                plates.append(PlateBlock.create(block, source_file))
            except InputError as error:
                refusals.append(error)
        elif block.kind == "Group":
            groups.append(GroupTable.create(block, n_plate_blocks))
        elif block.kind == "Note":
            kit_lot = kit_lot or _kit_lot(block)
        elif any(_looks_like_data(line) for line in block.lines[:3]):
            raise InputError(
                source_file,
                "this block holds plate data but no `Plate:` line naming the plate and its "
                "reads; the file looks damaged: export it again",
                where=f"line {block.line}",
            )
        else:
            notes.add(
                f"unknown block {block.kind or block.lines[0][:30]!r}: a SoftMax Pro export "
                "holds Note, Plate and Group blocks; it is left out",
                f"line {block.line}",
            )
    readable = [k for k, plate in enumerate(plates) if _has_data(plate)]
    if plates and not readable and not refusals:
        raise InputError(
            source_file,
            "the export holds no plate data: every well of "
            + ", ".join(f"plate {plate.name}" for plate in plates)
            + " is empty or NaN",
        )
    if split.cut_short:
        raise InputError(
            source_file,
            f"the export announces {split.declared} blocks but only {split.closed} end with "
            "`~End` and SoftMax's closing line is missing; the file looks truncated: export "
            "it again",
        )
    if refusals:
        # One plate whose signals cannot be placed makes the file unreadable: a file is
        # read with all its plates or not at all.
        raise refusals[0]
    if not plates:
        raise InputError(source_file, "the export has no Plate block, so no plate data")
    names = _distinct_names(plates, notes)
    placed = _placements(groups, plates, names, notes)
    for k in range(len(plates)):
        if k not in readable:
            notes.add(f"plate {names[k]} holds no readings (every well empty or NaN)")
    in_groups: dict[str, set[str]] = {}
    for group in groups:
        for sample, _ in group.entries:
            in_groups.setdefault(sample, set()).add(group.name)
    context = _Context(
        source_file, kit_lot, _standards_unit(groups, list(blocks)), read, rule, in_groups
    )
    several = n_plate_blocks > 1
    return [
        _compose(plates[k], names[k] if several else "", placed[k], context, notes)
        for k in range(len(plates))
    ]


def _kit_lot(block: Block) -> str:
    for line in block.lines:
        cells = [cell.strip() for cell in line.split("\t")]
        if cells[0].rstrip(":").casefold() in ("kit lot #", "kit lot", "standard lot #"):
            value = next((cell for cell in cells[1:] if cell), "")
            if value:
                return value
    return ""


def _distinct_names(plates: list[PlateBlock], notes: Warnings) -> list[str]:
    """Plate names, made distinct (`Plate01 (2)`) where two plates share one."""
    names: list[str] = []
    for plate in plates:
        name = plate.name or "Plate"
        count = sum(1 for other in plates[: len(names)] if (other.name or "Plate") == name)
        if count:
            distinct = f"{name} ({count + 1})"
            notes.add(
                f"two Plate blocks are both named {name!r}; the one at line "
                f"{plate.header.line} is read as plate {distinct!r}"
            )
            name = distinct
        names.append(name)
    return names


def _has_data(plate: PlateBlock) -> bool:
    """Whether any well holds more than an empty cell or `NaN`."""
    reduced = [plate.reduced_cells] if plate.reduced_cells is not None else []
    for cells in [*plate.read_cells, *reduced]:
        tokens = cells.tokens
        if ((tokens != "not_reported") & (tokens != "nan")).any():
            return True
    return False


def _placements(
    groups: list[GroupTable], plates: list[PlateBlock], names: list[str], notes: Warnings
) -> list[list[tuple[GroupTable, GroupRow]]]:
    """For each plate, the group rows that place its wells (each well once); the rows
    that cannot be placed are left out, one warning per group and reason."""
    placed: list[list[tuple[GroupTable, GroupRow]]] = [[] for _ in plates]
    where: list[dict[str, tuple[GroupTable, GroupRow]]] = [{} for _ in plates]
    own = [set(plate.wells) for plate in plates]
    for group in groups:
        notes.extend(group.notes)
        if not group.rows:
            notes.add(f"group {group.name} names no wells; it is left out", f"line {group.line}")
            continue
        left_out: dict[str, list[GroupRow]] = {}
        for row in group.rows:
            k = _plate_of(row, group, plates, names)
            if k is None:
                reason = (
                    f"on plate {row.plate!r}, which the export does not hold (plates: "
                    f"{', '.join(names)})"
                    if row.plate
                    else "without a WellPlateName, before any Plate block"
                )
                left_out.setdefault(reason, []).append(row)
            elif row.well not in own[k]:
                left_out.setdefault(
                    f"on plate {names[k]}, which has no reading for them", []
                ).append(row)
            elif row.well in where[k]:
                first, first_row = where[k][row.well]
                notes.add(
                    f"well {row.well} is in group {first.name} (line {first_row.line}) and "
                    f"again in group {group.name}; the first is used",
                    f"line {row.line}",
                )
            else:
                where[k][row.well] = (group, row)
                placed[k].append((group, row))
        for reason, rows in left_out.items():
            wells = [row.well for row in rows]
            listed = ", ".join(wells[:6]) + (", ..." if len(wells) > 6 else "")
            notes.add(
                f"group {group.name} places {len(wells)} well{'s' if len(wells) > 1 else ''} "
                f"({listed}) {reason}; they are left out",
                f"line {rows[0].line}",
            )
    return placed


def _plate_of(
    row: GroupRow, group: GroupTable, plates: list[PlateBlock], names: list[str]
) -> int | None:
    """The plate a group row is on: the one its WellPlateName names (of plates sharing
    a name, the last before the group), else the Plate block the group follows."""
    if row.plate:
        matches = [k for k, plate in enumerate(plates) if plate.name == row.plate]
        matches += [k for k, name in enumerate(names) if name == row.plate and k not in matches]
        if not matches:
            return None
        before = [k for k in matches if k < group.after_plate]
        return before[-1] if before else matches[0]
    if group.after_plate == 0:
        return 0 if len(plates) == 1 else None
    return group.after_plate - 1


def _standards_unit(groups: list[GroupTable], blocks: list[Block]) -> str:
    """The unit of the standards' concentrations: from their column's header, else the
    one unit their group's text states, else the one unit the Notes state."""
    for group in groups:
        if group.role != Role.STANDARD:
            continue
        for column in group.columns:
            if column.holds in ("expected", "expected_or_concentration") and column.unit:
                return column.unit
        if len(group.units) == 1:
            return _unit_of(group.units[0])
    units = {
        _unit_of(found)
        for block in blocks
        if block.kind == "Note"
        for found in _UNIT.findall("\n".join(block.lines))
    }
    return units.pop() if len(units) == 1 else ""


@dataclass(frozen=True)
class _Context:
    file: str
    kit_lot: str
    unit: str
    read: str
    rule: RoleRule
    # the groups each sample name occurs in (two or more: its id names the group)
    in_groups: dict[str, set[str]]


@dataclass(frozen=True)
class _Signal:
    signal: np.ndarray
    raw_text: np.ndarray
    tokens: np.ndarray
    kind: str


def _compose(
    plate: PlateBlock,
    name: str,
    placed: list[tuple[GroupTable, GroupRow]],
    context: _Context,
    file_notes: Warnings,
) -> ParsedPlate:
    notes = Warnings()
    notes.extend(file_notes)
    notes.extend(plate.notes)
    wells = list(plate.wells)
    values = _group_values(placed, plate)
    chosen = _choose_signal(plate, name or plate.name, values, context.read, notes)
    n = len(wells)
    # The columns the groups fill, built whole (one frame, no per-column writes).
    columns: dict[str, np.ndarray] = {
        "role": np.full(n, Role.SAMPLE, dtype=object),
        "sample_name": np.full(n, "", dtype=object),
        "sample_id": np.full(n, None, dtype=object),
        "level": np.full(n, None, dtype=object),
        "expected_conc": np.full(n, np.nan),
        "dilution": np.ones(n),
        "unit": np.full(n, "", dtype=object),
    }
    masked = _plate_masked(plate)
    unit = context.unit
    results: list[tuple[str, str | None, str, str]] = []
    vendor_units: list[str | None] = []
    vendor_bases: list[str | None] = []
    at = {well: i for i, well in enumerate(wells)}
    for r in _records(placed, context.rule, unit, context.in_groups):
        i = at[r.well]
        for column, value in (
            ("role", r.role),
            ("sample_name", r.sample_name),
            ("sample_id", r.sample_id),
            ("level", r.level),
            ("expected_conc", r.expected),
            ("dilution", r.dilution),
            ("unit", r.unit),
        ):
            columns[column][i] = value
        if r.masked:
            masked.add(r.well)
        for quantity, text, vendor_unit, basis in r.results:
            results.append(("", r.well, quantity, text))
            vendor_units.append(vendor_unit or None)
            vendor_bases.append(basis)
    levels = np.array(
        [np.nan if lv is None else lv for lv in columns["level"].tolist()], dtype=float
    )
    table = wells_columns(
        n,
        well=np.array(wells, dtype=object),
        signal=chosen.signal,
        signal_kind=chosen.kind,
        raw_text=chosen.raw_text,
        token=chosen.tokens,
        flags=np.array(
            [WellFlag.VENDOR_MASKED.value if well in masked else "" for well in wells], dtype=object
        ),
        bead_count=whole_numbers(np.full(n, np.nan)),
        **{**columns, "level": whole_numbers(levels)},
    )
    vendor = vendor_rows(results)
    if results:
        vendor.columns["unit"] = np.array(vendor_units, dtype=object)
        vendor.columns["basis"] = np.array(vendor_bases, dtype=object)
    meta = {
        "format": "softmax",
        "software": "SoftMax Pro",
        "batch": plate.name,
        "kit_lot": context.kit_lot,
        "unit": unit,
    }
    return ParsedPlate(wells=table, meta=meta, vendor=vendor, name=name, warnings=notes.as_tuple())


def _group_values(placed: list[tuple[GroupTable, GroupRow]], plate: PlateBlock) -> dict[str, str]:
    """The groups' `!WellValues` text of each well: what SoftMax computed with."""
    values: dict[str, str] = {}
    for group, row in placed:
        at = group.column("value")
        if at is not None and at < len(row.cells):
            values[row.well] = row.cells[at]
    return values


def _plate_masked(plate: PlateBlock) -> set[str]:
    masked: set[str] = set()
    for texts in [*plate.reads, *([plate.reduced] if plate.reduced is not None else [])]:
        for well, text in zip(plate.wells, texts.tolist(), strict=True):
            if str(text).casefold() == "masked":
                masked.add(well)
    return masked


@dataclass(frozen=True, eq=False)
class _Cells:
    """One read's cell texts, stripped, with their tokens and numbers."""

    stripped: list[str]
    tokens: np.ndarray
    values: np.ndarray


def _cells(texts: np.ndarray) -> _Cells:
    listed = texts.tolist()
    tokens, values = classify_texts(listed)
    return _Cells([str(text).strip() for text in listed], tokens, values)


@dataclass(frozen=True, eq=False)
class _Candidate:
    name: str
    reads: tuple[_Cells, ...]

    def signal(self) -> np.ndarray:
        """One read's numbers as they are, two reads' as their difference."""
        first = self.reads[0].values
        return first - self.reads[1].values if len(self.reads) == 2 else first

    def values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Signal, raw text and tokens: one read as it is, two as a difference."""
        first = self.reads[0]
        signal, tokens = first.values.copy(), first.tokens
        raw_text = np.array(first.stripped, dtype=object)
        if len(self.reads) == 2:
            second = self.reads[1]
            tokens = np.where(tokens == "numeric", second.tokens, tokens)
            signal = signal - second.values
            raw_text = np.array(
                [f"{a}|{b}" for a, b in zip(first.stripped, second.stripped, strict=True)],
                dtype=object,
            )
        return signal, raw_text, tokens.astype(object)


def _candidates(plate: PlateBlock) -> list[_Candidate]:
    """The raw reads, and for absorbance each difference of two (reference subtraction)."""
    header = plate.header
    names = header.read_names(len(plate.reads))
    reads = plate.read_cells
    found = [_Candidate(n, (cells,)) for n, cells in zip(names, reads, strict=True)]
    if header.prefix == "OD" and "(read" not in "".join(names):
        for i in range(len(plate.reads)):
            for j in range(i + 1, len(plate.reads)):
                if _nm(header.wavelengths[j]) <= _nm(header.wavelengths[i]):
                    continue
                difference = f"{names[i]}-{header.wavelengths[j]}"
                found.append(_Candidate(difference, (reads[i], reads[j])))
    return found


def _nm(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _choose_signal(
    plate: PlateBlock, name: str, group_values: dict[str, str], asked: str, notes: Warnings
) -> _Signal:
    """The signal: the read `asked` names, else SoftMax's reduced data, else the read the
    groups' values match, else the first read; a warning names the reads not used."""
    header = plate.header
    candidates = _candidates(plate)
    raw_names = [c.name for c in candidates if len(c.reads) == 1]
    reduced = plate.reduced_cells if plate.complete_reduced or not plate.complete_raw else None
    if plate.reduced is not None and reduced is None:
        notes.add(f"plate {name}'s reduced data misses wells of its read area; it is not used")
    if not plate.complete_raw and plate.reads:
        notes.add(f"plate {name}'s raw reads miss wells of its read area; they are not used")
    usable = candidates if plate.complete_raw else []
    reduced_name = _reduced_name(header, reduced, candidates)
    choice: _Candidate | None = None
    why = ""
    if asked:
        choice = _asked(asked, usable, reduced, reduced_name)
        if choice is None:
            available = [*raw_names, *(["reduced"] if reduced is not None else [])]
            notes.add(
                f"the read {asked!r} asked for (wells.read) is not one of plate {name}'s "
                f"reads ({', '.join(available)}); the default is used"
            )
        else:
            why = "as wells.read asks"
    if choice is None and reduced is not None:
        choice = _Candidate(reduced_name, (reduced,))
        why = "SoftMax's reduced data"
    if choice is None:
        choice = _matching(usable, plate.wells, group_values)
        why = "the read the groups' values match"
    if choice is None:
        choice = usable[0]
        why = "the first read: the export holds no reduced data"
        if group_values:
            why += " and the groups' values match none of the reads or their differences"
    options = ", ".join(raw_names) + (" and reduced data" if reduced is not None else "")
    distinct = [n for n in raw_names if n != choice.name]
    if len(raw_names) > 1 or (distinct and reduced is not None):
        # An example of another read: with two wavelengths, their difference first (the
        # reference subtraction ELISA kits ask for).
        ordered = sorted(usable, key=lambda c: len(c.reads) == 1) if len(raw_names) == 2 else usable
        other = next(
            (c.name for c in ordered if c.name != choice.name),
            "reduced" if choice.reads[0] is not reduced and reduced is not None else "",
        )
        notes.add(
            f"plate {name} holds the reads {options}; the signal is "
            f"{choice.name} ({why})"
            + (
                f"; set wells.read (e.g. {_read_hint(other, header)!r}) to use another"
                if other
                else ""
            )
        )
    signal, raw_text, tokens = choice.values()
    return _Signal(signal, raw_text, tokens, choice.name)


def _read_hint(name: str, header: PlateHeader) -> str:
    """How wells.read names a read: `450`, `450-650`, `485/538`, `Lum`, `Read 2`."""
    numbered = re.search(r"\(read (\d+)\)", name)
    if numbered:
        return f"Read {numbered.group(1)}"
    if name == "reduced":
        return name
    bare = name.removeprefix(header.prefix).strip()
    return bare or ("Lum" if header.prefix == "RLU" else name)


def _reduced_name(header: PlateHeader, reduced: _Cells | None, candidates: list[_Candidate]) -> str:
    """What the reduced data is: the read or difference it equals, else `OD reduced
    (450, 650)`, `RFU kinetic reduced (485/525)`, `OD spectrum reduced (520-570 nm)`."""
    if reduced is None:
        return ""
    for candidate in candidates:
        if _equal(candidate.signal(), reduced.values):
            return candidate.name
    kind = "" if header.read_type == "Endpoint" else f" {header.read_type.lower()}"
    if header.spectrum:
        detail = header.spectrum
    else:
        reads = header.read_names(len(header.wavelengths))
        bare = [re.sub(r" \(read \d+\)$", "", r).removeprefix(header.prefix).strip() for r in reads]
        detail = ", ".join(dict.fromkeys(b for b in bare if b))
    return f"{header.prefix}{kind} reduced" + (f" ({detail})" if detail else "")


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    both = np.isfinite(a) & np.isfinite(b)
    if not both.any() or (np.isfinite(a) != np.isfinite(b)).sum() > both.sum():
        return False
    return bool(np.allclose(a[both], b[both], rtol=1e-6, atol=1e-9))


def _matching(
    candidates: list[_Candidate], wells: Sequence[str], group_values: dict[str, str]
) -> _Candidate | None:
    """The first candidate that every numeric group value equals, to its decimals."""
    at = {well: i for i, well in enumerate(wells)}
    pairs = [(at[well], text) for well, text in group_values.items() if well in at]
    if not pairs:
        return None
    texts = [text for _, text in pairs]
    tokens, values = classify_texts(texts)
    numeric = tokens == "numeric"
    if not numeric.any():
        return None
    index = np.array([i for i, _ in pairs], dtype=int)[numeric]
    wanted = values[numeric]
    slack = np.array(
        [0.5 * 10.0 ** -_decimals(t) for t, ok in zip(texts, numeric, strict=True) if ok]
    )
    for candidate in candidates:
        got = candidate.signal()[index]
        if (
            np.isfinite(got).all()
            and (
                np.abs(got - wanted) <= slack + _ROUNDING_SLACK * np.maximum(1, np.abs(wanted))
            ).all()
        ):
            return candidate
    return None


def _decimals(text: str) -> int:
    mantissa = text.strip().split("e")[0].split("E")[0]
    return len(mantissa.split(".", 1)[1]) if "." in mantissa else 0


def _asked(
    asked: str, candidates: list[_Candidate], reduced: _Cells | None, reduced_name: str
) -> _Candidate | None:
    """The read `wells.read` names: `450`, `OD450`, `450-650`, `485/538`, `Lum`,
    `Read 2`, `reduced`."""
    key = _read_key(asked)
    if key in ("reduced", "reduceddata") and reduced is not None:
        return _Candidate(reduced_name, (reduced,))
    raw = [c for c in candidates if len(c.reads) == 1]
    numbered = re.fullmatch(r"read(\d+)", key)
    if numbered:
        k = int(numbered.group(1)) - 1
        return raw[k] if 0 <= k < len(raw) else None
    for candidate in candidates:
        name = _read_key(candidate.name)
        bare = re.sub(r"^(?:od|rfu|rlu|trf)", "", name)
        emission = bare.split("/")[-1]
        if key in (name, bare) or (key == emission and len(candidate.reads) == 1):
            return candidate
        if key in ("lum", "luminescence", "rlu") and name.startswith("rlu"):
            return candidate
    if reduced is not None and key == _read_key(reduced_name):
        return _Candidate(reduced_name, (reduced,))
    return None


def _read_key(text: str) -> str:
    return re.sub(r"[\s()]+", "", text.casefold()).replace("nm", "")


@dataclass(frozen=True)
class _Record:
    """What the groups say of one well; `results` are the vendor's concentrations
    (quantity, text, unit, basis)."""

    well: str
    role: str
    sample_name: str
    sample_id: str | None
    level: int | None
    expected: float
    dilution: float
    unit: str
    masked: bool
    results: tuple[tuple[str, str, str, str], ...]


def _records(
    placed: list[tuple[GroupTable, GroupRow]],
    rule: RoleRule,
    unit: str,
    in_groups: dict[str, set[str]],
) -> list[_Record]:
    """One record per placed well."""
    records = []
    for group, row in placed:
        head = group.head(row.entry)
        sample, softmax_name = group.entries[row.entry]
        role, level = group.role, row.entry + 1
        if not role:
            role, named_level = rule.classify(softmax_name)
            level = named_level if named_level is not None else level
        has_expected = role in (Role.STANDARD, Role.CONTROL)
        expected_at = group.expected_at(has_expected)
        expected = _float(head.cells[expected_at]) if expected_at is not None else np.nan
        dilution_at = group.column("dilution")
        dilution = _float(head.cells[dilution_at]) if dilution_at is not None else np.nan
        value_at = group.column("value")
        sample_id: str | None = sample
        if len(in_groups.get(sample, set())) > 1 and role in (Role.SAMPLE, Role.CONTROL):
            sample_id = f"{group.name}/{sample}"
        records.append(
            _Record(
                well=row.well,
                role=role,
                sample_name=str(sample_id) if role in (Role.SAMPLE, Role.CONTROL) else sample,
                sample_id=sample_id if role in (Role.SAMPLE, Role.CONTROL) else None,
                level=level if has_expected else None,
                expected=expected if has_expected else np.nan,
                dilution=dilution if np.isfinite(dilution) and dilution > 0 else 1.0,
                unit=(group.columns[expected_at].unit if expected_at is not None else "") or unit,
                masked=value_at is not None and row.cells[value_at].casefold() == "masked",
                results=_results(group, row, head, has_expected, unit),
            )
        )
    return records


def _results(
    group: GroupTable, row: GroupRow, head: GroupRow, has_expected: bool, unit: str
) -> tuple[tuple[str, str, str, str], ...]:
    """The concentrations the software computed for a well: per well (`concentration`)
    or per sample, given on its first row (`mean_concentration`). Their unit: the
    column header's, else the one unit the group's text states, else the standards'."""
    group_unit = _unit_of(group.units[0]) if len(group.units) == 1 else ""
    results = []
    for i, column in enumerate(group.columns):
        is_conc = column.holds == "concentration" or (
            column.holds == "expected_or_concentration" and not has_expected
        )
        if not is_conc:
            continue
        per_sample = group.per_sample[i]
        text = row.cells[i] or (head.cells[i] if per_sample else "")
        if not text:
            continue
        basis = column.basis or (
            VendorBasis.SAMPLE if _SAMPLE_BASIS_NAME.search(column.name) else VendorBasis.IN_WELL
        )
        quantity = "mean_concentration" if per_sample else "concentration"
        results.append((quantity, text, column.unit or group_unit or unit, basis))
    return tuple(results)


def _per_sample(group: GroupTable, at: int, column: GroupColumn) -> bool:
    """Whether a column holds one value per SoftMax sample: as its formula says, else
    as its cells show (a value on a sample's first row only), else as its name says
    (`MeanResult`, `AvgConc`)."""
    if column.per_sample is not None:
        return column.per_sample
    seen: set[int] = set()
    several = False
    for row in group.rows:
        if row.entry in seen:
            several = True
            if at < len(row.cells) and row.cells[at]:
                return False
        seen.add(row.entry)
    return True if several else bool(_MEAN_NAME.search(column.name))


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return np.nan
    return value if np.isfinite(value) else np.nan


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_softmax(source.text, source.file, options.read, options.rule)


def _recognise(source: Source) -> bool:
    return looks_like_softmax(source.lines)


SOFTMAX: Final = Format(
    name="softmax",
    described="a SoftMax Pro text export",
    software="Molecular Devices SoftMax Pro",
    export="text export (PlateFormat or TimeFormat), UTF-16/UTF-8/Latin-1, several plates per file",
    versions="export format 1.3",
    plate_map="for wells in no group",
    recognised_by="first line `##BLOCKS= n`",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
