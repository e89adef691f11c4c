"""A step run in a forked process beside the caller (assaypipe.beside)."""

from __future__ import annotations

import os
import threading

import pytest

from assaypipe.beside import beside


def _pid_and(value: object) -> tuple[int, object]:
    return os.getpid(), value


def _fails(message: str) -> None:
    raise ValueError(message)


def test_with_two_threads_the_step_runs_in_another_process() -> None:
    pid, value = beside(_pid_and, "x", threads=2)()
    assert pid != os.getpid()
    assert value == "x"


def test_with_one_thread_it_runs_here() -> None:
    pid, value = beside(_pid_and, "x", threads=1)()
    assert pid == os.getpid()
    assert value == "x"


def _held(lock: threading.Lock) -> bool:
    return lock.locked()


def test_its_arguments_are_not_pickled() -> None:
    lock = threading.Lock()  # cannot be pickled; a forked process has it all the same
    with lock:
        assert beside(_held, lock, threads=2)() is True


@pytest.mark.parametrize("threads", [1, 2])
def test_an_error_is_raised_by_the_wait(threads: int) -> None:
    with pytest.raises(ValueError, match="no curve"):
        beside(_fails, "no curve", threads=threads)()
