"""curves.model: the logistic curve, its inverse and its parameters.

Reference: the 5PL written out by hand, d + (a - d) / (1 + (x/c)^b)^g.
"""

from __future__ import annotations

import numpy as np
import pytest

from assaypipe.curves.model import PARAM_NAMES, asymptotes, inverse, param, predict

FIVE = {"a": 120.0, "b": 1.3, "c": 45.0, "d": 21000.0, "g": 0.7}


def _by_hand(p: dict[str, float], x: np.ndarray) -> np.ndarray:
    return p["d"] + (p["a"] - p["d"]) / (1.0 + (x / p["c"]) ** p["b"]) ** p["g"]


def test_predict_is_the_five_parameter_logistic() -> None:
    x = np.array([0.5, 4.0, 45.0, 300.0, 5000.0])
    np.testing.assert_allclose(predict(FIVE, x), _by_hand(FIVE, x), rtol=1e-12)
    assert predict(FIVE, [0.0])[0] == pytest.approx(FIVE["a"])
    assert np.isnan(predict(FIVE, [-1.0, np.inf])).all()


def test_inverse_undoes_predict_between_the_asymptotes() -> None:
    x = np.array([0.5, 4.0, 45.0, 300.0])
    np.testing.assert_allclose(inverse(FIVE, predict(FIVE, x)), x, rtol=1e-9)
    # beyond an asymptote the curve never gets there
    assert np.isnan(inverse(FIVE, [FIVE["a"] - 1.0, FIVE["d"] + 1.0])).all()


def test_a_4pl_is_given_without_g_and_asymptotes_follow_the_slope() -> None:
    four = {"a": 0.0, "b": 1.0, "c": 10.0, "d": 100.0}
    assert param(four, "g") == 1.0
    assert predict(four, [10.0])[0] == pytest.approx(50.0)
    assert asymptotes(four) == (0.0, 100.0)
    assert asymptotes({**four, "b": -1.0}) == (100.0, 0.0)
    assert PARAM_NAMES == ("a", "b", "c", "d", "g")
