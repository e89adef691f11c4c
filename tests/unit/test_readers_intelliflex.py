"""INTELLIFLEX reader: the wide export (one row per well) and the long export."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import read_export, read_exports
from assaypipe.readers.intelliflex import looks_like_wide, split_wide
from assaypipe.readers.protocol import Source
from assaypipe.readers.registry import format_of

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
WIDE = EXPORTS / "intelliflex" / "intelliflex_wide_2plex.csv"
TWO_PLATES = EXPORTS / "intelliflex" / "intelliflex_wide_two_plates.csv"


def cell(wells: pd.DataFrame, well: str, analyte: str) -> pd.Series:
    rows = wells[(wells["well"] == well) & (wells["analyte"] == analyte)]
    assert len(rows) == 1, f"{well}/{analyte}: {len(rows)} rows"
    return rows.iloc[0]


def write(tmp_path: Path, text: str, name: str = "wide.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def edited(old: str, new: str, count: int = 1) -> str:
    text = WIDE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, count)


# --- the wide export -----------------------------------------------------------------


def test_wide_export_reads_wells_analytes_and_signals() -> None:
    plate = read_export(WIDE)
    wells = plate.wells
    tables.WELLS.validate(wells)
    assert len(wells) == 7 * 2
    # Analytes as ANALYTE NAME gives them, in the header's order.
    assert list(wells["analyte"].unique()) == ["CCL2", "HGF"]
    assert list(wells["well"].unique()) == ["A1", "B1", "C1", "D1", "E1", "F1", "G1"]
    assert (wells["signal_kind"] == "Median MFI").all()
    # Values read by eye from the fixture.
    assert cell(wells, "C1", "CCL2")[["raw_text", "signal", "bead_count"]].tolist() == [
        "4980.5",
        4980.5,
        58,
    ]
    e1 = cell(wells, "E1", "HGF")
    assert (e1["raw_text"], e1["token"], e1["bead_count"]) == ("NaN", "nan", 0)
    assert math.isnan(e1["signal"])


def test_wide_export_roles_levels_samples_and_dilution() -> None:
    wells = read_export(WIDE).wells
    by_well = wells.drop_duplicates("well").set_index("well")
    # WELL TYPE: B background, S<n> standard n, C<n> control n, U<n> unknown.
    assert by_well["role"].to_dict() == {
        "A1": "blank",
        "B1": "standard",
        "C1": "standard",
        "D1": "control",
        "E1": "sample",
        "F1": "sample",
        "G1": "sample",
    }
    assert by_well["level"].tolist()[:4] == [pd.NA, 1, 2, 1]
    assert by_well.loc["D1", ["sample_name", "sample_id"]].tolist() == ["QC-low", "QC-low"]
    assert by_well.loc["E1", "sample_id"] == by_well.loc["F1", "sample_id"] == "P01-V1"
    assert by_well["sample_id"].isna().tolist()[:3] == [True, True, True]
    # DILUTION: blank is undiluted.
    assert by_well["dilution"].tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 4.0]
    # The wide export states no expected concentrations: the plate says so.
    assert wells["expected_conc"].isna().all()
    assert read_export(WIDE).warnings == (
        "standards: every analyte has standards but their expected concentrations are all "
        "missing or 0, so no curve can be fitted; enter the standard concentrations in the "
        "instrument protocol and export again, or give them in a kit file (standards) or a "
        "plate map",
    )


def test_wide_export_net_median_is_the_net_mfi_signal() -> None:
    wells = read_export(WIDE, signal="net_mfi").wells
    assert (wells["signal_kind"] == "Net MFI").all()
    assert cell(wells, "B1", "HGF")["signal"] == 15270.0
    assert cell(wells, "A1", "CCL2")["signal"] == 1.0


def test_wide_export_meta() -> None:
    plate = read_export(WIDE)
    assert {key: plate.meta[key] for key in plate.meta if key not in ("sha256", "source_file")} == {
        "format": "intelliflex",
        "instrument": "xMAP INTELLIFLEX DR-SE",
        "software": "Luminex INTELLIFLEX",
        "software_version": "2.1.1015",
        "serial_number": "IFLX0001",
        "batch": "CSF_P1",
        "run_time": "2025-03-14 10:05:11 AM",
        "kit_lot": "",
        "unit": "",
        "plate_name": "",
        "plate_id": "intelliflex_wide_2plex",
    }


def test_wide_export_keeps_what_the_software_computed() -> None:
    vendor = read_export(WIDE).vendor
    tables.VENDOR_RESULTS.validate(vendor)
    quantities = vendor.groupby("quantity", sort=False).size().to_dict()
    # Every computed column, per well and analyte; the bead statistics are not results.
    assert quantities == {
        "background": 14,
        "net_median": 14,
        "average_mfi": 14,
        "replicate_cv": 14,
    }
    rows = vendor.set_index(["well", "analyte", "quantity"])
    assert rows.loc[("E1", "CCL2", "average_mfi"), "value"] == 618.0
    assert rows.loc[("F1", "CCL2", "replicate_cv"), "value"] == 1.4
    assert rows.loc[("D1", "HGF", "net_median"), "value"] == 3265.0
    assert vendor["basis"].isna().all() and vendor["unit"].isna().all()


def test_wide_export_is_recognised_and_the_signature_is_not_data() -> None:
    source = Source(WIDE.read_bytes(), str(WIDE))
    assert format_of(source).name == "intelliflex"
    assert looks_like_wide(source.lines)
    wide = split_wide(source.text)
    assert len(wide.rows) == 7 and wide.rows[-1][7] == "G1"
    # An xPONENT export or a plate grid is not a wide INTELLIFLEX export.
    assert not looks_like_wide(["Program,xPONENT,,LX200", "Build,3.1"])
    assert not looks_like_wide(["WELL LOCATION,SAMPLE ID,OD"])


def test_the_long_intelliflex_export_is_the_same_format(tmp_path: Path) -> None:
    text = (EXPORTS / "xponent/xponent31_2plex_resaved.csv").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace(",LX200,", ",Intelliflex,", 1))
    source = Source(path.read_bytes(), str(path))
    assert format_of(source).name == "intelliflex"
    plate = read_export(path)
    assert (plate.meta["format"], plate.meta["instrument"]) == ("intelliflex", "Intelliflex")
    assert plate.wells["well"].nunique() == 12


def test_two_plate_names_are_two_plates_and_regions_name_analytes() -> None:
    plates = read_exports(TWO_PLATES)
    assert [p.meta["plate_name"] for p in plates] == ["RUN_A", "RUN_B"]
    assert [p.meta["plate_id"] for p in plates] == [
        "intelliflex_wide_two_plates_RUN_A",
        "intelliflex_wide_two_plates_RUN_B",
    ]
    assert [p.meta["run_time"] for p in plates] == ["11/8/2024 12:12", "11/8/2024 14:40"]
    a, b = (p.wells for p in plates)
    # No ANALYTE NAME column: the region and reporter name the analyte.
    assert list(a["analyte"].unique()) == ["R25: RP1", "R25: RP2"]
    # No WELL TYPE column: roles from the SAMPLE ID.
    assert cell(a, "A1", "R25: RP2")[["role", "signal"]].tolist() == ["blank", 3.25]
    assert cell(b, "A1", "R25: RP1")[["role", "level", "signal"]].tolist() == [
        "standard",
        1,
        5000.0,
    ]
    assert cell(b, "B1", "R25: RP2")[["sample_id", "signal", "bead_count"]].tolist() == [
        "Unknown2",
        7.75,
        33,
    ]
    assert plates[0].meta["software_version"] == "2.0.1017"
    assert plates[0].vendor.empty
    with pytest.raises(InputError, match="holds 2 plates"):
        read_export(TWO_PLATES)


# --- what is read past, with a warning ---------------------------------------------------


def test_a_well_twice_keeps_the_first_row(tmp_path: Path) -> None:
    text = edited(",G1,U2,", ",F1,U2,")
    plate = read_export(write(tmp_path, text))
    assert plate.wells["well"].nunique() == 6
    assert cell(plate.wells, "F1", "CCL2")["signal"] == 624.0
    assert "line 8: well F1 appears twice (lines 7 and 8); the first is read" in plate.warnings


def test_status_columns_are_what_intelliflex_reported(tmp_path: Path) -> None:
    text = edited(",Completed,2025-03-14", ",Partial,2025-03-14", 7)
    text = text.replace(",E1,U1,Completed,", ",E1,U1,Dry,", 1)
    text = text.replace(",G1,U2,Completed,", ",G1,U2,Warning,", 1)
    plate = read_export(write(tmp_path, text))
    assert plate.warnings[:2] == (
        "INTELLIFLEX reports the plate as Partial (PLATE STATUS): not every well may have "
        "been acquired",
        "INTELLIFLEX's WELL STATUS is not Completed for Dry at well E1; Warning at well G1",
    )
    assert plate.wells["well"].nunique() == 7


def test_a_count_that_is_not_whole_is_no_bead_count(tmp_path: Path) -> None:
    text = edited("9120,30,9090,9150,55,", "9120,30,9090,9150,17.65178,")
    plate = read_export(write(tmp_path, text))
    assert cell(plate.wells, "B1", "CCL2")["bead_count"] is pd.NA
    assert cell(plate.wells, "B1", "HGF")["bead_count"] == 60
    assert (
        "1 COUNT values are not whole numbers (first: well B1, CCL2: '17.65178'); they are "
        "read as no bead count" in plate.warnings
    )


def test_a_bad_dilution_and_an_unknown_well_type(tmp_path: Path) -> None:
    text = edited(",G1,U2,Completed,P02-V1,4,", ",G1,X9,Completed,P02-V1,0,")
    plate = read_export(write(tmp_path, text))
    g1 = cell(plate.wells, "G1", "HGF")
    assert (g1["dilution"], g1["role"], g1["sample_id"]) == (1.0, "sample", "P02-V1")
    assert (
        "WELL TYPE X9 is not one of U, S, C, B (unknown, standard, control, background); "
        "those wells take their role from the SAMPLE ID" in plate.warnings
    )
    assert (
        "line 8: DILUTION G1 '0': not a number above 0; read as undiluted (1): give the "
        "dilution in a plate map" in plate.warnings
    )


def test_two_reporters_with_one_analyte_name_stay_apart(tmp_path: Path) -> None:
    text = edited(",HGF,13,", ",CCL2,13,", 7)
    wells = read_export(write(tmp_path, text)).wells
    assert list(wells["analyte"].unique()) == ["CCL2 (R12: RP1)", "CCL2 (R13: RP1)"]


def test_a_short_row_is_read_with_empty_cells_and_warned_of(tmp_path: Path) -> None:
    text = edited(",455,40,415,460,38,12.4,455,NaN,", ",455,")
    plate = read_export(write(tmp_path, text))
    assert cell(plate.wells, "F1", "HGF")[["signal", "bead_count"]].tolist() == [455.0, pd.NA]
    assert cell(plate.wells, "F1", "CCL2")["signal"] == 624.0
    assert (
        "1 well row (first at line 7) has fewer cells than the header row; the missing cells "
        "are read as empty" in plate.warnings
    )


def test_two_rows_run_together_are_read_with_a_warning(tmp_path: Path) -> None:
    # A lost line break: line 8's row runs on after line 7's last cell.
    lines = WIDE.read_text(encoding="utf-8").split("\n")
    whole = read_export(write(tmp_path, "\n".join(lines), "whole.csv"))
    joined = "\n".join([*lines[:6], lines[6].rstrip("\r") + lines[7], *lines[8:]])
    plate = read_export(write(tmp_path, joined))
    lost = set(whole.wells["well"]) - set(plate.wells["well"])
    assert len(lost) == 1
    assert (
        "1 well row (first at line 7) has more cells than the header row, read up to its "
        "last column (the rest is not read; two lines may have run together)" in plate.warnings
    )
    assert not any("more cells" in warning for warning in whole.warnings)


# --- refused ---------------------------------------------------------------------------


def test_a_location_that_is_not_a_well_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expected a well like A1 in WELL LOCATION, found 'Z1'"):
        read_export(write(tmp_path, edited(",G1,U2,", ",Z1,U2,")))


def test_no_net_median_column_when_net_mfi_is_asked_for() -> None:
    with pytest.raises(InputError, match=r"no `R<region>: RP<reporter> NET MEDIAN` column"):
        read_export(TWO_PLATES, signal="net_mfi")


def test_a_file_cut_in_a_well_row_is_refused(tmp_path: Path) -> None:
    text = WIDE.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="ends in the middle of a well row") as raised:
        read_export(write(tmp_path, text[: text.index(",812,40,772")]))
    assert raised.value.where == "line 8"


def test_a_header_without_rows_is_refused(tmp_path: Path) -> None:
    header = WIDE.read_text(encoding="utf-8").splitlines()[0]
    with pytest.raises(InputError, match="the export has no well rows"):
        read_export(write(tmp_path, header + "\n"))


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """The export cut, with a byte changed, a line lost or repeated, or a cell split."""
    kind = draw(st.sampled_from(["truncate", "byte", "delete_line", "repeat_line", "insert"]))
    if kind == "truncate":
        return data[: draw(st.integers(1, len(data) - 1))]
    if kind == "byte":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from([b",", b";", b"\n", b'"', b"0"])) + data[at:]
    lines = data.splitlines(keepends=True)
    at = draw(st.integers(0, len(lines) - 1))
    if kind == "delete_line":
        return b"".join(lines[:at] + lines[at + 1 :])
    return b"".join(lines[: at + 1] + lines[at:])


@pytest.mark.parametrize("export", [WIDE, TWO_PLATES], ids=["2plex", "two_plates"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_damaged_wide_export_is_read_or_refused_in_one_sentence(
    export: Path, tmp_path: Path, data: st.DataObject
) -> None:
    # A wide export has no closing marker: a lost line cannot be told from a shorter
    # plate. What holds: an InputError or valid tables of one row per well x analyte.
    path = tmp_path / "damaged.csv"
    path.write_bytes(data.draw(damaged(export.read_bytes())))
    try:
        plates = read_exports(path, settle_seconds=0)
    except InputError:
        return
    for plate in plates:
        wells = plate.wells
        assert len(wells) == wells["well"].nunique() * wells["analyte"].nunique()


# --- real exports --------------------------------------------------------------------


@pytest.mark.realdata
def test_intelliflex_single_dataset(realdata: Path) -> None:
    plate = read_export(
        realdata / "allotropy/luminex_intelliflex/luminex_intelliflex_single_dataset.csv"
    )
    wells = plate.wells
    # 14 bead regions, two reporters each, no ANALYTE NAME: 28 analytes.
    assert wells["analyte"].nunique() == 28 and len(wells) == 3 * 28
    assert list(wells["analyte"].unique()[:3]) == ["R25: RP1", "R25: RP2", "R27: RP1"]
    assert list(wells["well"].unique()) == ["A1", "B1", "C1"]
    # Values read by eye from the file.
    a1 = cell(wells, "A1", "R25: RP1")
    assert (a1["sample_id"], a1["signal"], a1["bead_count"]) == ("Unknown1", 130.55469, 28)
    assert cell(wells, "C1", "R77: RP2")["signal"] == 5.98047
    assert (wells["role"] == "sample").all()
    assert plate.meta["instrument"] == "INTELLIFLEX"
    assert plate.meta["serial_number"] == "IFLEXP24099001"
    assert plate.meta["software_version"] == "2.0.1017"
    assert plate.meta["batch"] == "PLATE_11082024_RUN000"
    assert plate.meta["run_time"] == "11/8/2024 12:12"
    vendor = plate.vendor.set_index(["well", "analyte", "quantity"])
    assert vendor.loc[("B1", "R27: RP2", "average_mfi"), "value"] == 6.09375
    assert plate.warnings == ()


@pytest.mark.realdata
def test_intelliflex_v2_2(realdata: Path) -> None:
    plate = read_export(realdata / "allotropy/luminex_intelliflex/luminex_intelliflex_v2_2.csv")
    wells = plate.wells
    assert wells["well"].nunique() == 10 and wells["analyte"].nunique() == 14
    assert list(wells["analyte"].unique()[:3]) == ["HPV6", "HPV11", "HPV16"]
    b1 = cell(wells, "B1", "HPV6")
    assert (b1["sample_id"], b1["dilution"], b1["signal"]) == ("Sample_002", 15.0, 6.05021)
    assert b1["bead_count"] is pd.NA  # COUNT 17.65178 is no count
    a2 = cell(wells, "A2", "HPV6")
    assert (a2["sample_name"], a2["signal"], a2["dilution"]) == ("Sample_009", 19.12555, 7.0)
    assert cell(wells, "A1", "HPV6")["token"] == "nan"
    assert (wells["role"] == "sample").all()  # WELL TYPE U1..U10
    net = read_export(
        realdata / "allotropy/luminex_intelliflex/luminex_intelliflex_v2_2.csv", signal="net_mfi"
    )
    assert cell(net.wells, "B1", "HPV6")["signal"] == 10.27147
    assert plate.meta["instrument"] == "xMAP INTELLIFLEX DR-SE"
    assert plate.meta["software_version"] == "2.1.1015"
    assert plate.meta["run_time"] == "2026-02-25 04:42:08 PM"
    assert plate.warnings == (
        "23 COUNT values are not whole numbers (first: well B1, HPV6: '17.65178'); they are "
        "read as no bead count",
        "INTELLIFLEX reports the plate as Partial (PLATE STATUS): not every well may have "
        "been acquired",
        "INTELLIFLEX's WELL STATUS is not Completed for Dry at wells A1, B2, C1, D1, E1, F1 "
        "and 2 more; Warning at wells A2, B1",
    )


def test_a_well_type_numbered_beyond_any_series_has_no_level(tmp_path: Path) -> None:
    # WELL TYPE S<n>: n beyond 19 digits overflowed the level column, beyond 4,300 int
    # refused it; both stopped the chunk.
    for digits in ("9" * 20, "9" * 5000):
        path = tmp_path / "long_level.csv"
        text = WIDE.read_text(encoding="utf-8").replace(",B1,S1,", f",B1,S{digits},", 1)
        path.write_text(text, encoding="utf-8")
        wells = read_export(path).wells.drop_duplicates("well").set_index("well")
        assert wells.loc["B1", "role"] == "standard" and wells["level"].isna()["B1"]


@pytest.mark.parametrize("above", ["Exported for the lab,,\n", "\n\nWELL LOCATION damaged\n"])
def test_lines_above_the_wide_header_row_are_read_past_and_named(
    tmp_path: Path, above: str
) -> None:
    # The export was refused as no supported format: its header row was looked for on
    # its first line only.
    text = WIDE.read_text(encoding="utf-8")
    path = tmp_path / WIDE.name
    path.write_text(above + text, encoding="utf-8")
    plate = read_export(path)
    intact = read_export(WIDE)
    # the same wells; their line numbers moved with the lines above
    columns = ["well", "analyte", "role", "sample_id", "signal", "bead_count", "dilution"]
    pd.testing.assert_frame_equal(plate.wells[columns], intact.wells[columns])
    filled = [n for n, line in enumerate(above.splitlines(), start=1) if line.strip()]
    places = ", ".join(f"line {n}" for n in filled)
    assert plate.warnings[0] == (
        f"{places} stands above the header row (`WELL LOCATION`, ...) and is not read: not "
        "part of the export as INTELLIFLEX writes it"
    )


def test_well_rows_moved_above_the_header_row_are_named_as_wells_lost(tmp_path: Path) -> None:
    # Two lines swapped: the header row is the third line, the two wells above it are lost.
    lines = WIDE.read_text(encoding="utf-8").split("\n")
    lines[0], lines[2] = lines[2], lines[0]
    path = tmp_path / WIDE.name
    path.write_text("\n".join(lines), encoding="utf-8")
    plate = read_export(path)
    assert plate.warnings[0] == (
        "line 1, line 2 stand above the header row (`WELL LOCATION`, ...) and are not read; "
        "line 1, line 2 are well rows, whose wells are not read (a line moved above the "
        "header); the file looks damaged"
    )
    assert plate.wells["well"].nunique() == read_export(WIDE).wells["well"].nunique() - 2
