"""simulate.study: where the study and its truth go, the repeat runs and the unusable
files among them, and the well-level truth table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe.errors import InputError
from assaypipe.readers import read_exports
from assaypipe.simulate import simulate_study
from assaypipe.simulate.kits import LUMINEX_TGFB2
from assaypipe.simulate.model import Difficulty
from assaypipe.simulate.study import truth_wells_table, write_bad_file
from tests.simulated_plate import plate


def _tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def test_truth_dir_can_move_but_not_into_resources(tmp_path: Path) -> None:
    moved = simulate_study(tmp_path / "study", truth_dir=tmp_path / "answers")
    assert moved.truth_wells.parent == tmp_path / "answers"
    assert not (tmp_path / "study" / "truth").exists()
    with pytest.raises(ValueError, match="resources"):
        simulate_study(tmp_path / "bad", truth_dir=tmp_path / "bad" / "resources" / "truth")


def test_repeat_plates_and_unusable_files(tmp_path: Path) -> None:
    study = simulate_study(tmp_path, seed=5, n_plates=12, bad_share=0.25)
    names = sorted(p.name for p in (tmp_path / "resources" / "plates").iterdir())
    assert len(names) == len(study.plates) == 12
    files = _tsv(study.truth_dir / "truth_files.tsv")
    assert sorted(files["file"]) == names
    bad = sorted(files.loc[files["bad"] == "true", "file"])
    assert len(bad) == round(9 * 0.25)
    assert all(name.startswith("unreadable_") for name in bad)
    # the repeat runs are plates of the three kinds, with plate maps for the ELISA ones
    assert "luminex_4plex_P0002.csv" in names
    maps = {p.stem for p in (tmp_path / "resources" / "layouts").iterdir()}
    assert maps == {n.removesuffix(".txt") for n in names if n.startswith("elisa_")}
    # the first three plates are the study's own, whatever n_plates is
    base = simulate_study(tmp_path / "base", seed=5)
    for path in base.plates:
        assert path.read_bytes() == (tmp_path / "resources" / "plates" / path.name).read_bytes()


def test_truth_wells_state_every_well_in_the_kit_unit():
    run, layout = plate("luminex_tgfb2_P1", LUMINEX_TGFB2)
    header, rows = truth_wells_table([run], layout, Difficulty(unit="ng/mL"))
    assert header[:3] == ["plate_id", "well", "analyte"]
    assert len(rows) == 96
    by_well = {row[1]: row for row in rows}
    top = next(i for i, w in enumerate(layout) if w.name == "Standard1")
    # 10000 pg/mL is 10 ng/mL
    assert by_well[layout[top].well][5] == "10"
    assert [row[6] for row in rows].count("true") == 1
    assert run.bad_well is not None and rows[run.bad_well][6] == "true"


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_the_unusable_files_are_refused_by_the_readers(tmp_path: Path, kind: int):
    path = write_bad_file(np.random.default_rng(kind), tmp_path, 3, kind)
    assert path.name.startswith("unreadable_0003.")
    with pytest.raises(InputError, match="unreadable_0003"):
        read_exports(path)
