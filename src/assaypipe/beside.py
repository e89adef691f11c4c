"""A step run in a forked process beside the job's own next steps.

A job with two cores and two independent steps (the study tables' QC and the samples'
values) runs one of them here. The step is not pickled: the forked process has it,
and its arguments, from the moment it was started. Only its result comes back.

>>> wait = beside(sum, [1, 2, 3], threads=2)
>>> wait()
6
>>> beside(sum, [1, 2, 3], threads=1)()
6
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# The step the forked process is to run: set before it is forked, read in it.
_STARTED: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []


def _run_started() -> Any:
    function, args = _STARTED[-1]
    return function(*args)


def beside(function: Callable[..., T], *args: Any, threads: int) -> Callable[[], T]:
    """Start ``function(*args)`` and return what waits for its result.

    With ``threads`` of 2 or more it runs in a forked process while the caller goes
    on; an error it raises is raised by the wait. With one thread (or where fork is not
    available) it runs here, now. Either way the result is the same.
    """
    if threads < 2 or "fork" not in multiprocessing.get_all_start_methods():
        result = function(*args)
        return lambda: result
    _STARTED.append((function, args))
    try:
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("fork")
        )
        future: concurrent.futures.Future[T] = pool.submit(_run_started)  # forked here
    finally:
        _STARTED.pop()

    def wait() -> T:
        try:
            return future.result()
        finally:
            pool.shutdown(wait=True)

    return wait
