"""Workbooks as text grids: the .xlsx XML reader gives openpyxl's texts, faster."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from assaypipe.errors import InputError
from assaypipe.readers import excel, read_export
from tests import hostile
from tests.conftest import REALDATA, REPO

EXPORTS = REPO / "tests" / "data" / "exports"


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
        excel._read_xlsx_openpyxl(data, "x.xlsx")[0]
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
            excel._read_xlsx_openpyxl(data, str(path))[0]
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


def test_a_sheet_the_workbook_points_to_wrongly_is_named(tmp_path: Path) -> None:
    """A byte changed in the workbook's relationships (a sheet's part named wrongly):
    openpyxl, the fallback, passed over that sheet without a word, and a Bio-Plex plate
    lost one of its two analytes."""
    source = EXPORTS / "bioplex" / "summary_2plex.xlsx"
    data = source.read_bytes()
    rels = zipfile.ZipFile(io.BytesIO(data)).read("xl/_rels/workbook.xml.rels")
    damaged = rewritten(
        data,
        "xl/_rels/workbook.xml.rels",
        rels.replace(b"worksheets/sheet1.xml", b"w rksheets/sheet1.xml", 1),
    )
    workbook = excel.read_workbook(damaged, "x.xlsx")
    assert [sheet.name for sheet in workbook.sheets] == ["Hu IL-8 (54)"]
    assert workbook.warnings == (
        "the workbook's sheet list names 2 sheets but 1 sheet cannot be found in the file "
        "('Hu IL-6 (19)'): the file is damaged; export it again from the instrument software",
    )
    assert excel.read_workbook(data, "x.xlsx").warnings == ()
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(damaged)
    plate = read_export(path)
    assert set(plate.wells["analyte_raw"]) == {"Hu IL-8 (54)"}
    assert workbook.warnings[0] in plate.warnings


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


# --- bounded memory: hostile workbooks, measured in a child process ---------------------


def refused_within_budget(tmp_path: Path, name: str, data: bytes, message: str) -> float:
    """Read the workbook in a child process: refused in one sentence naming the file and
    matching `message`, within the reading budget; its peak RSS in MB."""
    path = tmp_path / name
    path.write_bytes(data)
    run = hostile.read_within_budget(path)
    assert run.error.startswith(f"InputError: {path}: ") and "\n" not in run.error
    assert re.search(message, run.error), run.error
    return run.peak_mb


def test_shared_strings_declaring_3_gb_are_refused_before_unpacking(tmp_path: Path) -> None:
    data = hostile.shared_string_bomb(gigabytes=3)
    assert len(data) < 4 * 2**20
    refused_within_budget(
        tmp_path, "bomb.xlsx", data, r"part 'xl/sharedStrings.xml' unpacks to 3,072 MB"
    )


def test_shared_strings_lying_about_their_size_stop_at_the_declared_size(tmp_path: Path) -> None:
    # zipfile unpacks a whole part in one call (up to 2 GB) before it cuts it to the
    # declared size: read in pieces, the lie ends as a damaged file.
    data = hostile.shared_string_bomb(gigabytes=3, declared=5_000)
    refused_within_budget(tmp_path, "liar.xlsx", data, r"damaged or incomplete \(BadZipFile\)")


def test_3000_cells_of_1_mb_inline_text_are_refused_before_unpacking(tmp_path: Path) -> None:
    data = hostile.sheet_of(hostile.inline_text_cell(2**20), 3_000, with_crc=False)
    refused_within_budget(tmp_path, "inline.xlsx", data, r"sheet1.xml' unpacks to 3,000 MB")


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path: Path) -> None:
    # 40 cells of 1 MB (40 MB: within the part's bound), and one of 40,000 characters.
    for rows, characters in ((40, 2**20), (1, 40_000)):
        data = hostile.sheet_of(hostile.inline_text_cell(characters), rows)
        refused_within_budget(
            tmp_path, f"long{rows}.xlsx", data, f"a cell holds {characters:,} characters"
        )
    fits = hostile.sheet_of(hostile.inline_text_cell(excel._MAX_TEXT), 1)
    assert excel.read_workbook(fits, "x.xlsx").sheets[0].rows == (("a" * excel._MAX_TEXT,),)


def test_a_sheet_of_more_tags_than_a_plate_export_is_refused_before_parsing(
    tmp_path: Path,
) -> None:
    # 1.9 million cells in 34 MB of XML: its parsed tree alone took 700 MB.
    row = b"<row>" + b"<c><v>1.25</v></c>" * 95 + b"</row>"
    data = hostile.sheet_of(row, 20_000)
    refused_within_budget(tmp_path, "dense.xlsx", data, r"more than 4,000,000 XML tags")


def test_a_workbook_at_the_bounds_is_read_within_budget(tmp_path: Path) -> None:
    # The worst within the bounds: 3.95 million empty cells (4 bytes of XML each, just
    # under the tag bound) are parsed, then refused by the cell bound.
    row = b"<row>" + b"<c/>" * 250 + b"</row>"
    peak = refused_within_budget(
        tmp_path, "empty.xlsx", hostile.sheet_of(row, 15_800), r"more than 1,000,000 cells"
    )
    assert peak > 250  # it was parsed: the bound, not an early exit, kept it small


def test_parts_that_together_unpack_beyond_the_bound_are_refused(tmp_path: Path) -> None:
    # Six parts of 47 MB each (each within the part's bound): 282 MB in all.
    data = hostile.extra_parts(6, 47 * 2**20)
    refused_within_budget(
        tmp_path, "many.xlsx", data, r"parts unpack to 282 MB, more than the 256 MB"
    )


@pytest.mark.parametrize("number", ["1048577", "999999999", "9" * 400])
def test_a_row_numbered_beyond_excels_rows_is_refused(tmp_path: Path, number: str) -> None:
    # The empty rows before a row numbered 999,999,999 were made one by one: 38 s and
    # 7.6 GB, and a number of 400 digits never ended.
    row = f'<row r="{number}"><c r="A{number}"><v>1.5</v></c></row>'.encode()
    refused_within_budget(
        tmp_path, "far_row.xlsx", hostile.sheet_of(row, 1), r"rows are numbered 1 to 1,048,576"
    )


def test_the_last_row_excel_has_is_read(tmp_path: Path) -> None:
    row = b'<row r="1048576"><c r="B1048576"><v>1.5</v></c></row>'
    (sheet,) = excel.read_workbook(hostile.sheet_of(row, 1), "x.xlsx").sheets
    assert len(sheet.rows) == 1_048_576 and sheet.rows[-1] == ("", "1.5")


def test_cells_a_row_is_padded_to_count_against_the_bound(tmp_path: Path) -> None:
    # One filled cell at column ZZZ (18,278) in each of 60 rows: 1.1 million cells once
    # the rows are padded, which is what a sheet holds in memory.
    row = b'<row><c r="ZZZ1"><v>1</v></c></row>'
    refused_within_budget(
        tmp_path, "wide.xlsx", hostile.sheet_of(row, 60), r"more than 1,000,000 cells"
    )
