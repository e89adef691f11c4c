"""Cluster-robust correlations, declared BH families and the note of a row without an
estimate (assaypipe.stats.regression, .correlations, .frames and assaypipe.analyses)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from assaypipe import tables
from assaypipe.analyses import lost_analytes, run_analysis
from assaypipe.settings import Settings
from assaypipe.stats import change_by_response, ols, pair_correlations
from tests.unit.test_stats_reference import _fixture

# pooled points: 12 subjects, two visits each, errors shared within a subject
_SUBJECTS = np.repeat([f"S{i:02d}" for i in range(12)], 2)
_RNG = np.random.default_rng(7)
_X = _RNG.normal(10, 2, size=24)
_Y = 3 + 0.5 * _X + np.repeat(_RNG.normal(0, 2, size=12), 2) + _RNG.normal(0, 0.5, size=24)


def test_clustered_ols_is_statsmodels_cluster_fit() -> None:
    # reference: statsmodels OLS(...).fit(cov_type="cluster") computed here directly
    ours = ols(_X, _Y, groups=_SUBJECTS)
    codes = pd.factorize(_SUBJECTS)[0]
    fit = sm.OLS(_Y, sm.add_constant(_X)).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    assert ours.clusters == 12
    assert ours.slope == pytest.approx(fit.params[1], rel=1e-12)
    assert ours.slope_t == pytest.approx(fit.tvalues[1], rel=1e-12)
    assert ours.slope_p == pytest.approx(fit.pvalues[1], rel=1e-12)
    assert ours.slope_ci == pytest.approx(tuple(fit.conf_int()[1]), rel=1e-12)
    assert ours.intercept_p == pytest.approx(fit.pvalues[0], rel=1e-12)
    # the same slope as the naive fit, a different standard error and p
    naive = ols(_X, _Y)
    assert naive.slope == pytest.approx(ours.slope, rel=1e-12)
    assert naive.slope_p != pytest.approx(ours.slope_p, rel=1e-3)
    # CR1 by hand: G/(G-1) (N-1)/(N-K) (X'X)^-1 (sum_g X_g'e_g e_g'X_g) (X'X)^-1
    design = np.column_stack([np.ones(24), _X])
    bread = np.linalg.inv(design.T @ design)
    residuals = _Y - design @ fit.params
    scores = pd.DataFrame(design * residuals[:, None]).groupby(codes).sum().to_numpy()
    cov = 12 / 11 * 23 / 22 * bread @ scores.T @ scores @ bread
    assert ours.slope / ours.slope_t == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-10)


def test_clustered_ols_matches_r_sandwich_vcovcl(rscript: str, tmp_path: Path) -> None:
    # R: sandwich::vcovCL(lm(y ~ x), cluster = subject, type = "HC1")
    check = subprocess.run(
        [rscript, "--vanilla", "-e", "cat(requireNamespace('sandwich', quietly = TRUE))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.stdout.strip() != "TRUE":
        pytest.skip("R package sandwich is not installed (statsmodels is the reference)")
    data = tmp_path / "points.tsv"
    pd.DataFrame({"x": _X, "y": _Y, "subject": _SUBJECTS}).to_csv(data, sep="\t", index=False)
    code = (
        f"d <- read.delim('{data}'); fit <- lm(y ~ x, data = d); "
        "v <- sandwich::vcovCL(fit, cluster = d$subject, type = 'HC1'); "
        "cat(sprintf('%.17g', sqrt(diag(v))))"
    )
    result = subprocess.run(
        [rscript, "--vanilla", "-e", code], capture_output=True, text=True, check=True
    )
    r_se = [float(v) for v in result.stdout.split()]
    ours = ols(_X, _Y, groups=_SUBJECTS)
    assert ours.intercept / ours.intercept_t == pytest.approx(r_se[0], rel=1e-8)
    assert ours.slope / ours.slope_t == pytest.approx(r_se[1], rel=1e-8)


def test_pairs_pooled_rows_are_clustered_with_the_naive_beside_and_one_row_per_visit() -> None:
    samples, _, _ = _fixture()
    table = pair_correlations(samples, [["A", "D"]])
    groups = set(table["group"])
    assert groups == {"A | pooled", "A | baseline", "A | post", "A | change"}
    pooled = table[table["group"] == "A | pooled"].set_index("analysis")
    assert {"ols_slope", "ols_slope_naive"} <= set(pooled.index)
    assert "cluster-robust SE by subject" in pooled.loc["ols_slope", "method"]
    assert pooled.loc["ols_slope", "estimate"] == pooled.loc["ols_slope_naive", "estimate"]
    assert pooled.loc["ols_slope", "p"] != pooled.loc["ols_slope_naive", "p"]
    # only the robust slope is adjusted; the naive slope and pooled rho keep q missing
    assert np.isnan(pooled.loc["ols_slope_naive", "q"])
    assert np.isnan(pooled.loc["spearman_rho", "q"])
    # each visit: one point per subject, the plain fit
    for visit in ("baseline", "post"):
        rows = table[table["group"] == f"A | {visit}"].set_index("analysis")
        assert "ols_slope_naive" not in rows.index
        assert rows.loc["ols_slope", "method"].startswith("OLS slope (statsmodels), t test")


def test_both_change_scales_are_one_family() -> None:
    samples, _, groups = _fixture()
    table = change_by_response(samples, groups)
    tests = table[table["analysis"].isin(["change_difference", "change_log2_ratio"])]
    tested = tests[tests["p"].notna()]
    # reference: statsmodels BH over both scales together
    expected = multipletests(tested["p"], method="fdr_bh")[1]
    assert tested["q"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert tested["q_family"].nunique() == 1
    family = tested["q_family"].iloc[0]
    assert family.startswith("change_difference and change_log2_ratio")
    assert family.endswith(f"{len(tested)} tests")


def _config() -> dict[str, object]:
    import yaml

    config = yaml.safe_load(Path("config/config.yaml").read_text(encoding="utf-8"))
    config["correlations"] = {**config["correlations"], "pairs": [["A", "D"]]}  # type: ignore[dict-item]
    config["subgroup"] = {"analyte": "D", "threshold": 300}
    return config


def test_primary_family_is_marked_and_everything_else_exploratory() -> None:
    samples, _, groups = _fixture()
    from assaypipe.stats import prepost
    from assaypipe.stats.frames import mark_primary

    table = mark_primary(prepost(samples, groups=groups), "prepost", "all")
    assert set(table["family"]) == {"primary", "exploratory"}
    primary = table[table["family"] == "primary"]
    assert (primary["group"] == "all").all() and len(primary) == samples["analyte"].nunique()
    tables.STATS.validate(table)
    # naming nothing that exists marks nothing primary
    nothing = mark_primary(table, "prepost", "no such group")
    assert (nothing["family"] == "exploratory").all()


def test_an_analyte_that_lost_every_value_keeps_its_rows_with_the_reason() -> None:
    samples, _, groups = _fixture()
    gone = samples[samples["analyte"] != "D"]
    exclusions = pd.DataFrame(
        {
            "source": ["qc", "qc"],
            "level": ["plate", "plate"],
            "plate_id": ["P1", "P2"],
            "well": [None, None],
            "analyte": ["D", "D"],
            "reason": ["QC fail: recovery", "QC fail: recovery"],
        }
    )
    lost = lost_analytes(gone, exclusions)
    assert lost == {"D": "all plates failed QC"}
    from assaypipe.stats import prepost, prepost_subgroup
    from assaypipe.stats.frames import note_lost

    table = note_lost(prepost(gone, groups=groups, expected=["D"]), lost)
    d_rows = table[table["analyte"] == "D"]
    assert len(d_rows) == 3  # all, nonresponder, responder
    assert (d_rows["n"] == 0).all()
    assert (d_rows["note"] == "D: all plates failed QC").all()
    # the others are untouched: the same p as without the lost analyte's rows
    kept = prepost(gone, groups=groups)
    assert table[table["analyte"] != "D"]["p"].to_numpy() == pytest.approx(
        kept["p"].to_numpy(), nan_ok=True
    )
    subgroup = prepost_subgroup(gone, analyte="D", threshold=300, groups=groups)
    assert (subgroup["n"] == 0).all()
    assert subgroup["note"].str.endswith("so the subgroup is empty").all()


def test_run_analysis_names_the_lost_analyte_in_every_table(tmp_path: Path) -> None:
    samples, subjects, groups = _fixture()
    subjects_table = pd.DataFrame(
        {
            "subject_id": subjects["subject_id"].astype(str),
            "primary": True,
            "group": subjects["subject_id"].astype(str).map(groups),
            "age": subjects["age"],
            "disease_duration": subjects["disease_duration"],
            "baseline_edss": subjects["baseline_edss"],
        }
    )
    gone = samples[samples["analyte"] != "D"]
    exclusions = pd.DataFrame(
        {"source": ["qc"], "level": ["plate"], "plate_id": ["P9"], "well": [None]}
    ).assign(analyte="D", reason="QC fail: recovery")
    config = _config()
    config["classify"] = {**config["classify"], "permutations": 19}  # type: ignore[dict-item]
    for name in ("prepost", "prepost_subgroup", "response_change", "correlations_pairs"):
        settings = Settings.from_config(config)
        table = run_analysis(name, gone, subjects_table, settings, exclusions=exclusions)
        tables.STATS.validate(table)
        empty = table[table["estimate"].isna()]
        assert empty["note"].notna().all(), name
        assert (table.loc[table["analysis"] == "prepost", "family"] == "primary").all() or (
            name != "prepost"
        )
        if name == "prepost_subgroup":
            assert empty["note"].str.startswith("D: all plates failed QC").all()
        else:
            mentions = empty["note"].str.startswith("D: all plates failed QC")
            assert mentions.any(), name


def test_an_analyte_whose_every_pair_is_censored_says_so_under_exclude() -> None:
    samples, _, _ = _fixture()
    from assaypipe.stats import prepost

    censored = samples.copy()
    a = censored["analyte"] == "A"
    censored.loc[a, "censor"] = "<LLOQ"
    table = prepost(censored, below_lloq="exclude").set_index("analyte")
    assert table.loc["A", "n"] == 0
    assert table.loc["A", "note"].startswith("n = 0: all values censored")
    # under LLOQ/2 the same data has its pairs
    assert prepost(censored).set_index("analyte").loc["A", "n"] > 0


def test_a_lost_predictor_of_a_pair_names_itself_in_the_pair_rows() -> None:
    samples, _, _ = _fixture()
    from assaypipe.stats.frames import note_lost

    gone = samples[samples["analyte"] != "A"]
    table = note_lost(pair_correlations(gone, [["A", "D"]]), {"A": "all plates failed QC"})
    assert (table["n"] == 0).all()
    assert (table["note"] == "A: all plates failed QC").all()
