"""xPONENT CSV reader, the shared guards of read_export, and the cell tokens."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from pathlib import Path

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import classify_cells, read_export
from assaypipe.readers.xponent import parse_location, split_export

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"


def real_export(relative: str) -> Path:
    path = REALDATA / relative
    if not path.exists():
        pytest.skip(f"real export {relative} not found under {REALDATA} (no ../shared checkout)")
    return path


HEADER = [
    ["Program", "xPONENT", "", "LX200"],
    ["Build", "3.1.871.0"],
    ["Date", "26/02/2014", "16:07"],
    ["SN", "LX10001234"],
    ["Batch", "plate_A"],
    ["BatchStartTime", "28/02/2014 21:44:35"],
    ["Samples", "6", "Min Events", "100", "Per Bead"],
    ["Results"],
]
WELLS = [
    ("1(1,A1)", "Background0"),
    ("2(1,B1)", "Standard1"),
    ("3(1,C1)", "Standard2"),
    ("4(1,D1)", "Control1"),
    ("5(1,E1)", "P01-V1"),
    ("6(1,F1)", "P02-V1"),
]
MEDIAN = [
    ["21", "30.5"],
    ["5000", "6000"],
    ["2500", "NaN"],
    ["800", ""],
    ["OOR <", "*12.5"],
    ["123", "> 5850"],
]
NET_MFI = [["0", "0"], ["4979", "5969.5"], ["2479", "NaN"], ["779", ""], ["", ""], ["102", ""]]
COUNT = [["50", "60"], ["51", "61"], ["52", "62"], ["53", "63"], ["54", "64"], ["55", ""]]
DILUTION = ["", "", "", "2", "2", "4"]


def well_block(name: str, values: list[list[str]]) -> list[list[str]]:
    rows = [["DataType:", name], ["Location", "Sample", "IL6", "IL8", "Total Events"]]
    for (location, sample), cells in zip(WELLS, values, strict=True):
        rows.append([location, sample, *cells, "400"])
    return rows


def export_rows(
    median: bool = True, median_wells: list[tuple[str, str]] | None = None
) -> list[list[str]]:
    """The handwritten export; `median_wells` replaces the Median block's wells."""
    rows = [*HEADER]
    if median_wells is not None:
        rows += [["DataType:", "Median"], ["Location", "Sample", "IL6", "IL8", "Total Events"]]
        rows += [[location, name, "1", "2", "400"] for location, name in median_wells]
    elif median:
        rows += well_block("Median", MEDIAN)
    rows += well_block("Net MFI", NET_MFI)
    rows += well_block("Count", COUNT)
    rows += [
        ["DataType:", "Standard Expected Concentration"],
        ["Reagent", "IL6", "IL8"],
        ["Standard1", "1000", "2000"],
        ["Standard2", "500", "1000"],
        ["DataType:", "Control Expected Concentration"],
        ["Reagent", "IL6", "IL8"],
        ["Control1", "100", "200"],
        ["DataType:", "Dilution Factor"],
        ["Location", "Sample", "Dilution Factor"],
    ]
    rows += [[loc, name, factor] for (loc, name), factor in zip(WELLS, DILUTION, strict=True)]
    rows += [["-- CRC --"], ["CRC32: 53B2478C"]]
    return rows


def to_csv(rows: list[list[str]], quoted: bool = False, crlf: bool = False, pad: int = 0) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL,
        lineterminator="\r\n" if crlf else "\n",
    )
    for row in rows:
        # Excel re-saves pad every row with empty cells to the widest row.
        writer.writerow(row + [""] * max(0, pad - len(row)))
    return buffer.getvalue()


def write(tmp_path: Path, text: str, name: str = "plate7.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write(tmp_path, to_csv(export_rows(), pad=8))


def cell(wells: pd.DataFrame, well: str, analyte: str) -> pd.Series:
    rows = wells[(wells["well"] == well) & (wells["analyte"] == analyte)]
    assert len(rows) == 1, f"{well}/{analyte}: {len(rows)} rows"
    return rows.iloc[0]


# --- handwritten exports -----------------------------------------------------------


def test_reads_one_row_per_well_and_analyte(export: Path) -> None:
    plate = read_export(export)
    wells = plate.wells
    tables.WELLS.validate(wells)
    assert len(wells) == 6 * 2
    assert list(wells["analyte"].unique()) == ["IL6", "IL8"]
    assert "Total Events" not in set(wells["analyte"])
    assert (wells["plate_id"] == "plate7").all()
    assert (wells["source_file"] == str(export)).all()
    assert (wells["source_sha256"] == hashlib.sha256(export.read_bytes()).hexdigest()).all()
    assert (wells["signal_kind"] == "Median MFI").all()
    assert wells["concentration"].isna().all() and wells["censor"].isna().all()
    assert (wells["flags"] == "").all()


def test_cells_keep_text_token_and_number(export: Path) -> None:
    wells = read_export(export).wells
    expected = {
        ("A1", "IL6"): ("21", "numeric", 21.0),
        ("A1", "IL8"): ("30.5", "numeric", 30.5),
        ("C1", "IL8"): ("NaN", "nan", math.nan),
        ("D1", "IL8"): ("", "not_reported", math.nan),
        ("E1", "IL6"): ("OOR <", "oor_low", math.nan),
        ("E1", "IL8"): ("*12.5", "extrapolated", 12.5),
        ("F1", "IL8"): ("> 5850", "oor_high", math.nan),
    }
    for (well, analyte), (text, token, value) in expected.items():
        row = cell(wells, well, analyte)
        assert (row["raw_text"], row["token"]) == (text, token), (well, analyte)
        assert row["signal"] == pytest.approx(value, nan_ok=True), (well, analyte)


def test_roles_levels_expected_and_dilution(export: Path) -> None:
    wells = read_export(export).wells
    blank = cell(wells, "A1", "IL6")
    assert (blank["role"], blank["sample_name"]) == ("blank", "Background0")
    assert pd.isna(blank["sample_id"]) and pd.isna(blank["level"])
    assert math.isnan(blank["expected_conc"]) and blank["dilution"] == 1.0

    standard = cell(wells, "C1", "IL8")
    assert (standard["role"], standard["level"]) == ("standard", 2)
    assert pd.isna(standard["sample_id"])
    assert standard["expected_conc"] == 1000.0 and standard["dilution"] == 1.0

    control = cell(wells, "D1", "IL6")
    assert (control["role"], control["level"], control["sample_id"]) == ("control", 1, "Control1")
    assert control["expected_conc"] == 100.0 and control["dilution"] == 2.0

    sample = cell(wells, "F1", "IL6")
    assert (sample["role"], sample["sample_id"], sample["sample_name"]) == (
        "sample",
        "P02-V1",
        "P02-V1",
    )
    assert math.isnan(sample["expected_conc"]) and sample["dilution"] == 4.0


def test_bead_counts_come_from_the_count_block(export: Path) -> None:
    wells = read_export(export).wells
    assert cell(wells, "B1", "IL8")["bead_count"] == 61
    assert pd.isna(cell(wells, "F1", "IL8")["bead_count"])
    assert str(wells["bead_count"].dtype) == "Int64"


def test_net_mfi_signal(export: Path) -> None:
    wells = read_export(export, signal="net_mfi").wells
    assert (wells["signal_kind"] == "Net MFI").all()
    assert cell(wells, "B1", "IL8")["signal"] == 5969.5
    assert cell(wells, "E1", "IL6")["token"] == "not_reported"


def test_meta(export: Path) -> None:
    meta = read_export(export).meta
    assert meta == {
        "format": "xponent",
        "instrument": "LX200",
        "software": "xPONENT",
        "software_version": "3.1.871.0",
        "serial_number": "LX10001234",
        "batch": "plate_A",
        "run_time": "28/02/2014 21:44:35",
        "sha256": hashlib.sha256(export.read_bytes()).hexdigest(),
        "source_file": str(export),
    }


def test_plate_id_can_be_given(export: Path) -> None:
    assert (read_export(export, plate_id="P-001").wells["plate_id"] == "P-001").all()


CONTENT = ["well", "analyte", "role", "sample_name", "signal", "raw_text", "token", "dilution"]


@pytest.mark.parametrize(
    ("quoted", "crlf", "pad", "encoding"),
    [
        (True, True, 0, "utf-8"),
        (True, False, 0, "utf-8-sig"),
        (False, True, 12, "utf-16"),
        (False, False, 0, "cp1252"),
    ],
)
def test_variants_read_the_same(
    tmp_path: Path, export: Path, quoted: bool, crlf: bool, pad: int, encoding: str
) -> None:
    variant = tmp_path / "variant.csv"
    variant.write_bytes(to_csv(export_rows(), quoted=quoted, crlf=crlf, pad=pad).encode(encoding))
    assert variant.read_bytes() != export.read_bytes()
    pd.testing.assert_frame_equal(
        read_export(variant).wells[CONTENT], read_export(export).wells[CONTENT]
    )


def test_no_median_block(tmp_path: Path) -> None:
    path = write(tmp_path, to_csv(export_rows(median=False)))
    with pytest.raises(InputError, match="no Median block was found") as raised:
        read_export(path)
    assert raised.value.file == str(path)
    assert "Net MFI" in str(raised.value)  # says which blocks it did find


def test_no_net_mfi_block_when_asked_for(tmp_path: Path) -> None:
    text = to_csv(export_rows()).replace("DataType:,Net MFI", "DataType:,Mean")
    with pytest.raises(InputError, match="no Net MFI block was found"):
        read_export(write(tmp_path, text), signal="net_mfi")


def test_duplicate_well_names_well_and_line(tmp_path: Path) -> None:
    wells = [*WELLS[:3], ("4(1,B1)", "P09"), *WELLS[4:]]
    path = write(tmp_path, to_csv(export_rows(median_wells=wells)))
    with pytest.raises(InputError, match=r"well B1 appears twice .*lines 12 and 14") as raised:
        read_export(path)
    assert raised.value.where == "line 14"


def test_repeated_analyte_column(tmp_path: Path) -> None:
    text = to_csv(export_rows()).replace(
        "Location,Sample,IL6,IL8,Total Events", "Location,Sample,IL6,IL6,Total Events", 1
    )
    with pytest.raises(
        InputError, match="analyte 'IL6' appears twice in the Median block"
    ) as raised:
        read_export(write(tmp_path, text))
    assert raised.value.where == "line 10"


def test_median_block_without_wells(tmp_path: Path) -> None:
    path = write(tmp_path, to_csv(export_rows(median_wells=[])))
    with pytest.raises(InputError, match="the Median block has no wells"):
        read_export(path)


def test_bad_location(tmp_path: Path) -> None:
    wells = [*WELLS[:2], ("3(1,Z9)", "P09"), *WELLS[3:]]
    path = write(tmp_path, to_csv(export_rows(median_wells=wells)))
    with pytest.raises(
        InputError, match=r"expected a well location like 1\(1,A1\), found '3\(1,Z9\)'"
    ):
        read_export(path)


def test_two_plates_in_one_export(tmp_path: Path) -> None:
    wells = [*WELLS[:5], ("97(2,A1)", "P09")]
    path = write(tmp_path, to_csv(export_rows(median_wells=wells)))
    with pytest.raises(InputError, match="wells of 2 plates"):
        read_export(path)


def test_dilution_factor_must_be_positive(tmp_path: Path) -> None:
    text = to_csv(export_rows()).replace('"6(1,F1)",P02-V1,4', '"6(1,F1)",P02-V1,0')
    path = write(tmp_path, text)
    with pytest.raises(InputError, match="well F1 has dilution factor '0'") as raised:
        read_export(path)
    assert raised.value.where is not None and raised.value.where.startswith("line ")


def test_a_sample_needs_a_name(tmp_path: Path) -> None:
    wells = [*WELLS[:5], ("6(1,F1)", "")]
    path = write(tmp_path, to_csv(export_rows(median_wells=wells)))
    with pytest.raises(InputError, match="this sample well has no name in the export") as raised:
        read_export(path)
    assert raised.value.where == "well F1"


def test_semicolon_resave_is_named(tmp_path: Path) -> None:
    text = to_csv(export_rows()).replace(",", ";")
    with pytest.raises(InputError, match="re-saved with semicolons"):
        read_export(write(tmp_path, text))


def test_unknown_signal_is_a_programming_error(export: Path) -> None:
    with pytest.raises(ValueError, match="signal must be one of"):
        read_export(export, signal="mean")


# --- guards every export passes ----------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(InputError, match=r"the file is empty \(0 bytes\)"):
        read_export(path)


def test_blank_lines_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the file is empty"):
        read_export(write(tmp_path, "\r\n\r\n  \n"))


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "plate.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary file") as raised:
        read_export(path)
    assert raised.value.file == str(path)


def test_excel_workbook(tmp_path: Path) -> None:
    path = tmp_path / "plate.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"\x00" * 64)
    with pytest.raises(InputError, match="Excel workbook"):
        read_export(path)


def test_size_cap(export: Path) -> None:
    with pytest.raises(InputError, match="larger than the 100 bytes"):
        read_export(export, max_bytes=100)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_export(tmp_path / "nope.csv")


def test_unsupported_text(tmp_path: Path) -> None:
    path = write(tmp_path, "well,od\nA1,0.1\n")
    with pytest.raises(
        InputError,
        match=r"not a supported plate export \(expected an xPONENT CSV or a plate-reader",
    ):
        read_export(path)


# --- layers and tokens -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "well"),
    [
        ("1(1,A1)", "A1"),
        ("12(1,D2)", "D2"),
        ("96(1,H12)", "H12"),
        ("384(1,P24)", "P24"),
        ("A1", "A1"),
        ("1(1, b03)", "B3"),
    ],
)
def test_parse_location(text: str, well: str) -> None:
    assert parse_location(text)[1] == well


@pytest.mark.parametrize("text", ["", "1(1,Q1)", "1(1,A25)", "1(1,A0)", "Background0", "1,B9"])
def test_parse_location_rejects(text: str) -> None:
    with pytest.raises(InputError):
        parse_location(text, "f.csv", 3)


@pytest.mark.parametrize(
    ("text", "token", "value"),
    [
        ("21", "numeric", 21.0),
        (" -3.5e2 ", "numeric", -350.0),
        ("NaN", "nan", math.nan),
        ("", "not_reported", math.nan),
        ("< 0.10528564453125", "oor_low", math.nan),
        ("<0.000", "oor_low", math.nan),
        ("OOR <", "oor_low", math.nan),
        ("> 5850", "oor_high", math.nan),
        (">40.000", "oor_high", math.nan),
        ("OOR >", "oor_high", math.nan),
        ("*12.3", "extrapolated", 12.3),
        ("Masked", "masked", math.nan),
        ("OVRFLW", "overflow", math.nan),
        ("?????", "error", math.nan),
        ("MISSED", "error", math.nan),
        ("Range?", "error", math.nan),
        ("***", "error", math.nan),
        ("---", "error", math.nan),
        ("Inf", "error", math.nan),
    ],
)
def test_classify_cells(text: str, token: str, value: float) -> None:
    tokens, values = classify_cells(pd.Series([text, "1"], dtype="str"))
    assert tokens.tolist() == [token, "numeric"]
    assert values.iloc[0] == pytest.approx(value, nan_ok=True)


# --- real exports ------------------------------------------------------------------


@pytest.mark.realdata
def test_drlumi_xponent31() -> None:
    path = real_export("xponent/xponent31_quant_30plex_drLumi.csv")
    plate = read_export(path)
    wells = plate.wells
    tables.WELLS.validate(wells)
    assert wells["well"].nunique() == 96
    assert wells["analyte"].nunique() == 30
    assert len(wells) == 96 * 30
    roles = wells.drop_duplicates("well")["role"].value_counts().to_dict()
    assert roles == {"sample": 71, "standard": 17, "control": 6, "blank": 2}
    assert (wells["token"] == "numeric").all()

    # Values read by eye from the file.
    a1 = cell(wells, "A1", "FGF")
    assert (a1["sample_name"], a1["role"], a1["signal"], a1["bead_count"]) == (
        "Background0",
        "blank",
        21.0,
        189,
    )
    b1 = cell(wells, "B1", "FGF")
    assert (b1["sample_name"], b1["role"], b1["level"], b1["signal"]) == (
        "Control1",
        "control",
        1,
        2902.0,
    )
    assert b1["expected_conc"] == 1150.0 and b1["dilution"] == 2.0
    c1 = cell(wells, "C1", "IL8")
    assert (c1["sample_id"], c1["signal"], c1["raw_text"], c1["dilution"]) == (
        "B_sid_13_CSP",
        6408.0,
        "6408",
        2.0,
    )
    a2 = cell(wells, "A2", "FGF")
    assert (a2["sample_name"], a2["level"], a2["expected_conc"], a2["dilution"]) == (
        "Standard1",
        1,
        3450.0,
        1.0,
    )
    assert cell(wells, "A2", "IL1B")["signal"] == 9188.0
    # Standard5 FGF is printed 215625 (215.625 lost its point); the reader keeps it.
    assert cell(wells, "H6", "FGF")["expected_conc"] == 215625.0
    assert cell(wells, "H12", "IL8")["bead_count"] == 146
    assert cell(wells, "G12", "IL10")["signal"] == 339.0

    assert plate.meta["instrument"] == "LX100/LX200"
    assert plate.meta["software_version"] == "3.1.871.0"
    assert plate.meta["serial_number"] == "drLumi1234567890"
    assert plate.meta["batch"] == "plate_1"
    assert plate.meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    net = read_export(path, signal="net_mfi").wells
    assert cell(net, "B1", "FGF")["signal"] == 2882.0
    assert cell(net, "A1", "IL1B")["signal"] == -0.25


@pytest.mark.realdata
def test_drlumi_blocks_split() -> None:
    text = real_export("xponent/xponent31_quant_30plex_drLumi.csv").read_text()
    names = [block.name for block in split_export(text).blocks]
    assert names[:4] == ["Median", "Net MFI", "Count", "Result"]
    assert "Dilution Factor" in names and names[-1] == "Warnings/Errors"


@pytest.mark.realdata
def test_xponent43_nan_and_not_reported() -> None:
    plate = read_export(real_export("xponent/xponent43_nan_not_reported.csv"))
    wells = plate.wells
    assert len(wells) == 96 * 3
    assert set(wells["analyte"]) == {"analyte1", "analyte2", "analyte3"}
    assert (wells["role"] == "sample").all()
    assert wells["token"].value_counts().to_dict() == {"nan": 287, "not_reported": 1}
    assert cell(wells, "A1", "analyte3")["token"] == "not_reported"
    assert cell(wells, "A1", "analyte3")["raw_text"] == ""
    assert cell(wells, "B1", "analyte3")["raw_text"] == "NaN"
    assert wells["signal"].isna().all()
    assert (wells["bead_count"] == 0).all() and (wells["dilution"] == 1.0).all()
    assert cell(wells, "H12", "analyte1")["sample_id"] == "Unknown96"
    assert plate.meta["instrument"] == "FlexMAP 3D"
    assert plate.meta["software_version"] == "4.3.309.1"
    net = read_export(real_export("xponent/xponent43_nan_not_reported.csv"), signal="net_mfi")
    assert cell(net.wells, "A1", "analyte3")["signal"] == 2.0


@pytest.mark.realdata
def test_intelliflex_quoted_export() -> None:
    plate = read_export(real_export("xponent/intelliflex_long_example.csv"))
    wells = plate.wells
    assert len(wells) == 12 * 5
    assert list(wells["well"].unique()) == [f"A{c}" for c in range(1, 13)]
    assert "Monitoring" in set(wells["analyte"])
    assert cell(wells, "A1", "6P_PBS_3_day2")["signal"] == 2616118.5
    assert cell(wells, "A10", "Monitoring")["role"] == "blank"
    assert plate.meta["instrument"] == "Intelliflex"
    assert plate.meta["run_time"] == "2024-10-18 11:36"
