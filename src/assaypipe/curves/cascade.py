"""The cascade of starts a batch is solved through, and the fallback to SciPy for the
curves the batch does not settle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assaypipe.curves import engine
from assaypipe.curves.levels import IntArray
from assaypipe.curves.model import BoolArray, FloatArray, from_solver


@dataclass(frozen=True)
class Problem:
    """What the solver needs for a set of curves, in its coordinates."""

    z: FloatArray
    y: FloatArray
    sqrt_w: FloatArray
    lower: FloatArray
    upper: FloatArray
    ref: FloatArray
    five: bool
    # the plausible range of theta (see plausible_range)
    plausible_low: FloatArray
    plausible_high: FloatArray

    def subset(self, rows: IntArray) -> Problem:
        return Problem(
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


def solve_cascade(starts: list[FloatArray], problem: Problem) -> engine.Solution:
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
