"""The standard points of a batch fit: the padded matrices, and which points a fit
may use (a code per point, ``POINT_*``) with a sentence per kind left out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from assaypipe.curves.model import BoolArray, FloatArray

# What happened to each standard point, in BatchFit.point_code.
POINT_PADDING = -1
POINT_USED = 0
POINT_NO_CONC = 1
POINT_NO_SIGNAL = 2
POINT_NON_POSITIVE = 3
POINT_BROKEN_SERIES = 4
POINT_HOOK = 5
POINT_OUTLIER = 6


def as_matrix(
    values: npt.ArrayLike | Sequence[npt.ArrayLike],
) -> tuple[FloatArray, BoolArray]:
    """A ``(n, p)`` float matrix from a 2-D array or a list of 1-D arrays of any lengths,
    with the mask of the entries that are real points (not padding)."""
    if isinstance(values, np.ndarray) and values.ndim == 2:
        matrix = values.astype(float)
        return matrix, np.ones(matrix.shape, dtype=bool)
    rows = [np.asarray(v, dtype=float).ravel() for v in values]  # type: ignore[union-attr]
    width = max((r.size for r in rows), default=0)
    matrix = np.full((len(rows), width), np.nan)
    present = np.zeros((len(rows), width), dtype=bool)
    for i, r in enumerate(rows):
        matrix[i, : r.size] = r
        present[i, : r.size] = True
    return matrix, present


def point_codes(
    x: FloatArray,
    y: FloatArray,
    present: BoolArray,
    weighting: str,
    weights: FloatArray | None = None,
    zero_dose: bool = False,
) -> npt.NDArray[np.int8]:
    code = np.full(x.shape, POINT_USED, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        no_conc = ~(np.isfinite(x) & ((x >= 0) if zero_dose else (x > 0)))
        no_signal = ~no_conc & ~np.isfinite(y)
        if weights is not None:
            # Given weights decide alone: a point with a positive weight is fitted
            # whatever the sign of its signal.
            non_positive = ~no_conc & ~no_signal & ~(weights > 0)
        else:
            non_positive = ~no_conc & ~no_signal & ~(y > 0) & (weighting != "none")
    code[no_conc] = POINT_NO_CONC
    code[no_signal] = POINT_NO_SIGNAL
    code[non_positive] = POINT_NON_POSITIVE
    code[~present] = POINT_PADDING
    return code


def usable_points(
    conc: npt.ArrayLike, signal: npt.ArrayLike, weighting: str
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Which standard points :func:`fit_curve` may fit, and why the others are not.

    A point is fitted when its concentration is finite and positive, its signal finite,
    and, under any weighting but "none", its signal positive. (The fit itself may then
    leave out a broken dilution level, the levels beyond a hook or a masked outlier.)
    """
    x = np.asarray(conc, dtype=float).ravel()
    y = np.asarray(signal, dtype=float).ravel()
    code = point_codes(x[None, :], y[None, :], np.ones((1, x.size), dtype=bool), weighting)
    return code[0] == POINT_USED, list(point_summary(code[0], weighting))


_POINT_TEXT = {
    POINT_NO_CONC: "{n} point(s) with concentration <= 0 not fitted",
    POINT_NO_SIGNAL: "{n} point(s) with non-finite signal not fitted",
    POINT_NON_POSITIVE: (
        "{n} point(s) with signal <= 0 not fitted (weights {weighting} need a positive signal)"
    ),
    POINT_BROKEN_SERIES: "{n} point(s) of a level off the dilution series not fitted",
    POINT_HOOK: "{n} point(s) beyond the hook not fitted",
    POINT_OUTLIER: "{n} point(s) masked as outliers",
}


def point_summary(code: npt.NDArray[np.int8], weighting: str) -> tuple[str, ...]:
    return point_summaries(code[None, :], weighting)[0]


def point_summaries(code: npt.NDArray[np.int8], weighting: str) -> list[tuple[str, ...]]:
    """Per row, one sentence per kind of point left out (most rows have none)."""
    out: list[tuple[str, ...]] = [() for _ in range(code.shape[0])]
    counts = {value: np.count_nonzero(code == value, axis=1) for value in _POINT_TEXT}
    any_left_out = np.zeros(code.shape[0], dtype=bool)
    for value in _POINT_TEXT:
        any_left_out |= counts[value] > 0
    for i in np.nonzero(any_left_out)[0]:
        out[i] = tuple(
            text.format(n=int(counts[value][i]), weighting=weighting)
            for value, text in _POINT_TEXT.items()
            if counts[value][i]
        )
    return out
