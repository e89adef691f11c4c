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
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers.cells import ROW_LETTERS, decode_text
from assaypipe.readers.excel import is_workbook, read_workbook
from assaypipe.roles import DEFAULT_RULE, RoleRule
from assaypipe.tables import ROLES

__all__ = ["COLUMNS", "DEFAULT_ANALYTE", "apply_plate_map", "read_plate_map", "validate_plate_map"]

COLUMNS: Final = ("well", "role", "sample_id", "level", "expected_conc", "dilution", "analyte")
REQUIRED: Final = ("well", "role")
# The analyte of a plate-reader export whose map names none.
DEFAULT_ANALYTE: Final = "OD"
_WELL: Final = re.compile(r"^([A-P])0?([1-9]|1[0-9]|2[0-4])$")
_MAP_FIELDS: Final = ("role", "sample_id", "level", "expected_conc", "dilution", "line")


def read_plate_map(path: str | Path, rule: RoleRule = DEFAULT_RULE) -> pd.DataFrame:
    """Read and check a plate map (CSV, long or grid form, or the first sheet of an
    Excel workbook); the frame has `COLUMNS` plus the source `line`.

    Raises InputError naming the file, the line and what was expected.
    """
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(file, "the plate map does not exist") from None
    except OSError as error:
        raise InputError(file, f"the plate map cannot be read ({error.strerror})") from None
    if is_workbook(data):
        sheets = read_workbook(data, file)
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
                    f"or 24), found {','.join(table[index][:4])!r}",
                    where=f"line {index + 1}",
                )
            index += 1
            continue
        title = table[index][0].strip().casefold()
        name = _GRID_FIELDS.get(title, title)
        if name not in (*COLUMNS, "name") or name == "well":
            raise InputError(
                file,
                f"a grid is titled {table[index][0].strip()!r}; expected name, role, "
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
            if not record["sample_id"] and record["role"] in ("sample", "control"):
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
    Int64; blank cells become missing values. Running it twice changes nothing.
    """
    file = str(file) or "plate map"
    frame = frame.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "line" not in frame.columns:
        frame.insert(0, "line", np.arange(len(frame)) + 2)
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        raise InputError(file, f"the column {repeated[0]!r} appears twice", where="line 1")
    unknown = [c for c in frame.columns if c not in (*COLUMNS, "line")]
    if unknown:
        raise InputError(
            file,
            f"unexpected column {unknown[0]!r}; a plate map has the columns {', '.join(COLUMNS)}",
            where="line 1",
        )
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            file,
            f"the plate map has no {missing[0]!r} column; it needs at least well and role",
            where="line 1",
        )
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    text = frame[list(COLUMNS)].astype("string").fillna("").apply(lambda c: c.str.strip())
    keep = (text != "").any(axis=1).to_numpy()
    text, lines = text[keep], frame.loc[keep, "line"].astype(int).to_numpy()
    if text.empty:
        raise InputError(file, "the plate map has a header but no wells")

    def fail(mask: np.ndarray, message: str) -> None:
        if mask.any():
            index = int(np.flatnonzero(mask)[0])
            raise InputError(file, message.format(**text.iloc[index]), where=f"line {lines[index]}")

    wells = text["well"].str.upper().str.extract(_WELL)
    fail(
        wells[0].isna().to_numpy(),
        "well {well!r} is not a plate well; expected A1 to H12 (96) or A1 to P24 (384)",
    )
    well = (wells[0] + wells[1]).to_numpy(dtype=object)

    role = text["role"].str.lower()
    # A blank role keeps the role the export gives (a map that only sets the analyte or
    # the dilution); a well the export names nothing about then stays unplaced.
    fail(
        ~(role.isin(ROLES) | (role == "")).to_numpy(),
        f"role {{role!r}} is not one of {', '.join(ROLES)}",
    )

    level = pd.to_numeric(text["level"], errors="coerce")
    fail(
        ((text["level"] != "") & ~(level.notna() & (level >= 0) & (level % 1 == 0))).to_numpy(),
        "level {level!r} is not a whole number",
    )
    expected = pd.to_numeric(text["expected_conc"], errors="coerce").astype(float)
    fail(
        ((text["expected_conc"] != "") & ~(np.isfinite(expected) & (expected >= 0))).to_numpy(),
        "expected_conc {expected_conc!r} is not a number of 0 or more",
    )
    dilution = pd.to_numeric(text["dilution"], errors="coerce").astype(float)
    fail(
        ((text["dilution"] != "") & ~(np.isfinite(dilution) & (dilution > 0))).to_numpy(),
        "dilution {dilution!r} is not a number above 0",
    )

    result = pd.DataFrame(
        {
            "well": well,
            "role": role.replace("", None).to_numpy(dtype=object),
            "sample_id": text["sample_id"].replace("", None).to_numpy(dtype=object),
            "level": pd.array(level.to_numpy(), dtype="Int64"),
            "expected_conc": expected.to_numpy(),
            "dilution": dilution.to_numpy(),
            "analyte": text["analyte"].replace("", None).to_numpy(dtype=object),
            "line": lines,
        }
    )
    _check_duplicates(result, file)
    result.attrs["source_file"] = file
    return result


def _check_duplicates(plate_map: pd.DataFrame, file: str) -> None:
    key = plate_map["well"] + "\x1f" + plate_map["analyte"].fillna("").str.casefold()
    repeated = key.duplicated(keep="first")
    if repeated.any():
        row = plate_map[repeated].iloc[0]
        first = plate_map.loc[key == key[repeated].iloc[0], "line"].iloc[0]
        what = f"well {row['well']}" + (
            f" / analyte {row['analyte']}" if pd.notna(row["analyte"]) else ""
        )
        raise InputError(
            file,
            f"{what} appears twice (lines {first} and {row['line']}); each should appear once",
            where=f"line {row['line']}",
        )
    general = set(plate_map.loc[plate_map["analyte"].isna(), "well"])
    specific = plate_map[plate_map["analyte"].notna() & plate_map["well"].isin(general)]
    if not specific.empty:
        row = specific.iloc[0]
        raise InputError(
            file,
            f"well {row['well']} has a row for all analytes and one for {row['analyte']}; "
            "give either one row for all analytes or one row per analyte",
            where=f"line {row['line']}",
        )


def apply_plate_map(wells: pd.DataFrame, plate_map: pd.DataFrame) -> pd.DataFrame:
    """Wells with the map's role, sample, level, expected_conc and dilution.

    Wells the map does not name keep what the export says, except in an export that
    names no analytes (`analyte == ""`, a plate reader): there an unmapped well has
    no role at all and is left out (the reader lists it as rejected), and the analyte
    comes from the map (`OD` when the map has none). Blank map cells keep the export's value.
    """
    if wells.empty:
        return wells
    file = str(plate_map.attrs.get("source_file", "plate map"))
    _check_overlap(wells, plate_map, file)
    unnamed = wells["analyte"] == ""
    parts = []
    if (~unnamed).any():
        parts.append(_merge_named(wells[~unnamed], plate_map, file))
    if unnamed.any():
        parts.append(_merge_unnamed(wells[unnamed], plate_map))
    merged = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return _override(merged.reset_index(drop=True))


def _check_overlap(wells: pd.DataFrame, plate_map: pd.DataFrame, file: str) -> None:
    if not plate_map["well"].isin(wells["well"]).any():
        raise InputError(
            file,
            f"the plate map names none of the wells in {wells['source_file'].iloc[0]} "
            f"(map: {', '.join(plate_map['well'].head(3))}, ...)",
        )


def _merge_named(wells: pd.DataFrame, plate_map: pd.DataFrame, file: str) -> pd.DataFrame:
    known = wells["analyte"].drop_duplicates()
    keys = known.str.casefold()
    specific = plate_map[plate_map["analyte"].notna()].assign(
        _key=lambda f: f["analyte"].str.casefold()
    )
    stray = specific[~specific["_key"].isin(set(keys))]
    if not stray.empty:
        row = stray.iloc[0]
        raise InputError(
            file,
            f"analyte {row['analyte']!r} is not in the export; known: {', '.join(known)}",
            where=f"line {row['line']}",
        )
    general = plate_map[plate_map["analyte"].isna()].merge(
        pd.DataFrame({"_key": keys.to_numpy()}), how="cross"
    )
    table = pd.concat([general, specific], ignore_index=True)[["well", "_key", *_MAP_FIELDS]]
    table = table.rename(columns={name: f"map_{name}" for name in _MAP_FIELDS})
    return (
        wells.assign(_key=wells["analyte"].str.casefold())
        .merge(table, on=["well", "_key"], how="left", validate="many_to_one")
        .drop(columns="_key")
    )


def _merge_unnamed(wells: pd.DataFrame, plate_map: pd.DataFrame) -> pd.DataFrame:
    table = plate_map[["well", "analyte", *_MAP_FIELDS]].rename(
        columns={name: f"map_{name}" for name in (*_MAP_FIELDS, "analyte")}
    )
    # A well the export names (a Gen5 layout, a SoftMax group) keeps its role without
    # a map row; a well it does not name needs one.
    merged = wells.merge(table, on="well", how="left")
    merged = merged[merged["map_role"].notna() | (merged["sample_name"] != "")]
    analyte = merged["map_analyte"].fillna(DEFAULT_ANALYTE).astype(object)
    return merged.drop(columns="map_analyte").assign(analyte=analyte, analyte_raw=analyte)


def _override(merged: pd.DataFrame) -> pd.DataFrame:
    mapped = merged["map_role"].notna().to_numpy()
    role = np.where(mapped, merged["map_role"], merged["role"]).astype(object)
    same_role = role == merged["role"].to_numpy(dtype=object)

    # A level or expected concentration from the export belongs to the role the export
    # gave; once the map changes the role, it no longer applies.
    file_level = merged["level"].where(same_role)
    level = merged["map_level"].astype("Int64").fillna(file_level.astype("Int64"))
    file_expected = merged["expected_conc"].astype(float).where(same_role)
    expected = merged["map_expected_conc"].astype(float).fillna(file_expected)
    dilution = merged["map_dilution"].astype(float).fillna(merged["dilution"].astype(float))

    name = (
        merged["map_sample_id"]
        .astype(object)
        .where(merged["map_sample_id"].notna(), merged["sample_name"])
    )
    name = name.where(name != "", _placeholder_names(role, level))
    sample_id = name.where(pd.Series(role).isin(["sample", "control"]).to_numpy(), None)

    out = merged.assign(
        role=role,
        level=level,
        expected_conc=expected,
        dilution=dilution,
        sample_name=name.astype(object),
        sample_id=sample_id.astype(object),
    )
    return out.drop(columns=[f"map_{name}" for name in _MAP_FIELDS])


def _placeholder_names(role: np.ndarray, level: pd.Series) -> pd.Series:
    # Standards and blanks need no sample id, but every row carries a readable name.
    # Samples stay nameless here so the reader can say which well lacks its sample_id.
    base = pd.Series(role, index=level.index).map(
        {"standard": "Standard", "blank": "Blank", "control": "Control", "sample": ""}
    )
    suffix = level.astype("string").fillna("")
    return (base + suffix).where(base != "", "").astype(object)
