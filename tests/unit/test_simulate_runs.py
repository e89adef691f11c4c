"""simulate.runs: what an instrument measures on a simulated plate, against the 5PL
written out."""

import numpy as np
import pytest

from assaypipe.simulate.kits import ELISA_DILUTION, ELISA_NFL, LUMINEX_4PLEX
from assaypipe.simulate.runs import Curve
from assaypipe.vocabulary import Role
from tests.simulated_plate import plate


def test_curve_signal_is_the_five_parameter_logistic():
    curve = Curve(a=30.0, b=1.2, c=500.0, d=20000.0, g=0.8)
    conc = np.array([0.0, 10.0, 500.0, 1e5])
    expected = [30.0 + (30.0 - 20000.0) * ((1 + (x / 500.0) ** 1.2) ** -0.8 - 1) for x in conc]
    assert curve.signal(conc) == pytest.approx(expected)
    # the hook divides by 1 + (conc / hook_at)^2: half the signal at hook_at
    hooked = Curve(30.0, 1.2, 500.0, 20000.0, 0.8, hook_at=2000.0)
    assert hooked.signal(np.array([2000.0]))[0] == pytest.approx(
        curve.signal(np.array([2000.0]))[0] / 2
    )


def test_a_luminex_run_has_the_standards_half_steps_and_one_bad_well():
    run, layout = plate("luminex_4plex_P1", LUMINEX_4PLEX)
    assert run.signal.shape == run.conc.shape == run.counts.shape == (96, 4)
    for i, w in enumerate(layout):
        if w.role == Role.STANDARD and w.level is not None:
            assert run.conc[i].tolist() == [an.standards()[w.level - 1] for an in LUMINEX_4PLEX]
        if w.role == Role.BLANK:
            assert (run.conc[i] == 0).all()
    assert np.array_equal(run.signal * 2, np.rint(run.signal * 2))  # MFI in half steps
    assert run.bad_well is not None and layout[run.bad_well].role == Role.SAMPLE
    assert (run.counts[run.bad_well] < 26).all()
    others = np.delete(run.counts, run.bad_well, axis=0)
    assert abs(others.mean() - 90) < 3  # Poisson bead counts, mean 90


def test_an_elisa_run_divides_samples_by_their_dilution_and_has_no_beads():
    run, layout = plate("elisa_nfl_P1", (ELISA_NFL,), luminex=False)
    diluted, _ = plate("elisa_nfl_P1", (ELISA_NFL,), luminex=False, sample_dilution=ELISA_DILUTION)
    samples = [i for i, w in enumerate(layout) if w.role == Role.SAMPLE]
    assert diluted.conc[samples, 0] == pytest.approx(run.conc[samples, 0] / ELISA_DILUTION)
    assert run.bad_well is None and not run.counts.any()
    assert np.array_equal(run.signal, np.round(run.signal, 3))
