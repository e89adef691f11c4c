"""curves.engine: the batched Levenberg-Marquardt solver and its SciPy fallback.

Reference: the curve the data were made from (noise-free data: the fit must find it),
and SciPy's least_squares (least_squares_one) on the same curve.
"""

from __future__ import annotations

import numpy as np

from assaypipe.curves import engine
from assaypipe.curves.model import (
    from_solver,
    params_to_theta,
    reference,
    theta_to_params,
    to_solver,
)

TRUE = np.array([[50.0, 1.2, 80.0, 20000.0, 1.0], [10.0, 0.9, 15.0, 3000.0, 1.0]])
DOSES = np.array([0.5, 1.5, 4.5, 13.5, 40.5, 121.5, 364.5, 1093.5])


def _problem() -> tuple[np.ndarray, ...]:
    z = np.tile(np.log(DOSES), (2, 1))
    a, b, c, d = (TRUE[:, i : i + 1] for i in range(4))
    y = d + (a - d) / (1.0 + (np.exp(z) / c) ** b)
    sqrt_w = np.ones_like(y)
    ref = reference(y, sqrt_w > 0)
    start = params_to_theta(TRUE * np.array([1.3, 0.7, 2.0, 0.8, 1.0]), False)
    phi0 = to_solver(start, False, ref)
    # wide finite bounds: SciPy's trust-region solver needs a strictly feasible start
    lower, upper = phi0 - 50.0, phi0 + 50.0
    return phi0, z, y, sqrt_w, lower, upper, ref


def test_the_batch_finds_the_curves_of_noise_free_data() -> None:
    phi0, z, y, sqrt_w, lower, upper, ref = _problem()
    solution = engine.levenberg_marquardt(phi0, z, y, sqrt_w, lower, upper, False, ref)
    assert solution.converged.all()
    fitted = theta_to_params(from_solver(solution.theta, False, ref), False)
    np.testing.assert_allclose(fitted[:, :4], TRUE[:, :4], rtol=1e-5)
    assert (solution.cost < 1e-6).all()


def test_the_scipy_fallback_agrees_with_the_batch() -> None:
    phi0, z, y, sqrt_w, lower, upper, ref = _problem()
    one = engine.least_squares_one(
        phi0[0], z[0], y[0], sqrt_w[0], lower[0], upper[0], False, ref[0]
    )
    assert one is not None
    theta, _cost, converged = one
    assert converged
    fitted = theta_to_params(from_solver(theta[None, :], False, ref[:1]), False)
    np.testing.assert_allclose(fitted[0, :4], TRUE[0, :4], rtol=1e-5)
