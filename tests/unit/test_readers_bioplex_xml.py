"""Bio-Plex Manager XML exports: samples, readings, bead counts, curves and refusals.

The fixtures in tests/data/exports/bioplex_xml/ are hand-made in the structure of the
public example export (allotropy's bio-rad_bio-plex_manager_example_01.xml); the
expected values below are read off the fixture text.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import read_export
from tests.conftest import REPO

pytestmark = pytest.mark.usefixtures("no_settle")

FIXTURES = REPO / "tests" / "data" / "exports" / "bioplex_xml"
PLATE = FIXTURES / "two_analytes_12_wells.xml"
MCP1, IL8 = "MCP-1 (53)", "IL-8 (54)"


def cell(wells: pd.DataFrame, well: str, analyte: str) -> pd.Series:
    rows = wells[(wells["well"] == well) & (wells["analyte"] == analyte)]
    assert len(rows) == 1, (well, analyte)
    return rows.iloc[0]


def edited(tmp_path: Path, old: str, new: str, source: Path = PLATE) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_wells_roles_and_signals() -> None:
    plate = read_export(PLATE)
    wells = plate.wells
    tables.WELLS.validate(wells)
    assert wells["well"].nunique() == 10 and len(wells) == 14
    assert set(wells["analyte"]) == {MCP1, IL8}
    assert (wells["signal_kind"] == "FI").all()
    roles = wells.drop_duplicates("well").set_index("well")["role"].to_dict()
    assert roles == {
        "A1": "blank", "B1": "blank", "C1": "control", "A2": "standard", "B2": "standard",
        "A3": "standard", "A4": "standard", "D1": "sample", "E1": "sample", "F1": "control",
    }  # fmt: skip
    a2 = cell(wells, "A2", MCP1)
    assert (a2["level"], a2["expected_conc"], a2["signal"], a2["sample_name"]) == (
        1,
        4000.0,
        9000.0,
        "S1",
    )
    assert a2["raw_text"] == "9.00000000000000000E+003"
    c1 = cell(wells, "C1", MCP1)
    assert (c1["sample_id"], c1["level"], c1["expected_conc"], c1["dilution"]) == (
        "Control 1",
        1,
        50.0,
        2.0,
    )
    d1 = cell(wells, "D1", MCP1)
    assert (d1["role"], d1["sample_id"], d1["dilution"], d1["signal"]) == (
        "sample",
        "P01-BL",
        2.0,
        632.0,
    )
    # An unknown whose description names a control is a control, named by it.
    f1 = cell(wells, "F1", MCP1)
    assert (f1["role"], f1["sample_id"], f1["level"] is pd.NA) == ("control", "QC high", True)
    assert (wells["unit"] == "pg/mL").all()


def test_an_expected_concentration_of_zero_is_none_entered() -> None:
    wells = read_export(PLATE).wells
    assert math.isnan(cell(wells, "A2", IL8)["expected_conc"])
    assert "broken_dilution_series" in cell(wells, "A2", IL8)["flags"]


def test_bead_counts_come_from_the_wells_element() -> None:
    plate = read_export(PLATE)
    wells = plate.wells
    assert cell(wells, "A1", MCP1)["bead_count"] == 61
    assert cell(wells, "B1", IL8)["bead_count"] == 33
    assert cell(wells, "A2", MCP1)["bead_count"] is pd.NA
    assert (
        "the Wells element records the acquisition of 2 of the 10 wells (A1, B1); the "
        "others have no bead count" in plate.warnings
    )


def test_outliers_sampling_errors_and_invalid_readings() -> None:
    plate = read_export(PLATE)
    wells = plate.wells
    # OutlierType="User": the lab left the well out; its reading is kept, flagged.
    b2 = cell(wells, "B2", MCP1)
    assert (b2["flags"], b2["signal"], b2["token"]) == ("vendor_masked", 9084.0, "numeric")
    assert cell(wells, "B1", IL8)["flags"] == "vendor_sampling_error"
    invalid = cell(wells, "B2", IL8)
    assert (invalid["token"], invalid["raw_text"]) == ("not_reported", "0.00000000000000000E+000")
    assert math.isnan(invalid["signal"])
    assert plate.warnings[:2] == (
        "Bio-Plex reports sampling errors (flagged vendor_sampling_error): "
        "B1 IL-8 (54): 1 (low bead number)",
        "Bio-Plex marks these readings not valid; they are read without a signal: B2 IL-8 (54)",
    )


def test_net_signal_subtracts_what_bioplex_subtracted() -> None:
    # FI - Bkgd = Reading - (RawMean - Mean) of the well's group: 42 for MCP-1, and
    # nothing for the blank itself (as Bio-Plex's Excel report shows it).
    wells = read_export(PLATE, signal="net_mfi").wells
    assert (wells["signal_kind"] == "FI - Bkgd").all()
    assert cell(wells, "C1", MCP1)["signal"] == 1000.0
    assert cell(wells, "D1", MCP1)["signal"] == 590.0
    assert cell(wells, "A2", MCP1)["signal"] == 8958.0
    assert cell(wells, "A1", MCP1)["signal"] == 40.0


def test_vendor_results() -> None:
    plate = read_export(PLATE)
    vendor = plate.vendor
    tables.VENDOR_RESULTS.validate(vendor)
    per_well = vendor[vendor["quantity"] == "concentration"].set_index("well")
    assert per_well.loc["A2", "value"] == 3960.0
    assert per_well.loc["F1", ["raw_text", "token"]].tolist() == ["OOR >", "oor_high"]
    # ReadErrorCode 9, "Data field has not been set": Bio-Plex computed nothing.
    assert "A2" not in set(vendor.loc[vendor["analyte"] == IL8, "well"].dropna())
    mean = vendor[vendor["quantity"] == "mean_concentration"].set_index("well")["value"]
    assert mean.to_dict() == {"C1": 101.0, "D1": 431.0, "E1": 431.0}
    concentrations = vendor[vendor["quantity"].isin(["concentration", "mean_concentration"])]
    assert (concentrations["unit"] == "pg/mL").all()
    # Control 1 is diluted 1:2 and expected at 50 in the well: Obs Conc 101 is per sample.
    assert (concentrations["basis"] == "sample").all()
    models = vendor[vendor["quantity"] == "model"].set_index("analyte")["raw_text"]
    assert models.to_dict() == {MCP1: "Logistic - 5PL", IL8: "Logistic - 5PL"}
    assert vendor.loc[vendor["quantity"] == "model", "basis"].isna().all()


def test_an_obs_conc_of_the_well_content_is_in_well(tmp_path: Path) -> None:
    path = edited(
        tmp_path,
        'RecoveryRangeCode="0">1.01000000000000000E+002</MWObsConc>',
        'RecoveryRangeCode="0">4.90000000000000000E+001</MWObsConc>',
    )
    vendor = read_export(path).vendor
    assert set(vendor.loc[vendor["quantity"] == "concentration", "basis"]) == {"in_well"}


def test_run_metadata() -> None:
    meta = read_export(PLATE).meta
    assert {key: meta[key] for key in meta if key not in ("sha256", "source_file")} == {
        "format": "bioplex_xml",
        "instrument": "",
        "software": "Bio-Plex Manager",
        "software_version": "6.2.0.175",
        "serial_number": "LX10009912345",
        "batch": "CSF-4",
        "run_time": "2025-05-06T14:41:00Z",
        "kit_lot": "KIT-7781",
        "unit": "pg/mL",
        "plate_name": "",
        "plate_id": "two_analytes_12_wells",
    }


def test_curves_bioplex_could_not_fit_are_warned_of() -> None:
    warnings = read_export(PLATE).warnings
    assert (
        "Bio-Plex Manager fitted no standard curve for 1 analyte(s) (IL-8 (54)): Unable to "
        "calculate regression - Too few standards" in warnings
    )


def test_recognised_by_content_not_name(tmp_path: Path) -> None:
    renamed = tmp_path / "plate4.txt"
    renamed.write_bytes(PLATE.read_bytes())
    assert read_export(renamed).meta["format"] == "bioplex_xml"


def test_a_well_in_two_groups_keeps_the_first(tmp_path: Path) -> None:
    path = edited(tmp_path, '<MemberWell RowNo="6" ColNo="1"', '<MemberWell RowNo="5" ColNo="1"')
    plate = read_export(path)
    assert cell(plate.wells, "E1", MCP1)["sample_id"] == "P01-BL"
    assert (
        "wells listed in two groups; the first group's reading is read: "
        "E1 MCP-1 (53) (X1 and X2)" in plate.warnings
    )


def test_a_reading_naming_its_analyte_otherwise_joins_the_rest(tmp_path: Path) -> None:
    # The reading of D1 names region 53 "MCP-2"; everywhere else it is MCP-1.
    old = (
        '<MWAnalyte RegionNumber="53">\n                                <AnalyteName>MCP-1'
        '</AnalyteName>\n                                <Reading Valid="true" Code="0" '
        'OutlierType="None">6.32'
    )
    path = edited(tmp_path, old, old.replace("MCP-1", "MCP-2"))
    plate = read_export(path)
    assert set(plate.wells["analyte"]) == {MCP1, IL8}
    assert cell(plate.wells, "D1", MCP1)["signal"] == 632.0
    assert (
        "analyte names or bead regions that disagree with the rest of the document: "
        "region 53 named 'MCP-2', read as 'MCP-1 (53)'" in plate.warnings
    )


def test_a_well_number_that_disagrees_with_row_and_column(tmp_path: Path) -> None:
    path = edited(
        tmp_path, 'RowNo="4" ColNo="1" WellNumber="37"', 'RowNo="4" ColNo="1" WellNumber="38"'
    )
    plate = read_export(path)
    assert cell(plate.wells, "D1", MCP1)["sample_id"] == "P01-BL"
    assert (
        "member wells whose WellNumber is not their RowNo and ColNo on a plate of 12 columns; "
        "they are read at RowNo and ColNo: D1 (WellNumber 38)" in plate.warnings
    )


def test_the_samples_element_alone() -> None:
    plate = read_export(FIXTURES / "samples_element_only.xml")
    wells = plate.wells
    assert sorted(wells["well"]) == ["A5", "H12"]
    assert cell(wells, "A5", "HGF (45)")[["role", "sample_id", "signal"]].tolist() == [
        "sample",
        "P02-M3",
        231.5,
    ]
    assert plate.warnings == (
        "the document is a Samples element alone, not a whole Bio-Plex Manager export: its "
        "run metadata, bead counts and curves are not in it",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"the XML document is damaged or cut off \(.*: line \d+, column \d+\)"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<BioPlexManager/>',
            "declares a document type or entities",
        ),
        (
            '<Well RowNo="1" ColNo="1"><RunProtocolDocumentName>p</RunProtocolDocumentName></Well>',
            r"the XML \(Well element\) has no Samples element",
        ),
        ("<BioPlexManager><Samples><Blanks/></Samples></BioPlexManager>", "lists no well readings"),
        (
            "\ufeff<html><body>plate 4</body></html>",
            "this XML document is not a supported plate export: expected a Bio-Plex Manager "
            "XML export",
        ),
    ],
)
def test_refused(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "plate.xml"
    if text is None:
        data = PLATE.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_export(path)


def test_a_member_well_off_the_plate_is_refused(tmp_path: Path) -> None:
    path = edited(tmp_path, '<MemberWell RowNo="4" ColNo="1"', '<MemberWell RowNo="4" ColNo="25"')
    with pytest.raises(InputError, match="RowNo '4' and ColNo '25' are not a plate well") as raised:
        read_export(path)
    assert raised.value.where == "Unknown X1"


# --- real exports ------------------------------------------------------------------

ALLOTROPY = "allotropy/biorad_bioplex_manager"


@pytest.mark.realdata
def test_example_01(realdata: Path) -> None:
    plate = read_export(realdata / ALLOTROPY / "bio-rad_bio-plex_manager_example_01.xml")
    wells = plate.wells
    assert len(wells) == 96 * 15 and wells["well"].nunique() == 96
    assert wells["analyte"].nunique() == 15 and "alpha (12)" in set(wells["analyte"])
    roles = wells.drop_duplicates("well")["role"].value_counts().to_dict()
    assert roles == {"sample": 64, "standard": 22, "control": 8, "blank": 2}
    # Read by eye from the file: S1's MemberWell RowNo 1 ColNo 1, MWAnalyte 12 Reading
    # 1.015E+003; Wells/Well 1 BeadRegion 12: RegionCount 32, Median 1015.00.
    a1 = cell(wells, "A1", "alpha (12)")
    assert (a1["role"], a1["level"], a1["signal"], a1["bead_count"]) == ("standard", 1, 1015.0, 32)
    # Well 8 (A8), BeadRegion 57: RegionCount 55, Median 32.00.
    a8 = cell(wells, "A8", "lima (57)")
    assert (a8["signal"], a8["bead_count"]) == (32.0, 55)
    assert wells.loc[~wells["well"].isin([f"A{c}" for c in range(1, 9)]), "bead_count"].isna().all()
    # Control C1, well C1 (RowNo 3 ColNo 1), alpha: Reading 2.91E+002.
    c1 = cell(wells, "C1", "alpha (12)")
    assert (c1["role"], c1["sample_id"], c1["level"], c1["signal"]) == ("control", "C1", 1, 291.0)
    # The blank's A12 readings carry Code 1 to 5 (bravo to foxtrot).
    flagged = wells[wells["flags"].str.contains("vendor_sampling_error")]
    assert sorted(flagged["analyte"]) == [
        "bravo (15)", "charlie (18)", "delta (21)", "echo (25)", "foxtrot (28)",
    ]  # fmt: skip
    assert set(flagged["well"]) == {"A12"}
    assert plate.meta["software_version"] == "6.2.0.175"
    assert plate.meta["serial_number"] == "LX12345678912"
    assert plate.meta["batch"] == "555"
    assert plate.meta["run_time"] == "2023-05-09T18:55:02Z"
    # Every ExpectedConc is 0 and every curve failed: no concentration, four warnings.
    assert wells["expected_conc"].isna().all()
    assert set(plate.vendor["quantity"]) == {"model"}
    assert len(plate.warnings) == 4
    assert any("All expected values set to zero" in w for w in plate.warnings)


@pytest.mark.realdata
def test_example_01_net_signal(realdata: Path) -> None:
    # Blank group: alpha RawMean 62 = Mean; control C1 alpha RawMean 294, Mean 232.
    wells = read_export(
        realdata / ALLOTROPY / "bio-rad_bio-plex_manager_example_01.xml", signal="net_mfi"
    ).wells
    assert cell(wells, "C1", "alpha (12)")["signal"] == 291.0 - 62.0
    assert cell(wells, "A12", "alpha (12)")["signal"] == 62.0


@pytest.mark.realdata
def test_the_excluded_examples(realdata: Path) -> None:
    folder = realdata / ALLOTROPY / "exclude"
    # No Wells and no NativeDocumentLocation (allotropy refuses it for those), but every
    # reading of its 38 wells is there.
    missing = read_export(folder / "bio-rad_bio-plex_manager_missing_children_error.xml")
    assert missing.wells["well"].nunique() == 38 and len(missing.wells) == 570
    assert missing.wells["bead_count"].isna().all()
    assert missing.warnings[0].startswith("the export has no Wells element")
    # A Samples element cut out of an export: a blank (A12, B12) and controls C1, C2.
    fragment = read_export(folder / "sample_xml_example.xml")
    assert sorted(fragment.wells["well"]) == ["A12", "B12", "C1", "C1", "C2", "D2"]
    assert cell(fragment.wells, "C1", "bravo (15)")["signal"] == 1171.0
    # One Well element: instrument settings, no reading.
    with pytest.raises(InputError, match=r"the XML \(Well element\) has no Samples element"):
        read_export(folder / "well_xml_example.xml")


def test_numbers_of_thousands_of_digits(tmp_path: Path) -> None:
    # Python's int refuses a text of more than 4,300 digits; each of these stopped the chunk.
    text = PLATE.read_text(encoding="utf-8")
    long = "9" * 5000
    row = tmp_path / "row.xml"
    row.write_text(text.replace('RowNo="2"', f'RowNo="{long}"', 1), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_export(row)
    assert str(raised.value) == (
        f"{row}: Wells: RowNo '{'9' * 56}... and ColNo '1' are not a plate well; expected rows "
        "1 to 16 and columns 1 to 24"
    )
    count = tmp_path / "count.xml"
    count.write_text(text.replace("<RegionCount>12<", f"<RegionCount>{long}<", 1), "utf-8")
    assert len(read_export(count).wells) == len(read_export(PLATE).wells)
    # A standard S<n> whose n is beyond any series (it overflowed the level column).
    for digits in ("9" * 20, long):
        label = tmp_path / "label.xml"
        label.write_text(text.replace("<Label>S1</Label>", f"<Label>S{digits}</Label>", 1), "utf-8")
        wells = read_export(label).wells
        standard = wells[wells["sample_name"] == f"S{digits}"]
        assert set(standard["role"]) == {"standard"} and standard["level"].isna().all()
