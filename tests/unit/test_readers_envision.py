"""PerkinElmer (Revvity) EnVision CSV exports (assaypipe.readers.envision)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assaypipe.errors import InputError
from assaypipe.readers import read_export, read_exports
from assaypipe.readers.envision import ENVISION
from assaypipe.readers.protocol import Source
from assaypipe.readers.registry import format_of
from tests.conftest import by_well

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports" / "envision"
HTRF = EXPORTS / "htrf_ratio_platemap.csv"
BARE = EXPORTS / "two_plates_bare_semicolon.csv"
INFO = (
    "Plate,Repeat,Barcode,Measured height,Group,Label,ScanX,ScanY,Measinfo,Kinetics,"
    "Measurement date,"
)
FORMULA_INFO = "Plate,Repeat,Barcode,Measured height,Formula,Measurement date,"


def section(plate: int, label: str, rows: list[str], columns: int = 12, title: bool = True) -> str:
    """One measured result section of a `Plate2` export."""
    head = "Plate information\n" if title else ""
    grid = "," + ",".join(f"{c:02d}" for c in range(1, columns + 1)) + ",\n"
    grid += "".join(f"{'ABCDEFGHIJKLMNOP'[i]},{row},\n" for i, row in enumerate(rows))
    return (
        f'{head}{INFO}\n{plate},1,"=""""",14.35,1,{label}(1),0,0,De=1st Ex=Btm Em=N/A '
        f"Wdw=N/A (8),0,1/15/2024 10:30:00 AM,\n\nResults for {label}(1) - channel 1 (A)\n"
        f"{grid}\n"
    )


def tail(wells: int = 96, rows: int = 8, columns: int = 12) -> str:
    return (
        "\nBasic assay information\nAssay ID: ,,,,101\nProtocol Name: ,,,,Test\n"
        'Serial#: ,,,,="1050242"\n\nProtocol information\nPlate type:\n'
        f"Number of rows,,,,{rows}\nNumber of columns,,,,{columns}\n"
        f"Number of the wells in the plate,,,,{wells}\n\n"
        "Exported with EnVision Workstation version 1.14.3049.1193\n"
    )


def write(tmp_path: Path, text: str, name: str = "envision.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_both_fixtures_are_recognised_as_envision() -> None:
    for path in (HTRF, BARE):
        assert format_of(Source(path.read_bytes(), str(path))) is ENVISION


def test_the_first_measured_channel_is_the_signal_and_the_other_is_named() -> None:
    plate = read_export(HTRF)
    wells = by_well(plate.wells)
    # By eye from `Results for HTRF Eu(1) - channel 1 window 1 (Counts)`.
    assert wells.loc["A1", "signal"] == 33447 and wells.loc["H4", "signal"] == 13154
    assert set(wells["signal_kind"]) == {"HTRF Eu channel 1 window 1"}
    assert len(wells) == 32
    assert any("not `HTRF Eu channel 2 window 1`" in w for w in plate.warnings)


def test_run_facts_come_from_the_assay_sections() -> None:
    meta = read_export(HTRF).meta
    assert meta["format"] == "envision"
    assert meta["instrument"] == "EnVision"
    assert meta["software"] == "EnVision Workstation"
    assert meta["software_version"] == "1.14.3049.1193"
    assert meta["serial_number"] == "1050209"
    assert meta["batch"] == "NfL HTRF 665/620, barcode NFL-0042"
    assert meta["run_time"] == "3/14/2024 10:31:12 AM"
    assert meta["plate_name"] == "Plate 1"


def test_the_plate_map_gives_roles_levels_and_sample_names() -> None:
    wells = by_well(read_export(HTRF).wells)
    assert wells.loc["A1", "role"] == "standard" and wells.loc["A1", "level"] == 1
    assert wells.loc["F2", "role"] == "standard" and wells.loc["F2", "level"] == 6
    assert sorted(wells.index[wells["role"] == "blank"]) == ["G1", "G2", "H1", "H2"]
    assert wells.loc["A3", "role"] == "sample" and wells.loc["A3", "sample_id"] == "UNK1"
    assert wells.loc["H3", "role"] == "control" and wells.loc["H3", "sample_id"] == "CTL1"
    assert wells.loc["H3", "level"] == 1


def test_the_calculated_ratio_is_envisions_and_matches_the_two_channels() -> None:
    plate = read_export(HTRF)
    channel1 = by_well(plate.wells)["signal"]
    channel2 = by_well(read_export(HTRF, read="channel 2").wells)["signal"]
    ratio = plate.vendor[plate.vendor["quantity"] == "HTRF ratio"].set_index("well")["value"]
    # Independent reference: the formula the export states, (X / Y) * 10000.
    np.testing.assert_allclose(ratio.loc[channel1.index], channel1 / channel2 * 10000, rtol=1e-9)
    assert ratio.index.is_unique and plate.vendor["basis"].isna().all()


@pytest.mark.parametrize("wanted", ["Calc 1", "HTRF ratio", "calc 1"])
def test_wells_read_can_name_the_calculation(wanted: str) -> None:
    plate = read_export(HTRF, read=wanted)
    wells = by_well(plate.wells)
    assert wells.loc["A1", "signal"] == pytest.approx(4178.94223921)
    assert any("a value EnVision calculated" in w for w in plate.warnings)
    assert plate.vendor.empty


def test_a_read_the_plate_does_not_hold_is_refused_naming_those_it_holds() -> None:
    with pytest.raises(InputError, match="it holds `HTRF ratio`, `HTRF Eu channel 1 window 1`"):
        read_export(HTRF, read="channel 3")


def test_bare_grids_with_semicolons_and_decimal_commas_make_two_plates() -> None:
    first, second = read_exports(BARE)
    assert [first.meta["plate_id"], second.meta["plate_id"]] == [
        "two_plates_bare_semicolon_Plate_1",
        "two_plates_bare_semicolon_Plate_2",
    ]
    one = by_well(first.wells)
    # By eye: plate 1's bare grid starts 0,0600 and ends 0,8700 (row H, column 12).
    assert one.loc["A1", "signal"] == pytest.approx(0.06) and one.loc["A1", "raw_text"] == "0,0600"
    assert one.loc["H12", "signal"] == pytest.approx(0.87)
    assert len(one) == 96 and set(one["signal_kind"]) == {"A450"}
    assert one.loc["A12", "role"] == "blank" and one.loc["C3", "sample_id"] == "S19"
    assert one.loc["H2", "level"] == 8
    two = by_well(second.wells)
    assert len(two) == 48 and "A7" not in two.index and two.loc["H6", "signal"] == 0.26
    assert set(two["role"]) == {"unassigned"}
    assert first.meta["batch"] == "ELISA A450, barcode P-001"
    assert second.meta["batch"] == "ELISA A450"


def test_a_1536_well_plate_type_is_refused_saying_so(tmp_path: Path) -> None:
    text = section(1, "A450", ["0.1,0.2"], columns=2) + tail(1536, 32, 48)
    with pytest.raises(InputError, match="plate type has 1536 wells: assaypipe places wells"):
        read_export(write(tmp_path, text))


def test_a_bare_grid_wider_than_384_wells_is_refused(tmp_path: Path) -> None:
    row = ",".join(["7"] * 48)
    text = (
        f'Plate information\n{INFO}\n1,1,"=""""",1,1,Lum(1),0,0,De=USLum,0,1/1/2024,\n\n'
        + "\n".join([row] * 32)
        + "\n\nExported with EnVision Workstation version 1.14\n"
    )
    with pytest.raises(InputError, match=r"larger than 384 wells \(48 columns, 32 rows\)"):
        read_export(write(tmp_path, text))


def test_a_plate_of_calculations_only_is_refused(tmp_path: Path) -> None:
    text = (
        f'Plate information\n{FORMULA_INFO}\n1,1,"=""""",N/A,Calc 1: Crosstalk = x,1/1/2024,\n\n'
        "Calculated results: Calc 1: Crosstalk = x\n,01,02,\nA,1.0,2.0,\n" + tail()
    )
    with pytest.raises(InputError, match="holds no measured read, only values EnVision"):
        read_export(write(tmp_path, text))
    wells = read_export(write(tmp_path, text), read="Crosstalk").wells
    assert by_well(wells).loc["A2", "signal"] == 2.0


def test_an_export_with_no_result_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no plate data"):
        read_export(write(tmp_path, tail()))


def test_a_damaged_grid_line_is_refused_naming_the_line(tmp_path: Path) -> None:
    text = section(1, "A450", ["0.1,0.2,0.3"], columns=2) + tail()
    with pytest.raises(InputError, match="line 7: row A of the grid has 3 cells for 2 columns"):
        read_export(write(tmp_path, text))


@pytest.mark.parametrize("label", ["", "AB", "1"])
def test_a_grid_line_without_its_row_letter_is_refused_naming_the_line(
    tmp_path: Path, label: str
) -> None:
    # An empty label passed as a row (`"" in "ABC..."`) and its wells were named
    # `1` to `12`, which nothing could place: a traceback.
    text = section(1, "A450", ["0.1,0.2", "0.3,0.4"], columns=2) + tail()
    text = text.replace("\nB,0.3,0.4,", f"\n{label},0.3,0.4,")
    with pytest.raises(
        InputError, match=f"line 8: expected a plate row letter A to P, found '{label}'"
    ):
        read_export(write(tmp_path, text))


def test_a_file_cut_short_is_read_with_a_warning(tmp_path: Path) -> None:
    # Every export ends with EnVision's own line; a file cut after its first plate read
    # as one plate without a word on the second.
    whole = section(1, "A450", ["0.1,0.2"], columns=2) + section(2, "A450", ["0.3,0.4"], 2) + tail()
    plates = read_exports(write(tmp_path, whole))
    assert len(plates) == 2 and not [w for p in plates for w in p.warnings if "cut short" in w]
    cut = whole[: whole.index("Plate information", 10)]
    (plate,) = read_exports(write(tmp_path, cut, "cut.csv"))
    assert any("looks cut short" in w and "Exported with EnVision" in w for w in plate.warnings)


def test_a_section_without_its_title_is_read_with_a_warning(tmp_path: Path) -> None:
    text = section(1, "A450", ["0.1,0.2"], 2) + section(1, "A620", ["0.3,0.4"], 2, title=False)
    plate = read_export(write(tmp_path, text + tail()))
    assert by_well(plate.wells).loc["A2", "signal"] == 0.2
    assert any("header has no `Plate information` title" in w for w in plate.warnings)
    assert any("not `A620`" in w for w in plate.warnings)


def test_a_plate_in_a_file_of_several_that_cannot_be_read_is_left_out(tmp_path: Path) -> None:
    text = section(1, "A450", ["0.1,0.2"], 2) + section(2, "A450", [","], 2) + tail()
    (plate,) = read_exports(write(tmp_path, text))
    assert plate.meta["plate_name"] == "Plate 1"
    assert any("not read: Plate 2" in w and "empty in every well" in w for w in plate.warnings)


def test_real_htrf_ratio_equals_the_channels_as_the_formula_says(realdata: Path) -> None:
    path = realdata / "allotropy" / "perkin_elmer_envision" / "PE_Envision_extra_espaces.csv"
    plate = read_export(path)
    channel1 = by_well(plate.wells)["signal"]
    channel2 = by_well(read_export(path, read="channel 2").wells)["signal"]
    ratio = plate.vendor.set_index("well")["value"]
    # Independent reference: the export's formula (X / Y) * Z, Z = 10000, on its channels.
    np.testing.assert_allclose(ratio.loc[channel1.index], channel1 / channel2 * 10000, rtol=1e-9)
    # By eye: A1 31441 (channel 1), 80368 (channel 2); column 4 was not read.
    assert channel1.loc["A1"] == 31441 and channel2.loc["A1"] == 80368
    assert len(channel1) == 48 and "A4" not in channel1.index


def test_real_platemap_standards_and_unknowns(realdata: Path) -> None:
    folder = realdata / "allotropy" / "perkin_elmer_envision"
    path = folder / "PE_Envision_fluorescence_example02.csv"
    plates = read_exports(path)
    assert [p.meta["plate_name"] for p in plates] == [f"Plate {n}" for n in range(1, 6)]
    first = by_well(plates[0].wells)
    # Plate 1's map: STD1..STD8 in rows A-D, columns 1-8; its data fills exactly those.
    assert len(first) == 32 and set(first["role"]) == {"standard"}
    assert first.loc["D8", "level"] == 8 and first.loc["A1", "signal"] == 5230093
    third = by_well(plates[2].wells)
    assert third.loc["B1", "sample_id"] == "UNK2"  # plate 3's map runs down the columns


@pytest.mark.parametrize(("number", "shown"), [("9" * 5000, f"'{'9' * 56}..."), ("00", "'00'")])
def test_a_column_number_off_any_plate_is_refused(tmp_path: Path, number: str, shown: str) -> None:
    # Python's int refuses a text of more than 4,300 digits, which stopped the chunk;
    # column 00 made wells A0 to H0, which the wells table refused as a reader's bug.
    text = HTRF.read_text(encoding="utf-8").replace(",01,02,03,04,", f",01,02,{number},04,", 1)
    path = tmp_path / "column_off.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_exports(path)
    assert str(raised.value) == (
        f"{path}: line 11: expected the grid's column numbers 1 to 24, found {shown}"
    )


def test_a_standard_code_numbered_beyond_any_series_has_no_level(tmp_path: Path) -> None:
    # STD<n> in the export's plate map: its n was read with int (ValueError beyond 4,300
    # digits, OverflowError in the level column beyond 19).
    for digits in ("9" * 20, "9" * 5000):
        text = HTRF.read_text(encoding="utf-8").replace("A,STD1 ,", f"A,STD{digits} ,", 1)
        path = tmp_path / "long_level.csv"
        path.write_text(text, encoding="utf-8")
        wells = by_well(read_exports(path)[0].wells)
        assert wells.loc["A1", "role"] == "standard"
        assert wells["level"].isna()["A1"] and wells.loc["A2", "level"] == 1


def test_grid_lines_cut_off_by_a_blank_line_are_named(tmp_path: Path) -> None:
    # The blank line ended plate 1's bare grid; its rows D to H were taken for assay
    # facts without a word, and the plate read as 36 wells of 96.
    path = tmp_path / "cut.csv"
    path.write_bytes(BARE.read_bytes().replace(b"\r\n0,3600;", b"\r\n\r\n0,3600;", 1))
    first, second = read_exports(path)
    assert len(first.wells) == 36
    message = (
        "lines of numbers stand outside any plate's grid (after a blank or title line that "
        "ended the grid above) and are not read; the file looks damaged: line 13, line 14, "
        "line 15, line 16, line 17"
    )
    assert message in first.warnings and message in second.warnings
    assert not any("outside any plate's grid" in w for p in read_exports(BARE) for w in p.warnings)
