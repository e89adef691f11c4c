"""Every statistic assaypipe reports, compared with R on the same fixed data.

The references are R's own tests, run by the scripts in tests/reference/:
``wilcox.test(y, x, paired = TRUE, exact = TRUE, conf.int = TRUE)``, the two-sample
``wilcox.test(x, y, conf.int = TRUE)``, ``lm``, ``cor.test(method = "spearman")`` and
``p.adjust(method = "BH")``. Agreement is required to 1e-6 relative. Without R the
tests skip locally and fail in CI (the ``rscript`` fixture).
"""

from __future__ import annotations

import csv
import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from assaypipe.stats import (
    change_by_response,
    covariate_correlations,
    ols,
    pair_correlations,
    prepost,
    prepost_sensitivity,
    prepost_subgroup,
    prepost_summary,
    rank_sum,
    signed_rank,
    spearman,
)
from tests.conftest import REPO

REFERENCE = REPO / "tests" / "reference"
RELATIVE = 1e-6


def _v(text: str) -> list[float]:
    return [float(v) for v in text.split()]


def _spread(n: int, step: float, offset: float) -> list[float]:
    # distinct values without symmetric pairs: i * 7919 mod 1000 runs through distinct
    # residues, and the irrational offset keeps |d| from coinciding
    return [((i * 7919) % 1000) * step - 4.3 + offset for i in range(1, n + 1)]


PRE_60 = [10.0 + 0.5 * i for i in range(60)]

# pre (x) and post (y); the difference tested is y - x
PAIRED = {
    # Hollander & Wolfe's depression scores (R's ?wilcox.test example): exact
    "hollander_wolfe": (
        [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30],
        [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29],
    ),
    # a zero difference and ties: normal approximation, CI by root finding, and R
    # lowers the confidence level to 0.9
    "ties_and_zero": ([1, 2, 3, 4, 5, 6, 7, 8], [2, 4, 4, 7, 5, 9, 9, 9.5]),
    "exact_n12": (
        [12.1, 8.4, 15.2, 9.9, 11.7, 13.3, 10.2, 7.8, 14.6, 9.1, 12.9, 11.0],
        [10.3, 8.9, 12.1, 9.2, 9.0, 12.45, 10.05, 6.1, 11.8, 9.75, 10.6, 10.13],
    ),
    "ties_zeros_n16": (
        _v("20.0 21.5 19.25 30.0 25.5 22.0 18.75 27.0 24.25 26.5 23.0 28.75 17.5 29.0 31.25 16.0"),
        _v("22.0 21.5 21.25 31.0 27.5 21.0 19.75 30.0 24.25 29.5 25.0 28.75 19.5 32.0 30.25 18.0"),
    ),
    # n = 4: no 95% interval exists; R reports the achieved 88% (1 - signif(2/16, 2))
    "small_n4": ([5.0, 7.0, 6.0, 9.0], [6.5, 7.25, 8.0, 9.5]),
    # every difference the same: no interval, the midrange as estimate
    "all_equal_differences": ([1.0, 2.0, 3.0, 4.0, 5.0], [2.5, 3.5, 4.5, 5.5, 6.5]),
    # n = 60 without ties: still exact (exact = TRUE), beyond R's default of n < 50
    "exact_n60": (PRE_60, [p + d for p, d in zip(PRE_60, _spread(60, 0.01, 0.00141), strict=True)]),
    "normal_n250_ties": (
        [100.0 + i for i in range(250)],
        [100.0 + i + ((i * 37) % 23 - 10) * 0.5 for i in range(250)],
    ),
}

# x and y; the shift estimated is x - y
UNPAIRED = {
    "exact_10_5": (
        [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46],
        [1.15, 0.88, 0.90, 0.74, 1.21],
    ),
    "ties_8_7": ([1.5, 2, 2, 3.5, 4, 6, 7, 7], [0.5, 1, 2, 2, 3, 3.5, 5]),
    # 3 vs 4: the 95% interval is not reachable; R reports the achieved level
    "small_3_4": ([3.1, 4.7, 5.2], [1.0, 2.2, 2.9, 4.1]),
    "exact_9_9": (
        [120.4, 310.2, 95.7, 205.1, 160.0, 278.3, 140.9, 188.8, 230.6],
        [-20.3, 45.1, 12.2, -60.7, 30.3, -5.5, 70.8, 5.05],
    ),
    "ties_negative": ([-3, -2.5, -2.5, -1, 0, 0, 1.5], [-1, 0, 0, 0.5, 2, 2, 3, 4.5]),
    "normal_55_12": (
        _spread(55, 0.013, 0.000707),
        [v + 1.1 for v in _spread(12, 0.021, 0.000313)],
    ),
}

LM = {
    "line_n10": (
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        [2.3, 2.9, 4.4, 4.1, 6.2, 6.0, 7.9, 8.1, 9.7, 9.4],
    ),
    "inverse_n14": (
        _v("310.0 250.5 420.2 380.1 205.7 290.0 515.3 330.3 275.8 460.0 240.1 360.6 300.2 395.5"),
        _v("240.2 301.7 160.0 180.3 330.9 250.0 90.4 231.1 290.3 140.0 270.8 222.2 260.1 175.5"),
    ),
}

SPEARMAN = {
    "exact_n5": ([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0]),
    "exact_n7": (
        [0.346, 0.822, 0.33, -1.303, 0.905, 0.446, -0.537],
        [-0.609, 0.154, 0.173, -0.927, 1.747, 1.23, -2.98],
    ),
    "exact_negative_n8": (
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        [7.5, 8.1, 6.0, 5.2, 6.6, 3.3, 2.0, 4.4],
    ),
    "exact_n9": (
        [3.2, 1.1, 4.8, 2.2, 5.9, 7.7, 6.1, 8.4, 9.0],
        [2.0, 3.3, 1.2, 4.4, 6.5, 5.1, 9.2, 7.3, 8.8],
    ),
    "edgeworth_n10": (
        [3.2, 1.1, 4.8, 2.2, 5.9, 7.7, 6.1, 8.4, 9.0, 10.5],
        [2.0, 3.3, 1.2, 4.4, 6.5, 5.1, 9.2, 7.3, 8.8, 6.0],
    ),
    "edgeworth_n18": (
        _v(
            "0.346 0.822 0.33 -1.303 0.905 0.446 -0.537 0.581 0.365 "
            "0.294 0.028 0.547 -0.736 -0.163 -0.482 0.599 0.04 -0.292"
        ),
        _v(
            "-0.609 0.154 0.173 -0.927 1.747 1.23 -2.98 -1.599 0.008 "
            "-0.275 0.228 0.491 1.75 -1.194 -0.619 2.342 0.667 0.517"
        ),
    ),
    "edgeworth_negative_n14": (
        [float(i) for i in range(14)],
        [13.0, 11.0, 12.0, 9.0, 10.5, 8.0, 3.0, 7.0, 6.0, 5.5, 4.0, 0.5, 2.0, 1.0],
    ),
    "ties_n12": (
        [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        [2.0, 1.0, 3.0, 3.0, 5.0, 4.0, 7.0, 6.0, 6.0, 9.0, 8.0, 11.0],
    ),
}

BH = {"p_values": [0.01, 0.04, 0.03, 0.2, 0.5, 0.001, 0.049]}


def _close(actual: float, expected: float) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=RELATIVE, abs_tol=1e-12)


def _run(rscript: str, script: str, *args: Path) -> None:
    result = subprocess.run(
        [rscript, "--vanilla", str(REFERENCE / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def r_tests(rscript: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, float]]:
    folder = tmp_path_factory.mktemp("r_tests")
    cases = folder / "cases.csv"
    with cases.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case", "kind", "x", "y"])
        for kind, table in (("paired", PAIRED), ("unpaired", UNPAIRED), ("lm", LM)):
            for name, (x, y) in table.items():
                for i in range(max(len(x), len(y))):
                    # repr: the shortest text that reads back as the same double in R
                    cells = [repr(float(v[i])) if i < len(v) else "NA" for v in (x, y)]
                    writer.writerow([name, kind, *cells])
        for name, (x, y) in SPEARMAN.items():
            writer.writerows(
                [name, "spearman", repr(a), repr(b)] for a, b in zip(x, y, strict=True)
            )
        for name, values in BH.items():
            writer.writerows([name, "bh", repr(v), "NA"] for v in values)
    out = folder / "out.tsv"
    _run(rscript, "tests_reference.R", cases, out)
    reference: dict[str, dict[str, float]] = {}
    for record in pd.read_csv(out, sep="\t", keep_default_na=False).itertuples():
        reference.setdefault(str(record.case), {})[str(record.key)] = float(record.value)
    return reference


def _compare(name: str, got: dict[str, float], reference: dict[str, float]) -> None:
    assert set(got) <= set(reference), f"{name}: R did not report {set(got) - set(reference)}"
    wrong = {key: (got[key], reference[key]) for key in got if not _close(got[key], reference[key])}
    assert not wrong, f"{name}: assaypipe vs R (tests/reference/tests_reference.R): {wrong}"


@pytest.mark.parametrize("name", sorted(PAIRED))
def test_signed_rank_matches_r_wilcox_test_paired(
    name: str, r_tests: dict[str, dict[str, float]]
) -> None:
    # R: wilcox.test(y, x, paired = TRUE, exact = TRUE, conf.int = TRUE); R's estimate
    # with ties is its root finder's (hodges_lehmann="r"; the default's is in
    # test_stats_exact.py)
    x, y = (np.asarray(v, dtype=float) for v in PAIRED[name])
    result = signed_rank(y - x, hodges_lehmann="r")
    got = {
        "statistic": result.statistic,
        "p": result.p,
        "estimate": result.interval.estimate,
        "ci_low": result.interval.low,
        "ci_high": result.interval.high,
        "abs_z": abs(result.z),
    }
    if math.isfinite(result.interval.low):
        got["confidence"] = result.interval.confidence
    _compare(name, got, r_tests[name])


@pytest.mark.parametrize("name", sorted(UNPAIRED))
def test_rank_sum_matches_r_wilcox_test_two_sample(
    name: str, r_tests: dict[str, dict[str, float]]
) -> None:
    # R: wilcox.test(x, y, conf.int = TRUE), R's estimate with ties (hodges_lehmann="r")
    x, y = (np.asarray(v, dtype=float) for v in UNPAIRED[name])
    result = rank_sum(x, y, hodges_lehmann="r")
    got = {
        "statistic": result.statistic,
        "p": result.p,
        "estimate": result.interval.estimate,
        "ci_low": result.interval.low,
        "ci_high": result.interval.high,
        "confidence": result.interval.confidence,
    }
    _compare(name, got, r_tests[name])


@pytest.mark.parametrize("name", sorted(LM))
def test_ols_matches_r_lm(name: str, r_tests: dict[str, dict[str, float]]) -> None:
    # R: lm(y ~ x); confint(fit); summary(fit)
    x, y = (np.asarray(v, dtype=float) for v in LM[name])
    fit = ols(x, y)
    got = {
        "intercept": fit.intercept,
        "slope": fit.slope,
        "intercept_low": fit.intercept_ci[0],
        "intercept_high": fit.intercept_ci[1],
        "slope_low": fit.slope_ci[0],
        "slope_high": fit.slope_ci[1],
        "intercept_t": fit.intercept_t,
        "slope_t": fit.slope_t,
        "intercept_p": fit.intercept_p,
        "slope_p": fit.slope_p,
        "r_squared": fit.r_squared,
        "f": fit.f,
        "f_p": fit.f_p,
    }
    _compare(name, got, r_tests[name])


@pytest.mark.parametrize("name", sorted(SPEARMAN))
def test_spearman_matches_r_cor_test(name: str, r_tests: dict[str, dict[str, float]]) -> None:
    # R: cor.test(x, y, method = "spearman")
    x, y = (np.asarray(v, dtype=float) for v in SPEARMAN[name])
    result = spearman(x, y)
    _compare(name, {"rho": result.rho, "s": result.s, "p": result.p}, r_tests[name])


def test_bh_matches_r_p_adjust(r_tests: dict[str, dict[str, float]]) -> None:
    # R: p.adjust(p, method = "BH")
    q = multipletests(BH["p_values"], method="fdr_bh")[1]
    _compare("p_values", {f"q{i + 1}": float(v) for i, v in enumerate(q)}, r_tests["p_values"])


# --- the study tables, computed from scratch in R -------------------------------------


def _fixture() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    samples = pd.read_csv(REFERENCE / "study_samples.tsv", sep="\t", keep_default_na=False)
    samples["censor"] = samples["censor"].replace("", None)
    subjects = pd.read_csv(REFERENCE / "study_subjects.tsv", sep="\t")
    labelled = subjects[subjects["group"].isin(["responder", "nonresponder"])]
    groups = pd.Series(labelled["group"].to_numpy(), index=labelled["subject_id"].astype(str))
    return samples, subjects, groups


def _python_tables() -> pd.DataFrame:
    # R's Hodges-Lehmann estimate with ties (its root finder), to compare with R
    samples, subjects, groups = _fixture()
    r = "r"
    return pd.concat(
        [
            prepost(samples, groups=groups, hodges_lehmann=r),
            prepost_summary(samples, groups=groups, hodges_lehmann=r),
            prepost_sensitivity(samples, hodges_lehmann=r),
            prepost_subgroup(samples, analyte="D", threshold=300, groups=groups, hodges_lehmann=r),
            change_by_response(samples, groups, hodges_lehmann=r),
            pair_correlations(samples, [["A", "D"]]),
            covariate_correlations(samples, subjects),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def r_study(rscript: str, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("r_study") / "out.tsv"
    _run(
        rscript,
        "study_reference.R",
        REFERENCE / "study_samples.tsv",
        REFERENCE / "study_subjects.tsv",
        out,
    )
    reference = pd.read_csv(out, sep="\t", keep_default_na=False)
    reference["value"] = reference["value"].astype(float)
    return reference


def test_study_tables_match_r(r_study: pd.DataFrame) -> None:
    # R: tests/reference/study_reference.R on tests/reference/study_*.tsv
    tables = _python_tables()
    fields = ["n", "estimate", "ci_low", "ci_high", "statistic", "p", "q"]
    ours = tables.melt(
        id_vars=["analysis", "analyte", "group"], value_vars=fields, var_name="field"
    ).set_index(["analysis", "analyte", "group", "field"])["value"]
    assert ours.index.is_unique
    missing = []
    wrong = []
    for record in r_study.itertuples():
        key = (record.analysis, record.analyte, record.group, record.field)
        if key not in ours.index:
            missing.append(key)
            continue
        got = float(ours.loc[key])
        if not _close(got, float(record.value)):
            wrong.append((key, got, record.value))
    assert not missing, f"rows R reports but assaypipe does not: {missing[:10]}"
    assert not wrong, f"assaypipe vs R (tests/reference/study_reference.R): {wrong[:10]}"
    # every analysis is covered, and by far most of what assaypipe reports
    assert set(r_study["analysis"]) == set(tables["analysis"])
    compared = len(r_study)
    reported = int(ours.notna().sum())
    assert compared >= 0.95 * reported, (compared, reported)


def test_study_fixture_covers_the_hard_cases() -> None:
    # The fixed study must keep exercising exact and approximate paths alike.
    tables = _python_tables()
    methods = " ".join(tables["method"])
    assert "p exact" in methods
    assert "normal approximation with continuity correction" in methods
    assert "inversion as R" in methods and "Walsh-average" in methods
    assert "pairwise-difference" in methods
    assert "Edgeworth" in methods and "t approximation" in methods
    zeros = tables[(tables["analysis"] == "prepost") & (tables["analyte"] == "C")]
    assert zeros["method"].str.contains(r"[1-9] zero differences").all()
