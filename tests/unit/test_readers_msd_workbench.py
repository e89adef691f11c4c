"""MSD Discovery Workbench data tables (assaypipe.readers.msd_workbench)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe.errors import InputError
from assaypipe.readers import read_export, read_exports
from tests.conftest import REPO

pytestmark = pytest.mark.usefixtures("no_settle")

FIXTURES = REPO / "tests" / "data" / "exports" / "msd_workbench"
TWO_PLATES = FIXTURES / "workbench_two_plates.csv"
WB = "allotropy/msd_workbench"


def row(wells: pd.DataFrame, well: str, analyte: str) -> pd.Series:
    found = wells[(wells["well"] == well) & (wells["analyte"] == analyte)]
    assert len(found) == 1
    return found.iloc[0]


def vendor_value(vendor: pd.DataFrame, well: str | None, analyte: str, quantity: str) -> pd.Series:
    rows = vendor[(vendor["analyte"] == analyte) & (vendor["quantity"] == quantity)]
    rows = rows[rows["well"].isna()] if well is None else rows[rows["well"] == well]
    assert len(rows) == 1
    return rows.iloc[0]


def test_a_table_names_analytes_roles_and_calibrator_concentrations() -> None:
    first, second = read_exports(TWO_PLATES)
    wells = first.wells
    assert first.meta["format"] == "msd_workbench" and first.meta["batch"] == "AB12CD34"
    assert [first.meta["plate_name"], second.meta["plate_name"]] == ["AB12CD34", "AB12CD35"]
    assert sorted(wells["analyte"].unique()) == ["IL-6", "TNF-alpha"]
    # Values read by eye from the fixture's rows.
    s1 = row(wells, "A1", "IL-6")
    assert (s1["role"], s1["level"], s1["expected_conc"], s1["signal"]) == (
        "standard",
        1,
        1000,
        412000,
    )
    zero = row(wells, "D1", "IL-6")
    assert (zero["role"], zero["level"], zero["expected_conc"]) == ("standard", 4, 0)
    control = row(wells, "E1", "IL-6")
    assert (control["role"], control["sample_id"], control["expected_conc"]) == (
        "control",
        "C001",
        120,
    )
    sample = row(wells, "F1", "TNF-alpha")
    assert (sample["role"], sample["sample_id"], sample["dilution"]) == ("sample", "P01-BL", 2)
    assert np.isnan(sample["expected_conc"])
    assert row(wells, "H1", "TNF-alpha")["role"] == "blank"
    assert (wells["signal_kind"] == "ECL").all() and wells["bead_count"].isna().all()


def test_workbench_results_are_vendor_results_of_the_sample() -> None:
    plate = read_exports(TWO_PLATES)[0]
    vendor = plate.vendor
    conc = vendor_value(vendor, "F1", "TNF-alpha", "concentration")
    assert (conc["value"], conc["basis"], conc["token"]) == (40.2, "sample", "numeric")
    assert vendor_value(vendor, "F1", "TNF-alpha", "mean_concentration")["value"] == 40.2
    # Detection Range: Workbench's word on whether a concentration is in its range.
    above = vendor_value(vendor, "G1", "IL-6", "concentration")
    assert (above["token"], above["raw_text"]) == ("oor_high", "NaN")
    below = vendor_value(vendor, "D1", "IL-6", "concentration")
    assert below["token"] == "oor_low"
    assert vendor_value(vendor, None, "IL-6", "r_squared")["value"] == 0.9995
    assert vendor_value(vendor, None, "TNF-alpha", "r_squared")["value"] == 0.9987
    assert vendor_value(vendor, "A1", "IL-6", "adjusted_signal")["value"] == 411850
    assert vendor_value(vendor, "A1", "IL-6", "recovery")["value"] == 101.2


def test_odd_rows_are_read_past_with_a_warning() -> None:
    first, second = read_exports(TWO_PLATES)
    warnings = "\n".join(first.warnings)
    assert "rows without a well A1 to P24 in the Well column are left out: line 20" in warnings
    assert "repeating a well and assay of an earlier row are left out: line 21 (F1, IL-6)" in (
        warnings
    )
    # The first of the repeated rows is the one read.
    assert row(first.wells, "F1", "IL-6")["signal"] == 20500
    assert "Adjusted Signal differs from Signal in 17 rows" in warnings
    assert "Dilution cells that are not a factor above 0 are read as 1: line 26 ('two')" in (
        second.warnings
    )
    assert row(second.wells, "B1", "IL-6")["dilution"] == 1


def test_wells_read_adjusted_takes_workbench_s_adjusted_signal() -> None:
    plate = read_exports(TWO_PLATES, read="adjusted")[0]
    assert row(plate.wells, "A1", "IL-6")["signal"] == 411850
    assert not any("Adjusted Signal differs" in w for w in plate.warnings)
    assert "adjusted_signal" not in set(plate.vendor["quantity"])
    # A read named for another format (a Gen5 wavelength) leaves the default.
    assert row(read_exports(TWO_PLATES, read="450")[0].wells, "A1", "IL-6")["signal"] == 412000


def test_without_an_assay_the_spot_names_the_analyte(tmp_path: Path) -> None:
    path = tmp_path / "spots.csv"
    path.write_text(
        "Plate_X1\nSample,Well,Spot,Signal\nS001,A01,1,500\nS001,A01,2,700\n", encoding="utf-8"
    )
    wells = read_export(path).wells
    assert sorted(wells["analyte"]) == ["spot 1", "spot 2"]


def table_of_rows(tmp_path: Path, *rows: str) -> Path:
    """A Workbench CSV of one plate, with a Sample, Assay, Well and Signal header."""
    path = tmp_path / "table.csv"
    path.write_text("Plate_X1\nSample,Assay,Well,Signal\n" + "".join(rows), encoding="utf-8")
    return path


def test_two_lines_run_together_are_read_with_a_warning(tmp_path: Path) -> None:
    # A lost line break: row B01 runs on after row A01's last cell.
    plate = read_export(
        table_of_rows(tmp_path, "S001,IL-6,A01,500S002,IL-6,B01,700\n", "S003,IL-6,C01,900,\n")
    )
    assert sorted(plate.wells["well"]) == ["A1", "C1"]
    assert plate.warnings[0] == (
        "rows with more cells than the header, read up to its last column (the rest is not "
        "read; two lines may have run together): line 3 (7 cells)"
    )
    # A trailing empty cell (C01's) is no reason for a warning.
    assert not any("line 4" in warning for warning in plate.warnings)


def test_a_stray_quote_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    rows = ('S001,IL-6,A01,"500\n', "S002,IL-6,B01,700\n", 'S003,"IL-6",C01,900\n')
    plate = read_export(table_of_rows(tmp_path, *rows))
    assert sorted(plate.wells["well"]) == ["A1", "B1", "C1"]
    assert row(plate.wells, "B1", "IL-6")["signal"] == 700
    assert row(plate.wells, "C1", "IL-6")["signal"] == 900
    assert plate.warnings[0] == (
        "line 3: a double quote opens a cell that does not close on its line; the rest of "
        "the line is read as that one cell"
    )


def test_a_table_without_any_well_is_refused(tmp_path: Path) -> None:
    path = table_of_rows(tmp_path, "S001,IL-6,,500\n")
    with pytest.raises(InputError) as caught:
        read_exports(path)
    assert str(caught.value) == (
        f"{path}: line 3: no row of the table names a well A1 to P24 in its Well column"
    )


# --- the real exports ----------------------------------------------------------------


def test_workbench_csv_calibrators_and_concentrations(realdata: Path) -> None:
    plate = read_export(realdata / WB / "msd_workbench_test_2.csv")
    wells = plate.wells
    assert plate.meta["batch"] == "TEST001"
    assert wells["role"].value_counts().to_dict() == {"sample": 32, "standard": 16}
    levels = wells[wells["role"] == "standard"].drop_duplicates("level")
    # Read by eye: S001 100 ... S008 0, 2-fold.
    assert dict(zip(levels["level"], levels["expected_conc"], strict=True)) == {
        1: 100.0,
        2: 50.0,
        3: 25.0,
        4: 12.5,
        5: 6.25,
        6: 3.125,
        7: 1.5625,
        8: 0.0,
    }
    assert vendor_value(plate.vendor, "A3", "Test Assay 1.0", "concentration")["value"] == 200


def test_workbench_csv_of_two_spike_assays(realdata: Path) -> None:
    plate = read_export(realdata / WB / "msd_workbench_test_1.csv")
    wells = plate.wells
    assert plate.meta["batch"] == "2BO40AW287"
    assert len(wells) == 4 and (wells["role"] == "standard").all()
    assert row(wells, "A2", "Spike (FL.1.5.1)")["expected_conc"] == 54.2
    assert row(wells, "A1", "Spike (Wuhan)")["signal"] == 315
    r2 = vendor_value(plate.vendor, None, "Spike (FL.1.5.1)", "r_squared")
    assert r2["value"] == pytest.approx(0.9989664195)
    # Every concentration is above Workbench's detection or fit-curve range.
    conc = plate.vendor[plate.vendor["quantity"] == "concentration"]
    assert (conc["token"] == "oor_high").all()


def test_workbench_workbook_with_the_reader_header(realdata: Path) -> None:
    plate = read_export(realdata / WB / "test_msd_workbench_xlsx.xlsx")
    meta = plate.meta
    assert (meta["batch"], meta["serial_number"], meta["run_time"]) == (
        "TEST_PLATE_001",
        "1234567890",
        "2024-01-15",
    )
    wells = plate.wells
    assert len(wells) == 24 and wells["role"].value_counts().to_dict() == {
        "sample": 16,
        "standard": 8,
    }
    # Rows named like samples with a Concentration are calibrators (SAMPLE_001: 2000).
    assert row(wells, "A1", "TEST_ASSAY")["expected_conc"] == 2000
    assert row(wells, "G2", "TEST_ASSAY")["dilution"] == 2


def test_numbers_of_thousands_of_digits_in_spot_and_sample(tmp_path: Path) -> None:
    # Python's int refuses a text of more than 4,300 digits (a Spot without an Assay, a
    # sample S<n>); S and 20 digits overflowed the level column. Each stopped the chunk.
    text = TWO_PLATES.read_text(encoding="utf-8")
    spot = tmp_path / "spot.csv"
    spot.write_text(text.replace("S001,IL-6,A01,1,", f"S001,,A01,{'9' * 5000},", 1), "utf-8")
    assert [len(p.wells) for p in read_exports(spot)] == [17, 2]
    for digits in ("9" * 20, "9" * 5000):
        sample = tmp_path / "sample.csv"
        sample.write_text(text.replace("S001,IL-6,A01", f"S{digits},IL-6,A01", 1), "utf-8")
        wells = read_exports(sample)[0].wells
        named = wells[wells["sample_name"] == f"S{digits}"]
        assert len(named) and named["level"].isna().all()


@pytest.mark.parametrize("blank", ["\n", "\n\n", ",,,,,,,,,,,,,,,\n", "," * 200_000 + "\n"])
def test_a_blank_line_inside_a_table_is_passed_over_with_a_warning(
    tmp_path: Path, blank: str
) -> None:
    # A blank line (or a line of commas) inside a table ended it: the rows after it
    # were lost without a word, and the file read as a plate of one or two wells.
    text = TWO_PLATES.read_text(encoding="utf-8")
    cut = text.index("S003,IL-6,C01")
    path = tmp_path / "gap.csv"
    path.write_text(text[:cut] + blank + text[cut:], encoding="utf-8")
    first, second = read_exports(path)
    original, original_second = read_exports(TWO_PLATES)
    columns = ["well", "analyte", "sample_name", "signal"]
    assert first.wells[columns].equals(original.wells[columns])
    assert second.wells[columns].equals(original_second.wells[columns])
    gap = [w for w in first.warnings if w.startswith("blank lines inside the table")]
    lines = blank.count("\n")
    assert gap == [
        "blank lines inside the table are passed over and the rows after them read as its "
        "rows (a line may have been lost or added): "
        + ", ".join(f"line {7 + n}" for n in range(lines))
    ]
    # The blank line before the second plate's `Plate_` line ends the first table.
    assert not any("blank lines inside" in w for w in second.warnings)


def test_rows_under_no_header_are_named(tmp_path: Path) -> None:
    # A `Plate_` line inside the table ended it, and the rows after it, under no header,
    # were passed over without a word.
    text = TWO_PLATES.read_text(encoding="utf-8")
    cut = text.index("S003,IL-6,C01")
    path = tmp_path / "plate_line.csv"
    path.write_text(text[:cut] + "Plate_XY99,,,,,,,,,,,,,,,\n" + text[cut:], encoding="utf-8")
    first, second = read_exports(path)
    assert len(first.wells) == 4
    # Lines 8 to 21 name wells (line 20's Z99 names none); twelve are listed.
    shown = ", ".join(f"line {n}" for n in range(8, 20))
    message = (
        "rows naming a well stand under no header (after a `Plate_` line or a damaged header "
        f"inside a table) and are not read; the file looks damaged: {shown} and 2 more"
    )
    assert message in first.warnings and message in second.warnings


def test_a_header_copied_into_a_table_is_named_on_both_halves(tmp_path: Path) -> None:
    lines = TWO_PLATES.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "copied_header.csv"
    path.write_text("".join([*lines[:8], lines[1], *lines[8:]]), encoding="utf-8")
    plates = read_exports(path)
    assert len(plates) == 3
    message = (
        "a header row follows a table's rows with no blank or `Plate_` line between, starting "
        "another table there (a copied header line may have split one plate's table in two); "
        "the file looks damaged: line 9"
    )
    assert all(message in plate.warnings for plate in plates)
    assert not any(message in plate.warnings for plate in read_exports(TWO_PLATES))


def test_a_row_cut_short_before_the_signal_column_is_named(tmp_path: Path) -> None:
    # A02's line lost its end after Dilution: its signal was read as not reported, unsaid.
    lines = TWO_PLATES.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("S001,IL-6,A02,"))
    lines[at] = ",".join(lines[at].split(",")[:5])
    path = tmp_path / "cut.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    first = read_exports(path, settle_seconds=0)[0]
    assert (
        "rows that end before the Signal column have no signal (a line was cut short); the "
        f"file looks damaged: line {at + 1} (5 of 16 cells)"
    ) in first.warnings
    cut = first.wells[(first.wells["well"] == "A2") & (first.wells["analyte"] == "IL-6")]
    assert cut["token"].tolist() == ["not_reported"]
    # the other plate's rows are whole: no such warning there
    assert not [w for w in read_exports(path, settle_seconds=0)[1].warnings if "end before" in w]
