"""stats.correlations: OLS and Spearman of one analyte on another, per visit and change.

Reference: numpy.polyfit for the slope; scipy.stats.spearmanr for rho.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from assaypipe.stats.correlations import COVARIATES, pair_correlations
from tests.paired_samples import paired_samples

X = {f"P{i}": (10.0 + i, 12.0 + 2 * i) for i in range(8)}
Y = {f"P{i}": (5.0 + 0.5 * i + (i % 2) * 0.3, 6.0 + i) for i in range(8)}
SAMPLES = paired_samples({"A": X, "B": Y})


def _row(table, analysis: str, group: str):  # type: ignore[no-untyped-def]
    return table[(table["analysis"] == analysis) & (table["group"] == group)].iloc[0]


def test_slope_and_rho_at_baseline_as_numpy_and_scipy() -> None:
    table = pair_correlations(SAMPLES, [["A", "B"]])
    x = np.array([pre for pre, _ in X.values()])
    y = np.array([pre for pre, _ in Y.values()])
    assert _row(table, "ols_slope", "A | baseline")["estimate"] == pytest.approx(
        np.polyfit(x, y, 1)[0]
    )
    rho = _row(table, "spearman_rho", "A | baseline")
    assert rho["estimate"] == pytest.approx(sps.spearmanr(x, y).statistic)
    assert rho["n"] == 8


def test_the_change_rows_regress_differences_on_differences() -> None:
    table = pair_correlations(SAMPLES, [["A", "B"]])
    dx = np.array([post - pre for pre, post in X.values()])
    dy = np.array([post - pre for pre, post in Y.values()])
    slope = _row(table, "ols_slope", "A | change")["estimate"]
    assert slope == pytest.approx(np.polyfit(dx, dy, 1)[0])
    assert {"A | baseline", "A | post", "A | change", "A | pooled"} <= set(table["group"])


def test_the_covariates_are_the_configs_choices() -> None:
    assert COVARIATES == ("age", "disease_duration", "baseline_edss")
