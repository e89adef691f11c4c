"""simulate.kit_file: the kit file of a simulated kit, read back with the project's kit
reader (kits.read_kit)."""

from pathlib import Path

import pytest

from assaypipe.kits import read_kit
from assaypipe.simulate.kit_file import kit_yaml
from assaypipe.simulate.kits import LUMINEX_4PLEX
from assaypipe.simulate.model import Difficulty


def test_control_ranges_are_70_to_130_percent_of_the_label(tmp_path: Path):
    path = tmp_path / "luminex_4plex.yaml"
    path.write_text(kit_yaml("luminex_4plex", "L-1", LUMINEX_4PLEX, Difficulty()))
    kit = read_kit(path)
    assert (kit.kit, kit.lot, kit.unit) == ("luminex_4plex", "L-1", "pg/mL")
    assert kit.used_on("luminex_4plex_P0004") and not kit.used_on("luminex_tgfb2_P1")
    # CCL2's top standard is 10000 pg/mL: controls at 15% and 1.5% of it (names folded)
    assert kit.ranges["control1", "CCL2"] == pytest.approx((1050.0, 1950.0))
    assert kit.ranges["control2", "CCL2"] == pytest.approx((105.0, 195.0))
    assert len(kit.ranges) == 2 * len(LUMINEX_4PLEX)


def test_a_ng_per_ml_kit_states_its_ranges_in_ng_per_ml(tmp_path: Path):
    path = tmp_path / "kit.yaml"
    path.write_text(kit_yaml("luminex_4plex", "L-2", LUMINEX_4PLEX, Difficulty(unit="ng/mL")))
    kit = read_kit(path)
    assert kit.unit == "ng/mL"
    assert kit.ranges["control1", "CCL2"] == pytest.approx((1.05, 1.95))
