"""Results for the people who take them elsewhere: an Excel workbook for the lab and
column tables for GraphPad Prism.

``results/concentrations.xlsx`` holds a study sheet (one row per sample x analyte:
concentration, unit, censoring, flags, whether the statistics use it) and one sheet per
plate (its wells with their signal and concentration). Text from plate files and sheets
is data: a cell that would start with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) and is not a number gets a leading ``'`` so that no spreadsheet reads it as a
formula (CSV/formula injection).

``results/prism/<analyte>.csv`` holds, per analyte, the paired values the pre/post test
uses (same visits, same handling of values below the LLOQ): a row per subject, a pre and
a post column for all subjects and one pair per responder group, as Prism's column
tables take them (blank where a subject is not in the group).

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-3.5"), safe_cell("IL-6")
("'=HYPERLINK(1)", '-3.5', 'IL-6')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from assaypipe.errors import escaped
from assaypipe.figure_text import file_stem
from assaypipe.settings import DEFAULTS, PrepostSettings
from assaypipe.stats.frames import paired_values

__all__ = [
    "MAX_PLATE_SHEETS",
    "prism_tables",
    "safe_cell",
    "write_concentrations_workbook",
    "write_prism_tables",
]

# Beyond this many plates the workbook holds no per-plate sheets (wells.parquet does).
MAX_PLATE_SHEETS: Final = 250
# Excel's last row; a longer table is cut there, with a note in its sheet.
EXCEL_ROWS: Final = 1_048_576
# Excel's longest sheet name and longest text in a cell, in UTF-16 code units.
SHEET_NAME_UNITS: Final = 31
CELL_UNITS: Final = 32_767
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_SHEET_UNSAFE: Final = re.compile(r"[\[\]:*?/\\']")
# Characters a workbook cannot hold (XML 1.0): a sample name read from a plate file may.
_NOT_IN_WORKBOOK: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_STUDY_COLUMNS: Final = [
    "sample_id",
    "subject_id",
    "visit",
    "analyte",
    "concentration",
    "unit",
    "censor",
    "lloq",
    "uloq",
    "cv",
    "n_replicates",
    "flags",
    "plate_ids",
    "in_statistics",
]
_PLATE_COLUMNS: Final = [
    "well",
    "role",
    "sample_id",
    "analyte",
    "signal",
    "signal_kind",
    "concentration",
    "unit",
    "censor",
    "flags",
]


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet cell: text that a spreadsheet would take for a formula
    gets a leading ``'``, and control characters a workbook cannot hold are written as
    escapes (``\\x01``), and a text longer than a cell holds is cut, saying so; numbers
    and other text are kept; missing values are empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = escaped(value, _NOT_IN_WORKBOOK)
        length = len(value)
        if value.startswith(_FORMULA_START) and not _is_number(value):
            value = "'" + value
        if len(value) > CELL_UNITS // 2 and len(value.encode("utf-16-le")) // 2 > CELL_UNITS:
            # More than a cell holds: cut, saying so (the parquet tables hold it whole).
            note = f"… (cut at Excel's limit: {length:,} characters in all)"
            value = _excel_cut(value, CELL_UNITS - len(note)) + note
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sheet_names(plate_ids: Iterable[str]) -> dict[str, str]:
    """A distinct Excel sheet name (at most 31 characters as Excel counts them, UTF-16
    units; none of ``[]:*?/\\'``) per plate."""
    names: dict[str, str] = {}
    used = {"study"}
    for plate_id in plate_ids:
        base = _SHEET_UNSAFE.sub("_", str(plate_id)).strip() or "plate"
        name, n = _excel_cut(base, SHEET_NAME_UNITS), 1
        while name.casefold() in used:
            n += 1
            suffix = f" ({n})"
            name = _excel_cut(base, SHEET_NAME_UNITS - len(suffix)) + suffix
        used.add(name.casefold())
        names[plate_id] = name
    return names


def _excel_cut(text: str, units: int) -> str:
    """The longest start of ``text`` of at most ``units`` UTF-16 code units (Excel's
    measure: a letter beyond the Basic Multilingual Plane counts two).

    >>> _excel_cut("abc", 2), _excel_cut("a\U00020000b", 2), _excel_cut("a\U00020000b", 3)
    ('ab', 'a', 'a\U00020000')
    """
    out, used = [], 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            break
        out.append(char)
    return "".join(out)


def write_concentrations_workbook(
    wells: pd.DataFrame,
    samples: pd.DataFrame,
    included: pd.DataFrame,
    path: str | Path,
    max_plate_sheets: int = MAX_PLATE_SHEETS,
) -> Path:
    """The lab's workbook: the study sheet and one sheet per plate, up to
    ``max_plate_sheets`` plates (see the module). Written by XlsxWriter, row by row
    (``constant_memory``), every text a text: never a formula, a link or a number."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": True,
        },
    )
    _write_sheet(book, "study", _study(samples, included))
    plate_ids = sorted(wells["plate_id"].unique().tolist())
    if len(plate_ids) <= max_plate_sheets:
        names = sheet_names(plate_ids)
        for plate_id, plate in wells.groupby("plate_id", sort=True):
            _write_sheet(book, names[str(plate_id)], plate.reindex(columns=_PLATE_COLUMNS))
    else:
        note = book.add_worksheet("plates")
        note.write_string(
            0,
            0,
            f"{len(plate_ids)} plates: more than {max_plate_sheets}, so their wells are "
            "not written here, one sheet per plate; results/wells.parquet holds them",
        )
    book.close()
    return path


def _study(samples: pd.DataFrame, included: pd.DataFrame) -> pd.DataFrame:
    used = set(zip(included["sample_id"], included["analyte"], strict=True))
    keys = zip(samples["sample_id"], samples["analyte"], strict=True)
    study = samples.assign(in_statistics=["yes" if key in used else "no" for key in keys])
    return study.reindex(columns=_STUDY_COLUMNS).sort_values(["analyte", "sample_id"])


def _write_sheet(book: Any, name: str, frame: pd.DataFrame) -> None:
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, [safe_cell(column) for column in frame.columns])
    rows = frame.itertuples(index=False, name=None)
    for count, values in enumerate(rows, start=1):
        if count == EXCEL_ROWS - 1:
            sheet.write_string(
                count, 0, f"cut at Excel's last row: {len(frame) - count + 1} rows more"
            )
            return
        sheet.write_row(count, 0, [safe_cell(value) for value in values])


def prism_tables(
    samples: pd.DataFrame,
    groups: pd.Series,
    settings: PrepostSettings = DEFAULTS.prepost,
) -> dict[str, pd.DataFrame]:
    """Per analyte, the pre/post pairs as a Prism column table (see the module), with
    the visits and below-LLOQ policy of ``settings`` (the ``prepost`` section)."""
    pre, post = settings.pre, settings.post
    pairs = paired_values(samples, pre, post, settings.below_lloq.value)
    units = samples.groupby("analyte")["unit"].first().to_dict()
    labels = sorted(set(groups.tolist()))
    tables = {}
    for analyte, paired in pairs.items():
        unit = units.get(analyte, "")
        shown = f" ({unit})" if unit else ""
        table = pd.DataFrame(index=paired.index)
        table[f"{pre}{shown}"] = paired["pre"]
        table[f"{post}{shown}"] = paired["post"]
        for label in labels:
            member = paired.index.isin(groups.index[groups == label])
            table[f"{pre} {label}{shown}"] = paired["pre"].where(member)
            table[f"{post} {label}{shown}"] = paired["post"].where(member)
        tables[analyte] = table.rename_axis("subject_id").reset_index()
    return tables


def write_prism_tables(tables: dict[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """One CSV per analyte in ``folder`` (named by a safe slug of the analyte), and an
    index.csv naming each file's analyte."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    index = []
    for analyte, table in tables.items():
        path = folder / f"{file_stem(analyte)}.csv"
        _safe_frame(table).to_csv(path, index=False)
        written.append(path)
        index.append((path.name, analyte))
    _safe_frame(pd.DataFrame(index, columns=["file", "analyte"])).to_csv(
        folder / "index.csv", index=False
    )
    return written


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.rename(columns={c: safe_cell(str(c)) for c in frame.columns})
    for column in _text_columns(out):
        out[column] = out[column].map(safe_cell)
    return out


def _text_columns(frame: pd.DataFrame) -> Sequence[str]:
    return [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
