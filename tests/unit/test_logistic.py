"""The batched L2 logistic regression against scikit-learn's LogisticRegression.

The reference is scikit-learn itself, fitted one label set at a time: with its
tolerance tightened (tol=1e-12, the optimum) and with the classification's own
settings (tol=1e-4, where scikit-learn stops about 1e-4 short of the optimum, so the
permutation test's fits must be the very fits it makes).
"""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from assaypipe import logistic
from assaypipe.classify import _folds, _model, _shuffles, _subjects
from assaypipe.logistic import fit_l2_logistic
from tests.classification_data import DATASETS, dataset

SAMPLE = 20  # permutations checked fit by fit, in every leave-one-out fold


def scikit_learn(
    x: np.ndarray,
    labels: np.ndarray,
    c: float,
    solver: str = "newton-cholesky",
    tol: float = 1e-12,
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and intercepts of scikit-learn, one fit per row of ``labels``."""
    coef, intercept = [], []
    for y in labels:
        model = LogisticRegression(C=c, l1_ratio=0.0, solver=solver, tol=tol, max_iter=10_000)
        model.fit(x, y)
        coef.append(model.coef_[0])
        intercept.append(model.intercept_[0])
    return np.array(coef), np.array(intercept)


def objective(x: np.ndarray, y: np.ndarray, c: float, coef: np.ndarray, b: float) -> float:
    """C x log-loss + ||w||^2 / 2, scikit-learn's documented L2 objective, times 1/C."""
    z = x @ coef + b
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + coef @ coef / (2 * c))


@pytest.mark.parametrize(
    ("name", "c"),
    [*((name, 1.0) for name in DATASETS), ("demo", 0.1), ("breast cancer", 10.0)],
)
@pytest.mark.parametrize("tol", [1e-12, _model(1.0)[-1].tol])
def test_every_permuted_fit_of_a_sample_equals_scikit_learn(
    name: str, c: float, tol: float
) -> None:
    # The first permutations the classification draws (its default seed), in each fold
    # on that fold's standardised training rows, as the permutation test fits them.
    x, y = _subjects(*dataset(name))
    shuffles = _shuffles(y, SAMPLE, seed=20261121)
    worst = 0.0
    for fold in _folds(x):
        labels = shuffles[:, fold.train]
        fits = fit_l2_logistic(fold.x_train, labels, c, tol=tol, max_iter=10_000)
        assert fits.converged.all()
        coef, intercept = scikit_learn(fold.x_train, labels, c, tol=tol)
        worst = max(worst, np.abs(fits.coef - coef).max(), np.abs(fits.intercept - intercept).max())
    assert worst <= 1e-8, worst


def test_the_optimum_is_that_of_lbfgs_too() -> None:
    # lbfgs stops sooner (its gradient at tol=1e-12 is still ~1e-8), so the check is
    # that it finds no lower objective and lands within its own precision.
    x, y = _subjects(*dataset("simulated 1 null"))
    fold = _folds(x)[0]
    labels = _shuffles(y, SAMPLE, seed=5)[:, fold.train]
    fits = fit_l2_logistic(fold.x_train, labels, 1.0, tol=1e-12)
    coef, intercept = scikit_learn(fold.x_train, labels, 1.0, solver="lbfgs")
    for k, y_k in enumerate(labels):
        ours = objective(fold.x_train, y_k, 1.0, fits.coef[k], fits.intercept[k])
        theirs = objective(fold.x_train, y_k, 1.0, coef[k], intercept[k])
        assert ours <= theirs + 1e-12
    assert np.abs(fits.coef - coef).max() < 1e-6


# (C, tolerance, agreement): with C = 1e4 the optimum is so flat that a step of 1e-12 in
# the loss is below rounding on some machines' BLAS kernels (the line search then cannot
# move, as scikit-learn's cannot), and two fits stopping within tol 1e-10 of it differ
# by ~1e-7 in the coefficients (which are ~30).
@pytest.mark.parametrize(
    ("c", "tol", "agreement"), [(1.0, 1e-12, 1e-8), (100.0, 1e-12, 1e-8), (1e4, 1e-10, 1e-6)]
)
def test_labels_that_separate_perfectly_reach_the_penalised_optimum(
    c: float, tol: float, agreement: float
) -> None:
    # Without the penalty these fits would run off to infinity; with it the optimum is
    # finite and unique, and the Newton iteration must land on it.
    rng = np.random.default_rng(11)
    x = rng.normal(size=(19, 3))
    # Each label set is the side of a hyperplane each point lies on: separable.
    labels = np.array([x[:, 0] > 0, x[:, 0] + x[:, 1] > 0.3, x[:, 2] < -0.2], dtype=int)
    assert (labels.sum(axis=1) >= 2).all() and (labels.sum(axis=1) <= 17).all()
    fits = fit_l2_logistic(x, labels, c, tol=tol, max_iter=10_000)
    assert fits.converged.all()
    coef, intercept = scikit_learn(x, labels, c, tol=tol)
    assert np.abs(fits.coef - coef).max() <= agreement
    assert np.abs(fits.intercept - intercept).max() <= agreement
    # Independent of scikit-learn: the gradient of the mean loss vanishes at the optimum.
    prob = 1 / (1 + np.exp(-(fits.coef @ x.T + fits.intercept[:, None])))
    gradient_w = ((prob - labels) @ x + fits.coef / c) / len(x)
    gradient_b = np.sum(prob - labels, axis=1) / len(x)
    assert np.abs(gradient_w).max() <= tol and np.abs(gradient_b).max() <= tol


def test_a_fit_that_has_not_settled_is_reported() -> None:
    x, y = _subjects(*dataset("demo"))
    fits = fit_l2_logistic(x, _shuffles(y, 5, seed=1), 1.0, max_iter=1)
    assert not fits.converged.any()
    # scikit-learn's first Newton step from zero is the same step.
    coef, intercept = [], []
    for labels in _shuffles(y, 5, seed=1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(l1_ratio=0.0, solver="newton-cholesky", max_iter=1)
            model.fit(x, labels)
        coef.append(model.coef_[0])
        intercept.append(model.intercept_[0])
    assert np.abs(fits.coef - np.array(coef)).max() <= 1e-12
    assert np.abs(fits.intercept - np.array(intercept)).max() <= 1e-12


def test_docstring_example() -> None:
    assert doctest.testmod(logistic).failed == 0
