"""Shared test helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

from assaypipe import tables

# In CI the property tests draw the same examples on every run (a red CI run is then
# reproducible, and a green one is not luck); locally they explore new ones each run.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
REALDATA = REPO.parent / "shared" / "realdata"
DEMO_TRUTH = REPO / "tests" / "data" / "demo_truth"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from what the readers give now (review the diff)",
    )


@pytest.fixture
def no_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read test exports at once: they are always fresh (the still-being-written guard
    has its own tests)."""
    monkeypatch.setattr("assaypipe.readers.SETTLE_SECONDS", 0.0)


def placed(wells: pd.DataFrame) -> pd.DataFrame:
    """The wells the export or plate map gives a role (not `unassigned`)."""
    return wells[wells["role"] != "unassigned"]


def by_well(wells: pd.DataFrame) -> pd.DataFrame:
    """A one-analyte wells table indexed by well."""
    assert wells["well"].is_unique
    return wells.set_index("well")


def wells_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A valid wells table from partial rows; unspecified columns get neutral values."""
    defaults: dict[str, Any] = {
        "plate_id": "P1",
        "well": "A1",
        "analyte": "CCL2",
        "analyte_raw": "CCL2",
        "role": "sample",
        "sample_name": "S1",
        "sample_id": None,
        "level": None,
        "expected_conc": np.nan,
        "unit": "pg/mL",
        "dilution": 1.0,
        "signal": np.nan,
        "signal_kind": "Median MFI",
        "bead_count": 100,
        "raw_text": "",
        "token": "numeric",
        "concentration": np.nan,
        "conc_se": np.nan,
        "conc_ci_low": np.nan,
        "conc_ci_high": np.nan,
        "censor": None,
        "flags": "",
        "source_file": "P1.csv",
        "source_sha256": "0" * 64,
    }
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    return tables.WELLS.validate(frame[list(tables.WELLS.columns)])


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real instrument exports not found at {REALDATA} (only in the dev setup)")
    return REALDATA


@pytest.fixture(scope="session")
def rscript() -> str:
    """Path to Rscript, the independent reference for statistics and curve fits.

    Outside CI a missing R skips the comparison with a reason; in CI (which installs
    R in .ci/run) a missing R is a failure, so a green run always includes it.
    """
    import os
    import shutil

    found = shutil.which("Rscript")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Rscript not found, but CI installs r-base-core in .ci/run")
        pytest.skip(
            "R (Rscript) is not installed; "
            "apt-get install r-base-core r-cran-minpack.lm r-cran-sandwich"
        )
    return found


# Label permutations for the classification in workflow runs that test something else:
# the default (1,000) is exercised by tests/unit/test_stats_demo.py, and 99 keep the
# other full runs quick while still running every rule.
QUICK_PERMUTATIONS = 99


def update_study_config(root: Path, updates: dict[str, dict[str, Any]]) -> None:
    """Change sections of a study's config/config.yaml in place (one level deep)."""
    import yaml

    path = root / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, values in updates.items():
        config[section] = {**config[section], **values}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def quick_classification(root: Path) -> Path:
    """Fewer label permutations in a study's config, for runs not about classification."""
    update_study_config(root, {"classify": {"permutations": QUICK_PERMUTATIONS}})
    return root


def workflow_command(study: Path, *extra: str, cores: int = 2) -> list[str]:
    """The snakemake command line of the workflow on a study folder, local profile."""
    return [
        str(SNAKEMAKE), "--snakefile", str(REPO / "Snakefile"), "--directory", str(study),
        "--cores", str(cores), "--profile", str(REPO / "profiles" / "local"), *extra,
    ]  # fmt: skip


def run_workflow(
    study: Path, *targets: str, timeout: int = 1200
) -> subprocess.CompletedProcess[str]:
    """The workflow on a study folder, with the local profile on two cores."""
    command = workflow_command(study, *targets)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
