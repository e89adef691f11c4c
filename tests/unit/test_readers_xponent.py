"""xPONENT and INTELLIFLEX CSV reader, and the cell tokens."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from pathlib import Path

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.curves import fit_plate_curves
from assaypipe.errors import InputError
from assaypipe.readers import classify_cells, read_export, read_exports
from assaypipe.readers.xponent import RESULT_BASIS, parse_location, split_export
from assaypipe.settings import CurveSettings
from tests import hostile

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


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
    # Control Expected Concentration 100 is in the terms of xPONENT's Result (x the
    # dilution 2): in the well, 50.
    assert control["expected_conc"] == 50.0 and control["dilution"] == 2.0

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
        "kit_lot": "",
        "unit": "",
        "plate_name": "",
        "plate_id": export.stem,
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


def test_a_well_twice_keeps_its_first_row_and_warns(tmp_path: Path) -> None:
    wells = [*WELLS[:3], ("4(1,B1)", "P09"), *WELLS[4:]]
    plate = read_export(write(tmp_path, to_csv(export_rows(median_wells=wells))))
    assert (
        "line 14: well B1 appears twice in the Median block (lines 12 and 14); "
        "the first is read" in plate.warnings
    )
    b1 = cell(plate.wells, "B1", "IL6")
    assert (b1["sample_name"], b1["role"]) == ("Standard1", "standard")
    # D1 is in every other block but not in the Median block: named, not dropped silently.
    assert "D1" not in set(plate.wells["well"])
    assert any(
        "the Net MFI block has a row for well D1, which the Median block lacks" in warning
        for warning in plate.warnings
    )


def test_an_analyte_twice_keeps_its_first_column_and_warns(tmp_path: Path) -> None:
    text = to_csv(export_rows()).replace(
        "Location,Sample,IL6,IL8,Total Events", "Location,Sample,IL6,IL6,Total Events", 1
    )
    plate = read_export(write(tmp_path, text))
    assert (
        "line 10: analyte 'IL6' has two columns in the Median block (columns 3 and 4); "
        "the first is read, the other is not" in plate.warnings
    )
    assert list(plate.wells["analyte"].unique()) == ["IL6"]
    assert cell(plate.wells, "B1", "IL6")["signal"] == 5000.0  # the first column


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


def test_two_plates_in_one_export_are_read_as_two_plates(tmp_path: Path) -> None:
    # Plate 2 holds a well A1 too: the locations 97(2,A1) and 1(1,A1) are different wells.
    second = [("97(2,A1)", "P09"), ("98(2,B1)", "Standard1")]
    rows = export_rows()
    for block in ("Median", "Net MFI", "Count"):
        end = next(
            i
            for i in range(rows.index(["DataType:", block]) + 2, len(rows))
            if rows[i][0].startswith("DataType:")
        )
        rows[end:end] = [[location, name, "7", "8", "400"] for location, name in second]
    factors = ["3", ""]
    rows[-2:-2] = [[loc, name, f] for (loc, name), f in zip(second, factors, strict=True)]
    path = write(tmp_path, to_csv(rows))
    plates = read_exports(path)
    assert [p.meta["plate_name"] for p in plates] == ["plate 1", "plate 2"]
    assert [p.meta["plate_id"] for p in plates] == ["plate7_plate_1", "plate7_plate_2"]
    one, two = (p.wells for p in plates)
    assert one["well"].nunique() == 6 and list(two["well"].unique()) == ["A1", "B1"]
    assert cell(one, "A1", "IL6")["signal"] == 21.0
    assert cell(two, "A1", "IL6")[["sample_name", "signal", "dilution"]].tolist() == [
        "P09",
        7.0,
        3.0,
    ]
    assert cell(two, "B1", "IL8")[["role", "expected_conc", "bead_count"]].tolist() == [
        "standard",
        2000.0,
        8,
    ]
    # Header Samples 6 against 8 names in 8 wells: one warning, on both plates.
    assert all(any("Samples line says 6" in w for w in p.warnings) for p in plates)
    with pytest.raises(InputError, match=r"holds 2 plates \(plate 1, plate 2\)"):
        read_export(path)


def test_a_dilution_factor_that_is_not_above_0_reads_as_1_and_warns(tmp_path: Path) -> None:
    text = to_csv(export_rows()).replace('"6(1,F1)",P02-V1,4', '"6(1,F1)",P02-V1,0')
    plate = read_export(write(tmp_path, text))
    assert cell(plate.wells, "F1", "IL6")["dilution"] == 1.0
    (warning,) = [w for w in plate.warnings if "Dilution Factor" in w]
    assert warning.startswith("line ")
    assert "gives F1 '0': not a number above 0; that well is read as undiluted (1)" in warning


def test_a_sample_needs_a_name(tmp_path: Path) -> None:
    wells = [*WELLS[:5], ("6(1,F1)", "")]
    path = write(tmp_path, to_csv(export_rows(median_wells=wells)))
    plate = read_export(path)
    # The fixture's Count block has no count for F1 IL8, which this Median block measures.
    assert tuple(w for w in plate.warnings if "bead count" not in w) == (
        "F1: sample or control wells with no name in the export and no sample_id in the plate "
        "map; they are read but belong to no sample: add their sample_id to the plate map",
    )
    assert plate.wells.loc[plate.wells["well"] == "F1", "sample_id"].isna().all()


def test_unknown_signal_is_a_programming_error(export: Path) -> None:
    with pytest.raises(ValueError, match="signal must be one of"):
        read_export(export, signal="mean")


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
        ("***", "not_reported", math.nan),
        ("---", "masked", math.nan),
        ("Extrapolated", "extrapolated", math.nan),
        ("*", "error", math.nan),
        ("Error", "error", math.nan),
        ("Inf", "error", math.nan),
    ],
)
def test_classify_cells(text: str, token: str, value: float) -> None:
    tokens, values = classify_cells(pd.Series([text, "1"], dtype="str"))
    assert tokens.tolist() == [token, "numeric"]
    assert values.iloc[0] == pytest.approx(value, nan_ok=True)


# --- the synthetic exports of tests/data/exports ----------------------------------

RESAVED = EXPORTS / "xponent/xponent31_2plex_resaved.csv"
EUROPEAN = EXPORTS / "xponent/xponent31_2plex_european.csv"


def test_excel_resave_with_padding_and_blank_lines_between_blocks() -> None:
    # Written with 0, 1, 2 and 3 blank lines between blocks and every row padded.
    plate = read_export(RESAVED)
    wells = plate.wells
    assert len(wells) == 12 * 2 and wells["well"].nunique() == 12
    assert wells.drop_duplicates("well")["role"].value_counts().to_dict() == {
        "sample": 4,
        "standard": 5,
        "blank": 2,
        "control": 1,
    }
    assert cell(wells, "G1", "CCL2")["expected_conc"] == 3.90625
    # Control Expected Concentration 400 at Dilution Factor 2: 200 in the well.
    assert cell(wells, "H1", "HGF")[["expected_conc", "dilution"]].tolist() == [200.0, 2.0]
    assert cell(wells, "C2", "HGF")[["raw_text", "token", "signal"]].tolist() == [
        "*12.5",
        "extrapolated",
        12.5,
    ]
    assert cell(wells, "D2", "CCL2")["token"] == "oor_high"
    assert cell(wells, "B2", "CCL2")["token"] == "not_reported"
    assert cell(wells, "B2", "HGF")["bead_count"] == 39
    assert plate.meta["kit_lot"] == "K2024-0311"
    assert plate.meta["unit"] == "pg/mL"
    assert plate.meta["serial_number"] == "LX12345678901"
    assert plate.warnings == ()  # its Warnings/Errors block is empty


def test_vendor_results_of_every_computed_block() -> None:
    vendor = read_export(RESAVED).vendor
    tables.VENDOR_RESULTS.validate(vendor)

    def value(analyte: str, well: str | None, quantity: str) -> pd.Series:
        rows = vendor[
            (vendor["analyte"] == analyte)
            & (vendor["quantity"] == quantity)
            & ((vendor["well"] == well) if well else vendor["well"].isna())
        ]
        assert len(rows) == 1, (analyte, well, quantity)
        return rows.iloc[0]

    assert value("CCL2", "C1", "concentration")["value"] == 1012.3
    assert value("CCL2", "C2", "concentration")[["raw_text", "token"]].tolist() == [
        "< 0.105",
        "oor_low",
    ]
    assert value("HGF", "C2", "concentration")["token"] == "extrapolated"
    # Logistic 5P: y = A + (B - A) / (1 + (x / C)^D)^F is DESIGN.md's model with
    # d = A, a = B, c = C, b = D, g = F.
    assert value("CCL2", None, "model")[["raw_text", "token"]].tolist() == [
        "Logistic 5P",
        "text",
    ]
    assert [value("CCL2", None, q)["value"] for q in "abcdg"] == [
        25000.5,
        -1.12,
        850.25,
        -1.5,
        0.91,
    ]
    assert value("CCL2", None, "r_squared")["value"] == 0.9991
    # Another model keeps xPONENT's letters.
    assert value("HGF", None, "param_B")["value"] == 30100.0
    assert not ((vendor["analyte"] == "HGF") & (vendor["quantity"] == "a")).any()


def test_semicolon_comma_decimal_export_reads_like_the_comma_export() -> None:
    european = read_export(EUROPEAN)
    comma = read_export(RESAVED)
    columns = ["well", "analyte", "role", "level", "expected_conc", "dilution", "signal", "token"]
    pd.testing.assert_frame_equal(european.wells[columns], comma.wells[columns])
    assert cell(european.wells, "D1", "CCL2")[["raw_text", "signal"]].tolist() == ["4980,5", 4980.5]
    assert european.vendor["value"].equals(comma.vendor["value"])
    assert european.meta["kit_lot"] == "K2024-0311"


def test_a_file_cut_after_its_signal_block_is_read_and_warned_of(tmp_path: Path) -> None:
    text = RESAVED.read_text(encoding="utf-8")
    cut = text[: text.index("DataType:,Analysis Types")]
    plate = read_export(write(tmp_path, cut))
    assert plate.wells["well"].nunique() == 12
    (warning,) = [w for w in plate.warnings if "-- CRC --" in w]
    assert warning.startswith("the file ends at line ")
    assert "blocks may be missing (the Median block is complete and read)" in warning
    assert not (plate.vendor["quantity"] == "model").any()  # the cut-off blocks


def test_a_file_cut_in_its_signal_block_is_refused(tmp_path: Path) -> None:
    text = RESAVED.read_text(encoding="utf-8")
    cut = text[: text.index('"5(1,E1)"')]
    with pytest.raises(InputError, match=r"in the Median block and without xPONENT's closing"):
        read_export(write(tmp_path, cut))
    # Cut before any block: nothing to place.
    with pytest.raises(InputError, match=r"no Median block was found .*looks cut short"):
        read_export(write(tmp_path, text[: text.index("DataType:")]))


def test_a_missing_median_row_is_named_by_the_other_blocks(tmp_path: Path) -> None:
    lines = RESAVED.read_text(encoding="utf-8").splitlines(keepends=True)
    median_b2 = next(i for i, line in enumerate(lines) if line.startswith('"10(1,B2)"'))
    text = "".join(lines[:median_b2] + lines[median_b2 + 1 :])
    plate = read_export(write(tmp_path, text))
    assert "B2" not in set(plate.wells["well"]) and plate.wells["well"].nunique() == 11
    assert any(
        "the Net MFI block has a row for well B2, which the Median block lacks; "
        "this well is not read (no Median value)" in warning
        for warning in plate.warnings
    )


def test_fewer_samples_than_the_header_says_is_a_warning(tmp_path: Path) -> None:
    text = RESAVED.read_text(encoding="utf-8").replace("Samples,11,", "Samples,14,")
    plate = read_export(write(tmp_path, text))
    assert plate.warnings == (
        "the header's Samples line says 14 but the Median block names 11 different samples "
        "in 12 wells; the export holds part of the run or was edited: check that every "
        "well you expect is there",
    )
    assert plate.wells["well"].nunique() == 12


def test_a_count_block_without_a_well_gives_it_no_bead_count(tmp_path: Path) -> None:
    lines = RESAVED.read_text(encoding="utf-8").splitlines(keepends=True)
    count = next(i for i, line in enumerate(lines) if line.startswith("DataType:,Count"))
    h1 = next(i for i in range(count, len(lines)) if lines[i].startswith('"8(1,H1)"'))
    text = "".join(lines[:h1] + lines[h1 + 1 :])
    plate = read_export(write(tmp_path, text))
    assert cell(plate.wells, "H1", "HGF")["bead_count"] is pd.NA
    assert cell(plate.wells, "B2", "HGF")["bead_count"] == 39
    assert plate.warnings == (
        f"line {count + 1}: the Count block has no row for well H1, which the Median block "
        "has; they are read without a bead count",
    )


def test_a_count_block_without_an_analyte_column(tmp_path: Path) -> None:
    lines = RESAVED.read_text(encoding="utf-8").splitlines(keepends=True)
    count = next(i for i, line in enumerate(lines) if line.startswith("DataType:,Count"))
    lines[count + 1] = lines[count + 1].replace("HGF", "HGF2", 1)
    plate = read_export(write(tmp_path, "".join(lines)))
    assert plate.wells["bead_count"][plate.wells["analyte"] == "HGF"].isna().all()
    assert plate.wells["bead_count"][plate.wells["analyte"] == "CCL2"].notna().all()
    assert set(plate.wells["analyte"]) == {"CCL2", "HGF"}
    assert plate.warnings == (
        f"line {count + 2}: the Count block has no column for analyte 'HGF', which the "
        "Median block has; they are read without a bead count",
        f"line {count + 2}: the Count block has a column for analyte 'HGF2', which the "
        "Median block lacks; it is not read",
    )


def test_values_under_an_empty_analyte_name(tmp_path: Path) -> None:
    text = RESAVED.read_text(encoding="utf-8")
    in_median = text.replace(
        "Location,Sample,CCL2,HGF,Total Events,", "Location,Sample,CCL2,,Total Events,", 1
    )
    with pytest.raises(InputError, match="column 4 of the Median block has values but no analyte"):
        read_export(write(tmp_path, in_median))
    # In a block that is not the signal, the column is left out with a warning.
    count = text.index("DataType:,Count")
    in_count = text[:count] + text[count:].replace(
        "Location,Sample,CCL2,HGF,Total Events,", "Location,Sample,CCL2,,Total Events,", 1
    )
    plate = read_export(write(tmp_path, in_count))
    assert any(
        "column 4 of the Count block has values but no analyte name" in w
        and w.endswith("the column is not read")
        for w in plate.warnings
    )
    assert plate.wells.loc[plate.wells["analyte"] == "HGF", "bead_count"].isna().all()


def test_a_well_twice_is_read_once_and_an_unknown_well_name_is_refused(tmp_path: Path) -> None:
    text = RESAVED.read_text(encoding="utf-8")
    twice = text.replace('"12(1,D2)",S02-M3,> 30000', '"12(1,C2)",S02-M3,> 30000', 1)
    plate = read_export(write(tmp_path, twice))
    assert any("well C2 appears twice in the Median block" in w for w in plate.warnings)
    assert cell(plate.wells, "C2", "CCL2")["sample_name"] != "S02-M3"  # the first C2 row
    unknown = text.replace('"12(1,D2)",S02-M3,> 30000', '"12(1,R2)",S02-M3,> 30000', 1)
    with pytest.raises(InputError, match=r"expected a well location like 1\(1,A1\), found"):
        read_export(write(tmp_path, unknown))


def test_units_are_per_analyte_and_result_is_in_the_sample(tmp_path: Path) -> None:
    rows = export_rows()
    rows[-2:-2] = [
        ["DataType:", "Units"],
        ["Analyte:", "IL6", "IL8"],
        ["BeadID:", "19", "78"],
        ["Units:", "pg/mL", "ng/mL"],
        *well_block("Result", [["1.5", "2.5"]] * len(WELLS)),
    ]
    plate = read_export(write(tmp_path, to_csv(rows)))
    units = plate.wells.drop_duplicates("analyte").set_index("analyte")["unit"].to_dict()
    assert units == {"IL6": "pg/mL", "IL8": "ng/mL"}
    assert plate.meta["unit"] == "pg/mL; ng/mL"
    result = plate.vendor[plate.vendor["quantity"] == "concentration"]
    assert len(result) == 12 and (result["basis"] == "sample").all()
    assert result.groupby("analyte")["unit"].first().to_dict() == units


def test_xponents_warnings_and_errors_are_summarised_in_one_warning(tmp_path: Path) -> None:
    rows = export_rows()
    rows[-2:-2] = [
        ["DataType:", "Warnings/Errors"],
        ["Location", "Status", "Message"],
        *(
            ["1," + well, "Warning", "Region did not reach the count.  (0x4FF010AB)"]
            for well in ("A1", "B1", "C1", "D1")
        ),
        ["1,F1", "Error", "No liquid detected."],
        ["1,F1", "Warning", "Region did not reach the count.  (0x4FF010AB)"],
        ["", "Warning", "Batch stopped early."],
    ]
    plate = read_export(write(tmp_path, to_csv(rows)))
    log = [w for w in plate.warnings if "Warnings/Errors" in w]
    line = rows.index(["DataType:", "Warnings/Errors"]) + 1
    # The batch-wide message names no well: it is summarised apart, for every plate.
    assert log == [
        f"line {line}: xPONENT's Warnings/Errors block holds 1 warning: 'Batch stopped early.'",
        f"line {line}: xPONENT's Warnings/Errors block holds 5 warnings and 1 error on "
        "5 wells: 'Region did not reach the count. (0x4FF010AB)' at 5 wells; "
        "'No liquid detected.' at well F1",
    ]


def test_intelliflex_is_named_as_such(tmp_path: Path) -> None:
    text = RESAVED.read_text(encoding="utf-8").replace(",LX200,", ",INTELLIFLEX DR-SE,", 1)
    meta = read_export(write(tmp_path, text)).meta
    assert (meta["format"], meta["instrument"]) == ("intelliflex", "INTELLIFLEX DR-SE")


# --- real exports ------------------------------------------------------------------


@pytest.mark.realdata
def test_drlumi_xponent31(realdata: Path) -> None:
    path = realdata / "xponent/xponent31_quant_30plex_drLumi.csv"
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
    # Control Expected Concentration 1150 at Dilution Factor 2: 575 in the well.
    assert b1["expected_conc"] == 575.0 and b1["dilution"] == 2.0
    assert b1["unit"] == "pg/mL" and (wells["unit"] == "pg/mL").all()
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
    assert cell(wells, "H12", "IL8")["bead_count"] == 146
    assert cell(wells, "G12", "IL10")["signal"] == 339.0

    assert plate.meta["instrument"] == "LX100/LX200"
    assert plate.meta["software_version"] == "3.1.871.0"
    assert plate.meta["serial_number"] == "drLumi1234567890"
    assert plate.meta["batch"] == "plate_1"
    assert plate.meta["run_time"] == "28/02/2014 21:44:35"
    assert plate.meta["unit"] == "pg/mL"
    assert plate.meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()

    net = read_export(path, signal="net_mfi").wells
    assert cell(net, "B1", "FGF")["signal"] == 2882.0
    assert cell(net, "A1", "IL1B")["signal"] == -0.25


@pytest.mark.realdata
def test_drlumi_broken_dilution_series_is_flagged_not_rejected(realdata: Path) -> None:
    plate = read_export(realdata / "xponent/xponent31_quant_30plex_drLumi.csv")
    wells = plate.wells
    # Standard5 FGF is printed 215625: 215.625 lost its point. The value is kept as
    # written, the analyte's standards are flagged and the level is named.
    h6 = cell(wells, "H6", "FGF")
    assert h6["expected_conc"] == 215625.0
    assert set(h6["flags"].split(";")) == {"broken_dilution_series", "implausible_expected_conc"}
    a2 = cell(wells, "A2", "FGF")
    assert a2["flags"] == "broken_dilution_series"
    assert cell(wells, "C1", "FGF")["flags"] == ""  # samples are untouched
    # Every analyte of this export has one level written without its decimal point;
    # xPONENT's own log adds one warning.
    assert len(plate.warnings) == 31
    assert plate.warnings[0] == (
        "line 1197: xPONENT's Warnings/Errors block holds 1 warning on 1 well: 'The "
        "acquisition had at least one region that did not reach the maximum count. "
        "(0x4FF010AB)' at well B9"
    )
    fgf = [w for w in plate.warnings if w.startswith("analyte FGF, standard level 5: ")]
    assert len(fgf) == 1
    reason = fgf[0]
    assert "the expected concentration 215625 of standard level 5" in reason
    assert "about 1000-fold off, as if a decimal point were lost" in reason
    assert "standard level 4: 431.25; standard level 6: 107.812" in reason
    il13 = [w.split(":")[0] for w in plate.warnings if w.startswith("analyte IL13,")]
    assert il13 == ["analyte IL13, standard level 6"]  # 340625


@pytest.mark.realdata
def test_drlumi_vendor_results(realdata: Path) -> None:
    vendor = read_export(realdata / "xponent/xponent31_quant_30plex_drLumi.csv").vendor
    assert len(vendor) == 96 * 30 + 30 * 7
    fgf = vendor[(vendor["analyte"] == "FGF") & vendor["well"].isna()]
    by_quantity = dict(zip(fgf["quantity"], fgf["value"], strict=True))
    assert by_quantity["d"] == pytest.approx(-0.228742409930827)  # Coefficient A
    assert by_quantity["a"] == pytest.approx(4042.42476800676)  # Coefficient B
    assert by_quantity["b"] == pytest.approx(-2.24661069769899)  # Coefficient D
    assert by_quantity["r_squared"] == pytest.approx(0.845900071353852)
    b1 = vendor[(vendor["analyte"] == "FGF") & (vendor["well"] == "B1")].iloc[0]
    assert b1["value"] == pytest.approx(993.625341838801)
    assert (b1["unit"], b1["basis"]) == ("pg/mL", "sample")
    assert vendor.loc[vendor["well"].isna(), ["unit", "basis"]].isna().all().all()
    c1 = vendor[(vendor["analyte"] == "FGF") & (vendor["well"] == "C1")].iloc[0]
    assert (c1["raw_text"], c1["token"]) == ("< 0.10528564453125", "oor_low")
    # The vendor's own curve, inverted, gives its Result (x 2, the dilution factor).
    a, b, c, d, g = (by_quantity[q] for q in "abcdg")
    y = 2882.0  # Net MFI of B1, FGF
    x = c * (((a - d) / (y - d)) ** (1 / g) - 1) ** (1 / b)
    assert 2 * x == pytest.approx(b1["value"], rel=1e-6)


@pytest.mark.realdata
def test_drlumi_result_is_the_inverted_5pl_times_the_dilution(realdata: Path) -> None:
    """xPONENT's Result is in the sample (basis `sample`): its own Logistic 5P inverted
    on the well's Net MFI, times the Dilution Factor. Checked on every well x analyte
    whose Result is a number."""
    path = realdata / "xponent/xponent31_quant_30plex_drLumi.csv"
    plate = read_export(path, signal="net_mfi")
    vendor = plate.vendor
    curve = vendor[vendor["well"].isna()].pivot(index="analyte", columns="quantity", values="value")
    results = vendor[vendor["quantity"] == "concentration"]
    assert (results["basis"] == RESULT_BASIS).all() and RESULT_BASIS == "sample"
    wells = plate.wells.merge(
        results[["well", "analyte", "value", "token"]], on=["well", "analyte"]
    ).join(curve[list("abcdg")], on="analyte")
    numeric = wells[wells["token_y"] == "numeric"]
    y = numeric["signal"]
    in_well = numeric["c"] * (
        ((numeric["a"] - numeric["d"]) / (y - numeric["d"])) ** (1 / numeric["g"]) - 1
    ) ** (1 / numeric["b"])
    ratio = (numeric["value"] / in_well).dropna()
    assert len(ratio) > 2000  # of 2880 cells; the rest are `< 0.105`, `> 3450` or NaN
    # Controls and samples (Dilution Factor 2) give Result = 2 x in-well; standards
    # and blanks (blank factor, 1) give Result = in-well.
    dilution = numeric.loc[ratio.index, "dilution"]
    assert set(dilution) == {1.0, 2.0}
    assert (ratio / dilution).to_numpy() == pytest.approx(1.0, rel=1e-6)


@pytest.mark.realdata
def test_drlumi_controls_are_expected_in_the_terms_of_xponents_result(realdata: Path) -> None:
    """The Control Expected Concentration is what xPONENT compares its Result with:
    the stored in-well expected_conc x dilution (what QC compares concentration with)
    lies near the Result, and the in-well value would not."""
    plate = read_export(realdata / "xponent/xponent31_quant_30plex_drLumi.csv")
    results = plate.vendor[plate.vendor["quantity"] == "concentration"]
    controls = plate.wells[plate.wells["role"] == "control"].merge(
        results[["well", "analyte", "value"]], on=["well", "analyte"]
    )
    assert len(controls) == 6 * 30 and (controls["dilution"] == 2.0).all()
    nominal = controls["expected_conc"] * controls["dilution"]
    recovery = controls["value"] / nominal
    assert recovery.median() == pytest.approx(0.928, abs=0.001)
    assert ((recovery > 0.8) & (recovery < 1.2)).sum() == 142  # of 180
    assert (controls["value"] / controls["expected_conc"]).median() == pytest.approx(
        2 * 0.928, abs=0.002
    )


@pytest.mark.realdata
def test_drlumi_blocks_split(realdata: Path) -> None:
    text = (realdata / "xponent/xponent31_quant_30plex_drLumi.csv").read_text()
    names = [block.name for block in split_export(text).blocks]
    assert names[:4] == ["Median", "Net MFI", "Count", "Result"]
    assert "Dilution Factor" in names and names[-1] == "Warnings/Errors"


@pytest.mark.realdata
def test_xponent43_nan_and_not_reported(realdata: Path) -> None:
    path = realdata / "xponent/xponent43_nan_not_reported.csv"
    plate = read_export(path)
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
    assert plate.meta["run_time"] == "1/1/2025 1:00:00 AM"
    assert plate.vendor.empty  # AnalysisType None: xPONENT computed nothing
    # 192 rows of the Warnings/Errors block (counted with grep), 3 distinct messages.
    assert plate.warnings == (
        "line 565: xPONENT's Warnings/Errors block holds 192 warnings on 96 wells: 'The "
        "acquisition had at least one region that did not reach the specified count.' at "
        "96 wells; 'The acquisition had at least one region that did not reach the maximum "
        "count. (0x4FF010AB)' at 64 wells; 'The instrument was unable to detect any liquid "
        "in the well. (0x4FF010DC)' at 32 wells",
    )
    net = read_export(path, signal="net_mfi")
    assert cell(net.wells, "A1", "analyte3")["signal"] == 2.0


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "wells", "analytes"),
    [
        ("luminex_xPONENT_example02.csv", 4, ["alpha", "bravo"]),
        ("luminex_xPONENT_example02_saved.csv", 4, ["alpha", "bravo"]),
        ("luminex_xPONENT_example03.csv", 4, ["alpha", "bravo"]),
        ("test_data_exclude.csv", 2, ["alpha", "bravo", "charlie"]),
    ],
)
def test_allotropy_partial_exports_are_read_with_a_warning(
    realdata: Path, name: str, wells: int, analytes: list[str]
) -> None:
    """Exports trimmed to a few wells of a 96-sample run: read, and warned of."""
    plate = read_export(realdata / "allotropy/luminex_xponent" / name)
    assert plate.wells["well"].nunique() == wells
    assert list(plate.wells["analyte"].unique()) == analytes
    assert plate.warnings[0] == (
        f"the header's Samples line says 96 but the Median block names {wells} different "
        f"samples in {wells} wells; the export holds part of the run or was edited: check "
        "that every well you expect is there"
    )
    assert "xPONENT's Warnings/Errors block holds" in plate.warnings[1]
    # The Units block says "Bead" for every analyte; kept as written.
    assert (plate.wells["unit"] == "Bead").all() and plate.meta["unit"] == "Bead"
    if name != "luminex_xPONENT_example03.csv":  # example03 holds other values
        # Values read by eye from the file: Unknown1 (A1) alpha 10921.5, count 30.
        a1 = cell(plate.wells, "A1", "alpha")
        assert (a1["sample_id"], a1["signal"], a1["bead_count"]) == ("Unknown1", 10921.5, 30)
    if name == "test_data_exclude.csv":
        # Its Dilution Factor block gives B1 a factor of 3.
        assert cell(plate.wells, "B1", "charlie")[["signal", "dilution"]].tolist() == [
            22609.0,
            3.0,
        ]


@pytest.mark.realdata
def test_intelliflex_quoted_export(realdata: Path) -> None:
    plate = read_export(realdata / "xponent/intelliflex_long_example.csv")
    wells = plate.wells
    assert len(wells) == 12 * 5
    assert list(wells["well"].unique()) == [f"A{c}" for c in range(1, 13)]
    assert "Monitoring" in set(wells["analyte"])
    assert cell(wells, "A1", "6P_PBS_3_day2")["signal"] == 2616118.5
    assert cell(wells, "A5", "JN1_PBS_1_day1")["raw_text"] == "36947.63672"
    assert cell(wells, "A12", "Monitoring")["bead_count"] == 68
    assert cell(wells, "A10", "Monitoring")["role"] == "blank"
    assert cell(wells, "A10", "Monitoring")["dilution"] == 1.0
    assert plate.meta["format"] == "intelliflex"
    assert plate.meta["instrument"] == "Intelliflex"
    assert plate.meta["software_version"] == "2.1.1015"
    assert plate.meta["serial_number"] == "SERIAL_12345"
    assert plate.meta["run_time"] == "2024-10-18 11:36"
    net = read_export(realdata / "xponent/intelliflex_long_example.csv", signal="net_mfi")
    assert cell(net.wells, "A1", "Monitoring")["signal"] == -1793.78125


def test_an_export_of_100000_analytes_is_refused_early_within_budget(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(hostile.xponent_wide(analytes=100_000))
    assert 35 * 2**20 < path.stat().st_size < 50 * 2**20
    run = hostile.read_within_budget(path)
    # Refused by the cells of the whole text (9.7 million), before it is split.
    assert run.error == (
        f"InputError: {path}: the file holds 9,700,517 cells, more than the 2,000,000 a "
        "plate export can hold; check it is the right file"
    )


def test_a_line_of_more_analytes_than_a_flexmap_tells_apart_is_refused(tmp_path: Path) -> None:
    # Within the text's bounds (96 x 20,000 cells), but no instrument has 20,000 regions.
    path = tmp_path / "wide.csv"
    path.write_bytes(hostile.xponent_wide(analytes=20_000))
    with pytest.raises(InputError) as refused:
        read_export(path)
    assert str(refused.value) == (
        f"{path}: line 21: the line has 20,003 cells; an xPONENT export holds at most 500 "
        "analytes (bead regions) and a few other columns"
    )
    path.write_bytes(hostile.xponent_wide(analytes=500, wells=8))
    assert read_export(path).wells["analyte_raw"].nunique() == 500


def test_bead_counts_that_are_no_counts_are_flagged_and_left_empty(tmp_path: Path) -> None:
    lines = (
        (EXPORTS / "xponent" / "xponent31_2plex_resaved.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    count = lines.index("DataType:,Count,,,,") + 2  # the first well's line of the block
    # A1, B1 (blanks), C1, D1 (standards 1, 2): CCL2 counts -5, 1e12, abc and blank.
    for offset, (was, now) in enumerate([(",88,", ",-5,"), (",90,", ",1e12,"), (",102,", ",abc,")]):
        lines[count + offset] = lines[count + offset].replace(was, now)
    lines[count + 3] = lines[count + 3].replace(",97,", ",,")
    path = tmp_path / "beads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plate = read_export(path)
    ccl2 = plate.wells[plate.wells["analyte"] == "CCL2"].set_index("well")
    flagged = ccl2.index[ccl2["flags"].str.contains("bad_bead_count")].tolist()
    # A blank count beside a measured median: how many beads gave it is not known.
    assert flagged == ["A1", "B1", "C1", "D1"]
    assert ccl2.loc[flagged, "bead_count"].isna().all()
    assert ccl2.loc["E1", "bead_count"] == 95  # the others are as the export gives them
    # HGF's counts are whole: none of its wells is flagged.
    assert not plate.wells.loc[plate.wells["analyte"] == "HGF", "flags"].str.contains("bead").any()
    assert (
        "4 bead count(s) are not whole numbers from 0 to 100,000: A1 CCL2 (-5), B1 CCL2 "
        "(1e+12), C1 CCL2 (not a count), D1 CCL2 (not a count); the count is left empty, "
        "the well flagged bad_bead_count and left out of curve fits and replicate means"
    ) in plate.warnings
    reasons = fit_plate_curves(plate.wells, CurveSettings.from_mapping({"selection": "4PL"}))[
        "reasons"
    ]
    assert "excluded standard well(s) C1,D1: bad_bead_count" in reasons.iloc[0].split(";")


def test_an_export_without_bead_counts_flags_none() -> None:
    # SoftMax or a grid has no counts at all: nothing to flag.
    plate = read_export(EXPORTS / "grid" / "grid_8x12.csv")
    assert plate.wells["bead_count"].isna().all()
    assert not plate.wells["flags"].fillna("").str.contains("bead").any()


def test_a_location_or_sample_count_of_thousands_of_digits(tmp_path: Path) -> None:
    # Python's int refuses a text of more than 4,300 digits; it stopped the chunk.
    text = RESAVED.read_text(encoding="utf-8")
    location = tmp_path / "long_plate.csv"
    location.write_text(text.replace('"1(1,A1)"', f'"1({"9" * 5000},A1)"', 1), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_exports(location)
    assert str(raised.value) == (
        f"{location}: line 22: expected a well location like 1(1,A1), found '1({'9' * 54}..."
    )
    samples = tmp_path / "long_count.csv"
    samples.write_text(text.replace("Samples,11,", f"Samples,{'9' * 5000},", 1), encoding="utf-8")
    assert (
        f"the header's Samples line gives '{'9' * 56}..., not a count; it is ignored"
        in read_export(samples).warnings
    )


# --- a stray double quote --------------------------------------------------------------


def _with_stray_quote(before: str) -> tuple[str, int]:
    """The resaved export with a double quote opened in the cell before ``before``'s
    line: the csv reader then runs that cell on to the next quote in the file. Returns
    the text and the line (1-based) the quote is on."""
    lines = RESAVED.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(before)) - 1
    lines[at] = lines[at].rstrip("\r\n") + ',"\n'
    return "".join(lines), at + 1


def test_a_stray_quote_that_hides_the_signal_blocks_opening_is_named_in_the_refusal(
    tmp_path: Path,
) -> None:
    text, line = _with_stray_quote("DataType:,Median")
    with pytest.raises(InputError) as refused:
        read_export(write(tmp_path, text))
    message = str(refused.value)
    assert "no Median block was found" in message
    assert f"a double quote on line {line} opens a cell that closes only on line " in message
    assert "the file looks damaged" in message


def test_rows_a_stray_quote_runs_together_are_read_past_and_named(tmp_path: Path) -> None:
    # A quote opening E1's last cell in the Count block closes at the start of F1's
    # line: the two lines are one row, and F1's line is text in E1's cell.
    lines = to_csv(export_rows()).splitlines(keepends=True)
    count = next(i for i, line in enumerate(lines) if line.startswith("DataType:,Count"))
    at = next(i for i in range(count, len(lines)) if lines[i].startswith('"5(1,E1)"'))
    lines[at] = lines[at].removesuffix("400\n") + '"400\n'
    plate = read_export(write(tmp_path, "".join(lines)))
    assert plate.wells["well"].nunique() == 6  # every well, from the Median block
    assert plate.warnings[0] == (
        f"lines {at + 1} to {at + 2} are read as one row: a double quote on line {at + 1} "
        f"opens a cell that closes only on line {at + 2}, so the lines between are text in "
        "that cell, not rows; the file looks damaged"
    )
    # and what it cost: F1's bead counts
    assert any("the Count block has no row for well F1" in w for w in plate.warnings)


def test_a_refusal_of_a_file_whose_quotes_ran_rows_together_says_so(tmp_path: Path) -> None:
    # The same quote in the Median block: E1's row gets F1's cells too, past the header.
    lines = to_csv(export_rows()).splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith('"5(1,E1)"'))
    lines[at] = lines[at].removesuffix("400\n") + '"400\n'
    with pytest.raises(InputError) as refused:
        read_export(write(tmp_path, "".join(lines)))
    assert str(refused.value).endswith(
        f"lines {at + 1} to {at + 2} are read as one row: a double quote on line {at + 1} "
        f"opens a cell that closes only on line {at + 2}, so the lines between are text in "
        "that cell, not rows: the file looks damaged"
    )


def test_a_stray_quote_after_the_signal_block_that_never_closes_is_warned_of(
    tmp_path: Path,
) -> None:
    lines = RESAVED.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("DataType:,Analysis Types"))
    text = (
        "".join(lines[:at])
        + '"a stray quote\n'
        + "".join(line.replace('"', "") for line in lines[at:])
    )
    plate = read_export(write(tmp_path, text))
    assert plate.wells["well"].nunique() == 12
    (warning,) = [w for w in plate.warnings if "never closes" in w]
    assert warning.startswith(f"a double quote on line {at + 1} opens a cell that the file ")
    # what ended the file is the quote, not a cut: no "the file ends" warning
    assert not [w for w in plate.warnings if w.startswith("the file ends")]


def test_a_stray_quote_in_the_signal_block_that_never_closes_is_refused(tmp_path: Path) -> None:
    lines = RESAVED.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith('"10(1,B2)"'))
    text = (
        "".join(lines[:at])
        + '"10(1,B2),x\n'
        + "".join(line.replace('"', "") for line in lines[at + 1 :])
    )
    with pytest.raises(InputError, match=rf"a double quote on line {at + 1} opens a cell that "):
        read_export(write(tmp_path, text))


def test_a_file_cut_inside_a_quoted_cell_is_still_a_cut_file(tmp_path: Path) -> None:
    text = RESAVED.read_text(encoding="utf-8")
    cut = text[: text.index('"5(1,E1)"') + 3]
    with pytest.raises(InputError, match=r"the file ends at line \d+, in the Median block"):
        read_export(write(tmp_path, cut))


def test_a_comment_written_over_several_lines_is_no_damage(tmp_path: Path) -> None:
    # A quoted cell may hold line breaks: one holding no well's location and no block's
    # opening is a comment the lab wrote, not rows run together.
    rows = export_rows()
    crc = rows.index(["-- CRC --"])
    rows[crc:crc] = [
        ["DataType:", "Comments"],
        ["Location", "Comment"],
        ["1(1,A1)", "diluted twice,\nsee the\nrun sheet"],
    ]
    plate = read_export(write(tmp_path, to_csv(rows)))
    assert not [w for w in plate.warnings if "double quote" in w]
    assert plate.wells["well"].nunique() == 6
