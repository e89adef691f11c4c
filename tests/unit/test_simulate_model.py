"""simulate.model: the simulated subjects, their samples and outcomes, and the knobs."""

import numpy as np
import pytest

from assaypipe.simulate.model import (
    MONTHS,
    N_BASELINE_ONLY,
    N_SUBJECTS,
    Difficulty,
    edss_at_threshold,
    edss_course,
    outcomes_table,
    samples_of,
    simulate_concentrations,
    simulate_subjects,
)


def test_subjects_and_their_samples():
    subjects = simulate_subjects(np.random.default_rng(1))
    samples = samples_of(subjects)
    assert len(subjects) == N_SUBJECTS
    assert sum(not s.has_post for s in subjects) == N_BASELINE_ONLY
    assert len(samples) == 2 * N_SUBJECTS - N_BASELINE_ONLY
    assert len({s.sample_id for s in samples}) == len(samples)
    assert {s.visit for s in samples} == {"baseline", "post"}
    assert all(len(s.edss) == len(MONTHS) for s in subjects)


def test_edss_courses_follow_the_responder_rule():
    rng = np.random.default_rng(2)
    for _ in range(50):
        baseline = float(rng.choice([4.0, 5.5, 6.5]))
        r = edss_course(rng, baseline, responder=True)
        assert r[2] <= baseline - 0.5 and r[3] <= baseline - 0.5  # sustained at 12 and 30
        n = edss_course(rng, baseline, responder=False)
        assert n[2] >= baseline and n[3] >= n[2]
    assert edss_at_threshold(6.0, True) == (6.0, 6.0, 5.5, 5.5)
    assert edss_at_threshold(6.0, False) == (6.0, 6.0, 5.5, 6.0)


def test_outcomes_table_has_a_row_per_subject_and_month():
    subjects = simulate_subjects(np.random.default_rng(1))
    header, rows = outcomes_table(subjects)
    assert "subject_id" in header and len(rows) == N_SUBJECTS * len(MONTHS)


def test_concentrations_are_positive_for_every_sample_and_analyte():
    rng = np.random.default_rng(4)
    subjects = simulate_subjects(rng)
    samples = samples_of(subjects)
    conc = simulate_concentrations(rng, subjects, samples)
    assert len(conc) == len(samples) * 6
    assert all(v > 0 for v in conc.values())


def test_knobs_refuse_values_out_of_range_and_state_units():
    assert Difficulty(unit="ng/mL").conc(2500.0) == 2.5
    assert Difficulty().conc(2500.0) == 2500.0
    for bad, message in [
        ({"noise": -1.0}, "noise must be 0 or more"),
        ({"hook": 1.5}, "hook must be a share"),
        ({"unit": "mg/L"}, "unit must be one of pg/mL, ng/mL"),
        ({"reporter_loss": 1.0}, "reporter_loss must be a share from 0 up to 1"),
        ({"near_lloq": -0.1}, "near_lloq must be a share"),
    ]:
        with pytest.raises(ValueError, match=message):
            Difficulty(**bad)
