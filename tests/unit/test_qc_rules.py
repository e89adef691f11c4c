"""qc.rules: the QC thresholds of an analyte, from a preset and the overrides."""

from __future__ import annotations

import pytest

from assaypipe.qc.rules import RULE_KEYS, presets, rules_for
from assaypipe.vocabulary import QcPreset


def test_every_preset_sets_every_rule() -> None:
    assert set(presets()) == set(QcPreset)
    # bead_count_fail is wells.min_bead_count, set by the study, not by a preset
    for name, preset in presets().items():
        assert set(RULE_KEYS) - {"bead_count_fail"} <= set(preset), name
        assert "bead_count_fail" not in preset, name


def test_an_analyte_override_beats_the_all_analytes_one() -> None:
    overrides = [
        {"analyte": "IL-6", "cv_limit": 0.30},
        {"analyte": "*", "cv_limit": 0.25, "min_calibrators": 5},
    ]
    il6 = rules_for("IL-6", "ich_m10", overrides)
    other = rules_for("CCL2", "ich_m10", overrides)
    assert il6.cv_limit == 0.30 and other.cv_limit == 0.25
    assert il6.min_calibrators == other.min_calibrators == 5
    base = rules_for("CCL2", "ich_m10")
    assert base.cv_limit == presets()["ich_m10"]["cv_limit"]


def test_unknown_presets_and_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown QC preset 'ich'"):
        rules_for("IL-6", "ich")
    with pytest.raises(ValueError, match="cv_limt"):
        rules_for("IL-6", "ich_m10", [{"analyte": "*", "cv_limt": 0.2}])
