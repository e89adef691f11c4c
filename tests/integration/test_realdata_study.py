"""Every real export of ../shared/realdata dropped into one study at once: the workflow
ends in a report, and every file is either read or refused with a reason.

The study is what a lab's first try looks like: all files in resources/plates, the
shipped config, and sample, subject and outcome sheets holding only their header rows.
Which files are read depends on the readers; this test does not: it asks only that the
run ends in a report and that every file is accounted for exactly once. The workflow
takes about a minute on two idle cores for the 143 files there today.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from assaypipe.report.html import escape
from tests.conftest import REALDATA, REPO, quick_classification, run_workflow

# Files beside the exports that are not exports (as in tests/unit/test_realdata_golden.py).
_NOT_EXPORTS = {"README.md", ".gitignore", "LICENSE.txt"}
_SHEETS = ("samples.tsv", "subjects.tsv", "outcomes.tsv")

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


def real_exports() -> list[Path]:
    """Every export under ../shared/realdata, sorted by its path there."""
    return sorted(
        path
        for path in REALDATA.rglob("*")
        if path.is_file()
        and path.name not in _NOT_EXPORTS
        and not path.name.startswith(("LICENSE", "drLumi_DESCRIPTION"))
    )


def flat_name(index: int, path: Path) -> str:
    """A unique file name for an export in one flat folder: a running number (so no two
    files give the same plate_id), its path under realdata, its own suffix."""
    relative = path.relative_to(REALDATA).with_suffix("")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", "__".join(relative.parts))
    return f"{index:03d}_{stem}{path.suffix}"


def make_study(root: Path) -> dict[str, str]:
    """A study of every real export with the shipped config and header-only sheets;
    returns the copied file names and where each came from."""
    shutil.copytree(REPO / "config", root / "config")
    for sheet in _SHEETS:
        path = root / "config" / sheet
        header = path.read_text(encoding="utf-8").splitlines()[0]
        path.write_text(header + "\n", encoding="utf-8")
    quick_classification(root)
    plates = root / "resources" / "plates"
    plates.mkdir(parents=True)
    copied: dict[str, str] = {}
    for index, path in enumerate(real_exports()):
        name = flat_name(index, path)
        shutil.copyfile(path, plates / name)
        copied[name] = str(path.relative_to(REALDATA))
    return copied


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    if not REALDATA.is_dir():
        pytest.skip(f"real instrument exports not found at {REALDATA} (only in the dev setup)")
    root = tmp_path_factory.mktemp("realdata_study")
    copied = make_study(root)
    start = time.monotonic()
    result = run_workflow(root, timeout=900)
    print(f"workflow on {len(copied)} real exports: {time.monotonic() - start:.0f} s")
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return root, copied


def test_run_ends_in_a_report_naming_every_refused_file(study: tuple[Path, dict[str, str]]) -> None:
    root, _ = study
    page = (root / "results" / "report.html").read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>")
    rejected = pd.read_parquet(root / "results" / "rejected.parquet")
    for source_file in rejected["source_file"]:
        assert escape(source_file) in page, source_file


def test_every_file_is_read_or_refused_exactly_once(study: tuple[Path, dict[str, str]]) -> None:
    root, copied = study
    plates = pd.read_parquet(root / "results" / "plates.parquet")
    rejected = pd.read_parquet(root / "results" / "rejected.parquet")
    read = set(plates.loc[plates["status"] == "read", "source_file"].map(lambda f: Path(f).name))
    refused = rejected["source_file"].map(lambda f: Path(f).name)
    # one row per refused file, and a reason that names the file and says why
    assert refused.is_unique, refused[refused.duplicated()].tolist()
    assert not read & set(refused), sorted(read & set(refused))
    assert read | set(refused) == set(copied), sorted(set(copied) ^ (read | set(refused)))
    assert len(read) + len(refused) == len(copied) == len(real_exports())
    for name, reason in zip(refused, rejected["reason"], strict=True):
        assert name in reason and len(reason) > len(name) + 20, (name, reason)
    # a file's plates are all read, or it is one plate row with status rejected
    status = plates.groupby(plates["source_file"].map(lambda f: Path(f).name))["status"]
    for name, statuses in status:
        assert set(statuses) == ({"rejected"} if name in set(refused) else {"read"}), name
        assert statuses.size == 1 or name in read, name
