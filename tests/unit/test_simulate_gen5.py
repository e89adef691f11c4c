"""simulate.gen5: a simulated ELISA plate written as a Gen5 text export (with its plate
map) and read back with the project's Gen5 and plate-map readers."""

from pathlib import Path

import numpy as np

from assaypipe.readers import read_export
from assaypipe.simulate.gen5 import gen5_text
from assaypipe.simulate.kits import ELISA_DILUTION, ELISA_NFL
from assaypipe.simulate.model import Difficulty
from assaypipe.simulate.plate_map import plate_map_csv
from tests.simulated_plate import plate


def written(tmp_path: Path):
    run, layout = plate("elisa_nfl_P1", (ELISA_NFL,), luminex=False, sample_dilution=ELISA_DILUTION)
    rng = np.random.default_rng(3)
    reference = np.round(0.04 + 0.005 * rng.standard_normal((8, 12)), 3)
    export = tmp_path / "elisa_nfl_P1.txt"
    export.write_text(gen5_text(run, layout, reference, rng))
    plate_map = tmp_path / "elisa_nfl_P1_map.csv"
    plate_map.write_text(plate_map_csv(layout, ELISA_NFL, ELISA_DILUTION, Difficulty()))
    return run, layout, reference, read_export(export, plate_map)


def test_delta_od_reads_back_as_the_signal(tmp_path: Path):
    run, layout, reference, read = written(tmp_path)
    wells = read.wells.set_index("well")
    assert len(wells) == 96
    for i, w in enumerate(layout):
        row, col = "ABCDEFGH".index(w.well[0]), int(w.well[1:]) - 1
        # Gen5's Delta OD: the 450 nm read (signal + reference) less the 630 nm reference
        od450 = round(float(run.signal[i, 0]) + float(reference[row, col]), 3)
        expected = round(od450 - float(reference[row, col]), 3)
        assert abs(wells.loc[w.well, "signal"] - expected) < 1e-9, w.well


def test_the_plate_map_gives_roles_levels_and_dilutions(tmp_path: Path):
    _, layout, _, read = written(tmp_path)
    wells = read.wells.set_index("well")
    for w in layout:
        assert wells.loc[w.well, "role"] == str(w.role), w.well
    standards = wells[wells["role"] == "standard"].sort_values("level")
    assert standards["expected_conc"].tolist() == [
        c for c in ELISA_NFL.standards() for _ in range(2)
    ]
    samples = wells[wells["role"] == "sample"]
    assert (samples["dilution"] == ELISA_DILUTION).all() and len(samples) == 76


def test_run_time_and_reader_in_the_metadata(tmp_path: Path):
    _, _, _, read = written(tmp_path)
    assert read.meta["format"] == "gen5"
    assert "2:07:09 PM" in read.meta["run_time"] and "3/5/2024" in read.meta["run_time"]
