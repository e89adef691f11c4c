"""Run the whole workflow on a simulated study in a temporary folder and check it
against the simulator's truth (the independent reference here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe.simulate import simulate_study
from tests.conftest import quick_classification, run_workflow


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("study")
    simulate_study(root, seed=20261121)
    quick_classification(root)
    # A file that is not a plate export: it must be rejected without stopping the rest.
    (root / "resources" / "plates" / "notes_from_the_bench.csv").write_text(
        "who,what\nanna,changed the wash buffer\n", encoding="utf-8"
    )
    # Two files that would get the same plate_id: both rejected, naming each other.
    (root / "resources" / "plates" / "rerun.csv").write_text("x\n", encoding="utf-8")
    (root / "resources" / "plates" / "rerun.txt").write_text("x\n", encoding="utf-8")
    result = run_workflow(root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


@pytest.mark.slow
def test_in_range_concentrations_match_truth(study: Path) -> None:
    samples = pd.read_parquet(study / "results" / "samples.parquet")
    truth = pd.read_csv(study / "truth" / "truth_samples.tsv", sep="\t")
    merged = samples.merge(truth, on=["sample_id", "analyte"], validate="one_to_one")
    assert len(merged) == len(truth) == 38 * 6
    in_range = merged[merged["censor"].isna()]
    error = (in_range["concentration"] - in_range["true_conc"]).abs() / in_range["true_conc"]
    per_analyte = error.groupby(in_range["analyte"]).median()
    assert set(per_analyte.index) == {"CCL2", "TGFB2", "HGF", "CXCL12", "IL8", "NfL"}
    assert (per_analyte <= 0.10).all(), per_analyte.to_dict()


@pytest.mark.slow
def test_ccl2_decrease_detected(study: Path) -> None:
    prepost = pd.read_parquet(study / "results" / "stats" / "prepost.parquet")
    ccl2 = prepost.set_index("analyte").loc["CCL2"]
    assert ccl2["n"] == 18
    assert ccl2["p"] < 0.05
    assert ccl2["estimate"] < 0 and ccl2["ci_high"] < 0


@pytest.mark.slow
def test_every_input_well_is_accounted_for(study: Path) -> None:
    wells = pd.read_parquet(study / "results" / "wells.parquet")
    truth = pd.read_csv(study / "truth" / "truth_wells.tsv", sep="\t")
    expected = set(zip(truth["plate_id"], truth["well"], truth["analyte"], strict=True))
    got = set(zip(wells["plate_id"], wells["well"], wells["analyte"], strict=True))
    assert got == expected
    assert len(wells) == len(expected)
    rejected = pd.read_parquet(study / "results" / "rejected.parquet").set_index("source_file")
    names = sorted(Path(f).name for f in rejected.index)
    assert names == ["notes_from_the_bench.csv", "rerun.csv", "rerun.txt"]
    by_name = {Path(f).name: reason for f, reason in rejected["reason"].items()}
    assert "not a supported plate export" in by_name["notes_from_the_bench.csv"]
    assert "as rerun.txt does" in by_name["rerun.csv"]
    plates = pd.read_parquet(study / "results" / "plates.parquet").set_index("plate_id")
    assert plates.loc["notes_from_the_bench", "status"] == "rejected"
    assert (plates.drop(index="notes_from_the_bench")["status"] == "read").all()
    assert plates["n_wells"].to_dict() == {
        "elisa_nfl_P1": 96,
        "luminex_4plex_P1": 96,
        "luminex_tgfb2_P1": 96,
        "notes_from_the_bench": 0,
    }


@pytest.mark.slow
def test_bad_wells_are_flagged_and_left_out(study: Path) -> None:
    wells = pd.read_parquet(study / "results" / "wells.parquet")
    truth = pd.read_csv(study / "truth" / "truth_wells.tsv", sep="\t")
    bad = truth[truth["bad_well"]]
    assert len(bad) > 0
    flagged = wells.merge(bad, on=["plate_id", "well", "analyte"])
    assert flagged["flags"].str.contains("low_beads").all()


@pytest.mark.slow
def test_outputs_carry_metadata_and_second_run_does_nothing(study: Path) -> None:
    from assaypipe.io import read_metadata

    for name in ["wells", "curves", "plates", "samples", "rejected", "stats/prepost"]:
        meta = read_metadata(study / "results" / f"{name}.parquet")
        assert set(meta) == {"assaypipe_version", "assaypipe_config_hash", "assaypipe_command"}
    again = run_workflow(study)
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.slow
def test_curves_one_selected_model_per_plate_and_analyte(study: Path) -> None:
    curves = pd.read_parquet(study / "results" / "curves.parquet")
    selected = curves[curves["selected"]]
    assert selected.groupby(["plate_id", "analyte"]).size().eq(1).all()
    assert len(selected) == 6
    assert selected["converged"].all()
    assert np.isfinite(selected[["lloq", "uloq"]].to_numpy()).all()


@pytest.mark.slow
def test_partitioned_dataset_matches_whole_tables(study: Path) -> None:
    import duckdb
    import polars as pl

    for name in ("wells", "curves"):
        whole = pd.read_parquet(study / "results" / f"{name}.parquet")
        folder = study / "results" / "dataset" / name
        assert sorted(p.name for p in folder.iterdir()) == ["chunk=chunk000"]
        # DuckDB, with the partition column from the folder names
        pattern = str(folder / "*" / "*.parquet")
        con = duckdb.connect()
        n_rows, n_plates = con.execute(
            f"SELECT count(*), count(DISTINCT plate_id) FROM read_parquet('{pattern}', "
            "hive_partitioning = true)"
        ).fetchone()
        assert (n_rows, n_plates) == (len(whole), whole["plate_id"].nunique())
        # polars, lazily: only the filtered plate is collected
        lazy = pl.scan_parquet(str(folder / "**" / "*.parquet"), hive_partitioning=True)
        one = lazy.filter(pl.col("plate_id") == "luminex_4plex_P1").collect()
        assert one.height == int((whole["plate_id"] == "luminex_4plex_P1").sum())
        assert "chunk" in one.columns
        # pandas (pyarrow dataset) reads the folder as one table
        assert len(pd.read_parquet(folder)) == len(whole)


@pytest.mark.slow
def test_handoffs_for_excel_and_prism(study: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(study / "results" / "concentrations.xlsx", read_only=True)
    wells = pd.read_parquet(study / "results" / "wells.parquet", columns=["plate_id"])
    assert book.sheetnames[0] == "study"
    assert book.sheetnames[1:] == sorted(wells["plate_id"].unique())
    samples = pd.read_parquet(study / "results" / "samples.parquet")
    assert sum(1 for _ in book["study"].iter_rows()) == 1 + len(samples)
    index = pd.read_csv(study / "results" / "prism" / "index.csv")
    included = pd.read_parquet(study / "results" / "samples_included.parquet")
    assert set(index["analyte"]) == set(included["analyte"])
    ccl2 = pd.read_csv(study / "results" / "prism" / index.set_index("analyte").loc["CCL2", "file"])
    prepost = pd.read_parquet(study / "results" / "stats" / "prepost.parquet")
    n = prepost.query("analyte == 'CCL2' and group == 'all'")["n"].iloc[0]
    assert len(ccl2) == n


@pytest.mark.slow
def test_a_strict_run_with_a_rejected_file_exits_non_zero(study: Path) -> None:
    summary = (study / "results" / "summary.txt").read_text()
    assert summary.startswith("assaypipe: ") and "3 files rejected" in summary
    # A run that does something ends in the summary (Snakemake skips it on "Nothing to
    # be done").
    strict = run_workflow(study, "--config", "run={strict: true}", "--forcerun", "write_handoffs")
    assert strict.returncode == 1
    assert "strict run (run.strict): exit 1 for 3 files rejected" in strict.stdout + strict.stderr
