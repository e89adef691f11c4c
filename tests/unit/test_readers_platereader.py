"""BioTek Gen5 endpoint text exports."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import read_export
from tests.conftest import by_well, placed

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
ROWS = "ABCDEFGH"


HEADER = """\r
Software Version\t3.11.19\r
\r
Experiment File Path:\tC:\\Users\\lab\\nfl_plate3.xpt\r
\r
Plate Number\tPlate 1\r
Date\t3/14/2024\r
Time\t10:02:11 AM\r
Reader Type:\tSynergy HTX\r
Reader Serial Number:\t21051712\r
Reading Type\tReader\r
\r
Procedure Details\r
\r
Plate Type\t{plate_type} WELL PLATE\r
Read\tAbsorbance Endpoint\r
\tFull Plate\r
\tWavelengths:  {wavelengths}\r
\tRead Speed: Normal\r
\r
Results\r
"""

# Cells that are not plain numbers, by (well, wavelength index).
SPECIAL = {
    ("A1", 0): "0.812",
    ("A1", 1): "0.044",
    ("B2", 0): "?????",
    ("B3", 0): "<0.000",
    ("B4", 0): ">4.000",
    ("B5", 1): "OVRFLW",
    ("B6", 0): "MISSED",
}


def od(row: int, column: int, wavelength: int) -> str:
    return f"{0.05 * (wavelength + 1) + 0.1 * row + 0.01 * column:.3f}"


def gen5_text(
    wavelengths: tuple[int, ...] = (450, 630),
    rows: str = ROWS,
    columns: int = 12,
    skip: tuple[str, int] | None = None,
) -> str:
    """A Gen5 endpoint export; `skip` leaves out one (row, wavelength index) line."""
    plate_type = 384 if columns > 12 else 96
    lines = [HEADER.format(wavelengths=", ".join(map(str, wavelengths)), plate_type=plate_type)]
    lines.append("\t" + "\t".join(str(c) for c in range(1, columns + 1)) + "\r\n")
    for r, row in enumerate(rows):
        for w, wavelength in enumerate(wavelengths):
            if skip == (row, w):
                continue
            cells = [SPECIAL.get((f"{row}{c}", w), od(r, c, w)) for c in range(1, columns + 1)]
            letter = row if w == 0 else ""
            lines.append("\t".join([letter, *cells, str(wavelength)]) + "\r\n")
    lines.append("\r\n")
    return "".join(lines)


PLATE_MAP = """well,role,sample_id,level,expected_conc,dilution,analyte
A1,standard,,1,5000,1,NfL
A2,standard,,2,2500,1,NfL
A3,blank,,,0,1,NfL
A4,control,CTRL1,1,800,1,NfL
A5,sample,S01-BL,,,2,NfL
A6,sample,S01-W12,,,,NfL
B2,sample,S02-BL,,,2,NfL
B3,sample,S03-BL,,,2,NfL
B4,sample,S04-BL,,,2,NfL
B5,sample,S05-BL,,,2,NfL
B6,sample,S06-BL,,,2,NfL
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


@pytest.fixture
def dual(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path, "plate3.txt", gen5_text()), write(tmp_path, "map.csv", PLATE_MAP)


def test_dual_wavelength_signal_is_first_minus_reference(dual: tuple[Path, Path]) -> None:
    export, plate_map = dual
    plate = read_export(export, plate_map=plate_map)
    wells = by_well(plate.wells)
    a1 = wells.loc["A1"]
    assert a1["signal"] == pytest.approx(0.812 - 0.044)
    assert a1["raw_text"] == "0.812|0.044"
    assert a1["token"] == "numeric"
    assert (wells["signal_kind"] == "OD450-630").all()
    # A12 is not in the map: it has no role, so it is read as unassigned, not lost.
    assert wells.loc["A12", "role"] == "unassigned"
    grid_wells = {f"{r}{c}" for r in "ABCDEFGH" for c in range(1, 13)}
    assert set(wells.index) == grid_wells
    assert len(plate.warnings) == 1 and "the plate map has no row for them" in plate.warnings[0]
    assert wells.loc["A6", "signal"] == pytest.approx(float(od(0, 6, 0)) - float(od(0, 6, 1)))


def test_tokens(dual: tuple[Path, Path]) -> None:
    export, plate_map = dual
    wells = by_well(read_export(export, plate_map=plate_map).wells)
    expected = {
        "B2": ("error", f"?????|{od(1, 2, 1)}"),
        "B3": ("oor_low", f"<0.000|{od(1, 3, 1)}"),
        "B4": ("oor_high", f">4.000|{od(1, 4, 1)}"),
        "B5": ("overflow", f"{od(1, 5, 0)}|OVRFLW"),  # the reference reading overflowed
        "B6": ("error", f"MISSED|{od(1, 6, 1)}"),
    }
    for well, (token, raw_text) in expected.items():
        assert (wells.loc[well, "token"], wells.loc[well, "raw_text"]) == (token, raw_text)
        assert math.isnan(wells.loc[well, "signal"]), well


def test_roles_and_analyte_come_from_the_map(dual: tuple[Path, Path]) -> None:
    export, plate_map = dual
    plate = read_export(export, plate_map=plate_map)
    tables.WELLS.validate(plate.wells)
    wells = by_well(placed(plate.wells))
    assert len(wells) == 11
    assert set(wells["analyte"]) == {"NfL"} and set(wells["analyte_raw"]) == {"NfL"}
    assert (wells.loc["A1", "role"], wells.loc["A1", "level"]) == ("standard", 1)
    assert wells.loc["A2", "expected_conc"] == 2500.0
    assert wells.loc["A1", "sample_name"] == "Standard1" and pd.isna(wells.loc["A1", "sample_id"])
    assert wells.loc["A3", "role"] == "blank"
    assert (wells.loc["A4", "role"], wells.loc["A4", "sample_id"]) == ("control", "CTRL1")
    assert (wells.loc["A5", "sample_id"], wells.loc["A5", "dilution"]) == ("S01-BL", 2.0)
    assert wells.loc["A6", "dilution"] == 1.0  # blank in the map: the default
    assert wells["bead_count"].isna().all()
    assert (wells["plate_id"] == "plate3").all()
    assert plate.meta == {
        "format": "gen5",
        "instrument": "Synergy HTX",
        "software": "Gen5",
        "software_version": "3.11.19",
        "serial_number": "21051712",
        "batch": "Plate 1",
        "run_time": "3/14/2024 10:02:11 AM",
        "kit_lot": "",
        "unit": "",
        "plate_name": "",
        "plate_id": "plate3",
        "sha256": plate.wells["source_sha256"].iloc[0],
        "source_file": str(export),
    }


def test_map_without_analyte_column_gives_od(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text())
    plate_map = write(tmp_path, "map.csv", "well,role,sample_id\nA1,blank,\nC7,sample,P1\n")
    wells = placed(read_export(export, plate_map=plate_map).wells)
    assert wells["well"].tolist() == ["A1", "C7"]
    assert set(wells["analyte"]) == {"OD"}
    assert wells["sample_name"].tolist() == ["Blank", "P1"]


def test_without_a_plate_map_every_well_is_unassigned(dual: tuple[Path, Path]) -> None:
    export, _ = dual
    plate = read_export(export)
    assert len(plate.wells) == 96 and (plate.wells["role"] == "unassigned").all()
    assert "the export names no well roles and there is no plate map" in plate.warnings[0]


def test_detected_by_content_not_name(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.csv", gen5_text())
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    assert len(placed(read_export(export, plate_map=plate_map).wells)) == 11


def test_single_wavelength_384_well_grid(tmp_path: Path) -> None:
    rows = "ABCDEFGHIJKLMNOP"
    export = write(tmp_path, "p384.txt", gen5_text((450,), rows=rows, columns=24))
    wells = [f"{r}{c}" for r in rows for c in range(1, 25)]
    layout = "well,role,sample_id\n" + "".join(f"{w},sample,X{w}\n" for w in wells)
    plate = read_export(export, plate_map=write(tmp_path, "map.csv", layout))
    got = by_well(plate.wells)
    assert len(got) == 384
    assert (got["signal_kind"] == "OD450").all()
    assert got.loc["P24", "signal"] == pytest.approx(float(od(15, 24, 0)))
    assert got.loc["P24", "raw_text"] == od(15, 24, 0)
    assert got.loc["B2", "token"] == "error"


def test_missing_reference_line(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text(skip=("C", 1)))
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(InputError, match="row C of the Results grid has no 630 nm line"):
        read_export(export, plate_map=plate_map)


def test_three_wavelengths_are_refused(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text((450, 570, 630)))
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(InputError, match="reads 3 wavelengths"):
        read_export(export, plate_map=plate_map)


def test_two_plates_in_one_export(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text() + gen5_text())
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(InputError, match="several plates or reads; export one plate per file"):
        read_export(export, plate_map=plate_map)


def test_row_letter_beyond_p(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text().replace("\nH\t", "\nQ\t"))
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(
        InputError, match="expected a plate row letter A to P in the Results grid, found 'Q'"
    ):
        read_export(export, plate_map=plate_map)


def test_duplicate_row_names_row_and_lines(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text().replace("\nC\t", "\nB\t"))
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(InputError, match=r"row B appears twice .*lines 25 and 27") as raised:
        read_export(export, plate_map=plate_map)
    assert raised.value.where == "line 27"


def test_map_naming_no_export_well(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text())
    plate_map = write(tmp_path, "map.csv", "well,role\nP24,blank\n")
    with pytest.raises(InputError, match="names none of the wells"):
        read_export(export, plate_map=plate_map)


def test_sample_without_sample_id(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text())
    plate_map = write(tmp_path, "map.csv", "well,role,sample_id\nA1,blank,\nA7,sample,\n")
    plate = read_export(export, plate_map=plate_map)
    a7 = by_well(plate.wells).loc["A7"]
    assert (a7["role"], a7["sample_name"]) == ("sample", "") and pd.isna(a7["sample_id"])
    assert any(
        w.startswith("A7: sample or control wells with no name in the export")
        for w in plate.warnings
    )


def test_a_truncated_grid_of_a_full_plate_read(tmp_path: Path) -> None:
    text = gen5_text()
    cut = text[: text.index("\nG\t")] + "\r\n\r\n"
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(
        InputError, match="reads the full 96-well plate but the Results grid has 6 rows x 12"
    ):
        read_export(write(tmp_path, "plate.txt", cut), plate_map=plate_map)


def test_a_damaged_grid_line(tmp_path: Path) -> None:
    text = gen5_text().replace("\nC\t", "\nC\t0.1\t", 1)
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(InputError, match="row C of the Results grid has 14 cells for 12 columns"):
        read_export(write(tmp_path, "plate.txt", text), plate_map=plate_map)


# --- Gen5 with its own layout, concentrations and curve ----------------------------

LAYOUT_EXPORT = EXPORTS / "gen5_endpoint_layout_4pl.txt"


def test_layout_gives_roles_without_a_plate_map() -> None:
    plate = read_export(LAYOUT_EXPORT)
    wells = by_well(plate.wells)
    assert len(wells) == 96
    # G12 and H12 have no Well ID: read but not placed, so unassigned and named.
    assert wells.index[wells["role"] == "unassigned"].tolist() == ["G12", "H12"]
    assert ": G12, H12; they are kept with the role unassigned" in plate.warnings[0]
    assert (wells.loc["C1", "role"], wells.loc["C1", "level"]) == ("standard", 3)
    assert wells.loc["C1", "expected_conc"] == 250.0
    assert (wells.loc["H1", "role"], wells.loc["H1", "sample_name"]) == ("blank", "BLK")
    assert (wells.loc["B3", "role"], wells.loc["B3", "sample_id"]) == ("control", "CTL1")
    assert wells.loc["B3", "expected_conc"] == 300.0
    # SPL<n>:<k> is sample SPL<n> at its k-th dilution; Conc/Dil 0.5 means 1:2.
    assert (wells.loc["A4", "sample_name"], wells.loc["A4", "sample_id"]) == ("SPL7:1", "SPL7")
    assert (wells.loc["A5", "sample_name"], wells.loc["A5", "sample_id"]) == ("SPL15:2", "SPL15")
    assert (wells.loc["A5", "dilution"], wells.loc["A4", "dilution"]) == (2.0, 1.0)
    assert set(wells["analyte"]) == {"OD"}
    assert (wells["signal_kind"] == "OD450-630").all()
    assert (wells.loc["B5", "raw_text"], wells.loc["B5", "token"]) == ("OVRFLW|0.042", "overflow")
    assert (wells.loc["C6", "token"], wells.loc["D7", "token"]) == ("error", "error")
    assert (wells.loc["E8", "raw_text"], wells.loc["E8", "token"]) == ("0.234|OVRFLW", "overflow")
    assert wells.loc["A1", "signal"] == pytest.approx(0.063 - 0.042)


def test_gen5_concentrations_and_curve_go_to_the_vendor_table() -> None:
    vendor = read_export(LAYOUT_EXPORT).vendor
    per_well = vendor[vendor["quantity"] == "concentration"].set_index("well")
    assert len(per_well) == 96
    assert (per_well.loc["A1", "raw_text"], per_well.loc["A1", "token"]) == (
        ">1000.000",
        "oor_high",
    )
    assert (per_well.loc["H2", "raw_text"], per_well.loc["H2", "token"]) == ("<0.000", "oor_low")
    assert (per_well.loc["B5", "raw_text"], per_well.loc["B5", "token"]) == ("?????", "error")
    assert per_well.loc["C3", "value"] == 33.0
    assert per_well.loc["C3", "analyte"] == "OD"
    curve = vendor[vendor["well"].isna()].set_index("quantity")
    assert curve.loc["model", "raw_text"] == "Y = (A-D)/(1+(X/C)^B) + D"
    # Gen5's 4PL is DESIGN.md's model letter for letter, with g = 1.
    assert [curve.loc[q, "value"] for q in "abcdg"] == [0.052, 1.21, 412.5, 3.41, 1.0]
    assert curve.loc["r_squared", "value"] == 0.998
    assert (curve.loc["fit_prob", "raw_text"], curve.loc["fit_prob", "token"]) == ("?????", "error")


def test_a_map_without_roles_names_the_analyte(tmp_path: Path) -> None:
    layout = "well,role,analyte\n" + "".join(f"{r}{c},,NfL\n" for r in ROWS for c in range(1, 13))
    plate = read_export(LAYOUT_EXPORT, plate_map=write(tmp_path, "map.csv", layout))
    assert set(plate.wells["analyte"]) == {"NfL"}
    assert by_well(plate.wells).loc["C1", "role"] == "standard"  # the layout's role stands
    assert len(placed(plate.wells)) == 94 and len(plate.wells) == 96
    # G12 and H12 have no role, but the plate has one analyte, so their results name it.
    assert set(plate.vendor["analyte"]) == {"NfL"}


def test_a_layout_that_does_not_match_the_results(tmp_path: Path) -> None:
    text = LAYOUT_EXPORT.read_text(encoding="utf-8")
    start = text.index("H\tBLK")
    end = text.index("Conc/Dil", start) + len("Conc/Dil")
    damaged = text[:start] + text[end + 2 :]
    with pytest.raises(InputError, match=r"the Layout grid \(7 rows x 12 columns\) does not match"):
        read_export(write(tmp_path, "plate.txt", damaged))


# --- real exports ------------------------------------------------------------------


@pytest.mark.realdata
def test_gen5_abs450_overflow_and_missed(tmp_path: Path, realdata: Path) -> None:
    export = realdata / "gen5/gen5_abs450_overflow_missed.txt"
    alone = read_export(export)
    assert (alone.wells["role"] == "unassigned").all() and len(alone.wells) == 96
    layout = "well,role,sample_id\n" + "".join(
        f"{r}{c},sample,S{r}{c}\n" for r in ROWS for c in range(1, 13)
    )
    plate = read_export(export, plate_map=write(tmp_path, "map.csv", layout))
    wells = by_well(plate.wells)
    assert len(wells) == 96
    assert (wells["signal_kind"] == "OD450").all()
    assert wells["token"].value_counts().to_dict() == {"numeric": 83, "overflow": 8, "error": 5}
    # Read by eye from the file.
    assert wells.loc["A1", "signal"] == 2.1 and wells.loc["A1", "raw_text"] == "2.100"
    assert wells.loc["H12", "signal"] == 2.5
    assert (wells.loc["A8", "token"], wells.loc["A8", "raw_text"]) == ("overflow", "OVRFLW")
    assert (wells.loc["H1", "token"], wells.loc["D12", "token"]) == ("overflow", "error")
    assert wells.loc["D12", "raw_text"] == "MISSED" and math.isnan(wells.loc["D12", "signal"])
    assert plate.meta["format"] == "gen5"
    assert plate.meta["instrument"] == "Synergy H1"
    assert plate.meta["software_version"] == "3.12.08"
    assert plate.meta["serial_number"] == "Unknown"
    assert plate.meta["run_time"] == "4/11/2024 5:27:15 PM"
    assert plate.vendor.empty and plate.warnings == ()


@pytest.mark.realdata
def test_gen5_kinetic_export_is_refused_with_a_reason(tmp_path: Path, realdata: Path) -> None:
    export = realdata / "gen5/gen5_kinetic_stdcurve_4pl.txt"
    with pytest.raises(InputError) as raised:
        read_export(export)
    assert str(raised.value) == (
        f"{export}: this is a kinetic read (Runtime 0:30:00 (HH:MM:SS), Interval 0:00:30, "
        "61 Reads); kinetic reads are not supported: export the endpoint read"
    )
    plate_map = write(tmp_path, "map.csv", "well,role\nA1,blank\n")
    with pytest.raises(InputError, match="kinetic reads are not supported"):
        read_export(export, plate_map=plate_map)
