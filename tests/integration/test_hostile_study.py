"""A small study holding every kind of hostile file at once: the workflow finishes,
writes the report, and accounts for every file of the plates folder (read, rejected or
skipped, each with its reason)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from assaypipe.simulate import simulate_study
from tests.conftest import quick_classification, run_workflow, update_study_config
from tests.hostile import BAD_COUNTS, LONG_ANALYTE, hostile_study

PLATES = "resources/plates"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    root = tmp_path_factory.mktemp("hostile")
    simulate_study(root, seed=20261121)
    quick_classification(root)
    # Its 14 plate_ids in two chunks, the clashing files in different ones: the clash is
    # found when the chunks' tables are collected.
    update_study_config(root, {"chunks": {"size": 7}})
    files = hostile_study(root)
    result = run_workflow(root, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return root, files, result.stdout + result.stderr


def _path(name: str) -> str:
    return f"{PLATES}/{name}"


@pytest.mark.slow
def test_every_file_is_read_rejected_or_skipped(study: tuple[Path, dict[str, str], str]) -> None:
    root, files, output = study
    assert "Traceback" not in output
    assert (root / "results" / "report.html").is_file()
    on_disk = {
        str((Path(folder) / name).relative_to(root))
        for folder, _, names in os.walk(root / PLATES)
        for name in names
    }
    plates = pd.read_parquet(root / "results" / "plates.parquet")
    rejected = pd.read_parquet(root / "results" / "rejected.parquet")
    skipped = pd.read_parquet(root / "results" / "skipped.parquet")
    read = set(plates.loc[plates["status"] == "read", "source_file"])
    refused = set(rejected["source_file"]) | set(
        plates.loc[plates["status"] == "rejected", "source_file"]
    )
    left = set(skipped["source_file"])
    # Each file in exactly one of the three.
    assert read | refused | left == on_disk
    assert not (read & refused) and not (read & left) and not (refused & left)
    assert left == {
        _path(files[k]) for k in ("hidden", "dot_csv", "lock", "readme", "ignored_suffix")
    }
    hostile = ("empty", "binary", "truncated_xlsx", "zip_bomb_xlsx", "control_character")
    clash = ("multi_plate_clash", "single_plate_clash")
    assert set(rejected["source_file"]) == {
        _path(files[k]) for k in (*hostile, *clash, "off_plate_map_row")
    }
    assert rejected["source_file"].is_unique


@pytest.mark.slow
def test_each_rejection_says_why(study: tuple[Path, dict[str, str], str]) -> None:
    root, files, _ = study
    rejected = pd.read_parquet(root / "results" / "rejected.parquet")
    reason = dict(zip(rejected["source_file"], rejected["reason"], strict=True))
    multi, single = _path(files["multi_plate_clash"]), _path(files["single_plate_clash"])
    assert reason[multi].startswith(f"{multi}: gives plate_id 'sa_Plate1', as {single} does")
    assert reason[single].startswith(f"{single}: gives plate_id 'sa_Plate1', as {multi} does")
    assert "the file is empty" in reason[_path(files["empty"])]
    assert "binary file" in reason[_path(files["binary"])]
    assert "damaged or incomplete" in reason[_path(files["truncated_xlsx"])]
    assert "unpacks to 1,024 MB" in reason[_path(files["zip_bomb_xlsx"])]
    assert "not a supported plate export" in reason[_path(files["control_character"])]
    off_map = reason[_path(files["off_plate_map_row"])]
    assert off_map.startswith("resources/layouts/elisa_offmap.csv: line 98: well I1 is not on")


@pytest.mark.slow
def test_read_plates_keep_their_oddities_visible(study: tuple[Path, dict[str, str], str]) -> None:
    root, _, _ = study
    plates = pd.read_parquet(root / "results" / "plates.parquet").set_index("plate_id")
    assert plates.loc["run2_luminex_4plex_P1", "n_wells"] == 96
    # No plate_id is given twice, and the multi-plate file's plates are not in the study.
    assert plates.index.is_unique and "sa_Plate2" not in plates.index
    assert plates.loc["sa", "chunk"] != plates.loc["sa_Plate1", "chunk"]
    wells = pd.read_parquet(root / "results" / "wells.parquet")
    assert not wells["plate_id"].isin(["sa", "sa_Plate1", "sa_Plate2"]).any()
    assert LONG_ANALYTE in set(wells.loc[wells["plate_id"] == "long_analyte", "analyte_raw"])
    # Every bad bead count flagged, its count left empty, and the standards left out of
    # the plate's CCL2 fit with the reason.
    beads = wells[(wells["plate_id"] == "beads") & (wells["analyte"] == "CCL2")]
    bad = beads.set_index("well").loc[["A1", "B1", "C1", "D1", "E1"][: len(BAD_COUNTS)]]
    assert bad["flags"].str.contains("bad_bead_count").all()
    assert bad["bead_count"].isna().all()
    curves = pd.read_parquet(root / "results" / "curves.parquet")
    fit = curves[
        (curves["plate_id"] == "beads") & (curves["analyte"] == "CCL2") & curves["selected"]
    ]
    assert "excluded standard well(s) B1,C1,D1,E1: bad_bead_count" in fit["reasons"].iloc[0]


@pytest.mark.slow
def test_the_summary_and_report_list_skipped_files(study: tuple[Path, dict[str, str], str]) -> None:
    root, files, _ = study
    summary = (root / "results" / "summary.txt").read_text(encoding="utf-8")
    assert summary.startswith(
        "assaypipe: 6 plates read (5 with warnings), 8 files rejected, 5 skipped"
    )
    for kind in ("hidden", "dot_csv", "lock", "readme", "ignored_suffix"):
        assert f"  skipped: {_path(files[kind])}: " in summary
    # Names from the lab's files reach the terminal without control characters.
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", summary)
    assert "ctrl\\x07name.csv" in summary
    assert max(len(line) for line in summary.splitlines()) < 1000
    report = (root / "results" / "report.html").read_text(encoding="utf-8")
    assert "Skipped files (5)" in report
