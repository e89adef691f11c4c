"""The benchmark scripts the README and docs/performance.md quote still run: each
parses its options (``--help``), which imports everything it uses from the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
WITH_OPTIONS = sorted(p for p in BENCH.glob("*.py") if "argparse" in p.read_text())


def test_the_scripts_with_options_are_found() -> None:
    assert len(WITH_OPTIONS) >= 10


@pytest.mark.parametrize("script", WITH_OPTIONS, ids=lambda p: p.name)
def test_a_bench_script_imports_and_lists_its_options(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith("usage:")
