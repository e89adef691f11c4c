"""Is a standard series a plausible dilution series? The one rule, used by the readers
(:mod:`assaypipe.readers.standards`, which flag the analyte's standards
``broken_dilution_series``) and by the curve fit (:mod:`assaypipe.curves.fit`, which
leaves such a level out, status ``broken_dilution_series``); QC fails an analyte whose
standards carry the flag. :func:`check_series` is that check of a curve fit, over the
levels of each curve's usable points, with the fit's other series checks: the levels
beyond a hook are left out and reversals noted.

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

from assaypipe.curves.levels import IntArray, Levels, last_level, levels_of
from assaypipe.curves.points import POINT_BROKEN_SERIES, POINT_HOOK, POINT_USED
from assaypipe.curves.result import (
    STATUS_BROKEN_SERIES,
    STATUS_CONVERGED,
    STATUS_HOOK,
    STATUS_NON_MONOTONIC,
)

__all__ = [
    "MAX_FOLD_OFF",
    "MAX_STEP_FACTOR",
    "check_series",
    "off_series_levels",
    "off_series_mask",
    "series_steps",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_FOLD_OFF: Final = 10.0
MAX_STEP_FACTOR: Final = 4.0
# A step in the level means against the curve's direction counts when it exceeds
# this share of the signal span (HOOK_SHARE for a fall after the top) and
# NOISE_SES standard errors of the difference of the two means (from their own
# replicates): smaller reversals are noise on a plateau.
REVERSAL_SHARE = 0.05
HOOK_SHARE = 0.15
NOISE_SES = 3.0
HOOK_NOISE_SES = 4.0


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


# ------------------------------------------------- the checks of a curve fit


def check_series(
    x: FloatArray,
    y: FloatArray,
    code: npt.NDArray[np.int8],
    status: npt.NDArray[np.object_],
    reasons: list[list[str]],
) -> Levels:
    """Leave out an end level off the dilution series and the levels beyond a hook,
    note reversals; returns the levels of the points left (``code`` updated)."""
    used = code == POINT_USED
    levels = levels_of(x, y, used)
    broken, found = _broken_series(levels)
    for i, level, ratio, step in found:
        reasons[i].append(
            f"broken dilution series: {levels.conc[i, level]:.6g} is {ratio:.4g}x its "
            f"neighbour where the series steps by {step:.3g}x; that level is not fitted"
        )
        status[i] = STATUS_BROKEN_SERIES
    if found:
        off = np.take_along_axis(broken, np.maximum(levels.of_point, 0), axis=1)
        code[used & off] = POINT_BROKEN_SERIES
        used = code == POINT_USED
        levels = levels_of(x, y, used)

    direction = _direction(levels)
    peak, hook = _hooks(levels, direction)
    for row in np.nonzero(hook)[0]:
        last = int(levels.n[row]) - 1
        top = levels.conc[row, peak[row]]
        reasons[row].append(
            f"hook: the mean signal falls from {levels.mean[row, peak[row]]:.4g} at {top:.4g} "
            f"to {levels.mean[row, last]:.4g} at {levels.conc[row, last]:.4g}; the levels "
            f"above {top:.4g} are not fitted"
        )
        if status[row] == STATUS_CONVERGED:
            status[row] = STATUS_HOOK
    if hook.any():
        beyond = hook[:, None] & (levels.of_point > peak[:, None])
        code[used & beyond] = POINT_HOOK
        used = code == POINT_USED
        levels = levels_of(x, y, used)

    back = _reversals(levels, direction, last_level(levels))
    for row in np.nonzero(back.any(axis=1))[0]:
        for at in np.nonzero(back[row])[0]:
            reasons[row].append(
                f"non-monotonic: the mean signal goes back from "
                f"{levels.mean[row, at - 1]:.4g} at {levels.conc[row, at - 1]:.4g} to "
                f"{levels.mean[row, at]:.4g} at {levels.conc[row, at]:.4g}"
            )
        if status[row] == STATUS_CONVERGED:
            status[row] = STATUS_NON_MONOTONIC
    return levels


def _direction(levels: Levels) -> FloatArray:
    """+1 for a rising curve, -1 for a falling one: the side of the extreme farthest
    from the lowest level's mean (robust to a hook at the top)."""
    first = levels.mean[:, :1]
    with np.errstate(invalid="ignore"):
        up = np.nanmax(np.where(np.isfinite(levels.mean), levels.mean - first, -np.inf), axis=1)
        down = np.nanmax(np.where(np.isfinite(levels.mean), first - levels.mean, -np.inf), axis=1)
    return np.where(up >= down, 1.0, -1.0)


def _broken_series(levels: Levels) -> tuple[BoolArray, list[tuple[int, int, float, float]]]:
    """Levels off the dilution series (:func:`~assaypipe.curves.series.off_series_levels`,
    over each curve's levels in order of concentration): a mask over levels and, per
    hit, (row, level, ratio to its neighbour, median step)."""
    n, width = levels.conc.shape
    rows = np.arange(n)
    present = np.arange(width)[None, :] < levels.n[:, None]
    # A zero dose (fit_curves' zero_dose) is no step of the series: series start after it.
    first = np.count_nonzero(present & ~(levels.conc > 0), axis=1)
    count = levels.n - first
    index = np.minimum(np.arange(width)[None, :] + first[:, None], width - 1)
    conc = np.take_along_axis(levels.conc, index, axis=1)
    rank = np.broadcast_to(np.arange(width, dtype=float), (n, width))
    off = off_series_mask(rank, conc, count)
    hits = np.zeros((n, width), dtype=bool)
    found: list[tuple[int, int, float, float]] = []
    if not off.any():
        return hits, found
    hit_rows, hit_levels = np.nonzero(off)
    hits[hit_rows, index[hit_rows, hit_levels]] = True
    for i, level in zip(hit_rows, hit_levels, strict=True):
        k = int(count[i])
        series = conc[i, :k]
        median = math.exp(float(np.median(series_steps(rank[i, :k], series))))
        ratio = series[1] / series[0] if level == 0 else series[level] / series[level - 1]
        found.append((int(rows[i]), int(first[i] + level), float(ratio), median))
    return hits, found


def _mean_variance(levels: Levels) -> FloatArray:
    """Variance of each level mean: its replicates' SD squared over their number; a
    level without replicates borrows the curve's pooled CV (0 when no level has any)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        replicated = (levels.count >= 2) & np.isfinite(levels.sd) & (levels.mean != 0)
        cv2 = np.where(replicated, (levels.sd / levels.mean) ** 2, 0.0)
        pooled = cv2.sum(axis=1) / np.maximum(replicated.sum(axis=1), 1)
        sd2 = np.where(replicated, levels.sd**2, pooled[:, None] * levels.mean**2)
        return np.asarray(np.nan_to_num(sd2 / np.maximum(levels.count, 1)))


def _difference_se(levels: Levels, i: IntArray, j: IntArray) -> FloatArray:
    """Standard error of mean[i] - mean[j] per row."""
    rows = np.arange(levels.mean.shape[0])
    var = _mean_variance(levels)
    return np.asarray(np.sqrt(var[rows, i] + var[rows, j]))


def _hooks(levels: Levels, direction: FloatArray) -> tuple[IntArray, BoolArray]:
    """Index of the peak level and whether the levels above it fall back (a hook)."""
    signed = direction[:, None] * levels.mean
    peak = np.argmax(np.where(np.isfinite(signed), signed, -np.inf), axis=1)
    last = last_level(levels)
    rows = np.arange(levels.mean.shape[0])
    span = signed[rows, peak] - signed[:, 0]
    drop = signed[rows, peak] - signed[rows, last]
    noise = HOOK_NOISE_SES * _difference_se(levels, peak, last)
    with np.errstate(invalid="ignore"):
        hook = (peak < last) & (drop > np.maximum(HOOK_SHARE * span, noise)) & (levels.n >= 3)
    return peak.astype(np.int64), hook


def _reversals(levels: Levels, direction: FloatArray, upto: IntArray) -> BoolArray:
    """Levels (up to ``upto``) whose mean steps back against the direction by more
    than the reversal share of the span."""
    signed = direction[:, None] * levels.mean
    width = signed.shape[1]
    valid = (np.arange(width)[None, :] <= upto[:, None]) & np.isfinite(signed)
    with np.errstate(invalid="ignore"):
        span = np.max(np.where(valid, signed, -np.inf), axis=1) - np.min(
            np.where(valid, signed, np.inf), axis=1
        )
        var = _mean_variance(levels)
        noise = NOISE_SES * np.sqrt(var[:, :-1] + var[:, 1:])
        threshold = np.maximum(REVERSAL_SHARE * span[:, None], noise)
        back = np.zeros_like(valid)
        back[:, 1:] = (signed[:, :-1] - signed[:, 1:] > threshold) & valid[:, 1:]
    return back
