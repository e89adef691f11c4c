"""Study-wide progress across chunk jobs: plates done / total and the time left.

Each chunk job records how many of its plates it has done in its own small file under
a progress folder; any job can then sum them and estimate the time left from the rate
since the first chunk started. Files are replaced atomically, so parallel jobs (local
or on a cluster's shared file system) never read a half-written count.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

TOTAL_FILE = "total"
# The time left is estimated once this many plates are done and this long has passed.
MIN_PLATES_FOR_ESTIMATE = 10
MIN_SECONDS_FOR_ESTIMATE = 2.0


def start_study(folder: str | Path, total_plates: int) -> None:
    """Reset the progress folder for a run over ``total_plates`` plates."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if stale.is_file():
            stale.unlink()
    _write(folder / TOTAL_FILE, {"total": total_plates, "started": time.time()})


class ChunkProgress:
    """Progress of one chunk job, reported against the whole study."""

    def __init__(self, folder: str | Path, chunk: str, logger: logging.Logger) -> None:
        self.folder = Path(folder)
        self.chunk = chunk
        self.logger = logger
        self.started = time.time()
        self.last_shown = 0.0

    def update(self, done: int, every: float = 2.0) -> str | None:
        """Record ``done`` plates of this chunk; log and return the study-wide line.

        The line is shown at most once per ``every`` seconds (and when the study is done).
        """
        if not (self.folder / TOTAL_FILE).is_file():
            return None  # a run without a progress folder (e.g. a single rule by hand)
        _write(self.folder / f"{self.chunk}.json", {"done": done, "started": self.started})
        line = study_line(self.folder)
        now = time.time()
        finished = line is not None and "left" not in line
        if line and (finished or now - self.last_shown >= every):
            self.last_shown = now
            self.logger.info(line)
            print(f"[{self.chunk}] {line}", file=sys.stderr, flush=True)
            return line
        return None


def study_line(folder: str | Path, now: float | None = None) -> str | None:
    """``plates done: 340/1000 (34%), about 25 s left`` from the progress folder."""
    folder = Path(folder)
    total = _read(folder / TOTAL_FILE)
    if total is None:
        return None
    chunks = [_read(path) for path in folder.glob("*.json")]
    records = [record for record in chunks if record is not None]
    done = sum(int(record["done"]) for record in records)
    n_total = int(total["total"])
    line = f"plates done: {done}/{n_total} ({100 * done / max(n_total, 1):.0f}%)"
    if records and 0 < done < n_total:
        first = min(float(record["started"]) for record in records)
        elapsed = (now if now is not None else time.time()) - first
        if done < MIN_PLATES_FOR_ESTIMATE or elapsed < MIN_SECONDS_FOR_ESTIMATE:
            # The first plates carry the job's start-up: a rate from them is far off.
            line += ", estimating the time left"
        else:
            left = elapsed / done * (n_total - done)
            line += f", about {_duration(left)} left"
    return line


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _write(path: Path, record: dict[str, float | int]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def _read(path: Path) -> dict[str, float] | None:
    try:
        value = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
