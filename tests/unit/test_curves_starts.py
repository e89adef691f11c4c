"""curves.starts: starting values, the plausible range and the solver's box, against the
logistic written out."""

import math

import numpy as np
import pytest

from assaypipe.curves.levels import levels_of
from assaypipe.curves.model import evaluate
from assaypipe.curves.starts import (
    ASYMPTOTE_SPANS,
    B_BOUNDS,
    C_FACTOR,
    at_bound,
    data_start,
    plausible_range,
    with_g,
)


def four_pl(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    return d + (a - d) / (1.0 + (x / c) ** b)


def test_data_start_is_near_a_clean_curve():
    x = np.repeat(10.0 ** np.arange(-1, 4), 2)
    y = four_pl(x, 20.0, 1.0, 30.0, 20000.0)
    used = np.ones((1, x.size), dtype=bool)
    levels = levels_of(x[None, :], y[None, :], used)
    start = data_start(levels, np.log(x)[None, :], y[None, :], used)[0]
    assert start[0] == pytest.approx(y.min()) and start[3] == pytest.approx(y.max())
    assert 0.2 <= start[1] <= 5.0
    assert abs(start[2] - math.log(30.0)) < 1.0  # within a factor e of the true inflection


def test_with_g_keeps_the_half_response_dose():
    theta4 = np.array([[10.0, 1.5, math.log(50.0), 1000.0]])
    for log_g in (-1.0, 0.0, 0.7):
        theta5 = with_g(theta4, log_g)
        assert theta5[0, 4] == log_g
        half = evaluate(theta5, np.array([[math.log(50.0)]]), five=True)
        assert half[0, 0] == pytest.approx(0.5 * (10.0 + 1000.0))


def test_plausible_range_spans_the_data():
    x = np.array([[1.0, 10.0, 100.0, 0.0]])
    y = np.array([[5.0, 50.0, 105.0, 999.0]])
    used = np.array([[True, True, True, False]])
    lower, upper = plausible_range(x, y, used, five=False)
    span = 100.0
    assert lower[0].tolist() == pytest.approx(
        [5.0 - ASYMPTOTE_SPANS * span, B_BOUNDS[0], math.log(1.0 / C_FACTOR), -995.0]
    )
    assert upper[0].tolist() == pytest.approx(
        [105.0 + ASYMPTOTE_SPANS * span, B_BOUNDS[1], math.log(100.0 * C_FACTOR), 1105.0]
    )
    assert plausible_range(x, y, used, five=True)[0].shape == (1, 5)


def test_at_bound_only_at_the_edges():
    lower, upper = np.array([[0.0, 0.0]]), np.array([[1.0, 1.0]])
    assert at_bound(np.array([[0.0, 0.5]]), lower, upper).tolist() == [[True, False]]
    assert at_bound(np.array([[1.0, 1.0 - 1e-3]]), lower, upper).tolist() == [[True, False]]
