"""Starting values and bounds: the 4PL start from the data, the 5PL start from a 4PL,
the plausible range of the parameters (a verdict) and the solver's box."""

from __future__ import annotations

import math

import numpy as np

from assaypipe.curves.levels import Levels, last_level
from assaypipe.curves.model import BoolArray, FloatArray

# The plausible range of the parameters: the slope (outside it a "curve" is a step or
# a flat line), the asymmetry, the asymptotes (within ASYMPTOTE_SPANS signal spans of
# the standards) and the inflection (within C_FACTOR of the standards' doses). A fit
# outside it gets a status, not a clamp: when the least-squares optimum runs off
# along a ridge (a 5PL's g to 1e3 or 1e-4 with b past 20, an asymptote far away),
# R's nls and SciPy follow it there, and so must we to minimise the same objective.
# The solver's own box is far wider (SOLVER_*).
B_BOUNDS = (0.05, 20.0)
G_BOUNDS = (0.05, 20.0)
ASYMPTOTE_SPANS = 10.0
C_FACTOR = 1e6
SOLVER_B = (1e-3, 1e3)
SOLVER_G = (1e-6, 1e6)
SOLVER_SPANS = 1e6
SOLVER_C_FACTOR = 1e15
# A solver coordinate this close to the edge of the solver's box (as a fraction of
# its width) ran to it: the batch projects onto the edge exactly, SciPy's fallback
# stops a hair inside it.
AT_BOUND_FRACTION = 1e-9


def _ranges(
    x: FloatArray, y: FloatArray, used: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    dosed = used & (x > 0)  # a zero dose (zero_dose) says nothing of the dose range
    with np.errstate(invalid="ignore"):
        y_min = np.min(np.where(used, y, np.inf), axis=1)
        y_max = np.max(np.where(used, y, -np.inf), axis=1)
        x_min = np.min(np.where(dosed, x, np.inf), axis=1)
        x_max = np.max(np.where(dosed, x, -np.inf), axis=1)
    span = y_max - y_min
    span = np.where(span > 0, span, np.maximum(np.abs(y_max), 1.0))
    return y_min, y_max, span, x_min, x_max


def plausible_range(
    x: FloatArray, y: FloatArray, used: BoolArray, five: bool
) -> tuple[FloatArray, FloatArray]:
    """The plausible range of theta per curve (B_BOUNDS, G_BOUNDS, ASYMPTOTE_SPANS,
    C_FACTOR): outside it a fitted curve gets a status."""
    y_min, y_max, span, x_min, x_max = _ranges(x, y, used)
    low = y_min - ASYMPTOTE_SPANS * span
    high = y_max + ASYMPTOTE_SPANS * span
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = [low, np.full_like(low, B_BOUNDS[0]), np.log(x_min / C_FACTOR), low]
        upper = [high, np.full_like(high, B_BOUNDS[1]), np.log(x_max * C_FACTOR), high]
    if five:
        lower.append(np.full_like(low, math.log(G_BOUNDS[0])))
        upper.append(np.full_like(high, math.log(G_BOUNDS[1])))
    return np.column_stack(lower), np.column_stack(upper)


def solver_box(
    x: FloatArray, y: FloatArray, used: BoolArray, five: bool, ref: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The solver's box per curve, in its coordinates (see :func:`model.to_solver`)."""
    y_min, y_max, span, x_min, x_max = _ranges(x, y, used)
    middle, half = ref[:, 0], ref[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.arcsinh((y_min - SOLVER_SPANS * span - middle) / half)
        high = np.arcsinh((y_max + SOLVER_SPANS * span - middle) / half)
        log_b = np.log(SOLVER_B)
        lower = [low, np.full_like(low, log_b[0]), np.log(x_min / SOLVER_C_FACTOR), low]
        upper = [high, np.full_like(high, log_b[1]), np.log(x_max * SOLVER_C_FACTOR), high]
        if five:
            # s = (d - a) g / (1 + g) is at most the asymptotes' distance in size.
            reach = np.arcsinh((1.0 + 2.0 * SOLVER_SPANS) * span / half)
            lower[3], upper[3] = -reach, reach
            lower.append(np.full_like(low, math.log(SOLVER_G[0])))
            upper.append(np.full_like(high, math.log(SOLVER_G[1])))
    return np.column_stack(lower), np.column_stack(upper)


def data_start(levels: Levels, z: FloatArray, y: FloatArray, used: BoolArray) -> FloatArray:
    """4PL starting values from the data: asymptotes just beyond the lowest and highest
    level means, slope and inflection from a straight line through the logits."""
    rows = np.arange(levels.mean.shape[0])
    a0 = levels.mean[:, 0]
    d0 = levels.mean[rows, last_level(levels)]
    pad = 0.05 * (d0 - a0)
    low, high = a0 - pad, d0 + pad
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = (y - low[:, None]) / (high - low)[:, None]
        inside = used & (fraction > 0.02) & (fraction < 0.98)
        logit = np.log(fraction / (1.0 - fraction))
        w = inside.astype(float)
        sw = w.sum(axis=1)
        zm = np.where(inside, z, 0.0).sum(axis=1) / sw
        lm = np.where(inside, logit, 0.0).sum(axis=1) / sw
        szz = np.where(inside, (z - zm[:, None]) ** 2, 0.0).sum(axis=1)
        szl = np.where(inside, (z - zm[:, None]) * (logit - lm[:, None]), 0.0).sum(axis=1)
        slope = szl / szz
        z_min = np.min(np.where(used, z, np.inf), axis=1)
        z_max = np.max(np.where(used, z, -np.inf), axis=1)
    good = (sw >= 2) & np.isfinite(slope) & (slope > 0)
    b0 = np.where(good, np.clip(slope, 0.2, 5.0), 1.0)
    log_c0 = np.where(good, zm - lm / np.where(good, slope, 1.0), 0.5 * (z_min + z_max))
    log_c0 = np.clip(log_c0, z_min - 2.0, z_max + 2.0)
    return np.column_stack([a0, b0, log_c0, d0])


def with_g(theta4: FloatArray, log_g: float) -> FloatArray:
    """5PL start from a 4PL: same half-response dose, asymmetry exp(log_g)."""
    g = math.exp(log_g)
    shift = math.log(2.0 ** (1.0 / g) - 1.0)
    out = np.column_stack([theta4, np.full(theta4.shape[0], log_g)])
    out[:, 2] = theta4[:, 2] - shift / theta4[:, 1]
    return out


def at_bound(theta: FloatArray, lower: FloatArray, upper: FloatArray) -> BoolArray:
    tolerance = AT_BOUND_FRACTION * (upper - lower)
    return (np.abs(theta - lower) <= tolerance) | (np.abs(theta - upper) <= tolerance)
