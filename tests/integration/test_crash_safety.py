"""Interrupted and repeated runs give exactly the files of one clean run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from assaypipe.simulate import simulate_study
from tests.conftest import (
    QUICK_PERMUTATIONS,
    run_workflow,
    update_study_config,
    workflow_command,
)


def make_study(root: Path) -> Path:
    simulate_study(root, seed=11, n_plates=12, bad_share=0.1)
    update_study_config(
        root,
        {
            "chunks": {"size": 3},  # many small jobs, so a kill lands mid-run
            "classify": {"permutations": QUICK_PERMUTATIONS},
        },
    )
    return root


def run(study: Path, *extra: str) -> None:
    result = run_workflow(study, *extra, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def parquet_bytes(study: Path) -> dict[str, bytes]:
    results = study / "results"
    return {str(p.relative_to(results)): p.read_bytes() for p in sorted(results.rglob("*.parquet"))}


@pytest.mark.slow
def test_killed_run_resumes_to_identical_files(tmp_path: Path) -> None:
    clean = make_study(tmp_path / "clean")
    run(clean)
    reference = parquet_bytes(clean)
    assert "samples.parquet" in reference

    crashed = make_study(tmp_path / "crashed")
    process = subprocess.Popen(
        workflow_command(crashed, cores=1),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    parts = crashed / "results" / "dataset" / "curves"
    deadline = time.monotonic() + 300
    # Kill once some chunks are done and others are not: the middle of the run.
    while time.monotonic() < deadline and len(list(parts.glob("*/part-0.parquet"))) < 2:
        assert process.poll() is None, "the workflow ended before it could be interrupted"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (crashed / "results" / "samples.parquet").exists()

    run(crashed, "--unlock")
    run(crashed)
    assert parquet_bytes(crashed) == reference


def chunk_counts(study: Path, pattern: str) -> tuple[int, int]:
    """Two counts of the chunk jobs' logs (``pattern``'s groups), summed over them."""
    counts = [
        re.search(pattern, path.read_text(encoding="utf-8"))
        for path in (study / "results" / "logs" / "process_chunk").glob("*.log")
    ]
    assert counts and all(counts)
    return sum(int(c[1]) for c in counts if c), sum(int(c[2]) for c in counts if c)


def chunk_reads(study: Path) -> tuple[int, int]:
    """Exports read and taken from the last run's reads."""
    return chunk_counts(study, r"exports: (\d+) read, (\d+) kept")


def chunk_fits(study: Path) -> tuple[int, int]:
    """Plates whose curves were fitted and taken from the last run's fits."""
    return chunk_counts(study, r"plates' curves: (\d+) fitted, (\d+) kept")


@pytest.mark.slow
def test_two_runs_give_byte_identical_tables(tmp_path: Path) -> None:
    study = make_study(tmp_path / "study")
    long_ago = time.time() - 3600
    # Exports and plate maps not still being written (a file modified in the last 2 s is
    # not kept): every read is kept, however soon the first run starts.
    for export in (study / "resources").rglob("*"):
        os.utime(export, (long_ago, long_ago))
    run(study)
    first = parquet_bytes(study)
    exports, kept = chunk_reads(study)
    assert exports > 0 and kept == 0
    read_ok = pd.read_parquet(study / "results" / "plates.parquet").query("status == 'read'")
    n_plates = pd.read_parquet(study / "results" / "wells.parquet")["plate_id"].nunique()
    assert chunk_fits(study) == (n_plates, 0)
    run(study, "--forceall")
    # every export read the first time is taken from the cache, the others read again
    n_kept = read_ok["source_file"].nunique()
    assert n_kept > 0 and chunk_reads(study) == (exports - n_kept, n_kept)
    # and every plate's curves are taken from the last run's fit
    assert chunk_fits(study) == (0, n_plates)
    assert parquet_bytes(study) == first
