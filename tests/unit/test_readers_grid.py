"""Plain 8 x 12 and 16 x 24 grids (CSV, TSV, Excel) with a plate map."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from assaypipe.errors import MAX_MESSAGE, InputError
from assaypipe.readers import read_export
from assaypipe.readers.grid import MAX_LINES
from tests import hostile
from tests.conftest import by_well

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
GRID = EXPORTS / "grid/grid_8x12.csv"
BARE_384 = EXPORTS / "grid/grid_16x24_bare_decimal_comma.tsv"
GRID_MAP = EXPORTS / "plate_maps/plate_map_grid.csv"


def write(tmp_path: Path, text: str, name: str = "grid.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_labelled_grid_with_a_grid_plate_map() -> None:
    plate = read_export(GRID, plate_map=GRID_MAP)
    wells = by_well(plate.wells)
    assert len(wells) == 96
    # Column 12 names only A12 and B12 (Blank): the others are read but have no role.
    unassigned = wells.index[wells["role"] == "unassigned"].tolist()
    assert unassigned == [f"{r}12" for r in "CDEFGH"]
    assert plate.warnings == (
        "6 wells have a reading but no role (the export names none and the plate map has "
        "no row for them): C12, D12, E12, F12, G12, H12; they are kept with the role "
        "unassigned; add them to the plate map if they hold anything",
    )
    assert plate.meta["format"] == "grid"
    assert (wells["signal_kind"] == "OD450").all()  # the grid's title
    assert (wells.loc["C1", "role"], wells.loc["C1", "level"]) == ("standard", 3)
    assert wells.loc["C1", "expected_conc"] == 250.0
    assert (wells.loc["A3", "sample_id"], wells.loc["A3", "dilution"]) == ("P01", 2.0)
    assert wells.loc["A12", "role"] == "blank"
    assert (wells.loc["B4", "raw_text"], wells.loc["B4", "token"]) == ("OVRFLW", "overflow")
    assert wells.loc["H11", "signal"] == 0.811
    assert (wells["analyte"] == "OD").all()


def test_a_grid_without_a_plate_map_is_read_without_roles() -> None:
    plate = read_export(GRID)
    assert len(plate.wells) == 96 and (plate.wells["role"] == "unassigned").all()
    assert (plate.wells["analyte"] == "OD").all()
    assert plate.warnings == (
        "the export names no well roles and there is no plate map: its 96 wells are read "
        "without a role and no curve is fitted; give the plate a plate map "
        "(resources/layouts/<plate_id>.csv)",
    )


def test_bare_384_grid_with_decimal_commas(tmp_path: Path) -> None:
    layout = "well,role,sample_id\n" + "".join(
        f"{r}{c},sample,S{r}{c}\n" for r in "ABCDEFGHIJKLMNOP" for c in range(1, 25)
    )
    plate = read_export(BARE_384, plate_map=write(tmp_path, layout, "map.csv"))
    wells = by_well(plate.wells)
    assert len(wells) == 384
    assert (wells.loc["P24", "raw_text"], wells.loc["P24", "signal"]) == ("15,023", 15.023)
    assert wells.loc["A1", "signal"] == 0.0
    assert (wells["signal_kind"] == "value").all()


def test_grid_in_an_excel_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NfL plate 4, read 450 nm"])
    sheet.append([None, *range(1, 13)])
    for r, row in enumerate("ABCDEFGH"):
        sheet.append([row, *(0.1 * r + 0.01 * c for c in range(1, 13))])
    path = tmp_path / "grid.xlsx"
    book.save(path)
    plate = read_export(path, plate_map=GRID_MAP)
    wells = by_well(plate.wells)
    assert len(wells) == 96 and (wells["role"] != "unassigned").sum() == 90
    assert wells.loc["B2", "signal"] == pytest.approx(0.12)
    assert (wells["signal_kind"] == "NfL plate 4, read 450 nm").all()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("\r\nH,", "\r\nX,"), "expected plate row H of an 8 x 12 grid"),
        (lambda t: t.replace("\r\nH,", "\r\n\r\nH,"), "expected plate row H of an 8 x 12 grid"),
        (lambda t: t.replace("\r\nC,", "\r\nC,0.5,"), "row C has 13 cells for 12 columns"),
        (lambda t: t + t, "the file holds 2 plate grids"),
    ],
)
def test_damaged_grids(tmp_path: Path, edit, message: str) -> None:
    text = GRID.read_bytes().decode("utf-8")
    with pytest.raises(InputError, match=message):
        read_export(write(tmp_path, edit(text)), plate_map=GRID_MAP)


def test_ten_million_short_lines_are_refused_at_once_within_budget(tmp_path: Path) -> None:
    # 40 MB of `1,2`: the grid search once took 226 s and 3.3 GB on it.
    path = tmp_path / "lines.csv"
    path.write_bytes(b"1,2\n" * 10_000_000)
    run = hostile.read_within_budget(path)
    assert run.error == (
        f"InputError: {path}: the file holds 10,000,000 lines, more than the 1,000,000 a "
        "plate export can hold; check it is the right file"
    )


def test_a_text_longer_than_a_grid_export_is_not_searched_for_a_grid(tmp_path: Path) -> None:
    # Within the text's bounds: the grid gives up on the line count, and every format
    # has said no, so the file is one no format reads.
    path = tmp_path / "lines.csv"
    path.write_bytes(b"1,2\n" * 900_000)
    run = hostile.read_within_budget(path)
    assert run.error.startswith(f"InputError: {path}: not a supported plate export")
    # A grid after MAX_LINES lines of notes is not found; one before is.
    grid = GRID.read_text(encoding="utf-8")
    notes = "note\n" * (MAX_LINES - grid.count("\n"))
    assert read_export(write(tmp_path, notes + grid)).wells["well"].nunique() == 96
    with pytest.raises(InputError, match="not a supported plate export"):
        read_export(write(tmp_path, "note\n" + notes + grid))


def test_a_cell_of_100_kb_is_quoted_short(tmp_path: Path) -> None:
    lines = GRID.read_text(encoding="utf-8").splitlines()
    row_b = next(i for i, line in enumerate(lines) if line.startswith("B"))
    lines[row_b] = "x" * 100_000 + lines[row_b][1:]  # (csv reads fields up to 128 kB)
    with pytest.raises(InputError) as raised:
        read_export(write(tmp_path, "\n".join(lines) + "\n"))
    assert raised.value.message == (f"expected plate row B of an 8 x 12 grid, found '{'x' * 56}...")
    assert raised.value.where == f"line {row_b + 1}"


def test_no_message_quotes_a_megabyte() -> None:
    # Every InputError is cut to MAX_MESSAGE characters, its start and end kept.
    error = InputError("plate.csv", "found " + "x" * 2**20 + "; export it again")
    assert len(error.message) == MAX_MESSAGE
    assert error.message.startswith("found xxx") and error.message.endswith("; export it again")
