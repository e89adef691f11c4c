"""The batch fit itself: the arrays of one batch (:class:`Batch`), solved through the
cascade of starts, reweighted, masked for outliers and polished in place."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from assaypipe.curves import engine
from assaypipe.curves.cascade import Problem, solve_cascade
from assaypipe.curves.levels import IntArray, Levels, last_level, levels_of
from assaypipe.curves.model import (
    FloatArray,
    evaluate,
    evaluate_with_jacobian,
    from_solver,
    reference,
    to_solver,
)
from assaypipe.curves.points import POINT_OUTLIER, POINT_USED
from assaypipe.curves.starts import at_bound, data_start, plausible_range, solver_box, with_g
from assaypipe.curves.weights import reweight, sqrt_weights

# The log dose standing in for a zero dose (``zero_dose``): far enough below any real
# dose that the curve there is its zero-dose asymptote to the last bit for every
# slope the solver allows (b >= 1e-3 makes the logistic's exponent below -1000).
ZERO_DOSE_Z = -1e6


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


class Batch:
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
        return sqrt_weights("observed", self.power[rows], self.yy[rows], None, self.used[rows])

    def problem(self, rows: IntArray, five: bool, sqrt_w: FloatArray) -> Problem:
        x, y, used = self.x[rows], self.y[rows], self.used[rows]
        ref = reference(y, used)
        lower, upper = solver_box(x, y, used, five, ref)
        plausible = plausible_range(x, y, used, five)
        return Problem(self.z[rows], self.yy[rows], sqrt_w, lower, upper, ref, five, *plausible)

    def data_start(self, rows: IntArray, levels: Levels | None = None) -> FloatArray:
        """4PL starts from the data; ``levels`` (of these rows' used points) if known."""
        if levels is None:
            levels = levels_of(self.x[rows], self.y[rows], self.used[rows])
        return data_start(levels, self.z[rows], self.yy[rows], self.dosed[rows])

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
            others = [with_g(start4, 0.0), with_g(start4, -1.2), with_g(start4, 1.2)]
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
        solution = solve_cascade(starts, problem)
        phi, converged = solution.theta, solution.converged
        if self.source == "fitted":
            phi, converged, sqrt_w = reweight(
                phi, converged, problem, self.used[rows], self.power[rows]
            )
        self.theta[rows] = from_solver(phi, self.five, problem.ref)
        self.converged[rows], self.sqrt_w[rows] = converged, sqrt_w
        self.phi_at_bound[rows] = at_bound(phi, problem.lower, problem.upper)

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
        last = last_level(levels)
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
