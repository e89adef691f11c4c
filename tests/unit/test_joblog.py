"""The job log's resources line, and what job scripts import before their work."""

from __future__ import annotations

import ast
import gc
import logging
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assaypipe.joblog import Forked, logged, parse_resources, room_to_fork


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """logged() freezes what is alive (a job's process lives as long as its step); the
    tests' process gives its objects back to the collector after each test."""
    yield
    gc.unfreeze()


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


def test_a_step_runs_with_what_was_alive_at_its_start_out_of_the_collector(
    tmp_path: Path,
) -> None:
    gc.unfreeze()
    alive_before = object.__new__(type("Alive", (), {}))
    assert gc.get_freeze_count() == 0
    with logged(tmp_path / "step.log"):
        frozen = gc.get_freeze_count()
        made_in_the_step = [alive_before]
        # what the step makes is collected as usual
        assert gc.is_tracked(made_in_the_step)
    # every object alive before the step: the object, its class, this test's frame
    assert frozen >= 3
    assert not any(obj is alive_before for obj in gc.get_objects())
    gc.unfreeze()
    assert any(obj is alive_before for obj in gc.get_objects())


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


def test_a_forked_part_runs_beside_the_step_and_its_cpu_counts_among_the_children(
    tmp_path: Path,
) -> None:
    log = tmp_path / "step.log"
    out = tmp_path / "forked.txt"

    def work() -> None:
        _burn(0.3)
        out.write_text(str(os.getpid()))
        logging.getLogger("assaypipe").info("from the forked part")

    with logged(log):
        forked = Forked(work)
        forked.wait()
        forked.wait()  # once done, waiting again returns at once
    assert out.read_text() != str(os.getpid())  # another process did it
    assert "from the forked part" in log.read_text()
    figures = parse_resources(_resources_line(log))
    assert figures is not None and figures.children_cpu >= 0.25


class _UnpicklableError(Exception):
    def __reduce__(self):  # type: ignore[override]
        raise TypeError("not picklable")


def _fail(error: BaseException) -> None:
    raise error


def test_a_forked_part_s_error_is_raised_by_wait_with_where_it_happened() -> None:
    forked = Forked(lambda: _fail(KeyError("samples.tsv: line 3: no subject_id")))
    with pytest.raises(KeyError, match="line 3: no subject_id") as raised:
        forked.wait()
    assert "in a forked part of the job" in "".join(raised.value.__notes__)
    assert "_fail" in "".join(raised.value.__notes__)  # its traceback, as text
    unpicklable = Forked(lambda: _fail(_UnpicklableError("odd")))
    with pytest.raises(RuntimeError, match="_UnpicklableError: odd"):
        unpicklable.wait()


def test_a_forked_part_that_dies_or_is_stopped_leaves_no_process() -> None:
    died = Forked(lambda: os._exit(3), name="statistics")
    with pytest.raises(RuntimeError, match="statistics part ended with exit code 3"):
        died.wait()
    slow = Forked(lambda: time.sleep(60), name="slow")
    started = time.perf_counter()
    slow.stop()
    slow.stop()
    assert time.perf_counter() - started < 10
    assert [
        p.name for p in multiprocessing.active_children() if p.name in ("slow", "statistics")
    ] == []


def test_not_forked_the_work_runs_here_at_once_and_its_error_is_raised_there() -> None:
    ran_in: list[int] = []
    inline = Forked(lambda: ran_in.append(os.getpid()), fork=False)
    assert ran_in == [os.getpid()]
    inline.wait()
    inline.stop()
    with pytest.raises(KeyError, match="no subject_id"):
        Forked(lambda: _fail(KeyError("no subject_id")), fork=False)


def test_room_to_fork_when_this_process_holds_under_half_the_job_s_memory() -> None:
    held_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    assert room_to_fork(held_mb * 2.2)
    assert not room_to_fork(held_mb * 1.8)


def test_one_blas_thread_gives_numpy_s_blas_one_thread_whatever_the_job_s_threads() -> None:
    pytest.importorskip("threadpoolctl")
    code = (
        "from assaypipe.joblog import one_blas_thread; {call}\n"
        "import numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "print(sorted({{p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'}}))"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}

    def blas_threads(call: str) -> str:
        command = [sys.executable, "-c", code.format(call=call)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    assert blas_threads("pass") == "[2]"  # what Snakemake's two threads would give
    assert blas_threads("one_blas_thread()") == "[1]"


def test_other_lines_are_not_resources() -> None:
    assert parse_resources("2026-01-01 INFO 12 curves") is None


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("assaypipe.joblog", ("pandas", "numpy")),
        # The checks before a run, in the Snakemake process: no tables' schemas.
        ("assaypipe.preflight", ("pandera", "scipy")),
        ("assaypipe.exclusion_sheet", ("pandera", "scipy")),
        ("assaypipe.sheets", ("pandera", "scipy")),
        ("assaypipe.kits", ("pandera", "scipy", "assaypipe.qc")),
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


# Validates a table with value checks (the first validation loads pandera's built-in
# checks), imports statsmodels' multiple testing and asks scikit-learn whether a list is
# a polars frame, then prints which of the two packages the process holds and whether a
# wrong value is still refused.
_JOB_LIKE = """
import sys
{skip}
import pandas as pd
import pandera.errors
from statsmodels.stats.multitest import multipletests
from sklearn.utils._dataframe import is_polars_df_or_series
from assaypipe import tables
row = {{"plate_id": "p1", "analyte": "IL6", "check": "cv", "value": 3.0, "unit": "%",
        "threshold": "<= 20", "status": "pass", "detail": ""}}
frame = pd.DataFrame([row])
tables.QC.validate(frame[list(tables.QC.columns)])
try:
    tables.QC.validate(frame.assign(status="maybe")[list(tables.QC.columns)])
    refused = False
except pandera.errors.SchemaError:
    refused = True
multipletests([0.01, 0.04], method="fdr_bh")
assert not is_polars_df_or_series([1.0])
print(sorted(name for name in ("hypothesis", "polars") if name in sys.modules), refused)
"""


def _job_like(skip: str) -> str:
    return subprocess.run([sys.executable, "-c", _JOB_LIKE.format(skip=skip)],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip


def test_a_job_imports_neither_hypothesis_nor_polars_and_still_checks_its_tables() -> None:
    pytest.importorskip("hypothesis")
    pytest.importorskip("polars")
    # Without the call, pandera and statsmodels import both (they are installed here).
    assert _job_like("") == "['hypothesis', 'polars'] True"
    skip = "from assaypipe.joblog import skip_unused_imports; skip_unused_imports()"
    assert _job_like(skip) == "[] True"


def test_skip_unused_imports_keeps_what_is_already_imported() -> None:
    code = (
        "import json, sys; from assaypipe.joblog import skip_unused_imports;"
        "skip_unused_imports(); skip_unused_imports(); import json;"
        "print(sum(type(f).__name__ == '_SkipUnused' for f in sys.meta_path))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", sorted((REPO / "scripts").glob("*.py")), ids=lambda p: p.name)
def test_every_job_script_skips_unused_imports_before_its_other_imports(script: Path) -> None:
    body = ast.parse(script.read_text()).body[1:]  # after the docstring
    first, call = body[0], body[1]
    assert isinstance(first, ast.ImportFrom) and first.module == "assaypipe.joblog"
    assert "skip_unused_imports" in [alias.name for alias in first.names]
    assert ast.unparse(call) == "skip_unused_imports()"


def test_the_snakefile_skips_unused_imports_before_checking_the_config() -> None:
    text = (REPO / "workflow" / "rules" / "common.smk").read_text()
    assert 0 < text.index("\nskip_unused_imports()\n") < text.index("\nvalidate(config,")


_ENDED = """
import atexit, sys
from pathlib import Path
from assaypipe.joblog import end_job, logged
folder = Path(sys.argv[1])
atexit.register(lambda: (folder / "atexit.txt").write_text("ran"))
with logged(folder / "step.log") as log:
    log.info("working")
    {step}
sys.stdout.write("buffered, not yet flushed")
end_job()
(folder / "after.txt").write_text("ran")
"""


def _ended(folder: Path, step: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _ENDED.format(step=step), str(folder)],
                          capture_output=True, text=True)  # fmt: skip


def test_end_job_runs_the_exit_functions_flushes_and_exits_zero(tmp_path: Path) -> None:
    done = _ended(tmp_path, "pass")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "buffered, not yet flushed"  # piped stdout is block-buffered
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert not (tmp_path / "after.txt").exists()
    log = (tmp_path / "step.log").read_text().splitlines()
    assert log[0].endswith("INFO working") and "resources:" in log[-1]


def test_a_failed_step_never_reaches_end_job_and_exits_with_its_error(tmp_path: Path) -> None:
    done = _ended(tmp_path, "raise ValueError('bad plate')")
    assert done.returncode == 1
    assert "ValueError: bad plate" in done.stderr
    assert done.stdout == ""
    assert (tmp_path / "atexit.txt").read_text() == "ran"  # an ordinary exit
    assert "step failed" in (tmp_path / "step.log").read_text()


@pytest.mark.parametrize("script", sorted((REPO / "scripts").glob("*.py")), ids=lambda p: p.name)
def test_every_job_script_ends_with_end_job(script: Path) -> None:
    body = ast.parse(script.read_text()).body
    assert ast.unparse(body[-1]) == "end_job()"
    assert isinstance(body[-2], ast.With)  # after its logged block
