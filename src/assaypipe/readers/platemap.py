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
from pathlib import Path
from typing import Final, cast

import numpy as np
import pandas as pd

from assaypipe.errors import InputError, excerpt, shortened
from assaypipe.readers.cells import ROW_LETTERS, decode_text
from assaypipe.readers.excel import is_workbook, read_workbook
from assaypipe.roles import DEFAULT_RULE, RoleRule
from assaypipe.tables import ROLES, UNASSIGNED
from assaypipe.vocabulary import Role

__all__ = [
    "COLUMNS",
    "DEFAULT_ANALYTE",
    "RELATIVE_UNIT",
    "apply_plate_map",
    "read_plate_map",
    "validate_plate_map",
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


def read_plate_map(path: str | Path, rule: RoleRule = DEFAULT_RULE) -> pd.DataFrame:
    """Read and check a plate map (CSV, long or grid form, or the first sheet of an
    Excel workbook); the frame has `COLUMNS` plus the source `line`.

    Raises InputError naming the file, the line and what was expected.
    """
    file = str(path)
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
        return validate_plate_map(_grid_to_long(table, file, rule), file)
    return validate_plate_map(_long_rows(table, file), file)


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


def _grid_to_long(table: list[list[str]], file: str, rule: RoleRule) -> pd.DataFrame:
    """Long-form rows (all text) from the grids of a grid-form plate map."""
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
    records = []
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
        lines = [cells[well][1] for cells in fields.values() if well in cells]
        record["line"] = str(line or min(lines))
        records.append(record)
    if not records:
        raise InputError(file, "the plate map's grids name no wells")
    frame = pd.DataFrame(records, columns=["line", *COLUMNS], dtype="str")
    return frame.assign(line=frame["line"].astype(int))


def _long_rows(table: list[list[str]], file: str) -> pd.DataFrame:
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
    frame = pd.DataFrame(rows, columns=range(len(header)), dtype="str")
    for position, name in enumerate(header):
        if not name and (frame[position].str.strip() != "").any():
            raise InputError(
                file, f"column {position + 1} has values but no header", where=f"line {start + 1}"
            )
    # Excel pads re-saved sheets with empty columns: no header and no values.
    named = [position for position, name in enumerate(header) if name]
    frame = frame[named].set_axis([header[p] for p in named], axis="columns")
    frame.insert(0, "line", lines)
    return frame


def validate_plate_map(frame: pd.DataFrame, file: str | Path = "plate map") -> pd.DataFrame:
    """Check and normalise a plate-map frame (as read from CSV, all text).

    Wells become `A1` (not `a01`), roles lower case, numbers floats and `level`
    Int64; blank cells become missing values. An `expected_conc` given as a dilution
    of a reference (`1/50`) becomes its relative concentration (0.02), marked in the
    added boolean column `relative`. Running it twice changes nothing.
    """
    file = str(file) or "plate map"
    names = [str(c).strip().lower() for c in frame.columns]
    repeated = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if repeated is not None:
        raise InputError(file, f"the column {excerpt(repeated)} appears twice", where="line 1")
    # `relative` is this function's own output column, read back when it runs again.
    derived = ["relative"] if "relative" in names and _is_bool(frame, names) else []
    unknown = [c for c in names if c not in (*COLUMNS, "line", *derived)]
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
    # Plain lists from here on: a plate map is small, and pandas per column costs more.
    position = {name: i for i, name in enumerate(names)}
    blank = [""] * len(frame)
    cells = {
        column: _texts(frame.iloc[:, position[column]]) if column in position else blank
        for column in COLUMNS
    }
    kept = [i for i, row in enumerate(zip(*cells.values(), strict=True)) if any(row)]
    text = {column: [values[i] for i in kept] for column, values in cells.items()}
    if "line" in position:
        lines = frame.iloc[kept, position["line"]].astype(int).to_numpy()
    else:
        lines = np.arange(len(frame))[kept] + 2
    if not kept:
        raise InputError(file, "the plate map has a header but no wells")

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

    level = pd.to_numeric(pd.Series(text["level"], dtype="string"), errors="coerce")
    number = level.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        whole = (number >= 0) & (number % 1 == 0)
    fail(_given(text["level"]) & ~whole, "level {level!r} is not a whole number")
    expected, relative = _concentrations(text["expected_conc"])
    fail(
        _given(text["expected_conc"]) & ~(np.isfinite(expected) & (expected >= 0)),
        "expected_conc {expected_conc!r} is neither a number of 0 or more nor a dilution "
        "of a reference such as 1/50 or 1:100",
    )
    if derived:
        relative |= frame.iloc[kept, position["relative"]].to_numpy(dtype=bool)
    dilution = _floats(text["dilution"])
    fail(
        _given(text["dilution"]) & ~(np.isfinite(dilution) & (dilution > 0)),
        "dilution {dilution!r} is not a number above 0",
    )

    result = pd.DataFrame(
        {
            "well": np.array(well, dtype=object),
            "role": _or_missing(role),
            "sample_id": _or_missing(text["sample_id"]),
            "level": pd.array(level.to_numpy(), dtype="Int64"),
            "expected_conc": expected,
            "dilution": dilution,
            "analyte": _or_missing(text["analyte"]),
            "line": lines,
            "relative": relative,
        }
    )
    _check_duplicates(result, file)
    _check_one_kind(result, file)
    result.attrs["source_file"] = file
    return result


def _texts(column: pd.Series) -> list[str]:
    """A column's cells as stripped text, "" where blank."""
    values = column.tolist()
    if not all(type(value) is str for value in values):
        values = column.astype("string").fillna("").tolist()
    return [value.strip() for value in values]


def _is_bool(frame: pd.DataFrame, names: list[str]) -> bool:
    return bool(pd.api.types.is_bool_dtype(frame.iloc[:, names.index("relative")]))


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


def _check_one_kind(plate_map: pd.DataFrame, file: str) -> None:
    """An analyte's expected concentrations are all concentrations or all dilutions of a
    reference: one curve cannot mix the two. A row for every analyte counts for each."""
    given = plate_map[plate_map["expected_conc"].fillna(0) > 0]
    if given.empty or not given["relative"].any() or given["relative"].all():
        return
    keys = given["analyte"].map(lambda a: "" if pd.isna(a) else str(a).casefold())
    for key in dict.fromkeys(keys.tolist()):
        rows = given[(keys == key) | (keys == "")] if key else given
        kinds = rows["relative"].to_numpy(dtype=bool)
        if kinds.any() and not kinds.all():
            first = rows.iloc[int(np.argmax(kinds != kinds[0]))]
            what = f"analyte {shortened(str(first['analyte']))}" if key else "the plate map"
            raise InputError(
                file,
                f"{what} gives expected_conc both as concentrations and as dilutions of a "
                "reference (1/50, 1:100); give one or the other for an analyte's standards "
                "and controls",
                where=f"line {first['line']}",
            )


def _given(texts: list[str]) -> np.ndarray:
    return np.array([text != "" for text in texts], dtype=bool)


def _floats(texts: list[str]) -> np.ndarray:
    return np.asarray(pd.to_numeric(np.array(texts, dtype=object), errors="coerce"), dtype=float)


def _or_missing(texts: list[str]) -> np.ndarray:
    return np.array([text if text else pd.NA for text in texts], dtype=object)


def _check_duplicates(plate_map: pd.DataFrame, file: str) -> None:
    wells = plate_map["well"].tolist()
    analytes = [None if pd.isna(a) else str(a) for a in plate_map["analyte"].tolist()]
    lines = plate_map["line"].tolist()
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
    file = str(plate_map.attrs.get("source_file", "plate map"))
    _check_overlap(wells, plate_map, file)
    _check_on_plate(wells, plate_map, file)
    unnamed = (wells["analyte"] == "").to_numpy()
    # Each part: the export's rows, and for each the map row that applies (-1: none).
    parts = []
    if (~unnamed).any():
        parts.append(_match_named(wells[~unnamed], plate_map, file))
    if unnamed.any():
        parts.append(_match_unnamed(wells[unnamed], plate_map))
    if len(parts) > 1:
        merged = pd.concat([part for part, _ in parts], ignore_index=True)
        map_rows = np.concatenate([rows for _, rows in parts])
    else:
        merged, map_rows = parts[0]
    return _override(merged.reset_index(drop=True), plate_map, map_rows)


def _check_on_plate(wells: pd.DataFrame, plate_map: pd.DataFrame, file: str) -> None:
    """A map row naming a well the export's plate does not have (I13 on a 96-well
    plate) is an error naming the row: its well would otherwise be dropped unseen.

    The plate has 96 wells when every well the export reads lies in A1 to H12, else 384
    (which every well a map can name lies on).
    """
    if not all(_WELL_96.match(str(well)) for well in wells["well"].drop_duplicates().tolist()):
        return
    for well, line in zip(plate_map["well"].tolist(), plate_map["line"].tolist(), strict=True):
        if not _WELL_96.match(well):
            raise InputError(
                file,
                f"well {well} is not on the plate of {wells['source_file'].iloc[0]}: its wells "
                "lie in A1 to H12 (a 96-well plate); correct the row's well or use this "
                "plate's own plate map",
                where=f"line {line}",
            )


def _check_overlap(wells: pd.DataFrame, plate_map: pd.DataFrame, file: str) -> None:
    if set(plate_map["well"].tolist()).isdisjoint(wells["well"].tolist()):
        raise InputError(
            file,
            f"the plate map names none of the wells in {wells['source_file'].iloc[0]} "
            f"(map: {', '.join(plate_map['well'].head(3))}, ...)",
        )


def _match_named(
    wells: pd.DataFrame, plate_map: pd.DataFrame, file: str
) -> tuple[pd.DataFrame, np.ndarray]:
    known = list(dict.fromkeys(wells["analyte"].tolist()))
    keys = {str(analyte).casefold() for analyte in known}
    general: dict[str, int] = {}
    specific: dict[tuple[str, str], int] = {}
    map_lines = plate_map["line"].tolist()
    for row, (well, analyte) in enumerate(
        zip(plate_map["well"].tolist(), plate_map["analyte"].tolist(), strict=True)
    ):
        if pd.isna(analyte):
            general[well] = row
            continue
        key = str(analyte).casefold()
        if key not in keys:
            raise InputError(
                file,
                f"analyte {excerpt(analyte)} is not in the export; known: "
                f"{shortened(', '.join(map(str, known)), 200)}",
                where=f"line {map_lines[row]}",
            )
        specific.setdefault((well, key), row)
    map_rows = [
        specific.get((well, str(analyte).casefold()), general.get(well, -1))
        for well, analyte in zip(wells["well"].tolist(), wells["analyte"].tolist(), strict=True)
    ]
    return wells, np.array(map_rows, dtype=int)


def _match_unnamed(wells: pd.DataFrame, plate_map: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    rows_of: dict[str, list[int]] = {}
    for row, well in enumerate(plate_map["well"].tolist()):
        rows_of.setdefault(well, []).append(row)
    # A well may have several map rows (one per analyte): it is read once for each.
    taken: list[int] = []
    map_rows: list[int] = []
    for index, well in enumerate(wells["well"].tolist()):
        for row in rows_of.get(well, [-1]):
            taken.append(index)
            map_rows.append(row)
    rows = np.array(map_rows, dtype=int)
    map_analyte = _take(plate_map["analyte"].to_numpy(dtype=object), rows, None)
    analyte = pd.Series(
        [DEFAULT_ANALYTE if pd.isna(value) else value for value in map_analyte], dtype=object
    )
    merged = wells.iloc[taken].reset_index(drop=True)
    return merged.assign(analyte=analyte, analyte_raw=analyte), rows


def _take(values: np.ndarray, rows: np.ndarray, missing: object) -> np.ndarray:
    """`values[rows]`, with `missing` where the row is -1."""
    if len(values):
        out = values[np.where(rows >= 0, rows, 0)]
    else:
        out = np.empty(len(rows), dtype=values.dtype)
    out[rows < 0] = missing
    return out


def _integers(column: pd.Series) -> pd.arrays.IntegerArray:
    return cast(pd.arrays.IntegerArray, column.astype("Int64").array)


_PLACEHOLDERS: Final = {
    Role.STANDARD: "Standard",
    Role.BLANK: "Blank",
    Role.CONTROL: "Control",
    Role.SAMPLE: "",
    UNASSIGNED: "",
}


def _relative_units(
    merged: pd.DataFrame, plate_map: pd.DataFrame, rows: np.ndarray, expected: np.ndarray
) -> np.ndarray:
    """The wells' unit: `relative` for every well of an analyte whose expected
    concentrations the map gives as dilutions of a reference, else as read."""
    unit = merged["unit"].to_numpy(dtype=object, copy=True)
    if "relative" not in plate_map or not plate_map["relative"].any():
        return unit
    from_dilution = _take(plate_map["relative"].to_numpy(dtype=bool), rows, False).astype(bool)
    from_dilution &= np.isfinite(expected)
    analytes = merged["analyte"].to_numpy(dtype=object)
    unit[np.isin(analytes, np.unique(analytes[from_dilution]))] = RELATIVE_UNIT
    return unit


def _override(merged: pd.DataFrame, plate_map: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    has_row = rows >= 0
    map_role = _take(plate_map["role"].to_numpy(dtype=object), rows, None)
    file_role = merged["role"].to_numpy(dtype=object)
    role = np.where(has_row & pd.notna(map_role), map_role, file_role).astype(object)
    same_role = role == file_role

    # A level or expected concentration from the export belongs to the role the export
    # gave; once the map changes the role, it no longer applies.
    level = _integers(plate_map["level"])[np.where(has_row, rows, 0)]
    level[~has_row] = pd.NA
    file_level = _integers(merged["level"])
    from_file = level.isna() & same_role
    level[from_file] = file_level[from_file]
    file_expected = np.where(same_role, merged["expected_conc"].astype(float).to_numpy(), np.nan)
    expected = _take(plate_map["expected_conc"].astype(float).to_numpy(), rows, np.nan)
    expected = np.where(np.isnan(expected), file_expected, expected)
    dilution = _take(plate_map["dilution"].astype(float).to_numpy(), rows, np.nan)
    dilution = np.where(np.isnan(dilution), merged["dilution"].astype(float).to_numpy(), dilution)

    unit = _relative_units(merged, plate_map, rows, expected)

    map_id = _take(plate_map["sample_id"].to_numpy(dtype=object), rows, None)
    name = np.where(pd.notna(map_id), map_id, merged["sample_name"].to_numpy(dtype=object))
    levels = level.tolist()
    for index in np.flatnonzero(name == "").tolist():
        # Standards and blanks need no sample id, but every row carries a readable name.
        # Samples stay nameless here so the reader can say which well lacks its sample_id.
        base = _PLACEHOLDERS.get(role[index])
        suffix = "" if levels[index] is pd.NA else str(levels[index])
        name[index] = float("nan") if base is None else base + suffix if base else ""
    sample_id = name.copy()
    sample_id[~np.isin(role, [Role.SAMPLE, Role.CONTROL])] = None
    return merged.assign(
        role=role,
        level=level,
        expected_conc=expected,
        unit=unit,
        dilution=dilution,
        sample_name=pd.Series(name, index=merged.index, dtype=object),
        sample_id=pd.Series(sample_id, index=merged.index, dtype=object),
    )
