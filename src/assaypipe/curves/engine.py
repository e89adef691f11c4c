"""Weighted least squares for many logistic curves at once.

A Levenberg-Marquardt iteration runs on every curve of a batch together: the model,
its Jacobian and the 4x4 or 5x5 normal equations of all curves are numpy arrays with
a leading curve axis, solved by one stacked ``np.linalg.solve``. Each curve keeps its
own damping, its own bounds and its own stopping test, and leaves the working set
when it stops, so the hard curves do not slow the easy ones down.

Bounds are handled by projection: a step is clipped into the box, and a parameter
that sits on its bound with the gradient pushing outwards is held fixed for that
step (a projected, active-set Gauss-Newton step). Curves the batch does not settle
go one by one to :func:`scipy.optimize.least_squares` (trust-region reflective).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from assaypipe.curves.model import (
    FloatArray,
    evaluate,
    evaluate_with_jacobian,
    solver_evaluate,
    solver_evaluate_with_jacobian,
    values_and_jacobian,
)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

# Relative decrease of the objective in one step (actual and predicted) below which
# a curve has stopped. Near an ordinary optimum the steps shrink quadratically, so
# the objective is then exact to far below this; a curve walking a flat valley to
# infinity loses at most this much per remaining step, still four orders of
# magnitude inside the 1e-6 the comparisons with R and SciPy ask for.
FTOL = 1e-9
# Cosine between the residual vector and every free Jacobian column: below this the
# residuals are orthogonal to every direction the parameters can move in.
GTOL = 1e-10
# Largest relative parameter step (in the Jacobian-scaled space) counted as no step.
XTOL = 1e-12
# Nearly every curve converges within 50 iterations; the few still moving at 100
# are walking a flat valley (a 5PL asymmetry or an asymptote running off) and get
# CONTINUE_ITERATIONS more on their own, so the batch does not wait for them.
MAX_ITERATIONS = 100
CONTINUE_ITERATIONS = 400
# A curve whose objective fell by less than FTOL per step on average over this many
# steps has stopped too, even if single steps still pass the FTOL test now and then:
# it is walking a valley so flat that the rest of the walk cannot matter.
STAGNATION_WINDOW = 20
# Another start is there to find another valley, which shows within this many steps.
RETRY_ITERATIONS = 40
# Damping of the first step, relative to the unit diagonal of the scaled normal
# equations (Nielsen's tau), and the ceiling past which a curve is declared stuck.
LAMBDA_START = 1e-3
LAMBDA_MAX = 1e16
LAMBDA_MIN = 1e-15
# Floor on the scaled diagonal, so that a column of zeros (a parameter no point
# informs) gives a zero step rather than a singular system.
DIAGONAL_FLOOR = 1e-300
# Curves per block within an iteration (see levenberg_marquardt).
BLOCK = 1024


@dataclass(frozen=True)
class Solution:
    """Fitted parameters per curve (solver coordinates) with the weighted objective
    and the verdict."""

    theta: FloatArray
    cost: FloatArray
    converged: BoolArray
    iterations: IntArray
    # Still lowering the objective when the iteration budget ran out (a curve walking
    # a long valley), as opposed to stuck (no step lowers it) or non-finite.
    progressing: BoolArray


def _row_max(a: FloatArray) -> FloatArray:
    """The largest entry of each row of an ``(n, k)`` array with few columns.

    numpy reduces a short last axis row by row; column by column is several times
    faster on a large batch (and NaN propagates the same way)."""
    if a.shape[0] < 64:
        return np.asarray(a.max(axis=1))
    out = a[:, 0].copy()
    for j in range(1, a.shape[1]):
        np.maximum(out, a[:, j], out=out)
    return out


def _scaled_system(
    wjac: FloatArray, resid: FloatArray, theta: FloatArray, lower: FloatArray, upper: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Jacobi-scaled normal equations with the bound-blocked parameters held fixed.

    Returns the scaled matrix (unit diagonal), the scaled and the plain gradient, and
    the scale."""
    grad = np.matmul(wjac, resid[:, :, None])[:, :, 0]
    hess = np.matmul(wjac, wjac.transpose(0, 2, 1))
    n, k = theta.shape
    diagonal = hess.reshape(n, k * k)[:, :: k + 1]
    scale = np.sqrt(np.maximum(diagonal, DIAGONAL_FLOOR))
    # grad points downhill (resid = y - yhat): a parameter on its lower bound with
    # grad < 0, or on its upper bound with grad > 0, would leave the box.
    fixed = ((theta <= lower) & (grad < 0)) | ((theta >= upper) & (grad > 0))
    inverse = 1.0 / scale
    hess_s = hess * inverse[:, :, None]
    hess_s *= inverse[:, None, :]
    grad_s = grad * inverse
    if np.count_nonzero(fixed):
        free = ~fixed
        hess_s *= free[:, :, None]
        hess_s *= free[:, None, :]
        hess_s.reshape(n, k * k)[:, :: k + 1] += fixed
        grad_s *= free
    return hess_s, grad_s, scale, grad


class Factor:
    """Solves with ``hess_s + damping * I`` for every curve, factorised once.

    The steps call np.linalg.solve (LAPACK's LU, one system at a time), so a curve's
    step depends on its own system alone, never on which other curves share its
    batch or how many do. (A Cholesky written out as vector operations over the batch
    is faster on thousands of curves, slower on fewer than a few hundred; switching
    between the two by batch size made a curve's last bits depend on its batch.) The
    covariance uses that Cholesky for the pivots that bound its conditioning, and
    solves with it once :meth:`pivots` has factorised."""

    def __init__(self, hess_s: FloatArray, damping: FloatArray) -> None:
        n, k = hess_s.shape[0], hess_s.shape[-1]
        self.system = np.array(hess_s, dtype=float, order="C")
        self.system.reshape(n, k * k)[:, :: k + 1] += damping[:, None]
        self.lower: dict[tuple[int, int], FloatArray] | None = None

    def pivots(self) -> FloatArray:
        """The Cholesky diagonal of every system (its ratio bounds the conditioning)."""
        if self.lower is None:
            self.lower = _cholesky(self.system)
        k = self.system.shape[-1]
        return np.column_stack([self.lower[j, j] for j in range(k)])

    def solve(self, rhs: FloatArray) -> FloatArray:
        col = self.lower
        if col is None:
            try:
                return np.asarray(np.linalg.solve(self.system, rhs[..., None])[..., 0])
            except np.linalg.LinAlgError:
                # One exactly singular system fails the whole stack: each is solved
                # again on its own, the singular ones by the pseudo-inverse (their
                # minimum-norm step), so that the others' steps stay their own.
                return np.stack([_solve_one(a, b) for a, b in zip(self.system, rhs, strict=True)])
        k = rhs.shape[1]
        # Forward and back substitution; the sums run over k <= 5 terms, written out
        # as vector operations over the batch.
        y: list[FloatArray] = []
        x: list[FloatArray] = [np.empty(0)] * k
        # A floored pivot (a singular system) gives huge or non-finite entries, which the
        # callers reject; they are no reason for a warning.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i in range(k):
                acc = rhs[:, i].copy()
                for m in range(i):
                    acc -= col[i, m] * y[m]
                y.append(acc / col[i, i])
            for i in reversed(range(k)):
                acc = y[i].copy()
                for m in range(i + 1, k):
                    acc -= col[m, i] * x[m]
                x[i] = acc / col[i, i]
        return np.column_stack(x)


def _solve_one(system: FloatArray, rhs: FloatArray) -> FloatArray:
    try:
        return np.asarray(np.linalg.solve(system[None], rhs[None, :, None])[0, :, 0])
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(system) @ rhs)


class _State:
    """The curves still iterating: every array has one row per curve, ``index`` maps
    rows back to the batch. Made under levenberg_marquardt's floating-point error state."""

    def __init__(
        self,
        theta: FloatArray,
        z: FloatArray,
        y: FloatArray,
        sqrt_w: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
        ref: FloatArray,
        five: bool,
        damping: float = 0.0,
    ) -> None:
        n = theta.shape[0]
        self.index = np.arange(n)
        self.theta, self.z, self.y, self.sw = theta, z, y, sqrt_w
        self.lo, self.hi, self.ref = lower, upper, ref
        yhat, jac = values_and_jacobian(theta, z, five, ref)
        self.resid = sqrt_w * (y - yhat)
        self.wjac = sqrt_w[:, None, :] * jac
        self.cost = (self.resid * self.resid).sum(axis=1)
        self.damping = np.full(n, damping or LAMBDA_START)
        self.growth = np.full(n, 2.0)
        self.window_cost = self.cost.copy()
        # Curves past the FTOL test take one last, nearly undamped step (see _step).
        self.polishing = np.zeros(n, dtype=bool)
        # Each curve's iteration budget (levenberg_marquardt sets it).
        self.budget = np.zeros(n, dtype=np.int64)
        # The objective of a zero curve, to recognise an exact fit (noise-free data).
        sy = sqrt_w * y
        self.scale_cost = np.maximum((sy * sy).sum(axis=1), np.finfo(float).tiny)

    def keep(self, rows: BoolArray) -> None:
        for name in (
            "index", "theta", "z", "y", "sw", "lo", "hi", "ref", "resid", "wjac", "cost",
            "damping", "growth", "window_cost", "scale_cost", "polishing", "budget",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name)[rows])


def _step(state: _State, block: slice, five: bool) -> tuple[BoolArray, BoolArray]:
    """One damped Gauss-Newton step for the curves in ``block``, in place.

    Returns (stopped, converged) for them: stopped curves leave the working set. Runs
    under the caller's floating-point error state (see levenberg_marquardt).

    A step of a few curves costs what its numpy calls cost, not what they compute (a
    curve walking a long valley alone takes a hundred steps), so each test is
    computed once and every call counts (``np.count_nonzero`` is a third of the cost
    of ``.any()``)."""
    theta, resid, wjac, cost = (
        state.theta[block],
        state.resid[block],
        state.wjac[block],
        state.cost[block],
    )
    lo, hi, sw, damping = state.lo[block], state.hi[block], state.sw[block], state.damping[block]
    hess_s, grad_s, scale, grad = _scaled_system(wjac, resid, theta, lo, hi)
    norm_r = np.sqrt(cost)
    cosine = _row_max(np.abs(grad_s)) / np.where(norm_r > 0, norm_r, 1.0)
    bad = ~np.isfinite(cost)
    # An exact fit (noise-free data), or residuals orthogonal to every free direction.
    done = ~bad & ((cost <= 1e-28 * state.scale_cost[block]) | (cosine <= GTOL))
    stuck = bad | (damping > LAMBDA_MAX)
    live = ~(done | stuck)

    step_s = Factor(hess_s, damping).solve(grad_s)
    trial = np.minimum(np.maximum(theta + step_s / scale, lo), hi)
    step = trial - theta
    trial_yhat, trial_jac = values_and_jacobian(trial, state.z[block], five, state.ref[block])
    trial_resid = sw * (state.y[block] - trial_yhat)
    trial_cost = (trial_resid * trial_resid).sum(axis=1)
    scaled_step = step * scale
    curvature = np.matmul(hess_s, scaled_step[:, :, None])[:, :, 0]
    predicted = (step * (2.0 * grad) - scaled_step * curvature).sum(axis=1)
    actual = cost - trial_cost
    # actual > 0 holds only of a finite trial (the cost of a live curve is finite).
    accept = (actual > 0) & live
    rho = np.where(predicted > 0, actual / predicted, 0.0)
    ftol_cost = FTOL * cost
    small = accept & (actual <= ftol_cost) & (np.abs(predicted) <= ftol_cost) & (rho <= 2.0)
    relative_step = _row_max(np.abs(scaled_step) / (np.abs(theta * scale) + XTOL))
    tiny_step = live & (relative_step <= XTOL)
    # Near an optimum a nearly undamped Gauss-Newton step settles the directions
    # the objective hardly feels (an asymptote of an unweighted fit, say) far
    # better than the FTOL test demands of the objective: a curve that passes the
    # test takes one such step before it stops, cheaper than a tighter test.
    polishing = state.polishing[block]
    finishing = polishing & live
    small &= ~polishing
    state.polishing[block] = polishing | small
    # Nielsen's damping update: shrink after a good step, grow ever faster after
    # a run of rejected ones.
    shrink = np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
    growth = state.growth[block]
    state.damping[block] = np.where(
        small,
        LAMBDA_MIN,
        np.where(
            accept,
            np.maximum(damping * shrink, LAMBDA_MIN),
            np.minimum(damping * growth, 1e300),
        ),
    )
    state.growth[block] = np.where(accept, 2.0, np.minimum(growth * 2.0, 1e300))
    if np.count_nonzero(accept):
        np.copyto(theta, trial, where=accept[:, None])
        np.copyto(resid, trial_resid, where=accept[:, None])
        trial_jac *= sw[:, None, :]
        np.copyto(wjac, trial_jac, where=accept[:, None, None])
        np.copyto(cost, trial_cost, where=accept)
    converged = done | finishing | tiny_step
    return converged | stuck, converged


def _cholesky(a: FloatArray) -> dict[tuple[int, int], FloatArray]:
    """Lower Cholesky factors of a stack of symmetric positive-definite matrices, the
    pivots floored at DIAGONAL_FLOOR: entry (i, j) of every factor as one vector."""
    k = a.shape[-1]
    # Entries as contiguous vectors over the batch; the sums run over j < k <= 5 terms.
    col: dict[tuple[int, int], FloatArray] = {}
    for j in range(k):
        pivot = a[:, j, j].copy()
        for m in range(j):
            pivot -= col[j, m] * col[j, m]
        col[j, j] = np.sqrt(np.maximum(pivot, DIAGONAL_FLOOR))
        for i in range(j + 1, k):
            acc = a[:, i, j].copy()
            for m in range(j):
                acc -= col[i, m] * col[j, m]
            col[i, j] = acc / col[j, j]
    return col


def levenberg_marquardt(
    theta0: FloatArray,
    z: FloatArray,
    y: FloatArray,
    sqrt_w: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    five: bool,
    ref: FloatArray,
    max_iterations: int | IntArray = MAX_ITERATIONS,
    damping: float = LAMBDA_START,
) -> Solution:
    """Minimise ``sum(w * (y - f(theta, z))**2)`` for every row at once.

    ``z``, ``y`` and ``sqrt_w`` are ``(n, p)``: padding and left-out points carry
    ``sqrt_w = 0`` (and any finite ``z`` and ``y``). ``theta0``, ``lower`` and
    ``upper`` are ``(n, k)``, in the solver's coordinates (:func:`model.to_solver`,
    with the curves' reference signals ``ref``). ``max_iterations`` is one budget for
    every curve or one per curve.

    Each iteration walks the working set in blocks of BLOCK curves: element-wise
    numpy runs about twice as fast on arrays that stay in the processor's cache.
    """
    n = theta0.shape[0]
    theta_out = np.clip(theta0, lower, upper)
    cost_out = np.full(n, np.inf)
    converged_out = np.zeros(n, dtype=bool)
    iterations_out = np.zeros(n, dtype=np.int64)
    progressing_out = np.zeros(n, dtype=bool)
    if n == 0:
        return Solution(theta_out, cost_out, converged_out, iterations_out, progressing_out)

    # Overflow and 0/0 on the way mark a trial step as non-finite, which the step
    # rejects; they are no reason for a warning.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        state = _State(theta_out.copy(), z, y, sqrt_w, lower, upper, ref, five, damping)
        state.budget = np.broadcast_to(np.asarray(max_iterations, dtype=np.int64), (n,))
        for iteration in range(1, int(state.budget.max()) + 1):
            m = state.index.size
            stopped = np.empty(m, dtype=bool)
            converged = np.empty(m, dtype=bool)
            for start in range(0, m, BLOCK):
                block = slice(start, min(start + BLOCK, m))
                stopped[block], converged[block] = _step(state, block, five)
            if iteration % STAGNATION_WINDOW == 0:
                stagnant = np.isfinite(state.cost) & (
                    state.window_cost - state.cost <= STAGNATION_WINDOW * FTOL * state.cost
                )
                converged |= stagnant & ~stopped
                stopped |= stagnant
                state.window_cost = state.cost.copy()
            spent = state.budget == iteration
            if np.count_nonzero(spent):
                running = spent & ~stopped
                progressing_out[state.index[running]] = np.isfinite(state.cost[running]) & (
                    state.damping[running] <= LAMBDA_MAX
                )
                stopped |= spent
            n_stopped = np.count_nonzero(stopped)
            if n_stopped:
                ids = state.index[stopped]
                theta_out[ids] = state.theta[stopped]
                cost_out[ids] = state.cost[stopped]
                converged_out[ids] = converged[stopped] & np.isfinite(state.cost[stopped])
                iterations_out[ids] = iteration
                if n_stopped == m:
                    break
                state.keep(~stopped)
    return Solution(theta_out, cost_out, converged_out, iterations_out, progressing_out)


def least_squares_one(
    theta0: FloatArray,
    z: FloatArray,
    y: FloatArray,
    sqrt_w: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    five: bool,
    ref: FloatArray,
) -> tuple[FloatArray, float, bool] | None:
    """One curve through SciPy's trust-region reflective solver (the fallback)."""
    # Imported here: most chunks never need the fallback, and scipy.optimize is a
    # large share of a job's start-up.
    from scipy.optimize import least_squares

    used = sqrt_w > 0
    zu, yu, su, ru = z[used][None, :], y[used][None, :], sqrt_w[used], ref[None, :]

    def residuals(theta: FloatArray) -> FloatArray:
        return np.asarray(su * (yu[0] - solver_evaluate(theta[None, :], zu, five, ru)[0]))

    def jacobian(theta: FloatArray) -> FloatArray:
        jac = solver_evaluate_with_jacobian(theta[None, :], zu, five, ru)[1][0]
        return np.asarray(-su[:, None] * jac.T)

    # trf needs a strictly feasible start.
    inset = 1e-9 * (upper - lower)
    x0 = np.clip(theta0, lower + inset, upper - inset)
    try:
        result = least_squares(
            residuals,
            x0,
            jac=jacobian,
            bounds=(lower, upper),
            method="trf",
            x_scale="jac",
            ftol=1e-13,
            xtol=1e-13,
            gtol=1e-13,
            # The curves that get here walk a flat ridge; past a few hundred
            # evaluations the objective no longer moves in the digits that count.
            max_nfev=300,
        )
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return None
    theta = np.asarray(result.x, dtype=float)
    cost = float(np.sum(np.asarray(result.fun, dtype=float) ** 2))
    if not (np.all(np.isfinite(theta)) and math.isfinite(cost)):
        return None
    return theta, cost, bool(result.success)


def polish_one(
    theta0: FloatArray, z: FloatArray, y: FloatArray, sqrt_w: FloatArray, five: bool
) -> tuple[FloatArray, float] | None:
    """One curve finished by SciPy's Levenberg-Marquardt in theta (a, b, log c, d,
    log g), unbounded, from ``theta0``: the optimum another program's fit of the same
    objective reaches, where the batch stopped on a flat stretch short of it."""
    from scipy.optimize import least_squares

    used = sqrt_w > 0
    zu, yu, su = z[used][None, :], y[used], sqrt_w[used]
    if zu.shape[1] < theta0.size:
        return None

    def residuals(theta: FloatArray) -> FloatArray:
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(su * (yu - evaluate(theta[None, :], zu, five)[0]))

    def jacobian(theta: FloatArray) -> FloatArray:
        jac = evaluate_with_jacobian(theta[None, :], zu, five)[1][0]
        return np.asarray(-su[:, None] * jac.T)

    try:
        result = least_squares(
            residuals, theta0, jac=jacobian, method="lm", ftol=1e-12, xtol=1e-12, gtol=1e-12
        )
    except ValueError:  # a start whose residuals are not finite
        return None
    if not (np.all(np.isfinite(result.x)) and np.isfinite(result.cost)):
        return None
    return np.asarray(result.x, dtype=float), float(2.0 * result.cost)
