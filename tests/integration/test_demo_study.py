"""The bundled demo study (`make demo`, `make run`) as a lab first sees it: 12 runs of each
kit, so that the report's Levey–Jennings charts have a guide set (the first 8 runs of each
kit lot, `qc.guide_plates: 8`) and judged runs, and the Luminex reporter's simulated loss
of sensitivity on the last repeat runs (`assaypipe simulate --reporter-loss 0.2`) draws
Westgard rejections. The reference is the simulator's design (which runs lost signal),
read from its truth tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from assaypipe.simulate import (
    DEFAULT_SEED,
    DEMO_DIFFICULTY,
    DEMO_GUIDE_PLATES,
    DEMO_PLATES,
    simulate_study,
)
from tests.conftest import REPO, quick_classification, run_workflow

KITS = ("luminex_4plex", "luminex_tgfb2", "elisa_nfl")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    for folder in ("config", "resources"):
        shutil.copytree(REPO / folder, root / folder)
    quick_classification(root)
    result = run_workflow(root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def _kit(plate_id: str) -> str:
    return plate_id.rsplit("_P", 1)[0]


def test_the_bundled_demo_has_twelve_runs_of_each_kit() -> None:
    plates = sorted(p.stem for p in (REPO / "resources" / "plates").iterdir())
    assert len(plates) == DEMO_PLATES == 36
    assert pd.Series([_kit(p) for p in plates]).value_counts().to_dict() == dict.fromkeys(KITS, 12)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    assert config["qc"]["guide_plates"] == DEMO_GUIDE_PLATES == 8
    assert config["qc"]["guide_by"] == "kit_lot"


@pytest.mark.slow
def test_every_kit_has_levey_jennings_points_with_units_and_judged_runs(demo: Path) -> None:
    lj = pd.read_parquet(demo / "results" / "levey_jennings.parquet")
    lj = lj.assign(kit=lj["plate_id"].map(_kit))
    assert set(lj["kit"]) == set(KITS)
    for kit, points in lj.groupby("kit"):
        assert points["plate_id"].nunique() >= 12, kit
        # Every point has the unit its chart's axis names.
        assert (points["unit"].astype(str) != "").all(), kit
        for (_, series), one in points.groupby(["analyte", "series"]):
            assert one["plate_id"].is_unique
            # The guide set is the lot's first 8 runs; only the 4 later ones are judged.
            guide = one.sort_values("run_index")["guide"].tolist()
            assert guide == [True] * 8 + [False] * (len(one) - 8), (kit, series)
            assert not (one["guide"] & one["judged"]).any()
        judged = points[points["judged"]]
        assert judged["plate_id"].nunique() == 4, kit
        assert judged["z"].notna().all() and (judged["sd"] > 0).all(), kit


@pytest.mark.slow
def test_the_reporter_loss_draws_westgard_rejections(demo: Path, tmp_path: Path) -> None:
    lj = pd.read_parquet(demo / "results" / "levey_jennings.parquet")
    rejected = lj[(lj["status"] == "fail") & (lj["rules"] != "")]
    assert len(rejected) >= 1
    # The runs with the simulated loss: the same study simulated without it has the same
    # curves but for their tops (a and d), 20% higher.
    plain = simulate_study(
        tmp_path, seed=DEFAULT_SEED, n_plates=DEMO_PLATES, guide_plates=DEMO_GUIDE_PLATES
    )
    keys = ["plate_id", "analyte"]
    truth = pd.read_csv(REPO / "tests" / "data" / "demo_truth" / "truth_curves.tsv", sep="\t")
    before = pd.read_csv(plain.truth_curves, sep="\t")
    both = truth.merge(before, on=keys, suffixes=("", "_plain"), validate="one_to_one")
    assert len(both) == len(truth) == len(before)
    ratio = both["d"] / both["d_plain"]
    lost = set(both.loc[ratio.round(3) == 0.8, "plate_id"])
    assert (ratio[~both["plate_id"].isin(lost)] == 1).all()
    assert (both["c"] == both["c_plain"]).all()
    assert DEMO_DIFFICULTY.reporter_loss == 0.2
    # The last third of the 33 repeat runs, Luminex only.
    assert lost == {
        *(f"luminex_4plex_P{k:04d}" for k in (10, 11, 12)),
        *(f"luminex_tgfb2_P{k:04d}" for k in (9, 10, 11, 12)),
    }
    # Falling tops on those runs are rejected, in the series the loss moves.
    tops = rejected[rejected["series"].isin(["curve_d", "top_standard"])]
    falling = tops[tops["z"] < 0]
    assert len(falling) >= 3
    assert set(falling["plate_id"]) <= lost
    qc = pd.read_parquet(demo / "results" / "qc.parquet")
    checks = qc[qc["check"].str.startswith("levey_jennings:") & (qc["status"] == "fail")]
    assert set(zip(falling["plate_id"], falling["analyte"], strict=True)) <= set(
        zip(checks["plate_id"], checks["analyte"], strict=True)
    )


@pytest.mark.slow
def test_the_statistics_recover_the_planted_effects_over_all_runs(demo: Path) -> None:
    # Each sample is measured on every run of its kit: up to 12 plates x 2 wells, fewer
    # where a plate x analyte failed QC (qc.exclude_failing).
    samples = pd.read_parquet(demo / "results" / "samples.parquet")
    assert len(samples) == 38 * 6
    assert samples["n_replicates"].max() == 24
    assert samples["n_replicates"].min() >= 12
    # The simulator's effects (assaypipe.simulate.model.POST_EFFECT): CCL2 down and
    # TGF-b2 up after treatment, on the 18 complete pairs.
    prepost = pd.read_parquet(demo / "results" / "stats" / "prepost.parquet").set_index("analyte")
    assert (prepost["n"] == 18).all()
    assert prepost.loc["CCL2", "ci_high"] < 0 and prepost.loc["CCL2", "p"] < 0.05
    assert prepost.loc["TGFB2", "ci_low"] > 0 and prepost.loc["TGFB2", "p"] < 0.05
