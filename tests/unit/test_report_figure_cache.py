"""report.figure_cache: figures kept under the key of what they are drawn from, the
missing ones drawn by worker processes, the unused ones removed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from assaypipe.report.figure_cache import FigureCache, FigureRequest, figure_key

WELLS = pd.DataFrame({"role": ["sample", "control"], "signal": [120.5, 88.0]})


def square(colour: str, size: int) -> bytes:
    """A real PNG (Pillow), so that what the workers return is what was drawn."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="png")
    return buffer.getvalue()


def requests(n: int) -> list[FigureRequest]:
    colours = ["red", "green", "blue", "black", "white", "yellow", "cyan", "magenta"]
    return [
        FigureRequest(figure_key("square", colours[i % 8], 4 + i), square, (colours[i % 8], 4 + i))
        for i in range(n)
    ]


def test_a_key_follows_the_values_and_types_not_the_row_labels() -> None:
    key = figure_key("curve", WELLS, {"lloq": 1.5}, None)
    assert key == figure_key("curve", WELLS.set_axis([7, 9]), {"lloq": 1.5}, None)
    assert key != figure_key("curve", WELLS.assign(signal=[120.5, 88.1]), {"lloq": 1.5}, None)
    assert key != figure_key("curve", WELLS.astype({"signal": "float32"}), {"lloq": 1.5}, None)
    assert key != figure_key("curve", WELLS, {"lloq": 1.6}, None)
    assert key != figure_key("curve", WELLS, {"uloq": 1.5}, None)
    assert key != figure_key("curve", WELLS, {"lloq": 1.5}, "")
    assert key != figure_key("plate_map", WELLS, {"lloq": 1.5}, None)
    # NaN is a value like any other: the same NaN gives the same key
    nan = WELLS.assign(signal=[np.nan, 88.0])
    assert figure_key("curve", nan) == figure_key("curve", nan.copy())
    # a cell pandas cannot hash is keyed by its text
    lists = pd.DataFrame({"rules": [["1-2s"], ["1-3s", "R-4s"]]})
    assert figure_key("lj", lists) != figure_key("lj", lists.iloc[::-1])


def test_kept_figures_are_read_back_and_only_missing_ones_are_drawn(tmp_path: Path) -> None:
    cache = FigureCache(tmp_path / "kept")
    first = cache.png(requests(3))
    assert (cache.drawn, cache.reused) == (3, 0)
    assert sorted(p.stem for p in (tmp_path / "kept").glob("*.png")) == sorted(first)
    again = FigureCache(tmp_path / "kept")
    assert again.png(requests(4)) == {**first, **again.png(requests(4)[3:])}
    assert (again.drawn, again.reused) == (1, 4)
    # nothing is left half-written
    assert not list((tmp_path / "kept").glob("*.part"))


def test_workers_draw_the_same_bytes_as_one_process(tmp_path: Path) -> None:
    alone = FigureCache(None, workers=1).png(requests(10))
    shared = FigureCache(tmp_path, workers=2).png(requests(10))
    assert shared == alone
    assert all(Image.open(io.BytesIO(png)).size[0] >= 4 for png in shared.values())


def test_figures_not_asked_for_again_are_removed(tmp_path: Path) -> None:
    FigureCache(tmp_path).png(requests(5))
    stray = tmp_path / "notes.txt"
    stray.write_text("not a figure")
    cache = FigureCache(tmp_path)
    kept = cache.png(requests(2))
    assert cache.prune() == 3
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(kept)
    assert stray.exists()  # only figures are removed
    assert FigureCache(None).prune() == 0


def test_a_cache_folder_that_cannot_be_written_still_gives_every_figure(tmp_path: Path) -> None:
    blocked = tmp_path / "kept"
    blocked.write_text("a file where the folder would be")
    cache = FigureCache(blocked)
    drawn = cache.png(requests(3))
    assert drawn == FigureCache(None).png(requests(3))
    assert (cache.drawn, cache.reused, cache.prune()) == (3, 0, 0)


def test_figures_handed_to_the_workers_are_had_later_and_kept_once_drawn(tmp_path: Path) -> None:
    alone = FigureCache(None, workers=1).png(requests(6))
    cache = FigureCache(tmp_path, workers=2)
    try:
        first = cache.later(requests(4))
        more = cache.later(requests(6)[2:])  # two asked for again, two new
        # The two asked for again are the ones on their way, not drawn twice.
        assert (cache.drawn, cache.reused) == (6, 2)
        assert all(more[key] is first[key] for key in list(first)[2:])
        # The workers run for the whole report: one pool, started once.
        assert cache._pool is not None
        got = {key: figure.result() for key, figure in {**first, **more}.items()}
    finally:
        cache.close()
    assert cache._pool is None
    assert got == alone
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(alone)


def test_one_figure_is_drawn_here_until_the_workers_run(tmp_path: Path) -> None:
    cache = FigureCache(None, workers=2)
    (only,) = cache.later(requests(1)).values()
    assert cache._pool is None
    assert only.result() == FigureCache(None).png(requests(1))[requests(1)[0].key]


def test_a_figure_drawn_but_never_taken_is_kept_when_the_workers_stop(tmp_path: Path) -> None:
    cache = FigureCache(tmp_path, workers=2)
    asked = cache.later(requests(3))
    cache.close()
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(asked)
