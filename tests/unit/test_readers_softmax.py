"""SoftMax Pro text exports: PlateFormat and TimeFormat, groups, several plates."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import read_export, read_exports
from tests.conftest import by_well, placed

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
TWO_PLATES = EXPORTS / "softmax_two_plates_dual.txt"
TIME_FORMAT = EXPORTS / "softmax_timeformat_latin1.txt"


def vendor_value(vendor: pd.DataFrame, well: str, quantity: str) -> pd.Series:
    rows = vendor[(vendor["well"] == well) & (vendor["quantity"] == quantity)]
    assert len(rows) == 1, (well, quantity)
    return rows.iloc[0]


def write(tmp_path: Path, text: str, name: str = "softmax.txt", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- several plates, two wavelengths ------------------------------------------------


def test_each_plate_of_the_export_is_a_plate() -> None:
    plates = read_exports(TWO_PLATES)
    assert [plate.meta["plate_name"] for plate in plates] == ["Plate1", "Plate2"]
    assert [plate.wells["plate_id"].iloc[0] for plate in plates] == [
        "softmax_two_plates_dual_Plate1",
        "softmax_two_plates_dual_Plate2",
    ]
    first, second = (by_well(placed(plate.wells)) for plate in plates)
    assert (len(first), len(second)) == (20, 4)
    # Every well not in a group is read as unassigned, none is lost.
    assert [len(plate.wells) for plate in plates] == [96, 96]
    assert set(plates[0].wells["well"]) == {f"{r}{c}" for r in "ABCDEFGH" for c in range(1, 13)}
    assert ["76 wells have a reading but no role" in plate.warnings[0] for plate in plates] == [
        True,
        False,
    ]
    assert plates[0].meta["kit_lot"] == "NFL-2291"
    assert plates[0].meta["format"] == "softmax" and plates[0].meta["software"] == "SoftMax Pro"
    for plate in plates:
        tables.WELLS.validate(plate.wells)
        tables.VENDOR_RESULTS.validate(plate.vendor)


def test_dual_wavelength_is_the_first_minus_the_second() -> None:
    first = by_well(read_exports(TWO_PLATES)[0].wells)
    assert (first["signal_kind"] == "OD450-570").all()
    assert first.loc["A1", "raw_text"] == "0.210|0.041"
    assert first.loc["A1", "signal"] == pytest.approx(0.210 - 0.041)
    assert first.loc["H2", "signal"] == pytest.approx(0.920 - 0.042)


def test_groups_give_roles_levels_and_concentrations() -> None:
    first = by_well(read_exports(TWO_PLATES)[0].wells)
    assert (first.loc["C2", "role"], first.loc["C2", "level"]) == ("standard", 3)
    assert first.loc["C2", "expected_conc"] == 125.0
    assert first.loc["H1", "expected_conc"] == 0.0
    assert (first.loc["C4", "role"], first.loc["C4", "sample_id"]) == ("sample", "P02")
    assert first.loc["C4", "dilution"] == 2.0
    assert first.loc["D4", "sample_id"] == "P02"  # the replicate row inherits its sample


def test_softmax_tokens_and_masking() -> None:
    first = by_well(read_exports(TWO_PLATES)[0].wells)
    expected = {
        "A3": ("Masked|0.043", "masked"),
        "B3": ("Range?|0.043", "error"),
        "C4": ("Inf|0.044", "error"),
        "D4": ("Error|0.044", "error"),
    }
    for well, (text, token) in expected.items():
        assert (first.loc[well, "raw_text"], first.loc[well, "token"]) == (text, token), well
        assert math.isnan(first.loc[well, "signal"])
    # `Masked` in a group table masks a well whose reading is still in the plate grid.
    second = by_well(read_exports(TWO_PLATES)[1].wells)
    assert (second.loc["B3", "flags"], second.loc["B3", "signal"]) == (
        "vendor_masked",
        pytest.approx(0.430 - 0.043),
    )


def test_back_calculated_concentrations_go_to_the_vendor_table() -> None:
    vendor = read_exports(TWO_PLATES)[0].vendor
    assert vendor_value(vendor, "A3", "concentration")["value"] == 12.5
    assert vendor_value(vendor, "B3", "concentration")["value"] == 13.7
    assert vendor_value(vendor, "B3", "mean_concentration")["value"] == 13.1
    assert vendor_value(vendor, "C2", "mean_concentration")["value"] == 126.25
    assert set(vendor["analyte"]) == {"OD"}


def test_one_plate_reader_refuses_a_two_plate_file() -> None:
    with pytest.raises(
        InputError,
        match=r"holds 2 plates \(Plate1, Plate2\) and this step reads one plate per file",
    ):
        read_export(TWO_PLATES)


def test_time_format_in_latin1() -> None:
    plate = read_export(TIME_FORMAT)
    wells = by_well(placed(plate.wells))
    assert len(wells) == 6 and len(plate.wells) == 96
    assert (wells.loc["C1", "raw_text"], wells.loc["C1", "signal"]) == ("0.340", 0.34)
    assert (wells.loc["F1", "level"], wells.loc["F1", "expected_conc"]) == (6, 25.0)
    assert (wells["signal_kind"] == "OD450").all()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_encodings_read_the_same(tmp_path: Path, encoding: str) -> None:
    text = TWO_PLATES.read_text(encoding="utf-8")
    again = read_exports(write(tmp_path, text, encoding=encoding))
    for plate, original in zip(again, read_exports(TWO_PLATES), strict=True):
        columns = ["well", "role", "signal", "raw_text", "token", "flags"]
        pd.testing.assert_frame_equal(plate.wells[columns], original.wells[columns])


def test_a_map_places_the_wells_no_group_holds(tmp_path: Path) -> None:
    plate_map = write(tmp_path, "well,role,sample_id,analyte\nH12,sample,X1,\n", "map.csv")
    plate = read_export(TIME_FORMAT, plate_map=plate_map)
    assert len(placed(plate.wells)) == 7
    assert by_well(plate.wells).loc["H12", "sample_id"] == "X1"


# --- bad exports ---------------------------------------------------------------------


def test_fewer_blocks_than_announced(tmp_path: Path) -> None:
    text = TWO_PLATES.read_text(encoding="utf-8")
    cut = text[: text.index("Group: Unknowns")]
    with pytest.raises(InputError, match="announces 5 blocks but only 4 end with `~End`"):
        read_exports(write(tmp_path, cut))


def test_a_grid_row_too_few(tmp_path: Path) -> None:
    lines = TWO_PLATES.read_bytes().decode("utf-8").split("\r\n")
    start = lines.index(next(line for line in lines if line.startswith("Plate:\tPlate2")))
    del lines[start + 5]
    with pytest.raises(InputError, match="a data grid of plate Plate2 has 7 rows, expected 8"):
        read_exports(write(tmp_path, "\r\n".join(lines)))


def test_kinetic_and_fluorescence_plates_are_refused(tmp_path: Path) -> None:
    text = TIME_FORMAT.read_text(encoding="latin-1")
    kinetic = text.replace("\tEndpoint\t", "\tKinetic\t", 1)
    with pytest.raises(InputError, match="is a Kinetic read; kinetic reads are not supported"):
        read_export(write(tmp_path, kinetic))
    fluorescence = text.replace("\tAbsorbance\t", "\tFluorescence\t", 1)
    with pytest.raises(InputError, match="only absorbance reads are supported"):
        read_export(write(tmp_path, fluorescence))


def test_a_well_in_two_groups(tmp_path: Path) -> None:
    text = TWO_PLATES.read_text(encoding="utf-8").replace("P01\tA3\t", "P01\tA1\t", 1)
    with pytest.raises(
        InputError, match=r"well A1 is in group Standards .* and again in group Unknowns"
    ):
        read_exports(write(tmp_path, text))


def test_a_group_names_an_unknown_well_or_plate(tmp_path: Path) -> None:
    text = TWO_PLATES.read_bytes().decode("utf-8")
    with pytest.raises(InputError, match="group Unknowns names well 'Z3', which is not a plate"):
        read_exports(write(tmp_path, text.replace("P01\tA3\t", "P01\tZ3\t", 1)))
    with pytest.raises(InputError, match="on plate 'Plate9', which the export does not hold"):
        read_exports(write(tmp_path, text.replace("\tPlate2\r\n \tB3", "\tPlate9\r\n \tB3", 1)))


# --- real exports ------------------------------------------------------------------


@pytest.mark.realdata
def test_softmax_utf16_with_standards_and_masked(realdata: Path) -> None:
    plate = read_export(realdata / "softmax/softmax_elisa_std8_utf16.txt")
    wells = by_well(plate.wells)
    assert len(wells) == 96 and plate.warnings == ()
    assert wells.drop_duplicates("sample_name")["role"].value_counts().to_dict() == {
        "sample": 73,
        "standard": 8,
        "control": 3,
    }
    assert (wells["signal_kind"] == "OD450").all()
    # Read by eye from the file.
    assert (wells.loc["A1", "signal"], wells.loc["A1", "sample_name"]) == (1.785, "St1")
    assert (wells.loc["A1", "level"], wells.loc["A1", "expected_conc"]) == (1, 320.0)
    assert (wells.loc["H2", "level"], wells.loc["H2", "expected_conc"]) == (8, 0.0)
    assert (wells.loc["A2", "raw_text"], wells.loc["A2", "flags"]) == ("1.672", "vendor_masked")
    assert (wells.loc["B3", "role"], wells.loc["B3", "sample_id"]) == ("control", "Co1")
    assert (wells.loc["A4", "sample_id"], wells.loc["A4", "signal"]) == ("62195", 0.38)
    assert (wells.loc["A12", "raw_text"], wells.loc["A12", "signal"]) == ("-0.06", -0.06)
    assert (wells["token"] == "numeric").all()
    vendor = plate.vendor
    assert vendor_value(vendor, "A1", "mean_concentration")["value"] == 319.992
    assert vendor_value(vendor, "A3", "concentration")["value"] == 206.186
    range_cell = vendor_value(vendor, "D7", "concentration")
    assert (range_cell["raw_text"], range_cell["token"]) == ("Range?", "error")
    assert plate.meta["batch"] == "Plate1" and plate.meta["format"] == "softmax"


@pytest.mark.realdata
def test_softmax_reduced_time_format(realdata: Path) -> None:
    plate = read_export(realdata / "softmax/softmax_elisa_reduced_ascii.txt")
    wells = by_well(placed(plate.wells))
    assert len(wells) == 78 and len(plate.wells) == 96
    assert set(plate.wells.loc[plate.wells["role"] == "unassigned", "well"]) == {"H9", "H10"} | {
        f"{r}{c}" for r in "ABCDEFGH" for c in (11, 12)
    }
    assert (wells["signal_kind"] == "OD450-650 (reduced)").all()
    assert wells.loc["A1", "raw_text"] == "1.8565999999999998"
    assert wells.loc["A1", "signal"] == pytest.approx(1.8566)
    assert [wells.loc[f"{r}1", "expected_conc"] for r in "ABCDEF"] == [100, 40, 12, 3, 1, 0]
    assert [wells.loc[f"{r}2", "level"] for r in "ABCDEF"] == [1, 2, 3, 4, 5, 6]
    # SoftMax numbers each group's samples 01, 02, ...: the group tells them apart.
    assert (wells.loc["G1", "role"], wells.loc["G1", "sample_id"]) == ("control", "Control/01")
    assert wells.loc["B3", "sample_id"] == "Samples/01"
    assert wells.loc["A3", "sample_id"] == "Matrix_Spike_2/01"
    assert wells.loc["B3", "signal"] == pytest.approx(2.0092)
    assert wells.loc["G10", "raw_text"] == "0.2548"
    assert vendor_value(plate.vendor, "B3", "concentration")["value"] == 113.062
