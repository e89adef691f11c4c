"""qc.levey_jennings: run order, guide sets and the Westgard verdicts across plates.

Reference: the guide mean and SD computed here with numpy (ddof=1) and the 1-3s rule
applied by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assaypipe.qc.levey_jennings import levey_jennings, run_order
from assaypipe.vocabulary import QcStatus, SeriesKind

GUIDE = [10.0, 11.0, 9.0, 10.5, 9.5]


def test_run_order_by_time_with_and_without_a_zone_then_unknown_last() -> None:
    plates = pd.DataFrame(
        {
            "plate_id": ["p3", "p1", "p2", "p4"],
            "run_time": ["2024-01-03T09:00:00+00:00", "2024-01-01 09:00", "2024-01-02 09:00", ""],
        }
    )
    order = run_order(plates, {"p1", "p2", "p3", "p4"})
    assert order.to_dict() == {"p1": 0, "p2": 1, "p3": 2, "p4": 3}


def test_a_plate_beyond_three_guide_sds_fails_one_within_passes() -> None:
    mean, sd = np.mean(GUIDE), np.std(GUIDE, ddof=1)
    judged = [mean + 1.0 * sd, mean + 3.5 * sd]
    plate_ids = [f"p{i}" for i in range(len(GUIDE) + 2)]
    values = pd.DataFrame(
        {
            "analyte": "IL-6",
            "series": "Control1",
            "kind": SeriesKind.CONTROL,
            "plate_id": plate_ids,
            "value": GUIDE + judged,
        }
    )
    order = pd.Series(range(len(plate_ids)), index=plate_ids)
    table = levey_jennings(values, order, guide_plates=len(GUIDE), rules=["1-3s"])
    assert table["guide"].tolist() == [True] * 5 + [False] * 2
    assert table["mean"].iloc[-1] == pytest.approx(mean)
    assert table["sd"].iloc[-1] == pytest.approx(sd)
    assert table["status"].tolist()[-2:] == [QcStatus.PASS, QcStatus.FAIL]
