"""Fitting 4PL and 5PL curves to standards: one curve or many in one call.

:func:`fit_curves` is the batch path the workflow uses; :func:`fit_curve` is the same
code for a single curve. Every step works on all curves at once (numpy arrays with a
leading curve axis): checking the standard series, starting values, the
Levenberg-Marquardt iterations (:mod:`assaypipe.curves.engine`), reweighting,
outlier masking and the covariance. Only the few curves the batch cannot settle go
through SciPy one by one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from assaypipe.curves import engine
from assaypipe.curves.model import (
    PARAM_NAMES,
    BoolArray,
    FloatArray,
    evaluate,
    evaluate_with_jacobian,
    from_solver,
    inverse,
    params_to_theta,
    predict,
    reference,
    solver_evaluate,
    theta_to_params,
    to_solver,
)
from assaypipe.curves.series import off_series_mask, series_steps
from assaypipe.vocabulary import CurveStatus

IntArray = npt.NDArray[np.int64]

MODELS: dict[str, int] = {"4PL": 4, "5PL": 5}
# Each weighting is w = 1 / v**(2 * power): v the observed signal y or the fitted
# value yhat (iteratively reweighted), power fixed or, for "power", estimated from
# the replicate standards (Var(y) proportional to mean**(2 * power)).
WEIGHTINGS: dict[str, tuple[str, float | None]] = {
    "none": ("observed", 0.0),
    "1/y": ("observed", 0.5),
    "1/y^2": ("observed", 1.0),
    "1/yhat": ("fitted", 0.5),
    "1/yhat^2": ("fitted", 1.0),
    "power": ("fitted", None),
}
OUTLIER_RULES = ("none", "studentized")

# The plausible range of the parameters: the slope (outside it a "curve" is a step or
# a flat line), the asymmetry, the asymptotes (within ASYMPTOTE_SPANS signal spans of
# the standards) and the inflection (within C_FACTOR of the standards' doses). A fit
# outside it gets a status, not a clamp: when the least-squares optimum runs off
# along a ridge (a 5PL's g to 1e3 or 1e-4 with b past 20, an asymptote far away),
# R's nls and SciPy follow it there, and so must we to minimise the same objective.
# The solver's own box is far wider (SOLVER_*).
B_BOUNDS = (0.05, 20.0)
G_BOUNDS = (0.05, 20.0)
ASYMPTOTE_SPANS = 10.0
C_FACTOR = 1e6
SOLVER_B = (1e-3, 1e3)
SOLVER_G = (1e-6, 1e6)
SOLVER_SPANS = 1e6
SOLVER_C_FACTOR = 1e15
# A solver coordinate this close to the edge of the solver's box (as a fraction of
# its width) ran to it: the batch projects onto the edge exactly, SciPy's fallback
# stops a hair inside it.
AT_BOUND_FRACTION = 1e-9
# A 5PL whose log g has a standard error above log(10) does not know g to within a
# factor of ten: the data do not identify the asymmetry.
LOG_G_SE_LIMIT = math.log(10.0)
# A step in the level means against the curve's direction counts when it exceeds
# this share of the signal span (HOOK_SHARE for a fall after the top) and
# NOISE_SES standard errors of the difference of the two means (from their own
# replicates): smaller reversals are noise on a plateau.
REVERSAL_SHARE = 0.05
HOOK_SHARE = 0.15
NOISE_SES = 3.0
HOOK_NOISE_SES = 4.0
# The power of the mean variance function, clipped to what assays show.
POWER_RANGE = (0.0, 2.0)
IRLS_ITERATIONS = 50
IRLS_TOLERANCE = 1e-10
# The log dose standing in for a zero dose (``zero_dose``): far enough below any real
# dose that the curve there is its zero-dose asymptote to the last bit for every
# slope the solver allows (b >= 1e-3 makes the logistic's exponent below -1000).
ZERO_DOSE_Z = -1e6

STATUS_CONVERGED = CurveStatus.CONVERGED.value
STATUS_NOT_CONVERGED = CurveStatus.NOT_CONVERGED.value
STATUS_AT_BOUND = CurveStatus.PARAMETER_AT_BOUND.value
STATUS_ASYMMETRY = CurveStatus.NON_IDENTIFIABLE_ASYMMETRY.value
STATUS_BROKEN_SERIES = CurveStatus.BROKEN_DILUTION_SERIES.value
STATUS_HOOK = CurveStatus.HOOK.value
STATUS_NON_MONOTONIC = CurveStatus.NON_MONOTONIC.value
STATUS_TOO_FEW = CurveStatus.TOO_FEW_POINTS.value
STATUS_FLAT = CurveStatus.FLAT_SIGNAL.value
STATUS_NO_STANDARDS = CurveStatus.NO_STANDARDS.value

# What happened to each standard point, in BatchFit.point_code.
POINT_PADDING = -1
POINT_USED = 0
POINT_NO_CONC = 1
POINT_NO_SIGNAL = 2
POINT_NON_POSITIVE = 3
POINT_BROKEN_SERIES = 4
POINT_HOOK = 5
POINT_OUTLIER = 6


def check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model!r}")


def check_weighting(weighting: str) -> None:
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {list(WEIGHTINGS)}, got {weighting!r}")


@dataclass(frozen=True)
class CurveFit:
    """One fitted standard curve and how the fit went.

    ``rss`` is the minimised weighted objective ``sum(w * (y - yhat)**2)`` and ``aic``
    is ``n * log(rss / n) + 2 * k`` with ``n`` the points used and ``k`` the number of
    fitted parameters (4 for the 4PL, 5 for the 5PL); the constant terms of the
    Gaussian likelihood are dropped, so only differences between fits of the same
    points mean anything. ``converged`` is the optimiser's verdict; ``status`` is
    ``"converged"`` only when it converged and nothing else is wrong, otherwise the
    first that applies of ``not_converged``, ``non_identifiable_asymmetry``,
    ``parameter_at_bound``, ``broken_dilution_series``, ``hook``, ``non_monotonic``
    (or ``too_few_points`` / ``flat_signal`` when nothing was fitted), with
    ``reasons``. ``vcov`` is the covariance of (a, b, c, d, g) (``rss / (n - k)``
    times the inverse of the weighted normal matrix, g's row and column zero for a
    4PL) and ``weight_power`` the power p of the weights ``1 / v**(2p)``.
    """

    model: str
    weighting: str
    params: dict[str, float]
    rss: float
    aic: float
    n_points: int
    converged: bool
    status: str
    reasons: tuple[str, ...] = field(default=())
    vcov: FloatArray = field(
        default_factory=lambda: np.full((5, 5), np.nan), compare=False, repr=False
    )
    weight_power: float = 1.0

    def predict(self, conc: npt.ArrayLike) -> FloatArray:
        """Signal predicted at each concentration."""
        return predict(self.params, conc)

    def inverse(self, signal: npt.ArrayLike) -> FloatArray:
        """Concentration at each signal; NaN outside the open interval between a and d."""
        return inverse(self.params, signal)

    @property
    def usable(self) -> bool:
        """True when the curve converged and every parameter is finite."""
        return self.converged and all(math.isfinite(v) for v in self.params.values())

    @property
    def sigma2(self) -> float:
        """Residual variance ``rss / (n - k)`` on the weighted scale (NaN without df)."""
        df = self.n_points - MODELS[self.model]
        return self.rss / df if df > 0 and math.isfinite(self.rss) else math.nan


@dataclass(frozen=True)
class _Series:
    """The dilution series checks of a batch: the points, the weighting whose point
    codes they started from, and the codes, levels, statuses and reasons they gave."""

    x: FloatArray
    y: FloatArray
    present: BoolArray
    weighting: str
    code: npt.NDArray[np.int8]
    levels: Levels
    status: npt.NDArray[np.object_]
    reasons: tuple[tuple[str, ...], ...]
    # fit_curves' zero_dose, series_checks and weights (as bytes), which the codes
    # also depend on
    options: tuple[bool, bool, bytes | None] = (False, True, None)

    def matches(self, x: FloatArray, y: FloatArray, present: BoolArray, weighting: str) -> bool:
        return (
            self.weighting == weighting
            and np.array_equal(self.present, present)
            and np.array_equal(self.x, x, equal_nan=True)
            and np.array_equal(self.y, y, equal_nan=True)
        )


@dataclass(frozen=True)
class BatchFit:
    """Many fits of one model and weighting: arrays with one row per curve.

    ``params`` is ``(n, 5)`` (a, b, c, d, g); ``vcov`` ``(n, 5, 5)``; ``point_code``
    ``(n, p)`` says for every input point whether it was used (0) or why not (see the
    ``POINT_*`` constants; -1 is padding). ``curve(i)`` gives the :class:`CurveFit`.
    """

    model: str
    weighting: str
    params: FloatArray
    rss: FloatArray
    aic: FloatArray
    n_points: IntArray
    converged: BoolArray
    status: tuple[str, ...]
    fit_reasons: tuple[tuple[str, ...], ...]
    point_reasons: tuple[tuple[str, ...], ...]
    vcov: FloatArray
    weight_power: FloatArray
    point_code: npt.NDArray[np.int8]
    # The points and what the dilution series checks made of them, for a fit of
    # another model to the same points (see fit_curves' base).
    series: _Series | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.status)

    def curve(self, i: int) -> CurveFit:
        return CurveFit(
            model=self.model,
            weighting=self.weighting,
            params={k: float(v) for k, v in zip(PARAM_NAMES, self.params[i], strict=True)},
            rss=float(self.rss[i]),
            aic=float(self.aic[i]),
            n_points=int(self.n_points[i]),
            converged=bool(self.converged[i]),
            status=self.status[i],
            reasons=self.point_reasons[i] + self.fit_reasons[i],
            vcov=self.vcov[i].copy(),
            weight_power=float(self.weight_power[i]),
        )

    def curves(self) -> list[CurveFit]:
        return [self.curve(i) for i in range(len(self))]


# ---------------------------------------------------------------- input shaping


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


def _point_codes(
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
    code = _point_codes(x[None, :], y[None, :], np.ones((1, x.size), dtype=bool), weighting)
    return code[0] == POINT_USED, list(_point_summary(code[0], weighting))


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


def _point_summary(code: npt.NDArray[np.int8], weighting: str) -> tuple[str, ...]:
    return _point_summaries(code[None, :], weighting)[0]


def _point_summaries(code: npt.NDArray[np.int8], weighting: str) -> list[tuple[str, ...]]:
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


# ------------------------------------------------------------ standard levels


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


def _subset(levels: Levels, rows: IntArray) -> Levels:
    return Levels(
        levels.conc[rows],
        levels.mean[rows],
        levels.sd[rows],
        levels.count[rows],
        levels.n[rows],
        levels.of_point[rows],
    )


def _last_level(levels: Levels) -> IntArray:
    return np.maximum(levels.n - 1, 0)


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
    last = _last_level(levels)
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


# ---------------------------------------------------------------- starts, bounds


def _ranges(
    x: FloatArray, y: FloatArray, used: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    dosed = used & (x > 0)  # a zero dose (zero_dose) says nothing of the dose range
    with np.errstate(invalid="ignore"):
        y_min = np.min(np.where(used, y, np.inf), axis=1)
        y_max = np.max(np.where(used, y, -np.inf), axis=1)
        x_min = np.min(np.where(dosed, x, np.inf), axis=1)
        x_max = np.max(np.where(dosed, x, -np.inf), axis=1)
    span = y_max - y_min
    span = np.where(span > 0, span, np.maximum(np.abs(y_max), 1.0))
    return y_min, y_max, span, x_min, x_max


def _plausible(
    x: FloatArray, y: FloatArray, used: BoolArray, five: bool
) -> tuple[FloatArray, FloatArray]:
    """The plausible range of theta per curve (B_BOUNDS, G_BOUNDS, ASYMPTOTE_SPANS,
    C_FACTOR): outside it a fitted curve gets a status."""
    y_min, y_max, span, x_min, x_max = _ranges(x, y, used)
    low = y_min - ASYMPTOTE_SPANS * span
    high = y_max + ASYMPTOTE_SPANS * span
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = [low, np.full_like(low, B_BOUNDS[0]), np.log(x_min / C_FACTOR), low]
        upper = [high, np.full_like(high, B_BOUNDS[1]), np.log(x_max * C_FACTOR), high]
    if five:
        lower.append(np.full_like(low, math.log(G_BOUNDS[0])))
        upper.append(np.full_like(high, math.log(G_BOUNDS[1])))
    return np.column_stack(lower), np.column_stack(upper)


def _solver_box(
    x: FloatArray, y: FloatArray, used: BoolArray, five: bool, ref: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The solver's box per curve, in its coordinates (see :func:`model.to_solver`)."""
    y_min, y_max, span, x_min, x_max = _ranges(x, y, used)
    middle, half = ref[:, 0], ref[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.arcsinh((y_min - SOLVER_SPANS * span - middle) / half)
        high = np.arcsinh((y_max + SOLVER_SPANS * span - middle) / half)
        log_b = np.log(SOLVER_B)
        lower = [low, np.full_like(low, log_b[0]), np.log(x_min / SOLVER_C_FACTOR), low]
        upper = [high, np.full_like(high, log_b[1]), np.log(x_max * SOLVER_C_FACTOR), high]
        if five:
            # s = (d - a) g / (1 + g) is at most the asymptotes' distance in size.
            reach = np.arcsinh((1.0 + 2.0 * SOLVER_SPANS) * span / half)
            lower[3], upper[3] = -reach, reach
            lower.append(np.full_like(low, math.log(SOLVER_G[0])))
            upper.append(np.full_like(high, math.log(SOLVER_G[1])))
    return np.column_stack(lower), np.column_stack(upper)


@dataclass(frozen=True)
class _Problem:
    """What the solver needs for a set of curves, in its coordinates."""

    z: FloatArray
    y: FloatArray
    sqrt_w: FloatArray
    lower: FloatArray
    upper: FloatArray
    ref: FloatArray
    five: bool
    # the plausible range of theta (see _plausible)
    plausible_low: FloatArray
    plausible_high: FloatArray

    def subset(self, rows: IntArray) -> _Problem:
        return _Problem(
            self.z[rows],
            self.y[rows],
            self.sqrt_w[rows],
            self.lower[rows],
            self.upper[rows],
            self.ref[rows],
            self.five,
            self.plausible_low[rows],
            self.plausible_high[rows],
        )

    def implausible(self, phi: FloatArray) -> BoolArray:
        theta = from_solver(phi, self.five, self.ref)
        with np.errstate(invalid="ignore"):
            inside = (theta >= self.plausible_low) & (theta <= self.plausible_high)
        return np.asarray(~np.all(inside, axis=1), dtype=bool)

    def solve(
        self,
        start: FloatArray,
        budget: int = engine.MAX_ITERATIONS,
        damping: float = engine.LAMBDA_START,
    ) -> engine.Solution:
        return engine.levenberg_marquardt(
            start,
            self.z,
            self.y,
            self.sqrt_w,
            self.lower,
            self.upper,
            self.five,
            self.ref,
            budget,
            damping,
        )


def _data_start(levels: Levels, z: FloatArray, y: FloatArray, used: BoolArray) -> FloatArray:
    """4PL starting values from the data: asymptotes just beyond the lowest and highest
    level means, slope and inflection from a straight line through the logits."""
    rows = np.arange(levels.mean.shape[0])
    a0 = levels.mean[:, 0]
    d0 = levels.mean[rows, _last_level(levels)]
    pad = 0.05 * (d0 - a0)
    low, high = a0 - pad, d0 + pad
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = (y - low[:, None]) / (high - low)[:, None]
        inside = used & (fraction > 0.02) & (fraction < 0.98)
        logit = np.log(fraction / (1.0 - fraction))
        w = inside.astype(float)
        sw = w.sum(axis=1)
        zm = np.where(inside, z, 0.0).sum(axis=1) / sw
        lm = np.where(inside, logit, 0.0).sum(axis=1) / sw
        szz = np.where(inside, (z - zm[:, None]) ** 2, 0.0).sum(axis=1)
        szl = np.where(inside, (z - zm[:, None]) * (logit - lm[:, None]), 0.0).sum(axis=1)
        slope = szl / szz
        z_min = np.min(np.where(used, z, np.inf), axis=1)
        z_max = np.max(np.where(used, z, -np.inf), axis=1)
    good = (sw >= 2) & np.isfinite(slope) & (slope > 0)
    b0 = np.where(good, np.clip(slope, 0.2, 5.0), 1.0)
    log_c0 = np.where(good, zm - lm / np.where(good, slope, 1.0), 0.5 * (z_min + z_max))
    log_c0 = np.clip(log_c0, z_min - 2.0, z_max + 2.0)
    return np.column_stack([a0, b0, log_c0, d0])


def _with_g(theta4: FloatArray, log_g: float) -> FloatArray:
    """5PL start from a 4PL: same half-response dose, asymmetry exp(log_g)."""
    g = math.exp(log_g)
    shift = math.log(2.0 ** (1.0 / g) - 1.0)
    out = np.column_stack([theta4, np.full(theta4.shape[0], log_g)])
    out[:, 2] = theta4[:, 2] - shift / theta4[:, 1]
    return out


def _at_bound(theta: FloatArray, lower: FloatArray, upper: FloatArray) -> BoolArray:
    tolerance = AT_BOUND_FRACTION * (upper - lower)
    return (np.abs(theta - lower) <= tolerance) | (np.abs(theta - upper) <= tolerance)


# ---------------------------------------------------------------- the cascade


def _solve_cascade(starts: list[FloatArray], problem: _Problem) -> engine.Solution:
    """The first start for every curve; more iterations for curves still walking a
    valley; the other starts for curves that got stuck or whose slope left its
    plausible range (a poor start can drag a curve into a step); SciPy for the stuck
    ones left. Starts and results are in the solver's coordinates."""
    best = problem.solve(starts[0])
    theta, cost = best.theta.copy(), best.cost.copy()
    converged, progressing = best.converged.copy(), best.progressing.copy()
    walking = np.nonzero(progressing)[0]
    if walking.size:
        more = problem.subset(walking).solve(theta[walking], engine.CONTINUE_ITERATIONS)
        theta[walking], cost[walking] = more.theta, more.cost
        converged[walking], progressing[walking] = more.converged, more.progressing

    def take(rows: IntArray, other: engine.Solution) -> None:
        better = (other.converged & ~converged[rows]) | (
            (other.converged == converged[rows]) & (other.cost < cost[rows])
        )
        ids = rows[better]
        theta[ids], cost[ids] = other.theta[better], other.cost[better]
        converged[ids], progressing[ids] = other.converged[better], other.progressing[better]

    # A 4PL outside its plausible range may have been led there by a poor start (a
    # step taken for an asymptote running off, say) and tries the other starts. A
    # 5PL there is usually at a least-squares optimum at infinity (g running off),
    # which other starts only walk to again; only stuck ones retry.
    off = problem.implausible(theta) if not problem.five else np.zeros(theta.shape[0], bool)
    for start in starts[1:]:
        retry = np.nonzero((~converged & ~progressing) | off)[0]
        if retry.size == 0:
            break
        take(retry, problem.subset(retry).solve(start[retry], engine.RETRY_ITERATIONS))
        if not problem.five:
            off[retry] = problem.subset(retry).implausible(theta[retry])
    p = problem
    for i in np.nonzero(~converged & ~progressing)[0]:
        for candidate in (theta[i], starts[0][i]):
            result = engine.least_squares_one(
                candidate, p.z[i], p.y[i], p.sqrt_w[i], p.lower[i], p.upper[i], p.five, p.ref[i]
            )
            if result is None:
                continue
            new_theta, new_cost, ok = result
            if (ok and not converged[i]) or (ok == converged[i] and new_cost < cost[i]):
                theta[i], cost[i], converged[i] = new_theta, new_cost, ok
    return engine.Solution(theta, cost, converged, best.iterations, progressing)


def _weights(
    source: str, power: FloatArray, y: FloatArray, yhat: FloatArray | None, used: BoolArray
) -> FloatArray:
    """sqrt of the weights, zero on unused points."""
    if source == "fitted" and yhat is not None:
        # A fitted value at or below zero would get an infinite weight; the floor keeps
        # such points at the weight of a small positive signal.
        floor = 1e-6 * np.max(np.where(used, np.abs(y), 0.0), axis=1, keepdims=True)
        base = np.maximum(np.abs(yhat), np.maximum(floor, np.finfo(float).tiny))
    else:
        base = np.where(used, np.abs(y), 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sqrt_w = np.where(used, base ** (-power[:, None]), 0.0)
    return np.asarray(np.where(np.isfinite(sqrt_w), sqrt_w, 0.0), dtype=float)


def estimate_power(levels: Levels) -> tuple[FloatArray, BoolArray]:
    """Slope of log SD on log mean over the replicated levels (power of the mean
    variance function), clipped to POWER_RANGE; False where fewer than three levels
    have replicates with a positive mean and SD."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = (levels.count >= 2) & (levels.mean > 0) & (levels.sd > 0)
        lm = np.log(np.where(ok, levels.mean, 1.0))
        ls = np.log(np.where(ok, levels.sd, 1.0))
        k = ok.sum(axis=1)
        mx = np.where(ok, lm, 0.0).sum(axis=1) / k
        my = np.where(ok, ls, 0.0).sum(axis=1) / k
        sxx = np.where(ok, (lm - mx[:, None]) ** 2, 0.0).sum(axis=1)
        sxy = np.where(ok, (lm - mx[:, None]) * (ls - my[:, None]), 0.0).sum(axis=1)
        slope = sxy / sxx
    estimable = (k >= 3) & np.isfinite(slope) & (sxx > 0)
    return np.where(estimable, np.clip(slope, *POWER_RANGE), 1.0), estimable


def _covariance(
    theta: FloatArray,
    z: FloatArray,
    sqrt_w: FloatArray,
    rss: FloatArray,
    n_points: IntArray,
    five: bool,
) -> tuple[FloatArray, FloatArray]:
    """Covariance of (a, b, c, d, g) and of theta, ``(n, 5, 5)`` and ``(n, k, k)``."""
    k = theta.shape[1]
    n = theta.shape[0]
    out = np.full((n, 5, 5), np.nan)
    cov_theta = np.full((n, k, k), np.nan)
    if n == 0:
        return out, cov_theta
    _, jac = evaluate_with_jacobian(theta, z, five)
    wjac = sqrt_w[:, None, :] * jac
    normal = np.matmul(wjac, wjac.transpose(0, 2, 1))
    diag = np.sqrt(np.maximum(np.einsum("nkk->nk", normal), np.finfo(float).tiny))
    scaled = normal / (diag[:, :, None] * diag[:, None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        df = n_points - k
        sigma2 = np.where(df > 0, rss / np.maximum(df, 1), np.nan)
    finite = np.all(np.isfinite(scaled), axis=(1, 2)) & np.isfinite(sigma2)
    if finite.any():
        factor = engine.Factor(scaled[finite], np.zeros(int(finite.sum())))
        # A Cholesky pivot ratio past 1e7 (a condition number past about 1e14) leaves no
        # digit of the inverse: NaN, not noise (a singular matrix may overflow on the way).
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            pivots = factor.pivots()
            ratio = np.max(pivots, axis=1) / np.min(pivots, axis=1)
        ok_finite = np.isfinite(ratio) & (ratio < 1e7)
        if ok_finite.any():
            identity = np.broadcast_to(np.eye(k), (int(finite.sum()), k, k))
            columns = [factor.solve(np.ascontiguousarray(identity[:, :, j])) for j in range(k)]
            inv = np.stack(columns, axis=2)
            ok = np.zeros(n, dtype=bool)
            ok[np.nonzero(finite)[0][ok_finite]] = True
            inv = inv[ok_finite] / (diag[ok, :, None] * diag[ok, None, :])
            cov_theta[ok] = sigma2[ok, None, None] * 0.5 * (inv + inv.transpose(0, 2, 1))
    params = theta_to_params(theta, five)
    # d(a, b, c, d, g) / d theta is diagonal: 1, 1, c, 1, g.
    jacobian = np.ones((n, 5))
    jacobian[:, 2] = params[:, 2]
    jacobian[:, 4] = params[:, 4] if five else 0.0
    full = np.zeros((n, 5, 5))
    full[:, :k, :k] = cov_theta
    out = jacobian[:, :, None] * full * jacobian[:, None, :]
    out[~np.all(np.isfinite(cov_theta), axis=(1, 2))] = np.nan
    return out, cov_theta


def studentized_residuals(
    theta: FloatArray, z: FloatArray, y: FloatArray, sqrt_w: FloatArray, five: bool
) -> FloatArray:
    """Internally studentized weighted residuals ``e / (s * sqrt(1 - h))`` of every point
    (NaN for unused points and where the leverage is 1)."""
    yhat, jac = evaluate_with_jacobian(theta, z, five)
    resid = sqrt_w * (y - yhat)
    wjac = sqrt_w[:, None, :] * jac
    normal = np.matmul(wjac, wjac.transpose(0, 2, 1))
    inv = np.linalg.pinv(normal)
    leverage = np.einsum("nkp,nkl,nlp->np", wjac, inv, wjac)
    used = sqrt_w > 0
    n = used.sum(axis=1)
    k = theta.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.einsum("np,np->n", resid, resid) / (n - k)
        out = resid / np.sqrt(s2[:, None] * (1.0 - leverage))
    return np.where(used & (leverage < 1.0 - 1e-9), out, np.nan)


# ---------------------------------------------------------------- the batch fit


class _Batch:
    """The arrays of one batch fit, updated in place as points are masked and refitted."""

    def __init__(
        self,
        x: FloatArray,
        y: FloatArray,
        code: npt.NDArray[np.int8],
        five: bool,
        given: FloatArray | None = None,
    ) -> None:
        n, p = x.shape
        k = 5 if five else 4
        self.x, self.y, self.code, self.five = x, y, code, five
        self.theta = np.full((n, k), np.nan)
        self.converged = np.zeros(n, dtype=bool)
        self.sqrt_w = np.zeros((n, p))
        self.power = np.ones(n)
        self.source = "observed"
        # sqrt of the caller's weights (fit_curves' weights), or None
        self.given = given
        self.phi_at_bound = np.zeros((n, k), dtype=bool)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the used points and the log-dose/signal arrays the solver sees."""
        self.used = self.code == POINT_USED
        # Points with a positive dose: a zero dose (zero_dose) has no log dose, and
        # neither the start from the logits nor the dose range may see it.
        self.dosed = self.used & (self.x > 0)
        # Unused points get dummy finite values: their weight is zero.
        self.z = np.where(self.dosed, np.log(np.where(self.dosed, self.x, 1.0)), 0.0)
        self.z = np.where(self.used & ~self.dosed, ZERO_DOSE_Z, self.z)
        self.yy = np.where(self.used, self.y, 0.0)

    def observed_weights(self, rows: IntArray) -> FloatArray:
        """sqrt of the weights from the observed signals (or the given ones)."""
        if self.given is not None:
            return np.where(self.used[rows], self.given[rows], 0.0)
        return _weights("observed", self.power[rows], self.yy[rows], None, self.used[rows])

    def problem(self, rows: IntArray, five: bool, sqrt_w: FloatArray) -> _Problem:
        x, y, used = self.x[rows], self.y[rows], self.used[rows]
        ref = reference(y, used)
        lower, upper = _solver_box(x, y, used, five, ref)
        plausible = _plausible(x, y, used, five)
        return _Problem(self.z[rows], self.yy[rows], sqrt_w, lower, upper, ref, five, *plausible)

    def data_start(self, rows: IntArray, levels: Levels | None = None) -> FloatArray:
        """4PL starts from the data; ``levels`` (of these rows' used points) if known."""
        if levels is None:
            levels = levels_of(self.x[rows], self.y[rows], self.used[rows])
        return _data_start(levels, self.z[rows], self.yy[rows], self.dosed[rows])

    def four_start(self, rows: IntArray, levels: Levels | None = None) -> FloatArray:
        """A 4PL of the same points (observed-signal weights, the first start only, one
        Levenberg-Marquardt pass): where a 5PL starts."""
        sqrt_w = self.observed_weights(rows)
        problem = self.problem(rows, False, sqrt_w)
        start = to_solver(self.data_start(rows, levels), False, problem.ref)
        start = np.clip(start, problem.lower, problem.upper)
        solution = problem.solve(start)
        phi = np.where(np.isfinite(solution.cost)[:, None], solution.theta, start)
        return from_solver(phi, False, problem.ref)

    def solve(self, rows: IntArray, first: FloatArray | None, levels: Levels | None = None) -> None:
        """Fit ``rows`` through the cascade of starts (``first`` tried first)."""
        if rows.size == 0:
            return
        sqrt_w = self.observed_weights(rows)
        problem = self.problem(rows, self.five, sqrt_w)
        start4 = self.data_start(rows, levels)
        if self.five:
            others = [_with_g(start4, 0.0), _with_g(start4, -1.2), _with_g(start4, 1.2)]
        else:
            shallow, steep = start4.copy(), start4.copy()
            shallow[:, 1] *= 0.4
            steep[:, 1] *= 2.5
            others = [start4, shallow, steep]
        starts = [first, *others] if first is not None else others
        starts = [
            np.clip(to_solver(s, self.five, problem.ref), problem.lower, problem.upper)
            for s in starts
        ]
        solution = _solve_cascade(starts, problem)
        phi, converged = solution.theta, solution.converged
        if self.source == "fitted":
            phi, converged, sqrt_w = _reweight(
                phi, converged, problem, self.used[rows], self.power[rows]
            )
        self.theta[rows] = from_solver(phi, self.five, problem.ref)
        self.converged[rows], self.sqrt_w[rows] = converged, sqrt_w
        self.phi_at_bound[rows] = _at_bound(phi, problem.lower, problem.upper)

    def polish(self, rows: IntArray) -> None:
        """Finish each curve with SciPy (:func:`engine.polish_one`), kept where it lowers
        the objective."""
        for i in rows[np.all(np.isfinite(self.theta[rows]), axis=1)]:
            z, y, sqrt_w = self.z[i], self.yy[i], self.sqrt_w[i]
            with np.errstate(over="ignore", invalid="ignore"):
                before = float(
                    np.sum(
                        (sqrt_w * (y - evaluate(self.theta[i : i + 1], z[None, :], self.five)[0]))
                        ** 2
                    )
                )
            result = engine.polish_one(self.theta[i], z, y, sqrt_w, self.five)
            if result is not None and result[1] < before:
                self.theta[i] = result[0]
                self.converged[i] = True

    def mask_outliers(
        self,
        rows: IntArray,
        limit: float,
        mask_edge_levels: bool,
        reasons: list[list[str]],
    ) -> None:
        """Mask the worst studentized residual of each curve while it exceeds ``limit``,
        refitting after each mask (at most one point per level, n // 10 per curve)."""
        k = self.theta.shape[1]
        levels = levels_of(self.x, self.y, self.used)
        last = _last_level(levels)
        n_points = self.used.sum(axis=1)
        budget = np.maximum(n_points // 10, 1)
        masked = np.zeros(self.x.shape, dtype=bool)
        rows = rows[np.all(np.isfinite(self.theta[rows]), axis=1)]
        while rows.size:
            r = studentized_residuals(
                self.theta[rows], self.z[rows], self.yy[rows], self.sqrt_w[rows], self.five
            )
            level = levels.of_point[rows]
            same_level = (level[:, :, None] == level[:, None, :]) & masked[rows][:, None, :]
            allowed = self.used[rows] & np.isfinite(r) & ~same_level.any(axis=2)
            if not mask_edge_levels:
                allowed &= (level > 0) & (level < last[rows, None])
            score = np.where(allowed, np.abs(r), -np.inf)
            worst = np.argmax(score, axis=1)
            worst_score = score[np.arange(rows.size), worst]
            hit = (worst_score > limit) & (n_points[rows] - 1 >= k + 2) & (budget[rows] > 0)
            if not hit.any():
                return
            for j in np.nonzero(hit)[0]:
                i, point = rows[j], worst[j]
                reasons[i].append(
                    f"masked outlier at {self.x[i, point]:.4g} (signal {self.y[i, point]:.4g}): "
                    f"studentized residual {r[j, point]:.2f} beyond ±{limit:g}"
                )
                self.code[i, point] = POINT_OUTLIER
                masked[i, point] = True
                n_points[i] -= 1
                budget[i] -= 1
            rows = rows[hit]
            self.refresh()
            self.solve(rows, self.theta[rows].copy())


def fit_curves(
    conc: npt.ArrayLike | Sequence[npt.ArrayLike],
    signal: npt.ArrayLike | Sequence[npt.ArrayLike],
    model: str = "5PL",
    weighting: str = "1/y^2",
    *,
    outliers: str = "none",
    outlier_limit: float = 4.0,
    mask_edge_levels: bool = False,
    base: BatchFit | None = None,
    weights: npt.ArrayLike | Sequence[npt.ArrayLike] | None = None,
    zero_dose: bool = False,
    series_checks: bool = True,
    polish: bool = False,
) -> BatchFit:
    """Fit one model to many standard curves in one call (vectorised across curves).

    ``conc`` and ``signal`` are 2-D arrays with one curve per row (NaN-padded), or
    lists of 1-D arrays of any lengths. Each curve is fitted as :func:`fit_curve` fits
    it, with the same starts and steps (numpy may round a last bit differently for a
    row elsewhere in a batch, which only shows where a fit runs off along a flat
    ridge: the same RSS at another far-away point). ``outliers="studentized"`` masks, one at a time,
    the point with the largest internally studentized residual while it exceeds
    ``outlier_limit`` (at most one point per level and ``n // 10`` per curve, and not
    on the lowest or highest level unless ``mask_edge_levels``), refitting after each.
    ``base`` is a 4PL :class:`BatchFit` of the same points to start a 5PL from.

    To fit as an instrument software does (:mod:`assaypipe.curves.vendor`):
    ``weights`` (shaped like ``signal``) replace the weighting's, which is then only
    the name recorded (and its power the one the precision profile assumes); a point
    is fitted where its weight is positive, whatever the sign of its signal.
    ``zero_dose`` fits standards of concentration 0 as the response at zero dose
    ``a``. ``series_checks=False`` fits every point: no end level off the dilution
    series or beyond a hook is left out, and no reversal is reported. ``polish``
    finishes each curve with SciPy's Levenberg-Marquardt from the batch's optimum
    (about 20 ms a curve), which reaches the optimum another program reaches where
    the batch stops on a flat stretch of the objective short of it.

    >>> conc = np.tile(10000.0 / 4.0 ** np.arange(7)[::-1], (3, 1))
    >>> truth = {"a": 10.0, "b": 1.2, "c": 100.0, "d": 20000.0, "g": 1.0}
    >>> fits = fit_curves(conc, predict(truth, conc), model="4PL")
    >>> list(fits.status), np.round(fits.params[:, 2], 6).tolist()
    (['converged', 'converged', 'converged'], [100.0, 100.0, 100.0])
    """
    check_model(model)
    check_weighting(weighting)
    if outliers not in OUTLIER_RULES:
        raise ValueError(f"outliers must be one of {list(OUTLIER_RULES)}, got {outliers!r}")
    x, present = as_matrix(conc)
    y, present_y = as_matrix(signal)
    if x.shape != y.shape or not np.array_equal(present, present_y):
        raise ValueError(f"conc and signal differ in shape ({x.shape} and {y.shape})")
    if x.shape[1] == 0:
        # Curves without a single point: one padding column keeps the shapes regular.
        x = y = np.full((x.shape[0], 1), np.nan)
        present = np.zeros(x.shape, dtype=bool)
    given = None
    if weights is not None:
        given, present_w = as_matrix(weights)
        if given.shape[1] == 0:
            # Weights of curves without a point: padded as their points are.
            given = np.full(x.shape, np.nan)
            present_w = np.zeros(x.shape, dtype=bool)
        if given.shape != x.shape or not np.array_equal(present, present_w):
            raise ValueError(f"weights and signal differ in shape ({given.shape} and {y.shape})")
    n = x.shape[0]
    k = MODELS[model]
    five = model == "5PL"
    source, fixed_power = WEIGHTINGS[weighting]
    options = (zero_dose, series_checks, None if given is None else given.tobytes())
    if (
        base is not None
        and base.series is not None
        and base.series.matches(x, y, present, weighting)
        and base.series.options == options
    ):
        # The same points as the base fit: the same series checks.
        series = base.series
        code = series.code.copy()
        status = series.status.copy()
        reasons = [list(r) for r in series.reasons]
        levels = series.levels
    else:
        code = _point_codes(x, y, present, weighting, given, zero_dose)
        reasons = [[] for _ in range(n)]
        status = np.full(n, STATUS_CONVERGED, dtype=object)
        if series_checks:
            levels = _check_series(x, y, code, status, reasons)
        else:
            levels = levels_of(x, y, code == POINT_USED)
        series = _Series(
            x,
            y,
            present,
            weighting,
            code.copy(),
            levels,
            status.copy(),
            tuple(tuple(r) for r in reasons),
            options,
        )

    used = code == POINT_USED
    with np.errstate(invalid="ignore"):
        span = np.max(np.where(used, y, -np.inf), axis=1) - np.min(
            np.where(used, y, np.inf), axis=1
        )
    too_few = levels.n < k + 1
    flat = ~too_few & ~(span > 0)
    for i in np.nonzero(too_few)[0]:
        reasons[i].append(
            f"{levels.n[i]} distinct concentration(s) usable; the {model} needs at least {k + 1}"
        )
        status[i] = STATUS_TOO_FEW
    for i in np.nonzero(flat)[0]:
        reasons[i].append("the signal does not change with concentration")
        status[i] = STATUS_FLAT
    fit_rows = np.nonzero(~too_few & ~flat)[0]

    with np.errstate(invalid="ignore"):
        sqrt_given = None if given is None else np.sqrt(np.where(given > 0, given, 0.0))
    batch = _Batch(x, y, code, five, sqrt_given)
    batch.source = source if given is None else "observed"
    if fixed_power is None and given is not None:
        batch.power = np.ones(n)
    elif fixed_power is None:
        batch.power, estimable = estimate_power(levels)
        for i in fit_rows[~estimable[fit_rows]]:
            reasons[i].append(
                "power of the mean not estimable (fewer than 3 replicated levels): "
                "weights 1/yhat^2 used"
            )
    else:
        batch.power = np.full(n, fixed_power)

    fit_levels = _subset(levels, fit_rows)
    first = None
    if five and fit_rows.size:
        # The 5PL starts from the 4PL of the same points, so it never ends worse: from
        # the data alone its asymmetry can run off into a far worse valley.
        if base is not None and len(base) == n:
            first = _with_g(params_to_theta(base.params[fit_rows], False), 0.0)
        else:
            first = _with_g(batch.four_start(fit_rows, fit_levels), 0.0)
        if not np.all(np.isfinite(first)):
            # A row the 4PL could not fit starts from the data like the others.
            data = _with_g(batch.data_start(fit_rows, fit_levels), 0.0)
            first = np.where(np.isfinite(first), first, data)
    batch.solve(fit_rows, first, fit_levels)
    if outliers == "studentized" and fit_rows.size:
        batch.mask_outliers(fit_rows, outlier_limit, mask_edge_levels, reasons)
    if polish and fit_rows.size:
        batch.polish(fit_rows)
    used = batch.used

    n_points = used.sum(axis=1).astype(np.int64)
    # The objective at the final parameters with the final weights.
    rss = np.full(n, np.nan)
    vcov = np.full((n, 5, 5), np.nan)
    if fit_rows.size:
        yhat = evaluate(batch.theta[fit_rows], batch.z[fit_rows], five)
        resid = batch.sqrt_w[fit_rows] * (batch.yy[fit_rows] - yhat)
        rss[fit_rows] = np.einsum("np,np->n", resid, resid)
        vcov[fit_rows], cov_theta = _covariance(
            batch.theta[fit_rows],
            batch.z[fit_rows],
            batch.sqrt_w[fit_rows],
            rss[fit_rows],
            n_points[fit_rows],
            five,
        )
        plausible_low, plausible_high = _plausible(x[fit_rows], y[fit_rows], used[fit_rows], five)
        theta_fit = batch.theta[fit_rows]
        with np.errstate(invalid="ignore"):
            se_log_g = np.sqrt(cov_theta[:, 4, 4]) if five else np.zeros(fit_rows.size)
            plain = (
                batch.converged[fit_rows]
                & ~batch.phi_at_bound[fit_rows].any(axis=1)
                & np.all((theta_fit >= plausible_low) & (theta_fit <= plausible_high), axis=1)
                & (se_log_g <= LOG_G_SE_LIMIT)
            )
        # Only curves with something to report go through the per-curve verdict.
        for j in np.nonzero(~plain)[0]:
            i = fit_rows[j]
            _verdict(
                i,
                batch.theta[i],
                batch.phi_at_bound[i],
                (plausible_low[j], plausible_high[j]),
                cov_theta[j],
                bool(batch.converged[i]),
                five,
                status,
                reasons[i],
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        aic = np.where(rss > 0, n_points * np.log(rss / np.maximum(n_points, 1)) + 2 * k, -np.inf)
    aic = np.where(np.isfinite(rss), aic, np.nan)
    params = np.full((n, 5), np.nan)
    params[fit_rows] = theta_to_params(batch.theta[fit_rows], five)
    return BatchFit(
        model=model,
        weighting=weighting,
        params=params,
        rss=rss,
        aic=aic,
        n_points=n_points,
        converged=batch.converged,
        status=tuple(str(s) for s in status),
        fit_reasons=tuple(tuple(r) for r in reasons),
        point_reasons=tuple(_point_summaries(code, weighting)),
        vcov=vcov,
        weight_power=batch.power,
        point_code=code,
        series=series,
    )


def _check_series(
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

    back = _reversals(levels, direction, _last_level(levels))
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


def _reweight(
    phi: FloatArray,
    converged: BoolArray,
    problem: _Problem,
    used: BoolArray,
    power: FloatArray,
) -> tuple[FloatArray, BoolArray, FloatArray]:
    """Iteratively reweighted least squares with weights from the fitted values, from
    the fit with observed-signal weights, until the parameters (in the solver's
    coordinates ``phi``) stop moving."""
    phi = phi.copy()
    converged = converged.copy()
    active = np.nonzero(np.all(np.isfinite(phi), axis=1))[0]
    settled = np.zeros(phi.shape[0], dtype=bool)
    p = problem
    for _ in range(IRLS_ITERATIONS):
        if active.size == 0:
            break
        yhat = solver_evaluate(phi[active], p.z[active], p.five, p.ref[active])
        sqrt_w = _weights("fitted", power[active], p.y[active], yhat, used[active])
        sub = p.subset(active)
        weighted = _Problem(
            sub.z,
            sub.y,
            sqrt_w,
            sub.lower,
            sub.upper,
            sub.ref,
            p.five,
            sub.plausible_low,
            sub.plausible_high,
        )
        solution = weighted.solve(phi[active], engine.MAX_ITERATIONS + engine.CONTINUE_ITERATIONS)
        change = np.max(np.abs(solution.theta - phi[active]) / (np.abs(phi[active]) + 1e-8), axis=1)
        phi[active] = solution.theta
        converged[active] = solution.converged
        stop = change <= IRLS_TOLERANCE
        settled[active[stop]] = True
        active = active[~stop]
    sqrt_w = _weights("fitted", power, p.y, solver_evaluate(phi, p.z, p.five, p.ref), used)
    return phi, converged & settled, sqrt_w


def _verdict(
    i: int,
    theta: FloatArray,
    at_bound: BoolArray,
    plausible: tuple[FloatArray, FloatArray],
    cov_theta: FloatArray,
    converged: bool,
    five: bool,
    status: npt.NDArray[np.object_],
    reasons: list[str],
) -> None:
    """Status and reasons of one fitted curve from its parameters and their covariance.

    ``at_bound`` marks the solver coordinates that ended on the solver's box (the
    slope's hard bounds, or a parameter run off as far as the box lets it)."""
    flagged = []
    for j, name in enumerate(PARAM_NAMES[: theta.size]):
        shown = math.exp if name in ("c", "g") else float
        if at_bound[j]:
            reasons.append(f"{name} = {shown(theta[j]):.4g} ran to the edge of the solver's range")
            flagged.append(name)
        elif not plausible[0][j] <= theta[j] <= plausible[1][j]:
            reasons.append(
                f"{name} = {shown(theta[j]):.4g} outside its plausible range "
                f"{shown(plausible[0][j]):.4g} to {shown(plausible[1][j]):.4g}"
            )
            flagged.append(name)
    asymmetry = False
    if five:
        se_log_g = math.sqrt(cov_theta[4, 4]) if np.isfinite(cov_theta[4, 4]) else math.inf
        if "g" in flagged:
            asymmetry = True
            reasons.append("the 5PL asymmetry g runs off: the data do not identify it")
        elif not se_log_g <= LOG_G_SE_LIMIT:
            asymmetry = True
            reasons.append(
                f"the 5PL asymmetry g = {math.exp(theta[4]):.3g} is not identified "
                f"(standard error of log g {se_log_g:.3g} > log 10)"
            )
    if not converged:
        reasons.append("the optimiser did not converge from any start")
        status[i] = STATUS_NOT_CONVERGED
    elif asymmetry:
        status[i] = STATUS_ASYMMETRY
    elif flagged:
        status[i] = STATUS_AT_BOUND
    # Otherwise keep what the series checks said (broken series, hook, non-monotonic).


def fit_curve(
    conc: npt.ArrayLike,
    signal: npt.ArrayLike,
    model: str = "5PL",
    weighting: str = "1/y^2",
    *,
    outliers: str = "none",
    outlier_limit: float = 4.0,
    mask_edge_levels: bool = False,
) -> CurveFit:
    """Fit a 4PL or 5PL curve to standards by weighted least squares in log-dose.

    Points with ``conc <= 0`` (zero standards; blanks serve the LOD), non-finite values,
    or non-positive signal under any weighting but "none" are left out, with a reason;
    so are an end level off the dilution series and the levels beyond a hook. Starts
    come from the data (asymptotes from the lowest and highest level means, slope and
    inflection from a line through the logits) and, for the 5PL, from the 4PL of the
    same points; other starts and then SciPy's least_squares take over for a curve
    that does not converge or ends on a bound.

    Never raises on bad numbers: too few distinct concentrations (fewer than k + 1),
    a flat signal, non-convergence or a parameter at a bound come back as ``status``
    and ``reasons``. Raises ``ValueError`` for an unknown model or weighting, or for
    ``conc`` and ``signal`` of different lengths.
    """
    check_model(model)
    check_weighting(weighting)
    x = np.asarray(conc, dtype=float).ravel()
    y = np.asarray(signal, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"conc and signal differ in length ({x.size} and {y.size} values)")
    batch = fit_curves(
        [x],
        [y],
        model,
        weighting,
        outliers=outliers,
        outlier_limit=outlier_limit,
        mask_edge_levels=mask_edge_levels,
    )
    return batch.curve(0)
