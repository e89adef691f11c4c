"""Bio-Plex Manager workbooks: summary (merged replicates) and per-well layouts."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import read_export
from tests.conftest import by_well

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

COLUMNS = [
    "Analyte", "Type", "Well", "Outlier", "Description", "FI", "FI - Bkgd", "Std Dev", "%CV",
    "Obs Conc", "Exp Conc", "(Obs/Exp) * 100", "Conc in Range", "Dilution", "Sampling Errors",
]  # fmt: skip
INFO = [
    ["File Name: C:\\Bio-Plex\\CSF plate 3.rbx"],
    ["Analyte: {analyte}"],
    ["Acquisition Date: 06-May-2025, 02:41 PM"],
    ["Reader Serial Number: LX10009912345"],
    ["Plate ID: CSF-3"],
    [],
]
FOOTER = [
    [],
    ["***Value not available / --- = Designated as an outlier"],
    ["Regression Type: Logistic - 5PL"],
    ["Std. Curve: FI = 12.5 + (21000.3 - 12.5) / ((1 + (Conc / 512.25)^-1.25))^0.85"],
    ["FitProb. = 0.8123, ResVar. = 0.4412"],
]
STANDARDS = [4000, 1000, 250, 62.5, 15.625]


def per_well_rows(analyte: str) -> list[list[object]]:
    """One row per well: blank B (A1, A2), S1..S5 in duplicate, X1..X4 in duplicate."""
    rows: list[list[object]] = []
    rows.append([analyte, "B", "A1", 0, None, 21.0, 0.0, None, None, None, None, None, None, 1])
    rows.append([analyte, "B", "A2", 0, None, 19.0, -2.0, None, None, None, None, None, None, 1])
    for level, conc in enumerate(STANDARDS, start=1):
        for column in (1, 2):
            well = f"{'BCDEF'[level - 1]}{column}"
            fi = 20000.0 / level**1.8 + column
            outlier = 1 if (level, column) == (2, 2) else 0
            text = "---" if outlier else fi
            rows.append(
                [analyte, f"S{level}", well, outlier, None, text, text, 10.0, 1.5, conc * 1.01,
                 conc, 101, conc, 1]
            )  # fmt: skip
    samples = [
        ("X1", "G1", "P01-BL", 812.5, "95.2"),
        ("X1", "G2", "P01-BL", 790.0, "92.1"),
        ("X2", "H1", "P01-M3", "***", "***"),
        ("X2", "H2", "P01-M3", 41.0, "*3.7"),
        ("X3", "A3", "P02-BL", 25000.0, "OOR >"),
        ("X3", "B3", "P02-BL", 24800.0, "OOR >"),
        ("X4", "C3", "P02-M3", 14.0, "OOR <"),
        ("X4", "D3", "P02-M3", 15.0, "OOR <"),
    ]
    for code, well, name, fi, obs in samples:
        errors = "1" if well == "D3" else None
        rows.append(
            [analyte, code, well, 0, name, fi, fi, None, None, obs, None, None, None, 2, errors]
        )
    return rows


def summary_rows(analyte: str) -> list[list[object]]:
    return [
        [analyte, "B", "A1,A2", 0, None, 20.0, 0.0],
        [analyte, "S1", "B1,B2", 0, None, 20000.5, 19980.5, None, None, 4010, 4000, 100, 4010, 1],
    ]


def workbook(tmp_path: Path, layout: str = "per_well", analytes: int = 2) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for index in range(analytes):
        analyte = f"Hu IL-{index + 6} ({20 + index})"
        sheet = book.create_sheet(analyte)
        for row in INFO:
            sheet.append([cell.format(analyte=analyte) for cell in row])
        if layout in ("summary", "both"):
            sheet.append(COLUMNS)
            for row in summary_rows(analyte):
                sheet.append(row)
            sheet.append([])
        if layout in ("per_well", "both"):
            sheet.append(COLUMNS)
            for row in per_well_rows(analyte):
                sheet.append(row)
        for row in FOOTER:
            sheet.append(row)
    template = book.create_sheet("Project Template")
    template.append(["Row #", "Field", "SCHARP Field Name", "Type", "Length", "VALUE"])
    template.append([14, "Analysis Software", "SOFTWARE", "Character", 8, "BM-v6.1"])
    template.append([19, "Standards Lot #", "STDLOT", "Character", 10, "STD-5521"])
    path = tmp_path / "csf_plate3.xlsx"
    book.save(path)
    return path


def cell(wells: pd.DataFrame, well: str, analyte: str) -> pd.Series:
    rows = wells[(wells["well"] == well) & (wells["analyte"] == analyte)]
    assert len(rows) == 1, (well, analyte)
    return rows.iloc[0]


IL6 = "Hu IL-6 (20)"


def test_per_well_layout(tmp_path: Path) -> None:
    plate = read_export(workbook(tmp_path))
    wells = plate.wells
    tables.WELLS.validate(wells)
    assert len(wells) == 20 * 2 and wells["well"].nunique() == 20
    assert set(wells["analyte"]) == {"Hu IL-6 (20)", "Hu IL-7 (21)"}
    assert (wells["signal_kind"] == "FI").all()
    assert (cell(wells, "A1", IL6)["role"], cell(wells, "A1", IL6)["sample_name"]) == ("blank", "B")
    b2 = cell(wells, "B2", IL6)
    assert (b2["role"], b2["level"], b2["expected_conc"]) == ("standard", 1, 4000.0)
    assert b2["flags"] == ""
    c2 = cell(wells, "C2", IL6)
    # Outlier set and `---`: the lab left the well out of Bio-Plex's curve and means.
    assert (c2["raw_text"], c2["token"], c2["flags"]) == ("---", "masked", "vendor_masked")
    assert math.isnan(c2["signal"])
    g1 = cell(wells, "G1", IL6)
    assert (g1["sample_id"], g1["signal"], g1["raw_text"], g1["dilution"]) == (
        "P01-BL",
        812.5,
        "812.5",
        2.0,
    )
    assert cell(wells, "H1", IL6)[["raw_text", "token"]].tolist() == ["***", "not_reported"]
    assert cell(wells, "D3", IL6)["flags"] == "vendor_sampling_error"
    assert plate.meta == {
        "format": "bioplex",
        "instrument": "",
        "software": "Bio-Plex Manager",
        "software_version": "6.1",
        "serial_number": "LX10009912345",
        "batch": "CSF-3",
        "run_time": "06-May-2025, 02:41 PM",
        "kit_lot": "STD-5521",
        "unit": "",
        "plate_name": "",
        "plate_id": "csf_plate3",
        "sha256": plate.meta["sha256"],
        "source_file": str(tmp_path / "csf_plate3.xlsx"),
    }
    assert plate.warnings == ()


def test_net_signal_is_fi_minus_background(tmp_path: Path) -> None:
    wells = read_export(workbook(tmp_path), signal="net_mfi").wells
    assert (wells["signal_kind"] == "FI - Bkgd").all()
    assert cell(wells, "A2", IL6)["signal"] == -2.0


def test_obs_conc_and_the_curve_footer_go_to_the_vendor_table(tmp_path: Path) -> None:
    vendor = read_export(workbook(tmp_path)).vendor
    tables.VENDOR_RESULTS.validate(vendor)
    il6 = vendor[vendor["analyte"] == IL6]
    per_well = il6[il6["quantity"] == "concentration"].set_index("well")
    assert per_well.loc["H2", ["raw_text", "token", "value"]].tolist() == [
        "*3.7",
        "extrapolated",
        3.7,
    ]
    assert per_well.loc["A3", "token"] == "oor_high" and per_well.loc["C3", "token"] == "oor_low"
    assert per_well.loc["B1", "value"] == pytest.approx(4040.0)
    curve = il6[il6["well"].isna()].set_index("quantity")
    # FI = d + (a - d) / (1 + (Conc / c)^b)^g: DESIGN.md's model letter for letter.
    assert [curve.loc[q, "value"] for q in "abcdg"] == [21000.3, -1.25, 512.25, 12.5, 0.85]
    assert curve.loc["model", "raw_text"] == "Logistic - 5PL"
    assert (curve.loc["fit_prob", "value"], curve.loc["res_var", "value"]) == (0.8123, 0.4412)


def test_summary_layout_expands_merged_replicates(tmp_path: Path) -> None:
    wells = read_export(workbook(tmp_path, layout="summary")).wells
    assert sorted(wells["well"].unique()) == ["A1", "A2", "B1", "B2"]
    for well in ("B1", "B2"):
        row = cell(wells, well, IL6)
        assert (row["signal"], row["flags"], row["level"]) == (20000.5, "replicate_mean", 1)


def test_per_well_table_wins_over_the_summary(tmp_path: Path) -> None:
    wells = read_export(workbook(tmp_path, layout="both")).wells
    assert len(wells) == 40
    assert cell(wells, "B1", IL6)["flags"] == ""


def test_sheets_listing_different_wells_are_read_as_they_are(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["Hu IL-7 (21)"]
    sheet.delete_rows(sheet.max_row - len(FOOTER), 1)  # the last well row, D3
    book.save(path)
    plate = read_export(path)
    assert len(plate.wells) == 39
    assert set(plate.wells.loc[plate.wells["well"] == "D3", "analyte"]) == {IL6}
    assert plate.warnings == (
        "sheet 'Hu IL-7 (21)': lacks 1 well(s) other sheets list (D3); each sheet's wells "
        "are read as they are: check the export is complete",
    )


def test_a_well_twice_in_a_sheet_keeps_the_first_row(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book[IL6]["C9"] = "A1"  # the row of the second blank, A2, now says A1
    book[IL6]["F9"] = 99.0
    book.save(path)
    plate = read_export(path)
    assert cell(plate.wells, "A1", IL6)["signal"] == 21.0
    assert "A2" not in set(plate.wells.loc[plate.wells["analyte"] == IL6, "well"])
    assert plate.warnings[0] == (
        "sheet 'Hu IL-6 (20)': well(s) listed twice: A1 (rows 8 and 9); the first row of "
        "each is read"
    )


@pytest.mark.parametrize(
    ("well", "message"),
    [
        ("Q1", r"'Q1' is not a plate well"),
        ("A1;A2", r"'A1;A2' is not a plate well"),
    ],
)
def test_bad_well_cells(tmp_path: Path, well: str, message: str) -> None:
    path = workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book[IL6]["C9"] = well  # the row of A2
    book.save(path)
    with pytest.raises(InputError, match=message) as raised:
        read_export(path)
    assert raised.value.where == "sheet 'Hu IL-6 (20)' row 9"


def test_a_workbook_that_is_neither_bioplex_nor_a_grid(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Sample", "Result"])
    path = tmp_path / "results.xlsx"
    book.save(path)
    with pytest.raises(
        InputError,
        match="this Excel workbook is not a supported plate export: expected a Bio-Plex Manager",
    ):
        read_export(path)


# --- one sheet built per test ------------------------------------------------------

CURVE = {"a": 21000.3, "b": -1.25, "c": 512.25, "d": 12.5, "g": 0.85}  # FOOTER's equation


def one_sheet(
    tmp_path: Path,
    header: list[str],
    rows: list[list[object]],
    template: list[list[object]] | None = None,
) -> Path:
    """A workbook of one analyte sheet (INFO, the table, FOOTER) and a Project Template."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = IL6
    for row in INFO:
        sheet.append([cell.format(analyte=IL6) for cell in row])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for row in FOOTER:
        sheet.append(row)
    project = book.create_sheet("Project Template")
    project.append(["Row #", "Field", "SCHARP Field Name", "Type", "Length", "VALUE"])
    for row in template or []:
        project.append(row)
    path = tmp_path / "one_sheet.xlsx"
    book.save(path)
    return path


def fi_of(conc: float) -> float:
    """FOOTER's curve, FI = d + (a - d) / (1 + (Conc / c)^b)^g."""
    return (
        CURVE["d"]
        + (CURVE["a"] - CURVE["d"]) / (1 + (conc / CURVE["c"]) ** CURVE["b"]) ** CURVE["g"]
    )


def test_bead_count_column(tmp_path: Path) -> None:
    header = ["Type", "Well", "Outlier", "Description", "FI", "FI - Bkgd", "Bead Count"]
    rows = [
        ["B", "A1", 0, None, 20.0, 0.0, 54],
        ["X1", "A2", 0, "P01", 800.0, 780.0, 33],
        ["X2", "A3", 0, "P02", "***", "***", "***"],
    ]
    wells = by_well(read_export(one_sheet(tmp_path, header, rows)).wells)
    assert wells["bead_count"].tolist() == [54, 33, pd.NA]
    assert not wells["flags"].str.contains("bad_bead_count").any()  # *** is no count


def test_a_bead_count_that_is_no_count_is_flagged(tmp_path: Path) -> None:
    header = ["Type", "Well", "Outlier", "Description", "FI", "FI - Bkgd", "Bead Count"]
    rows = [
        ["B", "A1", 0, None, 20.0, 0.0, -5],
        ["X1", "A2", 0, "P01", 800.0, 780.0, "abc"],
        ["X2", "A3", 0, "P02", 810.0, 790.0, 2e12],
        ["X3", "A4", 0, "P03", 820.0, 800.0, 61],
    ]
    plate = read_export(one_sheet(tmp_path, header, rows))
    wells = by_well(plate.wells)
    assert wells["bead_count"].tolist() == [pd.NA, pd.NA, pd.NA, 61]
    assert wells["flags"].str.contains("bad_bead_count").tolist() == [True, True, True, False]
    assert next(w for w in plate.warnings if "bead count" in w).startswith(
        "3 bead count(s) are not whole numbers from 0 to 100,000: A1 "
    )


def test_samples_described_as_controls_are_controls(tmp_path: Path) -> None:
    header = ["Type", "Well", "Outlier", "Description", "FI", "Exp Conc", "Dilution"]
    rows = [
        ["X1", "A1", 0, "Control 1", 900.0, 120, 1],
        ["X2", "A2", 0, "QC high", 5000.0, None, 1],
        ["X3", "A3", 0, "Positive control", 4000.0, None, 1],
        ["X4", "A4", 0, "P01-BL", 700.0, None, 1],
        ["X5", "A5", 0, "Uncontrolled", 700.0, None, 1],
    ]
    wells = by_well(read_export(one_sheet(tmp_path, header, rows)).wells)
    assert wells["role"].tolist() == ["control", "control", "control", "sample", "sample"]
    assert wells["sample_id"].tolist() == [
        "Control 1", "QC high", "Positive control", "P01-BL", "Uncontrolled",
    ]  # fmt: skip
    assert wells.loc["A1", "expected_conc"] == 120.0
    assert math.isnan(wells.loc["A4", "expected_conc"])


def test_units_from_the_table_header(tmp_path: Path) -> None:
    header = [
        "Type",
        "Well",
        "Outlier",
        "Description",
        "FI",
        "Obs Conc (ng/mL)",
        "Exp Conc (ng/mL)",
    ]
    rows = [["S1", "A1", 0, None, 9000.0, 395.0, 400], ["X1", "A2", 0, "P01", 800.0, "*3.1"]]
    plate = read_export(one_sheet(tmp_path, header, rows))
    assert (plate.wells["unit"] == "ng/mL").all()
    assert plate.wells["expected_conc"].tolist()[0] == 400.0
    conc = plate.vendor[plate.vendor["quantity"] == "concentration"].set_index("well")
    assert conc["unit"].tolist() == ["ng/mL", "ng/mL"]
    assert conc.loc["A2", "value"] == 3.1
    assert plate.meta["unit"] == "ng/mL"


def test_units_from_the_project_template(tmp_path: Path) -> None:
    header = ["Type", "Well", "Outlier", "Description", "FI", "Obs Conc"]
    rows = [["X1", "A1", 0, "P01", 800.0, 3.1]]
    template = [[10, "Units of Concentration", "UNITS", "Character", 5, "pg/ml"]]
    plate = read_export(one_sheet(tmp_path, header, rows, template))
    assert plate.meta["unit"] == "pg/ml"
    assert plate.wells["unit"].tolist() == ["pg/ml"]
    assert plate.vendor.loc[plate.vendor["quantity"] == "concentration", "unit"].tolist() == [
        "pg/ml"
    ]


@pytest.mark.parametrize("basis", ["sample", "in_well"])
def test_obs_conc_basis_is_found_from_the_curve_and_dilution(tmp_path: Path, basis: str) -> None:
    # Reference: FOOTER's equation solved for Conc by SciPy's brentq, at each sample's
    # FI - Bkgd; the sheet's Obs Conc is that (in_well) or that x the dilution (sample).
    from scipy.optimize import brentq

    header = ["Type", "Well", "Outlier", "Description", "FI", "FI - Bkgd", "Obs Conc", "Dilution"]
    rows: list[list[object]] = [["B", "A1", 0, None, 20.0, 20.0, None, 1]]
    for index, net in enumerate([300.0, 2500.0, 9000.0], start=2):
        conc = brentq(lambda x, y=net: fi_of(x) - y, 1e-6, 1e7)
        obs = conc * 4 if basis == "sample" else conc
        rows.append([f"X{index}", f"A{index}", 0, f"P{index}", net + 20, net, round(obs, 2), 4])
    vendor = read_export(one_sheet(tmp_path, header, rows)).vendor
    assert set(vendor.loc[vendor["quantity"] == "concentration", "basis"]) == {basis}
    assert vendor.loc[vendor["quantity"] != "concentration", "basis"].isna().all()


def test_obs_conc_basis_without_diluted_wells_is_bioplex_s(tmp_path: Path) -> None:
    header = ["Type", "Well", "Outlier", "Description", "FI", "Obs Conc", "Dilution"]
    rows = [["X1", "A1", 0, "P01", 800.0, 3.1, 1]]
    vendor = read_export(one_sheet(tmp_path, header, rows)).vendor
    assert vendor.loc[vendor["quantity"] == "concentration", "basis"].tolist() == ["sample"]


def test_a_masked_cell_without_the_outlier_column(tmp_path: Path) -> None:
    header = ["Type", "Well", "Description", "FI", "FI - Bkgd"]
    rows = [["X1", "A1", "P01", "---", "---"], ["X1", "A2", "P01", 9000.0, 8980.0]]
    wells = by_well(read_export(one_sheet(tmp_path, header, rows)).wells)
    assert wells["flags"].tolist() == ["vendor_masked", ""]
    assert wells["token"].tolist() == ["masked", "numeric"]


def test_an_analyte_on_two_sheets_keeps_both(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Hu IL-7 (21)"]["A2"] = f"Analyte: {IL6}"
    book.save(path)
    plate = read_export(path)
    second = f"{IL6} [sheet Hu IL-7 (21)]"
    assert set(plate.wells["analyte"]) == {IL6, second}
    assert len(plate.wells) == 40
    assert plate.warnings == (
        f"sheet 'Hu IL-7 (21)': the sheet is named 'Hu IL-7 (21)' but its Analyte line says "
        f"'{IL6}'; the Analyte line is read (an edited or damaged file?)",
        f"sheet 'Hu IL-7 (21)': sheets 'Hu IL-6 (20)' and 'Hu IL-7 (21)' both hold analyte "
        f"'{IL6}'; the second is read as '{second}': check which sheet is the analyte's and "
        "give the other its own name",
    )


def test_a_sheet_naming_an_analyte_without_a_table(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("Hu IL-9 (77)")
    sheet.append(["Analyte: Hu IL-9 (77)"])
    sheet.append(["Acquisition Date: 06-May-2025, 02:41 PM"])
    book.save(path)
    plate = read_export(path)
    assert set(plate.wells["analyte"]) == {IL6, "Hu IL-7 (21)"}
    assert plate.warnings == (
        "sheet 'Hu IL-9 (77)': names analyte 'Hu IL-9 (77)' but has no table with Type, Well "
        "and FI columns; the analyte is not read: export the workbook again if it should be",
    )


def test_a_table_without_wells_is_a_warning_unless_no_sheet_has_any(tmp_path: Path) -> None:
    header = ["Type", "Well", "Outlier", "Description", "FI"]
    path = workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("Hu IL-9 (77)")
    sheet.append(["Analyte: Hu IL-9 (77)"])
    sheet.append(header)
    book.save(path)
    plate = read_export(path)
    assert plate.warnings == ("sheet 'Hu IL-9 (77)': has a table header but no wells",)
    with pytest.raises(InputError, match="no analyte sheet of the workbook lists any well"):
        read_export(one_sheet(tmp_path, header, []))


def test_a_damaged_workbook(tmp_path: Path) -> None:
    data = workbook(tmp_path).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"the Excel \(.xlsx\) file is damaged or incomplete"):
        read_export(path)
    fake = tmp_path / "fake.xls"
    fake.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputError, match=r"the Excel \(.xls\) file is damaged or incomplete"):
        read_export(fake)


# --- real exports ------------------------------------------------------------------


@pytest.mark.realdata
def test_bioplex41_summary_xls(realdata: Path) -> None:
    plate = read_export(realdata / "bioplex/bioplex41_summary_27plex_5pl.xls")
    wells = plate.wells
    assert len(wells) == 96 * 27 and wells["well"].nunique() == 96
    assert wells["analyte"].nunique() == 27
    assert "Project Template" not in set(wells["analyte"])
    assert wells["token"].value_counts().to_dict() == {
        "numeric": 1978,
        "not_reported": 540,
        "masked": 74,
    }
    assert (wells["flags"].str.contains("replicate_mean")).all()
    roles = wells.drop_duplicates("well")["role"].value_counts().to_dict()
    assert roles == {"sample": 78, "standard": 16, "blank": 2}
    il1b = "Hu IL-1b (32)"
    # Read by eye from the file (sheet Hu IL-1b (32)).
    h3 = cell(wells, "H3", il1b)
    assert (h3["role"], h3["signal"]) == ("blank", 8.5)
    a1 = cell(wells, "A1", il1b)
    assert (a1["raw_text"], a1["token"], a1["expected_conc"]) == ("---", "masked", 37947.0)
    assert a1["flags"] == "replicate_mean;vendor_masked"
    c2 = cell(wells, "C2", il1b)
    assert (c2["level"], c2["signal"], c2["expected_conc"]) == (3, 14115.0, 2371.69)
    a4 = cell(wells, "A4", il1b)
    assert (a4["sample_id"], a4["signal"], a4["dilution"]) == ("11027-01", 28.0, 4.0)
    g9 = cell(wells, "G9", il1b)
    assert (g9["sample_id"], g9["raw_text"], g9["token"]) == ("6292-03", "***", "not_reported")
    assert plate.meta["software_version"] == "4.1"
    assert plate.meta["serial_number"] == "LX10001088010"
    assert plate.meta["run_time"] == "11-Jan-2007, 01:20 PM"
    assert plate.meta["batch"] == "10JAN07 plate 1"
    assert plate.meta["kit_lot"] == "5005277"
    assert plate.warnings == ()


@pytest.mark.realdata
def test_bioplex41_vendor_results(realdata: Path) -> None:
    vendor = read_export(realdata / "bioplex/bioplex41_summary_27plex_5pl.xls").vendor
    assert len(vendor) == 96 * 27 + 27 * 9
    il1b = vendor[vendor["analyte"] == "Hu IL-1b (32)"]
    obs = il1b[il1b["quantity"] == "concentration"].set_index("well")
    assert obs.loc["A3", ["raw_text", "token", "value"]].tolist() == ["*3.42", "extrapolated", 3.42]
    assert obs.loc["C1", "value"] == 2293.48
    il2 = vendor[(vendor["analyte"] == "Hu IL-2 (38)") & (vendor["well"] == "A3")]
    assert il2[["raw_text", "token"]].iloc[0].tolist() == ["OOR <", "oor_low"]
    curve = il1b[il1b["well"].isna()].set_index("quantity")
    # FI = -8.49859 + (20147.9 + 8.49859) / ((1 + (Conc / 409.762)^-0.738017))^1.4408
    assert [curve.loc[q, "value"] for q in "abcdg"] == [
        20147.9,
        -0.738017,
        409.762,
        -8.49859,
        1.4408,
    ]
    assert (curve.loc["fit_prob", "value"], curve.loc["res_var", "value"]) == (0.3347, 0.9308)


@pytest.mark.realdata
def test_bioplex41_obs_conc_is_the_curve_times_the_dilution(realdata: Path) -> None:
    # Read by eye from sheet Hu IL-1b (32): the footer's Std. Curve, and rows S3 (C1,C2:
    # FI - Bkgd 14106.5, Obs Conc 2293.48, Dilution 1) and X1 (A3,A4: FI - Bkgd 19.5,
    # Obs Conc *3.42, Dilution 4). The curve is solved for Conc by SciPy's brentq.
    from scipy.optimize import brentq

    def fi(conc: float) -> float:
        return -8.49859 + (20147.9 + 8.49859) / (1 + (conc / 409.762) ** -0.738017) ** 1.4408

    s3 = brentq(lambda x: fi(x) - 14106.5, 1e-6, 1e7)
    x1 = brentq(lambda x: fi(x) - 19.5, 1e-6, 1e7)
    assert s3 == pytest.approx(2293.48, abs=0.05)
    assert x1 * 4 == pytest.approx(3.42, abs=0.005)  # x the dilution: Bio-Plex's Obs Conc
    assert x1 == pytest.approx(0.854, abs=0.001)  # the well's content: not what it shows
    plate = read_export(realdata / "bioplex/bioplex41_summary_27plex_5pl.xls")
    conc = plate.vendor[plate.vendor["quantity"] == "concentration"]
    assert set(conc["basis"]) == {"sample"} and set(conc["unit"]) == {"pg/ml"}
    assert (plate.wells["unit"] == "pg/ml").all()
    il1b = conc[conc["analyte"] == "Hu IL-1b (32)"].set_index("well")
    assert il1b.loc["A3", "value"] == 3.42
    assert il1b.loc["C1", "value"] == 2293.48


def test_a_damaged_analyte_sheet_is_not_skipped(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book.create_sheet("Hu IL-9 (77)")  # what xlrd makes of a sheet with broken records
    book.save(path)
    with pytest.raises(InputError, match=r"sheet 'Hu IL-9 \(77\)' is named like an analyte"):
        read_export(path)
    book = openpyxl.load_workbook(path)
    del book["Hu IL-9 (77)"]
    book[IL6]["B7"] = "Tyqe"  # the table header's Type cell damaged
    book[IL6]["A2"] = "Anlyte: Hu IL-6 (20)"
    book.save(path)
    with pytest.raises(InputError, match="holds well rows but no header row with Type, Well"):
        read_export(path)
