"""qc.index: the study's wells indexed by plate x analyte, the pieces the checks read."""

from __future__ import annotations

import pandas as pd

from assaypipe.qc.index import engine_exclusions, group_order, usable_mask
from assaypipe.vocabulary import WellFlag

CURVE = {"converged": True, "a": 10.0, "b": 1.0, "c": 50.0, "d": 9000.0, "g": 1.0}


def test_the_engines_exclusions_come_from_the_column_not_the_text() -> None:
    curve = {**CURVE, "excluded_wells": "B1=masked outlier", "reasons": "C3 was odd"}
    assert engine_exclusions(curve) == {"B1": "masked outlier"}
    assert engine_exclusions(None) == {}


def test_flags_that_make_a_well_unusable() -> None:
    # above the curve a well is still read; too few beads or no signal, not
    flags = pd.Series(["", str(WellFlag.ABOVE_CURVE), str(WellFlag.LOW_BEADS), ""])
    assert usable_mask(flags).tolist() == [True, True, False, True]


def test_group_order_puts_groups_together_and_leaves_missing_keys_out() -> None:
    frame = pd.DataFrame({"plate": ["b", "a", None, "b", "a"]})
    order, bounds = group_order(frame, ["plate"])
    groups = [order[bounds[i] : bounds[i + 1]].tolist() for i in range(len(bounds) - 1)]
    assert groups == [[1, 4], [0, 3]]
