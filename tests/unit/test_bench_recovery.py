"""The noise oracle of bench/bench_recovery.py, checked against the simulator's truth.

The noise oracle reads each plate's true curve at the measured signals. Without signal
noise it must give back the true concentrations (the reference: the simulator's own
``truth_samples.tsv``), up to the instruments' rounding of the signals; a spoiled well
left in, a wrong dilution or a wrong curve would put values far off.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from assaypipe.simulate import Difficulty, simulate_study

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_recovery.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_recovery", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_recovery", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def without_noise(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    study = simulate_study(tmp_path_factory.mktemp("quiet"), seed=3, difficulty=Difficulty(noise=0))
    bench = _bench()
    result, _ = bench.chunk_of(study)
    values = bench.measured_truth(study, result.wells)
    truth = pd.read_csv(study.truth_samples, sep="\t")
    return truth.merge(values, on=["sample_id", "analyte"], how="left")


def test_noise_oracle_gives_back_the_truth_without_noise(without_noise: pd.DataFrame) -> None:
    ratio = without_noise["concentration"] / without_noise["true_conc"]
    assert ratio.notna().all(), "every sample and analyte has a value"
    # The spoiled (low-bead) well of each Luminex plate is 1.6- to 2.5-fold off; had it
    # been averaged in, its sample would be 25% or more off.
    assert np.abs(ratio - 1).max() < 0.1
    # Above 1 pg/mL the signals' rounding (0.5 MFI, 0.001 OD) is below 0.3%.
    clear = without_noise["true_conc"] > 1
    assert clear.sum() > 200
    assert np.abs(ratio[clear] - 1).max() < 0.003
