"""Meso Scale Discovery plate-reader text exports into wells (docs/formats.md, "MSD
Methodical Mind").

MSD's readers (MESO QuickPlex, SECTOR; software `MMPR`, Methodical Mind) write one text
file per read: per plate a header of `Key :<TAB>value` lines (`Plate #`, `Barcode1`,
`Type`, `Spots Per Well`, `Read Time`, `Version`, `Serial #`, `Model`, a spot `Legend`,
`SpotID`), then `==========Data====` and the ECL counts as a grid, then the reader's own
sections (`Processing`, `Statistics`, `Camera Status`, `Waveform/Current`), not read.
A well of a multi-spot plate takes one grid line per spot: the row's letter on the
first (spot 1), empty on the others (spot 2, 3, ...). A file holding several plates
repeats header and grid; one plate may also come as several single-spot grids (one per
`SpotID`), which are one plate here.

Three layers, as for the other readers:

1. `split_export` cuts the lines into sections: header lines and grid lines.
2. `PlateHeader` and `SpotGrid` are frozen records whose `create` checks one section.
3. `compose` joins the sections of one plate into wells: one row per well x spot.

The signal is the ECL count as exported (`signal_kind` `ECL`). The export names no
roles and no analytes: every well is `unassigned` until a plate map places it, and
each spot's analyte is `spot <n>`, unless the header's `Assays` line names the spots. A
kit file's `spots:` names them for every plate of the kit (`kit_spots`). A spot empty in
every well (a panel using fewer spots than the plate has) is left out with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np

from assaypipe.errors import InputError, excerpt
from assaypipe.readers.cells import ROW_LETTERS, classify_texts, is_whole, wells_columns
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.tables import UNASSIGNED

__all__ = [
    "MSD_METHODICAL_MIND",
    "SIGNAL_KIND",
    "PlateHeader",
    "RawSection",
    "SpotGrid",
    "compose",
    "iso_time",
    "looks_like_methodical_mind",
    "read_methodical_mind",
    "split_export",
    "spot_analyte",
]

SIGNAL_KIND: Final = "ECL"
_DATA: Final = re.compile(r"^=+\s*Data\s*=+")
_SECTION: Final = re.compile(r"^={5,}")
# `Key :<TAB>value`; some exports write the tab as the two characters `\t`. The key and
# the space after it are taken whole (possessive): a lazy key backtracked over a long run
# of spaces with no colon, quadratic in its length (140,000 spaces took over 20 s).
_HEADER_LINE: Final = re.compile(r"^([A-Za-z][^:\t]*+)\s*+:\s*(?:\\t)?\s*(.*)$")
# Header keys that open a plate's header after the reader sections of the one before.
_OPENING_KEYS: Final = frozenset(
    {"FileName", "Stack ID", "Run Name", "Digital_Signature", "Plate #", "Barcode1"}
)
_MULTI_SPOT: Final = re.compile(r"Multi-Spot\s+(\d+)", re.IGNORECASE)
_PLATE_SIZE: Final = re.compile(r"^\s*(96|384|1536)\b")
_SHAPES: Final = {96: (8, 12), 384: (16, 24)}
_MOST_LISTED: Final = 12
# The zones US instrument PCs write after a local time.
_ZONES: Final = {
    "UTC": "+00:00",
    "GMT": "+00:00",
    "EST": "-05:00",
    "EDT": "-04:00",
    "CST": "-06:00",
    "CDT": "-05:00",
    "MST": "-07:00",
    "MDT": "-06:00",
    "PST": "-08:00",
    "PDT": "-07:00",
    "CET": "+01:00",
    "CEST": "+02:00",
}
_TIME: Final = re.compile(
    r"^(\d{1,4})[/-](\d{1,2})[/-](\d{1,4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
    r"(?:\s*([A-Z]{2,4}))?\s*$"
)


def spot_analyte(spot: int) -> str:
    """The analyte of a spot no export or kit file names.

    >>> spot_analyte(3)
    'spot 3'
    """
    return f"spot {spot}"


def iso_time(text: str) -> str:
    """`09/08/2023 13:39:33 EDT` as ISO 8601 (`2023-09-08T13:39:33-04:00`), so the run
    order of plates can be read from it; month first as US instrument PCs write it
    (day first where the first number cannot be a month). Text it cannot read is
    kept as written.

    >>> iso_time("09/08/2023 13:39:33 EDT"), iso_time("2024-01-15"), iso_time("soon")
    ('2023-09-08T13:39:33-04:00', '2024-01-15', 'soon')
    """
    found = _TIME.match(" ".join(text.split()))
    if found is None:
        return text.strip()
    first, second, third, hour, minute, second_of_minute, zone = found.groups()
    if len(first) == 4:
        year, month, day = int(first), int(second), int(third)
    else:
        month, day, year = int(first), int(second), int(third)
        if month > 12:
            month, day = day, month
    if not (1 <= month <= 12 and 1 <= day <= 31) or year < 1900:
        return text.strip()
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if hour is None:
        return date
    clock = f"{int(hour):02d}:{minute}:{second_of_minute or '00'}"
    offset = _ZONES.get(zone or "", "")
    return f"{date}T{clock}{offset}"


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class RawSection:
    """One plate's header and one data grid: `(key, value, line)` header entries, and
    the grid's lines as cells with their line numbers (the column-number line first)."""

    header: tuple[tuple[str, str, int], ...]
    grid: tuple[tuple[tuple[str, ...], int], ...]
    data_line: int


def looks_like_methodical_mind(lines: list[str]) -> bool:
    """An MSD reader text export: a `==========Data` line after `Barcode1`, `Plate #`
    or `Stack ID` header lines."""
    head = lines[:80]
    data = next((i for i, line in enumerate(head) if _DATA.match(line)), None)
    if data is None:
        return False
    keys = {_key(line) for line in head[:data]}
    return bool(keys & {"Barcode1", "Plate #", "Stack ID", "Spots Per Well"})


def _key(line: str) -> str:
    found = _HEADER_LINE.match(line)
    return found.group(1).strip() if found else ""


def split_export(lines: list[str]) -> list[RawSection]:
    """Every header + data grid of the export, in file order."""
    sections: list[RawSection] = []
    header: list[tuple[str, str, int]] = []
    grid: list[tuple[tuple[str, ...], int]] = []
    state = "header"
    data_line = 0
    for index, line in enumerate(lines):
        number = index + 1
        if _DATA.match(line):
            if state == "data":
                sections.append(RawSection(tuple(header), tuple(grid), data_line))
            state, grid, data_line = "data", [], number
            continue
        if _SECTION.match(line):
            if state == "data":
                sections.append(RawSection(tuple(header), tuple(grid), data_line))
                header = []
            state = "reader"
            continue
        if state == "data":
            # A line of tabs is a grid line even when every cell is empty (a spot with
            # no values); a line without a tab is a gap between a well row's spots.
            if "\t" in line:
                grid.append((tuple(line.split("\t")), number))
            elif line.strip():
                grid.append(((line,), number))
            continue
        key = _key(line)
        if state == "reader":
            if key not in _OPENING_KEYS:
                continue
            state, header = "header", []
        if key:
            found = _HEADER_LINE.match(line)
            value = found.group(2) if found else ""
            header.append((key, _value(value), number))
    if state == "data":
        sections.append(RawSection(tuple(header), tuple(grid), data_line))
    return sections


def _value(text: str) -> str:
    # `09/08/2023<TAB>13:39:33 EDT`: the cells of one value, joined as words.
    cells = [cell.strip() for cell in text.replace("\\t", "\t").split("\t")]
    return " ".join(cell for cell in cells if cell)


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class PlateHeader:
    """What a section's header says about the plate and the read."""

    plate_number: str
    barcode: str
    plate_type: str
    spots_per_well: int | None
    spot_id: str
    assays: tuple[str, ...]
    run_name: str
    read_time: str
    version: str
    serial_number: str
    model: str
    line: int

    @classmethod
    def create(cls, section: RawSection) -> PlateHeader:
        values: dict[str, str] = {}
        for key, value, _ in section.header:
            values.setdefault(key, value)
        plate_type = values.get("Type", "") or values.get("Plate Type", "")
        spots = _integer(values.get("Spots Per Well", ""))
        if spots is None and (multi := _MULTI_SPOT.search(plate_type)) is not None:
            spots = _integer(multi.group(1))
        assays = tuple(name.strip() for name in values.get("Assays", "").split(","))
        return cls(
            plate_number=values.get("Plate #", ""),
            barcode=_barcode(values.get("Barcode1", "")),
            plate_type=plate_type,
            spots_per_well=spots,
            spot_id=values.get("SpotID", "").strip(),
            assays=assays if any(assays) else (),
            run_name=values.get("Run Name", ""),
            read_time=values.get("Read Time", ""),
            version=values.get("Version", ""),
            serial_number=values.get("Serial #", ""),
            model=values.get("Model", ""),
            line=section.header[0][2] if section.header else section.data_line,
        )

    @property
    def plate_size(self) -> int | None:
        found = _PLATE_SIZE.match(self.plate_type)
        return int(found.group(1)) if found else None

    @property
    def single_spot(self) -> int | None:
        """The spot a single-spot grid holds (`SpotID : 3`); None for `all`."""
        return _integer(self.spot_id)

    @property
    def identity(self) -> tuple[str, str]:
        return (self.barcode, self.plate_number)


def _barcode(text: str) -> str:
    # MSD writes barcodes between angle brackets, some between asterisks: <*22M0TALA85N*>.
    return text.strip().strip("<>").strip("*").strip()


def _integer(text: str) -> int | None:
    """A count or spot number the header gives; None for any other text, and for a
    number no plate has (a damaged header: it would not fit numpy's integers)."""
    stripped = text.strip()
    if not is_whole(stripped) or len(stripped) > 6:
        return None
    return int(stripped)


@dataclass(frozen=True)
class SpotGrid:
    """One data grid: per plate row its lines, one per spot, each a cell per column."""

    columns: tuple[int, ...]
    rows: tuple[tuple[str, tuple[tuple[tuple[str, ...], int], ...]], ...]
    line: int

    @classmethod
    def create(cls, section: RawSection, file: str) -> SpotGrid:
        if not section.grid:
            raise InputError(
                file,
                "the Data section holds no grid: no line of column numbers and no plate rows",
                where=f"line {section.data_line}",
            )
        (first, first_line), body = section.grid[0], section.grid[1:]
        columns = _columns(first, first_line, file)
        rows: list[tuple[str, list[tuple[tuple[str, ...], int]]]] = []
        seen: set[str] = set()
        for cells, number in body:
            label = cells[0].strip()
            values = tuple(cell.strip() for cell in cells[1 : len(columns) + 1])
            values += ("",) * (len(columns) - len(values))
            if label:
                if len(label) != 1 or label.upper() not in ROW_LETTERS:
                    raise InputError(
                        file,
                        f"expected a plate row letter A to P or an empty first cell (the next "
                        f"spot of the row above), found {label[:20]!r}",
                        where=f"line {number}",
                    )
                letter = label.upper()
                if letter in seen:
                    raise InputError(
                        file, f"plate row {letter} appears twice in one grid", f"line {number}"
                    )
                seen.add(letter)
                rows.append((letter, [(values, number)]))
            elif rows:
                rows[-1][1].append((values, number))
            elif any(values):
                raise InputError(
                    file,
                    "values before the first plate row letter: the grid's first row is unnamed",
                    where=f"line {number}",
                )
        if not rows:
            raise InputError(
                file, "the Data grid holds no plate rows (A to P)", where=f"line {first_line}"
            )
        return cls(
            columns=columns,
            rows=tuple((letter, tuple(lines)) for letter, lines in rows),
            line=first_line,
        )

    @property
    def lines_per_row(self) -> tuple[int, ...]:
        return tuple(len(lines) for _, lines in self.rows)


def _columns(cells: tuple[str, ...], line: int, file: str) -> tuple[int, ...]:
    texts = [cell.strip() for cell in cells[1:]]
    while texts and not texts[-1]:
        texts.pop()
    if not texts or not all(is_whole(text) for text in texts):
        raise InputError(
            file,
            "expected the grid's column numbers after the Data line, found "
            f"{' '.join(cells).strip()[:40]!r}",
            where=f"line {line}",
        )
    numbers = tuple(int(text) for text in texts)
    if len(set(numbers)) != len(numbers) or not all(1 <= n <= 24 for n in numbers):
        raise InputError(
            file, "the grid's column numbers must be distinct numbers 1 to 24", f"line {line}"
        )
    return numbers


# --- layer 3: compose --------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    header: PlateHeader
    grid: SpotGrid


def compose(parts: list[_Part], file: str, name: str = "") -> ParsedPlate:
    """One plate from its sections: a section of every spot, or one single-spot
    section per spot. Wells x spots, run facts and warnings."""
    notes = Warnings()
    first = parts[0].header
    wells: list[np.ndarray] = []
    spots: list[np.ndarray] = []
    texts: list[np.ndarray] = []
    for part in parts:
        spot_id = part.header.spot_id
        if spot_id and spot_id.casefold() != "all" and part.header.single_spot is None:
            notes.add(
                f"SpotID {excerpt(spot_id)} is neither a spot number nor `all`; its grid is "
                "read as a grid of every spot, a plate of its own: the header looks damaged",
                where=f"line {part.header.line}",
            )
        well, spot, text = _cells(part, notes)
        wells.append(well)
        spots.append(spot)
        texts.append(text)
    well = np.concatenate(wells)
    spot = np.concatenate(spots)
    text = np.concatenate(texts)
    keep = _spots_with_values(spot, text, parts[0].grid.line, notes)
    well, spot, text = well[keep], spot[keep], text[keep]
    if not len(well):
        raise InputError(file, "the Data grid holds no value in any well", f"line {first.line}")
    _note_shape(parts, notes)
    analyte = _spot_names(spot, first)
    tokens, values = classify_texts(text.tolist())
    frame = wells_columns(
        len(well),
        well=well,
        analyte=analyte,
        role=UNASSIGNED,
        signal=values,
        signal_kind=SIGNAL_KIND,
        raw_text=text,
        token=tokens,
        source_file=file,
    )
    meta = {
        "format": MSD_METHODICAL_MIND.name,
        "instrument": first.model,
        "software": "MSD Methodical Mind",
        "software_version": first.version,
        "serial_number": first.serial_number,
        "batch": first.barcode or first.run_name,
        "run_time": iso_time(first.read_time),
    }
    return ParsedPlate(wells=frame, meta=meta, name=name, warnings=notes.as_tuple())


def _cells(part: _Part, notes: Warnings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Well, spot and cell text of every value position of one grid."""
    header, grid = part.header, part.grid
    fixed = header.single_spot
    expected = header.spots_per_well if fixed is None else 1
    wells: list[str] = []
    spots: list[int] = []
    texts: list[str] = []
    for letter, lines in grid.rows:
        if expected is not None and len(lines) != expected:
            notes.add(
                f"plate row {letter} has {len(lines)} grid lines but the header says "
                f"{expected} spots per well; each line is read as the next spot",
                where=f"line {lines[0][1]}",
            )
        for position, (cells, _) in enumerate(lines, start=1):
            spot = fixed if fixed is not None else position
            for column, cell in zip(grid.columns, cells, strict=True):
                wells.append(f"{letter}{column}")
                spots.append(spot)
                texts.append(cell)
    return (
        np.array(wells, dtype=object),
        np.array(spots, dtype=int),
        np.array(texts, dtype=object),
    )


def _spots_with_values(
    spot: np.ndarray, text: np.ndarray, line: int, notes: Warnings
) -> np.ndarray:
    """Positions of spots with a value in some well; the others are named in a warning."""
    filled = np.array([bool(t) for t in text.tolist()], dtype=bool)
    present = set(np.unique(spot[filled]).tolist())
    empty = sorted(set(np.unique(spot).tolist()) - present)
    if empty and present:
        listed = ", ".join(str(s) for s in empty)
        notes.add(
            f"spot{'s' if len(empty) > 1 else ''} {listed} {'hold' if len(empty) > 1 else 'holds'} "
            "no value in any well (a panel using fewer spots than the plate has); "
            "left out",
            where=f"line {line}",
        )
    return np.asarray(np.isin(spot, sorted(present)), dtype=bool)


def _spot_names(spot: np.ndarray, header: PlateHeader) -> np.ndarray:
    """`spot <n>`, or the name the header's `Assays` line gives spot n."""
    names = {
        n: (header.assays[n - 1] if 0 < n <= len(header.assays) and header.assays[n - 1] else "")
        or spot_analyte(n)
        for n in np.unique(spot).tolist()
    }
    return np.array([names[s] for s in spot.tolist()], dtype=object)


def _note_shape(parts: list[_Part], notes: Warnings) -> None:
    header, grid = parts[0].header, parts[0].grid
    size = header.plate_size
    if size not in _SHAPES:
        return
    n_rows, n_columns = _SHAPES[size]
    letters = [letter for letter, _ in grid.rows]
    if len(letters) == n_rows and len(grid.columns) == n_columns:
        return
    shown = ", ".join(letters) if len(letters) <= 8 else f"{letters[0]}-{letters[-1]}"
    notes.add(
        f"the plate type is {header.plate_type} but the grid holds "
        f"{len(letters)} row{'s' if len(letters) != 1 else ''} ({shown}) x "
        f"{len(grid.columns)} column{'s' if len(grid.columns) != 1 else ''}: its wells are "
        "read where they are; check the export is complete",
        where=f"line {grid.line}",
    )


def _plates(sections: list[RawSection], file: str) -> Iterator[list[_Part]]:
    """The sections grouped by plate: single-spot grids of one plate (same barcode and
    plate number, a different SpotID each) are one plate."""
    group: list[_Part] = []
    for section in sections:
        part = _Part(PlateHeader.create(section), SpotGrid.create(section, file))
        if group and _same_plate(group, part):
            group.append(part)
            continue
        if group:
            yield group
        group = [part]
    if group:
        yield group


def _same_plate(group: list[_Part], part: _Part) -> bool:
    spot = part.header.single_spot
    return (
        spot is not None
        and part.header.identity == group[0].header.identity
        and all(p.header.single_spot not in (None, spot) for p in group)
    )


def read_methodical_mind(text: str, file: str) -> list[ParsedPlate]:
    """Every plate of one export: wells (unvalidated), run facts and warnings."""
    sections = split_export(text.splitlines())
    if not sections:
        raise InputError(file, "the export holds no `==========Data` section with a grid")
    groups = list(_plates(sections, file))
    names = _plate_names([group[0].header for group in groups])
    many = len(groups) > 1
    return [
        compose(group, file, name if many else "")
        for group, name in zip(groups, names, strict=True)
    ]


def _plate_names(headers: list[PlateHeader]) -> list[str]:
    """Each plate's barcode, else `Plate <n>`, made unique where one repeats."""
    names: list[str] = []
    for position, header in enumerate(headers, start=1):
        base = header.barcode or f"Plate {header.plate_number or position}"
        candidate, count = base, 1
        while candidate in names:
            count += 1
            candidate = f"{base} ({count})"
        names.append(candidate)
    return names


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_methodical_mind(source.text, source.file)


def _recognise(source: Source) -> bool:
    return looks_like_methodical_mind(source.lines)


MSD_METHODICAL_MIND: Final = Format(
    name="msd_methodical_mind",
    described="an MSD plate-reader text export",
    software="MSD Methodical Mind (MESO QuickPlex, SECTOR)",
    export=(
        "reader text export (`==========Data` grid of ECL counts): one or several spots "
        "per well, several plates or single-spot grids per file, 96/384 wells"
    ),
    versions="MMPR 1.0.38",
    plate_map="required (roles); a kit file names the spots",
    recognised_by="`Barcode1`/`Plate #` header lines and a `==========Data` line",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
