"""simulate.kits: the simulated kits' standards, controls and plate ids."""

from itertools import pairwise

import pytest

from assaypipe.simulate.kits import (
    ANALYTES,
    DILUTION_STEP,
    ELISA_NFL,
    LUMINEX_4PLEX,
    LUMINEX_TGFB2,
    MSD_2PLEX,
    N_STANDARDS,
    kit_of,
)


def test_standards_are_a_fourfold_dilution_series_from_the_top():
    ccl2 = LUMINEX_4PLEX[0]
    assert ccl2.standards() == [10000.0, 2500.0, 625.0, 156.25, 39.0625, 9.765625, 2.44140625]
    for analyte in (*LUMINEX_4PLEX, *MSD_2PLEX, ELISA_NFL):
        levels = analyte.standards()
        assert len(levels) == N_STANDARDS
        assert all(hi / lo == pytest.approx(DILUTION_STEP) for hi, lo in pairwise(levels))


def test_controls_are_15_and_1_5_percent_of_the_top_in_two_digits():
    assert LUMINEX_4PLEX[0].controls() == [1500.0, 150.0]
    # IL-8: 2000 pg/mL top
    assert LUMINEX_4PLEX[3].controls() == [300.0, 30.0]
    for analyte in (*LUMINEX_4PLEX, *LUMINEX_TGFB2):
        low, high = min(analyte.standards()), max(analyte.standards())
        assert all(low < c < high for c in analyte.controls())


def test_kits_analytes_and_plate_ids():
    names = [an.name for an in (*LUMINEX_4PLEX, *LUMINEX_TGFB2, ELISA_NFL)]
    assert sorted(names) == sorted(ANALYTES)
    assert len({an.bead_id for an in (*LUMINEX_4PLEX, *LUMINEX_TGFB2)}) == 5
    assert kit_of("luminex_4plex_P1") == "luminex_4plex"
    assert kit_of("elisa_nfl_P0007") == "elisa_nfl"
