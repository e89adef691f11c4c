"""The analyses registry the workflow's run_analysis rule is built on."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pandas as pd
import pytest
import yaml

from assaypipe import analyses, tables
from assaypipe.analyses import ANALYSES, analysis_settings, run_analysis
from assaypipe.errors import AssaypipeBugError
from assaypipe.settings import Settings
from tests.conftest import REPO
from tests.oddities import (
    ODD_NAMES,
    odd_plate,
    odd_sample_ids,
    renamed,
    run_stages,
    subjects_table,
)
from tests.unit.test_stats_demo import STATS_FILES


def load_default_config() -> dict[str, object]:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


def test_every_documented_table_is_an_analysis() -> None:
    assert set(ANALYSES) == set(STATS_FILES)


def test_every_name_the_workflow_plans_has_its_analysis() -> None:
    assert tuple(analyses._ANALYSES) == ANALYSES


def test_the_workflow_reads_its_names_without_the_statistics_libraries() -> None:
    # The import lines of the Snakefile and its rule files (what Snakemake runs to read
    # the workflow, before any job) in a fresh interpreter; importing scikit-learn or
    # statsmodels there would cost every run about 1.5 s of start-up.
    files = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    lines = [line for path in files for line in path.read_text(encoding="utf-8").splitlines()]
    imports = [line for line in lines if line.startswith(("from ", "import "))]
    heavy = ("sklearn", "statsmodels", "scipy", "matplotlib")
    check = "\n".join(
        [*imports, "import sys", f"print([m for m in {heavy!r} if m in sys.modules])"]
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert any("assaypipe.analysis_names" in line for line in imports)
    assert result.stdout.strip() == "[]"


def test_each_analysis_gets_only_the_sections_it_reads() -> None:
    config = load_default_config()
    assert set(analysis_settings("prepost", config)) == {"prepost", "stats"}
    assert set(analysis_settings("prepost_subgroup", config)) == {"prepost", "stats", "subgroup"}
    assert set(analysis_settings("classification", config)) == {"prepost", "stats", "classify"}
    for name in ANALYSES:
        settings = analysis_settings(name, config)
        assert all(settings[section] == config[section] for section in settings)


def test_an_unknown_analysis_is_a_bug_not_an_empty_table() -> None:
    with pytest.raises(AssaypipeBugError, match="no analysis named 'anova'"):
        run_analysis("anova", pd.DataFrame(), pd.DataFrame(), Settings())


# -- what real files bring (tests/oddities.py) ---------------------------------------------


def quick_config() -> dict[str, Any]:
    config = load_default_config()
    config["classify"] = {**config["classify"], "permutations": 19}
    return config


@pytest.mark.parametrize("case", ["no_standards", "no_signal", "single_well", "unassigned"])
def test_without_a_sample_value_every_analysis_gives_a_well_formed_table(case):
    stages = run_stages(odd_plate(case))
    assert stages.included.empty
    for name in ANALYSES:
        table = tables.STATS.validate(
            run_analysis(
                name, stages.included, subjects_table(), Settings.from_config(quick_config())
            )
        )
        if name == "correlations_pairs":
            # the configured pairs keep their rows, each saying it had no point
            assert (table["n"] == 0).all() and len(table), name
            assert (table["note"] == "n = 0: no point with both values").all()
            continue
        if name != "classification":
            assert table.empty, name
            continue
        # the classification says it had no subject to classify
        assert (table["n"] == 0).all() and table["p"].isna().all()
        assert table["method"].str.contains("over 0 subjects").all()
        assert table["note"].str.startswith("n = 0: no subject with every feature").all()


@pytest.mark.parametrize("label", list(ODD_NAMES))
def test_odd_analyte_names_and_sample_ids_reach_the_statistics_as_they_are(label):
    name = ODD_NAMES[label]
    plate = odd_sample_ids(odd_plate("clean"))
    wells = pd.concat([plate, renamed(plate, plate_id="P2", analyte=name)], ignore_index=True)
    stages = run_stages(wells)
    config = quick_config()
    config["correlations"] = {**config["correlations"], "pairs": [["CCL2", name]]}
    settings = Settings.from_config(config)
    results = {
        name_: run_analysis(name_, stages.included, subjects_table(), settings)
        for name_ in ("prepost", "correlations_pairs", "classification")
    }
    prepost = results["prepost"].set_index("analyte")
    assert prepost.loc[name, "n"] == prepost.loc["CCL2", "n"] == 5
    # the same values under another name: the same test
    assert prepost.loc[name, "p"] == prepost.loc["CCL2", "p"]
    assert set(results["correlations_pairs"]["analyte"]) == {name}
    coefficients = results["classification"]
    coefficients = coefficients[coefficients["analysis"] == "classify_coefficient"]
    assert set(coefficients["analyte"]) == {"CCL2", name}


def test_the_analyses_written_are_the_tables_run_analysis_gives(tmp_path) -> None:
    from assaypipe.analyses import write_analyses
    from assaypipe.io import read_table

    stages = run_stages(odd_sample_ids(odd_plate("clean")))
    settings = Settings.from_config(quick_config())
    lines: list[str] = []
    outputs = {name: str(tmp_path / f"{name}.parquet") for name in ("prepost", "prepost_groups")}
    write_analyses(
        outputs,
        stages.included,
        subjects_table(),
        pd.DataFrame(),
        settings,
        n_jobs=1,
        config=quick_config(),
        log=lines.append,
    )
    for name, path in outputs.items():
        expected = run_analysis(name, stages.included, subjects_table(), settings)
        pd.testing.assert_frame_equal(read_table(path), expected, check_dtype=False)
    tested = run_analysis("prepost", stages.included, subjects_table(), settings)
    assert len(lines) >= int(tested["p"].notna().sum()) > 0
    assert lines[0].startswith("prepost ")
