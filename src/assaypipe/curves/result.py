"""What a fit gives back: :class:`CurveFit` (one curve), :class:`BatchFit` (many), the
statuses, the covariance of the parameters, and the assembly of a batch's result
(objective, AIC, covariance and each curve's verdict)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from assaypipe.curves import engine
from assaypipe.curves.batch import Batch
from assaypipe.curves.levels import IntArray, Levels
from assaypipe.curves.model import (
    PARAM_NAMES,
    BoolArray,
    FloatArray,
    evaluate,
    evaluate_with_jacobian,
    inverse,
    predict,
    theta_to_params,
)
from assaypipe.curves.points import point_summaries
from assaypipe.curves.starts import plausible_range
from assaypipe.vocabulary import CurveStatus

MODELS: dict[str, int] = {"4PL": 4, "5PL": 5}
OUTLIER_RULES = ("none", "studentized")
# A 5PL whose log g has a standard error above log(10) does not know g to within a
# factor of ten: the data do not identify the asymmetry.
LOG_G_SE_LIMIT = math.log(10.0)

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
class SeriesChecks:
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
    series: SeriesChecks | None = field(default=None, repr=False, compare=False)
    # A batch of curves with different numbers of points is fitted one width at a
    # time (see fit_curves): the rows of each width and their own fit.
    parts: tuple[tuple[IntArray, BatchFit], ...] = field(default=(), repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.status)

    def part(self, rows: IntArray, width: int) -> BatchFit:
        """The fit of these rows (their first ``width`` points), as a batch of its own."""
        for own_rows, own in self.parts:
            if np.array_equal(own_rows, rows):
                return own
        code = np.full((rows.size, max(width, 1)), -1, dtype=np.int8)
        kept = self.point_code[rows][:, : code.shape[1]]
        code[:, : kept.shape[1]] = kept
        return BatchFit(
            model=self.model,
            weighting=self.weighting,
            params=self.params[rows],
            rss=self.rss[rows],
            aic=self.aic[rows],
            n_points=self.n_points[rows],
            converged=self.converged[rows],
            status=tuple(self.status[i] for i in rows),
            fit_reasons=tuple(self.fit_reasons[i] for i in rows),
            point_reasons=tuple(self.point_reasons[i] for i in rows),
            vcov=self.vcov[rows],
            weight_power=self.weight_power[rows],
            point_code=code,
        )

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


def merged(parts: list[tuple[IntArray, BatchFit]], shape: tuple[int, int]) -> BatchFit:
    """One :class:`BatchFit` of ``shape`` (curves, points) from fits of disjoint sets of
    its rows, each padded on the right to the full width."""
    n, p = shape
    first = parts[0][1]
    params, rss, aic = np.full((n, 5), np.nan), np.full(n, np.nan), np.full(n, np.nan)
    n_points = np.zeros(n, dtype=np.int64)
    converged = np.zeros(n, dtype=bool)
    vcov, power = np.full((n, 5, 5), np.nan), np.ones(n)
    code = np.full((n, max(p, 1)), -1, dtype=np.int8)
    status: list[str] = [""] * n
    fit_reasons: list[tuple[str, ...]] = [()] * n
    point_reasons: list[tuple[str, ...]] = [()] * n
    for rows, part in parts:
        params[rows], rss[rows], aic[rows] = part.params, part.rss, part.aic
        n_points[rows], converged[rows] = part.n_points, part.converged
        vcov[rows], power[rows] = part.vcov, part.weight_power
        code[rows, : part.point_code.shape[1]] = part.point_code
        for j, i in enumerate(rows):
            status[i] = part.status[j]
            fit_reasons[i] = part.fit_reasons[j]
            point_reasons[i] = part.point_reasons[j]
    return BatchFit(
        model=first.model,
        weighting=first.weighting,
        params=params,
        rss=rss,
        aic=aic,
        n_points=n_points,
        converged=converged,
        status=tuple(status),
        fit_reasons=tuple(fit_reasons),
        point_reasons=tuple(point_reasons),
        vcov=vcov,
        weight_power=power,
        point_code=code,
        parts=tuple(parts),
    )


def covariance(
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


def verdict(
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


def assemble(
    batch: Batch,
    fit_rows: IntArray,
    model: str,
    weighting: str,
    status: npt.NDArray[np.object_],
    reasons: list[list[str]],
    series: SeriesChecks,
) -> BatchFit:
    """The :class:`BatchFit` of a solved batch: the objective at the final parameters
    with the final weights, the AIC, the covariance and each curve's verdict."""
    n = batch.x.shape[0]
    k = MODELS[model]
    five = batch.five
    n_points = batch.used.sum(axis=1).astype(np.int64)
    rss = np.full(n, np.nan)
    vcov = np.full((n, 5, 5), np.nan)
    if fit_rows.size:
        rss[fit_rows], vcov[fit_rows], cov_theta = _objective(batch, fit_rows, n_points)
        _verdicts(batch, fit_rows, cov_theta, status, reasons)
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
        point_reasons=tuple(point_summaries(batch.code, weighting)),
        vcov=vcov,
        weight_power=batch.power,
        point_code=batch.code,
        series=series,
    )


def _objective(
    batch: Batch, rows: IntArray, n_points: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The weighted objective of ``rows`` and the covariances (see :func:`covariance`)."""
    yhat = evaluate(batch.theta[rows], batch.z[rows], batch.five)
    resid = batch.sqrt_w[rows] * (batch.yy[rows] - yhat)
    rss = np.einsum("np,np->n", resid, resid)
    vcov, cov_theta = covariance(
        batch.theta[rows], batch.z[rows], batch.sqrt_w[rows], rss, n_points[rows], batch.five
    )
    return rss, vcov, cov_theta


def _verdicts(
    batch: Batch,
    fit_rows: IntArray,
    cov_theta: FloatArray,
    status: npt.NDArray[np.object_],
    reasons: list[list[str]],
) -> None:
    """The verdict of every fitted curve with something to report."""
    five = batch.five
    x, y, used = batch.x[fit_rows], batch.y[fit_rows], batch.used[fit_rows]
    plausible_low, plausible_high = plausible_range(x, y, used, five)
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
        verdict(
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
