"""simulate.layout: the simulated 96-well plate."""

from collections import Counter

import numpy as np
import pytest

from assaypipe.simulate.layout import plate_layout
from assaypipe.simulate.model import samples_of, simulate_subjects
from assaypipe.vocabulary import Role


def layout():
    return plate_layout(samples_of(simulate_subjects(np.random.default_rng(0))))


def test_96_wells_in_acquisition_order():
    wells = layout()
    assert len(wells) == 96
    assert [w.well for w in wells[:9]] == ["A1", "B1", "C1", "D1", "E1", "F1", "G1", "H1", "A2"]
    assert wells[-1].well == "H12"
    assert Counter(w.role for w in wells) == {
        Role.BLANK: 2, Role.STANDARD: 14, Role.CONTROL: 4, Role.SAMPLE: 76
    }  # fmt: skip


def test_duplicates_sit_side_by_side():
    by_well = {w.well: w for w in layout()}
    for row in "ABCDEFGH":
        for col in range(1, 13, 2):
            left, right = by_well[f"{row}{col}"], by_well[f"{row}{col + 1}"]
            assert (left.role, left.name, left.level) == (right.role, right.name, right.level)
    assert by_well["A1"].role == Role.BLANK
    assert [by_well[f"{r}1"].level for r in "BCDEFGH"] == list(range(1, 8))
    assert (by_well["A3"].name, by_well["B3"].name) == ("Control1", "Control2")


def test_a_plate_that_does_not_fill_refuses():
    samples = samples_of(simulate_subjects(np.random.default_rng(0)))
    with pytest.raises(ValueError, match="37 samples do not fill a 96-well plate"):
        plate_layout(samples[:-1])
