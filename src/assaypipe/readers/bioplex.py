"""Bio-Rad Bio-Plex Manager Excel exports (.xls, .xlsx) into wells.

One sheet per analyte (the sheet or its `Analyte:` line names it), each with a few
`Key: value` lines (File Name, Analyte, Acquisition Date, Reader Serial Number,
Plate ID), a table with the columns `Type`, `Well`, `Outlier`, `Description`, `FI`,
`FI - Bkgd`, ..., `Obs Conc`, `Exp Conc`, ..., `Dilution`, `Sampling Errors` (some
versions add `Bead Count`; a concentration column may carry its unit, `Obs Conc
(pg/mL)`), and a footer (`Regression Type: Logistic - 5PL`, `Std. Curve: FI = ...`,
`FitProb. = ..., ResVar. = ...`). A `Project Template` sheet, when present, gives
the software version, the standards' lot and the unit of concentration.

Two table layouts exist. The summary layout merges replicate wells into one row
(`Well` = `C1,D1`, FI the replicates' mean); each of those wells gets the row's values
and the flag `replicate_mean`, because its own reading is not in the file. The
per-well layout has one row per well; when a sheet holds both tables the per-well
one is used.

`Type` codes: `B` blank, `S<n>` standard n, `C<n>` control n, `X<n>` (and anything
else) a sample, named by its `Description` (or the code when that is empty); a sample
whose Description names a control (`Control 1`, `QC high`, `Positive control`) is a
control. `Outlier` set, or `---` in the signal ("designated as an outlier"), flags the
well `vendor_masked`: the lab left it out of Bio-Plex's curve and means. A `Sampling
Errors` entry flags it `vendor_sampling_error`. Cell tokens: `OOR <`, `OOR >`,
`*12.3` (extrapolated), `***` (not available: not_reported), `---` (masked).

Bio-Plex's fitted curve, FI = d + (a - d) / (1 + (Conc / c)^b)^g, is DESIGN.md's
model letter for letter; its parameters and Obs Conc go to the vendor results. Obs
Conc is Bio-Plex's curve inverted at FI - Bkgd and multiplied by the well's dilution
(basis `sample`); `concentration_basis` checks that on each plate's diluted wells.

The consistency checks between sheets (sheets listing different wells, an analyte on
two sheets, a sheet naming an analyte without a table, a well twice in a sheet) are
plate warnings; a damaged or cut workbook and a well cell that is not a well refuse
the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers.cells import (
    bad_bead_flags,
    classify_texts,
    parse_well,
    unreadable_counts,
    vendor_rows,
    vendor_table,
    well_order,
    wells_columns,
)
from assaypipe.readers.cells import (
    listed as cells_listed,
)
from assaypipe.readers.columns import ColumnTable, stacked
from assaypipe.readers.excel import Sheet
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import level_number
from assaypipe.vocabulary import Role, VendorBasis, WellFlag

__all__ = [
    "BIOPLEX",
    "DEFAULT_BASIS",
    "SAMPLING_ERRORS",
    "SIGNAL_COLUMNS",
    "VENDOR_MASKED",
    "VENDOR_SAMPLING_ERROR",
    "AnalyteSheet",
    "BioplexTable",
    "concentration_basis",
    "looks_like_bioplex",
    "names_a_control",
    "read_bioplex",
    "role_of_code",
]

SIGNAL_COLUMNS: Final = {"median": "FI", "net_mfi": "FI - Bkgd"}
# The lab left the well out in its software (Bio-Plex Outlier / `---`, SoftMax Masked).
VENDOR_MASKED: Final = WellFlag.VENDOR_MASKED.value
VENDOR_SAMPLING_ERROR: Final = WellFlag.VENDOR_SAMPLING_ERROR.value
# Bio-Plex's sampling error codes, as its report footer and the XML's Reading Code list them.
SAMPLING_ERRORS: Final = {
    "1": "low bead number",
    "2": "aggregated beads",
    "3": "classify efficiency",
    "4": "region selection",
    "5": "platform temperature",
}
# What Bio-Plex Manager 4.1's Obs Conc is (its curve at FI - Bkgd, times the dilution),
# used when a plate has no diluted well to check it on.
DEFAULT_BASIS: Final = VendorBasis.SAMPLE

_TYPE: Final = re.compile(r"^(?:(?P<blank>B\d*)|S(?P<standard>\d+)|C(?P<control>\d+))$", re.I)
_NUMBER: Final = r"([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
_CURVE: Final = re.compile(
    rf"^FI={_NUMBER}\+\({_NUMBER}([+-]){_NUMBER}\)/\(*1\+\(Conc/{_NUMBER}\)\^{_NUMBER}\)*"
    rf"(?:\^{_NUMBER})?$",
    re.IGNORECASE,
)
_TRUE: Final = frozenset({"1", "true", "yes", "x"})
_SAMPLE_TYPE: Final = re.compile(r"^X\d+$", re.IGNORECASE)
# A description naming a control: `Control 1`, `QC high`, `Positive control`, `Ctrl2`.
_CONTROL_WORD: Final = re.compile(r"(?<![a-z])(?:controls?|ctrls?|ctl|qc)(?![a-z])", re.I)
# Bio-Plex names each analyte's sheet with its bead region: "Hu IL-6 (19)".
_BEAD_REGION: Final = re.compile(r"\(\d+\)\s*$")
_WELL_LIST: Final = re.compile(r"^[A-P](?:[1-9]|1\d|2[0-4])(?:\s*,\s*[A-P](?:[1-9]|1\d|2[0-4]))*$")
# A header `Obs Conc (pg/mL)`: the column's name and its unit.
# The name is the shortest text ending in a non-space (runs of space taken whole): a lazy
# `.*?` before `\s*` backtracked over a long run of spaces, quadratic in its length.
_WITH_UNIT: Final = re.compile(r"^(?P<name>(?:[^\S\n]*+\S)*?)\s*\((?P<unit>[^()]*)\)$")
_CONC_COLUMNS: Final = ("Obs Conc", "Exp Conc", "Conc in Range")
# The fields of one well's record (`_sheet_rows`).
_RECORD_COLUMNS: Final = [
    "well", "analyte", "role", "name", "level", "expected", "dilution", "text", "net",
    "beads", "flags", "obs", "unit",
]  # fmt: skip
# The table columns read.
_COLUMNS: Final = (
    "Type",
    "Well",
    "Outlier",
    "Description",
    "FI",
    "FI - Bkgd",
    "Obs Conc",
    "Exp Conc",
    "Dilution",
    "Sampling Errors",
    "Bead Count",
)


def names_a_control(description: str) -> bool:
    """Whether a sample's description names a control.

    >>> [names_a_control(d) for d in ("Control 1", "QC high", "Positive control", "P01-BL")]
    [True, True, True, False]
    """
    return bool(_CONTROL_WORD.search(description))


def role_of_code(code: str, description: str) -> tuple[str, int | None]:
    """Role and level of a Bio-Plex type code (`B`, `S3`, `C1`, `X7`) and description.

    >>> [str(role) for role, _ in (role_of_code("X7", "QC high"), role_of_code("X8", "P01"))]
    ['control', 'sample']
    >>> role_of_code("S3", "")
    (<Role.STANDARD: 'standard'>, 3)
    """
    match = _TYPE.match(code.strip())
    if match and match.group("blank"):
        return Role.BLANK, None
    if match and match.group("standard"):
        return Role.STANDARD, level_number(match.group("standard"))
    if match and match.group("control"):
        return Role.CONTROL, level_number(match.group("control"))
    return (Role.CONTROL if names_a_control(description) else Role.SAMPLE), None


def concentration_basis(obs: np.ndarray, in_well: np.ndarray, dilution: np.ndarray) -> str | None:
    """Whether the software's concentrations are per sample (`sample`: it multiplied by
    the well's dilution) or of the well's content (`in_well`), judged on the wells with
    a dilution other than 1 where an in-well estimate exists (the vendor's curve
    inverted at the well's signal, or a standard's expected concentration): each such
    well votes for the reading its concentration lies closer to. None when no well
    tells (every dilution is 1, where both readings are the same).

    >>> concentration_basis(np.array([8.1, 20.0]), np.array([2.0, 5.0]), np.array([4.0, 4.0]))
    <VendorBasis.SAMPLE: 'sample'>
    >>> concentration_basis(np.array([2.1]), np.array([2.0]), np.array([1.0])) is None
    True
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        usable = (
            np.isfinite(obs)
            & np.isfinite(in_well)
            & (obs > 0)
            & (in_well > 0)
            & np.isfinite(dilution)
            & (np.abs(dilution - 1.0) > 1e-9)
        )
        if not usable.any():
            return None
        ratio = obs[usable] / in_well[usable]
        as_sample = np.abs(np.log(ratio / dilution[usable]))
        as_well = np.abs(np.log(ratio))
    return (
        VendorBasis.SAMPLE
        if (as_sample < as_well).sum() >= (as_well < as_sample).sum()
        else VendorBasis.IN_WELL
    )


def inverse_5pl(params: dict[str, float], signal: np.ndarray) -> np.ndarray:
    """The concentration at which `y = d + (a - d) / (1 + (x / c)^b)^g` gives `signal`;
    NaN outside the curve's range."""
    a, b, c, d, g = (params[k] for k in "abcdg")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inner = ((a - d) / (signal - d)) ** (1.0 / g) - 1.0
        x = c * inner ** (1.0 / b)
    return np.where(np.isfinite(x) & (x > 0), x, np.nan)


@dataclass(frozen=True)
class BioplexTable:
    """One table of a sheet: its header row and data rows (with sheet row numbers)."""

    header: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], int], ...]

    def column(self, name: str) -> int | None:
        """The column `name`, also when its header adds a unit: `Obs Conc (pg/mL)`."""
        wanted = name.casefold()
        for index, cell in enumerate(self.header):
            if cell.casefold() == wanted:
                return index
        for index, cell in enumerate(self.header):
            match = _WITH_UNIT.match(cell)
            if match and match.group("name").casefold() == wanted:
                return index
        return None

    def units(self) -> list[str]:
        """The units the concentration columns' headers state, in column order."""
        found = []
        for cell in self.header:
            match = _WITH_UNIT.match(cell)
            if match and match.group("name").casefold() in {c.casefold() for c in _CONC_COLUMNS}:
                unit = match.group("unit").strip()
                if unit and unit not in found:
                    found.append(unit)
        return found

    @property
    def per_well(self) -> bool:
        well = self.column("Well")
        return well is not None and all(
            "," not in (row[well] if well < len(row) else "") for row, _ in self.rows
        )


@dataclass(frozen=True)
class AnalyteSheet:
    name: str
    analyte: str
    info: dict[str, str]
    table: BioplexTable
    footer: tuple[str, ...]


def _is_table_header(row: tuple[str, ...]) -> bool:
    cells = {cell.strip().casefold() for cell in row}
    return {"type", "well"} <= cells and bool({"fi", "fi - bkgd"} & cells)


def looks_like_bioplex(sheets: list[Sheet]) -> bool:
    return any(_is_table_header(row) for sheet in sheets for row in sheet.rows)


def _analyte_sheet(sheet: Sheet, notes: Warnings) -> AnalyteSheet | None:
    info: dict[str, str] = {}
    tables: list[BioplexTable] = []
    footer: list[str] = []
    index = 0
    rows = sheet.rows
    while index < len(rows):
        row = rows[index]
        if _is_table_header(row):
            body = []
            index += 1
            while index < len(rows) and any(cell.strip() for cell in rows[index]):
                body.append((rows[index], index + 1))
                index += 1
            tables.append(BioplexTable(tuple(c.strip() for c in row), tuple(body)))
            continue
        first = row[0].strip() if row else ""
        if first and ":" in first and not tables:
            key, _, value = first.partition(":")
            info.setdefault(key.strip(), value.strip())
        elif first and tables:
            footer.append(first)
        index += 1
    if not tables:
        if "Analyte" in info:
            notes.add(
                f"names analyte {info['Analyte']!r} but has no table with Type, Well and FI "
                "columns; the analyte is not read: export the workbook again if it should be",
                where=f"sheet {sheet.name!r}",
            )
        return None
    per_well = [table for table in tables if table.per_well]
    table = per_well[-1] if per_well else tables[0]
    analyte = info.get("Analyte") or sheet.name.strip()
    titled = sheet.name.strip()
    # Excel cuts sheet names at 31 characters: a longer analyte's sheet holds its start.
    if titled and analyte != titled and not analyte.startswith(titled):
        notes.add(
            f"the sheet is named {titled!r} but its Analyte line says {analyte!r}; the "
            "Analyte line is read (an edited or damaged file?)",
            where=f"sheet {sheet.name!r}",
        )
    return AnalyteSheet(sheet.name, analyte, info, table, tuple(footer))


def read_bioplex(sheets: list[Sheet], file: str, signal: str = "median") -> ParsedPlate:
    """Wells (unvalidated), run metadata, Bio-Plex's own results and the warnings of one
    workbook."""
    notes = Warnings()
    analyte_sheets = [s for sheet in sheets if (s := _analyte_sheet(sheet, notes)) is not None]
    named = {analyte_sheet.name for analyte_sheet in analyte_sheets}
    for other in sheets:
        if other.name not in named:
            _check_other_sheet(other, file)
    if not analyte_sheets:
        raise InputError(file, "the workbook has no sheet with Type, Well and FI columns")
    analyte_sheets = _distinct_analytes(analyte_sheets, notes)
    template = _template(sheets)
    records: list[dict[str, object]] = []
    footers: list[tuple[str, str | None, str, str]] = []
    params: dict[str, dict[str, float]] = {}
    listed: list[tuple[AnalyteSheet, set[str]]] = []
    sheet_units: list[str] = []
    for sheet in analyte_sheets:
        own = _sheet_rows(sheet, file, signal, notes)
        if not own:
            notes.add("has a table header but no wells", where=f"sheet {sheet.name!r}")
            continue
        unit = next(iter(sheet.table.units()), "")
        if unit and unit not in sheet_units:
            sheet_units.append(unit)
        for record in own:
            record["unit"] = unit
        records.extend(own)
        footer = _footer(sheet)
        footers.extend(footer)
        if (curve := _params(footer)) is not None:
            params[sheet.analyte] = curve
        listed.append((sheet, {str(record["well"]) for record in own}))
    if not records:
        raise InputError(file, "no analyte sheet of the workbook lists any well")
    _note_different_wells(listed, notes)
    frame = _record_columns(records)
    wells = _wells(frame, signal)
    basis = _obs_conc_basis(frame, params) or DEFAULT_BASIS
    vendor = _vendor(frame, basis, footers)
    first = analyte_sheets[0].info
    software = template.get("Analysis Software", "")
    version = re.search(r"(\d+(?:\.\d+)+)", software)
    batch = first.get("Plate ID", "") or _stem(first.get("File Name", ""))
    unit = template.get("Units of Concentration", "") or "; ".join(sheet_units)
    meta = {
        "format": "bioplex",
        "instrument": template.get("Instrument/Reader", ""),
        "software": "Bio-Plex Manager",
        "software_version": version.group(1) if version else software,
        "serial_number": first.get("Reader Serial Number", ""),
        "batch": batch,
        "run_time": first.get("Acquisition Date", ""),
        "kit_lot": template.get("Standards Lot #", "") or template.get("Kit Lot #", ""),
        "unit": unit,
    }
    return ParsedPlate(wells=wells, meta=meta, vendor=vendor, warnings=notes.as_tuple())


def _distinct_analytes(sheets: list[AnalyteSheet], notes: Warnings) -> list[AnalyteSheet]:
    """Sheets holding an analyte another sheet already holds keep their wells under a
    name that says which sheet they come from."""
    seen: dict[str, str] = {}
    out = []
    for sheet in sheets:
        first = seen.get(sheet.analyte)
        if first is None:
            seen[sheet.analyte] = sheet.name
            out.append(sheet)
            continue
        renamed = f"{sheet.analyte} [sheet {sheet.name}]"
        notes.add(
            f"sheets {first!r} and {sheet.name!r} both hold analyte {sheet.analyte!r}; the "
            f"second is read as {renamed!r}: check which sheet is the analyte's and give the "
            "other its own name",
            where=f"sheet {sheet.name!r}",
        )
        out.append(AnalyteSheet(sheet.name, renamed, sheet.info, sheet.table, sheet.footer))
    return out


def _note_different_wells(listed: Sequence[tuple[AnalyteSheet, set[str]]], notes: Warnings) -> None:
    """Every analyte sheet of one plate should list the same wells."""
    every: set[str] = set().union(*(wells for _, wells in listed))
    for sheet, own in listed:
        missing = sorted(every - own, key=well_order)
        if missing:
            shown = cells_listed(missing, 12)
            notes.add(
                f"lacks {len(missing)} well(s) other sheets list ({shown}); each sheet's "
                "wells are read as they are: check the export is complete",
                where=f"sheet {sheet.name!r}",
            )


def _check_other_sheet(sheet: Sheet, file: str) -> None:
    """A sheet that is not an analyte sheet must not look like a damaged one: xlrd reads
    a sheet whose cell records are broken as rows of nothing, and a sheet whose header
    row is broken as well rows without a table."""
    filled = [row for row in sheet.rows if any(cell.strip() for cell in row)]
    if not filled and _BEAD_REGION.search(sheet.name):
        raise InputError(
            file,
            f"sheet {sheet.name!r} is named like an analyte but holds nothing readable; "
            "the workbook looks damaged: export it again",
        )
    if len(sheet.rows) > 1 and not filled:
        raise InputError(
            file,
            f"sheet {sheet.name!r} has {len(sheet.rows)} rows but no readable cell; the "
            "workbook looks damaged: export it again",
        )
    for index, row in enumerate(sheet.rows, start=1):
        cells = [cell.strip() for cell in row]
        has_type = any(_TYPE.match(cell) or _SAMPLE_TYPE.match(cell) for cell in cells)
        has_wells = any(_WELL_LIST.match(cell) for cell in cells)
        if has_type and has_wells:
            raise InputError(
                file,
                f"sheet {sheet.name!r} holds well rows but no header row with Type, Well "
                "and FI; the sheet looks damaged: export it again",
                where=f"sheet {sheet.name!r} row {index}",
            )


def _stem(path: str) -> str:
    name = re.split(r"[\\/]", path)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _template(sheets: list[Sheet]) -> dict[str, str]:
    """`Field` -> `VALUE` of a Project Template sheet, if there is one."""
    for sheet in sheets:
        for index, row in enumerate(sheet.rows):
            cells = [cell.strip() for cell in row]
            if "Field" in cells and "VALUE" in cells:
                field, value = cells.index("Field"), cells.index("VALUE")
                return {
                    other[field].strip(): other[value].strip()
                    for other in sheet.rows[index + 1 :]
                    if len(other) > max(field, value) and other[field].strip()
                }
    return {}


def _sheet_rows(
    sheet: AnalyteSheet, file: str, signal: str, notes: Warnings
) -> list[dict[str, object]]:
    """One record per well of the sheet (`_RECORD_COLUMNS`): its role, name, texts and
    flags."""
    table = sheet.table
    columns = {name: table.column(name) for name in _COLUMNS}
    signal_column = columns[SIGNAL_COLUMNS[signal]]
    if signal_column is None:
        raise InputError(file, f"sheet {sheet.name!r} has no {SIGNAL_COLUMNS[signal]!r} column")

    def cell(row: tuple[str, ...], name: str) -> str:
        index = columns[name]
        return row[index].strip() if index is not None and index < len(row) else ""

    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    twice: list[str] = []
    for row, number in table.rows:
        where = f"sheet {sheet.name!r} row {number}"
        code = cell(row, "Type")
        well_text = cell(row, "Well")
        if not code and not well_text:
            continue
        texts = [text.strip() for text in well_text.split(",")]
        parsed = [parse_well(text) for text in texts]
        if not well_text or None in parsed:
            bad = next((t for t, p in zip(texts, parsed, strict=True) if p is None), well_text)
            raise InputError(
                file,
                f"{bad!r} is not a plate well; expected A1 to H12 (or P24), or a list like C1,D1",
                where=where,
            )
        description = cell(row, "Description")
        role, level = role_of_code(code, description)
        name = description or code
        dilution_text = cell(row, "Dilution")
        dilution = _float(dilution_text) if dilution_text else 1.0
        if not (np.isfinite(dilution) and dilution > 0):
            raise InputError(
                file, f"dilution {dilution_text!r} is not a number above 0", where=where
            )
        signal_text = row[signal_column].strip() if signal_column < len(row) else ""
        flags = []
        if len(parsed) > 1:
            flags.append(WellFlag.REPLICATE_MEAN.value)
        if cell(row, "Outlier").casefold() in _TRUE or "---" in (
            signal_text,
            cell(row, "FI"),
            cell(row, "FI - Bkgd"),
        ):
            flags.append(VENDOR_MASKED)
        if cell(row, "Sampling Errors"):
            flags.append(VENDOR_SAMPLING_ERROR)
        for well in (p for p in parsed if p is not None):
            if well in seen:
                twice.append(f"{well} (rows {seen[well]} and {number})")
                continue
            seen[well] = number
            records.append(
                {
                    "well": well,
                    "analyte": sheet.analyte,
                    "role": role,
                    "name": name,
                    "level": level,
                    "expected": cell(row, "Exp Conc")
                    if role in (Role.STANDARD, Role.CONTROL)
                    else "",
                    "dilution": dilution,
                    "text": signal_text,
                    "net": cell(row, "FI - Bkgd"),
                    "beads": cell(row, "Bead Count"),
                    "flags": ";".join(flags),
                    "obs": cell(row, "Obs Conc"),
                }
            )
    if twice:
        notes.add(
            f"well(s) listed twice: {', '.join(twice)}; the first row of each is read",
            where=f"sheet {sheet.name!r}",
        )
    return records


def _record_columns(records: list[dict[str, object]]) -> dict[str, np.ndarray]:
    """The wells' records as columns (`_RECORD_COLUMNS`), the expected concentrations
    as numbers."""
    columns = {
        name: np.array([record[name] for record in records], dtype=object)
        for name in _RECORD_COLUMNS
    }
    columns["dilution"] = columns["dilution"].astype(float)
    columns["expected"] = _numbers(columns["expected"])
    return columns


def _obs_conc_basis(
    frame: dict[str, np.ndarray], params: dict[str, dict[str, float]]
) -> str | None:
    """`concentration_basis` of Obs Conc, judged on Bio-Plex's own curve at each well's
    FI - Bkgd and on the standards' and controls' expected concentrations."""
    obs = _numbers_of(frame["obs"])
    in_well = np.full(len(obs), np.nan)
    analytes = frame["analyte"]
    net = _numbers_of(frame["net"])
    for analyte, curve in params.items():
        rows = analytes == analyte
        in_well[rows] = inverse_5pl(curve, net[rows])
    is_reference = np.isin(frame["role"], [Role.STANDARD, Role.CONTROL])
    expected = np.where(is_reference, frame["expected"], np.nan)
    dilution = frame["dilution"]
    return concentration_basis(
        np.concatenate([obs, obs]),
        np.concatenate([in_well, expected]),
        np.concatenate([dilution, dilution]),
    )


def _vendor(
    frame: dict[str, np.ndarray], basis: str, footers: list[tuple[str, str | None, str, str]]
) -> ColumnTable:
    """Bio-Plex's Obs Conc of every well, then its curves' footers."""
    n = len(frame["well"])
    unit = frame["unit"].copy()
    unit[unit == ""] = None
    observed = vendor_table(
        frame["analyte"], frame["well"], np.full(n, "concentration", dtype=object), frame["obs"]
    )
    observed.columns["unit"] = unit
    observed.columns["basis"] = np.full(n, basis, dtype=object)
    curves = vendor_rows(footers)
    parts = [observed.columns, curves.columns]
    return ColumnTable(stacked(parts, list(observed.columns)), n + len(footers))


def _wells(frame: dict[str, np.ndarray], signal: str) -> ColumnTable:
    raw_text = frame["text"]
    tokens, values = classify_texts(_cell_texts(raw_text))
    named = np.isin(frame["role"], [Role.SAMPLE, Role.CONTROL])
    beads = pd.to_numeric(pd.Series(frame["beads"], dtype="str"), errors="coerce")
    beads = beads.where(np.isfinite(beads) & (beads >= 0) & (beads == beads.round()))
    unreadable = unreadable_counts(frame["beads"].tolist(), beads.to_numpy(dtype=float))
    sample_id = frame["name"].copy()
    sample_id[~named] = None
    return wells_columns(
        len(raw_text),
        well=frame["well"],
        analyte=frame["analyte"],
        role=frame["role"],
        sample_name=frame["name"],
        sample_id=sample_id,
        level=pd.array(frame["level"].tolist(), dtype="Int64"),
        expected_conc=frame["expected"],
        unit=frame["unit"],
        dilution=frame["dilution"],
        signal=values,
        signal_kind=SIGNAL_COLUMNS[signal],
        bead_count=pd.array(beads.to_numpy(), dtype="Int64"),
        raw_text=raw_text,
        token=tokens,
        flags=bad_bead_flags(frame["flags"].tolist(), unreadable),
    )


def _footer(sheet: AnalyteSheet) -> list[tuple[str, str | None, str, str]]:
    rows: list[tuple[str, str | None, str, str]] = []
    analyte = sheet.analyte
    for line in sheet.footer:
        key, _, value = line.partition(":")
        key, value = key.strip().casefold(), value.strip()
        if key == "regression type":
            rows.append((analyte, None, "model", value))
        elif key == "std. curve":
            rows.append((analyte, None, "equation", value))
            match = _CURVE.match(value.replace(" ", ""))
            if match:
                d, a, sign, d_again, c, b, g = match.groups()
                # `(a - d)` is printed with d's sign folded in: `(20147.9 + 8.49859)`.
                if _same(d, sign, d_again):
                    for name, text in (("a", a), ("b", b), ("c", c), ("d", d), ("g", g or "1")):
                        rows.append((analyte, None, name, text))
        elif line.casefold().startswith("fitprob"):
            for part in line.split(","):
                name, _, text = part.partition("=")
                quantity = {"fitprob.": "fit_prob", "resvar.": "res_var"}.get(
                    name.strip().casefold()
                )
                if quantity:
                    rows.append((analyte, None, quantity, text.strip()))
    return rows


def _params(footer: list[tuple[str, str | None, str, str]]) -> dict[str, float] | None:
    """The footer's curve in assaypipe's letters, or None when it has none."""
    values = {quantity: _float(text) for _, _, quantity, text in footer if quantity in "abcdg"}
    if set(values) != set("abcdg") or not all(np.isfinite(v) for v in values.values()):
        return None
    return values


def _same(d: str, sign: str, d_again: str) -> bool:
    # a - d is written a + |d| when d < 0 and a - d when d >= 0.
    return abs(float(d) + float(f"{sign}{d_again}")) <= 1e-9 * max(1.0, abs(float(d)))


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _numbers(texts: np.ndarray) -> np.ndarray:
    number = pd.to_numeric(pd.Series(texts, dtype="str"), errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(number), number, np.nan)


def _numbers_of(texts: np.ndarray) -> np.ndarray:
    """The numbers cells hold, extrapolated ones (`*3.42`) included."""
    return classify_texts(_cell_texts(texts))[1]


def _cell_texts(texts: np.ndarray) -> list[str]:
    """The cells as texts, a missing one as "" (what `classify_cells` reads)."""
    listed: list[str] = texts.tolist()
    if all(type(text) is str for text in listed):
        return listed
    filled: list[str] = pd.Series(texts, dtype="str").fillna("").tolist()
    return filled


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return [read_bioplex(source.sheets, source.file, options.signal)]


def _recognise(source: Source) -> bool:
    return looks_like_bioplex(source.sheets)


BIOPLEX: Final = Format(
    name="bioplex",
    described="a Bio-Plex Manager workbook",
    software="Bio-Rad Bio-Plex Manager",
    export="`.xls` / `.xlsx` report, summary (merged replicates) or per-well",
    versions="4.1",
    plate_map="optional",
    recognised_by="a sheet with `Type`, `Well` and `FI` columns",
    kinds=("workbook",),
    recognise=_recognise,
    read=_read,
)
