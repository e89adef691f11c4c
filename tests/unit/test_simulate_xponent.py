"""simulate.xponent: a simulated Luminex plate written as an xPONENT export and read
back with the project's xPONENT reader."""

from pathlib import Path

import numpy as np

from assaypipe.readers import read_export
from assaypipe.simulate.kits import LUMINEX_4PLEX
from assaypipe.simulate.xponent import replicate_groups, xponent_csv
from assaypipe.vocabulary import Role
from tests.simulated_plate import plate


def written(tmp_path: Path, kit_lot: int | None = None):
    run, layout = plate("luminex_4plex_P1", LUMINEX_4PLEX)
    text, lot = xponent_csv(run, layout, "FM3DD12345", np.random.default_rng(1), kit_lot=kit_lot)
    path = tmp_path / "luminex_4plex_P1.csv"
    path.write_text(text)
    return run, layout, lot, read_export(path)


def test_every_well_and_signal_reads_back(tmp_path: Path):
    run, layout, _, read = written(tmp_path)
    wells = read.wells
    assert len(wells) == 96 * 4
    names = [an.export_name for an in run.analytes]
    for j, name in enumerate(names):
        got = wells[wells["analyte"] == name].set_index("well")
        order = [w.well for w in layout]
        assert np.array_equal(got.loc[order, "signal"].to_numpy(float), run.signal[:, j])
        assert np.array_equal(got.loc[order, "bead_count"].to_numpy(int), run.counts[:, j])
    roles = wells.drop_duplicates("well").set_index("well")["role"]
    assert [roles[w.well] for w in layout] == [str(w.role) for w in layout]
    assert (roles == Role.STANDARD).sum() == 14 and (roles == Role.BLANK).sum() == 2


def test_run_metadata_and_the_bad_well_warning(tmp_path: Path):
    run, layout, lot, read = written(tmp_path, kit_lot=4242)
    assert lot == 4242
    assert read.meta["kit_lot"] == "4242"
    assert read.meta["serial_number"] == "FM3DD12345"
    assert read.meta["run_time"] == "3/5/2024 2:07:09 PM"
    assert run.bad_well is not None
    bad = layout[run.bad_well].well
    assert any(f"at well {bad}" in w for w in read.warnings)


def test_replicate_groups_list_controls_standards_then_samples_once_each():
    _, layout = plate("luminex_4plex_P1", LUMINEX_4PLEX)
    groups = replicate_groups(layout)
    samples = {w.name for w in layout if w.role == Role.SAMPLE}
    # 2 controls, 7 standards and the samples (each in duplicate on the plate); no blank
    assert groups[:9] == ["Control1", "Control2", *(f"Standard{k}" for k in range(1, 8))]
    assert groups[9:] == list(dict.fromkeys(w.name for w in layout if w.role == Role.SAMPLE))
    assert len(groups) == 9 + len(samples) == 9 + 38
