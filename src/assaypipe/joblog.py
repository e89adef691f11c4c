"""A workflow job's log: its messages and warnings, and what the job cost.

Kept free of heavy imports (no pandas): every job script enters :func:`logged` first,
and a job's start-up is part of what it costs.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

# The line each job ends its log with; bench/bench_workflow.py reads it back.
RESOURCES_PREFIX = "resources:"

# Packages that libraries import only because they are installed, for features no job
# uses: pandera imports hypothesis (its data-synthesis strategies) at the first table
# validation, statsmodels and Snakemake's config check import polars (to recognise
# polars frames). The test tools put both in the same environment; each costs a job
# about 0.3 s of CPU.
UNUSED_IN_JOBS = ("hypothesis", "polars")


class _SkipUnused:
    """An import finder that stops the packages of :data:`UNUSED_IN_JOBS` being found.

    Their ``import`` raises ModuleNotFoundError, which the libraries take as "not
    installed"; ``sys.modules`` gets no entry for them, so a library that looks there
    (scikit-learn does, for polars) sees them as not imported.
    """

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in UNUSED_IN_JOBS:
            raise ModuleNotFoundError(f"an assaypipe job does not import {name}", name=name)


def skip_unused_imports() -> None:
    """Let this process import none of :data:`UNUSED_IN_JOBS`, as if not installed.

    Every job script calls it before its other imports, and the Snakefile before it
    checks the config. A package already imported stays as it is. The library itself
    never calls it: the tests use both packages.
    """
    if not any(isinstance(finder, _SkipUnused) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SkipUnused())


def one_blas_thread() -> None:
    """Give numpy's BLAS one thread in this process, whatever threads the job was given
    (Snakemake sets ``OMP_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` to them). For a job
    whose threads are its processes (:class:`Forked`): a second BLAS thread would spin
    beside them (0.1 s of CPU at numpy's import alone) and could sum in another order
    than one thread does. Called before numpy is imported; later it changes nothing.
    """
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"


def room_to_fork(mem_mb: float) -> bool:
    """Whether a forked process fits in the job's memory (``mem_mb``, its resources'):
    the most this process has held so far is under half of it. A forked process shares
    the pages it does not write, but the two together may come near twice one."""
    return _max_rss_mib() * 2**20 < mem_mb * 1e6 / 2


@dataclass(frozen=True)
class JobResources:
    """CPU seconds of the job's process before and inside the step, and its peak memory.

    ``startup_cpu`` is what the process spent before the step began (the interpreter,
    Snakemake's preamble and the script's imports); ``children_cpu`` that of the
    processes the step started and waited for.
    """

    startup_cpu: float
    step_cpu: float
    children_cpu: float
    step_wall: float
    max_rss_mib: float

    def line(self) -> str:
        """``resources: startup_cpu_s=0.412 step_cpu_s=1.230 ...`` (one log line)."""
        return (
            f"{RESOURCES_PREFIX} startup_cpu_s={self.startup_cpu:.3f} "
            f"step_cpu_s={self.step_cpu:.3f} children_cpu_s={self.children_cpu:.3f} "
            f"step_wall_s={self.step_wall:.3f} max_rss_mib={self.max_rss_mib:.0f}"
        )


def parse_resources(line: str) -> JobResources | None:
    """The figures of a ``resources:`` log line, or None for any other line.

    >>> parse_resources("x INFO resources: startup_cpu_s=0.4 step_cpu_s=1 "
    ...                 "children_cpu_s=0 step_wall_s=1.5 max_rss_mib=200").step_cpu
    1.0
    """
    _, found, rest = line.partition(RESOURCES_PREFIX + " ")
    if not found:
        return None
    values = dict(item.split("=", 1) for item in rest.split())
    return JobResources(
        startup_cpu=float(values["startup_cpu_s"]),
        step_cpu=float(values["step_cpu_s"]),
        children_cpu=float(values["children_cpu_s"]),
        step_wall=float(values["step_wall_s"]),
        max_rss_mib=float(values["max_rss_mib"]),
    )


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _max_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@contextmanager
def logged(log_path: str | Path) -> Iterator[logging.Logger]:
    """Send this step's log messages and warnings to ``log_path`` (the rule's log).

    The log ends with a ``resources:`` line (:class:`JobResources`), also when the
    step fails: the job's own CPU figures, which Snakemake's benchmark files miss for
    short jobs and sample only now and then for long ones.

    The objects alive when the step starts (the modules the script imported) are kept
    out of the garbage collector's passes for the rest of the job
    (:func:`freeze_alive`).
    """
    freeze_alive()
    startup_cpu, children_before = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    logger = logging.getLogger("assaypipe")
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").addHandler(handler)
    try:
        yield logger
    except Exception:
        logger.exception("step failed")
        raise
    finally:
        figures = JobResources(
            startup_cpu=startup_cpu,
            step_cpu=_cpu(resource.RUSAGE_SELF) - startup_cpu,
            children_cpu=_cpu(resource.RUSAGE_CHILDREN) - children_before,
            step_wall=time.perf_counter() - start,
            max_rss_mib=_max_rss_mib(),
        )
        logger.info("%s", figures.line())
        logger.removeHandler(handler)
        logging.getLogger("py.warnings").removeHandler(handler)
        handler.close()


def freeze_alive() -> None:
    """Keep every object alive now out of the garbage collector's later passes
    (``gc.freeze``): a job's process lives as long as its step, and so do the modules
    it imported, so walking them again at every full collection is wasted work (0.3 s
    of the statistics and report job on a 1,000-plate study). Called again before a
    job forks workers, it also spares the workers' collector the pages they share with
    the parent, which it would otherwise copy (0.2 s of the report's figure workers).

    For job processes only (:func:`logged` calls it): what is frozen is never freed by
    the collector, which a job that ends with its step does not miss.
    """
    gc.freeze()


class Forked:
    """A part of a job's step run in a forked process while the job's own process goes
    on with the rest: :meth:`wait` returns when it is done, and raises its error if it
    failed. The forked process starts with what the job has imported and read, writes
    its own outputs and logs to the job's log; the job's ``resources:`` line counts its
    CPU among the children's. :meth:`stop` ends it early (the job's own part failed).

    Forking needs no pickling of ``work`` (a closure will do); its error comes back
    pickled, or as a RuntimeError with its text where it does not pickle. With ``fork``
    false (a job given one thread), ``work`` runs here and now, and its error is raised
    at once.
    """

    def __init__(self, work: Callable[[], None], name: str = "forked", fork: bool = True) -> None:
        self._waited = not fork
        if not fork:
            work()
            return
        import multiprocessing  # here: most jobs never fork

        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run_forked, args=(work, send), name=name)
        self._process.start()
        send.close()

    def wait(self) -> None:
        """Wait for the forked part; raise its error if it failed."""
        if self._waited:
            return
        self._waited = True
        error, died = None, False
        try:
            error = self._receive.recv()
        except EOFError:  # it died without a word (killed, out of memory)
            died = True
        finally:
            self._process.join()
            self._receive.close()
        if died:
            raise RuntimeError(
                f"the job's {self._process.name} part ended with exit code "
                f"{self._process.exitcode} before it was done"
            )
        if error is not None:
            raise error

    def stop(self) -> None:
        """End the forked part if it is still running (the rest of the step failed)."""
        if not self._waited:
            self._waited = True
            self._process.terminate()
            self._process.join()
            self._receive.close()


def _run_forked(work: Callable[[], None], send: Any) -> None:
    error: BaseException | None = None
    try:
        work()
    except BaseException as failed:  # handed to the job's process, which raises it
        failed.add_note("in a forked part of the job:\n" + traceback.format_exc().rstrip())
        error = failed
    try:
        send.send(error)
    except Exception:  # an error that does not pickle: its text
        send.send(RuntimeError(f"{type(error).__name__}: {error}"))
    send.close()


def end_job() -> NoReturn:
    """End the job's process, its outputs written: the exit functions run (``atexit``:
    handlers flushed and closed, worker pools stopped, temporary folders removed) and
    the standard streams are flushed as at any exit; only the interpreter's teardown of
    the modules it loaded is left out. That teardown costs a job that has loaded
    pandas, pyarrow and matplotlib 0.1-0.2 s of wall time, and it changes nothing on
    disk.

    Every job script calls it last, after its :func:`logged` block; a step that failed
    never gets there, and its process exits as usual with the error. Code after the
    call never runs. The library never calls it: the tests run in one process.
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # closed or replaced by then: nothing to flush
        with suppress(AttributeError, OSError, ValueError):
            stream.flush()
    os._exit(0)
