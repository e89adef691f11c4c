"""A small simulated plate for the simulator's writer tests: the subjects, samples and
96-well layout of the default study and one run of a chosen kit on it."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from assaypipe.simulate.kits import Analyte
from assaypipe.simulate.layout import Well, plate_layout
from assaypipe.simulate.model import (
    DEFAULT_SEED,
    Difficulty,
    samples_of,
    simulate_concentrations,
    simulate_msd_concentrations,
    simulate_subjects,
)
from assaypipe.simulate.runs import PlateRun, run_plate

STARTED = datetime(2024, 3, 5, 14, 7, 9)


def plate(
    plate_id: str,
    analytes: tuple[Analyte, ...],
    seed: int = 7,
    *,
    luminex: bool = True,
    ecl: bool = False,
    sample_dilution: float = 1.0,
) -> tuple[PlateRun, list[Well]]:
    rng = np.random.default_rng(seed)
    subjects = simulate_subjects(rng, 0.0, DEFAULT_SEED)
    samples = samples_of(subjects)
    true_conc = simulate_concentrations(rng, subjects, samples, 1.0)
    true_conc |= simulate_msd_concentrations(rng, subjects, samples)
    layout = plate_layout(samples)
    run = run_plate(
        rng,
        plate_id,
        analytes,
        layout,
        true_conc,
        STARTED,
        sample_dilution=sample_dilution,
        luminex=luminex,
        ecl=ecl,
        knobs=Difficulty(),
    )
    return run, layout
