"""qc.index: the study's wells indexed by plate x analyte, the pieces the checks read."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from assaypipe.curves.limits import back_calculated, level_columns
from assaypipe.qc.checks import selected_curves
from assaypipe.qc.index import Study, engine_exclusions, group_medians, group_order, usable_mask
from assaypipe.vocabulary import WellFlag
from tests.unit.test_qc import PARAMS, make_plate, study

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


def test_group_medians_are_numpys_median_of_each_group() -> None:
    rng = np.random.default_rng(7)
    sizes = [0, 1, 2, 3, 4, 5, 8, 9, 0, 2, 3, 1, 0]
    values = rng.lognormal(3, 2, sum(sizes))
    values[rng.integers(0, len(values), 6)] = rng.integers(1, 4, 6)  # ties
    values[sum(sizes[:9]) + 1] = math.nan  # in the second group of two
    values[sum(sizes[:10]) + 2] = math.nan  # last of a group of three
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    found = group_medians(values, bounds)
    assert len(found) == len(sizes)
    for i, (start, stop) in enumerate(itertools.pairwise(bounds.tolist())):
        if start == stop:
            assert math.isnan(found[i])
            continue
        expected = float(np.median(values[start:stop]))
        assert found[i] == expected or (math.isnan(found[i]) and math.isnan(expected))
    assert math.isnan(group_medians(np.array([]), np.array([0, 0]))[0])


def test_the_studys_levels_are_what_level_columns_gives_each_plate() -> None:
    wells, curves, _ = study(
        make_plate("P1"), make_plate("P2", signal_factor=1.3), make_plate("P1", analyte="HGF")
    )
    rng = np.random.default_rng(11)
    standard = (wells["role"] == "standard").to_numpy()
    wells.loc[standard, "signal"] *= rng.uniform(0.9, 1.1, int(standard.sum()))
    wells.loc[np.flatnonzero(standard)[[0, 5, 17]], "signal"] = math.nan
    wells.loc[np.flatnonzero(standard)[[3, 20]], "flags"] = str(WellFlag.LOW_BEADS)
    found = Study.of(wells.sample(frac=1, random_state=3), selected_curves(curves))
    assert len(found.keys) == 3
    for i in range(len(found.keys)):
        pair = found.pair(i)
        fitted = pair.left_out == ""
        standards = pair.standards
        expected = level_columns(PARAMS, standards.expected[fitted], standards.signal[fitted])
        levels = pair.levels
        batched = back_calculated(
            PARAMS, levels.expected, levels.count, levels.mean_signal, levels.cv
        )
        assert list(batched) == list(expected)
        for name, column in expected.items():
            assert batched[name].dtype == column.dtype
            assert np.array_equal(batched[name], column, equal_nan=True), name
