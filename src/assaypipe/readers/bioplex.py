"""Bio-Rad Bio-Plex Manager Excel exports (.xls, .xlsx) into wells.

One sheet per analyte (the sheet or its `Analyte:` line names it), each with a few
`Key: value` lines (File Name, Analyte, Acquisition Date, Reader Serial Number,
Plate ID), a table with the columns `Type`, `Well`, `Outlier`, `Description`, `FI`,
`FI - Bkgd`, ..., `Obs Conc`, `Exp Conc`, ..., `Dilution`, `Sampling Errors`, and a
footer (`Regression Type: Logistic - 5PL`, `Std. Curve: FI = ...`,
`FitProb. = ..., ResVar. = ...`). A `Project Template` sheet, when present, gives
the software version and the standards' lot.

Two table layouts exist. The summary layout merges replicate wells into one row
(`Well` = `C1,D1`, FI the replicates' mean); each of those wells gets the row's values
and the flag `replicate_mean`, because its own reading is not in the file. The
per-well layout has one row per well; when a sheet holds both tables the per-well
one is used.

`Type` codes: `B` blank, `S<n>` standard n, `C<n>` control n, `X<n>` (and anything
else) a sample, named by its `Description` (or the code when that is empty).
`Outlier` set flags the well `vendor_outlier`; a `Sampling Errors` entry flags it
`vendor_sampling_error`. Cell tokens: `OOR <`, `OOR >`, `*12.3` (extrapolated),
`***` (not available: not_reported), `---` (designated an outlier: masked).

Bio-Plex's fitted curve, FI = d + (a - d) / (1 + (Conc / c)^b)^g, is DESIGN.md's
model letter for letter; its parameters and Obs Conc go to the vendor results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers.cells import classify_cells, parse_well, vendor_frame, wells_frame
from assaypipe.readers.excel import Sheet
from assaypipe.readers.parsed import ParsedPlate
from assaypipe.readers.protocol import Format, ReadOptions, Source

__all__ = ["BIOPLEX", "AnalyteSheet", "BioplexTable", "looks_like_bioplex", "read_bioplex"]

SIGNAL_COLUMNS: Final = {"median": "FI", "net_mfi": "FI - Bkgd"}
_TYPE: Final = re.compile(r"^(?:(?P<blank>B\d*)|S(?P<standard>\d+)|C(?P<control>\d+))$", re.I)
_NUMBER: Final = r"([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
_CURVE: Final = re.compile(
    rf"^FI={_NUMBER}\+\({_NUMBER}([+-]){_NUMBER}\)/\(*1\+\(Conc/{_NUMBER}\)\^{_NUMBER}\)*"
    rf"(?:\^{_NUMBER})?$",
    re.IGNORECASE,
)
_TRUE: Final = frozenset({"1", "true", "yes", "x"})
_SAMPLE_TYPE: Final = re.compile(r"^X\d+$", re.IGNORECASE)
# Bio-Plex names each analyte's sheet with its bead region: "Hu IL-6 (19)".
_BEAD_REGION: Final = re.compile(r"\(\d+\)\s*$")
_WELL_LIST: Final = re.compile(r"^[A-P](?:[1-9]|1\d|2[0-4])(?:\s*,\s*[A-P](?:[1-9]|1\d|2[0-4]))*$")


@dataclass(frozen=True)
class BioplexTable:
    """One table of a sheet: its header row and data rows (with sheet row numbers)."""

    header: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], int], ...]

    def column(self, name: str) -> int | None:
        wanted = name.casefold()
        return next((i for i, h in enumerate(self.header) if h.casefold() == wanted), None)

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


def _analyte_sheet(sheet: Sheet, file: str) -> AnalyteSheet | None:
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
            raise InputError(
                file,
                f"sheet {sheet.name!r} names analyte {info['Analyte']!r} but has no table with "
                "Type, Well and FI columns; the sheet looks damaged",
            )
        return None
    per_well = [table for table in tables if table.per_well]
    table = per_well[-1] if per_well else tables[0]
    analyte = info.get("Analyte") or sheet.name.strip()
    return AnalyteSheet(sheet.name, analyte, info, table, tuple(footer))


def read_bioplex(sheets: list[Sheet], file: str, signal: str = "median") -> ParsedPlate:
    """Wells (unvalidated), run metadata and Bio-Plex's own results of one workbook."""
    analyte_sheets = [s for sheet in sheets if (s := _analyte_sheet(sheet, file)) is not None]
    named = {analyte_sheet.name for analyte_sheet in analyte_sheets}
    for other in sheets:
        if other.name not in named:
            _check_other_sheet(other, file)
    names = [sheet.analyte for sheet in analyte_sheets]
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise InputError(file, f"two sheets both hold analyte {repeated!r}; each should be one")
    if not analyte_sheets:
        raise InputError(file, "the workbook has no sheet with Type, Well and FI columns")
    records: list[tuple[object, ...]] = []
    vendor_rows: list[tuple[str, str | None, str, str]] = []
    well_sets: list[set[str]] = []
    for sheet in analyte_sheets:
        own, footer = _sheet_records(sheet, file, signal)
        records.extend(own)
        vendor_rows.extend(
            (sheet.analyte, str(record[0]), "concentration", str(record[-1])) for record in own
        )
        vendor_rows.extend(footer)
        well_sets.append({str(record[0]) for record in own})
    for sheet, own_wells in zip(analyte_sheets[1:], well_sets[1:], strict=True):
        if own_wells != well_sets[0]:
            odd = sorted(own_wells ^ well_sets[0])[0]
            has = analyte_sheets[0].name if odd in well_sets[0] else sheet.name
            lacks = sheet.name if odd in well_sets[0] else analyte_sheets[0].name
            raise InputError(
                file,
                f"sheet {has!r} has well {odd} but sheet {lacks!r} does not; every analyte "
                "sheet should list the same wells, so the file looks edited or damaged",
            )
    wells = _wells(records, signal)
    vendor = vendor_frame(vendor_rows)
    first = analyte_sheets[0].info
    template = _template(sheets)
    software = template.get("Analysis Software", "")
    version = re.search(r"(\d+(?:\.\d+)+)", software)
    batch = first.get("Plate ID", "") or _stem(first.get("File Name", ""))
    meta = {
        "format": "bioplex",
        "instrument": template.get("Instrument/Reader", ""),
        "software": "Bio-Plex Manager",
        "software_version": version.group(1) if version else software,
        "serial_number": first.get("Reader Serial Number", ""),
        "batch": batch,
        "run_time": first.get("Acquisition Date", ""),
        "kit_lot": template.get("Standards Lot #", "") or template.get("Kit Lot #", ""),
        "unit": template.get("Units of Concentration", ""),
    }
    return ParsedPlate(wells=wells, meta=meta, vendor=vendor)


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


def _sheet_records(
    sheet: AnalyteSheet, file: str, signal: str
) -> tuple[list[tuple[object, ...]], list[tuple[str, str | None, str, str]]]:
    """One record per well of the sheet (the last field is Obs Conc), and the footer's
    vendor rows."""
    table = sheet.table
    columns = {
        name: table.column(name)
        for name in (
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
        )
    }
    signal_column = columns[SIGNAL_COLUMNS[signal]]
    if signal_column is None:
        raise InputError(file, f"sheet {sheet.name!r} has no {SIGNAL_COLUMNS[signal]!r} column")

    def cell(row: tuple[str, ...], name: str) -> str:
        index = columns[name]
        return row[index].strip() if index is not None and index < len(row) else ""

    records: list[tuple[object, ...]] = []
    seen: dict[str, int] = {}
    for row, number in table.rows:
        where = f"sheet {sheet.name!r} row {number}"
        code = cell(row, "Type")
        well_text = cell(row, "Well")
        if not code and not well_text:
            continue
        wells = [text.strip() for text in well_text.split(",")]
        parsed = [parse_well(text) for text in wells]
        if not well_text or None in parsed:
            bad = next((t for t, p in zip(wells, parsed, strict=True) if p is None), well_text)
            raise InputError(
                file,
                f"{bad!r} is not a plate well; expected A1 to H12 (or P24), or a list like C1,D1",
                where=where,
            )
        match = _TYPE.match(code)
        if match and match.group("blank"):
            role, level = "blank", None
        elif match and match.group("standard"):
            role, level = "standard", int(match.group("standard"))
        elif match and match.group("control"):
            role, level = "control", int(match.group("control"))
        else:
            role, level = "sample", None
        name = cell(row, "Description") or code
        dilution_text = cell(row, "Dilution")
        dilution = _float(dilution_text) if dilution_text else 1.0
        if not (np.isfinite(dilution) and dilution > 0):
            raise InputError(
                file, f"dilution {dilution_text!r} is not a number above 0", where=where
            )
        flags = []
        if len(parsed) > 1:
            flags.append("replicate_mean")
        if cell(row, "Outlier").casefold() in _TRUE:
            flags.append("vendor_outlier")
        if cell(row, "Sampling Errors"):
            flags.append("vendor_sampling_error")
        for well in (p for p in parsed if p is not None):
            if well in seen:
                raise InputError(
                    file,
                    f"well {well} appears twice in sheet {sheet.name!r} (rows {seen[well]} and "
                    f"{number}); each well should appear once",
                    where=where,
                )
            seen[well] = number
            records.append(
                (
                    well,
                    sheet.analyte,
                    role,
                    name,
                    level,
                    cell(row, "Exp Conc") if role in ("standard", "control") else "",
                    dilution,
                    row[signal_column] if signal_column < len(row) else "",
                    ";".join(flags),
                    cell(row, "Obs Conc"),
                )
            )
    if not records:
        raise InputError(file, f"sheet {sheet.name!r} has a table header but no wells")
    return records, _footer(sheet)


def _wells(records: list[tuple[object, ...]], signal: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        records,
        columns=[
            "well",
            "analyte",
            "role",
            "name",
            "level",
            "expected",
            "dilution",
            "text",
            "flags",
            "obs",
        ],
    )
    raw_text = frame["text"].astype("str")
    tokens, values = classify_cells(raw_text)
    named = frame["role"].isin(["sample", "control"])
    return wells_frame(
        len(frame),
        well=frame["well"].to_numpy(dtype=object),
        analyte=frame["analyte"].to_numpy(dtype=object),
        role=frame["role"].to_numpy(dtype=object),
        sample_name=frame["name"].to_numpy(dtype=object),
        sample_id=frame["name"].where(named, None).to_numpy(dtype=object),
        level=pd.array(frame["level"].to_numpy(), dtype="Int64"),
        expected_conc=_numbers(frame["expected"]),
        dilution=frame["dilution"].to_numpy(dtype=float),
        signal=values.to_numpy(),
        signal_kind=SIGNAL_COLUMNS[signal],
        raw_text=raw_text.to_numpy(dtype=object),
        token=tokens.to_numpy(dtype=object),
        flags=frame["flags"].to_numpy(dtype=object),
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


def _same(d: str, sign: str, d_again: str) -> bool:
    # a - d is written a + |d| when d < 0 and a - d when d >= 0.
    return abs(float(d) + float(f"{sign}{d_again}")) <= 1e-9 * max(1.0, abs(float(d)))


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _numbers(texts: pd.Series) -> np.ndarray:
    number = pd.to_numeric(texts.astype("str"), errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(number), number, np.nan)


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
