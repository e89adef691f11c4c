"""PerkinElmer (Revvity) EnVision CSV exports into wells (docs/formats.md, "EnVision").

EnVision Workstation writes an export as one result section after another, then the
assay's facts:

- per result section: `Plate information` (a header line `Plate,Repeat,Barcode,...` and
  a line of values: the plate number, its barcode, and either the `Label` and `Measinfo`
  of a measurement or the `Formula` of a calculation, `Measurement date`), optionally
  `Background information`, then the data: a title (`Results for A450(1) - channel 1
  (A)`, `Calculated results: Calc 1: ...`) and a grid with column numbers and row
  letters (export format `Plate2`), or a bare grid of values (`Plate`), one line per
  plate row;
- `Basic assay information` (`Assay ID`, `Assay Started`, `Protocol Name`, `Serial#`),
  `Protocol information` (the plate type: rows, columns, wells), `Platemap:` (per plate
  a grid of well codes, `STD1`, `UNK12`, `-`, and a legend `STD - Standard`),
  `Calculations:`, `Auto export parameters:`, `Operations:`, `Labels:`, `Instrument:`
  (serial number, nickname) and `Exported with EnVision Workstation version ...`.

Every section names its plate; the sections of one plate (and repeat) make one plate.
A plate holds several reads when a label reads several channels (HTRF's two emission
channels) or the protocol calculates values (`Calc 1: Crosstalk`, an HTRF ratio).

Three layers, as for Gen5:

1. `split_export` cuts the text into result sections and the assay's sections.
2. `PlateInfo`, `ResultGrid`, `DataSet`, `PlateMap` and `AssayFacts` are frozen records
   whose `create` checks one block each.
3. `compose` picks a plate's read (`ReadOptions.read`, else its first measurement),
   places each value in its well, gives the wells the roles of the plate map and keeps
   the calculated values as vendor results.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final, Literal

import numpy as np

from assaypipe.errors import InputError, excerpt
from assaypipe.readers.cells import (
    ROW_LETTERS,
    classify_texts,
    is_whole,
    listed,
    vendor_table,
    wells_columns,
    whole_numbers,
)
from assaypipe.readers.columns import ColumnTable
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import RoleRule, level_number
from assaypipe.vocabulary import Role

__all__ = [
    "ENVISION",
    "AssayFacts",
    "DataSet",
    "PlateInfo",
    "PlateMap",
    "RawExport",
    "RawSection",
    "ResultGrid",
    "compose",
    "looks_like_envision",
    "read_envision",
    "split_export",
]

Kind = Literal["measurement", "calculated"]
Line = tuple[tuple[str, ...], int]

_INFO_TITLE: Final = "plate information"
_BACKGROUND_TITLE: Final = "background information"
# The titles of the assay's sections after the results, as EnVision writes them.
_TAIL_TITLES: Final = (
    "basic assay information",
    "protocol information",
    "protocol:",
    "plate type:",
    "coordinates of corners:",
    "platemap:",
    "calculations:",
    "auto export parameters:",
    "operations:",
    "labels:",
    "filters:",
    "aperture:",
    "mirror modules:",
    "instrument:",
    "normalization:",
)
_VERSION: Final = re.compile(r"Exported with EnVision Workstation version\s+(\S+)", re.IGNORECASE)
_CHANNEL: Final = re.compile(r"\s-\s(channel\s+\d+(?:\s+window\s+\d+)?)", re.IGNORECASE)
_LABEL_REPEAT: Final = re.compile(r"\(\d+\)\s*$")
_DETECTOR: Final = re.compile(r"De=(\S+)")
# The name is the shortest text ending in a non-space before any `=` (runs of space taken
# whole: a lazy name before `\s*` was quadratic in a long run of spaces).
_CALC: Final = re.compile(
    r"^\s*(?P<id>Calc\s*\d+)\s*:\s*(?P<name>(?:\s*+[^=\s])*?)\s*(?:=.*)?$", re.I
)
# The meaning is the shortest text ending in a non-space, or one space where nothing else
# follows (runs of space taken whole: a lazy `.+?` before `\s*` was quadratic in a long run
# of spaces).
_LEGEND: Final = re.compile(
    r"^\s*(?P<code>\S+)\s+-\s+(?P<meaning>[^\S\n](?=\s*$)|(?:[^\S\n]*+\S)+?)\s*$"
)
_CODE: Final = re.compile(r"^(?P<prefix>[A-Za-z]+|-)(?P<number>\d*)$")
# Plate map codes without a legend line, as EnVision defines them.
_DEFAULT_MEANINGS: Final = {
    "STD": Role.STANDARD,
    "UNK": "unknown",
    "S": Role.SAMPLE,
    "BL": Role.BLANK,
    "LB": "lance blank",
    "CTL": Role.CONTROL,
    "LC": "lance crosstalk",
    "LH": "lance high",
    "ZH": "z high",
    "ZL": "z low",
    "-": "undefined",
}
_SHAPES: Final = {96: (8, 12), 384: (16, 24), 1536: (32, 48)}
_MOST_LISTED: Final = 12
# A number as a grid cell holds it, with a decimal point or comma.
_NUMBER_CELL: Final = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class RawSection:
    """One result section: its plate information, background lines, title and grid."""

    info: tuple[tuple[str, ...], tuple[str, ...]]
    line: int
    titled: bool
    background: tuple[dict[str, str], ...]
    title: str
    grid: tuple[Line, ...]


@dataclass(frozen=True)
class RawMap:
    """One plate's `Platemap:` entry: plate number, code grid lines and legend."""

    plate: str
    grid: tuple[Line, ...]
    legend: tuple[tuple[str, str], ...]
    line: int


@dataclass(frozen=True)
class RawExport:
    sections: tuple[RawSection, ...]
    facts: dict[str, str]
    maps: tuple[RawMap, ...]
    version: str
    decimal_comma: bool
    has_assay: bool = field(default=True)
    # Lines of numbers outside any section's grid (after a blank or title line that
    # ended it): passed over, and named in a warning.
    stray_rows: tuple[int, ...] = ()


def looks_like_envision(text: str, lines: Sequence[str]) -> bool:
    """An EnVision export: a `Plate information` title or a `Plate,Repeat,Barcode` header
    in its first lines, or EnVision Workstation's closing line."""
    head = [line.strip().casefold() for line in lines[:12]]
    if any(line.rstrip(",;\t ") == _INFO_TITLE for line in head) and any(
        re.match(r"plate[,;\t]repeat[,;\t]barcode", line) for line in head
    ):
        return True
    return "exported with envision workstation" in text[-400:].casefold()


def split_export(text: str, file: str) -> RawExport:
    """Cut the export into its result sections and the assay's facts and plate maps."""
    lines, delimiter = _split_lines(text)
    sections: list[RawSection] = []
    facts: dict[str, str] = {}
    maps: list[RawMap] = []
    index = 0
    tail = ""
    stray: list[int] = []
    while index < len(lines):
        cells = lines[index][0]
        first = cells[0].strip().casefold() if cells else ""
        if not any(cell.strip() for cell in cells):
            index += 1
        elif first == _INFO_TITLE or _is_info_header(cells):
            titled = first == _INFO_TITLE
            section, index = _section(lines, index + 1 if titled else index, titled, file)
            sections.append(section)
        elif first in _TAIL_TITLES:
            tail = first
            if first == "platemap:":
                found, index = _plate_maps(lines, index + 1)
                maps += found
            else:
                index += 1
        elif _looks_like_grid_row(cells):
            stray.append(lines[index][1])
            index += 1
        else:
            _fact(cells, tail, facts)
            index += 1
    version = _VERSION.search(text[-400:])
    comma = delimiter != "," and any(
        re.fullmatch(r"\s*[+-]?\d+,\d+\s*", cell)
        for section in sections
        for cells, _ in section.grid
        for cell in cells
    )
    return RawExport(
        stray_rows=tuple(stray),
        sections=tuple(sections),
        facts=facts,
        maps=tuple(maps),
        version=version.group(1) if version else "",
        decimal_comma=comma,
        has_assay=any(key.startswith("basic assay information|") for key in facts),
    )


def _split_lines(text: str) -> tuple[list[Line], str]:
    raw = text.lstrip("\ufeff").splitlines()
    found = next((m for line in raw if (m := re.match(r"\s*Plate\s*([,;\t])", line))), None)
    delimiter = found.group(1) if found else ","
    reader = csv.reader(io.StringIO("\n".join(raw)), delimiter=delimiter)
    return [(tuple(row), number) for number, row in enumerate(reader, start=1)], delimiter


def _is_info_header(cells: Sequence[str]) -> bool:
    return len(cells) > 2 and [c.strip().casefold() for c in cells[:3]] == [
        "plate",
        "repeat",
        "barcode",
    ]


def _section(lines: list[Line], index: int, titled: bool, file: str) -> tuple[RawSection, int]:
    index = _skip_blank(lines, index)
    if index >= len(lines) or not _is_info_header(lines[index][0]):
        where = lines[index][1] if index < len(lines) else lines[-1][1]
        raise InputError(
            file,
            "a `Plate information` title is not followed by its `Plate,Repeat,Barcode,...` "
            "header line; the export looks damaged",
            where=f"line {where}",
        )
    header, line = lines[index]
    values = lines[index + 1][0] if index + 1 < len(lines) else ()
    index += 2
    background: list[dict[str, str]] = []
    index = _skip_blank(lines, index)
    if index < len(lines) and _first(lines[index][0]) == _BACKGROUND_TITLE:
        names = [cell.strip() for cell in lines[index + 1][0]] if index + 1 < len(lines) else []
        index += 2
        while index < len(lines) and any(cell.strip() for cell in lines[index][0]):
            background.append(dict(zip(names, (c.strip() for c in lines[index][0]), strict=False)))
            index += 1
        index = _skip_blank(lines, index)
    title = ""
    if index < len(lines):
        first = _first(lines[index][0], fold=False)
        if first.casefold().startswith(("results for", "calculated results")):
            title = ",".join(lines[index][0]).strip(", ")
            index += 1
    grid: list[Line] = []
    while index < len(lines) and any(cell.strip() for cell in lines[index][0]):
        first = _first(lines[index][0])
        if first == _INFO_TITLE or first in _TAIL_TITLES or _is_info_header(lines[index][0]):
            break
        grid.append(lines[index])
        index += 1
    info = (tuple(c.strip() for c in header), tuple(c.strip() for c in values))
    return RawSection(info, line, titled, tuple(background), title, tuple(grid)), index


def _looks_like_grid_row(cells: Sequence[str]) -> bool:
    """Three numbers or more after the line's first cell, which is a number, a row letter
    or empty: a row of a grid, where only a section's grid has such lines (the assay's
    facts are `key,,,,value`)."""
    first = cells[0].strip() if cells else ""
    if first and not (_NUMBER_CELL.fullmatch(first) or (len(first) == 1 and first.isalpha())):
        return False
    return sum(1 for cell in cells[1:] if _NUMBER_CELL.fullmatch(cell.strip())) >= 3


def _first(cells: Sequence[str], fold: bool = True) -> str:
    """A line's first cell, stripped (and case-folded); "" for an empty line."""
    first = cells[0].strip() if cells else ""
    return first.casefold() if fold else first


def _skip_blank(lines: list[Line], index: int) -> int:
    while index < len(lines) and not any(cell.strip() for cell in lines[index][0]):
        index += 1
    return index


def _fact(cells: Sequence[str], tail: str, facts: dict[str, str]) -> None:
    """A `key,,,,value` line of the assay's sections, kept as `<section>|<key>`."""
    key = cells[0].strip().rstrip(":").strip()
    values = [cell.strip() for cell in cells[1:] if cell.strip()]
    if key and values:
        facts.setdefault(f"{tail.rstrip(':')}|{key.casefold()}", values[-1])


def _plate_maps(lines: list[Line], index: int) -> tuple[list[RawMap], int]:
    maps: list[RawMap] = []
    while index < len(lines):
        cells, number = lines[index]
        first = cells[0].strip().casefold() if cells else ""
        if first in _TAIL_TITLES:
            break
        if first != "plate":
            index += 1
            continue
        plate = next((c.strip() for c in reversed(cells[1:]) if c.strip()), "")
        index += 1
        while index < len(lines) and (_first(lines[index][0]) == "group"):
            index += 1
        index = _skip_blank(lines, index)
        grid: list[Line] = []
        while index < len(lines) and any(c.strip() for c in lines[index][0]):
            filled = [c for c in lines[index][0] if c.strip()]
            if len(filled) == 1 and _LEGEND.match(filled[0]):
                break
            grid.append(lines[index])
            index += 1
        index = _skip_blank(lines, index)
        legend: list[tuple[str, str]] = []
        while index < len(lines) and (found := _LEGEND.match(",".join(lines[index][0]))):
            if _first(lines[index][0]) in ("plate", *_TAIL_TITLES):
                break
            legend.append((found.group("code"), found.group("meaning")))
            index += 1
        maps.append(RawMap(plate, tuple(grid), tuple(legend), number))
    return maps, index


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class PlateInfo:
    """A section's `Plate information` line: whose plate it is and what it holds."""

    plate: str
    repeat: str
    barcode: str
    label: str
    measinfo: str
    formula: str
    measured: str

    @classmethod
    def create(cls, section: RawSection) -> PlateInfo:
        names, values = section.info
        row = {name.casefold(): value for name, value in zip(names, values, strict=False)}
        return cls(
            plate=row.get("plate", ""),
            repeat=row.get("repeat", "1") or "1",
            barcode=_excel_text(row.get("barcode", "")),
            label=row.get("label", ""),
            measinfo=row.get("measinfo", ""),
            formula=row.get("formula", ""),
            measured=row.get("measurement date", ""),
        )

    @property
    def key(self) -> tuple[str, str]:
        return self.plate, self.repeat


@dataclass(frozen=True)
class ResultGrid:
    """A section's grid: per well its text, placed by the grid's row letters and column
    numbers, or (a bare grid) by its position on the plate."""

    wells: np.ndarray
    texts: np.ndarray
    line: int

    @classmethod
    def create(
        cls, lines: tuple[Line, ...], shape: tuple[int, int] | None, file: str
    ) -> ResultGrid:
        if not lines:
            return cls(np.array([], dtype=object), np.array([], dtype=object), 0)
        (header, header_line), body = lines[0], lines[1:]
        cells = _trim(header)
        if len(cells) > 1 and not cells[0] and all(c.isdecimal() for c in cells[1:]):
            columns = [_column_number(c, header_line, file) for c in cells[1:]]
            rows = [(cells_[0].strip(), cells_[1:], n) for cells_, n in body]
        else:
            width = shape[1] if shape else _bare_width(lines)
            columns = list(range(1, width + 1))
            rows = [(_letter(i), cells_, n) for i, (cells_, n) in enumerate(lines)]
        if max(columns, default=0) > 24 or len(rows) > len(ROW_LETTERS):
            _refuse_wide(columns, [r[0] for r in rows], header_line, file)
        # One letter of A to P: an empty or longer label is no row (`"" in "AB"` holds).
        unknown = [(r[0], r[2]) for r in rows if len(r[0]) != 1 or r[0] not in ROW_LETTERS]
        if unknown:
            letter, number = unknown[0]
            raise InputError(
                file,
                f"expected a plate row letter A to P, found {letter!r}; the grid looks damaged",
                where=f"line {number}",
            )
        if shape is not None and len(rows) > shape[0]:
            raise InputError(
                file,
                f"the grid has {len(rows)} rows for a plate of {shape[0]}; the export looks "
                "damaged",
                where=f"line {header_line}",
            )
        wells: list[str] = []
        texts: list[str] = []
        seen: set[str] = set()
        for letter, values, number in rows:
            if letter in seen:
                raise InputError(
                    file,
                    f"row {letter} appears twice in one grid; each row should appear once",
                    where=f"line {number}",
                )
            seen.add(letter)
            stripped = [cell.strip() for cell in values]
            if len(stripped) > len(columns) and any(stripped[len(columns) :]):
                raise InputError(
                    file,
                    f"row {letter} of the grid has {len(_trim(stripped))} cells for "
                    f"{len(columns)} columns; the line looks damaged",
                    where=f"line {number}",
                )
            stripped = (stripped + [""] * len(columns))[: len(columns)]
            wells += [f"{letter}{column}" for column in columns]
            texts += stripped
        return cls(np.array(wells, dtype=object), np.array(texts, dtype=object), header_line)


def _letter(index: int) -> str:
    return ROW_LETTERS[index] if index < len(ROW_LETTERS) else f"row {index + 1}"


def _bare_width(lines: tuple[Line, ...]) -> int:
    """Columns of a bare grid: its cells per line, without the empty cell EnVision's
    closing delimiter leaves at the end of every line."""
    widths = [len(cells) for cells, _ in lines]
    closed = all(not cells[-1].strip() for cells, _ in lines if cells)
    return max(widths) - (1 if closed else 0)


def _column_number(text: str, line: int, file: str) -> int:
    """A column number of the grid's header line; one of hundreds of digits (which `int`
    refuses) is an InputError."""
    if not is_whole(text) or int(text) < 1:
        raise InputError(
            file,
            f"expected the grid's column numbers 1 to 24, found {excerpt(text)}",
            where=f"line {line}",
        )
    return int(text)


def _refuse_wide(columns: list[int], rows: list[str], line: int, file: str) -> None:
    raise InputError(
        file,
        f"the grid is of a plate larger than 384 wells ({len(columns)} columns, "
        f"{len(rows)} rows): assaypipe places wells on 96- and 384-well plates only "
        "(A1 to P24), so this plate cannot be read",
        where=f"line {line}",
    )


def _trim(cells: Sequence[str]) -> list[str]:
    trimmed = [cell.strip() for cell in cells]
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def _excel_text(text: str) -> str:
    """`="1050242"` (text quoted for Excel) as `1050242`."""
    found = re.fullmatch(r'\s*="(.*)"\s*', text)
    return (found.group(1) if found else text).strip()


@dataclass(frozen=True)
class DataSet:
    """One read of a plate (a measurement or a calculation) by well.

    `name` is what the warning and `signal_kind` call it: the label (`A450`,
    `AC HTRF Laser [Eu]`) with its channel where the label reads several
    (`AC HTRF Laser [Eu] channel 2 window 1`), or a calculation's name (`Crosstalk`,
    `General`); `calc` the calculation's number (`Calc 1`)."""

    kind: Kind
    name: str
    label: str
    channel: str
    calc: str
    title: str
    info: PlateInfo
    wells: np.ndarray
    texts: np.ndarray
    line: int

    def text_of(self, wells: np.ndarray) -> np.ndarray:
        lookup = dict(zip(self.wells.tolist(), self.texts.tolist(), strict=True))
        return np.array([lookup.get(well, "") for well in wells.tolist()], dtype=object)

    def names(self) -> tuple[str, ...]:
        """The names `wells.read` may give it."""
        channel = re.sub(r"\s+window\s+\d+$", "", self.channel, flags=re.IGNORECASE)
        keys = (self.name, self.label, self.channel, channel, self.calc, self.title)
        return tuple(key for key in (*keys, self.info.label) if key)


def data_sets(
    sections: list[RawSection], shape: tuple[int, int] | None, file: str
) -> list[DataSet]:
    """One plate's reads in the export's order; measurements named by their channel
    where a label reads several."""
    made: list[DataSet] = []
    for section in sections:
        info = PlateInfo.create(section)
        grid = ResultGrid.create(section.grid, shape, file)
        if info.label:
            label = _LABEL_REPEAT.sub("", info.label).strip()
            channel = _CHANNEL.search(section.title)
            detector = _DETECTOR.search(info.measinfo)
            which = (
                channel.group(1)
                if channel
                else (f"detector {detector.group(1)}" if detector else "")
            )
            made.append(
                DataSet(
                    "measurement",
                    label,
                    label,
                    which,
                    "",
                    section.title,
                    info,
                    grid.wells,
                    grid.texts,
                    section.line,
                )
            )
        else:
            found = _CALC.match(info.formula)
            calc, name = (found.group("id"), found.group("name")) if found else ("", info.formula)
            made.append(
                DataSet(
                    "calculated",
                    name or calc or "calculated",
                    "",
                    "",
                    calc,
                    section.title,
                    info,
                    grid.wells,
                    grid.texts,
                    section.line,
                )
            )
    labels = [s.label for s in made if s.kind == "measurement"]
    return [
        DataSet(
            s.kind,
            f"{s.label} {s.channel}".strip(),
            s.label,
            s.channel,
            s.calc,
            s.title,
            s.info,
            s.wells,
            s.texts,
            s.line,
        )
        if s.kind == "measurement" and labels.count(s.label) > 1
        else s
        for s in made
    ]


@dataclass(frozen=True)
class PlateMap:
    """A plate's `Platemap:` entry: per well its code (`STD1`) and what codes mean."""

    codes: dict[str, str]
    meanings: dict[str, str]

    @classmethod
    def create(cls, raw: RawMap, shape: tuple[int, int] | None, file: str) -> PlateMap:
        grid = ResultGrid.create(raw.grid, shape, file)
        codes = {
            well: text.replace(" ", "")
            for well, text in zip(grid.wells.tolist(), grid.texts.tolist(), strict=True)
            if text.strip()
        }
        meanings = {**_DEFAULT_MEANINGS, **{code: m.casefold() for code, m in raw.legend}}
        return cls(codes, meanings)

    def role(self, well: str, rule: RoleRule) -> tuple[str, int | None, str | None]:
        """Role, level and sample_id of a well ("" when the map defines none)."""
        return self.code_role(self.codes.get(well, ""), rule)

    @cached_property
    def _prefixes(self) -> tuple[str, ...]:
        """The codes' prefixes, longest first (of equally long ones, the first defined)."""
        return tuple(sorted(self.meanings, key=len, reverse=True))

    def code_role(self, code: str, rule: RoleRule) -> tuple[str, int | None, str | None]:
        """Role, level and sample_id of a plate map code (`role` of its well)."""
        found = _CODE.match(code)
        if not code or found is None:
            return ("", None, None) if not code else _by_rule(code, rule)
        prefix = next((p for p in self._prefixes if code.startswith(p)), None)
        meaning = self.meanings[prefix] if prefix is not None else ""
        number = code[len(prefix) :] if prefix is not None else ""
        if not meaning or (number and not number.isdecimal()):
            return _by_rule(code, rule)
        if "undefined" in meaning or "empty" in meaning:
            return "", None, None
        if "standard" in meaning:  # their word
            return Role.STANDARD, level_number(number) if number else None, None
        if "blank" in meaning:  # their word
            return Role.BLANK, None, None
        if "unknown" in meaning or "sample" in meaning:  # their word
            return Role.SAMPLE, None, code
        return Role.CONTROL, level_number(number) if number else None, code


def _by_rule(code: str, rule: RoleRule) -> tuple[str, int | None, str | None]:
    role, level = rule.classify(code)
    return role, level, code if role in (Role.SAMPLE, Role.CONTROL) else None


@dataclass(frozen=True)
class AssayFacts:
    protocol: str
    assay_id: str
    started: str
    serial_number: str
    nickname: str
    shape: tuple[int, int] | None
    wells: int

    @classmethod
    def create(cls, raw: RawExport) -> AssayFacts:
        facts = raw.facts

        def get(section: str, key: str) -> str:
            return _excel_text(facts.get(f"{section}|{key}", ""))

        rows, columns = get("plate type", "number of rows"), get("plate type", "number of columns")
        wells = get("plate type", "number of the wells in the plate")
        shape = (int(rows), int(columns)) if is_whole(rows) and is_whole(columns) else None
        return cls(
            protocol=get("basic assay information", "protocol name"),
            assay_id=get("basic assay information", "assay id"),
            started=get("basic assay information", "assay started"),
            serial_number=get("basic assay information", "serial#")
            or get("instrument", "serial number"),
            nickname=get("instrument", "nickname"),
            shape=shape,
            wells=int(wells) if is_whole(wells) else 0,
        )


# --- layer 3: compose --------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    read: DataSet
    why: str


def compose(
    sections: list[RawSection],
    raw: RawExport,
    options: ReadOptions,
    file: str,
    name: str = "",
) -> ParsedPlate:
    """One plate's wells, run facts, EnVision's calculated values and warnings."""
    notes = Warnings()
    facts = AssayFacts.create(raw)
    if facts.wells > 384 or (facts.shape and facts.shape[1] > 24):
        raise InputError(
            file,
            f"the protocol's plate type has {facts.wells or 'more than 384'} wells: assaypipe "
            "places wells on 96- and 384-well plates only (A1 to P24), so this plate cannot "
            "be read",
            where=f"line {sections[0].line}",
        )
    for section in sections:
        if not section.titled:
            notes.add(
                "this plate's `Plate,Repeat,Barcode,...` header has no `Plate information` "
                "title above it; it is read as a new result section, but the file looks edited",
                f"line {section.line}",
            )
    sets = data_sets(sections, facts.shape, file)
    choice = _choose(sets, options, file, sections[0].line)
    read = choice.read
    info = read.info
    plate_map = _plate_map(raw, info.plate, facts.shape, file)
    wells, texts = read.wells, read.texts
    named = np.array(
        [plate_map is not None and plate_map.codes.get(w, "-") != "-" for w in wells.tolist()],
        dtype=bool,
    )
    keep = np.array([bool(t) for t in texts.tolist()], dtype=bool) | named
    if not keep.any():
        raise InputError(
            file,
            f"the read `{read.name}` of plate {info.plate} is empty in every well: there is "
            "no value to read",
            where=f"line {read.line}",
        )
    wells, texts = wells[keep], texts[keep]
    table = _wells(wells, texts, read.name, raw.decimal_comma, file)
    if plate_map is not None:
        table = _apply_map(table, plate_map, options.rule)
    _note_missing(sections, sets, notes)
    _note_unused(choice, sets, notes)
    if not raw.version:
        notes.add(
            "the file does not end with EnVision's `Exported with EnVision Workstation "
            "version` line: it looks cut short, and plates or wells after this point may be "
            "missing; export it again"
        )
    if raw.stray_rows:
        lines = [f"line {n}" for n in raw.stray_rows]
        notes.add(
            "lines of numbers stand outside any plate's grid (after a blank or title line "
            f"that ended the grid above) and are not read; the file looks damaged: "
            f"{listed(lines, _MOST_LISTED)}"
        )
    if not raw.has_assay:
        notes.add(
            "the export has no `Basic assay information` section, so no protocol, assay or "
            "serial number, and no plate type: the wells are placed by the grid's row "
            "letters and column numbers"
        )
    measured = [s.info.measured for s in sets if s.kind == "measurement" and s.info.measured]
    instrument = "EnVision"
    if facts.nickname and facts.nickname != "EnVision":
        instrument = f"EnVision ({facts.nickname})"
    batch = facts.protocol
    if info.barcode:
        batch = f"{batch}, barcode {info.barcode}" if batch else f"barcode {info.barcode}"
    meta = {
        "format": "envision",
        "instrument": instrument,
        "software": "EnVision Workstation",
        "software_version": raw.version,
        "serial_number": facts.serial_number,
        "batch": batch,
        "run_time": measured[0] if measured else info.measured or facts.started,
        "unit": "",
    }
    vendor = _vendor(sets, read, wells, raw.decimal_comma)
    return ParsedPlate(wells=table, meta=meta, vendor=vendor, name=name, warnings=notes.as_tuple())


def _plate_map(
    raw: RawExport, plate: str, shape: tuple[int, int] | None, file: str
) -> PlateMap | None:
    found = next((m for m in raw.maps if m.plate == plate), None)
    return PlateMap.create(found, shape, file) if found is not None and found.grid else None


def _choose(sets: list[DataSet], options: ReadOptions, file: str, line: int) -> Choice:
    wanted = options.read.strip()
    if wanted:
        folded = wanted.casefold()
        for data in sets:
            if any(key.casefold() == folded for key in data.names()):
                return Choice(data, f"wells.read `{wanted}`")
        raise InputError(
            file,
            f"wells.read asks for the read `{wanted}`, which this plate does not hold; it "
            f"holds {_listed(sets)} (name one of them, or leave wells.read empty for the "
            "first measurement)",
            where=f"line {line}",
        )
    measured = [s for s in sets if s.kind == "measurement"]
    if measured:
        return Choice(measured[0], "the first measurement")
    raise InputError(
        file,
        f"the plate holds no measured read, only values EnVision calculated ({_listed(sets)}); "
        "export the measurements too, or name one of these in wells.read",
        where=f"line {line}",
    )


def _listed(sets: Sequence[DataSet]) -> str:
    return listed([f"`{s.name}`" for s in sets], _MOST_LISTED)


def _wells(
    wells: np.ndarray, texts: np.ndarray, kind: str, decimal_comma: bool, file: str
) -> ColumnTable:
    raw_text = np.array([text.strip() for text in texts.tolist()], dtype=object)
    tokens, values = classify_texts(raw_text.tolist(), decimal_comma=decimal_comma)
    return wells_columns(
        len(wells),
        well=wells.astype(object),
        signal=values,
        signal_kind=kind,
        raw_text=raw_text,
        token=tokens,
        source_file=file,
    )


def _apply_map(table: ColumnTable, plate_map: PlateMap, rule: RoleRule) -> ColumnTable:
    """The wells' roles, sample names and levels from the plate map (in place)."""
    columns = table.columns
    codes = np.array([plate_map.codes.get(w, "") for w in columns["well"].tolist()], dtype=object)
    # Replicate wells share a code: each code is looked up once.
    of_code = {code: plate_map.code_role(code, rule) for code in set(codes.tolist())}
    roles = [of_code[code] for code in codes.tolist()]
    role = np.array([r for r, _, _ in roles], dtype=object)
    named = role != ""
    columns["role"] = np.where(named, role, columns["role"])
    columns["sample_name"] = np.where(named, codes, "")
    sample_id = np.empty(len(roles), dtype=object)
    sample_id[:] = [i for _, _, i in roles]
    columns["sample_id"] = sample_id
    columns["level"] = whole_numbers(
        np.array([np.nan if level is None else level for _, level, _ in roles], dtype=float)
    )
    return table


def _note_missing(sections: list[RawSection], sets: list[DataSet], notes: Warnings) -> None:
    """Measurements the background information names that no section holds."""
    held = {(s.label, s.info.measinfo) for s in sets if s.kind == "measurement"}
    named: dict[tuple[str, str], None] = {}
    for section in sections:
        for row in section.background:
            label, measinfo = row.get("Label", ""), row.get("MeasInfo", "")
            if label:
                named.setdefault((_LABEL_REPEAT.sub("", label).strip(), measinfo))
    missing = [key for key in named if key not in held]
    if missing and held:
        listed = ", ".join(f"`{label}` ({measinfo})" for label, measinfo in missing)
        notes.add(
            f"the background information names {len(named)} measurements but the export "
            f"holds the results of {len(named) - len(missing)}: {listed} is missing; a value "
            "calculated from it cannot be checked"
        )


def _note_unused(choice: Choice, sets: list[DataSet], notes: Warnings) -> None:
    read = choice.read
    others = [s for s in sets if s.kind == "measurement" and s is not read]
    if not others:
        return
    named = _listed(others)
    if read.kind == "measurement":
        notes.add(
            f"the plate holds {len(others) + 1} measured reads; the signal is `{read.name}` "
            f"({choice.why}), not {named}; name another in wells.read"
        )
    else:
        notes.add(
            f"the signal is `{read.name}`, a value EnVision calculated ({choice.why}), not "
            f"the measured {'read' if len(others) == 1 else 'reads'} {named}"
        )


def _vendor(
    sets: list[DataSet], read: DataSet, wells: np.ndarray, decimal_comma: bool
) -> ColumnTable:
    calculated = [data for data in sets if data.kind == "calculated" and data is not read]
    n_wells = len(wells)
    n_rows = n_wells * len(calculated)
    well = np.array([str(w) for w in wells.tolist()], dtype=object)
    quantity = np.empty(n_rows, dtype=object)
    raw_text = np.empty(n_rows, dtype=object)
    for index, data in enumerate(calculated):
        part = slice(index * n_wells, (index + 1) * n_wells)
        quantity[part] = data.name
        raw_text[part] = [str(t) for t in data.text_of(wells).tolist()]
    return vendor_table(
        np.full(n_rows, "", dtype=object),
        np.tile(well, len(calculated)),
        quantity,
        raw_text,
        decimal_comma=decimal_comma,
    )


def read_envision(
    text: str, source_file: str, options: ReadOptions | None = None
) -> list[ParsedPlate]:
    """Every plate of one export: wells (unvalidated), run facts, EnVision's calculated
    values and warnings. A plate that cannot be read is skipped with a warning on the
    others; the file is refused when none can be read."""
    options = options or ReadOptions()
    raw = split_export(text, source_file)
    if not raw.sections:
        raise InputError(
            source_file,
            "the export holds no plate data: no `Plate information` section with results; "
            "export the plates with their results",
        )
    plates_of: dict[tuple[str, str], list[RawSection]] = {}
    for section in raw.sections:
        plates_of.setdefault(PlateInfo.create(section).key, []).append(section)
    repeats = {repeat for _, repeat in plates_of}
    plates: list[ParsedPlate] = []
    failed: list[tuple[str, InputError]] = []
    for (plate, repeat), sections in plates_of.items():
        name = f"Plate {plate}" + (f" repeat {repeat}" if len(repeats) > 1 else "")
        try:
            plates.append(compose(sections, raw, options, source_file, name))
        except InputError as error:
            if len(plates_of) == 1:
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


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_envision(source.text, source.file, options)


def _recognise(source: Source) -> bool:
    return looks_like_envision(source.text, source.lines)


ENVISION: Final = Format(
    name="envision",
    described="an EnVision CSV export",
    software="PerkinElmer (Revvity) EnVision",
    export=(
        "CSV export (`Plate`, `Plate2` formats): absorbance, fluorescence, TRF/HTRF, Alpha, "
        "luminescence endpoint reads, several channels and calculations, several plates, "
        "96/384 wells"
    ),
    versions="EnVision Workstation 1.13, 1.14",
    plate_map="without a Platemap",
    recognised_by="a `Plate information` title over a `Plate,Repeat,Barcode` line, or "
    "`Exported with EnVision Workstation`",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
