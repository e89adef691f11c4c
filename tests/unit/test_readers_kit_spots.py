"""readers.kit_spots: a multi-spot plate's `spot <n>` analytes named by its kit lot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assaypipe.kits import read_kit
from assaypipe.readers.kit_spots import name_spots
from assaypipe.readers.kit_standards import KitStandards
from assaypipe.readers.parsed import Warnings

KIT = """kit: V-PLEX
lot: K0001
unit: pg/mL
plates: ["msd_*"]
spots:
  1: IL-6
  2: TNF-alpha
"""


def _standards(tmp_path: Path) -> KitStandards:
    path = tmp_path / "kit.yaml"
    path.write_text(KIT, encoding="utf-8")
    standards = KitStandards.of([read_kit(path)], None)
    assert standards is not None
    return standards


def test_spots_the_kit_names_are_renamed_the_others_kept_with_a_warning(tmp_path: Path) -> None:
    wells = pd.DataFrame(
        {"analyte": ["spot 1", "spot 2", "spot 3"], "analyte_raw": ["spot 1", "spot 2", "spot 3"]}
    )
    vendor = pd.DataFrame({"analyte": ["spot 2"]})
    notes = Warnings()
    named, named_vendor = name_spots(wells, vendor, _standards(tmp_path), "msd_P1", notes)
    assert named["analyte"].tolist() == ["IL-6", "TNF-alpha", "spot 3"]
    assert named["analyte_raw"].tolist() == ["IL-6", "TNF-alpha", "spot 3"]
    assert named_vendor["analyte"].tolist() == ["TNF-alpha"]
    messages = list(notes)
    assert any("names the spots: 1 IL-6, 2 TNF-alpha" in m for m in messages)
    assert any("does not name spot 3" in m for m in messages)


def test_a_plate_of_another_lot_keeps_its_spot_numbers(tmp_path: Path) -> None:
    wells = pd.DataFrame({"analyte": ["spot 1"], "analyte_raw": ["spot 1"]})
    notes = Warnings()
    named, _ = name_spots(wells, pd.DataFrame(), _standards(tmp_path), "elisa_P1", notes)
    assert named["analyte"].tolist() == ["spot 1"] and not notes
