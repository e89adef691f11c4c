"""simulate.workbench: a simulated MSD plate written as a Discovery Workbench table and
read back with the project's Workbench reader."""

from pathlib import Path

import numpy as np
import pytest

from assaypipe.readers import read_export
from assaypipe.simulate.kits import MSD_2PLEX, MSD_DILUTION
from assaypipe.simulate.model import Difficulty
from assaypipe.simulate.workbench import workbench_csv, workbench_name
from assaypipe.vocabulary import Role
from tests.simulated_plate import plate


def written(tmp_path: Path, unit: str = "pg/mL"):
    run, layout = plate(
        "msd_cytokine_P1", MSD_2PLEX, luminex=False, ecl=True, sample_dilution=MSD_DILUTION
    )
    path = tmp_path / "msd_cytokine_P1.csv"
    path.write_text(workbench_csv(run, layout, Difficulty(unit=unit)))
    return run, layout, read_export(path)


def test_every_well_and_spot_reads_back_with_its_signal(tmp_path: Path):
    run, layout, read = written(tmp_path)
    wells = read.wells
    assert len(wells) == 96 * 2
    for j, analyte in enumerate(run.analytes):
        got = wells[wells["analyte_raw"] == analyte.export_name].set_index("well")
        order = [w.well for w in layout]
        assert np.array_equal(got.loc[order, "signal"].to_numpy(float), run.signal[:, j])
    roles = wells.drop_duplicates("well").set_index("well")["role"]
    # the blank wells are Workbench's zero calibrator S008: a standard at 0
    expected = [str(Role.STANDARD if w.role == Role.BLANK else w.role) for w in layout]
    assert [roles[w.well] for w in layout] == expected


def test_calibrators_carry_their_concentrations_and_samples_their_dilution(tmp_path: Path):
    _, _, read = written(tmp_path)
    wells = read.wells
    il6 = wells[(wells["analyte_raw"] == "IL-6") & (wells["role"] == "standard")]
    assert sorted(set(il6["expected_conc"])) == sorted([0.0, *MSD_2PLEX[0].standards()])
    assert len(il6) == 16  # 7 calibrators and the zero calibrator, in duplicate
    samples = wells[wells["role"] == "sample"]
    assert (samples["dilution"] == MSD_DILUTION).all()


def test_a_ng_per_ml_kit_states_its_calibrators_in_ng_per_ml(tmp_path: Path):
    _, _, read = written(tmp_path, unit="ng/mL")
    wells = read.wells
    il6 = wells[(wells["analyte_raw"] == "IL-6") & (wells["role"] == "standard")]
    top = il6[il6["level"] == 1]
    assert top["expected_conc"].tolist() == pytest.approx([0.5, 0.5])  # 500 pg/mL


@pytest.mark.parametrize(
    ("role", "level", "sample_id", "name"),
    [(Role.STANDARD, 3, "", "S003"), (Role.BLANK, None, "", "S008"),
     (Role.CONTROL, 2, "Control2", "C002"), (Role.SAMPLE, None, "P07-M12", "P07-M12")],
)  # fmt: skip
def test_workbench_names(role, level, sample_id, name):
    from assaypipe.simulate.layout import Well

    assert workbench_name(Well("A1", role, "x", sample_id, level)) == name
