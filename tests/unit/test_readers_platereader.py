"""Plate-reader (Gen5-style) endpoint text exports."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import read_export

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
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
Plate Type\t96 WELL PLATE\r
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
    lines = [HEADER.format(wavelengths=", ".join(map(str, wavelengths)))]
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


def by_well(wells: pd.DataFrame) -> pd.DataFrame:
    assert wells["well"].is_unique
    return wells.set_index("well")


def test_dual_wavelength_signal_is_first_minus_reference(dual: tuple[Path, Path]) -> None:
    export, plate_map = dual
    plate = read_export(export, plate_map=plate_map)
    wells = by_well(plate.wells)
    a1 = wells.loc["A1"]
    assert a1["signal"] == pytest.approx(0.812 - 0.044)
    assert a1["raw_text"] == "0.812|0.044"
    assert a1["token"] == "numeric"
    assert (wells["signal_kind"] == "OD450-630").all()
    # A12 is not in the map: it has no role, so it is listed as rejected, not lost.
    assert "A12" not in wells.index
    grid_wells = {f"{r}{c}" for r in "ABCDEFGH" for c in range(1, 13)}
    assert set(wells.index) | {w.split()[1] for w in plate.rejected["where"]} == grid_wells
    assert "A12" in set(plate.rejected["where"].str.split().str[1])
    assert plate.rejected["reason"].str.contains("no row in the plate map").all()
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
    wells = by_well(plate.wells)
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
        "format": "platereader",
        "instrument": "Synergy HTX",
        "software": "Gen5",
        "software_version": "3.11.19",
        "serial_number": "21051712",
        "batch": "Plate 1",
        "run_time": "3/14/2024 10:02:11 AM",
        "sha256": plate.wells["source_sha256"].iloc[0],
        "source_file": str(export),
    }


def test_map_without_analyte_column_gives_od(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text())
    plate_map = write(tmp_path, "map.csv", "well,role,sample_id\nA1,blank,\nC7,sample,P1\n")
    wells = read_export(export, plate_map=plate_map).wells
    assert wells["well"].tolist() == ["A1", "C7"]
    assert set(wells["analyte"]) == {"OD"}
    assert wells["sample_name"].tolist() == ["Blank", "P1"]


def test_needs_a_plate_map(dual: tuple[Path, Path]) -> None:
    export, _ = dual
    with pytest.raises(
        InputError,
        match="is a plate-reader export that does not name well roles; give it a plate map",
    ) as raised:
        read_export(export)
    assert raised.value.file == str(export)


def test_detected_by_content_not_name(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.csv", gen5_text())
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    assert len(read_export(export, plate_map=plate_map).wells) == 11


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
    with pytest.raises(InputError, match="expected a plate row letter A to P, found 'Q'"):
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
    with pytest.raises(
        InputError, match="this sample well has no name in the export and no sample_id"
    ) as raised:
        read_export(export, plate_map=plate_map)
    assert raised.value.where == "well A7"


def real_export(relative: str) -> Path:
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"real export {relative} not found under {REALDATA} (no ../shared checkout)")
    return path


@pytest.mark.realdata
def test_gen5_abs450_overflow_and_missed(tmp_path: Path) -> None:
    export = real_export("gen5/gen5_abs450_overflow_missed.txt")
    with pytest.raises(InputError, match="give it a plate map"):
        read_export(export)
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
    assert plate.meta["instrument"] == "Synergy H1"
    assert plate.meta["software_version"] == "3.12.08"
    assert plate.meta["run_time"] == "4/11/2024 5:27:15 PM"


@pytest.mark.realdata
def test_gen5_kinetic_export_is_refused(tmp_path: Path) -> None:
    export = real_export("gen5/gen5_kinetic_stdcurve_4pl.txt")
    plate_map = write(tmp_path, "map.csv", "well,role\nA1,blank\n")
    with pytest.raises(InputError, match="kinetic read"):
        read_export(export, plate_map=plate_map)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("relative", "message"),
    [
        ("softmax/softmax_elisa_std8_utf16.txt", "not a supported plate export"),
        ("softmax/softmax_elisa_reduced_ascii.txt", "not a supported plate export"),
        ("bioplex/bioplex41_summary_27plex_5pl.xls", "Excel workbook"),
    ],
)
def test_other_formats_are_named_not_misread(relative: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_export(real_export(relative))
