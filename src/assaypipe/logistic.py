"""Many L2-penalised logistic regressions on one design, solved together.

The model is scikit-learn's ``LogisticRegression(C=c, l1_ratio=0.0,
solver="newton-cholesky")``: an L2 penalty of strength ``1 / C`` on the coefficients,
an unpenalised intercept, no class or sample weights. For each label set ``y`` it
minimises

    sum_i [log(1 + exp(z_i)) - y_i z_i] + ||w||^2 / (2 C),   z = X w + b,

whose optimum is unique (the penalty makes the objective strictly convex in ``w``,
and with both classes among the labels the intercept is bounded), also when the
labels separate perfectly. scikit-learn remains the definition:
tests/unit/test_logistic.py checks every fit against it.

The label sets share the design, so one Newton iteration runs on the whole stack (a
batched Hessian solve per step) instead of one fit after another. It is
scikit-learn's Newton-Cholesky iteration step for step: the objective divided by n,
the start at zero, the backtracking line search and its constants, and the stopping
rule (largest gradient entry and half the squared Newton decrement both at most
``tol``). So with scikit-learn's ``tol`` the fits are scikit-learn's own, not merely
fits near the same optimum: at its default tol=1e-4 scikit-learn stops about 1e-4
short of the optimum, and a solver that went further would score some label sets
differently. Where scikit-learn would leave its Newton iteration (a Hessian it
cannot trust, a step that is no descent, a line search that finds nothing, no
convergence within ``max_iter``), the fit is marked unconverged and the caller
refits it with scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# scikit-learn's line search (sklearn/linear_model/_glm/_newton_solver.py): Armijo
# constant 1/2**11, step halved up to 20 times, and a loss change within 16 machine
# epsilons of the loss counted as no change.
_ARMIJO = 0.00048828125
_TRIALS = 21
_TINY = 16 * np.finfo(float).eps
# A Hessian this badly conditioned makes scikit-learn leave Newton for lbfgs (SciPy
# warns below machine epsilon); the margin sends borderline cases to scikit-learn too.
_RCOND = 100 * np.finfo(float).eps


@dataclass(frozen=True)
class LogisticFits:
    """One fit per label set: ``coef`` (sets x features), ``intercept``, and whether
    the Newton iteration converged as scikit-learn's would (refit the others)."""

    coef: np.ndarray
    intercept: np.ndarray
    converged: np.ndarray


@dataclass
class _Point:
    """Coefficients (intercept last), linear predictors, loss and gradient per set."""

    theta: np.ndarray
    raw: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray


def _loss_gradient(
    theta: np.ndarray, raw: np.ndarray, y: np.ndarray, design: np.ndarray, strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's averaged objective and its gradient at ``theta``, whose linear
    predictors are ``raw``."""
    n = raw.shape[1]
    weights = theta[:, :-1]
    # log(1 + e^z) and 1 / (1 + e^-z) without overflow for any z.
    softplus = np.logaddexp(0.0, raw)
    loss = np.sum(softplus - y * raw, axis=1) / n
    loss += 0.5 * strength * np.sum(weights * weights, axis=1)
    gradient = ((np.exp(raw - softplus) - y) / n) @ design
    gradient[:, :-1] += strength * weights
    return loss, gradient


def fit_l2_logistic(
    x: np.ndarray, labels: np.ndarray, c: float, tol: float = 1e-4, max_iter: int = 100
) -> LogisticFits:
    """Fit ``LogisticRegression(C=c, l1_ratio=0.0, solver="newton-cholesky", tol=tol,
    max_iter=max_iter)`` of each row of ``labels`` (0/1, sets x samples) on ``x``
    (samples x features).

    >>> fits = fit_l2_logistic(np.array([[0.0], [1.0], [2.0], [3.0]]),
    ...                        np.array([[0, 0, 1, 1], [0, 1, 0, 1]]), c=1.0, tol=1e-10)
    >>> fits.coef.round(4).tolist(), fits.intercept.round(4).tolist()
    ([[0.9583], [0.4529]], [-1.4374, -0.6793])
    """
    sets, n = labels.shape
    design = np.hstack([x, np.ones((n, 1))])
    y = labels.astype(float)
    strength = 1.0 / (c * n)  # scikit-learn's penalty on the averaged loss
    theta = np.zeros((sets, design.shape[1]))
    raw = np.zeros((sets, n))
    loss, gradient = _loss_gradient(theta, raw, y, design, strength)
    point = _Point(theta, raw, loss, gradient)
    converged = np.zeros(sets, dtype=bool)
    active = np.arange(sets)
    for _ in range(max_iter):
        if active.size == 0:
            break
        step, hessian, trusted = _newton_step(point, active, y, design, strength)
        moved = _line_search(point, active[trusted], step[trusted], y, design, strength)
        # scikit-learn's convergence test, on the gradient at the new point and the
        # Newton decrement of the step.
        ended = active[trusted][moved]
        taken, curvature = step[trusted][moved], hessian[trusted][moved]
        decrement = 0.5 * np.einsum("si,sij,sj->s", taken, curvature, taken)
        largest = np.max(np.abs(point.gradient[ended]), axis=1)
        converged[ended[(largest <= tol) & (decrement <= tol)]] = True
        # Sets scikit-learn would hand to lbfgs leave the batch unconverged.
        active = ended[~converged[ended]]
    return LogisticFits(point.theta[:, :-1].copy(), point.theta[:, -1].copy(), converged)


def _newton_step(
    point: _Point, active: np.ndarray, y: np.ndarray, design: np.ndarray, strength: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newton steps and Hessians of the ``active`` sets, and which of them scikit-learn
    would take (its Hessian usable, the step a descent direction)."""
    n, width = y.shape[1], design.shape[1]
    raw = point.raw[active]
    prob = np.exp(raw - np.logaddexp(0.0, raw))
    curvature = prob * (1.0 - prob) / n
    hessian = (design.T[None, :, :] * curvature[:, None, :]) @ design
    diagonal = np.arange(width - 1)
    hessian[:, diagonal, diagonal] += strength
    gradient = point.gradient[active]
    trusted = np.mean(curvature <= 0, axis=1) <= 0.25
    step = np.zeros_like(gradient)
    try:
        inverse = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return step, hessian, np.zeros(len(active), dtype=bool)
    norm = np.abs(hessian).sum(axis=1).max(axis=1)
    inverse_norm = np.abs(inverse).sum(axis=1).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        trusted &= 1.0 / (norm * inverse_norm) >= _RCOND
    step = np.linalg.solve(hessian, -gradient[:, :, None])[:, :, 0]
    trusted &= np.all(np.isfinite(step), axis=1) & (np.sum(gradient * step, axis=1) <= 0)
    return step, hessian, trusted


def _line_search(
    point: _Point,
    sets: np.ndarray,
    step: np.ndarray,
    y: np.ndarray,
    design: np.ndarray,
    strength: float,
) -> np.ndarray:
    """scikit-learn's backtracking line search along ``step`` for ``sets``, updating
    ``point`` where it succeeds; which succeeded."""
    old_loss, old_gradient = point.loss[sets], point.gradient[sets]
    armijo = _ARMIJO * np.sum(old_gradient * step, axis=1)
    old_abs = np.sum(np.abs(old_gradient), axis=1)
    raw_step = step @ design.T
    scale = np.ones(len(sets))
    found = np.zeros(len(sets), dtype=bool)
    pending = np.arange(len(sets))
    for _ in range(_TRIALS):
        rows = sets[pending]
        t = scale[pending, None]
        theta = point.theta[rows] + t * step[pending]
        raw = point.raw[rows] + t * raw_step[pending]
        with np.errstate(over="ignore", invalid="ignore"):
            loss, gradient = _loss_gradient(theta, raw, y[rows], design, strength)
            change = loss - old_loss[pending]
            falls = change <= scale[pending] * armijo[pending]
            flat = np.abs(change) <= np.abs(old_loss[pending] * _TINY)
        flat &= np.sum(np.abs(gradient), axis=1) < old_abs[pending]
        ok = falls | flat
        point.theta[rows[ok]] = theta[ok]
        point.raw[rows[ok]] = raw[ok]
        point.loss[rows[ok]] = loss[ok]
        point.gradient[rows[ok]] = gradient[ok]
        found[pending[ok]] = True
        pending = pending[~ok]
        if pending.size == 0:
            break
        scale[pending] *= 0.5
    return found
