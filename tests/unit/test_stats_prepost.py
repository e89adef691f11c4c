"""stats.prepost: pre vs post tests per analyte, by group and under each censoring policy.

Reference: scipy.stats.wilcoxon on the same paired differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from assaypipe.stats.prepost import prepost, prepost_sensitivity, subgroup_subjects
from tests.paired_samples import paired_samples

# post - pre of distinct sizes, so the exact p needs no tie correction
CHANGES = [-20.0, -3.0, 5.0, -12.0, -7.0, -15.0, 2.0, -9.0]
PAIRS = {f"P{i}": (100.0 + 10 * i, 100.0 + 10 * i + d) for i, d in enumerate(CHANGES)}
SAMPLES = paired_samples({"CCL2": PAIRS})


def test_prepost_p_is_the_signed_rank_test_of_the_differences() -> None:
    table = prepost(SAMPLES)
    row = table[table["analyte"] == "CCL2"].iloc[0]
    differences = np.array([post - pre for pre, post in PAIRS.values()])
    assert row["n"] == 8
    assert row["p"] == pytest.approx(sps.wilcoxon(differences, method="exact").pvalue)


def test_groups_get_their_own_rows() -> None:
    groups = pd.Series({f"P{i}": ("responder" if i % 2 else "nonresponder") for i in range(8)})
    table = prepost(SAMPLES, groups=groups)
    assert {"all", "responder", "nonresponder"} <= set(table["group"])
    assert table.loc[table["group"] == "responder", "n"].iloc[0] == 4


def test_sensitivity_reruns_under_each_policy() -> None:
    low = paired_samples(
        {"IL8": {f"P{i}": (5.0 + i, 0.5 if i == 0 else 7.0 + i) for i in range(6)}}
    )
    table = prepost_sensitivity(low, ["half_lloq", "exclude"])
    by_policy = table.set_index("analysis")["n"]
    assert by_policy["sensitivity_half_lloq"] == 6
    assert by_policy["sensitivity_exclude"] == 5


def test_subgroup_takes_subjects_above_the_threshold_at_baseline() -> None:
    chosen = subgroup_subjects(SAMPLES, "CCL2", 150.0, "baseline", "half_lloq")
    assert chosen == {"P6", "P7"}  # P5 is at 150, not above
