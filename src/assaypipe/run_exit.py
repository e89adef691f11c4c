"""A finished run's process exits at once.

Snakemake's job-rate limiter (``--max-jobs-per-timespan``, on by default at 100 jobs a
second) arms a one-second ``threading.Timer`` at every scheduling round to look at the
queue again. The timer is not a daemon thread, so after the last job the interpreter
waits for the last one to fire before it exits: up to a second added to every run,
however small. When the run is over there is nothing left to schedule, and the
workflow's ``onsuccess`` and ``onerror`` handlers cancel those timers.
"""

from __future__ import annotations

import threading

# Where the timers' function comes from (snakemake.scheduling.job_scheduler,
# JobScheduler._schedule_reevalutation, a lambda that releases the scheduler's queue).
SCHEDULER_MODULE = "snakemake.scheduling.job_scheduler"
SCHEDULER_METHOD = "_schedule_reevalutation"


def cancel_scheduler_timers() -> int:
    """Cancel the scheduler's rate-limit timers still waiting; how many were waiting.

    Only timers armed by Snakemake's scheduler are touched; any other thread is left
    alone."""
    cancelled = 0
    for thread in threading.enumerate():
        if not isinstance(thread, threading.Timer) or thread.finished.is_set():
            continue
        function = getattr(thread, "function", None)
        if getattr(
            function, "__module__", None
        ) == SCHEDULER_MODULE and SCHEDULER_METHOD in getattr(function, "__qualname__", ""):
            thread.cancel()
            cancelled += 1
    return cancelled
