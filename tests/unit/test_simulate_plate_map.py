"""simulate.plate_map: the long-form plate map of a simulated plate, read back with the
project's plate-map reader."""

from pathlib import Path

import pytest

from assaypipe.readers.platemap import read_plate_map
from assaypipe.simulate.kits import ELISA_DILUTION, ELISA_NFL
from assaypipe.simulate.layout import plate_layout
from assaypipe.simulate.model import Difficulty, samples_of, simulate_subjects
from assaypipe.simulate.plate_map import plate_map_csv


def read_back(tmp_path: Path, unit: str):
    import numpy as np

    layout = plate_layout(samples_of(simulate_subjects(np.random.default_rng(1))))
    path = tmp_path / "map.csv"
    path.write_text(plate_map_csv(layout, ELISA_NFL, ELISA_DILUTION, Difficulty(unit=unit)))
    return layout, read_plate_map(path).set_index("well")


def test_every_well_reads_back_with_its_role_and_sample(tmp_path: Path):
    layout, frame = read_back(tmp_path, "pg/mL")
    assert len(frame) == 96
    for w in layout:
        assert frame.loc[w.well, "role"] == str(w.role), w.well
        if w.sample_id:
            assert frame.loc[w.well, "sample_id"] == w.sample_id


def test_standards_controls_and_dilutions(tmp_path: Path):
    _, frame = read_back(tmp_path, "pg/mL")
    standards = frame[frame["role"] == "standard"].sort_values("level")
    # 10000 pg/mL diluted 1:4 six times, in duplicate
    expected = [10000.0 / 4.0**k for k in range(7) for _ in range(2)]
    assert standards["expected_conc"].tolist() == pytest.approx(expected)
    controls = frame[frame["role"] == "control"].sort_values("level")
    assert controls["expected_conc"].tolist() == pytest.approx([1500.0] * 2 + [150.0] * 2)
    assert (frame.loc[frame["role"] == "sample", "dilution"] == ELISA_DILUTION).all()
    assert (frame.loc[frame["role"] != "sample", "dilution"] == 1).all()


def test_a_ng_per_ml_map_states_concentrations_in_ng_per_ml(tmp_path: Path):
    _, frame = read_back(tmp_path, "ng/mL")
    top = frame[(frame["role"] == "standard") & (frame["level"] == 1)]
    assert top["expected_conc"].tolist() == pytest.approx([10.0, 10.0])
