"""curves.fit: one curve fitted to standards, and the choices it accepts.

Reference: SciPy's curve_fit of the same 4PL with sigma = y (weights 1/y^2), an
independent fit of the same objective.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import curve_fit

from assaypipe.curves.fit import fit_curve
from assaypipe.vocabulary import CurveStatus

CONC = np.repeat([1.0, 3.0, 9.0, 27.0, 81.0, 243.0, 729.0], 2)
NOISE = np.array([1.02, 0.97, 1.01, 0.99, 0.98, 1.03, 1.0, 0.99, 1.02, 0.98, 0.99, 1.01, 1.0, 0.98])


def _four(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    return d + (a - d) / (1.0 + (x / c) ** b)


SIGNAL = _four(CONC, 40.0, 1.1, 60.0, 18000.0) * NOISE


def test_a_4pl_fit_matches_scipy_curve_fit() -> None:
    fit = fit_curve(CONC, SIGNAL, model="4PL", weighting="1/y^2")
    assert fit.status == CurveStatus.CONVERGED
    reference, _ = curve_fit(_four, CONC, SIGNAL, p0=[40, 1, 50, 17000], sigma=SIGNAL, maxfev=20000)
    got = [fit.params[name] for name in ("a", "b", "c", "d")]
    np.testing.assert_allclose(got, reference, rtol=1e-4)


def test_too_few_levels_is_a_status_not_an_error() -> None:
    fit = fit_curve([1.0, 10.0, 100.0], [10.0, 100.0, 1000.0], model="5PL")
    assert fit.status == CurveStatus.TOO_FEW_POINTS


def test_unknown_model_or_weighting_is_refused() -> None:
    with pytest.raises(ValueError, match="model must be one of"):
        fit_curve(CONC, SIGNAL, model="6PL")
    with pytest.raises(ValueError, match="weighting must be one of"):
        fit_curve(CONC, SIGNAL, weighting="1/x")
