"""BMG LABTECH MARS CSV exports (assaypipe.readers.mars)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from assaypipe.errors import InputError
from assaypipe.readers import read_export, read_exports
from assaypipe.readers.mars import MARS, looks_like_mars
from assaypipe.readers.protocol import Source
from assaypipe.readers.registry import format_of
from tests.conftest import by_well

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports" / "mars"
PLATE_VIEW = EXPORTS / "plate_view_layout_two_reads.csv"
TABLE_VIEW = EXPORTS / "table_view_fp_semicolon.csv"

HEADER = (
    "User: USER,Path: C:\\Program Files (x86)\\BMG\\PHERAstar\\User\\Data,Test run no.: 4\n"
    "Test name: Test,Date: 29/02/2016,Time: 14:34:46\n\nID1: P1,ID2:\n{mode}\n\n"
)


def write(tmp_path: Path, body: str, mode: str = "Absorbance", name: str = "run.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER.format(mode=mode) + body, encoding="utf-8")
    return path


def grid(title: str, rows: dict[str, list[str]], columns: int = 12) -> str:
    lines = [title, "", "," + ",".join(str(c) for c in range(1, columns + 1))]
    lines += [f"{row}," + ",".join(cells) for row, cells in rows.items()]
    return "\n".join(lines) + "\n\n"


def test_both_fixtures_are_recognised_as_mars_and_before_the_plain_grid() -> None:
    for path in (PLATE_VIEW, TABLE_VIEW):
        assert format_of(Source(path.read_bytes(), str(path))) is MARS


def test_a_file_not_starting_with_a_user_field_is_not_mars() -> None:
    assert not looks_like_mars(["Software Version\t3.11", "User: me", "Test name: x"])
    assert not looks_like_mars(["User: me", "Nothing else"])
    assert looks_like_mars(["\ufeffUser: USER", "Path: C:\\BMG", "Test ID: 7"])


def test_plate_view_reads_the_first_raw_data_and_names_the_read_not_used() -> None:
    plate = read_export(PLATE_VIEW)
    wells = by_well(plate.wells)
    # Values read by eye from the fixture's `1. Raw Data (450 1)` grid.
    assert wells.loc["A1", "signal"] == pytest.approx(2.842)
    assert wells.loc["F4", "signal"] == pytest.approx(1.118)
    assert set(wells["signal_kind"]) == {"OD450"}
    # Only the wells read or named in the layout: columns 1-4, not H3/H4.
    assert len(wells) == 30 and "H3" not in wells.index and "A5" not in wells.index
    assert any("`Raw Data (620 2)` (OD620)" in w for w in plate.warnings)
    assert plate.meta["format"] == "mars"
    assert plate.meta["instrument"] == "CLARIOstar"
    assert plate.meta["software"] == "MARS"
    assert plate.meta["batch"] == "NfL ELISA"
    assert plate.meta["plate_name"] == "NfL plate 3"
    assert plate.meta["run_time"] == "14/03/2024 10:02:11"


def test_the_layout_gives_roles_levels_names_and_the_standards_concentrations() -> None:
    wells = by_well(read_export(PLATE_VIEW).wells)
    standards = wells[wells["role"] == "standard"]
    assert sorted(set(standards["level"].tolist())) == [1, 2, 3, 4, 5, 6]
    # Concentrations (pg/ml) grid of the fixture, by eye.
    assert wells.loc["A1", "expected_conc"] == 1000
    assert wells.loc["F2", "expected_conc"] == pytest.approx(0.977)
    assert set(wells["unit"]) == {"pg/mL"}
    assert sorted(wells.index[wells["role"] == "blank"]) == ["G1", "G2", "H1", "H2"]
    assert wells.loc["F3", "role"] == "control" and wells.loc["F3", "sample_id"] == "N"
    assert wells.loc["F4", "role"] == "control" and wells.loc["F4", "sample_id"] == "P"
    assert wells.loc["A3", "sample_id"] == "X1" and wells.loc["A4", "sample_id"] == "X1"
    assert wells.loc["G3", "role"] == "sample" and wells.loc["G3", "sample_id"] == "X6"


def test_blank_corrected_values_are_kept_as_mars_computed_them() -> None:
    plate = read_export(PLATE_VIEW)
    wells = by_well(plate.wells)
    vendor = plate.vendor.set_index("well")
    corrected = vendor[vendor["quantity"] == "Blank corrected based on Raw Data (450 1)"]
    assert len(corrected) == 30 and corrected["basis"].isna().all()
    # Independent reference: MARS subtracts the mean of the blank wells from each raw
    # value (both exported with three decimals, hence the tolerance).
    blank = wells.loc[wells["role"] == "blank", "signal"].mean()
    expected = wells["signal"] - blank
    np.testing.assert_allclose(corrected.loc[expected.index, "value"], expected, atol=0.0011)


@pytest.mark.parametrize("wanted", ["620", "2", "Raw Data (620 2)", "OD620"])
def test_wells_read_picks_another_read(wanted: str) -> None:
    plate = read_export(PLATE_VIEW, read=wanted)
    wells = by_well(plate.wells)
    assert wells.loc["A1", "signal"] == pytest.approx(0.041)
    assert set(wells["signal_kind"]) == {"OD620"}
    assert any("`Raw Data (450 1)` (OD450)" in w for w in plate.warnings)


def test_wells_read_can_name_a_value_mars_calculated() -> None:
    plate = read_export(PLATE_VIEW, read="Blank corrected based on Raw Data (450 1)")
    assert by_well(plate.wells).loc["A1", "signal"] == pytest.approx(2.788)
    assert any("a value MARS calculated" in w for w in plate.warnings)


def test_a_read_the_export_does_not_hold_is_refused_naming_those_it_holds() -> None:
    with pytest.raises(InputError, match=r"`Raw Data \(450 1\)`, `Raw Data \(620 2\)`"):
        read_export(PLATE_VIEW, read="405")


def test_table_view_with_semicolons_and_decimal_commas_places_wells_on_384() -> None:
    plate = read_export(TABLE_VIEW)
    wells = by_well(plate.wells)
    assert wells.loc["A1", "signal"] == 31250.0 and wells.loc["A1", "raw_text"] == "31250,0"
    assert wells.loc["P24", "signal"] == 18310.0 and wells.loc["O23", "signal"] == 18422.5
    assert wells.loc["A1", "role"] == "standard" and wells.loc["A1", "level"] == 1
    assert wells.loc["A1", "sample_name"] == "Standard S1"
    assert wells.loc["C1", "role"] == "blank"
    assert wells.loc["P24", "sample_id"] == "X1"
    # A well with a reading and no content has no role until a plate map gives one.
    assert wells.loc["P23", "role"] == "unassigned"
    assert set(wells["signal_kind"]) == {"Fluorescence 485/520 [1]"}
    assert plate.meta["plate_name"] == "FP-07" and plate.meta["run_time"] == "16.12.2021 14:32:12"


def test_table_view_calculated_column_matches_the_two_channels() -> None:
    plate = read_export(TABLE_VIEW)
    parallel = by_well(plate.wells)["signal"]
    perpendicular = by_well(read_export(TABLE_VIEW, read="2").wells)["signal"]
    mp = plate.vendor[plate.vendor["quantity"] == "mP"].set_index("well")["value"]
    # Independent reference: polarization in mP from the export's own two channels.
    expected = 1000 * (parallel - perpendicular) / (parallel + perpendicular)
    np.testing.assert_allclose(mp.loc[expected.index], expected, atol=0.006)


def test_a_1536_well_grid_is_refused_saying_so(tmp_path: Path) -> None:
    rows = {"A": [str(n) for n in range(48)], "e": [str(n) for n in range(48)]}
    path = write(tmp_path, grid("Raw Data (No filter)", rows, columns=48), "Luminescence")
    with pytest.raises(InputError, match=r"line 9: .*1536-well plate \(48 columns; rows A, e\)"):
        read_export(path)


@pytest.mark.parametrize("label", ["", "7", "B?"])
def test_a_grid_line_without_its_row_letter_is_refused_naming_it(
    tmp_path: Path, label: str
) -> None:
    # Such a line ended the grid: the rows after it were left out without a word (a
    # plate of 16 rows read as one row of 12 wells).
    rows = {letter: ["1.0", "2.0"] for letter in "ABCD"}
    body = grid("Raw Data (450)", rows, columns=2).replace("\nB,", f"\n{label},")
    expected = f"line 11: expected a plate row letter .*found {re.escape(repr(label))}"
    with pytest.raises(InputError, match=expected):
        read_export(write(tmp_path, body))


def test_a_two_letter_row_is_a_1536_well_plates(tmp_path: Path) -> None:
    # `"AB" in "ABC..."` held: its wells were named AB1, AB2, which nothing could place.
    rows = {"A": ["1.0", "2.0"], "AB": ["3.0", "4.0"]}
    with pytest.raises(InputError, match=r"1536-well plate \(2 columns; rows A, AB\)"):
        read_export(write(tmp_path, grid("Raw Data (450)", rows, columns=2)))


def test_a_kinetic_table_is_refused_as_holding_no_endpoint_value(tmp_path: Path) -> None:
    body = (
        "Well Row,Well Col,Content,Raw Data (600),Raw Data (600)\n"
        ",,Time,0 h ,0 h 15 min\nA,1,Sample X1,0.081,0.097\n"
    )
    with pytest.raises(InputError, match="kinetic read: the table holds 2 time points"):
        read_export(write(tmp_path, body))


def test_a_spectral_scan_is_refused(tmp_path: Path) -> None:
    body = "Well,Content,Raw Data (Abs Spectrum),Raw Data (Abs Spectrum)\n"
    body += ",Wavelength [nm],260,261\nA01,Sample X1,1.2,1.3\n"
    with pytest.raises(InputError, match="spectral scan"):
        read_export(write(tmp_path, body, "Absorbance spectrum"))


def test_a_run_of_cycles_is_refused_as_kinetic(tmp_path: Path) -> None:
    one = grid("1. Raw Data (450)", {"A": ["0.1", "0.2"]}, columns=2)
    body = f"Cycle 1 (0 min)\n{one}Cycle 2 (5 min)\n{one}"
    with pytest.raises(InputError, match="kinetic read: the export holds 2 cycles"):
        read_export(write(tmp_path, body))


def test_an_export_with_no_grid_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no plate data"):
        read_export(write(tmp_path, "\n"))


def test_an_export_of_calculated_values_only_is_refused_unless_named(tmp_path: Path) -> None:
    path = write(tmp_path, grid("Blank corrected based on Raw Data (450)", {"A": ["0.1", "0.2"]}))
    with pytest.raises(InputError, match="no measured read"):
        read_export(path)
    wells = read_export(path, read="Blank corrected based on Raw Data (450)").wells
    assert by_well(wells).loc["A2", "signal"] == pytest.approx(0.2)


def test_a_damaged_grid_line_is_refused_naming_the_line(tmp_path: Path) -> None:
    body = grid("Raw Data (450)", {"A": ["0.1", "0.2", "0.3"]}, columns=2)
    with pytest.raises(InputError, match="line 10: row A of the `Raw Data \\(450\\)` grid"):
        read_export(write(tmp_path, body))


def test_header_fields_written_with_equals_signs_are_read_with_a_warning(tmp_path: Path) -> None:
    text = (
        "User = USER,Path = C:\\Program Files (x86)\\BMG\\PHERAstar\\User\\Data,Test run no. = 1\n"
        "Test name = QC,Date = 03/03/2016,Time = 13:25:45\nID1 = 472-0016\nFluorescence (FI)\n\n"
        + grid("Raw Data (485/520)", {"A": ["23864", "23796"]}, columns=2)
    )
    path = tmp_path / "edited.csv"
    path.write_text(text, encoding="utf-8")
    plate = read_export(path)
    assert plate.meta["batch"] == "QC" and plate.meta["plate_name"] == "472-0016"
    assert by_well(plate.wells).loc["A2", "signal"] == 23796
    assert any("line 1: the header's fields are written `key = value`" in w for w in plate.warnings)


def test_several_test_runs_in_one_file_are_several_plates(tmp_path: Path) -> None:
    one = HEADER.format(mode="Absorbance") + grid("Raw Data (450)", {"A": ["0.1"]}, columns=1)
    two = one.replace("ID1: P1", "ID1: P2").replace("0.1", "0.5")
    path = tmp_path / "runs.csv"
    path.write_text(one + two, encoding="utf-8")
    plates = read_exports(path)
    assert [p.meta["plate_name"] for p in plates] == ["P1", "P2"]
    assert [p.meta["plate_id"] for p in plates] == ["runs_P1", "runs_P2"]
    assert by_well(plates[1].wells).loc["A1", "signal"] == 0.5


def test_real_pherastar_fluorescence_export(realdata: Path) -> None:
    path = realdata / "allotropy" / "bmg_mars" / "16-02-29 14-34-46 Transcreener ADP2 FI.csv"
    plate = read_export(path)
    wells = by_well(plate.wells)
    # By eye from the file: A1 25104, O6 107, P12 62; O11 and P11 are empty (not read).
    assert wells.loc["A1", "signal"] == 25104
    assert wells.loc["O6", "signal"] == 107 and wells.loc["P12", "signal"] == 62
    assert "O11" not in wells.index and "A21" not in wells.index
    assert len(wells) == 302
    assert set(wells["signal_kind"]) == {"Fluorescence 580/620"}
    assert plate.meta["instrument"] == "PHERAstar"


def test_real_1536_well_export_is_refused(realdata: Path) -> None:
    path = realdata / "allotropy" / "bmg_mars" / "24-10-16 15-09-52 Luminescence 1536.csv"
    with pytest.raises(InputError, match="1536-well plate"):
        read_export(path)


@pytest.mark.parametrize(
    ("number", "shown"),
    [("9" * 5000, f"'{'9' * 56}..."), ("0", "0"), ("00", "0"), ("49", "49")],
)
def test_a_column_number_off_any_plate_is_refused(tmp_path: Path, number: str, shown: str) -> None:
    # Python's int refuses a text of more than 4,300 digits, which stopped the chunk;
    # column 0 passed as a whole number and made wells A0 to H0, which the wells table
    # refused as a bug in the reader.
    header = ",1,2,3,4,5,6,7,8,9,10,11,12"
    text = PLATE_VIEW.read_text(encoding="utf-8").replace(header, header[:-2] + number, 1)
    path = tmp_path / "column_off.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_exports(path)
    assert str(raised.value) == (
        f"{path}: line 9: expected the `Raw Data (450 1)` grid's column numbers 1 to 24 (or "
        f"to 48 on a 1536-well plate), found {shown}; the line looks damaged"
    )


def test_a_standard_numbered_beyond_any_series_has_no_level(tmp_path: Path) -> None:
    # S<n> in the layout: n beyond 19 digits overflowed the level column, beyond 4,300
    # int refused it; the hang of a level far off the series is `test_readers_gen5`'s.
    for digits in ("9" * 20, "9" * 5000):
        text = PLATE_VIEW.read_text(encoding="utf-8").replace("A,S1,S1,", f"A,S{digits},S1,", 1)
        path = tmp_path / "long_level.csv"
        path.write_text(text, encoding="utf-8")
        wells = by_well(read_export(path).wells)
        assert wells.loc["A1", "role"] == "standard"
        assert wells["level"].isna()["A1"] and wells.loc["A2", "level"] == 1


@pytest.mark.parametrize("inserted", ["\r\n", "5. Concentrations (pg/ml)\r\n"])
def test_grid_rows_cut_off_by_a_blank_or_title_line_are_named(
    tmp_path: Path, inserted: str
) -> None:
    # The line ended the grid, and rows D to H were passed over without a word.
    text = PLATE_VIEW.read_bytes().decode("utf-8")
    path = tmp_path / "cut_grid.csv"
    path.write_bytes(text.replace("\r\nD,0.199", "\r\n" + inserted + "D,0.199", 1).encode())
    plate = read_export(path)
    assert len(plate.wells) == 12 and "D1" not in set(plate.wells["well"])
    first = 14  # rows D to H, one line down
    assert plate.warnings[0] == (
        "lines that look like rows of a grid stand outside any grid (after a blank or title "
        "line that ended the grid above, or with no grid header) and are not read; the file "
        "looks damaged: " + ", ".join(f"line {n}" for n in range(first, first + 5))
    )
    assert not any("outside any grid" in w for w in read_export(PLATE_VIEW).warnings)


def test_a_stray_quote_in_the_table_view_leaves_the_rows_after_it_alone(tmp_path: Path) -> None:
    # The whole text went through one csv reader: the quote ran every later row into
    # one cell, and 9 wells read as 1.
    text = TABLE_VIEW.read_bytes()
    path = tmp_path / "quote.csv"
    path.write_bytes(text.replace(b"A01;Standard S1;31250,0;", b'A01;Standard S1;31250,0;"', 1))
    plate = read_export(path)
    assert plate.wells["well"].tolist() == read_export(TABLE_VIEW).wells["well"].tolist()
    # The rest of the quote's own line is one cell, and the line is named.
    assert plate.warnings[0] == (
        "line 11: a double quote opens a cell that does not close on its line; the rest of "
        "the line is read as that one cell"
    )


def test_a_well_given_twice_in_the_table_view_keeps_its_first_row(tmp_path: Path) -> None:
    # B02 damaged into C02: C2 was read twice with two signals, and B2 was lost, unsaid.
    path = tmp_path / "twice.csv"
    path.write_bytes(TABLE_VIEW.read_bytes().replace(b"\nB02;", b"\nC02;", 1))
    plate = read_export(path)
    original = by_well(read_export(TABLE_VIEW).wells)
    wells = by_well(plate.wells)
    assert len(wells) == len(original) - 1 and "B2" not in wells.index
    assert wells.loc["C2", "signal"] == original.loc["B2", "signal"]
    assert (
        "wells given twice in the table, the first row of each read, the other not (a well "
        "name may be damaged): C2 (lines 14 and 16)"
    ) in plate.warnings


@pytest.mark.parametrize("moved_to", ["above the header", "above the mode line"])
def test_a_table_row_moved_above_the_table_is_named(tmp_path: Path, moved_to: str) -> None:
    # A line swapped: A01's row above the table's header was passed over without a word,
    # and one above the read mode's line was taken for the mode ("A01").
    lines = TABLE_VIEW.read_bytes().split(b"\n")
    header = next(i for i, line in enumerate(lines) if line.startswith(b"Well;"))
    row = lines.pop(header + 1)
    at = header if moved_to == "above the header" else header - 3
    lines.insert(at, row)
    path = tmp_path / "moved.csv"
    path.write_bytes(b"\n".join(lines))
    plate = read_export(path)
    wells = set(plate.wells["well"])
    assert wells == set(read_export(TABLE_VIEW).wells["well"]) - {"A1"}
    assert (
        "lines that look like rows of a table view (a well and its values) stand outside "
        "the table (above its header, or with no table) and are not read; the file looks "
        f"damaged: line {at + 1}"
    ) in plate.warnings
    assert (
        plate.wells["signal_kind"].iloc[0] == read_export(TABLE_VIEW).wells["signal_kind"].iloc[0]
    )


def test_a_table_row_above_the_mode_line_leaves_the_read_mode_alone(tmp_path: Path) -> None:
    # An absorbance table view: the mode line makes `Raw Data (450)` an OD450 read. With a
    # row moved above it, the row was taken for the mode and the kind fell back to the
    # column's title.
    rows = "A02,Standard S1,0.812\nB01,Standard S2,0.533\n"
    table = "Well,Content,Raw Data (450)\nA01,Standard S1,0.810\n" + rows
    intact = read_export(write(tmp_path, table, name="intact.csv"))
    assert set(intact.wells["signal_kind"]) == {"OD450"}
    moved = write(
        tmp_path, "Well,Content,Raw Data (450)\n" + rows, mode="A01,Standard S1,0.810\nAbsorbance"
    )
    plate = read_export(moved)
    assert set(plate.wells["signal_kind"]) == {"OD450"}
    assert set(plate.wells["well"]) == {"A2", "B1"}
    assert any(w.startswith("lines that look like rows of a table view") for w in plate.warnings)
