"""The workflow on a study holding an MSD plate beside the Luminex and ELISA plates: the
simulated Discovery Workbench table of IL-6 and TNF-alpha on the same samples, checked
against the simulator's truth (the independent reference here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe.simulate import MSD_ANALYTES, simulate_study
from tests.conftest import quick_classification, run_workflow

PLATE = "msd_cytokine_P1"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("msd_study")
    simulate_study(root, seed=20261121, msd=True)
    quick_classification(root)
    result = run_workflow(root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


@pytest.mark.slow
def test_the_msd_plate_is_read_as_workbench_with_its_two_spots(study: Path) -> None:
    plates = pd.read_parquet(study / "results" / "plates.parquet").set_index("plate_id")
    assert plates.loc[PLATE, "format"] == "msd_workbench"
    assert (plates["status"] == "read").all() and len(plates) == 4
    assert plates.loc[PLATE, "n_wells"] == 96 and plates.loc[PLATE, "n_analytes"] == 2
    wells = pd.read_parquet(study / "results" / "wells.parquet")
    msd = wells[wells["plate_id"] == PLATE]
    assert sorted(msd["analyte"].unique()) == sorted(MSD_ANALYTES)  # through the alias table
    assert (msd["signal_kind"] == "ECL").all() and msd["bead_count"].isna().all()
    assert (msd.loc[msd["role"] == "sample", "dilution"] == 2).all()


@pytest.mark.slow
def test_msd_analytes_get_curves(study: Path) -> None:
    curves = pd.read_parquet(study / "results" / "curves.parquet")
    selected = curves[curves["selected"] & (curves["plate_id"] == PLATE)]
    assert sorted(selected["analyte"]) == sorted(MSD_ANALYTES)
    assert selected["converged"].all()
    assert np.isfinite(selected[["lloq", "uloq"]].to_numpy()).all()


@pytest.mark.slow
def test_msd_concentrations_match_the_truth(study: Path) -> None:
    samples = pd.read_parquet(study / "results" / "samples.parquet")
    truth = pd.read_csv(study / "truth" / "truth_samples.tsv", sep="\t")
    merged = samples.merge(truth, on=["sample_id", "analyte"], validate="one_to_one")
    msd = merged[merged["analyte"].isin(MSD_ANALYTES)]
    assert len(msd) == 38 * 2
    in_range = msd[msd["censor"].isna()]
    assert len(in_range) >= 0.9 * len(msd)
    # Sample concentrations, dilution included (1:2), against the undiluted truth.
    error = (in_range["concentration"] - in_range["true_conc"]).abs() / in_range["true_conc"]
    per_analyte = error.groupby(in_range["analyte"]).median()
    assert (per_analyte <= 0.10).all(), per_analyte.to_dict()


@pytest.mark.slow
def test_msd_analytes_reach_the_statistics(study: Path) -> None:
    prepost = pd.read_parquet(study / "results" / "stats" / "prepost.parquet")
    rows = prepost[prepost["analyte"].isin(MSD_ANALYTES)]
    assert sorted(rows["analyte"]) == sorted(MSD_ANALYTES)
    assert (rows["n"] == 18).all() and rows["p"].between(0, 1).all()
    assert (study / "results" / "report.html").is_file()
