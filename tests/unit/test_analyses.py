"""The analyses registry the workflow's run_analysis rule is built on."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from assaypipe.analyses import ANALYSES, analysis_settings, run_analysis
from assaypipe.errors import AssaypipeBugError
from tests.conftest import REPO
from tests.unit.test_stats_demo import STATS_FILES


def load_default_config() -> dict[str, object]:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


def test_every_documented_table_is_an_analysis() -> None:
    assert set(ANALYSES) == set(STATS_FILES)


def test_each_analysis_gets_only_the_sections_it_reads() -> None:
    config = load_default_config()
    assert set(analysis_settings("prepost", config)) == {"prepost"}
    assert set(analysis_settings("prepost_subgroup", config)) == {"prepost", "subgroup"}
    assert set(analysis_settings("classification", config)) == {"prepost", "classify"}
    for name in ANALYSES:
        settings = analysis_settings(name, config)
        assert all(settings[section] == config[section] for section in settings)


def test_an_unknown_analysis_is_a_bug_not_an_empty_table() -> None:
    with pytest.raises(AssaypipeBugError, match="no analysis named 'anova'"):
        run_analysis("anova", pd.DataFrame(), pd.DataFrame(), load_default_config())
