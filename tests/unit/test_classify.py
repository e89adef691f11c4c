"""Exploratory classification of responders: LOO CV, permutation p, full-data fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import LeaveOneOut, cross_val_predict

from assaypipe import tables
from assaypipe.classify import (
    EXPLORATORY,
    _batched_decision,
    _batched_hits,
    _fold_decision,
    _folds,
    _loo_decision,
    _loo_observed,
    _loo_scores,
    _model,
    _Observed,
    _performance,
    _permuted_scores,
    _shuffles,
    _subjects,
    _unchecked,
    classification_table,
    classify_profile,
    profile_features,
)
from assaypipe.logistic import fit_l2_logistic
from tests.classification_data import DATASETS, dataset


def study(shift: float, n: int = 20, seed: int = 3) -> tuple[pd.DataFrame, pd.Series]:
    """Two analytes; ``signal`` rises by ``shift`` (log2) more in nonresponders."""
    rng = np.random.default_rng(seed)
    rows = []
    labels = {}
    for i in range(n):
        subject = f"S{i:02d}"
        nonresponder = i % 2 == 0
        labels[subject] = "nonresponder" if nonresponder else "responder"
        for analyte, effect in (("signal", shift if nonresponder else 0.0), ("noise", 0.0)):
            base = float(np.exp(rng.normal(5, 0.3)))
            post = base * 2 ** (effect + rng.normal(0, 0.15))
            for visit, value in (("baseline", base), ("post", post)):
                rows.append(
                    {
                        "sample_id": f"{subject}-{visit}",
                        "subject_id": subject,
                        "visit": visit,
                        "analyte": analyte,
                        "concentration": value,
                        "censor": None,
                        "lloq": 0.1,
                        "uloq": 1e6,
                    }
                )
    return pd.DataFrame(rows), pd.Series(labels)


def test_features_are_log2_baseline_and_change() -> None:
    samples, _ = study(1.0)
    features = profile_features(samples, kinds=("baseline", "change"))
    assert list(features.columns) == [
        "noise baseline",
        "noise change",
        "signal baseline",
        "signal change",
    ]
    s00 = samples[(samples["subject_id"] == "S00") & (samples["analyte"] == "signal")]
    before, after = s00.sort_values("visit")["concentration"].to_numpy()
    assert features.loc["S00", "signal change"] == pytest.approx(np.log2(after / before))
    assert features.loc["S00", "signal baseline"] == pytest.approx(np.log2(before))
    only = profile_features(samples, kinds=("change",), analytes=["signal"])
    assert list(only.columns) == ["signal change"]
    with pytest.raises(ValueError, match="feature kinds"):
        profile_features(samples, kinds=("slope",))


def test_scaling_is_refit_inside_every_fold() -> None:
    # Honest CV: each left-out subject is scored by a scaler and model fitted without it.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 3)) * [1.0, 10.0, 0.1]
    y = np.array([0, 1] * 6)
    scores = []
    for i in range(len(y)):
        train = np.arange(len(y)) != i
        mean, sd = x[train].mean(axis=0), x[train].std(axis=0)
        model = LogisticRegression(C=1.0, l1_ratio=0.0, solver="newton-cholesky")
        model.fit((x[train] - mean) / sd, y[train])
        scores.append(model.decision_function(((x[i] - mean) / sd)[None, :])[0])
    auc, _ = _loo_scores(x, y, 1.0)
    assert auc == pytest.approx(roc_auc_score(y, scores))


def test_permutation_loop_reproduces_cross_val_predict() -> None:
    # The permutations use a leaner loop than the observed labels; the scores must be
    # the very same numbers, or the permutation p would compare unlike with unlike.
    rng = np.random.default_rng(4)
    x = rng.normal(size=(15, 4))
    y = rng.permutation(np.array([0, 1] * 7 + [1]))
    reference = cross_val_predict(_model(0.5), x, y, cv=LeaveOneOut(), method="decision_function")
    assert np.array_equal(_loo_decision(x, y, 0.5), reference)


# -- the permutations, batched, against the scikit-learn loop (the reference) --------


@pytest.mark.parametrize("name", DATASETS)
def test_batched_permutations_give_the_p_values_of_the_scikit_learn_loop(name: str) -> None:
    features, groups = dataset(name)
    batched = classify_profile(features, groups, permutations=100, seed=7)
    loop = classify_profile(features, groups, permutations=100, seed=7, reference_loop=True)
    assert batched.auc_p == loop.auc_p
    assert batched.balanced_accuracy_p == loop.balanced_accuracy_p
    assert (batched.auc, batched.balanced_accuracy) == (loop.auc, loop.balanced_accuracy)
    pd.testing.assert_series_equal(batched.coefficients, loop.coefficients, check_exact=True)


@pytest.mark.parametrize("name", ["demo", "breast cancer weak"])
def test_batched_decision_values_are_those_of_the_scikit_learn_loop(name: str) -> None:
    x, y = _subjects(*dataset(name))
    folds = _folds(x)
    shuffles = _shuffles(y, 20, seed=3)
    batched = _batched_decision(folds, shuffles, 1.0)
    with _unchecked():
        loop = np.array([_fold_decision(folds, labels, 1.0) for labels in shuffles])
    assert np.abs(batched - loop).max() < 1e-10


def test_permuted_metrics_equal_to_the_observed_are_counted_as_the_loop_counts_them() -> None:
    # A weak profile: many permutations reach exactly the observed AUC or balanced
    # accuracy as numbers (the floats may differ in their last digit), which the
    # batched count hands to scikit-learn's metrics; each permutation's verdict must be
    # the loop's.
    x, y = _subjects(*dataset("breast cancer weak"))
    folds = _folds(x)
    scores = _loo_observed(x, y, 1.0)
    observed = _Observed(y, scores, *_performance(y, scores))
    shuffles = _shuffles(y, 100, seed=11)
    permuted = np.array(_permuted_scores(folds, list(shuffles), 1.0))
    equal = np.isclose(permuted, [observed.auc, observed.balanced_accuracy], rtol=0, atol=1e-12)
    assert equal[:, 0].sum() > 0 and equal[:, 1].sum() > 0
    reference = np.column_stack(
        [permuted[:, 0] >= observed.auc, permuted[:, 1] >= observed.balanced_accuracy]
    )
    assert np.array_equal(_batched_hits(folds, shuffles, 1.0, observed), reference)


def test_a_permuted_label_set_that_separates_is_fitted_as_scikit_learn_fits_it() -> None:
    # The demo's own labels separate its subjects perfectly in every fold; among
    # permutations they are the separable case.
    x, y = _subjects(*dataset("demo"))
    folds = _folds(x)
    for fold in folds:
        # separable: some (w, b) puts every training subject on its side with margin 1
        # (a feasible linear programme, SciPy's linprog)
        sides = (2 * y[fold.train] - 1)[:, None] * np.c_[fold.x_train, np.ones(len(fold.train))]
        width = sides.shape[1]
        found = linprog(
            np.zeros(width), A_ub=-sides, b_ub=-np.ones(len(sides)), bounds=(None, None)
        )
        assert found.status == 0
    shuffles = np.vstack([y, _shuffles(y, 3, seed=2)])
    with _unchecked():
        loop = np.array([_fold_decision(folds, labels, 1.0) for labels in shuffles])
    assert np.abs(_batched_decision(folds, shuffles, 1.0) - loop).max() < 1e-10


def test_fits_the_newton_iteration_does_not_settle_are_refitted_by_scikit_learn() -> None:
    x, y = _subjects(*dataset("simulated 2"))
    folds = _folds(x)
    shuffles = _shuffles(y, 5, seed=4)
    first = fit_l2_logistic(folds[0].x_train, shuffles[:, folds[0].train], 1.0, max_iter=1)
    assert not first.converged.any()
    with _unchecked():
        loop = np.array([_fold_decision(folds, labels, 1.0) for labels in shuffles])
    assert np.abs(_batched_decision(folds, shuffles, 1.0, max_iter=1) - loop).max() < 1e-12


def test_a_real_difference_is_found_and_a_null_one_is_not() -> None:
    samples, groups = study(1.5, n=16)
    features = profile_features(samples)
    found = classify_profile(features, groups, permutations=19, seed=5)
    assert found.auc > 0.9 and found.balanced_accuracy > 0.8
    assert found.auc_p == pytest.approx(1 / 20)  # the smallest possible
    assert found.coefficients["signal change"] > 0 > -abs(found.coefficients["noise change"])
    assert abs(found.coefficients["signal change"]) > abs(found.coefficients["noise change"])

    null_samples, null_groups = study(0.0, n=16, seed=11)
    null = classify_profile(profile_features(null_samples), null_groups, permutations=19, seed=5)
    assert null.auc_p > 0.05


def test_permutations_are_seeded_and_independent_of_workers() -> None:
    samples, groups = study(0.3, n=12)
    features = profile_features(samples)
    one = classify_profile(features, groups, permutations=12, seed=9, n_jobs=1)
    again = classify_profile(features, groups, permutations=12, seed=9, n_jobs=2)
    assert (one.auc_p, one.balanced_accuracy_p) == (again.auc_p, again.balanced_accuracy_p)
    assert one.permutations == 12


def test_table_is_labelled_exploratory_everywhere() -> None:
    samples, groups = study(1.5)
    table = classification_table(samples, groups, permutations=5, seed=1)
    assert table["analysis"].tolist() == [
        "classify_auc",
        "classify_balanced_accuracy",
        "classify_coefficient",
        "classify_coefficient",
        "classify_intercept",
    ]
    assert table["method"].str.contains(EXPLORATORY, regex=False).all()
    assert table.loc[2:3, "analyte"].tolist() == ["noise", "signal"]
    assert table.loc[2:3, "group"].tolist() == ["change", "change"]
    assert (table["n"] == 20).all()
    assert table["q"].isna().all()


def test_too_few_subjects_give_missing_results() -> None:
    samples, groups = study(1.0, n=3)
    result = classify_profile(profile_features(samples), groups, permutations=10)
    assert np.isnan(result.auc) and np.isnan(result.auc_p)


# -- what real files bring -------------------------------------------------------------


def test_odd_analyte_names_are_features_under_their_own_names() -> None:
    samples, groups = study(1.5)
    # a space and the feature kind inside a name, markup, math markup, a path, and a name
    # of 10,000 characters
    odd = {"noise": "IL-8 (27) change", "signal": r"$\frac{a}{$ <b>../x</b>" + "H/" * 5000}
    table = classification_table(samples, groups, permutations=5, seed=1)
    renamed = classification_table(
        samples.assign(analyte=samples["analyte"].map(odd)), groups, permutations=5, seed=1
    )
    coefficients = renamed[renamed["analysis"] == "classify_coefficient"]
    assert sorted(coefficients["analyte"]) == sorted(odd.values())
    assert (coefficients["group"] == "change").all()
    # the same values under other names: the same results (the features in another
    # order, so up to rounding)
    by_name = table.set_index(["analysis", "analyte"])["estimate"]
    for row in coefficients.itertuples():
        original = next(k for k, v in odd.items() if v == row.analyte)
        assert row.estimate == pytest.approx(by_name[("classify_coefficient", original)], rel=1e-9)
    summary = ["classify_auc", "classify_balanced_accuracy", "classify_intercept"]
    pd.testing.assert_frame_equal(
        renamed[renamed["analysis"].isin(summary)][["estimate", "p"]].reset_index(drop=True),
        table[table["analysis"].isin(summary)][["estimate", "p"]].reset_index(drop=True),
        rtol=1e-9,
    )


def test_no_sample_gives_a_well_formed_table_of_missing_results() -> None:
    samples, groups = study(1.0)
    table = tables.STATS.validate(classification_table(samples.iloc[0:0], groups, permutations=5))
    assert table["analysis"].tolist() == [
        "classify_auc",
        "classify_balanced_accuracy",
        "classify_intercept",
    ]
    assert (table["n"] == 0).all() and table["estimate"].isna().all()
    assert table["method"].str.contains("no features").all()
