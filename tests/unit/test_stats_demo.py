"""The statistics recover what the simulator built into the demo study.

The workflow runs on a fresh copy of the simulated study (seed 20261121, the first run
of each kit of the bundled demo: the simulator's three-plate default; the bundled demo's
twelve runs per kit are checked in tests/integration/test_demo_study.py) in a temporary
folder; the reference is the simulator itself: its truth table
(true responders) and the effects in assaypipe.simulate: CCL2 down and TGF-β2 up
after treatment, TGF-β2 inversely related to CCL2, HGF, CXCL12 and IL-8 rising in
nonresponders only, NfL falling in responders and rising in nonresponders among
subjects with baseline NfL > 1000, HGF rising with age and disease duration.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assaypipe.io import read_metadata
from assaypipe.simulate import DEFAULT_SEED, simulate_study
from tests.conftest import run_workflow

STATS_FILES = (
    "prepost",
    "prepost_groups",
    "prepost_summary",
    "prepost_subgroup",
    "prepost_sensitivity",
    "response_change",
    "correlations_pairs",
    "correlations_covariates",
    "classification",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    simulate_study(root, seed=DEFAULT_SEED)
    result = run_workflow(root)
    assert result.returncode == 0, result.stderr[-4000:]
    return root


def stats(root: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(root / "results" / "stats" / f"{name}.parquet")


def pick(table: pd.DataFrame, analysis: str, analyte: str, group: str) -> pd.Series:
    found = table[
        (table["analysis"] == analysis) & (table["analyte"] == analyte) & (table["group"] == group)
    ]
    assert len(found) == 1, (analysis, analyte, group)
    return found.iloc[0]


@pytest.mark.slow
def test_outputs_share_one_schema_and_carry_metadata(demo: Path) -> None:
    from assaypipe import tables

    for name in STATS_FILES:
        table = stats(demo, name)
        assert list(table.columns) == list(tables.STATS.columns), name
        tables.STATS.validate(table)
        assert set(read_metadata(demo / "results" / "stats" / f"{name}.parquet")) == {
            "assaypipe_version",
            "assaypipe_config_hash",
            "assaypipe_command",
        }
    tables.SUBJECTS.validate(pd.read_parquet(demo / "results" / "subjects.parquet"))
    for figure in ("prepost_by_response", "correlation_CCL2_vs_TGFB2"):
        png = demo / "results" / "figures" / f"{figure}.png"
        assert png.read_bytes()[:4] == b"\x89PNG"
        assert (demo / "results" / "figures" / f"{figure}.svg").stat().st_size > 1000


@pytest.mark.slow
def test_responders_match_the_simulated_truth(demo: Path) -> None:
    subjects = pd.read_parquet(demo / "results" / "subjects.parquet")
    truth = pd.read_csv(demo / "truth" / "truth_subjects.tsv", sep="\t")
    primary = subjects[subjects["primary"]].set_index("subject_id")
    assert (primary["rule"] == "edss").all()
    expected = truth.set_index("subject_id")["responder"]
    assert primary["responder"].astype(bool).reindex(expected.index).tolist() == expected.tolist()


@pytest.mark.slow
def test_prepost_directions(demo: Path) -> None:
    table = stats(demo, "prepost")
    ccl2 = pick(table, "prepost", "CCL2", "all")
    tgfb2 = pick(table, "prepost", "TGFB2", "all")
    nfl = pick(table, "prepost", "NfL", "all")
    assert ccl2["estimate"] < 0 and ccl2["ci_high"] < 0 and ccl2["q"] < 0.05
    assert tgfb2["estimate"] > 0 and tgfb2["ci_low"] > 0 and tgfb2["q"] < 0.05
    assert nfl["p"] > 0.05  # unchanged overall: the subgroup effects cancel
    assert (table["n"] == 18).all()
    summary = stats(demo, "prepost_summary")
    assert pick(summary, "prepost_effect_size", "CCL2", "all")["estimate"] < -0.5
    assert pick(summary, "prepost_median_difference", "TGFB2", "all")["estimate"] > 0


@pytest.mark.slow
def test_nonresponders_rise_in_hgf_cxcl12_il8(demo: Path) -> None:
    groups = stats(demo, "prepost_groups")
    change = stats(demo, "response_change")
    for analyte in ("HGF", "CXCL12", "IL8"):
        rising = pick(groups, "prepost", analyte, "nonresponder")
        assert rising["estimate"] > 0 and rising["p"] < 0.05, analyte
        for analysis in ("change_difference", "change_log2_ratio"):
            shift = pick(change, analysis, analyte, "nonresponder vs responder")
            assert shift["estimate"] > 0 and shift["ci_low"] > 0, (analysis, analyte)
            assert shift["q"] < 0.05, (analysis, analyte)
    for analyte in ("CCL2", "TGFB2"):  # moved by treatment alike in both groups
        assert pick(change, "change_log2_ratio", analyte, "nonresponder vs responder")["p"] > 0.05


@pytest.mark.slow
def test_nfl_subgroup_falls_in_responders_and_rises_in_nonresponders(demo: Path) -> None:
    table = stats(demo, "prepost_subgroup")
    responders = pick(table, "subgroup_prepost", "NfL", "responder")
    nonresponders = pick(table, "subgroup_prepost", "NfL", "nonresponder")
    assert responders["estimate"] < 0 and responders["statistic"] == 0  # every pair fell
    assert nonresponders["estimate"] > 0 and nonresponders["statistic"] > 0
    assert "baseline NfL > 1000" in responders["method"]
    assert pick(table, "subgroup_prepost", "NfL", "all")["n"] < 18


@pytest.mark.slow
def test_below_lloq_sensitivity_keeps_the_conclusions(demo: Path) -> None:
    table = stats(demo, "prepost_sensitivity")
    assert set(table["analysis"]) == {
        "sensitivity_half_lloq",
        "sensitivity_lloq_sqrt2",
        "sensitivity_exclude",
    }
    for policy in ("half_lloq", "lloq_sqrt2", "exclude"):
        assert pick(table, f"sensitivity_{policy}", "CCL2", "all")["p"] < 0.05
        assert pick(table, f"sensitivity_{policy}", "TGFB2", "all")["estimate"] > 0
    # TGF-β2 has samples below the LOD: excluding them drops a pair
    assert pick(table, "sensitivity_exclude", "TGFB2", "all")["n"] < 18


@pytest.mark.slow
def test_correlations(demo: Path) -> None:
    pairs = stats(demo, "correlations_pairs")
    slope = pick(pairs, "ols_slope", "TGFB2", "CCL2 | pooled")
    assert slope["estimate"] < 0 and slope["ci_high"] < 0 and slope["p"] < 0.001
    assert slope["n"] == 38
    assert pick(pairs, "spearman_rho", "TGFB2", "CCL2 | pooled")["estimate"] < -0.5
    assert pick(pairs, "ols_r2", "TGFB2", "CCL2 | pooled")["estimate"] > 0.3
    covariates = stats(demo, "correlations_covariates")
    age = pick(covariates, "ols_slope", "HGF", "age | baseline")
    assert age["estimate"] > 0 and age["q"] < 0.05
    duration = pick(covariates, "spearman_rho", "HGF", "disease_duration | baseline")
    assert duration["estimate"] > 0 and duration["p"] < 0.05
    assert pick(covariates, "ols_slope", "HGF", "disease_duration | baseline")["estimate"] > 0


@pytest.mark.slow
def test_classification_separates_and_says_it_is_exploratory(demo: Path) -> None:
    table = stats(demo, "classification")
    auc = pick(table, "classify_auc", "profile", "nonresponder vs responder")
    assert auc["estimate"] > 0.8 and auc["p"] < 0.01
    assert "1000 label permutations" in auc["method"]
    assert table["method"].str.contains("EXPLORATORY").all()
    coefficients = table[table["analysis"] == "classify_coefficient"].set_index("analyte")
    assert (coefficients.loc[["HGF", "CXCL12", "IL8"], "estimate"] > 0).all()
