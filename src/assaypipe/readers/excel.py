"""Excel workbooks (.xls through xlrd, .xlsx read here) as grids of cell texts.

Only this module touches the workbook libraries, so the format readers see one thing:
a list of sheets, each a list of rows of strings (numbers as a person reads them).

An .xlsx is read straight from its XML parts (shared strings, styles for dates, each
worksheet) with the standard library's C parser: instrument exports are often saved
with a thousand empty rows per sheet, which openpyxl walks several times (a 10-sheet
SkanIt export took 70-90 ms through openpyxl, 20-30 ms here). The texts are the ones
openpyxl gives (numbers, dates by the cell's number format, booleans, errors, rich
text); a part this reader does not understand falls back to openpyxl.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from xml.etree import ElementTree

from assaypipe.errors import InputError
from assaypipe.readers.cells import number_text

__all__ = ["Sheet", "Workbook", "is_workbook", "read_workbook"]

_XLS: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP: Final = b"PK\x03\x04"
# Bounds that keep reading any workbook within a few hundred MB (docs/formats.md). The
# largest plate export seen unpacks to 190 kB of sheet XML; a 384-well plate of 100
# analytes, one row per well x analyte, is under 1,000,000 cells.
_MAX_CELLS: Final = 1_000_000
# Excel's own limit on a sheet's rows.
_MAX_ROWS: Final = 1_048_576
# One part's unpacked XML (a sheet, the shared strings), read in pieces so that a part
# whose declared size lies stops at the bound too.
_MAX_PART_BYTES: Final = 48 * 1024 * 1024
# All parts together: a zip of thousands of parts would otherwise take minutes to unpack.
_MAX_TOTAL_BYTES: Final = 256 * 1024 * 1024
_PIECE_BYTES: Final = 1024 * 1024
# Markup (`<`) in one part: each XML element costs about 150 bytes once parsed.
_MAX_TAGS: Final = 4 * _MAX_CELLS
# Excel's own limit on a cell's text; a longer one was not written by Excel or an
# instrument's export.
_MAX_TEXT: Final = 32_767
_MAIN: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF: Final = re.compile(r"([A-Z]{1,3})\d+$")
# An empty row element (`<row r="998" ht="15.75"/>`): spreadsheet tools write a thousand
# of them per sheet; markup only, since a `<` in a cell's text is written `&lt;`.
_EMPTY_ROW: Final = re.compile(rb"<(?:\w+:)?row\b[^>]*/>")


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Workbook:
    """A workbook's sheets, and what the file itself shows amiss (for the plates' warnings)."""

    sheets: list[Sheet]
    warnings: tuple[str, ...] = ()


def is_workbook(data: bytes) -> bool:
    return data.startswith((_XLS, _ZIP))


def read_workbook(data: bytes, file: str) -> Workbook:
    """All sheets of an .xls or .xlsx file as text; InputError if it cannot be opened."""
    if data.startswith(_XLS):
        return _read_xls(data, file)
    if data.startswith(_ZIP):
        return _read_xlsx(data, file)
    raise InputError(file, "this is not an Excel workbook")


def _read_xls(data: bytes, file: str) -> Workbook:
    import xlrd

    try:
        # xlrd reports oddities of damaged files on stdout unless given a log file.
        with open(os.devnull, "w") as quiet:
            book = xlrd.open_workbook(
                file_contents=data, on_demand=True, logfile=quiet, verbosity=0
            )
            unlisted = _unlisted_worksheets(book)
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
    if not unlisted:
        return Workbook(sheets)
    return Workbook(
        sheets,
        (
            f"the workbook holds {_count(len(sheets) + unlisted, 'worksheet')} but its sheet "
            f"list names {len(sheets)}: the file is damaged and {_count(unlisted, 'sheet')} "
            "cannot be read; export it again from the instrument software",
        ),
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# BIFF records: a BOF (beginning of a substream) and the substream type of a worksheet.
_BOF: Final = 0x0809
_WORKSHEET: Final = 0x0010


def _unlisted_worksheets(book: Any) -> int:
    """Worksheets in the file's record stream that its sheet list does not name.

    xlrd reads the sheets the workbook's list (its BOUNDSHEET records) names; a damaged
    entry hides its sheet without an error. Every worksheet starts with a BOF record of
    type worksheet, so counting those finds what the list lost.
    """
    stream, position, found = book.mem, book.base, 0
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        if kind == _BOF and length >= 4 and position + 8 <= len(stream):
            found += struct.unpack_from("<H", stream, position + 6)[0] == _WORKSHEET
        position += 4 + length
    return max(found - int(book.nsheets), 0)


def _xls_sheets(book: Any, file: str) -> list[Sheet]:
    sheets = []
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        _check_size(sheet.nrows * sheet.ncols, file)
        rows = tuple(_trim(_row_texts(sheet.row_values(r), file)) for r in range(sheet.nrows))
        sheets.append(Sheet(sheet.name, rows))
    book.release_resources()
    return sheets


def _read_xlsx(data: bytes, file: str) -> Workbook:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in set(archive.namelist()):
                raise InputError(
                    file, "this is a zip archive, not an Excel workbook; unpack it first"
                )
            _check_declared_sizes(archive, file)
            try:
                return Workbook(_xlsx_sheets(archive, file))
            except (InputError, zipfile.BadZipFile, zlib.error):
                raise
            except _LongTextError as error:
                raise _long_text(file, error) from None
            except Exception:
                # A part written in a way this reader does not know: openpyxl's turn,
                # once every part is known to unpack to what it declares (openpyxl
                # unpacks a part whole, whatever its size).
                for member in archive.infolist():
                    _read_part(archive, member.filename, file)
                listed = _listed_sheets(archive, file)
        sheets, names = _read_xlsx_openpyxl(data, file)
    except InputError:
        raise
    except Exception as error:
        # A broken zip or XML surfaces as many exception types.
        raise _damaged(file, error) from None
    # openpyxl passes over a sheet whose part the workbook points to wrongly, silently.
    lost = [name for name in listed if name not in names]
    if not lost:
        return Workbook(sheets)
    return Workbook(
        sheets,
        (
            f"the workbook's sheet list names {_count(len(listed), 'sheet')} but "
            f"{_count(len(lost), 'sheet')} cannot be found in the file "
            f"({', '.join(_excerpt(name) for name in lost[:5])}"
            f"{', ...' if len(lost) > 5 else ''}): the file is damaged; export it again from "
            "the instrument software",
        ),
    )


def _listed_sheets(archive: zipfile.ZipFile, file: str) -> list[str]:
    """The sheet names the workbook's sheet list gives (none where it cannot be parsed)."""
    try:
        book = _xml(archive, "xl/workbook.xml", file)
    except ElementTree.ParseError:
        return []
    return [entry.get("name", "") for entry in book.iterfind(f"{_MAIN}sheets/{_MAIN}sheet")]


def _damaged(file: str, error: Exception) -> InputError:
    return InputError(
        file,
        f"the Excel (.xlsx) file is damaged or incomplete ({type(error).__name__}); "
        "export it again from the instrument software",
    )


def _xlsx_sheets(archive: zipfile.ZipFile, file: str) -> list[Sheet]:
    """The worksheets of an .xlsx, in the workbook's order, read from their XML."""
    from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

    names = set(archive.namelist())
    book = _xml(archive, "xl/workbook.xml", file)
    properties = book.find(f"{_MAIN}workbookPr")
    mac = properties is not None and properties.get("date1904") in ("1", "true")
    rels = _xml(archive, "xl/_rels/workbook.xml.rels", file)
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    strings: list[str] = []
    if "xl/sharedStrings.xml" in names:
        strings = [
            _string(item).replace("x005F_", "")
            for item in _xml(archive, "xl/sharedStrings.xml", file)
        ]
    dates = _date_styles(_xml(archive, "xl/styles.xml", file)) if "xl/styles.xml" in names else {}
    epoch = MAC_EPOCH if mac else WINDOWS_EPOCH
    sheets = []
    cells = 0
    for entry in book.iterfind(f"{_MAIN}sheets/{_MAIN}sheet"):
        target = targets[entry.get(f"{_REL}id")]
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        root = _xml(archive, part, file, drop=_EMPTY_ROW)
        if root.tag != f"{_MAIN}worksheet":
            continue  # a chart sheet or a dialog sheet holds no cells
        rows, counted = _sheet_rows(root, strings, dates, epoch, cells, file)
        cells = counted
        sheets.append(Sheet(entry.get("name", ""), rows))
    return sheets


def _check_declared_sizes(archive: zipfile.ZipFile, file: str) -> None:
    """Refuse a workbook whose parts say they unpack to more than a plate export holds,
    before any is unpacked."""
    for member in archive.infolist():
        if member.file_size > _MAX_PART_BYTES:
            raise _too_large(file, member.filename, member.file_size)
    total = sum(member.file_size for member in archive.infolist())
    if total > _MAX_TOTAL_BYTES:
        raise InputError(
            file,
            f"the workbook's parts unpack to {_megabytes(total)}, more than the "
            f"{_megabytes(_MAX_TOTAL_BYTES)} a plate export's workbook can be; check it is the "
            "right file",
        )


def _too_large(file: str, part: str, size: int) -> InputError:
    return InputError(
        file,
        f"the workbook's part {_excerpt(part)} unpacks to {_megabytes(size)}, more than the "
        f"{_megabytes(_MAX_PART_BYTES)} a plate export's workbook part can be; check it is "
        "the right file",
    )


def _read_part(archive: zipfile.ZipFile, part: str, file: str) -> bytes:
    """A part's bytes, unpacked a piece at a time up to `_MAX_PART_BYTES`."""
    pieces = []
    size = 0
    with archive.open(part) as stream:
        # zipfile stops at the declared size (and fails its CRC); reading in pieces keeps
        # it from unpacking a whole lying part at once before it does.
        while piece := stream.read(_PIECE_BYTES):
            size += len(piece)
            if size > _MAX_PART_BYTES:
                raise _too_large(file, part, size)
            pieces.append(piece)
    return b"".join(pieces)


def _xml(
    archive: zipfile.ZipFile, part: str, file: str, drop: re.Pattern[bytes] | None = None
) -> ElementTree.Element:
    data = _read_part(archive, part, file)
    if drop is not None:
        data = drop.sub(b"", data)
    if data.count(b"<") > _MAX_TAGS:
        # Counted before parsing: the parsed tree is what would not fit.
        raise InputError(
            file,
            f"the workbook's part {_excerpt(part)} holds more than {_MAX_TAGS:,} XML tags; "
            f"a plate export's sheet has far fewer (at most {_MAX_CELLS:,} cells are read)",
        )
    return ElementTree.fromstring(data)


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.0f} MB" if size >= 1024**2 else f"{size:,} bytes"


def _excerpt(text: str, most: int = 60) -> str:
    """A name from the file, quoted and cut short: it is shown, never trusted."""
    return repr(text if len(text) <= most else text[:most] + "...")


def _string(item: ElementTree.Element) -> str:
    """A shared or inline string: its text and its runs' texts (not phonetic hints)."""
    parts = []
    for child in item:
        if child.tag == f"{_MAIN}t":
            parts.append(child.text or "")
        elif child.tag == f"{_MAIN}r":
            parts.append(child.findtext(f"{_MAIN}t") or "")
    return _checked_text("".join(parts))


def _date_styles(styles: ElementTree.Element) -> dict[int, bool]:
    """The cell styles whose number format is a date or time (True: a duration)."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    custom = {
        int(item.get("numFmtId", "0")): item.get("formatCode", "")
        for item in styles.iterfind(f"{_MAIN}numFmts/{_MAIN}numFmt")
    }
    formats = styles.find(f"{_MAIN}cellXfs")
    found: dict[int, bool] = {}
    for index, style in enumerate(formats if formats is not None else ()):
        number_format = int(style.get("numFmtId", "0"))
        code = custom.get(number_format, BUILTIN_FORMATS.get(number_format))
        if code and is_date_format(code):
            found[index] = bool(is_timedelta_format(code))
    return found


def _sheet_rows(
    root: ElementTree.Element,
    strings: list[str],
    dates: dict[int, bool],
    epoch: Any,
    cells: int,
    file: str,
) -> tuple[tuple[tuple[str, ...], ...], int]:
    rows: list[tuple[str, ...]] = []
    body = root.find(f"{_MAIN}sheetData")
    for row in body if body is not None else ():
        number = int(row.get("r", len(rows) + 1))
        if not 1 <= number <= _MAX_ROWS:
            # Trusted, a row number of a damaged file would have millions of empty rows
            # made before it.
            raise InputError(
                file,
                f"a sheet's row is numbered {_excerpt(str(number))}, where an Excel sheet's "
                f"rows are numbered 1 to {_MAX_ROWS:,}; the workbook looks damaged",
            )
        # Rows the XML leaves out are empty rows.
        rows.extend(() for _ in range(number - 1 - len(rows)))
        if not len(row):
            rows.append(())
            continue
        texts: dict[int, str] = {}
        column = 0
        for cell in row:
            reference = cell.get("r")
            column = _column(reference) if reference else column + 1
            text = _cell_text(cell, strings, dates, epoch)
            if text:
                texts[column] = text
        width = max(texts, default=0)
        # A row holds the cells up to its last filled one: those are what it costs.
        cells += max(len(row), width)
        _check_size(cells, file)
        rows.append(tuple(texts.get(c, "") for c in range(1, width + 1)))
    return tuple(rows), cells


def _column(reference: str) -> int:
    match = _CELL_REF.match(reference)
    if match is None:
        raise ValueError(f"not a cell reference: {reference!r}")
    number = 0
    for letter in match.group(1):
        number = number * 26 + ord(letter) - 64
    return number


def _cell_text(
    cell: ElementTree.Element, strings: list[str], dates: dict[int, bool], epoch: Any
) -> str:
    """The cell's text as `number_text` writes openpyxl's value of it."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return number_text(_string(inline)) if inline is not None else ""
    value: Any = cell.findtext(f"{_MAIN}v") or None
    if value is None:
        return ""
    if kind == "n":
        value = float(value) if ("." in value or "e" in value or "E" in value) else int(value)
        style = int(cell.get("s", "0"))
        if style in dates:
            from openpyxl.utils.datetime import from_excel

            try:
                value = from_excel(value, epoch, timedelta=dates[style])
            except (OverflowError, ValueError):
                value = "#VALUE!"
    elif kind == "s":
        value = strings[int(value)]
    elif kind == "b":
        value = bool(int(value))
    elif kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        value = from_ISO8601(value)
    return number_text(value)


def _read_xlsx_openpyxl(data: bytes, file: str) -> tuple[list[Sheet], list[str]]:
    """The worksheets as openpyxl reads them, and the names of every sheet it found."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = []
    cells = 0  # over the whole workbook, as `_xlsx_sheets` counts them
    for sheet in book.worksheets:
        rows = []
        for values in sheet.iter_rows(values_only=True):
            cells += len(values)
            _check_size(cells, file)
            rows.append(_trim(_row_texts(values, file)))
        sheets.append(Sheet(sheet.title, tuple(rows)))
    names = list(book.sheetnames)
    book.close()
    return sheets, names


def _check_size(n_cells: int, file: str) -> None:
    if n_cells > _MAX_CELLS:
        raise InputError(
            file, f"the workbook has more than {_MAX_CELLS:,} cells; a plate export has far fewer"
        )


class _LongTextError(ValueError):
    """A cell's text longer than Excel allows (named by the caller, which knows the file)."""

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length


def _checked_text(text: str) -> str:
    if len(text) > _MAX_TEXT:
        raise _LongTextError(len(text))
    return text


def _long_text(file: str, error: _LongTextError) -> InputError:
    return InputError(
        file,
        f"a cell holds {error.length:,} characters of text, more than the {_MAX_TEXT:,} "
        "Excel allows; the workbook was not written by Excel or an instrument's export",
    )


def _row_texts(values: Iterable[Any], file: str) -> tuple[str, ...]:
    """A row's values as text, each within Excel's limit on a cell's text."""
    texts = tuple(number_text(value) for value in values)
    longest = max(map(len, texts), default=0)
    if longest > _MAX_TEXT:
        raise _long_text(file, _LongTextError(longest))
    return texts


def _trim(row: tuple[str, ...]) -> tuple[str, ...]:
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return row[:end]
