"""SoftMax Pro text exports: reads and reductions, partial plates, groups, several plates."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import PlateRead, read_export, read_exports
from tests.conftest import by_well, placed

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
TWO_PLATES = EXPORTS / "softmax/softmax_two_plates_dual.txt"
TIME_FORMAT = EXPORTS / "softmax/softmax_timeformat_latin1.txt"
FORMULAS = EXPORTS / "softmax" / "groups_450_only_formulas.txt"
SOFTMAX = "allotropy/moldev_softmax_pro"


def vendor_value(vendor: pd.DataFrame, well: str, quantity: str, basis: str = "") -> pd.Series:
    rows = vendor[(vendor["well"] == well) & (vendor["quantity"] == quantity)]
    if basis:
        rows = rows[rows["basis"] == basis]
    assert len(rows) == 1, (well, quantity, basis)
    return rows.iloc[0]


def write(tmp_path: Path, text: str, name: str = "softmax.txt", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def warned(plate: PlateRead, *parts: str) -> bool:
    return any(all(part in warning for part in parts) for warning in plate.warnings)


# --- small synthetic exports: a 12-well plate (3 rows x 4 columns) -----------------

ROWS = ("A", "B", "C")


def header(
    name: str = "Plate1",
    layout: str = "PlateFormat",
    read_type: str = "Endpoint",
    mode: str = "Absorbance",
    wavelengths: str = "450 650",
    excitations: str = "",
    area: tuple[int, int, int, int] = (1, 4, 1, 3),
    wells: int = 12,
    points: int = 1,
) -> str:
    """A `Plate:` header line; `area` is first column, columns, first row, rows."""
    first_column, columns, first_row, rows = (str(n) for n in area)
    n = str(len(wavelengths.split()))
    common = [name, "1.3", layout, read_type, mode]
    if mode == "Absorbance":
        cells = [*common, "Raw", "FALSE", str(points), "", "", "", "", "", n, wavelengths]
        cells += [first_column, columns, str(wells), first_row, rows]
    elif mode == "Fluorescence":
        cells = [*common, "FALSE", "Raw", "FALSE", str(points), "", "", "", "", "", n]
        cells += [wavelengths, first_column, columns, str(wells), excitations, "Manual"]
        cells += ["", "", "", "6", "", "", "", first_row, rows]
    else:
        cells = [*common, "Raw", "FALSE", str(points), "", "", "", "", "", n, wavelengths]
        cells += [first_column, columns, str(wells), "", "", "", "", "", "6", "", "", ""]
        cells += [first_row, rows]
    return "\t".join(["Plate:", *cells])


def grid(reads: list[list[list[str]]], temperature: str | None = "22.0") -> list[str]:
    """PlateFormat lines: the reads' grids side by side (`temperature` None: reduced)."""
    labels = "\t".join(str(c) for c in range(1, len(reads[0][0]) + 1))
    head = "\t" + ("Temperature(°C)" if temperature is not None else "") + "\t"
    lines = [head + "\t\t".join([labels] * len(reads))]
    for r in range(len(reads[0])):
        first = temperature if temperature is not None and r == 0 else ""
        lines.append(f"\t{first}\t" + "\t\t".join("\t".join(read[r]) for read in reads))
    return lines


def export(*blocks: list[str], announced: int | None = None) -> str:
    """An export of the blocks, closed as SoftMax closes a file it finished writing."""
    count = len(blocks) if announced is None else announced
    body = [line for block in blocks for line in [*block, "~End"]]
    closing = "Original Filename: test; Date Last Saved: 3/2/2026 10:00:00 AM"
    return "\r\n".join([f"##BLOCKS= {count}", *body, closing]) + "\r\n"


def plate_of(values: dict[str, str], default: str = "0.1") -> list[list[str]]:
    return [[values.get(f"{r}{c}", default) for c in range(1, 5)] for r in ROWS]


RAW_450 = plate_of({"A1": "1.2000", "A2": "0.8000", "B1": "0.4000"}, "0.2000")
RAW_650 = plate_of({"A1": "0.0500", "A2": "0.0400"}, "0.0450")


def reduced_of(values: np.ndarray) -> list[list[str]]:
    return [[repr(float(v)) for v in row] for row in values]


def numbers(read: list[list[str]]) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in read])


def read_text(tmp_path: Path, text: str, read: str = "") -> list[PlateRead]:
    return read_exports(write(tmp_path, text), read=read)


# --- the read and reduction the software used --------------------------------------


def test_reduced_data_is_the_signal_and_its_reduction_is_named(tmp_path: Path) -> None:
    # Raw 450 and 650 nm, and SoftMax's reduced data = the 450 nm read alone: the
    # signal is the 450 nm read, not 450 - 650.
    alone = reduced_of(numbers(RAW_450))
    text = export([header(), *grid([RAW_450, RAW_650]), "", *grid([alone], None)])
    plate = read_text(tmp_path, text)[0]
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "OD450").all()
    assert wells.loc["A1", "signal"] == pytest.approx(1.2)  # not 1.2 - 0.05
    assert warned(plate, "holds the reads OD450, OD650 and reduced data", "SoftMax's reduced")
    # The same export whose reduction is 450 - 650.
    difference = reduced_of(numbers(RAW_450) - numbers(RAW_650))
    text = export([header(), *grid([RAW_450, RAW_650]), "", *grid([difference], None)])
    wells = by_well(read_text(tmp_path, text)[0].wells)
    assert (wells["signal_kind"] == "OD450-650").all()
    assert wells.loc["A1", "signal"] == pytest.approx(1.15)
    # A reduction that is neither (a custom formula) is used as exported and says so.
    custom = reduced_of(numbers(RAW_450) / numbers(RAW_650))
    text = export([header(), *grid([RAW_450, RAW_650]), "", *grid([custom], None)])
    wells = by_well(read_text(tmp_path, text)[0].wells)
    assert (wells["signal_kind"] == "OD reduced (450, 650)").all()
    assert wells.loc["A1", "signal"] == pytest.approx(1.2 / 0.05)


def test_without_reduced_data_the_groups_values_tell_the_read() -> None:
    # The groups' `!WellValues` (OD 1.200 for A1) are the 450 nm read, not 450 - 650.
    plate = read_export(FORMULAS)
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "OD450").all()
    assert (wells.loc["A1", "raw_text"], wells.loc["A1", "signal"]) == ("1.2000", 1.2)
    assert warned(plate, "the signal is OD450 (the read the groups' values match)", "'450-650'")


def test_without_reduced_data_or_groups_the_first_read_is_the_default(tmp_path: Path) -> None:
    plate = read_text(tmp_path, export([header(), *grid([RAW_450, RAW_650])]))[0]
    assert (plate.wells["signal_kind"] == "OD450").all()
    assert warned(plate, "the signal is OD450 (the first read: the export holds no reduced data)")


@pytest.mark.parametrize(
    ("asked", "kind", "a1"),
    [
        ("450-650", "OD450-650", 1.15),
        ("650", "OD650", 0.05),
        ("OD650", "OD650", 0.05),
        ("Read 2", "OD650", 0.05),
        ("reduced", "OD reduced (450, 650)", 0.5),
    ],
)
def test_wells_read_picks_another_read(tmp_path: Path, asked: str, kind: str, a1: float) -> None:
    reduced = reduced_of(np.full((3, 4), 0.5))
    text = export([header(), *grid([RAW_450, RAW_650]), "", *grid([reduced], None)])
    wells = by_well(read_text(tmp_path, text, read=asked)[0].wells)
    assert (wells["signal_kind"] == kind).all()
    assert wells.loc["A1", "signal"] == pytest.approx(a1)


def test_a_difference_keeps_both_texts(tmp_path: Path) -> None:
    wells = by_well(
        read_text(tmp_path, export([header(), *grid([RAW_450, RAW_650])]), "450-650")[0].wells
    )
    assert wells.loc["A1", "raw_text"] == "1.2000|0.0500"


def test_a_read_the_plate_does_not_hold_is_a_warning(tmp_path: Path) -> None:
    plate = read_text(tmp_path, export([header(), *grid([RAW_450, RAW_650])]), read="405")[0]
    assert (plate.wells["signal_kind"] == "OD450").all()
    assert warned(plate, "the read '405' asked for (wells.read) is not one of plate Plate1's")


# --- fluorescence and luminescence ---------------------------------------------------


def test_fluorescence_reads_are_named_by_excitation_and_emission(tmp_path: Path) -> None:
    first = plate_of({"A1": "12345"}, "100")
    second = plate_of({"A1": "678"}, "50")
    line = header(mode="Fluorescence", wavelengths="538 590", excitations="485 544")
    plates = read_text(tmp_path, export([line, *grid([first, second])]))
    wells = by_well(plates[0].wells)
    assert (wells["signal_kind"] == "RFU 485/538").all()
    assert wells.loc["A1", "signal"] == 12345.0
    wells = by_well(read_text(tmp_path, export([line, *grid([first, second])]), "544/590")[0].wells)
    assert (wells["signal_kind"].iloc[0], wells.loc["A1", "signal"]) == ("RFU 544/590", 678.0)


def test_luminescence_without_a_filter_is_rlu(tmp_path: Path) -> None:
    counts = plate_of({"C4": "2087772"}, "1000")
    line = header(mode="Luminescence", wavelengths="0", layout="PlateFormat")
    plate = read_text(tmp_path, export([line, *grid([counts])]), read="Lum")[0]
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "RLU").all() and wells.loc["C4", "signal"] == 2087772.0
    assert plate.warnings[0].startswith("the export names no well roles")


# --- partial plates ------------------------------------------------------------------


def test_a_partial_plate_format_read_places_values_in_their_wells(tmp_path: Path) -> None:
    # Rows B-C, columns 2-3 of the plate: the grid is the whole plate, blank outside.
    blank = [["", "", "", ""], ["", "0.31", "0.32", ""], ["", "0.41", "0.42", ""]]
    line = header(wavelengths="450", area=(2, 2, 2, 2))
    plate = read_text(tmp_path, export([line, *grid([blank])]))[0]
    wells = by_well(plate.wells)
    assert sorted(wells.index) == ["B2", "B3", "C2", "C3"]
    assert (wells.loc["B2", "signal"], wells.loc["C3", "signal"]) == (0.31, 0.42)


def test_a_partial_time_format_read_places_values_in_their_wells(tmp_path: Path) -> None:
    names = [f"{r}{c}" for r in ROWS for c in range(1, 5)]
    values = {"B2": "0.31", "B3": "0.32", "C2": "0.41", "C3": "0.42"}
    lines = [
        header(layout="TimeFormat", wavelengths="450", area=(2, 2, 2, 2)),
        "\tTemperature(°C)\t" + "\t".join(names),
        "\t22.0\t" + "\t".join(values.get(name, "") for name in names),
    ]
    wells = by_well(read_text(tmp_path, export(lines))[0].wells)
    assert wells["signal"].to_dict() == {"B2": 0.31, "B3": 0.32, "C2": 0.41, "C3": 0.42}


def test_time_format_data_naming_part_of_its_read_area_reads_that_part(tmp_path: Path) -> None:
    # The header reads all 12 wells; the data's columns name row A only. Each value is
    # in the column of its well, so the wells the file leaves out move no other.
    names = ["A1", "A2", "A3", "A4"]
    lines = [
        header(layout="TimeFormat", wavelengths="450 650"),
        "\tTemperature(°C)\t" + "\t".join(names),
        "\t22.0\t1.2\t0.8\t0.4\t0.2",
        "\t22.0\t0.05\t0.04\t0.05\t0.05",
        "\t\t" + "\t".join(names),
        "\t\t1.15\t0.76\t0.35",  # the reduced data misses A4: the raw reads are used
    ]
    plate = read_text(tmp_path, export(lines))[0]
    wells = by_well(plate.wells)
    assert wells["signal"].to_dict() == {"A1": 1.2, "A2": 0.8, "A3": 0.4, "A4": 0.2}
    assert warned(
        plate,
        "line 2: plate Plate1's header describes a read of rows A-C and columns 1-4 (12 "
        "wells), but its data holds values for 4 of them (A1, A2, A3, A4); the other 8 are "
        "not in the file (a partial export, or the file was cut or edited) and are left out",
    )
    assert warned(plate, "plate Plate1's reduced data misses wells of its read area")


def test_time_format_data_naming_no_well_of_its_read_area_is_refused(tmp_path: Path) -> None:
    lines = [
        header(layout="TimeFormat", wavelengths="450", area=(1, 2, 1, 1)),
        "\tTemperature(°C)\tC3\tC4",
        "\t22.0\t1.2\t0.8",
    ]
    with pytest.raises(InputError, match="plate Plate1's data holds no value cell for some"):
        read_text(tmp_path, export(lines))


# --- kinetic, spectrum, well scan ----------------------------------------------------


def test_a_kinetic_read_is_read_through_its_reduced_value(tmp_path: Path) -> None:
    line = header(read_type="Kinetic", mode="Fluorescence", wavelengths="525", excitations="485")
    points = [*grid([plate_of({}, "10")]), "", "00:01:30\t35\t" + "\t".join(["20"] * 4)]
    reduced = grid([plate_of({"A1": "0.3426"}, "0.2")], None)
    wells = by_well(read_text(tmp_path, export([line, *points, "", *reduced]))[0].wells)
    assert (wells["signal_kind"] == "RFU kinetic reduced (485/525)").all()
    assert wells.loc["A1", "signal"] == 0.3426


def test_a_kinetic_read_with_no_reduced_value_is_refused(tmp_path: Path) -> None:
    line = header(read_type="Kinetic", wavelengths="405", points=3)
    with pytest.raises(InputError, match="is a kinetic read with no endpoint value: the export"):
        read_text(tmp_path, export([line, *grid([plate_of({}, "0.1")])]))


# --- several plates, blocks --------------------------------------------------------


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
    assert warned(plates[0], "76 wells have a reading but no role")
    assert plates[0].meta["kit_lot"] == "NFL-2291"
    assert plates[0].meta["format"] == "softmax" and plates[0].meta["software"] == "SoftMax Pro"
    for plate in plates:
        tables.WELLS.validate(plate.wells)
        tables.VENDOR_RESULTS.validate(plate.vendor)


def test_two_plates_with_one_name_are_both_read(tmp_path: Path) -> None:
    text = export(
        [header(name="P1", wavelengths="450"), *grid([RAW_450])],
        [header(name="P1", wavelengths="650"), *grid([RAW_650])],
    )
    plates = read_text(tmp_path, text)
    assert [plate.meta["plate_name"] for plate in plates] == ["P1", "P1 (2)"]
    assert [plate.meta["plate_id"] for plate in plates] == ["softmax_P1", "softmax_P1_2"]
    assert [plate.wells["signal_kind"].iloc[0] for plate in plates] == ["OD450", "OD650"]
    assert warned(plates[0], "two Plate blocks are both named 'P1'", "read as plate 'P1 (2)'")


def test_a_group_without_wellplatename_belongs_to_the_plate_it_follows(tmp_path: Path) -> None:
    group = ["Group: Unknowns", "Sample\tWells\tValues", "X1\tA1\t1.200", "", "Group Summaries"]
    text = export(
        [header(name="P1", wavelengths="450"), *grid([RAW_450])],
        [header(name="P2", wavelengths="450"), *grid([RAW_450])],
        group,
    )
    first, second = read_text(tmp_path, text)
    assert by_well(first.wells).loc["A1", "role"] == "unassigned"
    assert by_well(second.wells).loc["A1", "sample_id"] == "X1"


def test_odd_blocks_and_groups_are_warnings(tmp_path: Path) -> None:
    groups = [
        ["Group: Controls", "Sample\tWells\tValues", "", "Group Summaries"],
        ["Group: Unknowns", "Sample\tWells\tValues\tWellPlateName", "X1\tA1\t1.2\tPlate9"],
        ["Layout: x"],
    ]
    text = export([header(wavelengths="450"), *grid([RAW_450])], *groups, announced=6)
    plate = read_text(tmp_path, text)[0]
    assert warned(plate, "announces 6 blocks (`##BLOCKS= 6`) but holds 4")
    assert warned(plate, "group Controls names no wells; it is left out")
    assert warned(plate, "group Unknowns places 1 well (A1) on plate 'Plate9', which the export")
    assert warned(plate, "unknown block 'Layout'")


def test_fewer_blocks_than_announced_in_a_finished_file_is_a_warning(tmp_path: Path) -> None:
    # The Unknowns group is missing but SoftMax's closing line is there.
    text = TWO_PLATES.read_text(encoding="utf-8")
    start, end = text.index("Group: Unknowns"), text.index("Original Filename")
    plates = read_exports(write(tmp_path, text[:start] + text[end:]))
    assert warned(plates[0], "announces 5 blocks (`##BLOCKS= 5`) but holds 4")
    assert len(placed(plates[0].wells)) == 16


def test_a_file_cut_short_is_refused(tmp_path: Path) -> None:
    text = TWO_PLATES.read_text(encoding="utf-8")
    for cut in (text.index("Group: Unknowns"), text.index("\t\t0.710\t0.720")):
        with pytest.raises(InputError, match=r"announces 5 blocks but only [0-9] end with `~End`"):
            read_exports(write(tmp_path, text[:cut]))


def test_a_missing_end_starts_the_next_block_all_the_same(tmp_path: Path) -> None:
    text = export(["Note:", "Kit Lot #\tK-1", header(wavelengths="450"), *grid([RAW_450])])
    plate = read_text(tmp_path, text, read="")[0]
    assert by_well(plate.wells).loc["A1", "signal"] == 1.2 and plate.meta["kit_lot"] == "K-1"
    assert warned(plate, "line 4: a Plate block starts here before the Note block of line 2")


def test_a_block_starting_on_the_line_of_an_end(tmp_path: Path) -> None:
    text = export(["Note:", "x"], [header(wavelengths="450"), *grid([RAW_450])])
    plate = read_text(tmp_path, text.replace("~End\r\nPlate:", "~EndPlate:", 1))[0]
    assert by_well(plate.wells).loc["A1", "signal"] == 1.2
    assert warned(plate, "line 4: a block starts on the line of the previous block's `~End`")


def test_plate_data_without_its_plate_line_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="line 2: this block holds plate data but no `Plate:`"):
        read_text(tmp_path, export(grid([RAW_450])))


def test_values_outside_the_read_area_are_read_with_a_warning(tmp_path: Path) -> None:
    # The header reads columns 1-2, the grid gives values in all four.
    plate = read_text(
        tmp_path, export([header(wavelengths="450", area=(1, 2, 1, 3)), *grid([RAW_450])])
    )[0]
    assert len(plate.wells) == 12
    assert warned(plate, "but the data gives values for 6 wells outside it (A3, A4, B3, B4, ...)")


def test_a_plate_with_no_plate_data_is_refused(tmp_path: Path) -> None:
    nan = plate_of({}, '"NaN"')
    with pytest.raises(InputError, match="the export holds no plate data: every well of plate"):
        read_text(tmp_path, export([header(wavelengths="450"), *grid([nan])]))
    with pytest.raises(InputError, match="the export has no Plate block, so no plate data"):
        read_text(tmp_path, export(["Note:", "nothing"]))


def test_a_grid_row_too_few_without_reduced_data_is_refused(tmp_path: Path) -> None:
    lines = TWO_PLATES.read_bytes().decode("utf-8").split("\r\n")
    start = lines.index(next(line for line in lines if line.startswith("Plate:\tPlate2")))
    del lines[start + 5]
    with pytest.raises(InputError, match="plate Plate2's data holds no value cell for some wells"):
        read_exports(write(tmp_path, "\r\n".join(lines)))


def test_a_grid_row_too_few_with_reduced_data_reads_the_reduced(tmp_path: Path) -> None:
    lines = grid([RAW_450])
    del lines[-1]
    reduced = grid([RAW_450], None)
    plate = read_text(tmp_path, export([header(wavelengths="450"), *lines, "", *reduced]))[0]
    assert len(plate.wells) == 12 and by_well(plate.wells).loc["C4", "signal"] == 0.2
    assert warned(plate, "the raw data grid of plate Plate1 has 2 rows, expected 3")


# --- groups: roles, levels, units, vendor results ------------------------------------


def test_groups_give_roles_levels_concentrations_and_units() -> None:
    wells = by_well(read_export(FORMULAS).wells)
    assert wells["role"].to_dict() == {
        **dict.fromkeys(["A1", "A2", "B1", "B2", "C1", "C2"], "standard"),
        **dict.fromkeys(["A3", "A4", "B3", "B4"], "sample"),
        **dict.fromkeys(["C3", "C4"], "control"),
    }
    # Read by eye from the file: Standard Value ng/mL 100, 25, 0; Pos Ctrl 50.
    standards = wells[wells["role"] == "standard"]
    assert standards["level"].tolist() == [1, 1, 2, 2, 3, 3]
    assert standards["expected_conc"].tolist() == [100, 100, 25, 25, 0, 0]
    assert (wells.loc["C3", "expected_conc"], wells.loc["C4", "level"]) == (50.0, 1)
    assert (wells.loc["A4", "sample_id"], wells.loc["A4", "dilution"]) == ("S01", 10.0)
    assert wells.loc["B4", "dilution"] == 100.0
    assert (wells["unit"] == "ng/mL").all()


@pytest.mark.parametrize(
    ("group", "role"),
    [
        ("Positive control 1", "control"),
        ("PositiveControl", "control"),
        ("Pos Ctrl", "control"),
        ("Neg control", "control"),
        ("QC", "control"),
        ("Controls", "control"),
        ("Standards 1", "standard"),
        ("Std", "standard"),
        ("Calibrators", "standard"),
        ("Blanks", "blank"),
        ("Unknowns", "sample"),
        ("Matrix_Spike_1", "sample"),
    ],
)
def test_roles_from_group_names(tmp_path: Path, group: str, role: str) -> None:
    table = [f"Group: {group}", "Sample\tWells\tValues", "X1\tA1\t1.200", " \tA2\t0.800"]
    wells = by_well(read_text(tmp_path, export([header(), *grid([RAW_450])], table))[0].wells)
    assert wells.loc["A1", "role"] == wells.loc["A2", "role"] == role


def test_a_group_whose_first_row_names_no_sample_keeps_its_role(tmp_path: Path) -> None:
    # The wells are the group's all the same: named after it, with the role it gives.
    table = ["Group: NegativeControl", "Sample\tWells\tValues", " \tA1\t1.200", " \tA2\t0.800"]
    plate = read_text(tmp_path, export([header(), *grid([RAW_450])], table))[0]
    wells = by_well(plate.wells)
    assert wells.loc[["A1", "A2"], "role"].tolist() == ["control", "control"]
    assert wells.loc[["A1", "A2"], "sample_id"].tolist() == ["NegativeControl"] * 2
    assert warned(
        plate,
        "line 10: the first row of group NegativeControl names no sample; its wells are "
        "named after the group ('NegativeControl')",
    )


def test_a_neutral_group_takes_roles_from_the_sample_names(tmp_path: Path) -> None:
    table = ["Group: group_1", "Sample\tWells\tValues", "Blank\tA1\t1.2", "Std3\tA2\t0.8"]
    wells = by_well(read_text(tmp_path, export([header(), *grid([RAW_450])], table))[0].wells)
    assert (wells.loc["A1", "role"], wells.loc["A2", "role"], wells.loc["A2", "level"]) == (
        "blank",
        "standard",
        3,
    )


def test_the_standards_unit_from_their_groups_text(tmp_path: Path) -> None:
    # As in a real export: `Conc` has no unit, the group's summary says `5 to 320 ng/mL`.
    table = [
        "Group: Std",
        "Sample\tConc\tWells\tOD",
        "St1\t320.000\tA1\t1.200",
        "St2\t160.000\tA2\t0.800",
        "",
        "Group Summaries",
        'Range\t\t5 to 320 ng/mL\tText(MinConc)+" to "+Text(MaxConc)+" ng/mL"',
    ]
    plate = read_text(tmp_path, export([header(), *grid([RAW_450])], table))[0]
    assert plate.meta["unit"] == "ng/mL"
    assert (plate.wells["unit"] == "ng/mL").all()


def test_masked_wells_are_flagged_and_keep_their_reading() -> None:
    wells = by_well(read_export(FORMULAS).wells)
    # `Masked` in the groups; the plate grid still holds the readings.
    assert wells.loc[wells["flags"] == "vendor_masked"].index.tolist() == ["B4", "C2"]
    assert (wells.loc["B4", "raw_text"], wells.loc["B4", "signal"]) == ("0.2400", 0.24)
    assert (wells.loc["C2", "raw_text"], wells.loc["C2", "token"]) == ("0.1400", "numeric")
    # Whichever read is used.
    other = by_well(read_exports(FORMULAS, read="650")[0].wells)
    assert other.loc[other["flags"] == "vendor_masked"].index.tolist() == ["B4", "C2"]
    assert other.loc["B4", "raw_text"] == "0.0430"


def test_softmax_tokens_and_masking() -> None:
    first = by_well(read_exports(TWO_PLATES, read="450-570")[0].wells)
    expected = {
        "A3": ("Masked|0.043", "masked"),
        "B3": ("Range?|0.043", "error"),
        "C4": ("Inf|0.044", "error"),
        "D4": ("Error|0.044", "error"),
    }
    for well, (text, token) in expected.items():
        assert (first.loc[well, "raw_text"], first.loc[well, "token"]) == (text, token), well
        assert math.isnan(first.loc[well, "signal"])
    assert first.loc["A3", "flags"] == "vendor_masked"  # `Masked` in the plate data
    # `Masked` in a group table masks a well whose reading is still in the plate grid.
    second = by_well(read_exports(TWO_PLATES)[1].wells)
    assert (second.loc["B3", "flags"], second.loc["B3", "signal"]) == (
        "vendor_masked",
        pytest.approx(0.430 - 0.043),
    )


def test_the_groups_values_pick_the_difference_in_the_two_plate_fixture() -> None:
    first = by_well(read_exports(TWO_PLATES)[0].wells)
    assert (first["signal_kind"] == "OD450-570").all()
    assert first.loc["A1", "raw_text"] == "0.210|0.041"
    assert first.loc["H2", "signal"] == pytest.approx(0.920 - 0.042)


def test_computed_concentrations_go_to_the_vendor_table_with_unit_and_basis() -> None:
    vendor = read_export(FORMULAS).vendor
    # InterpX(...) per well: in the well; AvgConc*!Factor: the sample's.
    assert vendor_value(vendor, "A1", "concentration")[["value", "basis"]].tolist() == [
        101.5,
        "in_well",
    ]
    conc = vendor_value(vendor, "A4", "concentration")
    assert (conc["value"], conc["unit"], conc["basis"]) == (11.7, "ng/mL", "in_well")
    assert vendor_value(vendor, "A4", "mean_concentration", "in_well")["value"] == 11.9
    assert vendor_value(vendor, "A4", "mean_concentration", "sample")["value"] == 119.0
    assert vendor_value(vendor, "C4", "mean_concentration")["value"] == 48.5
    range_cell = vendor_value(vendor, "C1", "concentration")
    assert (range_cell["raw_text"], range_cell["token"]) == ("Range?", "error")
    assert vendor_value(vendor, "C2", "concentration")["token"] == "masked"
    assert set(vendor["unit"]) == {"ng/mL"} and set(vendor["analyte"]) == {"OD"}


def test_conc_columns_without_formulas_by_name(tmp_path: Path) -> None:
    table = [
        "Group: Samples",
        "Sample\tWells\tValues\tConc\tMean Conc\tDilution\tAdj. Result",
        "X1\tA1\t1.2\t12.5\t13.0\t2\t26.0",
        " \tA2\t0.8\t13.5\t \t \t ",
    ]
    plate = read_text(tmp_path, export([header(), *grid([RAW_450])], table))[0]
    vendor = plate.vendor
    assert vendor_value(vendor, "A2", "concentration")[["value", "basis"]].tolist() == [
        13.5,
        "in_well",
    ]
    assert vendor_value(vendor, "A2", "mean_concentration", "in_well")["value"] == 13.0
    assert vendor_value(vendor, "A2", "mean_concentration", "sample")["value"] == 26.0
    assert by_well(plate.wells).loc["A2", "dilution"] == 2.0


def test_a_groups_own_unit_for_its_concentrations(tmp_path: Path) -> None:
    table = [
        "Group: Samples",
        "Sample\tWells\tValues\tResult",
        "X1\tA1\t1.2\t12.5",
        "",
        "Group Summaries",
        "Note\tResults are in pg/mL",
    ]
    vendor = read_text(tmp_path, export([header(), *grid([RAW_450])], table))[0].vendor
    assert vendor_value(vendor, "A1", "concentration")["unit"] == "pg/mL"


def test_back_calculated_concentrations_of_the_two_plate_fixture() -> None:
    vendor = read_exports(TWO_PLATES)[0].vendor
    assert vendor_value(vendor, "A3", "concentration")["value"] == 12.5
    assert vendor_value(vendor, "B3", "concentration")["value"] == 13.7
    assert vendor_value(vendor, "B3", "mean_concentration")["value"] == 13.1
    assert vendor_value(vendor, "C2", "mean_concentration")["value"] == 126.25
    assert set(vendor["analyte"]) == {"OD"} and set(vendor["basis"]) == {"in_well"}


def test_groups_dilutions_follow_each_softmax_sample(tmp_path: Path) -> None:
    # As SoftMax exports a sample at several dilutions: `Sample` names the sample and
    # the first row of each dilution (`!SampleNames`) carries its dilution.
    table = [
        "Group: Unknowns",
        "Dilution Name\tSample\tWell\tDilution\tValues\tResult\tResult*Dilution\tMeanResult",
        "S1 10x\tS1\tA1\t10.000\t1.200\t4.2\t42.0\t41.0",
        " \t \tA2\t \t0.800\t4.0\t40.0\t ",
        "S1 100x\tS1\tB1\t100.000\t0.400\t0.5\t50.0\t50.0",
        " \t \tB2\t \t0.200\t Range?\tRange?\t ",
        "",
        "Group Column\tFormula Name\tFormula\tPrecision\tNotation",
        "1\tDilution Name\t!SampleNames\t3 decimal places\tNumeric",
        '2\tSample\tItem(TextToArray(!SampleNames," "),1)\t3 decimal places\tNumeric',
        "3\tWell\t!WellIDs\t3 decimal places\tNumeric",
        "4\tDilution\t!SampleDescriptor2\t3 decimal places\tNumeric",
        "5\tValues\t!WellValues\t3 decimal places\tNumeric",
        "6\tResult\tInterpX('Std@StandardCurve 1',Values)\t3 decimal places\tNumeric",
        "7\tResult*Dilution\tResult*Dilution\t3 decimal places\tNumeric",
        "8\tMeanResult\tAverage(Result*Dilution)\t3 decimal places\tNumeric",
    ]
    plate = read_text(tmp_path, export([header(), *grid([RAW_450])], table))[0]
    wells = by_well(placed(plate.wells))
    assert wells["sample_id"].tolist() == ["S1"] * 4
    assert wells["dilution"].to_dict() == {"A1": 10.0, "A2": 10.0, "B1": 100.0, "B2": 100.0}
    vendor = plate.vendor
    assert vendor_value(vendor, "A2", "concentration", "in_well")["value"] == 4.0
    assert vendor_value(vendor, "A2", "concentration", "sample")["value"] == 40.0
    assert vendor_value(vendor, "A2", "mean_concentration", "sample")["value"] == 41.0
    assert vendor_value(vendor, "B2", "mean_concentration", "sample")["value"] == 50.0


def test_a_well_in_two_groups_keeps_the_first(tmp_path: Path) -> None:
    text = TWO_PLATES.read_text(encoding="utf-8").replace("P01\tA3\t", "P01\tA1\t", 1)
    plate = read_exports(write(tmp_path, text))[0]
    assert by_well(plate.wells).loc["A1", "role"] == "standard"
    assert warned(plate, "well A1 is in group Standards", "again in group Unknowns")


def test_a_group_row_naming_no_well_is_left_out(tmp_path: Path) -> None:
    text = TWO_PLATES.read_bytes().decode("utf-8").replace("P01\tA3\t", "P01\tZ3\t", 1)
    plate = read_exports(write(tmp_path, text))[0]
    assert warned(plate, "group Unknowns names well 'Z3', which is not a plate well")


# --- reading, encodings, plate maps --------------------------------------------------


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


# --- real exports (values read by eye from the files) --------------------------------


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
    assert (wells.loc["A1", "signal"], wells.loc["A1", "sample_name"]) == (1.785, "St1")
    assert (wells.loc["A1", "level"], wells.loc["A1", "expected_conc"]) == (1, 320.0)
    assert (wells.loc["H2", "level"], wells.loc["H2", "expected_conc"]) == (8, 0.0)
    # A2 is `Masked` in the Std group; the plate grid still reads 1.672.
    assert (wells.loc["A2", "raw_text"], wells.loc["A2", "flags"]) == ("1.672", "vendor_masked")
    assert (wells["flags"] != "").sum() == 1
    assert (wells.loc["B3", "role"], wells.loc["B3", "sample_id"]) == ("control", "Co1")
    assert (wells.loc["A4", "sample_id"], wells.loc["A4", "signal"]) == ("62195", 0.38)
    assert (wells.loc["A12", "raw_text"], wells.loc["A12", "signal"]) == ("-0.06", -0.06)
    # The kit's unit is only in the Std group's summary: `Range  5 to 320 ng/mL`.
    assert plate.meta["unit"] == "ng/mL" and (wells["unit"] == "ng/mL").all()
    vendor = plate.vendor
    assert vendor_value(vendor, "A3", "concentration")["value"] == 206.186
    range_cell = vendor_value(vendor, "D7", "concentration")
    assert (range_cell["raw_text"], range_cell["token"]) == ("Range?", "error")
    assert set(vendor["basis"]) == {"in_well"} and set(vendor["unit"]) == {"ng/mL"}
    assert plate.meta["batch"] == "Plate1" and plate.meta["format"] == "softmax"


@pytest.mark.realdata
def test_softmax_back_calculated_standards_are_as_exported(realdata: Path) -> None:
    # SoftMax's BackCalcConc (InterpX of each standard's mean OD) for the standards it
    # kept, read by eye from the Std group; St8 (0 ng/mL) is out of the curve's range.
    plate = read_export(realdata / "softmax/softmax_elisa_std8_utf16.txt")
    wells = plate.wells.set_index("well")
    vendor = plate.vendor
    standards = vendor[vendor["well"].map(wells["role"]) == "standard"]
    unmasked = standards[standards["well"].map(wells["flags"]) == ""]
    by_level = unmasked.assign(level=unmasked["well"].map(wells["level"])).drop_duplicates("level")
    assert by_level.set_index("level")["raw_text"].to_dict() == {
        1: "319.992",
        2: "159.816",
        3: "80.810",
        4: "38.895",
        5: "19.778",
        6: "10.820",
        7: "5.703",
        8: "Range?",
    }
    assert set(unmasked["quantity"]) == {"mean_concentration"}
    assert set(unmasked["basis"]) == {"in_well"} and set(unmasked["unit"]) == {"ng/mL"}


@pytest.mark.realdata
def test_softmax_reduced_time_format(realdata: Path) -> None:
    plate = read_export(realdata / "softmax/softmax_elisa_reduced_ascii.txt")
    wells = by_well(placed(plate.wells))
    assert len(wells) == 78 and len(plate.wells) == 96
    assert set(plate.wells.loc[plate.wells["role"] == "unassigned", "well"]) == {"H9", "H10"} | {
        f"{r}{c}" for r in "ABCDEFGH" for c in (11, 12)
    }
    # Only reduced data: which reduction of 450 and 650 nm the export does not say.
    assert (wells["signal_kind"] == "OD reduced (450, 650)").all()
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
    assert (wells["unit"] == "ng/mL").all()  # `Concentration ng/mL`


@pytest.mark.realdata
def test_softmax_450_alone_is_not_read_as_450_minus_650(realdata: Path) -> None:
    # Raw 450 and 650 nm, no reduced data; the groups' OD (0.401 for A1) is 450 alone.
    path = realdata / SOFTMAX / "softmaxpro_example_group_with_missing_calc_column.txt"
    plate = read_export(path)
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "OD450").all()
    assert (wells.loc["A1", "signal"], wells.loc["H12", "signal"]) == (0.4011, 0.1104)
    assert [wells.loc[f"{r}1", "expected_conc"] for r in "ABCDEF"] == [100, 50, 25, 10, 5, 0]
    assert (wells.loc["G2", "role"], wells.loc["G2", "dilution"]) == ("control", 150.0)
    assert (wells.loc["A4", "sample_id"], wells.loc["A4", "dilution"]) == ("Samples/01", 100.0)
    vendor = plate.vendor
    # BackCalcConc per standard well, as exported.
    assert vendor_value(vendor, "A2", "concentration")["value"] == 97.627
    assert vendor_value(vendor, "F1", "concentration")["value"] == 0.093
    assert vendor_value(vendor, "A4", "concentration")["value"] == 213.326
    assert vendor_value(vendor, "A4", "mean_concentration", "in_well")["value"] == 209.790
    assert vendor_value(vendor, "A4", "mean_concentration", "sample")["value"] == 20979.025
    assert vendor_value(vendor, "E4", "concentration")["raw_text"] == "Range?"
    assert set(vendor["unit"]) == {"ng/mL"}


@pytest.mark.realdata
def test_softmax_reduction_and_dilutions_of_a_real_hcp_elisa(realdata: Path) -> None:
    plate = read_export(realdata / SOFTMAX / "group_with_partial_rows.txt")
    wells = by_well(plate.wells)
    # Reduced data equal to 450 - 650: A1 0.1003 - 0.0338.
    assert (wells["signal_kind"] == "OD450-650").all()
    assert wells.loc["A1", "signal"] == pytest.approx(0.0665)
    # `Positive control 1`, `Concentration ng/mL` 40.
    assert wells.loc["G2", ["role", "expected_conc", "unit"]].tolist() == ["control", 40.0, "ng/mL"]
    assert [wells.loc[w, "dilution"] for w in ("A3", "A4", "B3", "B4", "C3", "C4")] == [
        25.0,
        25.0,
        100.0,
        100.0,
        250.0,
        250.0,
    ]
    assert wells.loc[["A3", "B4", "C3"], "sample_id"].tolist() == ["Sample 1"] * 3
    vendor = plate.vendor
    assert vendor_value(vendor, "B4", "concentration", "in_well")["value"] == 40.230
    assert vendor_value(vendor, "B4", "concentration", "sample")["value"] == 4023.048
    assert vendor_value(vendor, "B4", "mean_concentration", "sample")["value"] == 4150.690
    assert vendor_value(vendor, "B2", "mean_concentration", "in_well")["value"] == 2.338


@pytest.mark.realdata
def test_softmax_partial_fluorescence_plate(realdata: Path) -> None:
    plate = read_export(
        realdata / SOFTMAX / "MD_SMP_fluorescence_endpoint_partial_plate_example02.txt"
    )
    wells = by_well(plate.wells)
    # Rows C-F, columns 3-10 of a 96-well plate.
    assert len(wells) == 32 and set(wells.index) == {
        f"{r}{c}" for r in "CDEF" for c in range(3, 11)
    }
    assert (wells["signal_kind"] == "RFU reduced (485/535, 550/610, 650/720)").all()
    assert wells.loc["C3", "signal"] == pytest.approx(-0.88482287052166608)
    assert wells.loc["F10", "signal"] == pytest.approx(2.1852130545735604)
    raw = by_well(read_exports(plate.meta["source_file"], read="485/535")[0].wells)
    assert (raw.loc["C3", "signal"], raw.loc["F10", "signal"]) == (1057803.0, 1496692.0)
    assert warned(plate, "holds the reads RFU 485/535, RFU 550/610, RFU 650/720 and reduced")


@pytest.mark.realdata
def test_softmax_luminescence_partial_rows(realdata: Path) -> None:
    plates = read_exports(realdata / SOFTMAX / "MD_SMP_luminescence_endpoint_example03.txt")
    first = by_well(plates[0].wells)
    assert [plate.meta["plate_name"] for plate in plates] == ["c12345_2", "c123455_3"]
    assert len(first) == 48 and set(first.index) == {
        f"{r}{c}" for r in "ABCD" for c in range(1, 13)
    }
    assert (first["signal_kind"] == "RLU").all()
    assert (first.loc["A1", "signal"], first.loc["A12", "signal"]) == (1011329.0, 1580774.0)


@pytest.mark.realdata
def test_softmax_plates_sharing_a_name(realdata: Path) -> None:
    path = realdata / SOFTMAX / "errors/multi-plate-block_non-unique_plate_ID.txt"
    plates = read_exports(path)
    assert [plate.meta["plate_name"] for plate in plates] == ["Plate01", "Plate01 (2)"]
    assert [plate.wells["signal_kind"].iloc[0] for plate in plates] == ["OD200", "OD300"]
    assert by_well(plates[0].wells).loc["A1", "signal"] == 0.4067
    assert warned(plates[1], "two Plate blocks are both named 'Plate01'")


@pytest.mark.realdata
def test_softmax_kinetic_with_reduced_values(realdata: Path) -> None:
    plate = read_export(realdata / SOFTMAX / "fl_kinetic_plates.txt")
    wells = by_well(plate.wells)
    assert len(wells) == 6 and (wells["signal_kind"] == "RFU kinetic reduced (485/525)").all()
    assert wells.loc["A1", "signal"] == pytest.approx(0.34262625396825386)
    assert wells.loc["B3", "signal"] == pytest.approx(0.11264294841269841)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("spectramax340_kinetic_partial_plate.txt", "is a kinetic read with no endpoint value"),
        ("no_measurements.txt", "the export holds no plate data: every well of plate PLate1"),
        ("errors/header_size_mismatch.txt", "announces 12 blocks but only 1 end with `~End`"),
    ],
)
def test_softmax_refusals_say_what_is_true(realdata: Path, name: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        read_exports(realdata / SOFTMAX / name)


def test_a_header_number_of_thousands_of_digits_is_refused_or_ignored(tmp_path: Path) -> None:
    # Python's int refuses a text of more than 4,300 digits; it stopped the chunk.
    text = TWO_PLATES.read_bytes().decode("utf-8")
    rows = write(tmp_path, text.replace("\t1\t12\t96\t1\t8", f"\t1\t12\t96\t1\t{'9' * 5000}", 1))
    with pytest.raises(InputError) as raised:
        read_exports(rows)
    assert str(raised.value) == (
        f"{rows}: line 6: plate Plate1's header line should give the number of rows in field "
        f"21, found '{'9' * 56}..."
    )
    # The number of kinetic points is read as 1 when it is no count, as before.
    points = write(tmp_path, text.replace("\tFALSE\t1\t", f"\tFALSE\t{'9' * 5000}\t", 1), "p.txt")
    assert [len(plate.wells) for plate in read_exports(points)] == [
        len(plate.wells) for plate in read_exports(TWO_PLATES)
    ]


def test_a_block_count_of_thousands_of_digits(tmp_path: Path) -> None:
    # `##BLOCKS=` with thousands of digits raised ValueError from int and stopped the chunk.
    text = TWO_PLATES.read_bytes().decode("utf-8")
    zeros = write(tmp_path, text.replace("##BLOCKS= 5", f"##BLOCKS= {'0' * 5000}5", 1))
    assert [len(p.wells) for p in read_exports(zeros)] == [
        len(p.wells) for p in read_exports(TWO_PLATES)
    ]
    nines = write(tmp_path, text.replace("##BLOCKS= 5", f"##BLOCKS= {'9' * 5000}", 1), "n.txt")
    plates = read_exports(nines)
    assert len(plates) == 2
    assert (
        f"the export announces '{'9' * 56}... blocks, not a count; the blocks present are read"
        in plates[0].warnings
    )
