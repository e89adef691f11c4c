"""analysis_names: the analyses' names and the config sections each one is given."""

from __future__ import annotations

from pathlib import Path

import yaml

from assaypipe import analyses
from assaypipe.analysis_names import ANALYSES, QUICK_ANALYSES, analysis_settings

CONFIG = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "config" / "config.yaml").read_text("utf-8")
)


def test_every_name_is_an_analysis_and_only_classification_is_slow() -> None:
    assert len(set(ANALYSES)) == len(ANALYSES)
    assert set(ANALYSES) - set(QUICK_ANALYSES) == {"classification"}
    assert set(ANALYSES) == set(analyses.ANALYSES)


def test_an_analysis_gets_only_the_sections_it_reads() -> None:
    assert list(analysis_settings("prepost", CONFIG)) == ["prepost", "stats"]
    assert list(analysis_settings("classification", CONFIG)) == ["prepost", "stats", "classify"]
    both = analysis_settings(["prepost_subgroup", "correlations_pairs"], CONFIG)
    assert list(both) == ["prepost", "stats", "subgroup", "correlations"]
    assert both["correlations"] == CONFIG["correlations"]
