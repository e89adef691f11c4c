"""Thermo Fisher SkanIt Software Excel exports (assaypipe.readers.skanit).

The fixtures are built by tests/platereader_workbooks.py in the structure of the real
exports; the real ones (../shared/realdata/allotropy/thermo_skanit) are read where the
folder exists.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe.errors import InputError
from assaypipe.readers import PlateRead, read_export, read_exports
from assaypipe.readers.protocol import Source
from assaypipe.readers.registry import format_of
from assaypipe.roles import RoleRule
from tests import platereader_workbooks as books
from tests.conftest import by_well, placed

pytestmark = pytest.mark.usefixtures("no_settle")

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "exports" / "skanit"
REAL = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "allotropy" / "thermo_skanit"


def write(tmp_path: Path, data: bytes, name: str = "export.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def vendor_of(plate: PlateRead, quantity: str, basis: str | None = None) -> pd.DataFrame:
    vendor = plate.vendor
    chosen = vendor[vendor["quantity"] == quantity]
    if basis is not None:
        chosen = chosen[chosen["basis"] == basis]
    return chosen.set_index("well")


def test_the_committed_fixtures_are_what_the_builders_write() -> None:
    # The fixture folder is written by tests/platereader_workbooks.py: same cells.
    for relative, build in books.FIXTURES.items():
        if not relative.startswith("skanit/"):
            continue
        committed = Source((FIXTURES.parent / relative).read_bytes(), relative).sheets
        assert committed == Source(build(), relative).sheets, relative


def test_elisa_run_facts_roles_and_layout() -> None:
    plate = read_export(FIXTURES / "elisa_96_standard_curve.xlsx")
    assert {k: plate.meta[k] for k in ("format", "instrument", "software", "software_version",
                                       "serial_number", "batch", "run_time", "unit")} == {
        "format": "skanit",
        "instrument": "Varioskan LUX",
        "software": "SkanIt Software",
        "software_version": "7.0.0.50",
        "serial_number": "3020-81776",
        "batch": "NfL ELISA plate 3",
        "run_time": "6/5/2023 6:09:56 PM",
        "unit": "pg/mL",
    }  # fmt: skip
    wells = by_well(plate.wells)
    # Read by eye from the Layout definitions the builder writes.
    assert wells.loc["A1", ["role", "level", "expected_conc", "unit"]].tolist() == [
        "standard",
        1,
        1000.0,
        "pg/mL",
    ]
    assert wells.loc["G2", "expected_conc"] == pytest.approx(1000 / 64)
    assert wells.loc["H1", "role"] == "blank"
    assert wells.loc["A3", ["role", "sample_id", "expected_conc"]].tolist() == [
        "control",
        "Ctrl0001",
        250.0,
    ]
    assert wells.loc["D3", ["role", "sample_id", "dilution"]].tolist() == ["sample", "Un0003", 25.0]
    assert wells.loc["C3", "dilution"] == 1.0
    # Wells with no reading and no layout entry (columns 5 to 12) are not the plate's.
    assert len(wells) == 25 and "A5" not in wells.index
    assert set(wells["signal_kind"]) == {"OD450"}
    assert plate.warnings == ()


def test_elisa_signal_is_the_measured_read_not_the_blank_subtracted_one() -> None:
    plate = read_export(FIXTURES / "elisa_96_standard_curve.xlsx")
    wells = by_well(plate.wells)
    # The builder's Abs grid: the 4PL at 1000 pg/mL plus the blank's 0.045.
    assert wells.loc["A1", "signal"] == books.four(books.od(1000) + books.BLANK_OD)
    subtracted = vendor_of(plate, "Blank Subtraction 1")
    blank = (0.0441 + 0.0459) / 2
    assert subtracted.loc["A1", "value"] == pytest.approx(
        wells.loc["A1", "signal"] - blank, abs=1e-3
    )


def test_elisa_concentrations_in_well_and_per_sample() -> None:
    plate = read_export(FIXTURES / "elisa_96_standard_curve.xlsx")
    in_well = vendor_of(plate, "concentration", "in_well")
    per_sample = vendor_of(plate, "concentration", "sample")
    assert set(in_well["unit"]) == {"pg/mL"} and set(per_sample["unit"]) == {"pg/mL"}
    # SkanIt's Dilution Factor step is its concentration times the layout's dilution.
    assert per_sample.loc["D3", "value"] == pytest.approx(in_well.loc["D3", "value"] * 25, rel=1e-3)
    assert in_well.loc["D3", "value"] == pytest.approx(610, rel=1e-3)
    assert in_well.loc["D4", ["raw_text", "token"]].tolist() == ["> Max", "oor_high"]
    assert in_well.loc["E3", ["raw_text", "token"]].tolist() == ["< Min", "oor_low"]


def test_elisa_curve_is_designs_4pl_letter_for_letter() -> None:
    plate = read_export(FIXTURES / "elisa_96_standard_curve.xlsx")
    curve = plate.vendor[plate.vendor["well"].isna()].set_index("quantity")
    assert curve.loc["model", "raw_text"] == "4PL"
    assert {k: curve.loc[k, "value"] for k in "abcdg"} == {**books.CURVE, "g": 1.0}
    assert curve.loc["r_squared", "value"] == 0.999
    # The coefficients give SkanIt's concentrations back from its signal.
    signal = vendor_of(plate, "Standard Curve 1: Signal")["value"]
    conc = vendor_of(plate, "concentration", "in_well")
    numeric = conc[conc["token"] == "numeric"].index
    a, b, c, d = (curve.loc[k, "value"] for k in "abcd")
    back = c * ((a - d) / (signal[numeric] - d) - 1) ** (1 / b)
    assert np.allclose(back, conc.loc[numeric, "value"], rtol=2e-3)


def test_two_384_well_plates_with_two_wavelengths(tmp_path: Path) -> None:
    path = FIXTURES / "two_plates_384_two_wavelengths.xlsx"
    plates = read_exports(path)
    assert [p.meta["plate_name"] for p in plates] == ["Plate A", "Plate B"]
    assert [p.meta["plate_id"] for p in plates] == [
        "two_plates_384_two_wavelengths_Plate_A",
        "two_plates_384_two_wavelengths_Plate_B",
    ]
    second = by_well(plates[1].wells)
    # A partial layout on a 384-well plate: column 1 and row P, placed by well.
    assert sorted(second.index) == ["A1", "B1", "C1", "D1", "E1", "P23", "P24"]
    assert second.loc["P24", ["role", "sample_id"]].tolist() == ["sample", "Un0025"]
    assert second.loc["B1", ["expected_conc", "unit"]].tolist() == [5.0, "ng/mL"]
    assert second.loc["A1", "signal"] == pytest.approx(1.1)
    assert plates[0].warnings == (
        "the export holds 2 reads; the signal is `Absorbance 1 (450 nm)` (OD450, the first "
        "measured read), not `Absorbance 1 (620 nm)` (OD620); name another in wells.read",
    )


@pytest.mark.parametrize("read", ["620", "620 nm", "OD620", "Absorbance 1 (620 nm)"])
def test_the_read_named_in_wells_read(read: str) -> None:
    plates = read_exports(FIXTURES / "two_plates_384_two_wavelengths.xlsx", read=read)
    wells = plates[0].wells
    assert set(wells["signal_kind"]) == {"OD620"} and set(wells["signal"]) == {0.04}
    assert "not `Absorbance 1 (450 nm)` (OD450)" in plates[0].warnings[0]


def test_a_calculated_step_named_in_wells_read() -> None:
    plate = read_export(FIXTURES / "elisa_96_standard_curve.xlsx", read="Blank Subtraction 1")
    wells = by_well(plate.wells)
    assert wells.loc["A1", "signal_kind"] == "Blank Subtraction 1"
    assert wells.loc["A1", "signal"] == pytest.approx(books.four(books.od(1000)), abs=2e-3)
    assert "Blank Subtraction 1" not in set(plate.vendor["quantity"])


def test_a_read_the_export_does_not_hold_is_refused() -> None:
    with pytest.raises(
        InputError,
        match=r"wells.read asks for the read `405`.*"
        r"holds `Absorbance 1 \(450 nm\)`, `Absorbance 1 \(620 nm\)`",
    ):
        read_exports(FIXTURES / "two_plates_384_two_wavelengths.xlsx", read="405")


def test_luminescence_without_layout_is_unassigned() -> None:
    plate = read_export(FIXTURES / "luminescence_no_layout.xlsx")
    assert set(plate.wells["role"]) == {"unassigned"} and len(plate.wells) == 96
    assert set(plate.wells["signal_kind"]) == {"Lum"}
    assert by_well(plate.wells).loc["H12", "signal"] == 9600.0
    assert plate.meta["batch"] == "experiment" and plate.meta["instrument"] == ""
    assert "the export names no well roles and there is no plate map" in plate.warnings[0]


def test_a_plate_map_places_the_wells_of_an_export_without_layout(tmp_path: Path) -> None:
    plate_map = tmp_path / "map.csv"
    plate_map.write_text(
        "well,role,sample_id,level,expected_conc\nA1,standard,,1,100\nA2,sample,P01,,\n"
    )
    plate = read_export(FIXTURES / "luminescence_no_layout.xlsx", plate_map=plate_map)
    assert placed(plate.wells)["well"].tolist() == ["A1", "A2"]


def test_the_role_rule_applies_to_skanits_names(tmp_path: Path) -> None:
    rule = RoleRule(standard=r"std(\d+)", control=r"ctrl(\d+)", blank=r"blank\d*")
    plate = read_export(FIXTURES / "elisa_96_standard_curve.xlsx", role_rule=rule)
    assert by_well(plate.wells).loc["A3", "role"] == "control"
    other = RoleRule(standard=r"cal(\d+)")
    plate = read_export(FIXTURES / "elisa_96_standard_curve.xlsx", role_rule=other)
    assert by_well(plate.wells).loc["A1", "role"] == "sample"


def elisa_sheets() -> dict[str, list[books.Row]]:
    """The sheets of the ELISA fixture, to change one and write it again."""
    sheets = Source(books.skanit_elisa(), "x.xlsx").sheets
    return {sheet.name: [list(row) for row in sheet.rows] for sheet in sheets}


def test_cells_a_lab_added_beside_the_plates_are_named_and_not_read(tmp_path: Path) -> None:
    sheets = elisa_sheets()
    rows = sheets["Dilution Factor 1_04"]
    rows[5] = [*rows[5], *[None] * (16 - len(rows[5])), "AVERAGE", "ST.D"]
    rows[12] = [*rows[12], *[None] * (17 - len(rows[12])), 1.8315]
    plate = read_export(write(tmp_path, books.book_bytes(sheets)))
    assert plate.warnings == (
        "sheet `Dilution Factor 1_04`: 3 cells right of the plate grids (from column Q: "
        "`AVERAGE`, `ST.D`, `1.8315`) were not written by SkanIt (the workbook was edited); "
        "they are not read",
    )
    # The plate title on that line is still the plate's: the per-sample values are kept.
    assert (plate.vendor["basis"] == "sample").sum() == 25


def test_names_from_the_sample_grid_without_layout_definitions(tmp_path: Path) -> None:
    sheets = elisa_sheets()
    del sheets["Layout definitions"]
    plate = read_export(write(tmp_path, books.book_bytes(sheets)))
    wells = by_well(plate.wells)
    assert wells.loc["A1", ["role", "level"]].tolist() == ["standard", 1]
    assert math.isnan(wells.loc["A1", "expected_conc"])
    assert wells.loc["D3", "dilution"] == 1.0
    assert any("expected concentrations are all missing" in w for w in plate.warnings)


def test_an_export_of_calculated_steps_only_is_refused(tmp_path: Path) -> None:
    sheets = elisa_sheets()
    del sheets["Absorbance 1_01"], sheets["Protocol parameters"]
    with pytest.raises(
        InputError, match=r"no measured read, only values SkanIt calculated \(`Blank Subtraction 1`"
    ):
        read_export(write(tmp_path, books.book_bytes(sheets)))


def test_an_export_without_plate_grids_is_refused(tmp_path: Path) -> None:
    data = books.book_bytes({"Absorbance 1_01": books.results("Absorbance 1", [[["Plate 1"]]])})
    with pytest.raises(
        InputError,
        match=r"holds no plate data: no plate grid on its results sheets \(`Absorbance 1_01`\)",
    ):
        read_export(write(tmp_path, data))


def test_an_empty_read_is_refused_naming_the_place(tmp_path: Path) -> None:
    data = books.book_bytes(
        {
            "Absorbance 1_01": books.results(
                "Absorbance 1", [books.plate_block("Plate 1", [books.grid("Abs", {})], "450")]
            )
        }
    )
    with pytest.raises(
        InputError,
        match=r"sheet `Absorbance 1_01`, row 11: "
        r"the `Absorbance 1` grid of plate `Plate 1` is empty",
    ):
        read_export(write(tmp_path, data))


def test_recognised_by_content_and_not_stealing_other_workbooks(tmp_path: Path) -> None:
    source = Source(books.skanit_luminescence(), "plate7.csv")
    assert format_of(source).name == "skanit"
    grid = books.book_bytes({"Sheet1": books.grid("OD450", {"A1": 0.1})})
    assert format_of(Source(grid, "g.xlsx")).name == "grid"
    # A sheet opening `Measurement results` without a session file is not SkanIt's.
    other = books.book_bytes(
        {"S": [["Measurement results"], ["notes.txt"], [], *books.grid("OD450", {"A1": 0.1})]}
    )
    assert format_of(Source(other, "o.xlsx")).name == "grid"


# --- the real exports --------------------------------------------------------------


def test_real_skanit_elisa(realdata: Path) -> None:
    plate = read_export(REAL / "skanit_data.xlsx")
    wells = by_well(plate.wells)
    assert plate.meta["instrument"] == "Varioskan LUX"
    assert plate.meta["software_version"] == "7.0.0.50"
    assert plate.meta["unit"] == "µg/mL"
    # Read by eye: Abs A1 1.7455, H12 0.1032; layout Std0001 1 microg/ml, Un0007 1:25.
    assert wells.loc["A1", ["signal", "role", "level", "expected_conc"]].tolist() == [
        1.7455,
        "standard",
        1,
        1.0,
    ]
    assert wells.loc["H12", "signal"] == 0.1032
    assert wells.loc["B3", ["sample_id", "dilution"]].tolist() == ["Un0007", 25.0]
    assert wells["role"].value_counts().to_dict() == {"sample": 80, "standard": 14, "blank": 2}
    in_well = vendor_of(plate, "concentration", "in_well")
    per_sample = vendor_of(plate, "concentration", "sample")
    # SkanIt's own numbers: its Dilution Factor values are its concentrations times the
    # layout's dilution (B3: 0.0634 x 25 = 1.585).
    numeric = per_sample[per_sample["token"] == "numeric"].index
    ratio = per_sample.loc[numeric, "value"] / (
        in_well.loc[numeric, "value"] * wells.loc[numeric, "dilution"]
    )
    assert len(numeric) == 59 and np.allclose(ratio, 1, atol=1e-3)
    # And its concentrations are its 4PL inverted at its blank-subtracted signal.
    curve = plate.vendor[plate.vendor["well"].isna()].set_index("quantity")["value"]
    signal = vendor_of(plate, "Standard Curve 1: Signal")["value"]
    conc = in_well[in_well["token"] == "numeric"]
    a, b, c, d = (curve[k] for k in "abcd")
    back = c * ((a - d) / (signal[conc.index] - d) - 1) ** (1 / b)
    assert np.allclose(back, conc["value"], rtol=1e-3)
    assert "sheet `Dilution Factor 1_04`: 197 cells right of the plate grids" in plate.warnings[0]


def test_real_skanit_plates_and_reads(realdata: Path) -> None:
    plates = read_exports(REAL / "multi-plate_example01.xlsx")
    assert [len(p.wells) for p in plates] == [32, 32, 26, 32, 12]
    assert [p.meta["plate_name"] for p in plates] == [f"Plate {n}" for n in range(1, 6)]
    third = by_well(plates[2].wells)
    # Read by eye: plate 3, 214 nm, B6 = 2 (Un0042), B7 = 0.2; F3 has no value, no sample.
    assert third.loc["B6", ["signal", "sample_id"]].tolist() == [2.0, "Un0042"]
    assert third.loc["B7", ["signal", "sample_id"]].tolist() == [0.2, "Un0055"]
    assert "F3" not in third.index
    at_280 = by_well(read_exports(REAL / "multi-plate_example01.xlsx", read="280")[2].wells)
    assert at_280.loc["B6", "signal"] == 0.6
    pattern = read_exports(REAL / "skanit_different_plate_pattern.xlsx")
    assert [(p.meta["plate_name"], p.wells["well"].tolist()) for p in pattern] == [
        ("Blank plate", ["A2"]),
        ("Sample Plate", ["A2"]),
    ]
    assert by_well(pattern[1].wells).loc["A2", "signal"] == 0.058
    purity = vendor_of(pattern[1], "Purity (A260/A280)")
    assert purity.loc["A2", "value"] == 0.5666


def test_a_kinetic_or_repeated_read_is_refused(tmp_path: Path) -> None:
    # One plate at one wavelength twice in a step (a kinetic export's cycles).
    blocks = [
        books.plate_block("Plate 1", [books.grid("Abs", {"A1": 0.1 * n})], "450") for n in (1, 2)
    ]
    data = books.book_bytes({"Absorbance 1_01": books.results("Absorbance 1", blocks)})
    with pytest.raises(
        InputError,
        match=r"sheet `Absorbance 1_01`, row 11: the `Absorbance 1` step holds 2 grids of plate "
        r"`Plate 1` at 450 nm \(a kinetic or repeated read\): there is no single endpoint",
    ):
        read_export(write(tmp_path, data))


def test_a_damaged_header_number_narrowing_a_grid_is_named(tmp_path: Path) -> None:
    # Column 12's header made text: the grid was read to column 11, and its wells right
    # of it (P23, P24) were lost without a word.
    import openpyxl

    book = openpyxl.load_workbook(FIXTURES / "two_plates_384_two_wavelengths.xlsx")
    book["Absorbance 1_01"]["M11"].value = "abc"
    buffer = io.BytesIO()
    book.save(buffer)
    plates = read_exports(write(tmp_path, buffer.getvalue()))
    message = (
        "sheet `Absorbance 1_01` row 11: the grid's header names columns 1 to 11 only, so 2 "
        "filled cells right of column 11 in its rows are not read (a header number looks "
        "damaged)"
    )
    assert all(message in plate.warnings for plate in plates)
