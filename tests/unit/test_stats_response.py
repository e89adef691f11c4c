"""stats.response: each subject's change, and the change compared between groups.

Reference: scipy.stats.mannwhitneyu (exact, no ties) on the subjects' differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from assaypipe.stats.response import change_by_response, subject_changes
from tests.paired_samples import paired_samples

PAIRS = {f"P{i}": (10.0 + i, 12.0 + 2 * i + (i % 2) * 0.7) for i in range(8)}
SAMPLES = paired_samples({"A": PAIRS, "B": {"P0": (0.2, 4.0), "P1": (2.0, 4.0)}})
GROUPS = pd.Series({f"P{i}": ("responder" if i % 2 else "nonresponder") for i in range(8)})


def test_subject_changes_are_differences_and_log2_ratios() -> None:
    changes = subject_changes(SAMPLES, "baseline", "post", "half_lloq")["A"]
    assert changes.loc["P3", "difference"] == pytest.approx(18.7 - 13.0)
    assert changes.loc["P3", "log2_ratio"] == pytest.approx(np.log2(18.7 / 13.0))
    # B's P0 (0.2) is <LLOQ at baseline: LLOQ/2 = 0.5 under half_lloq, not 0.2
    b = subject_changes(SAMPLES, "baseline", "post", "half_lloq")["B"]
    assert b.loc["P0", "difference"] == pytest.approx(3.5)


def test_change_by_response_is_a_rank_sum_test_of_the_differences() -> None:
    table = change_by_response(SAMPLES, GROUPS)
    row = table[(table["analysis"] == "change_difference") & (table["analyte"] == "A")].iloc[0]
    diffs = {s: post - pre for s, (pre, post) in PAIRS.items()}
    first = [d for s, d in diffs.items() if GROUPS[s] == "nonresponder"]
    second = [d for s, d in diffs.items() if GROUPS[s] == "responder"]
    assert row["group"] == "nonresponder vs responder"
    assert row["p"] == pytest.approx(sps.mannwhitneyu(first, second, method="exact").pvalue)
