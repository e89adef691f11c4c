"""Per-plate figures drawn once: each PNG is kept under a key of everything it is drawn
from, so that a report run again after one plate was added draws only that plate's
figures, and the figures still to draw are drawn by several processes at once.

A key is the SHA-256 of the figure's kind, its inputs (tables by their values, column
names and types; numbers, texts and mappings by their values) and the drawing code
(this package's source, matplotlib's and Pillow's versions): the same inputs
drawn by the same code give the same bytes, so a kept PNG is the one that would be
drawn. File names are keys (hex digits), never text from a plate file. The cache holds
the figures of the last report only: those not asked for again are removed
(:meth:`FigureCache.prune`).

The workers are started once for the whole report, and a section need not wait for its
figures (:meth:`FigureCache.later`): it goes on building its HTML while they are drawn,
and the page takes them in at the end (:meth:`ReportContext.embed
<assaypipe.report.context.ReportContext.embed>`).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

import pandas as pd

from assaypipe.kept import package_source, write_whole

# A single figure is drawn in the report's own process unless the workers are running;
# from two on, the workers share them (a forked worker starts in milliseconds; a figure
# takes tens).
PARALLEL_FROM = 2


@cache
def drawing_code() -> bytes:
    """What the figures' pixels depend on besides their inputs: the source of the
    package (the figure modules and what they call: the curve model, unit labels, the
    names' shortening) and the versions of matplotlib and Pillow."""
    import matplotlib
    import PIL

    digest = hashlib.sha256(package_source())
    digest.update(f"matplotlib {matplotlib.__version__} pillow {PIL.__version__}".encode())
    return digest.digest()


def figure_key(kind: str, *parts: object) -> str:
    """The key of a figure of ``kind`` drawn from ``parts``.

    >>> figure_key("curve", 1.0, "pg/mL") == figure_key("curve", 1.0, "pg/mL")
    True
    >>> figure_key("curve", 1.0, "pg/mL") == figure_key("curve", 1.0, "ng/mL")
    False
    """
    digest = hashlib.sha256(drawing_code())
    digest.update(kind.encode())
    for part in parts:
        _update(digest, part)
    return digest.hexdigest()


def _update(digest: Any, part: object) -> None:
    """Feed one input to the digest, tagged with its type so that no two kinds of
    value give the same bytes."""
    if isinstance(part, pd.DataFrame):
        digest.update(b"frame")
        digest.update(repr([(str(c), str(t)) for c, t in part.dtypes.items()]).encode())
        digest.update(str(len(part)).encode())
        try:
            hashed = pd.util.hash_pandas_object(part, index=False, categorize=False)
            digest.update(hashed.to_numpy().tobytes())
        except (TypeError, ValueError):
            # A cell pandas cannot hash (a list, a mixed object): its text stands in.
            digest.update(part.to_csv(index=False).encode())
    elif isinstance(part, Mapping):
        digest.update(b"mapping")
        for key in sorted(part, key=str):
            _update(digest, str(key))
            _update(digest, part[key])
    elif part is None:
        digest.update(b"none")
    else:
        digest.update(f"{type(part).__name__}:{part!r}".encode())
    digest.update(b"\x00")


@dataclass
class FigureRequest:
    """A figure to be had: its key and how to draw it (a picklable function and its
    arguments, so that a worker process can draw it)."""

    key: str
    draw: Callable[..., bytes]
    args: tuple[Any, ...]


class Pending:
    """A figure's PNG: at hand, or being drawn by a worker and kept once drawn."""

    def __init__(
        self,
        data: bytes | None = None,
        future: concurrent.futures.Future[bytes] | None = None,
        keep: Callable[[bytes], None] | None = None,
    ) -> None:
        self._data, self._future, self._keep = data, future, keep

    @property
    def at_hand(self) -> bool:
        """Whether the PNG is here already (read from the cache or drawn here)."""
        return self._data is not None

    @property
    def drawn_well(self) -> bool:
        """Whether its worker has finished it without an error (or it is at hand)."""
        future = self._future
        return self._data is not None or (
            future is not None and future.done() and future.exception() is None
        )

    def result(self) -> bytes:
        """The PNG, waiting for its worker if it is still being drawn."""
        if self._data is None:
            assert self._future is not None
            self._data = self._future.result()
            if self._keep is not None:
                self._keep(self._data)
        return self._data


@dataclass
class FigureCache:
    """PNGs kept in ``folder`` under their keys (nothing kept where ``folder`` is None);
    ``workers`` processes draw the figures missing from it. :meth:`close` stops them."""

    folder: Path | None = None
    workers: int = 1
    drawn: int = 0
    reused: int = 0
    removed: int = 0
    _pool: concurrent.futures.ProcessPoolExecutor | None = field(default=None, repr=False)
    # every figure asked for in this report, drawn or on its way
    _asked: dict[str, Pending] = field(default_factory=dict, repr=False)

    def png(self, requests: Sequence[FigureRequest], parallel: bool = True) -> dict[str, bytes]:
        """Every request's PNG by key: the kept ones read, the others drawn (by the
        workers when ``parallel``) and kept."""
        return {key: figure.result() for key, figure in self.later(requests, parallel).items()}

    def later(self, requests: Sequence[FigureRequest], parallel: bool = True) -> dict[str, Pending]:
        """As :meth:`png`, without waiting: the kept figures at hand, the missing ones
        handed to the workers (when ``parallel`` and there are two or more; else drawn
        here), each kept once it is drawn."""
        found: dict[str, Pending] = {}
        missing: dict[str, FigureRequest] = {}
        for request in requests:
            if request.key in found or request.key in missing:
                continue
            if request.key in self._asked:  # asked for before in this report
                found[request.key] = self._asked[request.key]
                continue
            kept = self._read(request.key)
            if kept is None:
                missing[request.key] = request
            else:
                found[request.key] = Pending(kept)
        self.reused += len(found)
        self.drawn += len(missing)
        alone = len(missing) < PARALLEL_FROM and self._pool is None
        if not parallel or self.workers <= 1 or alone:
            for key, request in missing.items():
                data = request.draw(*request.args)
                self._write(key, data)
                found[key] = Pending(data)
        else:
            pool = self._workers()
            for key, request in missing.items():
                future = pool.submit(_draw_one, (request.draw, request.args))
                found[key] = Pending(future=future, keep=partial(self._write, key))
        self._asked.update(found)
        return found

    def close(self) -> None:
        """Stop the workers (after the figures handed to them are drawn), and keep every
        figure they drew, taken or not."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for figure in self._asked.values():
            if figure.drawn_well:
                figure.result()

    def prune(self) -> int:
        """Remove the kept figures this run did not ask for; how many were removed."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.glob("*.png"):
            if path.stem not in self._asked:
                path.unlink(missing_ok=True)
                removed += 1
        self.removed += removed
        return removed

    def _read(self, key: str) -> bytes | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.png"
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _write(self, key: str, data: bytes) -> None:
        if self.folder is None:
            return
        write_whole(self.folder / f"{key}.png", data)

    def _workers(self) -> concurrent.futures.ProcessPoolExecutor:
        # Forked workers start with what this process has imported and drawn (fonts,
        # templates), once for the whole report; each takes the next figure handed over.
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("fork")
            )
        return self._pool


def _draw_one(job: tuple[Callable[..., bytes], tuple[Any, ...]]) -> bytes:
    draw, args = job
    return draw(*args)
