"""qc.checks: the pieces the per plate x analyte checks are built from."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from assaypipe.qc.checks import (
    curve_params,
    engine_exclusions,
    group_order,
    level_name,
    row,
    usable_mask,
)
from assaypipe.vocabulary import QcStatus, WellFlag

CURVE = {"converged": True, "a": 10.0, "b": 1.0, "c": 50.0, "d": 9000.0, "g": 1.0}


def test_only_a_converged_curve_with_finite_parameters_gives_parameters() -> None:
    assert curve_params(CURVE) == {"a": 10.0, "b": 1.0, "c": 50.0, "d": 9000.0, "g": 1.0}
    assert curve_params({**CURVE, "converged": False}) is None
    assert curve_params({**CURVE, "c": math.nan}) is None
    assert curve_params(None) is None


def test_the_engines_exclusions_come_from_the_column_not_the_text() -> None:
    curve = {**CURVE, "excluded_wells": "B1=masked outlier", "reasons": "C3 was odd"}
    assert engine_exclusions(curve) == {"B1": "masked outlier"}
    assert engine_exclusions(None) == {}


def test_a_level_is_named_by_its_kit_number_else_its_concentration() -> None:
    assert level_name(1000.0, 3.0) == "S3"
    assert level_name(12.5, math.nan) == "12.5"


def test_flags_that_make_a_well_unusable() -> None:
    # above the curve a well is still read; too few beads or no signal, not
    flags = pd.Series(["", str(WellFlag.ABOVE_CURVE), str(WellFlag.LOW_BEADS), ""])
    assert usable_mask(flags).tolist() == [True, True, False, True]


def test_group_order_puts_groups_together_and_leaves_missing_keys_out() -> None:
    frame = pd.DataFrame({"plate": ["b", "a", None, "b", "a"]})
    order, bounds = group_order(frame, ["plate"])
    groups = [order[bounds[i] : bounds[i + 1]].tolist() for i in range(len(bounds) - 1)]
    assert groups == [[1, 4], [0, 3]]


def test_a_row_holds_what_the_qc_table_asks() -> None:
    made = row("P1", "IL-6", "blank", 0.1, "<= 0.2", QcStatus.PASS)
    assert made["status"] == "pass" and made["unit"] == "" and made["detail"] == ""
    assert np.isclose(made["value"], 0.1)
