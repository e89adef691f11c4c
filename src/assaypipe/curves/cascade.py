"""The cascade of starts a batch is solved through, and the fallback to SciPy for the
curves the batch does not settle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assaypipe.curves import engine
from assaypipe.curves.levels import IntArray
from assaypipe.curves.model import BoolArray, FloatArray, from_solver

# A tail of this many curves or more is solved in the cascade's own order.
TAIL_LIMIT = 384


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
        budget: int | IntArray = engine.MAX_ITERATIONS,
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
    tail = _tail_together(starts, problem, theta, converged, progressing)
    if walking.size:
        more = (
            tail.continued
            if tail is not None
            else problem.subset(walking).solve(theta[walking], engine.CONTINUE_ITERATIONS)
        )
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
    for n_start, start in enumerate(starts[1:]):
        retry = np.nonzero((~converged & ~progressing) | off)[0]
        if retry.size == 0:
            break
        if tail is not None:
            # Solved already, with every curve that could need this start.
            take(retry, tail.other(n_start, retry))
        else:
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


def _rows(solution: engine.Solution, rows: IntArray) -> engine.Solution:
    return engine.Solution(
        solution.theta[rows],
        solution.cost[rows],
        solution.converged[rows],
        solution.iterations[rows],
        solution.progressing[rows],
    )


@dataclass(frozen=True)
class _Tail:
    """The tail of the cascade solved ahead: the continued walking curves and, for
    each start after the first, the fits of every candidate curve from it."""

    candidates: IntArray
    continued: engine.Solution
    others: list[engine.Solution]

    def other(self, n_start: int, rows: IntArray) -> engine.Solution:
        return _rows(self.others[n_start], np.searchsorted(self.candidates, rows))


def _tail_together(
    starts: list[FloatArray],
    problem: Problem,
    theta: FloatArray,
    converged: BoolArray,
    progressing: BoolArray,
) -> _Tail | None:
    """The tail of the cascade (see :func:`solve_cascade`) as one batch: the curves
    still walking continue while every curve that could need another start tries it.

    Each curve's iterations do not depend on the others in a batch (see
    :class:`engine.Factor`), so every curve ends as it would in the cascade's own
    order; one batch of a few curves costs about what one curve does, where the
    cascade would pay for each stage in turn. None when the tail has TAIL_LIMIT curves
    or more (the cascade's own order then costs no more) or is empty.
    """
    walking = np.nonzero(progressing)[0]
    off = problem.implausible(theta) if not problem.five else np.zeros(theta.shape[0], bool)
    # Curves not walking keep their fit: they need another start only if stuck or off.
    candidates = np.nonzero(progressing | ~converged | off)[0]
    n_others = len(starts) - 1
    size = walking.size + n_others * candidates.size
    if candidates.size == 0 or n_others == 0 or size >= TAIL_LIMIT:
        return None
    rows = np.concatenate([walking, *([candidates] * n_others)])
    first = np.concatenate([theta[walking], *(start[candidates] for start in starts[1:])])
    budget = np.full(size, engine.RETRY_ITERATIONS)
    budget[: walking.size] = engine.CONTINUE_ITERATIONS
    together = problem.subset(rows).solve(first, budget)
    ends = np.cumsum([walking.size] + [candidates.size] * n_others)
    parts = [
        _rows(together, np.arange(lo, hi)) for lo, hi in zip([0, *ends[:-1]], ends, strict=True)
    ]
    return _Tail(candidates, parts[0], parts[1:])
