"""The scheduler's rate-limit timers are cancelled when a run is over (run_exit)."""

from __future__ import annotations

import threading
import types

from snakemake.scheduling.job_scheduler import JobScheduler

from assaypipe.run_exit import cancel_scheduler_timers


def _scheduler_timer(delay: float) -> tuple[threading.Timer, threading.Semaphore]:
    """A timer armed by Snakemake's own method, on a stand-in holding only the queue
    semaphore the method releases."""
    queue = threading.Semaphore(0)
    before = set(threading.enumerate())
    JobScheduler._schedule_reevalutation(types.SimpleNamespace(_open_jobs=queue), delay)
    (timer,) = [t for t in threading.enumerate() if t not in before]
    assert isinstance(timer, threading.Timer)
    return timer, queue


def test_the_schedulers_timer_is_cancelled_and_never_fires() -> None:
    timer, queue = _scheduler_timer(0.5)
    assert not timer.daemon  # what holds the interpreter's exit
    assert cancel_scheduler_timers() == 1
    timer.join(5)
    assert not timer.is_alive()
    # Cancelled, the timer never released the scheduler's queue.
    assert not queue.acquire(blocking=False)


def test_other_timers_are_left_alone() -> None:
    fired = threading.Event()
    other = threading.Timer(0.05, fired.set)
    other.start()
    assert cancel_scheduler_timers() == 0
    other.join(5)
    assert fired.is_set()


def test_a_fired_scheduler_timer_is_not_counted() -> None:
    timer, queue = _scheduler_timer(0.05)
    timer.join(5)
    assert queue.acquire(blocking=False)  # it fired: Snakemake's method did its work
    assert cancel_scheduler_timers() == 0
