"""Workbooks as text grids: the .xlsx XML reader gives openpyxl's texts, faster."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from assaypipe.errors import InputError
from assaypipe.readers import excel, read_export
from tests.conftest import REALDATA


def every_kind_of_cell() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Results"
    sheet.append(["Measurement results", None, 3, 2.5, -1e-7, 12345678901234567.0])
    sheet.append([True, False, "#DIV/0!", "  padded  ", "µg/mL", "=1+1"])
    sheet.append([dt.datetime(2023, 6, 5, 18, 9, 56), dt.date(2021, 7, 8), dt.time(14, 34, 46)])
    sheet["D3"] = 1.5
    sheet["D3"].number_format = "0.00%"
    sheet["E3"] = dt.timedelta(hours=25)
    sheet["A5"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    sheet["Z7"] = "far right"
    book.create_sheet("Empty")
    third = book.create_sheet("Third")
    third["B2"] = 0.1 + 0.2
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def trimmed(sheets: list[excel.Sheet]) -> list[tuple[str, list[tuple[str, ...]]]]:
    """Sheets without their trailing empty rows (openpyxl pads to the sheet's size)."""
    out = []
    for sheet in sheets:
        rows = list(sheet.rows)
        while rows and not any(rows[-1]):
            rows.pop()
        out.append((sheet.name, rows))
    return out


def test_every_kind_of_cell_reads_as_openpyxl_reads_it() -> None:
    data = every_kind_of_cell()
    # Reference: openpyxl itself, through the same number_text.
    assert trimmed(excel.read_workbook(data, "x.xlsx").sheets) == trimmed(
        excel._read_xlsx_openpyxl(data, "x.xlsx")
    )
    rows = dict(trimmed(excel.read_workbook(data, "x.xlsx").sheets))["Results"]
    assert rows[0] == ("Measurement results", "", "3", "2.5", "-1e-07", "1.234567890123457e+16")
    assert rows[1][:3] == ("TRUE", "FALSE", "#DIV/0!")
    assert rows[2][0] == "2023-06-05 18:09:56"
    assert rows[4] == ("plain bold",)
    assert rows[6][25] == "far right"


@pytest.mark.realdata
def test_real_workbooks_read_as_openpyxl_reads_them(realdata: Path) -> None:
    files = sorted(REALDATA.rglob("*.xlsx"))
    assert files
    for path in files:
        data = path.read_bytes()
        assert trimmed(excel.read_workbook(data, str(path)).sheets) == trimmed(
            excel._read_xlsx_openpyxl(data, str(path))
        ), path.name


def rewritten(data: bytes, part: str, new: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, new if item.filename == part else source.read(item))
    return buffer.getvalue()


def test_a_part_this_reader_does_not_know_falls_back_to_openpyxl() -> None:
    data = every_kind_of_cell()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    # A cell reference this reader does not parse (openpyxl reads past it).
    odd = rewritten(data, "xl/worksheets/sheet1.xml", sheet.replace(b'r="A1"', b'r="a1"', 1))
    assert trimmed(excel.read_workbook(odd, "x.xlsx").sheets)[0][1][0][0] == "Measurement results"


def test_damaged_xml_is_one_sentence() -> None:
    data = rewritten(every_kind_of_cell(), "xl/worksheets/sheet1.xml", b"<worksheet><sheetD")
    with pytest.raises(InputError, match=r"damaged or incomplete .*export it again"):
        excel.read_workbook(data, "x.xlsx")


def test_a_zip_that_is_no_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("plate.csv", "a,b\n")
    with pytest.raises(InputError, match="zip archive, not an Excel workbook"):
        excel.read_workbook(buffer.getvalue(), "x.xlsx")


@pytest.mark.realdata
def test_a_sheet_lost_from_an_xls_sheet_list_is_named(realdata: Path, tmp_path: Path) -> None:
    original = REALDATA / "bioplex" / "bioplex41_summary_27plex_5pl.xls"
    data = bytearray(original.read_bytes())
    # The BOUNDSHEET record of sheet `Hu IL-7 (74)`: its type (0x0085) 12 bytes before
    # the name; a damaged type hides the sheet from xlrd without an error.
    name = data.index(b"\x0c\x00Hu IL-7 (74)") + 2
    assert data[name - 12 : name - 10] == b"\x85\x00"
    data[name - 12] = 0
    workbook = excel.read_workbook(bytes(data), "x.xls")
    assert len(workbook.sheets) == 27 and "Hu IL-7 (74)" not in {s.name for s in workbook.sheets}
    assert workbook.warnings == (
        "the workbook holds 28 worksheets but its sheet list names 27: the file is damaged "
        "and 1 sheet cannot be read; export it again from the instrument software",
    )
    assert excel.read_workbook(original.read_bytes(), "x.xls").warnings == ()
    path = tmp_path / "damaged.xls"
    path.write_bytes(bytes(data))
    plate = read_export(path)
    assert plate.warnings[0] == workbook.warnings[0]
