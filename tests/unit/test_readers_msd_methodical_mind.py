"""MSD plate-reader text exports (assaypipe.readers.msd_methodical_mind)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assaypipe.errors import InputError
from assaypipe.kits import read_kits
from assaypipe.readers import read_export, read_exports
from assaypipe.readers.kit_standards import KitStandards
from assaypipe.readers.msd_methodical_mind import iso_time
from assaypipe.sheets import read_aliases
from tests.conftest import REPO, placed

pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = REPO / "tests" / "data" / "exports"
FOUR_SPOT = EXPORTS / "msd_methodical_mind" / "methodical_mind_3plex_4spot.txt"
FOUR_SPOT_MAP = EXPORTS / "plate_maps" / "methodical_mind_3plex_4spot_map.csv"
ALIASES = read_aliases(REPO / "config" / "analytes.tsv")
MM = "allotropy/methodical_mind"


def signals(wells: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {
        (str(w), str(a)): float(s)
        for w, a, s in zip(wells["well"], wells["analyte"], wells["signal"], strict=True)
    }


def test_a_multi_spot_well_is_one_row_per_spot_and_unplaced_without_a_plate_map() -> None:
    plate = read_export(FOUR_SPOT)
    wells = plate.wells
    # 96 wells x 3 spots: the fixture's fourth spot is empty in every well.
    assert len(wells) == 288 and wells["well"].nunique() == 96
    assert sorted(wells["analyte"].unique()) == ["spot 1", "spot 2", "spot 3"]
    assert (wells["role"] == "unassigned").all()
    assert (wells["signal_kind"] == "ECL").all() and wells["bead_count"].isna().all()
    # Read by eye from the fixture: well A1's lines hold 865555, 555746, 268067.
    a1 = wells[wells["well"] == "A1"].set_index("analyte")["signal"]
    assert a1.to_dict() == {"spot 1": 865555.0, "spot 2": 555746.0, "spot 3": 268067.0}
    assert any("spot 4 holds no value in any well" in w for w in plate.warnings)
    assert plate.meta["format"] == "msd_methodical_mind"
    assert plate.meta["batch"] == "AB12CD34"
    assert plate.meta["instrument"] == "QuickPlex"
    assert plate.meta["software_version"] == "MMPR 1.0.38"
    assert plate.meta["serial_number"] == "1234500001"
    assert plate.meta["run_time"] == "2024-05-02T10:15:00+02:00"


def kit(tmp_path: Path, body: str) -> KitStandards:
    path = tmp_path / "msd_kit.yaml"
    path.write_text(
        f'kit: MSD 3-plex\nlot: "K001"\nunit: pg/mL\nplates: ["methodical_*"]\n{body}',
        encoding="utf-8",
    )
    standards = KitStandards.of(read_kits([path], ALIASES), ALIASES)
    assert standards is not None
    return standards


def test_a_kit_file_names_the_spots_and_gives_the_calibrators(tmp_path: Path) -> None:
    standards = kit(
        tmp_path,
        "spots: {1: IL-6, 2: TNF-alpha, 3: IL-10}\n"
        "standards:\n  IL-6: {top: 10000, dilution: 4}\n  TNF-alpha: {top: 10000, dilution: 4}\n"
        "  IL-10: {top: 10000, dilution: 4}\n",
    )
    plate = read_export(FOUR_SPOT, plate_map=FOUR_SPOT_MAP, kit_standards=standards)
    wells = plate.wells
    assert sorted(wells["analyte"].unique()) == ["IL-10", "IL-6", "TNF-alpha"]
    assert (wells["analyte_raw"] == wells["analyte"]).all()
    assert any("names the spots: 1 IL-6, 2 TNF-alpha, 3 IL-10" in w for w in plate.warnings)
    il6 = wells[(wells["analyte"] == "IL-6") & (wells["role"] == "standard")]
    by_level = il6.drop_duplicates("level").set_index("level")["expected_conc"]
    # The kit's series: 10000 / 4^(n-1), level 8 (the zero calibrator) without a value.
    assert by_level[1] == 10000 and by_level[3] == 625 and by_level[7] == pytest.approx(2.44140625)
    assert (il6["unit"] == "pg/mL").all()
    # The signals stay those of the spots: IL-6 is spot 1.
    assert signals(wells)[("A1", "IL-6")] == 865555.0
    samples = placed(wells)[wells["role"] == "sample"]
    assert (samples["dilution"] == 2).all() and samples["sample_id"].str.startswith("P").all()


def test_a_kit_naming_only_some_spots_leaves_the_others_numbered(tmp_path: Path) -> None:
    standards = kit(tmp_path, "spots: {2: TNF-alpha}\n")
    plate = read_export(FOUR_SPOT, plate_map=FOUR_SPOT_MAP, kit_standards=standards)
    assert sorted(plate.wells["analyte"].unique()) == ["TNF-alpha", "spot 1", "spot 3"]
    assert any("does not name spots 1, 3" in w for w in plate.warnings)


def test_a_plate_map_can_address_one_spot_by_its_number(tmp_path: Path) -> None:
    plate_map = tmp_path / "map.csv"
    plate_map.write_text(
        "well,role,sample_id,level,expected_conc,analyte\n"
        "A1,standard,,1,500,spot 2\n"
        "A1,sample,P01,,,spot 1\n",
        encoding="utf-8",
    )
    wells = read_export(FOUR_SPOT, plate_map=plate_map).wells
    a1 = wells[wells["well"] == "A1"].set_index("analyte")
    assert a1.loc["spot 2", "role"] == "standard" and a1.loc["spot 2", "expected_conc"] == 500
    assert a1.loc["spot 1", "role"] == "sample" and a1.loc["spot 1", "sample_id"] == "P01"
    assert a1.loc["spot 3", "role"] == "unassigned"


def test_the_assays_line_names_the_spots(tmp_path: Path) -> None:
    text = FOUR_SPOT.read_text(encoding="utf-8")
    path = tmp_path / "named.txt"
    path.write_text(
        text.replace("SpotID   :\tall", "Assays   :\tIL-6,,IL-10,\r\nSpotID   :\tall"),
        encoding="utf-8",
    )
    wells = read_export(path).wells
    assert sorted(wells["analyte"].unique()) == ["IL-10", "IL-6", "spot 2"]


@pytest.mark.parametrize("spot_id", ["9" * 200, "3?"])
def test_a_spot_id_that_is_no_spot_is_read_as_every_spot_with_a_warning(
    tmp_path: Path, spot_id: str
) -> None:
    # 200 nines stopped the read on OverflowError (numpy's integers).
    text = FOUR_SPOT.read_text(encoding="utf-8")
    path = tmp_path / "spot.txt"
    path.write_text(text.replace("SpotID   :\tall", f"SpotID   :\t{spot_id}"), encoding="utf-8")
    plate = read_export(path)
    assert len(plate.wells) == len(read_export(FOUR_SPOT).wells)
    assert any(
        "is neither a spot number nor `all`; its grid is read as a grid of every spot" in w
        for w in plate.warnings
    )


def test_a_header_line_of_a_million_spaces_is_read_past(tmp_path: Path) -> None:
    """The header key pattern backtracked over a run of spaces with no colon, quadratic
    in its length: 140,000 spaces took over 20 s, a million would take about 20
    minutes. The alarm (60 s, some ten thousand times what the read takes) only stops
    a read that would hang; the line is a line without a key, read past."""
    import signal

    def hung(*_: object) -> None:
        raise TimeoutError("the header line of spaces was not read past within 60 s")

    text = FOUR_SPOT.read_text(encoding="utf-8")
    path = tmp_path / "spaces.txt"
    path.write_text(text.replace("Stack ID", "X" + " " * 1_000_000 + "\nStack ID", 1))
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        plate = read_export(path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    own = ["plate_id", "source_file", "source_sha256"]
    assert plate.wells.drop(columns=own).equals(read_export(FOUR_SPOT).wells.drop(columns=own))


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("\nB \t", "\nX \t", "line 30: expected a plate row letter A to P"),
        ("\nB \t", "\nA \t", "line 30: plate row A appears twice in one grid"),
        ("  \t1         \t2", "  \tone       \t2", "line 24: expected the grid's column numbers"),
    ],
)
def test_a_damaged_grid_is_refused_naming_the_line(
    tmp_path: Path, replace: str, by: str, message: str
) -> None:
    text = FOUR_SPOT.read_text(encoding="utf-8").replace("\r\n", "\n")
    path = tmp_path / "damaged.txt"
    path.write_text(text.replace(replace, by, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_exports(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_data_section_without_values_is_refused(tmp_path: Path) -> None:
    text = FOUR_SPOT.read_text(encoding="utf-8").replace("\r\n", "\n")
    head = text.split("==========Data")[0]
    path = tmp_path / "empty.txt"
    path.write_text(head + "==========Data======\n\t1\t2\nA\t\t\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no value in any well"):
        read_exports(path)


def test_read_times_become_iso_with_their_zone() -> None:
    assert iso_time("10/17/2024\t15:06:11 EDT".replace("\t", " ")) == "2024-10-17T15:06:11-04:00"
    assert iso_time("17/10/2024 15:06:11") == "2024-10-17T15:06:11"
    assert iso_time("2024-01-15") == "2024-01-15"


# --- the real exports ----------------------------------------------------------------


def test_two_exports_of_one_plate_give_the_same_signals(realdata: Path) -> None:
    # Reference: the same 10-spot plate exported as one grid with spots 2, 4-7 and 9
    # empty, and as four single-spot grids (SpotID 1, 3, 8, 10), by the reader software.
    ten = read_export(realdata / MM / "methodical_test_4_missing_spots.txt")
    four = read_export(realdata / MM / "methodical_test_5_mulitple_spot_tables.txt")
    assert signals(ten.wells) == signals(four.wells)
    assert sorted(four.wells["analyte"].unique()) == ["spot 1", "spot 10", "spot 3", "spot 8"]
    assert len(four.wells) == 96 * 4
    assert any("spots 2, 4, 5, 6, 7, 9 hold no value" in w for w in ten.warnings)
    # Read by eye: SpotID 3's grid, row A column 1, and SpotID 10's row H column 11.
    assert signals(four.wells)[("A1", "spot 3")] == 628082
    assert signals(four.wells)[("H11", "spot 10")] == 35904


def test_the_reader_export_agrees_with_workbench_on_the_same_plate(realdata: Path) -> None:
    # Reference: Discovery Workbench's table of plate 2BO40AW287 (its Signal of wells
    # A01/A02 on spots 1 and 2), read by eye from msd_workbench_test_1.csv.
    wells = read_export(realdata / MM / "methodical_test_3.txt").wells
    got = signals(wells)
    assert got[("A1", "spot 1")] == 315 and got[("A2", "spot 1")] == 341
    assert got[("A1", "spot 2")] == 3328 and got[("A2", "spot 2")] == 3513
    assert wells["well"].nunique() == 48 and wells["analyte"].nunique() == 10


def test_a_file_of_two_plates_gives_two_named_plates(realdata: Path) -> None:
    plates = read_exports(realdata / MM / "methodical_test_1.txt")
    assert [p.meta["plate_name"] for p in plates] == ["22M0TALA85N", "22M0TAQA86T"]
    assert [p.meta["serial_number"] for p in plates] == ["1298873245", "1201140625150"]
    assert [len(p.wells) for p in plates] == [96, 96]
    # Read by eye: plate 2's H12.
    assert signals(plates[1].wells)[("H12", "spot 1")] == 6043


def test_a_384_well_plate_and_a_cut_grid(realdata: Path) -> None:
    big = read_export(realdata / MM / "methodical_mind_384_wells.txt")
    assert big.wells["well"].nunique() == 384
    assert signals(big.wells)[("P24", "spot 1")] == 227
    cut = read_export(realdata / MM / "methodical_test_data_in_filename.txt")
    assert sorted(cut.wells["well"]) == ["A1", "A2", "A3", "B1", "B2", "B3"]
    assert any("grid holds 2 rows (A, B) x 3 columns" in w for w in cut.warnings)


def test_a_spot_count_of_thousands_of_digits_is_not_a_count(tmp_path: Path) -> None:
    # Python's int refuses a text of more than 4,300 digits; it stopped the chunk. The
    # grid's own lines say how many spots there are.
    text = FOUR_SPOT.read_text(encoding="utf-8")
    path = tmp_path / "long_spots.txt"
    path.write_text(
        text.replace("Spots Per Well:\t4", f"Spots Per Well:\t{'9' * 5000}", 1), "utf-8"
    )
    assert len(read_export(path).wells) == len(read_export(FOUR_SPOT).wells)
    # Without a Spots Per Well line, the plate type's `Multi-Spot <n>` gives the count.
    lines = [line for line in text.splitlines() if not line.startswith("Spots Per Well")]
    typed = "\n".join(lines).replace("Multi-Spot 4", f"Multi-Spot {'9' * 5000}", 1)
    path.write_text(typed, "utf-8")
    assert len(read_export(path).wells) == len(read_export(FOUR_SPOT).wells)
