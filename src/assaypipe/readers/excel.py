"""Excel workbooks (.xls through xlrd, .xlsx through openpyxl) as grids of cell texts.

Only this module touches the two libraries, so the format readers see one thing:
a list of sheets, each a list of rows of strings (numbers as a person reads them).
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from typing import Any, Final

from assaypipe.errors import InputError
from assaypipe.readers.cells import number_text

__all__ = ["Sheet", "is_workbook", "read_workbook"]

_XLS: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP: Final = b"PK\x03\x04"
# A workbook larger than this many cells is not a plate export.
_MAX_CELLS: Final = 2_000_000


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: tuple[tuple[str, ...], ...]


def is_workbook(data: bytes) -> bool:
    return data.startswith((_XLS, _ZIP))


def read_workbook(data: bytes, file: str) -> list[Sheet]:
    """All sheets of an .xls or .xlsx file as text; InputError if it cannot be opened."""
    if data.startswith(_XLS):
        return _read_xls(data, file)
    if data.startswith(_ZIP):
        return _read_xlsx(data, file)
    raise InputError(file, "this is not an Excel workbook")


def _read_xls(data: bytes, file: str) -> list[Sheet]:
    import xlrd

    try:
        # xlrd reports oddities of damaged files on stdout unless given a log file.
        with open(os.devnull, "w") as quiet:
            book = xlrd.open_workbook(
                file_contents=data, on_demand=True, logfile=quiet, verbosity=0
            )
            sheets = _xls_sheets(book, file)
    except InputError:
        raise
    except Exception as error:
        # xlrd signals a damaged file with many exception types (struct.error,
        # IndexError, AssertionError, XLRDError...); all mean the same to the user.
        raise InputError(
            file,
            f"the Excel (.xls) file is damaged or incomplete ({type(error).__name__}); "
            "export it again from the instrument software",
        ) from None
    return sheets


def _xls_sheets(book: Any, file: str) -> list[Sheet]:
    sheets = []
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        _check_size(sheet.nrows * sheet.ncols, file)
        rows = tuple(
            _trim(tuple(number_text(value) for value in sheet.row_values(r)))
            for r in range(sheet.nrows)
        )
        sheets.append(Sheet(sheet.name, rows))
    book.release_resources()
    return sheets


def _read_xlsx(data: bytes, file: str) -> list[Sheet]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise InputError(file, "this is a zip archive, not an Excel workbook; unpack it first")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = []
        for sheet in book.worksheets:
            cells = 0
            rows = []
            for values in sheet.iter_rows(values_only=True):
                cells += len(values)
                _check_size(cells, file)
                rows.append(_trim(tuple(number_text(value) for value in values)))
            sheets.append(Sheet(sheet.title, tuple(rows)))
        book.close()
    except InputError:
        raise
    except Exception as error:
        # As for xlrd: a broken zip or XML surfaces as many exception types.
        raise InputError(
            file,
            f"the Excel (.xlsx) file is damaged or incomplete ({type(error).__name__}); "
            "export it again from the instrument software",
        ) from None
    return sheets


def _check_size(n_cells: int, file: str) -> None:
    if n_cells > _MAX_CELLS:
        raise InputError(
            file, f"the workbook has more than {_MAX_CELLS} cells; a plate export has far fewer"
        )


def _trim(row: tuple[str, ...]) -> tuple[str, ...]:
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return row[:end]
