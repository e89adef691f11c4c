"""Weights: the weightings, the power of the mean estimated from replicate standards,
and the iterative reweighting from the fitted values."""

from __future__ import annotations

import numpy as np

from assaypipe.curves import engine
from assaypipe.curves.cascade import Problem
from assaypipe.curves.levels import Levels
from assaypipe.curves.model import BoolArray, FloatArray, solver_evaluate

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
# The power of the mean variance function, clipped to what assays show.
POWER_RANGE = (0.0, 2.0)
IRLS_ITERATIONS = 50
IRLS_TOLERANCE = 1e-10


def sqrt_weights(
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
    # Each point gets its own exponent, never one broadcast along the row: numpy takes
    # a shortcut for an exponent it sees repeated (1 / x for -1), whose last bit may
    # differ from pow's, and whether it does depends on the batch's shape.
    exponent = np.repeat(-power[:, None], base.shape[1], axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sqrt_w = np.where(used, np.power(base, exponent), 0.0)
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


def reweight(
    phi: FloatArray,
    converged: BoolArray,
    problem: Problem,
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
        sqrt_w = sqrt_weights("fitted", power[active], p.y[active], yhat, used[active])
        sub = p.subset(active)
        weighted = Problem(
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
    sqrt_w = sqrt_weights("fitted", power, p.y, solver_evaluate(phi, p.z, p.five, p.ref), used)
    return phi, converged & settled, sqrt_w
