"""The logistic curve itself: prediction, closed-form inverse and their derivatives.

``y = d + (a - d) / (1 + (x / c)**b)**g`` with ``g = 1`` for the 4PL. Fits work on
``theta = (a, b, log c, d, log g)`` in log-dose ``z = log x``, where
``y = d + (a - d) * exp(-g * softplus(b * (z - log c)))``: ``c`` and ``g`` stay
positive, and the softplus keeps both tails finite where ``(x / c)**b`` overflows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from assaypipe.vocabulary import CURVE_PARAMS

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PARAM_NAMES = CURVE_PARAMS


def param(params: Mapping[str, float], name: str) -> float:
    """One parameter; a 4PL may be given without ``g``."""
    return float(params.get(name, 1.0)) if name == "g" else float(params[name])


def asymptotes(params: Mapping[str, float]) -> tuple[float, float]:
    """The responses at zero and at infinite dose: ``(a, d)``, or ``(d, a)`` for a curve
    written with a negative slope (an instrument software's 5PL, see
    :mod:`assaypipe.curves.vendor`).

    >>> asymptotes({"a": 20000.0, "b": -0.7, "c": 400.0, "d": 8.5, "g": 1.4})
    (8.5, 20000.0)
    """
    a, b, d = param(params, "a"), param(params, "b"), param(params, "d")
    return (d, a) if b < 0 else (a, d)


def predict(params: Mapping[str, float], conc: npt.ArrayLike) -> FloatArray:
    """Signal of the logistic curve ``params`` (keys a, b, c, d and optionally g) at ``conc``.

    Zero concentration gives ``a``; negative or non-finite concentrations give NaN.

    >>> predict({"a": 0.0, "b": 1.0, "c": 10.0, "d": 100.0}, [0.0, 10.0]).tolist()
    [0.0, 50.0]
    """
    a, b, c, d, g = (param(params, k) for k in PARAM_NAMES)
    x = np.asarray(conc, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = b * (np.log(x) - math.log(c)) if c > 0 else np.full_like(x, np.nan)
        y = d + (a - d) * np.exp(-g * np.logaddexp(0.0, t))
    y = np.where(x == 0, a, y)
    return np.asarray(np.where(np.isfinite(x) & (x >= 0), y, np.nan), dtype=float)


def inverse(params: Mapping[str, float], signal: npt.ArrayLike) -> FloatArray:
    """Concentration at which the curve ``params`` gives ``signal`` (closed form).

    NaN where the signal is not strictly between the asymptotes ``a`` and ``d`` (the
    curve never reaches it) or is not finite.

    >>> inverse({"a": 0.0, "b": 1.0, "c": 10.0, "d": 100.0}, [50.0, 100.0, -1.0]).tolist()
    [10.0, nan, nan]
    """
    a, b, c, d, g = (param(params, k) for k in PARAM_NAMES)
    y = np.asarray(signal, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fraction = (y - a) / (d - a)
        inside = np.isfinite(fraction) & (fraction > 0) & (fraction < 1)
        # (x/c)^b = ((a-d)/(y-d))^(1/g) - 1, computed as expm1(log(.)/g) so that
        # signals just above a keep their precision.
        log_ratio = -np.log1p(-np.where(inside, fraction, 0.5))
        power = np.expm1(log_ratio / g)
        x = c * np.exp(np.log(power) / b)
    return np.asarray(np.where(inside, x, np.nan), dtype=float)


def inverse_log_gradient(
    params: Mapping[str, float], signal: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Derivatives of ``log inverse(params, signal)``, for the delta method.

    Returns ``(d log x / d (a, b, c, d, g))`` with shape ``(n, 5)`` and
    ``d log x / d signal`` with shape ``(n,)``; NaN where the inverse is NaN.
    Writing ``L = log((d - a) / (d - y))`` and ``P = exp(L / g) - 1`` the inverse is
    ``log x = log c + log(P) / b``, and the chain rule through ``L`` gives the rest.
    """
    a, b, c, d, g = (param(params, k) for k in PARAM_NAMES)
    y = np.atleast_1d(np.asarray(signal, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fraction = (y - a) / (d - a)
        inside = np.isfinite(fraction) & (fraction > 0) & (fraction < 1)
        big_l = -np.log1p(-np.where(inside, fraction, 0.5))
        power = np.expm1(big_l / g)
        dlogx_dl = (power + 1.0) / (g * b * power)
        dl_da = -1.0 / (d - a)
        dl_dd = 1.0 / (d - a) - 1.0 / (d - y)
        dl_dy = 1.0 / (d - y)
        grad = np.column_stack(
            [
                dlogx_dl * dl_da,
                -np.log(power) / b**2,
                np.full_like(y, 1.0 / c),
                dlogx_dl * dl_dd,
                -dlogx_dl * big_l / g,
            ]
        )
        dy = dlogx_dl * dl_dy
    grad[~inside] = np.nan
    return grad, np.where(inside, dy, np.nan)


# ---------------------------------------------------------------- batched, theta


def theta_to_params(theta: FloatArray, five: bool) -> FloatArray:
    """``(n, 4|5)`` fitting-scale rows to ``(n, 5)`` rows of (a, b, c, d, g)."""
    theta = np.atleast_2d(theta)
    out = np.empty((theta.shape[0], 5))
    out[:, 0] = theta[:, 0]
    out[:, 1] = theta[:, 1]
    with np.errstate(over="ignore", invalid="ignore"):
        out[:, 2] = np.exp(theta[:, 2])
        out[:, 4] = np.exp(theta[:, 4]) if five else 1.0
    out[:, 3] = theta[:, 3]
    return out


def params_to_theta(params: FloatArray, five: bool) -> FloatArray:
    """Inverse of :func:`theta_to_params`."""
    params = np.atleast_2d(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = [params[:, 0], params[:, 1], np.log(params[:, 2]), params[:, 3]]
        if five:
            columns.append(np.log(params[:, 4]))
    return np.column_stack(columns)


def evaluate(theta: FloatArray, z: FloatArray, five: bool) -> FloatArray:
    """Curve values of each row of ``theta`` (``(n, k)``) at log-doses ``z`` (``(n, p)``)."""
    a, b, log_c, d = (theta[:, i : i + 1] for i in range(4))
    g = np.exp(theta[:, 4:5]) if five else 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        soft = np.logaddexp(0.0, b * (z - log_c))
        return np.asarray(d + (a - d) * np.exp(-g * soft), dtype=float)


def evaluate_with_jacobian(
    theta: FloatArray, z: FloatArray, five: bool
) -> tuple[FloatArray, FloatArray]:
    """Curve values ``(n, p)`` and their derivatives by theta, ``(n, k, p)``."""
    a, b, log_c, d = (theta[:, i : i + 1] for i in range(4))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        centred = z - log_c
        t = b * centred
        # One exp serves the logistic sigma(t) and, for the 4PL, 1 / (1 + e^t) too.
        q = np.exp(-np.abs(t))
        inv = 1.0 / (1.0 + q)
        sigma = np.where(t >= 0, inv, q * inv)
        jac = np.empty((theta.shape[0], 5 if five else 4, z.shape[1]))
        if five:
            g = np.exp(theta[:, 4:5])
            soft = np.maximum(t, 0.0) + np.log1p(q)
            e = np.exp(-g * soft)
            common = (d - a) * e * g * sigma
            jac[:, 4] = (d - a) * e * soft * g
        else:
            e = 1.0 - sigma
            common = (d - a) * e * sigma
        jac[:, 0] = e
        jac[:, 1] = common * centred
        jac[:, 2] = -common * b
        jac[:, 3] = 1.0 - e
        yhat = d + (a - d) * e
    return np.asarray(yhat, dtype=float), jac


# ---------------------------------------------------------- solver coordinates
#
# Least-squares optima of logistic curves can lie at infinity: a 5PL's g to 0 with d
# to infinity, g to infinity with c to infinity, b to infinity with b*g fixed, an
# asymptote of a curve without a plateau running off as c goes to 0 or infinity. In
# theta those valleys are curved and a damped solver crawls along them for hundreds
# of steps. The solver works in coordinates where they are (nearly) straight lines:
#     phi = (A, log b, log c, D)                 for the 4PL,
#     phi = (A, log b, log c', S, log g)         for the 5PL, where
#     A = asinh((a - m) / h),  D = asinh((d - m) / h),  S = asinh(s / h),
#     s = (d - a) * g / (1 + g),  log c' = log c - log(1 + g) / b,
# with m and h the middle and half-span of each curve's signals (``ref``, ``(n, 2)``).
# asinh is linear within the signals and logarithmic far outside them; s and c' tend
# to finite values while log g runs off; b * g fixed is a line in log b and log g.


def reference(y: FloatArray, used: BoolArray) -> FloatArray:
    """Middle and half-span of each row's used signals, ``(n, 2)``."""
    with np.errstate(invalid="ignore"):
        high = np.max(np.where(used, y, -np.inf), axis=1)
        low = np.min(np.where(used, y, np.inf), axis=1)
    middle = np.where(np.isfinite(high + low), 0.5 * (high + low), 0.0)
    half = 0.5 * (high - low)
    half = np.where(np.isfinite(half) & (half > 0), half, np.maximum(np.abs(middle), 1.0))
    return np.column_stack([middle, half])


def to_solver(theta: FloatArray, five: bool, ref: FloatArray) -> FloatArray:
    """theta ``(n, k)`` to the solver's coordinates phi."""
    phi = np.array(theta, dtype=float)
    middle, half = ref[:, 0], ref[:, 1]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a, b, d = theta[:, 0], theta[:, 1], theta[:, 3]
        phi[:, 0] = np.arcsinh((a - middle) / half)
        phi[:, 1] = np.log(b)
        if five:
            # scipy.special is imported where a 5PL needs it: jobs that only read
            # concentrations off fitted curves need no SciPy at all.
            from scipy.special import expit

            log_g = theta[:, 4]
            phi[:, 2] = theta[:, 2] - np.logaddexp(0.0, log_g) / b
            phi[:, 3] = np.arcsinh((d - a) * expit(log_g) / half)
        else:
            phi[:, 3] = np.arcsinh((d - middle) / half)
    return phi


def from_solver(phi: FloatArray, five: bool, ref: FloatArray) -> FloatArray:
    """The solver's coordinates phi ``(n, k)`` back to theta."""
    theta = np.array(phi, dtype=float)
    middle, half = ref[:, 0], ref[:, 1]
    with np.errstate(over="ignore", invalid="ignore"):
        a = middle + half * np.sinh(phi[:, 0])
        b = np.exp(phi[:, 1])
        theta[:, 0] = a
        theta[:, 1] = b
        if five:
            log_g = phi[:, 4]
            theta[:, 2] = phi[:, 2] + np.logaddexp(0.0, log_g) / b
            # d = a + s (1 + g) / g, and (1 + g) / g = 1 + exp(-log g)
            theta[:, 3] = a + half * np.sinh(phi[:, 3]) * (1.0 + np.exp(-log_g))
        else:
            theta[:, 3] = middle + half * np.sinh(phi[:, 3])
    return theta


def solver_evaluate(phi: FloatArray, z: FloatArray, five: bool, ref: FloatArray) -> FloatArray:
    """:func:`evaluate` in the solver's coordinates."""
    return evaluate(from_solver(phi, five, ref), z, five)


def solver_evaluate_with_jacobian(
    phi: FloatArray, z: FloatArray, five: bool, ref: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Curve values ``(n, p)`` and their derivatives by the solver's coordinates,
    ``(n, k, p)``: the chain rule through :func:`from_solver`, written out so that
    most terms collapse (d y / d A, for one, is the same at every dose)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return values_and_jacobian(phi, z, five, ref)


def values_and_jacobian(
    phi: FloatArray, z: FloatArray, five: bool, ref: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`solver_evaluate_with_jacobian` without its floating-point error state:
    for a caller that sets one around many calls (overflow and 0/0 stand for a step
    off the edge, which the caller rejects)."""
    middle, half = ref[:, 0:1], ref[:, 1:2]
    a = middle + half * np.sinh(phi[:, 0:1])
    da = half * np.cosh(phi[:, 0:1])
    b = np.exp(phi[:, 1:2])
    jac = np.empty((phi.shape[0], 5 if five else 4, z.shape[1]))
    if five:
        log_g = phi[:, 4:5]
        g = np.exp(log_g)
        soft_g = np.logaddexp(0.0, log_g)  # log(1 + g)
        s = half * np.sinh(phi[:, 3:4])
        d = a + s * (1.0 + 1.0 / g)
        t = b * (z - (phi[:, 2:3] + soft_g / b))
    else:
        d = middle + half * np.sinh(phi[:, 3:4])
        t = b * (z - phi[:, 2:3])
    # One exp serves the logistic sigma(t) and, for the 4PL, 1 / (1 + e^t) too.
    q = np.exp(-np.abs(t))
    inv = 1.0 / (1.0 + q)
    sigma = np.where(t >= 0, inv, q * inv)
    if five:
        soft = np.maximum(t, 0.0) + np.log1p(q)
        e = np.exp(-g * soft)
        common = (d - a) * g * e * sigma
        rest = 1.0 - e
        jac[:, 0] = da
        jac[:, 1] = common * (t + soft_g)
        jac[:, 3] = rest * ((1.0 + 1.0 / g) * half * np.cosh(phi[:, 3:4]))
        jac[:, 4] = (d - a) * g * e * soft - rest * (s / g) - common * (g / (1.0 + g))
    else:
        e = 1.0 - sigma
        common = (d - a) * e * sigma
        jac[:, 0] = e * da
        jac[:, 1] = common * t
        jac[:, 3] = sigma * (half * np.cosh(phi[:, 3:4]))
    jac[:, 2] = -common * b
    yhat = d + (a - d) * e
    return np.asarray(yhat, dtype=float), jac
