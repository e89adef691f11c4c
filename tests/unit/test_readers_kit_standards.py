"""Kit files giving the standards' expected concentrations: plate map > kit file > export,
every departure from the export a plate warning, and the dilution-series check run on
what is used."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from assaypipe.kits import KitLot, StandardSeries, read_kits
from assaypipe.layout import has_flag
from assaypipe.pipeline import process_chunk, read_plates
from assaypipe.readers import PlateRead, read_export
from assaypipe.readers.kit_standards import KitStandards, apply_kit_standards
from assaypipe.readers.parsed import Warnings
from assaypipe.readers.standards import BROKEN_SERIES, IMPLAUSIBLE_LEVEL
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_samples
from tests.conftest import REPO, wells_frame

DEMO = REPO / "resources" / "plates" / "luminex_4plex_P1.csv"
GEN5 = REPO / "tests" / "data" / "exports" / "gen5/gen5_endpoint_layout_4pl.txt"
GRID = REPO / "tests" / "data" / "exports" / "grid/grid_8x12.csv"
ALIASES = read_aliases(REPO / "config" / "analytes.tsv")
# The demo kit's MCP-1 (CCL2) series as its export states it: 10000, then 4-fold steps.
CCL2_SERIES = [10000, 2500, 625, 156.25, 39.0625, 9.765625, 2.44140625]


def lost_decimal(tmp_path: Path) -> Path:
    """The demo xPONENT export with MCP-1's Standard5 written 390625 for 39.0625, as
    drLumi's export writes 215.625 as 215625."""
    text = DEMO.read_text(encoding="utf-8")
    assert text.count("Standard5,39.0625,") == 1
    path = tmp_path / "luminex_4plex_P1.csv"
    path.write_text(text.replace("Standard5,39.0625,", "Standard5,390625,"), encoding="utf-8")
    return path


def kit_file(tmp_path: Path, standards: str, unit: str = "pg/mL", name: str = "kit.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f'kit: Test kit\nlot: "L1"\nunit: {unit}\nplates: ["luminex_*", "gen5*", "grid*"]\n'
        f"standards:\n{standards}",
        encoding="utf-8",
    )
    return path


def read_with(export: Path, *kits: Path, plate_map: Path | None = None) -> PlateRead:
    standards = KitStandards.of(read_kits(kits, ALIASES), ALIASES)
    return read_export(export, plate_map=plate_map, kit_standards=standards)


def standards_of(wells: pd.DataFrame, analyte: str) -> pd.DataFrame:
    rows = wells[(wells["analyte"] == analyte) & (wells["role"] == "standard")]
    return rows.sort_values(["level", "well"])


def test_one_line_per_analyte_fixes_a_lost_decimal_point(tmp_path: Path, no_settle) -> None:
    export = lost_decimal(tmp_path)
    broken = read_export(export).wells
    assert has_flag(standards_of(broken, "MCP-1")["flags"], BROKEN_SERIES).all()

    kit = kit_file(tmp_path, "  CCL2: {top: 10000, dilution: 4}\n")
    plate = read_with(export, kit)
    mcp1 = standards_of(plate.wells, "MCP-1")
    # The values the unedited export states (read by eye above: 10000 / 4^(n-1)).
    expected = dict(zip(range(1, 8), CCL2_SERIES, strict=True))
    assert mcp1["expected_conc"].tolist() == [expected[n] for n in mcp1["level"]]
    assert not has_flag(mcp1["flags"], BROKEN_SERIES).any()
    assert not has_flag(mcp1["flags"], IMPLAUSIBLE_LEVEL).any()
    assert (plate.wells.loc[plate.wells["analyte"] == "MCP-1", "unit"] == "pg/mL").all()
    kit_warning = (
        f"analyte MCP-1: the kit file {kit} (kit Test kit lot L1: top 10000, dilution 4, "
        "pg/mL) replaces the export's expected concentrations at level 5 (390625 -> 39.0625)"
    )
    assert kit_warning in plate.warnings
    # Everything else is as in the unedited export, warnings included.
    unedited = read_export(DEMO)
    assert tuple(w for w in plate.warnings if w != kit_warning) == unedited.warnings
    same = ["well", "analyte", "role", "level", "expected_conc", "unit", "flags", "signal"]
    pd.testing.assert_frame_equal(plate.wells[same], unedited.wells[same])


def test_the_chunk_applies_kit_files_and_concentrations_follow(tmp_path: Path, no_settle) -> None:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    samples = read_samples(REPO / "config" / "samples.tsv")
    kit = kit_file(tmp_path, "  MCP-1: {top: 10000, dilution: 4}\n")

    def chunk(export: Path, kits: list[Path]) -> pd.DataFrame:
        plates = [{"plate_id": "luminex_4plex_P1", "export": str(export), "plate_map": None}]
        result = process_chunk(
            plates,
            samples,
            ALIASES,
            chunk="1",
            settings=Settings.from_config({"curves": config["curves"]}),
            kits=read_kits(kits, ALIASES),
        )
        assert result.plates["status"].tolist() == ["read"]
        warnings = list(result.plates["warnings"].iloc[0])
        assert any("replaces the export's" in w for w in warnings) == bool(kits)
        return result.wells.set_index(["well", "analyte"]).sort_index()

    fixed = chunk(lost_decimal(tmp_path), [kit])
    # Reference: the same plate with the series typed correctly in the export.
    reference = chunk(DEMO, [])
    np.testing.assert_allclose(
        fixed["concentration"].to_numpy(float), reference["concentration"].to_numpy(float)
    )
    assert fixed["censor"].equals(reference["censor"])
    assert fixed["flags"].equals(reference["flags"])


def test_the_plate_map_wins_over_the_kit_file_which_wins_over_the_export(
    tmp_path: Path, no_settle
) -> None:
    export = lost_decimal(tmp_path)
    unedited = read_export(DEMO).wells
    top = standards_of(unedited, "MCP-1")
    top_wells = top.loc[top["level"] == 1, "well"].tolist()
    plate_map = tmp_path / "map.csv"
    plate_map.write_text(
        "well,role,level,expected_conc,analyte\n"
        + "".join(f"{well},standard,1,12000,MCP-1\n" for well in top_wells),
        encoding="utf-8",
    )
    kit = kit_file(tmp_path, "  CCL2: {top: 10000, dilution: 4}\n")
    plate = read_with(export, kit, plate_map=plate_map)
    mcp1 = standards_of(plate.wells, "MCP-1")
    by_level = mcp1.groupby("level")["expected_conc"].unique()
    assert by_level[1].tolist() == [12000.0]  # the plate map
    assert by_level[5].tolist() == [39.0625]  # the kit file, not the export's 390625
    assert [w for w in plate.warnings if "plate map" in w] == [
        f"analyte MCP-1: the plate map's expected concentrations differ from kit file {kit} "
        "(kit Test kit lot L1) at level 1 (map 12000, kit 10000); the plate map's are used"
    ]
    # An analyte the kit file does not name keeps the export's values.
    hgf = standards_of(plate.wells, "HGF")
    assert hgf["expected_conc"].tolist() == standards_of(unedited, "HGF")["expected_conc"].tolist()


def test_a_shorter_list_leaves_the_remaining_levels_to_the_export(
    tmp_path: Path, no_settle
) -> None:
    kit = kit_file(tmp_path, "  MCP-1: [10000, 2500, 625, 156.25, 39.0625]\n")
    plate = read_with(lost_decimal(tmp_path), kit)
    assert any(
        w.startswith("analyte MCP-1: the kit file")
        and w.endswith(
            "replaces the export's expected concentrations at level 5 (390625 -> 39.0625); "
            "levels 6-7 keep the export's"
        )
        for w in plate.warnings
    )
    assert standards_of(plate.wells, "MCP-1")["expected_conc"].tolist() == [
        value for value in CCL2_SERIES for _ in range(2)
    ]


def test_kit_unit_fills_an_export_without_units_and_warns_when_they_differ(
    tmp_path: Path, no_settle
) -> None:
    # A grid export states no unit and no concentration; the map gives the levels only.
    names = "name,1,2,3,4,5,6,7,8,9,10,11,12\n" + "".join(
        f"{row},Standard{n},Standard{n},P{n},,,,,,,,,\n" for n, row in enumerate("ABCDEFGH", 1)
    )
    plate_map = tmp_path / "levels_only.csv"
    plate_map.write_text(names, encoding="utf-8")
    kit = kit_file(tmp_path, "  OD: {top: 1000, dilution: 2}\n", unit="ng/mL")
    plate = read_with(GRID, kit, plate_map=plate_map)
    od = standards_of(plate.wells, "OD")
    # 1000 / 2^(n-1) by hand: 1000, 500, ..., 7.8125.
    assert od["expected_conc"].tolist() == [1000 / 2 ** (n - 1) for n in range(1, 9) for _ in "ab"]
    placed = plate.wells[plate.wells["role"] != "unassigned"]
    assert (placed["unit"] == "ng/mL").all()
    assert any("gives those of levels 1-8, which the export lacks" in w for w in plate.warnings)

    # The demo xPONENT export states pg/mL: a kit in ng/mL is used, and said.
    kit = kit_file(tmp_path, "  CCL2: {top: 10, dilution: 4}\n", unit="ng/mL", name="ng.yaml")
    plate = read_with(DEMO, kit)
    units = plate.wells.groupby("analyte")["unit"].unique()
    assert units["MCP-1"].tolist() == ["ng/mL"]
    assert units["HGF"].tolist() == ["pg/mL"]
    assert (
        f"analyte MCP-1: the export states pg/mL but kit file {kit} gives the standards in "
        "ng/mL; the kit file's values and unit are used, nothing is converted, and the "
        "software's own results stay in pg/mL"
    ) in plate.warnings


def test_a_kit_series_running_the_other_way_is_not_used(tmp_path: Path, no_settle) -> None:
    # The Gen5 export numbers its standards from the highest (1000, 500, ..., 15.625);
    # the kit lists them from the lowest.
    kit = kit_file(tmp_path, "  OD: [15.625, 31.25, 62.5, 125, 250, 500, 1000]\n")
    plate = read_with(GEN5, kit)
    assert standards_of(plate.wells, "OD")["expected_conc"].iloc[0] == 1000.0
    assert any(
        warning.startswith(
            f"analyte OD: kit file {kit} (kit Test kit lot L1) gives the standards rising "
            "from level 1 but the export's fall with the level number; the kit file's values "
            "are not used"
        )
        for warning in plate.warnings
    )
    # The same values in the export's order agree with it: nothing to say, unit filled.
    kit = kit_file(tmp_path, "  OD: [1000, 500, 250, 125, 62.5, 31.25, 15.625]\n", name="b.yaml")
    plate = read_with(GEN5, kit)
    assert not any("kit file" in warning for warning in plate.warnings)
    assert set(standards_of(plate.wells, "OD")["unit"]) == {"pg/mL"}


def test_a_zero_calibrator_is_no_step_of_a_dilution_series() -> None:
    rows = [
        {"well": f"A{n}", "role": "standard", "level": n, "expected_conc": conc, "unit": ""}
        for n, conc in enumerate([100, 50, 25, 0], start=1)
    ]
    wells = wells_frame(rows)
    kit = KitLot(
        path="kit.yaml",
        kit="K",
        lot="1",
        unit="IU/mL",
        plates=("P*",),
        ranges={},
        standards={"CCL2": StandardSeries(top=120, dilution=2)},
    )
    standards = KitStandards.of([kit], None)
    assert standards is not None
    notes = Warnings()
    out = apply_kit_standards(wells, standards, "P1", None, notes)
    assert out["expected_conc"].tolist() == [120, 60, 30, 0]
    assert list(notes) == [
        "analyte CCL2: the kit file kit.yaml (kit K lot 1: top 120, dilution 2, IU/mL) "
        "replaces the export's expected concentrations at levels 1 (100 -> 120), "
        "2 (50 -> 60), 3 (25 -> 30)"
    ]
    # The wells state no unit: they take the kit's.
    assert set(out["unit"]) == {"IU/mL"}
    assert apply_kit_standards(wells, standards, "Q1", None, Warnings()) is wells


def test_two_lots_giving_one_analyte_reject_the_plate_naming_both(
    tmp_path: Path, no_settle
) -> None:
    first = kit_file(tmp_path, "  CCL2: {top: 10000, dilution: 4}\n", name="a.yaml")
    second = kit_file(tmp_path, "  MCP-1: {top: 10000, dilution: 4}\n", name="b.yaml")
    read = read_plates(
        [{"plate_id": "luminex_4plex_P1", "export": str(DEMO), "plate_map": None}],
        read_samples(REPO / "config" / "samples.tsv"),
        ALIASES,
        chunk="1",
        kits=read_kits([first, second], ALIASES),
    )
    assert read.plates["status"].tolist() == ["rejected"]
    assert read.rejected["reason"].iloc[0] == (
        f"{first} and {second}: both give the standards of CCL2 on plate luminex_4plex_P1; "
        "narrow their plates patterns so one lot covers each plate"
    )


@pytest.mark.realdata
def test_drlumi_fgf_series_fixed_by_a_kit_file(realdata: Path, tmp_path: Path) -> None:
    export = realdata / "xponent" / "xponent31_quant_30plex_drLumi.csv"
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    kit = kit_file(tmp_path, "  FGF: {top: 3450, dilution: 2}\n")
    kit.write_text(kit.read_text().replace('["luminex_*", "gen5*", "grid*"]', "[drlumi]"))
    plates = [{"plate_id": "drlumi", "export": str(export), "plate_map": None}]
    samples = read_samples(REPO / "config" / "samples.tsv")

    # xPONENT fits every standard; so does longest_run (ich_m10 leaves out the two
    # interior levels that fail their recovery, which moves the fit away from xPONENT's)
    curves = {**config["curves"], "limits": "longest_run"}

    def chunk(kits: list[Path]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        result = process_chunk(
            plates,
            samples,
            ALIASES,
            chunk="1",
            settings=Settings.from_config({"curves": curves}),
            kits=read_kits(kits),
        )
        wells = result.wells[result.wells["analyte"] == "FGF"].set_index("well")
        vendor = result.vendor[
            (result.vendor["analyte"] == "FGF") & (result.vendor["quantity"] == "concentration")
        ].set_index("well")["value"]
        return wells, vendor, list(result.plates["warnings"].iloc[0])

    before, vendor, warnings_before = chunk([])
    after, _, warnings_after = chunk([kit])
    fgf = after[after["role"] == "standard"]
    assert not has_flag(fgf["flags"], BROKEN_SERIES).any()
    assert has_flag(before.loc[before["role"] == "standard", "flags"], BROKEN_SERIES).all()
    # Standard5 (H6) as the file writes it, 215625, and as the kit gives it, 215.625.
    assert before.loc["H6", "expected_conc"] == 215625
    assert after.loc["H6", "expected_conc"] == 215.625
    assert (
        f"analyte FGF: the kit file {kit} (kit Test kit lot L1: top 3450, dilution 2, pg/mL) "
        "replaces the export's expected concentrations at level 5 (215625 -> 215.625)"
    ) in warnings_after
    assert not any(w.startswith("analyte FGF, standard level 5") for w in warnings_after)
    assert any(w.startswith("analyte FGF, standard level 5") for w in warnings_before)
    # Other analytes keep their export values and their flag (IL1B's level 5 is 509375).
    assert any(w.startswith("analyte IL1B, standard level 5") for w in warnings_after)
    # The fixed level is back in the fit: read off the curve it lies within 20% of
    # 215.625, and xPONENT's own result for that well (212.36) is the yardstick.
    assert after.loc["H6", "concentration"] == pytest.approx(215.625, rel=0.2)
    assert after.loc["H6", "concentration"] == pytest.approx(vendor["H6"], rel=0.1)
    # Samples in range follow xPONENT's own 5PL closer than before (4.2% -> 2.8%).
    in_range = (after["role"] == "sample") & after["censor"].isna()
    samples_after = after.loc[in_range, "concentration"]
    samples_before = before.loc[samples_after.index, "concentration"]
    off_after = (samples_after / vendor[samples_after.index] - 1).abs().median()
    off_before = (samples_before / vendor[samples_after.index] - 1).abs().median()
    assert off_after < 0.035 < off_before
