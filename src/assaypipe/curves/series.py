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

__all__ = ["MAX_FOLD_OFF", "MAX_STEP_FACTOR", "off_series_levels", "series_steps"]

MAX_FOLD_OFF: Final = 10.0
MAX_STEP_FACTOR: Final = 4.0


def series_steps(positions: npt.ArrayLike, conc: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The log (natural) concentration step per level number between neighbours."""
    x = np.asarray(positions, dtype=float)
    c = np.asarray(conc, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # The log of the ratio, not the difference of logs: a step of exactly 4 times
        # the median is then exactly at the limit (not off by rounding).
        return np.asarray(np.log(c[1:] / c[:-1]) / np.diff(x), dtype=float)


def off_series_levels(positions: npt.ArrayLike, conc: npt.ArrayLike) -> list[int]:
    """Positions (into the given arrays, in series order) of the levels off the series;
    ``conc`` must be finite and above 0."""
    x = np.asarray(positions, dtype=float)
    c = np.asarray(conc, dtype=float)
    n = len(c)
    if n < 3:
        return []
    y = np.log10(c)
    i, j = np.triu_indices(n, k=1)
    keep = x[j] != x[i]
    if not keep.any():
        return []
    slope = float(np.median((y[j] - y[i])[keep] / (x[j] - x[i])[keep]))
    intercept = float(np.median(y - slope * x))
    residual = y - (intercept + slope * x)
    bad = set(np.flatnonzero(np.abs(residual) > math.log10(MAX_FOLD_OFF)).tolist())
    direction = np.sign(slope)
    steps = np.diff(y)
    for k in np.flatnonzero((np.sign(steps) != direction) | (steps == 0)):
        # Blame the level of the pair that sits farther from the line.
        pair = (int(k), int(k) + 1)
        if not bad.intersection(pair):
            bad.add(max(pair, key=lambda p: abs(residual[p])))
    if n >= 4:
        per_level = series_steps(x, c)
        median = float(np.median(per_level))
        limit = math.log(MAX_STEP_FACTOR)
        if abs(per_level[0] - median) > limit:
            bad.add(0)
        if abs(per_level[-1] - median) > limit:
            bad.add(n - 1)
    return sorted(bad)
