"""Plate maps: the CSV of docs/formats.md that says what each well holds.

A map overrides what an export implies (xPONENT sample names, a Gen5 layout, SoftMax
groups) and is the only source of roles for exports that name nothing (a Gen5 read
without layout, a plain grid).

Long form, one row per well (or well x analyte). Columns: `well` and `role` required;
`sample_id`, `level`, `expected_conc`, `dilution` and `analyte` optional. A blank
cell means "the map says nothing here": the export's value (or the default) stands;
a blank role keeps the role the export gives (so a map can set only the analyte of a
Gen5 or SoftMax export that names its wells).
A row with a blank `analyte` applies to every analyte of the well; a well has either
one such row or one row per analyte.

Grid form, as the plate looks: one or more 8 x 12 (or 16 x 24) grids, each a header
row of column numbers 1..12 whose first cell names what the grid holds, then rows
A..H. `name` (or an empty first cell) holds well names read by the role rule of
`roles` (`Standard1`, `Blank`, `C1`, anything else a sample id); `role`,
`sample_id`, `level`, `expected_conc`, `dilution` and `analyte` grids give those
columns directly. An empty cell leaves the well out of that grid. The grids are
turned into the long form and checked the same way.

`expected_conc` is a concentration, or, for standards made by diluting a reference
(as serology labs give them), the dilution of the reference: `1/50` or `1:100`. A
dilution `a/b` or `a:b` is read as the relative concentration a/b of the reference
(`1/50` is 0.02, `1:100` is 0.01: "1 in 100", as a titre is written, not 1 part in
101), and every well of that analyte gets the unit `relative` (`RELATIVE_UNIT`), so
its samples are given as fractions of the reference. One analyte's values are either
all concentrations or all dilutions (0 for a zero calibrator or blank goes with both).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from assaypipe.errors import InputError, excerpt, not_a_file, shortened
from assaypipe.readers.cells import ROW_LETTERS, decode_text
from assaypipe.readers.columns import Columns, columns_of, frame_of
from assaypipe.readers.excel import is_workbook, read_workbook
from assaypipe.roles import DEFAULT_RULE, RoleRule
from assaypipe.tables import ROLES, UNASSIGNED
from assaypipe.vocabulary import Role

__all__ = [
    "COLUMNS",
    "DEFAULT_ANALYTE",
    "RELATIVE_UNIT",
    "PlateMap",
    "apply_map",
    "apply_plate_map",
    "read_map",
    "read_plate_map",
    "validate_plate_map",
    "validated_map",
]

COLUMNS: Final = ("well", "role", "sample_id", "level", "expected_conc", "dilution", "analyte")
REQUIRED: Final = ("well", "role")
# The analyte of a plate-reader export whose map names none.
DEFAULT_ANALYTE: Final = "OD"
_WELL: Final = re.compile(r"^([A-P])0?([1-9]|1[0-9]|2[0-4])$")
_WELL_96: Final = re.compile(r"^[A-H](?:[1-9]|1[0-2])$")
# The unit of concentrations given as dilutions of a reference (`1/50`, `1:100`).
RELATIVE_UNIT: Final = "relative"
_DILUTION: Final = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*[/:]\s*(\d+(?:\.\d*)?|\.\d+)$")
# A plate map of 384 wells x 100 analytes is about 2 MB; reading one of this size
# takes a few hundred MB.
MAX_PLATE_MAP_BYTES: Final = 16 * 1024 * 1024


@dataclass(frozen=True, eq=False)
class PlateMap:
    """A checked plate map as columns, one entry per row: what `validate_plate_map`
    gives as a frame (`frame`). A blank text is None; a blank level is 0 and not
    `level_given`; a blank number is NaN."""

    well: list[str]
    role: np.ndarray
    sample_id: np.ndarray
    level: np.ndarray
    level_given: np.ndarray
    expected_conc: np.ndarray
    dilution: np.ndarray
    analyte: np.ndarray
    line: list[int]
    relative: np.ndarray
    # Whether a row gives its expected_conc as a dilution of a reference.
    any_relative: bool
    source_file: str

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The map as `validate_plate_map` returns it."""
        result = pd.DataFrame(
            {
                "well": np.array(self.well, dtype=object),
                "role": _or_missing(self.role),
                "sample_id": _or_missing(self.sample_id),
                "level": pd.arrays.IntegerArray(self.level.copy(), ~self.level_given),
                "expected_conc": self.expected_conc,
                "dilution": self.dilution,
                "analyte": _or_missing(self.analyte),
                "line": np.array(self.line, dtype=np.int64),
                "relative": self.relative,
            }
        )
        result.attrs["source_file"] = self.source_file
        return result


def read_plate_map(path: str | Path, rule: RoleRule = DEFAULT_RULE) -> pd.DataFrame:
    """Read and check a plate map (CSV, long or grid form, or the first sheet of an
    Excel workbook); the frame has `COLUMNS` plus the source `line`.

    Raises InputError naming the file, the line and what was expected.
    """
    return read_map(path, rule).frame


def read_map(path: str | Path, rule: RoleRule = DEFAULT_RULE) -> PlateMap:
    """`read_plate_map` as columns, the form `apply_map` takes."""
    file = str(path)
    problem = not_a_file(path, "plate map")
    if problem is not None:
        raise InputError(file, problem)
    try:
        size = Path(path).stat().st_size
        if size > MAX_PLATE_MAP_BYTES:
            raise InputError(
                file,
                f"the plate map is {size / 1024**2:,.0f} MB, larger than the "
                f"{MAX_PLATE_MAP_BYTES // 1024**2} MB a plate map can be; check it is the "
                "right file",
            )
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(file, "the plate map does not exist") from None
    except OSError as error:
        raise InputError(file, f"the plate map cannot be read ({error.strerror})") from None
    if is_workbook(data):
        sheets = read_workbook(data, file).sheets
        table = [list(row) for row in sheets[0].rows] if sheets else []
    else:
        text = decode_text(data, file)
        delimiter = _delimiter(text)
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True))
    if not any(cell.strip() for row in table for cell in row):
        raise InputError(file, "the plate map is empty; expected a header row `well,role,...`")
    first = next(i for i, row in enumerate(table) if any(cell.strip() for cell in row))
    if _grid_width(table[first]) is not None:
        cells, lines = _grid_to_long(table, file, rule)
    else:
        cells, lines = _long_rows(table, file)
    kept = _kept(cells)
    return _checked(cells, kept, [lines[i] for i in kept], None, file)


def _delimiter(text: str) -> str:
    head = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: head.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _grid_width(row: list[str]) -> int | None:
    cells = [cell.strip() for cell in row]
    while cells and not cells[-1]:
        cells.pop()
    for width in (12, 24):
        if cells[1:] == [str(c) for c in range(1, width + 1)]:
            return width
    return None


_GRID_FIELDS: Final = {"": "name", "name": "name", "sample": "name", "content": "name"}


def _grid_to_long(
    table: list[list[str]], file: str, rule: RoleRule
) -> tuple[dict[str, list[str]], list[int]]:
    """The long form's columns (`COLUMNS`, stripped texts) and source lines from the
    grids of a grid-form plate map."""
    fields: dict[str, dict[str, tuple[str, int]]] = {}
    index = 0
    while index < len(table):
        width = _grid_width(table[index])
        if width is None:
            if any(cell.strip() for cell in table[index]):
                raise InputError(
                    file,
                    "expected a grid header (a field name, then the column numbers 1 to 12 "
                    f"or 24), found {excerpt(','.join(table[index][:4]))}",
                    where=f"line {index + 1}",
                )
            index += 1
            continue
        title = table[index][0].strip().casefold()
        name = _GRID_FIELDS.get(title, title)
        if name not in (*COLUMNS, "name") or name == "well":
            raise InputError(
                file,
                f"a grid is titled {excerpt(table[index][0].strip())}; expected name, role, "
                "sample_id, level, expected_conc, dilution or analyte",
                where=f"line {index + 1}",
            )
        if name in fields:
            raise InputError(file, f"two grids are titled {name!r}", where=f"line {index + 1}")
        height = 16 if width == 24 else 8
        cells: dict[str, tuple[str, int]] = {}
        for offset, letter in enumerate(ROW_LETTERS[:height], start=1):
            position = index + offset
            row = table[position] if position < len(table) else []
            if not row or row[0].strip().upper() != letter:
                raise InputError(
                    file,
                    f"expected row {letter} of the {name} grid",
                    where=f"line {position + 1}",
                )
            values = [cell.strip() for cell in row[1:]]
            if len(values) > width and any(values[width:]):
                raise InputError(
                    file,
                    f"row {letter} of the {name} grid has more than {width} cells",
                    where=f"line {position + 1}",
                )
            for column, value in enumerate(values[:width], start=1):
                if value:
                    cells[f"{letter}{column}"] = (value, position + 1)
        fields[name] = cells
        index += height + 1
    wells = sorted(
        {well for cells in fields.values() for well in cells},
        key=lambda w: (ROW_LETTERS.index(w[0]), int(w[1:])),
    )
    columns: dict[str, list[str]] = {column: [] for column in COLUMNS}
    lines: list[int] = []
    for well in wells:
        record = {column: fields.get(column, {}).get(well, ("", 0))[0] for column in COLUMNS}
        record["well"] = well
        name, line = fields.get("name", {}).get(well, ("", 0))
        if name:
            role, level = rule.classify(name)
            record["role"] = record["role"] or role
            if not record["level"] and level is not None:
                record["level"] = str(level)
            if not record["sample_id"] and record["role"] in (Role.SAMPLE, Role.CONTROL):
                record["sample_id"] = name
        for field in COLUMNS:
            columns[field].append(str(record[field]).strip())
        lines.append(line or min(cells[well][1] for cells in fields.values() if well in cells))
    if not lines:
        raise InputError(file, "the plate map's grids name no wells")
    return columns, lines


def _long_rows(table: list[list[str]], file: str) -> tuple[dict[str, list[str]], list[int]]:
    """The columns (`COLUMNS`, stripped texts, "" where absent) and source lines of a
    long-form plate map, its header checked."""
    start = next(i for i, row in enumerate(table) if any(cell.strip() for cell in row))
    header = [cell.strip() for cell in table[start]]
    rows: list[list[str]] = []
    lines: list[int] = []
    for offset, row in enumerate(table[start + 1 :], start=start + 2):
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            raise InputError(
                file,
                f"the row has {len(row)} cells but the header names {len(header)} columns",
                where=f"line {offset}",
            )
        rows.append((row + [""] * len(header))[: len(header)])
        lines.append(offset)
    for position, name in enumerate(header):
        if not name and _has_values([row[position] for row in rows]):
            raise InputError(
                file, f"column {position + 1} has values but no header", where=f"line {start + 1}"
            )
    # Excel pads re-saved sheets with empty columns: no header and no values.
    named = [position for position, name in enumerate(header) if name]
    names = ["line", *(header[p].lower() for p in named)]
    if "line" in names[1:]:
        # `line` is the column of source lines this module adds, no column of a file.
        raise InputError(
            file,
            f"unexpected column {excerpt(header[named[names.index('line', 1) - 1]])}; "
            f"a plate map has the columns {', '.join(COLUMNS)}",
            where=f"line {start + 1}",
        )
    _check_repeated(names, file)
    _check_names(names, False, file)
    at = dict(zip(names[1:], named, strict=True))
    blank = [""] * len(rows)
    cells = {
        column: [row[at[column]].strip() for row in rows] if column in at else blank
        for column in COLUMNS
    }
    return cells, lines


def _has_values(cells: list[str]) -> bool:
    """Whether a column's cells hold anything but blanks."""
    if any(cell.strip() for cell in cells):
        return True
    if not any(cells):
        return False
    # Only white space: blank as pandas' text columns strip it.
    return bool((pd.Series(cells, dtype="str").str.strip() != "").any())


def validate_plate_map(frame: pd.DataFrame, file: str | Path = "plate map") -> pd.DataFrame:
    """Check and normalise a plate-map frame (as read from CSV, all text).

    Wells become `A1` (not `a01`), roles lower case, numbers floats and `level`
    Int64; blank cells become missing values. An `expected_conc` given as a dilution
    of a reference (`1/50`) becomes its relative concentration (0.02), marked in the
    added boolean column `relative`. Running it twice changes nothing.
    """
    return validated_map(frame, file).frame


def validated_map(frame: pd.DataFrame, file: str | Path = "plate map") -> PlateMap:
    """`validate_plate_map` as columns, the form `apply_map` takes."""
    file = str(file) or "plate map"
    names = [str(c).strip().lower() for c in frame.columns]
    _check_repeated(names, file)
    # `relative` is this function's own output column, read back when it runs again.
    derived = "relative" in names and _is_bool(frame, names)
    _check_names(names, derived, file)
    position = {name: i for i, name in enumerate(names)}
    blank = [""] * len(frame)
    cells = {
        column: _texts(frame.iloc[:, position[column]]) if column in position else blank
        for column in COLUMNS
    }
    kept = _kept(cells)
    if "line" in position:
        lines = frame.iloc[kept, position["line"]].astype(int).to_numpy()
    else:
        lines = np.arange(len(frame))[kept] + 2

    def relative() -> np.ndarray:
        return frame.iloc[kept, position["relative"]].to_numpy(dtype=bool)

    return _checked(cells, kept, lines.tolist(), relative if derived else None, file)


def _check_repeated(names: list[str], file: str) -> None:
    repeated = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if repeated is not None:
        raise InputError(file, f"the column {excerpt(repeated)} appears twice", where="line 1")


def _check_names(names: list[str], derived: bool, file: str) -> None:
    """The columns are the map's (with `line`, and `relative` when `derived`), and
    `REQUIRED` are among them."""
    known = (*COLUMNS, "line", "relative") if derived else (*COLUMNS, "line")
    unknown = [c for c in names if c not in known]
    if unknown:
        raise InputError(
            file,
            f"unexpected column {excerpt(unknown[0])}; a plate map has the columns "
            f"{', '.join(COLUMNS)}",
            where="line 1",
        )
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(
            file,
            f"the plate map has no {missing[0]!r} column; it needs at least well and role",
            where="line 1",
        )


def _kept(cells: dict[str, list[str]]) -> list[int]:
    """The rows with a value in any column."""
    return [i for i, row in enumerate(zip(*cells.values(), strict=True)) if any(row)]


def _checked(
    cells: dict[str, list[str]],
    kept: list[int],
    lines: list[int],
    derived: Callable[[], np.ndarray] | None,
    file: str,
) -> PlateMap:
    """The map of the rows `kept` of `cells` (`COLUMNS`, stripped texts), checked;
    `lines` are their source lines, `derived` gives the `relative` column read back."""
    if not kept:
        raise InputError(file, "the plate map has a header but no wells")
    # Plain lists: a plate map is small, and pandas per column costs more.
    text = {column: [values[i] for i in kept] for column, values in cells.items()}

    def fail(mask: list[bool] | np.ndarray, message: str) -> None:
        index = next((i for i, bad in enumerate(mask) if bad), None)
        if index is not None:
            # Values from the file are shown cut short.
            row = {column: shortened(values[index]) for column, values in text.items()}
            raise InputError(file, message.format(**row), where=f"line {lines[index]}")

    matches = [_WELL.match(well.upper()) for well in text["well"]]
    fail(
        [match is None for match in matches],
        "well {well!r} is not a plate well; expected A1 to H12 (96) or A1 to P24 (384)",
    )
    well = [match.group(1) + match.group(2) for match in matches if match is not None]

    role = [value.lower() for value in text["role"]]
    # A blank role keeps the role the export gives (a map that only sets the analyte or
    # the dilution); a well the export names nothing about then stays unassigned.
    fail(
        [value not in ROLES and value != "" for value in role],
        f"role {{role!r}} is not one of {', '.join(ROLES)}",
    )

    whole_numbers = _whole_numbers(text["level"])
    if whole_numbers is None:
        numbers = pd.to_numeric(pd.Series(text["level"], dtype="string"), errors="coerce")
        number = numbers.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = (number >= 0) & (number % 1 == 0)
        fail(_given(text["level"]) & ~whole, "level {level!r} is not a whole number")
    expected, relative = _concentrations(text["expected_conc"])
    fail(
        _given(text["expected_conc"]) & ~(np.isfinite(expected) & (expected >= 0)),
        "expected_conc {expected_conc!r} is neither a number of 0 or more nor a dilution "
        "of a reference such as 1/50 or 1:100",
    )
    if derived is not None:
        relative |= derived()
    dilution = _floats(text["dilution"])
    fail(
        _given(text["dilution"]) & ~(np.isfinite(dilution) & (dilution > 0)),
        "dilution {dilution!r} is not a number above 0",
    )
    if whole_numbers is None:
        levels = pd.array(numbers.to_numpy(), dtype="Int64")
        level = levels.to_numpy(dtype=np.int64, na_value=0)
        level_given = ~levels.isna()
    else:
        level = np.array([value or 0 for value in whole_numbers], dtype=np.int64)
        level_given = np.array([value is not None for value in whole_numbers], dtype=bool)

    plate_map = PlateMap(
        well=well,
        role=_or_none(role),
        sample_id=_or_none(text["sample_id"]),
        level=level,
        level_given=level_given,
        expected_conc=expected,
        dilution=dilution,
        analyte=_or_none(text["analyte"]),
        line=list(lines),
        relative=relative,
        any_relative=bool(relative.any()),
        source_file=file,
    )
    _check_duplicates(plate_map, file)
    _check_one_kind(plate_map, file)
    return plate_map


def _texts(column: pd.Series) -> list[str]:
    """A column's cells as stripped text, "" where blank."""
    values = column.tolist()
    if not all(type(value) is str for value in values):
        values = column.astype("string").fillna("").tolist()
    return [value.strip() for value in values]


def _is_bool(frame: pd.DataFrame, names: list[str]) -> bool:
    return bool(pd.api.types.is_bool_dtype(frame.iloc[:, names.index("relative")]))


def _whole_numbers(texts: list[str]) -> list[int | None] | None:
    """The levels when each is blank (None) or plain digits, else None (read by pandas)."""
    values: list[int | None] = []
    for text in texts:
        if not text:
            values.append(None)
        elif _is_digits(text):
            values.append(int(text))
        else:
            return None
    return values


def _is_digits(text: str) -> bool:
    # Up to 15 digits: every reading of them gives the same float.
    return len(text) <= 15 and text.isascii() and text.isdigit()


def _concentrations(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Numbers, and dilutions of a reference (`1/50`, `1:100`) as relative concentrations;
    which of them were dilutions. Anything else is NaN (reported by the caller).

    >>> values, relative = _concentrations(["250", "1/50", "1:100", "0", ""])
    >>> values.tolist(), relative.tolist()
    ([250.0, 0.02, 0.01, 0.0, nan], [False, True, True, False, False])
    """
    values = _floats(texts)
    relative = np.zeros(len(texts), dtype=bool)
    for index, text in enumerate(texts):
        match = _DILUTION.match(text) if ("/" in text or ":" in text) else None
        if match is None:
            continue
        part, whole = float(match.group(1)), float(match.group(2))
        if part > 0 and whole > 0:
            values[index] = part / whole
            relative[index] = True
    return values, relative


def _check_one_kind(plate_map: PlateMap, file: str) -> None:
    """An analyte's expected concentrations are all concentrations or all dilutions of a
    reference: one curve cannot mix the two. A row for every analyte counts for each."""
    kind = plate_map.relative.tolist()
    given = [i for i, value in enumerate(plate_map.expected_conc.tolist()) if value > 0]
    if not given or not any(kind[i] for i in given) or all(kind[i] for i in given):
        return
    analytes = plate_map.analyte.tolist()
    keys = {i: "" if analytes[i] is None else str(analytes[i]).casefold() for i in given}
    for key in dict.fromkeys(keys[i] for i in given):
        rows = [i for i in given if keys[i] in (key, "")] if key else given
        kinds = [kind[i] for i in rows]
        if any(kinds) and not all(kinds):
            first = rows[next(j for j, value in enumerate(kinds) if value != kinds[0])]
            # A row for every analyte has no analyte: shown as pandas shows a missing one.
            analyte = "nan" if analytes[first] is None else str(analytes[first])
            what = f"analyte {shortened(analyte)}" if key else "the plate map"
            raise InputError(
                file,
                f"{what} gives expected_conc both as concentrations and as dilutions of a "
                "reference (1/50, 1:100); give one or the other for an analyte's standards "
                "and controls",
                where=f"line {plate_map.line[first]}",
            )


def _given(texts: list[str]) -> np.ndarray:
    return np.array([text != "" for text in texts], dtype=bool)


def _floats(texts: list[str]) -> np.ndarray:
    if all(not text or _is_digits(text) for text in texts):
        return np.array([float(text) if text else np.nan for text in texts], dtype=float)
    return np.asarray(pd.to_numeric(np.array(texts, dtype=object), errors="coerce"), dtype=float)


def _or_none(texts: list[str]) -> np.ndarray:
    return np.array([text if text else None for text in texts], dtype=object)


def _or_missing(values: np.ndarray) -> np.ndarray:
    return np.array([pd.NA if value is None else value for value in values.tolist()], dtype=object)


def _check_duplicates(plate_map: PlateMap, file: str) -> None:
    wells = plate_map.well
    analytes = [None if a is None else str(a) for a in plate_map.analyte.tolist()]
    lines = plate_map.line
    first_line: dict[str, object] = {}
    for well, analyte, line in zip(wells, analytes, lines, strict=True):
        key = f"{well}\x1f{(analyte or '').casefold()}"
        if key in first_line:
            shown = f" / analyte {shortened(analyte)}" if analyte is not None else ""
            what = f"well {well}{shown}"
            raise InputError(
                file,
                f"{what} appears twice (lines {first_line[key]} and {line}); "
                "each should appear once",
                where=f"line {line}",
            )
        first_line[key] = line
    general = {well for well, analyte in zip(wells, analytes, strict=True) if analyte is None}
    for well, analyte, line in zip(wells, analytes, lines, strict=True):
        if analyte is not None and well in general:
            raise InputError(
                file,
                f"well {well} has a row for all analytes and one for {shortened(analyte)}; "
                "give either one row for all analytes or one row per analyte",
                where=f"line {line}",
            )


def apply_plate_map(wells: pd.DataFrame, plate_map: pd.DataFrame) -> pd.DataFrame:
    """Wells with the map's role, sample, level, expected_conc and dilution.

    Wells the map does not name keep what the export says (a well the export gives no
    role stays `unassigned`). In an export that names no analytes (`analyte == ""`, a
    plate reader) the analyte comes from the map (`OD` when the map has none). Blank
    map cells keep the export's value.
    """
    if wells.empty:
        return wells
    layout = _map_of_frame(plate_map)
    order, rows, n_named, map_analyte = _matched(
        wells["well"].tolist(),
        wells["analyte"].tolist(),
        lambda: wells["source_file"].iloc[0],
        layout,
    )
    merged = wells.iloc[order].reset_index(drop=True)
    named: Columns = {}
    if map_analyte is not None:
        # As the export's rows and the map's analytes put together.
        for name in ("analyte", "analyte_raw"):
            given = merged[name].to_numpy(dtype=object)[:n_named]
            named[name] = pd.Series(np.concatenate([given, map_analyte]), dtype=object)
    analyte = named["analyte"] if named else merged["analyte"]
    mapped = _overridden(
        {
            "role": merged["role"].to_numpy(dtype=object),
            "level": _integers(merged["level"]),
            "expected_conc": merged["expected_conc"].astype(float).to_numpy(),
            "dilution": merged["dilution"].astype(float).to_numpy(),
            "unit": merged["unit"].to_numpy(dtype=object, copy=True),
            "sample_name": merged["sample_name"].to_numpy(dtype=object),
            "analyte": analyte.to_numpy(dtype=object),
        },
        layout,
        rows,
    )
    for name in ("sample_name", "sample_id"):
        mapped[name] = pd.Series(mapped[name], index=merged.index, dtype=object)
    return merged.assign(**named, **mapped)


def apply_map(wells: Columns, n_rows: int, plate_map: PlateMap) -> tuple[Columns, int]:
    """`apply_plate_map` on a plate's columns (`columns.Columns`): the columns and row
    count that `columns_of(apply_plate_map(frame_of(wells, n_rows), plate_map.frame))`
    gives, without the frames."""
    columns = {name: _as_in_frame(values, n_rows) for name, values in wells.items()}
    if n_rows == 0:
        return columns, 0
    order, rows, n_named, map_analyte = _matched(
        columns["well"].tolist(),
        columns["analyte"].tolist(),
        lambda: columns["source_file"][0],
        plate_map,
    )
    if len(order) != n_rows or (order != np.arange(n_rows)).any():
        columns = {name: values[order] for name, values in columns.items()}
    if map_analyte is not None:
        for name in ("analyte", "analyte_raw"):
            given = _object_array(columns[name])[:n_named]
            columns[name] = np.concatenate([given, map_analyte])
    mapped = _overridden(
        {
            "role": _object_array(columns["role"]),
            "level": _integers(columns["level"]),
            "expected_conc": _float_array(columns["expected_conc"]),
            "dilution": _float_array(columns["dilution"]),
            "unit": _object_array(columns["unit"]).copy(),
            "sample_name": _object_array(columns["sample_name"]),
            "analyte": _object_array(columns["analyte"]),
        },
        plate_map,
        rows,
    )
    for name in ("role", "unit"):
        mapped[name] = _as_in_frame(mapped[name], len(order))
    columns.update(mapped)
    return columns, len(order)


def _as_in_frame(values: Any, n_rows: int) -> Any:
    """A column as `columns_of(frame_of(...))` gives it back: plain texts, Nones and
    NumPy numbers as they are, anything else through a frame (pandas may read it as
    text, its missing values NaN)."""
    if isinstance(values, np.ndarray):
        if values.dtype in _KEPT_DTYPES:
            return values
        if values.dtype == object and set(map(type, values.tolist())) in _KEPT_TYPES:
            return values
    elif isinstance(values, pd.arrays.IntegerArray):
        return values
    return columns_of(frame_of({"column": values}, n_rows))["column"]


_KEPT_DTYPES: Final = (np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_))
# The kinds of values of an object column a frame holds as they are: texts, Nones.
_KEPT_TYPES: Final[tuple[set[type], ...]] = ({str}, {type(None)}, set())


def _object_array(values: Any) -> np.ndarray:
    """A column's values as an object array (as `Series.to_numpy(dtype=object)`)."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    return pd.Series(values, copy=False).to_numpy(dtype=object)


def _float_array(values: Any) -> np.ndarray:
    """A column as floats (as `Series.astype(float)`)."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    return pd.Series(values, copy=False).astype(float).to_numpy()


def _map_of_frame(plate_map: pd.DataFrame) -> PlateMap:
    """The columns of a frame from `validate_plate_map`."""
    level = _integers(plate_map["level"])
    any_relative = "relative" in plate_map and bool(plate_map["relative"].any())
    return PlateMap(
        well=plate_map["well"].tolist(),
        role=_missing_as_none(plate_map["role"]),
        sample_id=_missing_as_none(plate_map["sample_id"]),
        level=level.to_numpy(dtype=np.int64, na_value=0),
        level_given=~level.isna(),
        expected_conc=plate_map["expected_conc"].astype(float).to_numpy(),
        dilution=plate_map["dilution"].astype(float).to_numpy(),
        analyte=_missing_as_none(plate_map["analyte"]),
        line=plate_map["line"].tolist(),
        relative=plate_map["relative"].to_numpy(dtype=bool)
        if any_relative
        else np.zeros(len(plate_map), dtype=bool),
        any_relative=any_relative,
        source_file=str(plate_map.attrs.get("source_file", "plate map")),
    )


def _missing_as_none(column: pd.Series) -> np.ndarray:
    return np.array([None if pd.isna(value) else value for value in column.tolist()], dtype=object)


def _matched(
    wells: list[Any], analytes: list[Any], source: Callable[[], object], plate_map: PlateMap
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
    """The export's rows (by position) in the order of the mapped table, the map row
    that applies to each (-1: none) and how many of them come first as rows that name
    their analyte; the analytes the map gives the rest (None when there are none).

    `wells` and `analytes` are the export's columns; `source` gives its file's name.
    """
    _check_overlap(wells, plate_map, source)
    _check_on_plate(wells, plate_map, source)
    unnamed = [isinstance(analyte, str) and analyte == "" for analyte in analytes]
    named = [index for index, flag in enumerate(unnamed) if not flag]
    order = list(named)
    parts = []
    if named:
        parts.append(
            _match_named([wells[i] for i in named], [analytes[i] for i in named], plate_map)
        )
    map_analyte = None
    if len(named) < len(unnamed):
        positions = [index for index, flag in enumerate(unnamed) if flag]
        taken, map_rows, map_analyte = _match_unnamed([wells[i] for i in positions], plate_map)
        order += [positions[i] for i in taken]
        parts.append(map_rows)
    rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return np.array(order, dtype=np.intp), rows, len(named), map_analyte


def _check_on_plate(wells: list[Any], plate_map: PlateMap, source: Callable[[], object]) -> None:
    """A map row naming a well the export's plate does not have (I13 on a 96-well
    plate) is an error naming the row: its well would otherwise be dropped unseen.

    The plate has 96 wells when every well the export reads lies in A1 to H12, else 384
    (which every well a map can name lies on).
    """
    if not all(_WELL_96.match(str(well)) for well in dict.fromkeys(wells)):
        return
    for well, line in zip(plate_map.well, plate_map.line, strict=True):
        if not _WELL_96.match(well):
            raise InputError(
                plate_map.source_file,
                f"well {well} is not on the plate of {source()}: its wells "
                "lie in A1 to H12 (a 96-well plate); correct the row's well or use this "
                "plate's own plate map",
                where=f"line {line}",
            )


def _check_overlap(wells: list[Any], plate_map: PlateMap, source: Callable[[], object]) -> None:
    if set(plate_map.well).isdisjoint(wells):
        raise InputError(
            plate_map.source_file,
            f"the plate map names none of the wells in {source()} "
            f"(map: {', '.join(plate_map.well[:3])}, ...)",
        )


def _match_named(wells: list[Any], analytes: list[Any], plate_map: PlateMap) -> np.ndarray:
    known = list(dict.fromkeys(analytes))
    keys = {str(analyte).casefold() for analyte in known}
    general: dict[str, int] = {}
    specific: dict[tuple[str, str], int] = {}
    for row, (well, analyte) in enumerate(
        zip(plate_map.well, plate_map.analyte.tolist(), strict=True)
    ):
        if analyte is None:
            general[well] = row
            continue
        key = str(analyte).casefold()
        if key not in keys:
            raise InputError(
                plate_map.source_file,
                f"analyte {excerpt(analyte)} is not in the export; known: "
                f"{shortened(', '.join(map(str, known)), 200)}",
                where=f"line {plate_map.line[row]}",
            )
        specific.setdefault((well, key), row)
    map_rows = [
        specific.get((well, str(analyte).casefold()), general.get(well, -1))
        for well, analyte in zip(wells, analytes, strict=True)
    ]
    return np.array(map_rows, dtype=int)


def _match_unnamed(
    wells: list[Any], plate_map: PlateMap
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """For the export's rows that name no analyte: which of them are taken (by
    position, in order), the map row of each (-1: none) and the analyte it gives."""
    rows_of: dict[str, list[int]] = {}
    for row, well in enumerate(plate_map.well):
        rows_of.setdefault(well, []).append(row)
    # A well may have several map rows (one per analyte): it is read once for each.
    taken: list[int] = []
    map_rows: list[int] = []
    for index, well in enumerate(wells):
        for row in rows_of.get(well, [-1]):
            taken.append(index)
            map_rows.append(row)
    rows = np.array(map_rows, dtype=int)
    map_analyte = _take(plate_map.analyte, rows, None)
    analyte = [DEFAULT_ANALYTE if value is None else value for value in map_analyte.tolist()]
    return taken, rows, np.array(analyte, dtype=object)


def _take(values: np.ndarray, rows: np.ndarray, missing: object) -> np.ndarray:
    """`values[rows]`, with `missing` where the row is -1."""
    if len(values):
        out = values[np.where(rows >= 0, rows, 0)]
    else:
        out = np.empty(len(rows), dtype=values.dtype)
    out[rows < 0] = missing
    return out


def _integers(column: Any) -> pd.arrays.IntegerArray:
    """A column as `Int64` (as `Series.astype("Int64")`)."""
    if isinstance(column, pd.arrays.IntegerArray) and isinstance(column.dtype, pd.Int64Dtype):
        return column
    return cast(pd.arrays.IntegerArray, pd.Series(column, copy=False).astype("Int64").array)


_PLACEHOLDERS: Final = {
    Role.STANDARD: "Standard",
    Role.BLANK: "Blank",
    Role.CONTROL: "Control",
    Role.SAMPLE: "",
    UNASSIGNED: "",
}


def _relative_units(
    unit: np.ndarray,
    analytes: np.ndarray,
    plate_map: PlateMap,
    rows: np.ndarray,
    expected: np.ndarray,
) -> np.ndarray:
    """The wells' unit (`unit`, changed in place): `relative` for every well of an
    analyte whose expected concentrations the map gives as dilutions of a reference,
    else as read."""
    if not plate_map.any_relative:
        return unit
    from_dilution = _take(plate_map.relative, rows, False).astype(bool)
    from_dilution &= np.isfinite(expected)
    unit[np.isin(analytes, np.unique(analytes[from_dilution]))] = RELATIVE_UNIT
    return unit


def _overridden(given: Columns, plate_map: PlateMap, rows: np.ndarray) -> Columns:
    """The columns the map sets (role, level, expected_conc, unit, dilution,
    sample_name, sample_id) for the export's rows whose columns are `given` (those and
    the analyte), each with the map row `rows` that applies (-1: none)."""
    has_row = rows >= 0
    map_role = _take(plate_map.role, rows, None)
    file_role = given["role"]
    role = np.where(has_row & pd.notna(map_role), map_role, file_role).astype(object)
    same_role = role == file_role

    # A level or expected concentration from the export belongs to the role the export
    # gave; once the map changes the role, it no longer applies.
    taken = np.where(has_row, rows, 0)
    level = plate_map.level[taken]
    no_level = ~plate_map.level_given[taken] | ~has_row
    file_level = given["level"]
    from_file = no_level & same_role
    level[from_file] = file_level.to_numpy(dtype=np.int64, na_value=0)[from_file]
    no_level[from_file] = file_level.isna()[from_file]
    file_expected = np.where(same_role, given["expected_conc"], np.nan)
    expected = _take(plate_map.expected_conc, rows, np.nan)
    expected = np.where(np.isnan(expected), file_expected, expected)
    dilution = _take(plate_map.dilution, rows, np.nan)
    dilution = np.where(np.isnan(dilution), given["dilution"], dilution)

    unit = _relative_units(given["unit"], given["analyte"], plate_map, rows, expected)

    map_id = _take(plate_map.sample_id, rows, None)
    name = np.where(pd.notna(map_id), map_id, given["sample_name"])
    for index in np.flatnonzero(name == "").tolist():
        # Standards and blanks need no sample id, but every row carries a readable name.
        # Samples stay nameless here so the reader can say which well lacks its sample_id.
        base = _PLACEHOLDERS.get(role[index])
        suffix = "" if no_level[index] else str(level[index])
        name[index] = float("nan") if base is None else base + suffix if base else ""
    sample_id = name.copy()
    sample_id[~np.isin(role, [Role.SAMPLE, Role.CONTROL])] = None
    return {
        "role": role,
        "level": pd.arrays.IntegerArray(level, no_level),
        "expected_conc": expected,
        "unit": unit,
        "dilution": dilution,
        "sample_name": name,
        "sample_id": sample_id,
    }
