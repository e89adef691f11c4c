"""The house checks run as tests, so `make test` (and CI) enforce them."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["snakefmt", "--check", "."],
        ["snakemake", "--lint", "--cores", "1"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_clean(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    if command[0] == "snakemake":
        assert "Congratulations" in output, output[-4000:]
