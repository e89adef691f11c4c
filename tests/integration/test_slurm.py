"""The demo study through a real single-node SLURM cluster gives the same files as a
local run (the local run is the reference)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, quick_classification
from tests.slurm import cluster as slurm

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TIMEOUT = "900"  # seconds; a hung SLURM run fails the test instead of eating CI's time


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[slurm.Cluster]:
    missing = slurm.missing_tools()
    if missing:
        message = f"SLURM tools missing ({', '.join(missing)}): apt-get install slurmctld slurmd "
        message += "slurm-client munge"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI installs them in .ci/run)")
        pytest.skip(message)
    if os.geteuid() != 0:
        pytest.skip("starting SLURM daemons needs root")
    try:
        running = slurm.start(tmp_path_factory.mktemp("slurm"))
    except slurm.ClusterUnavailableError as exc:
        pytest.skip(str(exc))
    try:
        yield running
    finally:
        running.stop()


def copy_demo(target: Path) -> Path:
    for name in ("config", "resources"):
        shutil.copytree(REPO / name, target / name)
    return quick_classification(target)


def snakemake(study: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [
            "timeout", "-k", "10", TIMEOUT,
            SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(study),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    return output


def parquet_files(study: Path) -> dict[str, bytes]:
    results = study / "results"
    return {
        str(path.relative_to(results)): path.read_bytes()
        for path in sorted(results.rglob("*.parquet"))
    }


@pytest.mark.slow
def test_slurm_run_matches_local_run(cluster: slurm.Cluster, tmp_path: Path) -> None:
    local = copy_demo(tmp_path / "local")
    snakemake(local, "--cores", "2", "--profile", str(REPO / "profiles" / "local"))

    remote = copy_demo(tmp_path / "slurm")
    try:
        output = snakemake(
            remote,
            "--profile", str(REPO / "profiles" / "slurm"),
            "--slurm-status-command", "squeue",
            "--slurm-no-account",
            "--slurm-init-seconds-before-status-checks", "2",
            "--cores", "2",
            env=cluster.env,
        )  # fmt: skip
    except AssertionError:
        print(cluster.logs())
        raise

    # Every step ran through SLURM: one job per chunk of plates plus the study-wide ones.
    submitted = output.count("has been submitted with SLURM jobid")
    chunk_jobs = output.count("group_chunk_")
    assert chunk_jobs >= 1
    assert 2 <= submitted <= 10
    assert (remote / "results" / "logs" / "slurm").is_dir()

    local_files, remote_files = parquet_files(local), parquet_files(remote)
    assert set(local_files) == set(remote_files)
    assert "samples.parquet" in local_files
    different = [name for name in local_files if local_files[name] != remote_files[name]]
    assert different == []
