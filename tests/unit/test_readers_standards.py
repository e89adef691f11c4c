"""readers.standards: standard levels that do not fit a dilution series."""

from __future__ import annotations

import numpy as np

from assaypipe.readers.standards import BROKEN_SERIES, IMPLAUSIBLE_LEVEL, implausible_levels
from assaypipe.vocabulary import WellFlag


def test_a_level_far_off_a_twofold_series_is_implausible() -> None:
    levels = np.arange(5)
    # 1:2 steps, then a level 1000-fold too high (a typo of a unit or a decimal point)
    assert implausible_levels(levels, np.array([3450, 1725, 862.5, 431.25, 215625.0])) == [4]


def test_a_plausible_series_with_uneven_steps_is_kept() -> None:
    assert implausible_levels(np.arange(5), np.array([100, 40, 12, 3, 1.0])) == []


def test_the_flags_are_the_vocabularys() -> None:
    assert BROKEN_SERIES == WellFlag.BROKEN_DILUTION_SERIES
    assert IMPLAUSIBLE_LEVEL == WellFlag.IMPLAUSIBLE_EXPECTED_CONC
