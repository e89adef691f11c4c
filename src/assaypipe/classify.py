"""Does a biomarker profile separate responders from nonresponders? (Exploratory.)

Standardised features and an L2-penalised logistic regression (scikit-learn), judged
by leave-one-out cross-validation: each subject is predicted by the model fitted to
all the others, and the pooled out-of-fold scores give the AUC and (at score 0, i.e.
probability 0.5) the balanced accuracy. Because leave-one-out scores from models fit
on slightly different label balances are not calibrated against each other, the AUC
alone can sit below 0.5 under no signal; the permutation p-value repeats the whole
procedure on label permutations, so it carries the same bias and stays valid.

At n of about 20 this is exploratory: every row says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sklearn
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from assaypipe.logistic import fit_l2_logistic
from assaypipe.settings import DEFAULTS
from assaypipe.stats.frames import (
    BELOW_LLOQ_TEXT,
    analytes_of,
    paired_values,
    row,
    stats_table,
    visit_values,
)
from assaypipe.vocabulary import FeatureKind, values

FEATURE_KINDS = values(FeatureKind)
POSITIVE = "nonresponder"
NEGATIVE = "responder"
EXPLORATORY = "EXPLORATORY (small n; not confirmatory)"


def profile_features(
    samples: pd.DataFrame,
    kinds: Sequence[str] = tuple(DEFAULTS.classify.features),
    analytes: Sequence[str] | None = None,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
) -> pd.DataFrame:
    """One row per subject, one column per feature: ``<analyte> baseline`` (log2 of the
    pre value) and/or ``<analyte> change`` (log2 of post/pre); incomplete rows dropped.
    """
    unknown = [k for k in kinds if k not in FEATURE_KINDS]
    if unknown:
        raise ValueError(f"feature kinds must be among {FEATURE_KINDS}, not {unknown}")
    columns: dict[str, pd.Series] = {}
    if FeatureKind.BASELINE in kinds:
        before = visit_values(samples, pre, below_lloq)
        for analyte in before.columns:
            level = before[analyte].where(before[analyte] > 0)
            columns[f"{analyte} baseline"] = pd.Series(
                np.log2(level.to_numpy(dtype=float)), index=before.index
            )
    if "change" in kinds:
        for analyte, both in paired_values(samples, pre, post, below_lloq).items():
            ratio = (both["post"] / both["pre"]).where((both["pre"] > 0) & (both["post"] > 0))
            columns[f"{analyte} change"] = pd.Series(
                np.log2(ratio.to_numpy(dtype=float)), index=both.index
            )
    features = pd.DataFrame(columns)
    if analytes:
        keep = [c for c in features.columns if c.rsplit(" ", 1)[0] in set(analytes)]
        features = features[keep]
    features = features[sorted(features.columns)]
    features.index = features.index.astype(str)
    return features.dropna().sort_index()


def _model(c: float) -> Pipeline:
    # l1_ratio = 0 is the pure L2 penalty (scikit-learn >= 1.8 spells it this way).
    # Newton-Cholesky solves these few-feature problems exactly and about ten times
    # faster than lbfgs, which matters with 1,000 permutations x n fits.
    logistic = LogisticRegression(C=c, l1_ratio=0.0, solver="newton-cholesky", max_iter=1000)
    return make_pipeline(StandardScaler(), logistic)


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    return float(roc_auc_score(labels, scores))


def _balanced_accuracy(labels: np.ndarray, scores: np.ndarray) -> float:
    return float(balanced_accuracy_score(labels, (scores > 0).astype(int)))


def _performance(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    return _auc(labels, scores), _balanced_accuracy(labels, scores)


def _loo_observed(features: np.ndarray, labels: np.ndarray, c: float) -> np.ndarray:
    return np.asarray(
        cross_val_predict(_model(c), features, labels, cv=LeaveOneOut(), method="decision_function")
    )


def _loo_scores(features: np.ndarray, labels: np.ndarray, c: float) -> tuple[float, float]:
    return _performance(labels, _loo_observed(features, labels, c))


@dataclass(frozen=True)
class _Fold:
    """One leave-one-out split with the scaling fitted to its training rows, which the
    labels do not change: every permutation reuses it."""

    train: np.ndarray
    test: np.ndarray
    x_train: np.ndarray
    x_test: np.ndarray


def _folds(features: np.ndarray) -> list[_Fold]:
    folds = []
    for train, test in LeaveOneOut().split(features):
        scaler = StandardScaler().fit(features[train])
        folds.append(
            _Fold(train, test, scaler.transform(features[train]), scaler.transform(features[test]))
        )
    return folds


@contextmanager
def _unchecked() -> Iterator[None]:
    # scikit-learn without its argument checks: the inputs are ours.
    with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        yield


def _loo_decision(features: np.ndarray, labels: np.ndarray, c: float) -> np.ndarray:
    with _unchecked():
        return _fold_decision(_folds(features), labels, c)


def _fold_decision(folds: Sequence[_Fold], labels: np.ndarray, c: float) -> np.ndarray:
    # What cross_val_predict computes with the pipeline of _model, without its
    # per-call dispatch and (run under _unchecked) its argument checks, with the
    # scaling fitted once per fold: the same numbers in a fraction of the time, which
    # counts over 1,000 permutations. tests/unit/test_classify.py checks they agree
    # exactly.
    scores = np.empty(len(labels))
    logistic = _model(c)[-1]
    for fold in folds:
        logistic.fit(fold.x_train, labels[fold.train])
        scores[fold.test] = logistic.decision_function(fold.x_test)
    return scores


def _permuted_scores(
    folds: Sequence[_Fold], shuffles: Sequence[np.ndarray], c: float
) -> list[tuple[float, float]]:
    """AUC and balanced accuracy of each label set, scikit-learn refitted for every
    fold: the definition that :func:`_batched_hits` is tested against."""
    # The fits and the metrics without argument checks (the metrics' were a sixth of
    # the time).
    with _unchecked():
        return [_performance(labels, _fold_decision(folds, labels, c)) for labels in shuffles]


@dataclass(frozen=True)
class _Observed:
    """The observed labels, their out-of-fold scores and performance."""

    labels: np.ndarray
    scores: np.ndarray
    auc: float
    balanced_accuracy: float


def _reference_hits(
    folds: Sequence[_Fold], shuffles: np.ndarray, c: float, observed: _Observed
) -> np.ndarray:
    """Per label set, whether its AUC and its balanced accuracy reach the observed
    ones, by the scikit-learn loop (slow; the reference)."""
    permuted = np.array(_permuted_scores(folds, list(shuffles), c), dtype=float).reshape(-1, 2)
    return np.column_stack(
        [permuted[:, 0] >= observed.auc, permuted[:, 1] >= observed.balanced_accuracy]
    )


def _batched_decision(
    folds: Sequence[_Fold], shuffles: np.ndarray, c: float, max_iter: int | None = None
) -> np.ndarray:
    """Out-of-fold decision values of every label set (one per row of ``shuffles``):
    the fits of :func:`_fold_decision`, those of one fold solved together by
    :func:`assaypipe.logistic.fit_l2_logistic` with the model's tolerance. A fit
    whose Newton iteration does not converge within ``max_iter`` steps (the model's
    by default) is refitted by scikit-learn."""
    scores = np.empty(shuffles.shape)
    logistic = _model(c)[-1]
    max_iter = logistic.max_iter if max_iter is None else max_iter
    for fold in folds:
        labels = shuffles[:, fold.train]
        fits = fit_l2_logistic(fold.x_train, labels, c, logistic.tol, max_iter)
        coef, intercept = fits.coef, fits.intercept
        for k in np.flatnonzero(~fits.converged):
            with _unchecked():
                logistic.fit(fold.x_train, labels[k])
            coef[k], intercept[k] = logistic.coef_[0], logistic.intercept_[0]
        scores[:, fold.test] = coef @ fold.x_test.T + intercept[:, None]
    return scores


def _twice_mann_whitney(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    # 2 U per row: pairs (positive, negative) ranked right count 2, tied 1; AUC = U /
    # (n_pos n_neg).
    positive = labels.astype(bool)
    pairs = positive[:, :, None] & ~positive[:, None, :]
    above = scores[:, :, None] > scores[:, None, :]
    tied = scores[:, :, None] == scores[:, None, :]
    twice: np.ndarray = 2 * np.sum(pairs & above, axis=(1, 2)) + np.sum(pairs & tied, axis=(1, 2))
    return twice


def _weighted_correct(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    # Balanced accuracy x 2 n_pos n_neg per row: true positives x n_neg + true
    # negatives x n_pos.
    positive = labels.astype(bool)
    called = scores > 0
    n_pos = positive.sum(axis=1)
    n_neg = positive.shape[1] - n_pos
    correct: np.ndarray = (
        np.sum(positive & called, axis=1) * n_neg + np.sum(~positive & ~called, axis=1) * n_pos
    )
    return correct


_Count = Callable[[np.ndarray, np.ndarray], np.ndarray]
_Metric = Callable[[np.ndarray, np.ndarray], float]


def _reached(
    labels: np.ndarray,
    scores: np.ndarray,
    observed: _Observed,
    count: _Count,
    metric: _Metric,
    target: float,
) -> np.ndarray:
    # Whether each row's metric reaches ``target`` (the observed value of ``metric``),
    # decided on whole numbers unless they are equal.
    permuted = count(labels, scores)
    reference = count(observed.labels[None, :], observed.scores[None, :])[0]
    reached: np.ndarray = permuted > reference
    with _unchecked():
        for k in np.flatnonzero(permuted == reference):
            reached[k] = metric(labels[k], scores[k]) >= target
    return reached


def _batched_hits(
    folds: Sequence[_Fold], shuffles: np.ndarray, c: float, observed: _Observed
) -> np.ndarray:
    """What :func:`_reference_hits` returns, from :func:`_batched_decision`.

    Both metrics times 2 n_pos n_neg are whole numbers, so a permuted value above or
    below the observed one differs from it by at least 1 / (2 n_pos n_neg), far beyond
    rounding, and scikit-learn's metric orders the two the same way; where the whole
    numbers are equal, scikit-learn's metric decides as in the loop, its float against
    the observed float. The counts are therefore those of the loop.
    """
    hits = np.empty((len(shuffles), 2), dtype=bool)
    # Chunks of label sets keep the pairwise arrays (AUC, Hessians) small.
    n, width = shuffles.shape[1], folds[0].x_train.shape[1] + 1
    chunk = max(1, 4_000_000 // (n * (n + width * width)))
    for start in range(0, len(shuffles), chunk):
        labels = shuffles[start : start + chunk]
        scores = _batched_decision(folds, labels, c)
        rows = slice(start, start + len(labels))
        hits[rows, 0] = _reached(labels, scores, observed, _twice_mann_whitney, _auc, observed.auc)
        hits[rows, 1] = _reached(
            labels,
            scores,
            observed,
            _weighted_correct,
            _balanced_accuracy,
            observed.balanced_accuracy,
        )
    return hits


@dataclass(frozen=True)
class ClassificationResult:
    """Cross-validated performance, permutation p-values and the full-data model."""

    n: int
    n_positive: int
    auc: float
    balanced_accuracy: float
    auc_p: float
    balanced_accuracy_p: float
    permutations: int
    coefficients: pd.Series  # per feature, on the standardised scale
    intercept: float


def _subjects(features: pd.DataFrame, groups: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (1 = nonresponder) of the subjects that have both."""
    labels_all = groups.dropna().astype(str)
    labels_all.index = labels_all.index.astype(str)
    common = features.index.intersection(labels_all.index[labels_all.isin([POSITIVE, NEGATIVE])])
    x = features.loc[common].to_numpy(dtype=float)
    y = (labels_all.loc[common] == POSITIVE).to_numpy().astype(int)
    return x, y


def _shuffles(labels: np.ndarray, permutations: int, seed: int) -> np.ndarray:
    # All shuffles are drawn up front from one seeded generator, so the result does
    # not depend on how the work is split over processes.
    rng = np.random.default_rng(seed)
    drawn = [rng.permutation(labels) for _ in range(permutations)]
    return np.array(drawn, dtype=labels.dtype).reshape(permutations, len(labels))


def classify_profile(
    features: pd.DataFrame,
    groups: pd.Series,
    c: float = DEFAULTS.classify.c,
    permutations: int = DEFAULTS.classify.permutations,
    seed: int = DEFAULTS.classify.seed,
    n_jobs: int = 1,
    reference_loop: bool = False,
) -> ClassificationResult:
    """Leave-one-out AUC and balanced accuracy of responder status from ``features``.

    ``groups`` maps subject_id to ``responder`` / ``nonresponder``; ``nonresponder``
    is the positive class. The permutation p-values are (1 + #{permuted score >=
    observed}) / (1 + permutations), from ``permutations`` label shuffles drawn from
    a generator seeded with ``seed``; ``n_jobs`` processes share them. The permuted
    fits of a leave-one-out fold are solved together (:mod:`assaypipe.logistic`), to
    the same optimum as scikit-learn's; ``reference_loop`` refits scikit-learn for
    each instead (the same p-values, about a hundred times slower).
    """
    x, y = _subjects(features, groups)
    n_positive = int(y.sum())
    if len(y) < 4 or n_positive < 2 or len(y) - n_positive < 2 or x.shape[1] == 0:
        empty = pd.Series(math.nan, index=features.columns, dtype=float)
        nan = math.nan
        return ClassificationResult(len(y), n_positive, nan, nan, nan, nan, 0, empty, nan)
    scores = _loo_observed(x, y, c)
    auc, accuracy = _performance(y, scores)
    observed = _Observed(y, scores, auc, accuracy)
    shuffles = _shuffles(y, permutations, seed)
    batches = [shuffles[i::n_jobs] for i in range(n_jobs)]
    folds = _folds(x)
    hits_of = _reference_hits if reference_loop else _batched_hits
    hits = Parallel(n_jobs=n_jobs)(
        delayed(hits_of)(folds, b, c, observed) for b in batches if len(b)
    )
    auc_hits, accuracy_hits = (int(n) for n in np.vstack([np.zeros((0, 2)), *hits]).sum(axis=0))
    full = _model(c).fit(x, y)
    logistic = full[-1]
    return ClassificationResult(
        n=len(y),
        n_positive=n_positive,
        auc=auc,
        balanced_accuracy=accuracy,
        auc_p=(1 + auc_hits) / (1 + permutations),
        balanced_accuracy_p=(1 + accuracy_hits) / (1 + permutations),
        permutations=permutations,
        coefficients=pd.Series(logistic.coef_[0], index=features.columns, dtype=float),
        intercept=float(logistic.intercept_[0]),
    )


def classification_table(
    samples: pd.DataFrame,
    groups: pd.Series,
    kinds: Sequence[str] = tuple(DEFAULTS.classify.features),
    analytes: Sequence[str] | None = None,
    c: float = DEFAULTS.classify.c,
    permutations: int = DEFAULTS.classify.permutations,
    seed: int = DEFAULTS.classify.seed,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
    n_jobs: int = 1,
    expected: Sequence[str] = (),
) -> pd.DataFrame:
    """The classification as tables.STATS rows, every ``method`` marked exploratory.

    ``classify_auc`` and ``classify_balanced_accuracy`` (analyte ``profile``, p the
    permutation p), ``classify_coefficient`` per feature (analyte = the analyte, group
    = the feature kind) and ``classify_intercept``. A feature of ``analytes`` (or of
    ``expected`` when ``analytes`` is empty) that has no values is left out of the
    profile and gets a ``classify_coefficient`` row with n = 0 and a note.
    """
    features = profile_features(samples, kinds, analytes, pre, post, below_lloq)
    result = classify_profile(
        features, groups, c=c, permutations=permutations, seed=seed, n_jobs=n_jobs
    )
    comparison = f"{POSITIVE} vs {NEGATIVE}"
    setup = (
        f"{EXPLORATORY}; standardised {', '.join(features.columns) or 'no features'}; "
        f"L2 logistic regression C={c:g} (scikit-learn); leave-one-out CV over "
        f"{result.n} subjects ({result.n_positive} {POSITIVE}); "
        f"{BELOW_LLOQ_TEXT[below_lloq]}"
    )
    permutation = f"permutation p from {result.permutations} label permutations (seed {seed})"
    if result.n == 0:
        missing = "n = 0: no subject with every feature and a responder label"
    elif result.n_positive in (0, result.n):
        missing = f"only one group among the {result.n} subjects"
    else:
        missing = ""
    rows = [
        row(
            "classify_auc",
            "profile",
            comparison,
            result.n,
            estimate=result.auc,
            p=result.auc_p,
            method=f"ROC AUC of pooled out-of-fold scores; {permutation}; {setup}",
            missing=missing,
        ),
        row(
            "classify_balanced_accuracy",
            "profile",
            comparison,
            result.n,
            estimate=result.balanced_accuracy,
            p=result.balanced_accuracy_p,
            method=f"balanced accuracy at probability 0.5; {permutation}; {setup}",
            missing=missing,
        ),
    ]
    wanted = list(analytes) if analytes else analytes_of(samples, expected)
    have = {str(f).rsplit(" ", 1)[0] for f in features.columns}
    for analyte in (a for a in wanted if a not in have):
        for kind in kinds:
            rows.append(
                row(
                    "classify_coefficient",
                    analyte,
                    kind,
                    0,
                    method=f"not in the profile; {setup}",
                    missing=f"{analyte}: no {kind} values, left out of the profile",
                )
            )
    for feature, coefficient in result.coefficients.items():
        analyte, kind = str(feature).rsplit(" ", 1)
        rows.append(
            row(
                "classify_coefficient",
                analyte,
                kind,
                result.n,
                estimate=float(coefficient),
                method=(
                    "log-odds of nonresponse per SD of the feature, fitted to all subjects; "
                    + setup
                ),
                missing=missing,
            )
        )
    rows.append(
        row(
            "classify_intercept",
            "profile",
            comparison,
            result.n,
            estimate=result.intercept,
            method=f"intercept of the fit to all subjects; {setup}",
            missing=missing,
        )
    )
    return stats_table(rows)
