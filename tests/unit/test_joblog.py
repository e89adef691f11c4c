"""The job log's resources line, and what job scripts import before their work."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from assaypipe.joblog import logged, parse_resources


def _burn(seconds: float) -> None:
    start = time.process_time()
    while time.process_time() - start < seconds:
        sum(range(1000))


def _resources_line(log: Path) -> str:
    lines = [line for line in log.read_text().splitlines() if "resources:" in line]
    assert len(lines) == 1
    return lines[0]


def test_the_log_ends_with_the_step_cpu(tmp_path: Path) -> None:
    log = tmp_path / "step.log"
    before = time.process_time()
    with logged(log) as logger:
        logger.info("working")
        _burn(0.3)
    spent = time.process_time() - before  # the reference: the process's own clock
    figures = parse_resources(_resources_line(log))
    assert figures is not None
    assert 0.3 <= figures.step_cpu <= spent + 0.01
    assert figures.startup_cpu > 0.0
    assert figures.step_wall >= 0.0
    assert figures.max_rss_mib > 1.0
    assert log.read_text().splitlines()[-1].endswith(_resources_line(log).split(" INFO ")[1])


def test_a_failed_step_still_writes_its_figures(tmp_path: Path) -> None:
    log = tmp_path / "step.log"
    with pytest.raises(ValueError), logged(log):
        raise ValueError("bad")
    text = log.read_text()
    assert "step failed" in text
    assert parse_resources(_resources_line(log)) is not None


def test_children_cpu_counts_the_processes_the_step_waited_for(tmp_path: Path) -> None:
    log = tmp_path / "step.log"
    with logged(log):
        subprocess.run(
            [sys.executable, "-c", "import time\nt = time.process_time()\n"
             "while time.process_time() - t < 0.3: pass"],
            check=True,
        )  # fmt: skip
    figures = parse_resources(_resources_line(log))
    assert figures is not None
    assert figures.children_cpu >= 0.25


def test_other_lines_are_not_resources() -> None:
    assert parse_resources("2026-01-01 INFO 12 curves") is None


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("assaypipe.joblog", ("pandas", "numpy")),
        # Statistics import scipy.stats and statsmodels (about a second) where they test.
        ("assaypipe.stats", ("scipy.stats", "statsmodels")),
        ("assaypipe.handoff", ("scipy.stats", "statsmodels", "matplotlib")),
        ("assaypipe.analyses", ("scipy.stats", "statsmodels", "sklearn")),
        ("assaypipe.figures_stats", ("scipy.stats", "statsmodels", "sklearn")),
        # The curves, QC and replicates import scipy.special where they fit or compute.
        ("assaypipe.curves", ("scipy",)),
        ("assaypipe.samples", ("scipy",)),
        ("assaypipe.qc", ("scipy",)),
    ],
)
def test_job_modules_import_only_what_they_use(module: str, absent: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                text=True, check=True).stdout.split())  # fmt: skip
    assert not loaded & set(absent)
