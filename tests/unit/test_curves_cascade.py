"""curves.cascade: the solver's problem for a set of curves and the cascade of starts,
against scipy.optimize.curve_fit on the same weighted least squares."""

import math

import numpy as np
import pytest
from scipy.optimize import curve_fit

from assaypipe.curves.batch import Batch
from assaypipe.curves.model import from_solver, to_solver
from assaypipe.curves.points import as_matrix, point_codes
from tests.unit.test_curves_batch import curve_set

TRUE = [(30.0, 1.2, 80.0, 25000.0), (100.0, 0.8, 500.0, 9000.0), (10.0, 2.0, 20.0, 3000.0)]


def four_pl(x: np.ndarray, a: float, b: float, log_c: float, d: float) -> np.ndarray:
    return d + (a - d) / (1.0 + (x / math.exp(log_c)) ** b)


def curves(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    conc = np.repeat(20000.0 / 3.0 ** np.arange(8)[::-1], 2)
    ys = [
        four_pl(conc, a, b, math.log(c), d) * (1.0 + 0.03 * rng.standard_normal(conc.size))
        for a, b, c, d in TRUE
    ]
    x, _ = as_matrix([conc] * len(TRUE))
    y, _ = as_matrix(ys)
    return x, y


def problem_and_start(x: np.ndarray, y: np.ndarray):
    batch = Batch(x, y, point_codes(x, y, np.ones_like(x, dtype=bool), "1/y^2"), five=False)
    rows = np.arange(x.shape[0])
    problem = batch.problem(rows, False, batch.observed_weights(rows))
    start = np.clip(
        to_solver(batch.data_start(rows), False, problem.ref), problem.lower, problem.upper
    )
    return problem, start


def test_cascade_reaches_scipys_weighted_least_squares_optimum():
    from assaypipe.curves.cascade import solve_cascade

    x, y = curves(seed=11)
    problem, start = problem_and_start(x, y)
    solution = solve_cascade([start], problem)
    theta = from_solver(solution.theta, False, problem.ref)
    assert solution.converged.all()
    for i, truth in enumerate(TRUE):
        p0 = [truth[0], truth[1], math.log(truth[2]), truth[3]]
        # 1/y^2 weights: sigma = y
        ref, _ = curve_fit(four_pl, x[i], y[i], p0=p0, sigma=y[i], maxfev=20000)
        ours = np.sum(((y[i] - four_pl(x[i], *theta[i])) / y[i]) ** 2)
        scipys = np.sum(((y[i] - four_pl(x[i], *ref)) / y[i]) ** 2)
        assert ours <= scipys * (1 + 1e-7)
        assert theta[i] == pytest.approx(ref, rel=1e-4)


def test_subset_solves_its_rows_as_the_whole_does():
    x, y = curves(seed=2)
    problem, start = problem_and_start(x, y)
    whole = problem.solve(start)
    part = problem.subset(np.array([2, 0])).solve(start[[2, 0]])
    assert np.array_equal(part.theta, whole.theta[[2, 0]])
    assert np.array_equal(part.cost, whole.cost[[2, 0]])


def test_implausible_flags_a_curve_whose_slope_left_the_range():
    x, y = curves(seed=4)
    problem, start = problem_and_start(x, y)
    theta = from_solver(start, False, problem.ref)
    assert not problem.implausible(start).any()
    theta[1, 1] = 50.0  # a step, past B_BOUNDS
    assert problem.implausible(to_solver(theta, False, problem.ref)).tolist() == [
        False,
        True,
        False,
    ]


def test_curves_of_one_batch_iterate_as_they_would_alone():
    # The cascade solves its tail (walking curves continued, other starts tried) as one
    # batch with a budget per curve, and relies on each curve ending exactly as it
    # would in a batch of its own: checked here to the bit against separate calls
    # (nine curves solved by the vector code, one by the scalar code), budgets running
    # out included.
    from assaypipe.curves import cascade
    from assaypipe.curves.batch import Batch
    from assaypipe.curves.fit import as_matrix
    from assaypipe.curves.model import to_solver
    from assaypipe.curves.points import point_codes

    curves = curve_set(6, seed=5)
    x, present = as_matrix([c for c, _ in curves])
    y, _ = as_matrix([s for _, s in curves])
    batch = Batch(x, y, point_codes(x, y, present, "1/y^2"), five=False)
    rows = np.arange(6)
    problem = batch.problem(rows, False, batch.observed_weights(rows))
    start = np.clip(
        to_solver(batch.data_start(rows), False, problem.ref), problem.lower, problem.upper
    )
    shallow = start.copy()
    shallow[:, 1] -= 1.0
    together = problem.subset(np.r_[rows, 0, 1, 2]).solve(
        np.vstack([start, shallow[:3]]), np.r_[np.full(6, 100), np.full(3, 4)]
    )
    alone = [problem.subset(np.array([i])).solve(start[i : i + 1], 100) for i in rows]
    alone += [problem.subset(np.array([i])).solve(shallow[i : i + 1], 4) for i in range(3)]
    assert not together.progressing[:6].any() and together.progressing[6:].all()
    for field in ("theta", "cost", "converged", "iterations", "progressing"):
        expected = np.concatenate([getattr(solution, field) for solution in alone])
        assert np.array_equal(getattr(together, field), expected), field
    assert cascade.TAIL_LIMIT > 9
