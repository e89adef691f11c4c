"""Fitting 4PL and 5PL curves to standards: one curve or many in one call.

:func:`fit_curves` is the batch path the workflow uses; :func:`fit_curve` is the same
code for a single curve. Every step works on all curves at once (numpy arrays with a
leading curve axis): checking the standard series, starting values, the
Levenberg-Marquardt iterations (:mod:`assaypipe.curves.engine`), reweighting,
outlier masking and the covariance. Only the few curves the batch cannot settle go
through SciPy one by one.

The steps live in their own modules, in the order a fit takes them:
:mod:`~assaypipe.curves.points` (the padded point matrices and why a point is left
out), :mod:`~assaypipe.curves.levels` (the standard levels),
:mod:`~assaypipe.curves.series` (the dilution series checks),
:mod:`~assaypipe.curves.starts` (starting values, the plausible range and the
solver's box), :mod:`~assaypipe.curves.weights` (weights, the power of the mean,
reweighting), :mod:`~assaypipe.curves.cascade` (the cascade of starts and the
fallback to SciPy), :mod:`~assaypipe.curves.batch` (the batch fit itself, outlier
masking, polishing) and :mod:`~assaypipe.curves.result` (:class:`CurveFit`,
:class:`BatchFit`, the covariance and the verdicts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from assaypipe.curves.batch import Batch, studentized_residuals
from assaypipe.curves.levels import Levels, levels_of, subset_levels
from assaypipe.curves.model import FloatArray, params_to_theta
from assaypipe.curves.points import (
    POINT_BROKEN_SERIES,
    POINT_HOOK,
    POINT_NO_CONC,
    POINT_NO_SIGNAL,
    POINT_NON_POSITIVE,
    POINT_OUTLIER,
    POINT_PADDING,
    POINT_USED,
    as_matrix,
    point_codes,
    point_summaries,
    usable_points,
)
from assaypipe.curves.result import (
    MODELS,
    OUTLIER_RULES,
    STATUS_ASYMMETRY,
    STATUS_AT_BOUND,
    STATUS_BROKEN_SERIES,
    STATUS_CONVERGED,
    STATUS_FLAT,
    STATUS_HOOK,
    STATUS_NO_STANDARDS,
    STATUS_NON_MONOTONIC,
    STATUS_NOT_CONVERGED,
    STATUS_TOO_FEW,
    BatchFit,
    CurveFit,
    SeriesChecks,
    assemble,
    merged,
)
from assaypipe.curves.series import check_series
from assaypipe.curves.starts import B_BOUNDS, G_BOUNDS, with_g
from assaypipe.curves.weights import WEIGHTINGS, estimate_power

IntArray = npt.NDArray[np.int64]

__all__ = [
    "B_BOUNDS",
    "G_BOUNDS",
    "MODELS",
    "OUTLIER_RULES",
    "POINT_BROKEN_SERIES",
    "POINT_HOOK",
    "POINT_NON_POSITIVE",
    "POINT_NO_CONC",
    "POINT_NO_SIGNAL",
    "POINT_OUTLIER",
    "POINT_PADDING",
    "POINT_USED",
    "STATUS_ASYMMETRY",
    "STATUS_AT_BOUND",
    "STATUS_BROKEN_SERIES",
    "STATUS_CONVERGED",
    "STATUS_FLAT",
    "STATUS_HOOK",
    "STATUS_NON_MONOTONIC",
    "STATUS_NOT_CONVERGED",
    "STATUS_NO_STANDARDS",
    "STATUS_TOO_FEW",
    "WEIGHTINGS",
    "BatchFit",
    "CurveFit",
    "Levels",
    "as_matrix",
    "check_model",
    "check_weighting",
    "estimate_power",
    "fit_curve",
    "fit_curves",
    "levels_of",
    "studentized_residuals",
    "usable_points",
]


def check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model!r}")


def check_weighting(weighting: str) -> None:
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {list(WEIGHTINGS)}, got {weighting!r}")


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
    it, to the same bits, whatever else is in the batch: curves of each length are
    fitted together, and no step of one curve depends on another's (so a study's
    curves do not change when plates are added or its chunks fall differently).
    ``outliers="studentized"`` masks, one at a time,
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

    >>> from assaypipe.curves.model import predict
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
    x, y, present, given = _inputs(conc, signal, weights)
    widths = _widths(x, y, present)
    if widths.size and (np.unique(widths).size > 1 or 0 < widths.max() < x.shape[1]):
        return _by_width(
            widths, x, y, present, given, model, weighting, base,
            {
                "outliers": outliers, "outlier_limit": outlier_limit,
                "mask_edge_levels": mask_edge_levels, "zero_dose": zero_dose,
                "series_checks": series_checks, "polish": polish,
            },
        )  # fmt: skip
    five = model == "5PL"
    source, fixed_power = WEIGHTINGS[weighting]
    options = (zero_dose, series_checks, None if given is None else given.tobytes())
    series = _series(x, y, present, weighting, given, options, base)
    code = series.code.copy()
    status = series.status.copy()
    reasons = [list(r) for r in series.reasons]
    levels = series.levels
    fit_rows = _fit_rows(levels, y, code == POINT_USED, model, status, reasons)

    with np.errstate(invalid="ignore"):
        sqrt_given = None if given is None else np.sqrt(np.where(given > 0, given, 0.0))
    batch = Batch(x, y, code, five, sqrt_given)
    batch.source = source if given is None else "observed"
    batch.power = _power(fixed_power, given is not None, levels, fit_rows, reasons)

    fit_levels = subset_levels(levels, fit_rows)
    first = _five_start(batch, base, fit_rows, fit_levels) if five and fit_rows.size else None
    batch.solve(fit_rows, first, fit_levels)
    if outliers == "studentized" and fit_rows.size:
        batch.mask_outliers(fit_rows, outlier_limit, mask_edge_levels, reasons)
    if polish and fit_rows.size:
        batch.polish(fit_rows)
    return assemble(batch, fit_rows, model, weighting, status, reasons, series)


def _widths(x: FloatArray, y: FloatArray, present: npt.NDArray[np.bool_]) -> IntArray:
    """Each curve's points up to its last one with a concentration or a signal (a
    NaN-padded matrix's padding, or a list's, does not count)."""
    real = present & ~(np.isnan(x) & np.isnan(y))
    last = real.shape[1] - np.argmax(real[:, ::-1], axis=1)
    return np.where(real.any(axis=1), last, 0).astype(np.int64)


def _by_width(
    widths: IntArray,
    x: FloatArray,
    y: FloatArray,
    present: npt.NDArray[np.bool_],
    given: FloatArray | None,
    model: str,
    weighting: str,
    base: BatchFit | None,
    options: dict[str, Any],
) -> BatchFit:
    """fit_curves of the curves of each width together, put back in order.

    numpy's sums over a row round by where each point sits in blocks of the row's
    length, so a curve fitted in a batch padded to a longer row could end a last bit
    (on a flat ridge, far) from where it ends alone. Fitted with curves of as many
    points only, each ends on the same bits as alone, whatever shares its batch."""
    parts: list[tuple[IntArray, BatchFit]] = []
    for width in np.unique(widths):
        rows = np.nonzero(widths == width)[0]
        fit = fit_curves(
            x[rows, :width],
            y[rows, :width],
            model,
            weighting,
            base=None if base is None else base.part(rows, int(width)),
            weights=None if given is None else given[rows, :width],
            **options,
        )
        parts.append((rows, fit))
    out = merged(parts, x.shape)
    # A point left off after a row's last one is reported as fit_curves reports it
    # (without a concentration), not as padding.
    trimmed = present & (out.point_code == POINT_PADDING)
    if trimmed.any():
        code = out.point_code.copy()
        code[trimmed] = POINT_NO_CONC
        out = dataclasses.replace(
            out, point_code=code, point_reasons=tuple(point_summaries(code, weighting))
        )
    return out


def _inputs(
    conc: npt.ArrayLike | Sequence[npt.ArrayLike],
    signal: npt.ArrayLike | Sequence[npt.ArrayLike],
    weights: npt.ArrayLike | Sequence[npt.ArrayLike] | None,
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_], FloatArray | None]:
    """The padded conc, signal and weights matrices and the mask of the real points."""
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
    return x, y, present, given


def _series(
    x: FloatArray,
    y: FloatArray,
    present: npt.NDArray[np.bool_],
    weighting: str,
    given: FloatArray | None,
    options: tuple[bool, bool, bytes | None],
    base: BatchFit | None,
) -> SeriesChecks:
    """The point codes and the dilution series checks: those of ``base`` where it fitted
    the same points, else made here."""
    if (
        base is not None
        and base.series is not None
        and base.series.matches(x, y, present, weighting)
        and base.series.options == options
    ):
        # The same points as the base fit: the same series checks.
        return base.series
    zero_dose, series_checks, _ = options
    n = x.shape[0]
    code = point_codes(x, y, present, weighting, given, zero_dose)
    reasons: list[list[str]] = [[] for _ in range(n)]
    status = np.full(n, STATUS_CONVERGED, dtype=object)
    if series_checks:
        levels = check_series(x, y, code, status, reasons)
    else:
        levels = levels_of(x, y, code == POINT_USED)
    return SeriesChecks(
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


def _fit_rows(
    levels: Levels,
    y: FloatArray,
    used: npt.NDArray[np.bool_],
    model: str,
    status: npt.NDArray[np.object_],
    reasons: list[list[str]],
) -> IntArray:
    """The curves with enough distinct concentrations and a signal that changes; the
    others get their status and reason."""
    k = MODELS[model]
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
    return np.asarray(np.nonzero(~too_few & ~flat)[0], dtype=np.int64)


def _power(
    fixed_power: float | None,
    given: bool,
    levels: Levels,
    fit_rows: IntArray,
    reasons: list[list[str]],
) -> FloatArray:
    """The power p of the weights ``1 / v**(2p)`` per curve: the weighting's, or
    estimated from the replicate standards (1 where it cannot be, or weights are given)."""
    n = levels.n.shape[0]
    if fixed_power is None and given:
        return np.ones(n)
    if fixed_power is None:
        power, estimable = estimate_power(levels)
        for i in fit_rows[~estimable[fit_rows]]:
            reasons[i].append(
                "power of the mean not estimable (fewer than 3 replicated levels): "
                "weights 1/yhat^2 used"
            )
        return power
    return np.full(n, fixed_power)


def _five_start(
    batch: Batch, base: BatchFit | None, fit_rows: IntArray, fit_levels: Levels
) -> FloatArray:
    """Where a 5PL starts: the 4PL of the same points (``base``'s, or fitted here), so
    it never ends worse; from the data alone its asymmetry can run off into a far worse
    valley."""
    if base is not None and len(base) == batch.x.shape[0]:
        first = with_g(params_to_theta(base.params[fit_rows], False), 0.0)
    else:
        first = with_g(batch.four_start(fit_rows, fit_levels), 0.0)
    if not np.all(np.isfinite(first)):
        # A row the 4PL could not fit starts from the data like the others.
        data = with_g(batch.data_start(fit_rows, fit_levels), 0.0)
        first = np.where(np.isfinite(first), first, data)
    return first


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
