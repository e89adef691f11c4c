"""The distinct standard levels of each curve of a batch: their concentrations, means,
SDs and counts, as NaN-padded arrays with one row per curve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from assaypipe.curves.model import BoolArray, FloatArray

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Levels:
    """Distinct concentrations of each curve's used points, ascending, NaN-padded."""

    conc: FloatArray
    mean: FloatArray
    sd: FloatArray
    count: IntArray
    n: IntArray
    # level index of every point (-1 for unused points)
    of_point: IntArray


def levels_of(x: FloatArray, y: FloatArray, used: BoolArray) -> Levels:
    n, p = x.shape
    width = max(p, 1)
    key = np.where(used, x, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    xs = np.take_along_axis(key, order, axis=1)
    ys = np.take_along_axis(np.where(used, y, 0.0), order, axis=1)
    us = np.take_along_axis(used, order, axis=1)
    new = np.ones((n, p), dtype=bool)
    new[:, 1:] = xs[:, 1:] != xs[:, :-1]
    level_sorted = np.where(us, np.cumsum(new, axis=1) - 1, -1)
    # One flat bin per (curve, level); unused points go to a spare bin at the end.
    flat = np.where(us, np.arange(n)[:, None] * width + level_sorted, n * width).ravel()
    size = n * width + 1
    count = np.bincount(flat, minlength=size)[:-1].reshape(n, width)
    total = np.bincount(flat, weights=ys.ravel(), minlength=size)[:-1].reshape(n, width)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        centred = np.where(us, ys - np.append(mean.ravel(), 0.0)[flat].reshape(n, p), 0.0)
        square = np.bincount(flat, weights=(centred**2).ravel(), minlength=size)[:-1]
        sd = np.where(count > 1, np.sqrt(square.reshape(n, width) / (count - 1)), np.nan)
    conc = np.full(n * width + 1, np.nan)
    conc[flat] = xs.ravel()
    of_point = np.full((n, p), -1, dtype=np.int64)
    np.put_along_axis(of_point, order, level_sorted, axis=1)
    n_levels = np.count_nonzero(count > 0, axis=1).astype(np.int64)
    return Levels(conc[:-1].reshape(n, width), mean, sd, count.astype(np.int64), n_levels, of_point)


def subset_levels(levels: Levels, rows: IntArray) -> Levels:
    return Levels(
        levels.conc[rows],
        levels.mean[rows],
        levels.sd[rows],
        levels.count[rows],
        levels.n[rows],
        levels.of_point[rows],
    )


def last_level(levels: Levels) -> IntArray:
    return np.maximum(levels.n - 1, 0)
