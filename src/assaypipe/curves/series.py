"""Is a standard series a plausible dilution series? The one rule, used by the readers
(:mod:`assaypipe.readers.standards`, which flag the analyte's standards
``broken_dilution_series``) and by the curve fit (:mod:`assaypipe.curves.fit`, which
leaves such a level out, status ``broken_dilution_series``); QC fails an analyte whose
standards carry the flag.

Over a series' levels with an expected concentration above 0, in series order (the
level number where the export gives one, else the rank of the concentration), a level
is off the series when

- it lies more than 10-fold (``MAX_FOLD_OFF``) off the straight line through the
  series on a log scale (fitted robustly: Theil-Sen, the median slope of all pairs;
  at least 3 levels), or
- it breaks the order: a step against the series' direction, or two levels with the
  same concentration (the one of the pair farther from the line is blamed), or
- it is an end level (the first or the last) whose dilution step differs from the
  series' median step by more than 4-fold (``MAX_STEP_FACTOR``; at least 4 levels).
  A step is the concentration ratio per level number, so a missing level number
  does not count as a step twice as large.

A dilution series need not have even steps (100, 40, 12, 3, 1) and may be linear
(40, 35, ..., 1): neither rule fires on those. A typo such as 215625 for 215.625 fires
both.

>>> off_series_levels(np.arange(5), np.array([3450, 1725, 862.5, 431.25, 215625]))
[4]
>>> off_series_levels(np.arange(5), np.array([100, 40, 12, 3, 1.0]))
[]
>>> off_series_levels(np.arange(5), np.array([1000, 250, 62.5, 15.625, 0.78]))  # 20x step
[4]
>>> off_series_levels([1, 2, 3, 5], [1000, 200, 40, 1.6])  # level 4 not given
[]
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_FOLD_OFF",
    "MAX_STEP_FACTOR",
    "off_series_levels",
    "off_series_mask",
    "series_steps",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_FOLD_OFF: Final = 10.0
MAX_STEP_FACTOR: Final = 4.0


def series_steps(positions: npt.ArrayLike, conc: npt.ArrayLike) -> FloatArray:
    """The log (natural) concentration step per level number between neighbours, along
    the last axis."""
    x = np.asarray(positions, dtype=float)
    c = np.asarray(conc, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # The log of the ratio, not the difference of logs: a step of exactly 4 times
        # the median is then exactly at the limit (not off by rounding).
        return np.asarray(np.log(c[..., 1:] / c[..., :-1]) / np.diff(x, axis=-1), dtype=float)


def off_series_levels(positions: npt.ArrayLike, conc: npt.ArrayLike) -> list[int]:
    """Positions (into the given arrays, in series order) of the levels off the series;
    ``conc`` must be finite and above 0."""
    c = np.asarray(conc, dtype=float).ravel()
    x = np.asarray(positions, dtype=float).ravel()
    mask = off_series_mask(x[None, :], c[None, :], np.array([c.size]))
    return np.flatnonzero(mask[0]).tolist()


def off_series_mask(positions: FloatArray, conc: FloatArray, count: npt.ArrayLike) -> BoolArray:
    """:func:`off_series_levels` of many series at once: row ``i`` holds a series in its
    first ``count[i]`` entries of ``positions`` and ``conc`` (``(n, w)``; the rest is
    padding); returns the ``(n, w)`` mask of the levels off their series."""
    x = np.asarray(positions, dtype=float)
    n, width = x.shape
    k = np.asarray(count, dtype=np.int64).reshape(n)
    valid = np.arange(width)[None, :] < k[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(valid, np.log10(np.where(valid, conc, 1.0)), np.nan)
    bad = np.zeros((n, width), dtype=bool)
    if width < 3:
        return bad
    rows = np.arange(n)
    # Theil-Sen: the median slope over all pairs of levels, then the median intercept.
    i, j = np.triu_indices(width, k=1)
    pair = valid[:, i] & valid[:, j] & (x[:, j] != x[:, i])
    with np.errstate(invalid="ignore", divide="ignore"):
        slopes = (y[:, j] - y[:, i]) / (x[:, j] - x[:, i])
    slope = _median(slopes, pair)
    judged = (k >= 3) & pair.any(axis=1)
    intercept = _median(y - slope[:, None] * x, valid)
    residual = y - (intercept[:, None] + slope[:, None] * x)
    with np.errstate(invalid="ignore"):
        far = np.abs(residual) > math.log10(MAX_FOLD_OFF)
        bad = np.asarray(judged[:, None] & valid & far, dtype=bool)
        steps = np.diff(y, axis=1)
        against = (np.sign(steps) != np.sign(slope)[:, None]) | (steps == 0)
    against &= judged[:, None] & valid[:, 1:]
    # A step against the series' direction: blame the level of the pair farther from
    # the line, unless one of the two is blamed already (pairs taken in series order).
    for step in range(width - 1):
        hit = against[:, step] & ~bad[:, step] & ~bad[:, step + 1]
        later = np.abs(residual[:, step + 1]) > np.abs(residual[:, step])
        bad[hit & ~later, step] = True
        bad[hit & later, step + 1] = True
    # An end level whose step (per level number) is off the median step.
    per_level = series_steps(x, np.where(valid, conc, np.nan))
    ends = k >= 4
    median = _median(per_level, valid[:, 1:])
    last = np.clip(k - 2, 0, width - 2)
    limit = math.log(MAX_STEP_FACTOR)
    with np.errstate(invalid="ignore"):
        first_off = ends & (np.abs(per_level[:, 0] - median) > limit)
        last_off = ends & (np.abs(per_level[rows, last] - median) > limit)
    bad[first_off, 0] = True
    bad[rows[last_off], k[last_off] - 1] = True
    return bad


def _median(values: FloatArray, keep: BoolArray) -> FloatArray:
    """The median of each row's kept values (NaN for a row with none), as np.median."""
    m = keep.sum(axis=1)
    ordered = np.sort(np.where(keep, values, np.inf), axis=1)
    rows = np.arange(values.shape[0])
    low = np.clip((m - 1) // 2, 0, values.shape[1] - 1)
    high = np.clip(m // 2, 0, values.shape[1] - 1)
    with np.errstate(invalid="ignore"):
        middle = 0.5 * (ordered[rows, low] + ordered[rows, high])
    return np.where(m > 0, middle, np.nan)
