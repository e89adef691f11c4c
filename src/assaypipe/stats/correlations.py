"""Correlations: OLS of analyte pairs and of baseline analytes on subject covariates.

Each model gives four rows (analyte = the response y, group = ``<x> | <data>``):
``ols_slope`` (slope, 95% CI, t, p), ``ols_intercept``, ``ols_r2`` (R², F, p) and,
beside them, ``spearman_rho`` (ρ, S, p as R's ``cor.test``); a model over pooled
samples (several per subject) has cluster-robust standard errors by subject and an
``ols_slope_naive`` row beside. Slope and ρ are one family for BH: across the
analytes of one covariate, or across the pairs of one kind of data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from assaypipe.settings import DEFAULTS
from assaypipe.stats.frames import (
    BELOW_LLOQ_TEXT,
    analyte_units,
    analytes_of,
    paired_values,
    per,
    row,
    stats_table,
    visit_values,
)
from assaypipe.stats.ranks import round_significant
from assaypipe.stats.regression import EDGEWORTH_BELOW_ZERO, ols, spearman
from assaypipe.vocabulary import Covariate, values

COVARIATES = values(Covariate)
# The units of the subject covariates, for the units of the slopes on them.
COVARIATE_UNITS = {"age": "year", "disease_duration": "year", "baseline_edss": "EDSS point"}


def _model_rows(
    x: np.ndarray,
    y: np.ndarray,
    analyte: str,
    group: str,
    description: str,
    units: tuple[str, str] = ("", ""),
    subjects: np.ndarray | None = None,
    family: str = "",
) -> list[dict[str, Any]]:
    """The rows of one model; ``units`` are those of x and y.

    ``subjects`` (the subject of each point, for data with several points per subject)
    makes the OLS rows cluster-robust by subject and adds ``ols_slope_naive``, the
    slope's test as if every point were independent (kept for comparison, not
    adjusted); Spearman's p then treats the points as independent and is not adjusted
    either. Slope and ρ are two versions of one test: their q come from one family,
    ``family`` (default: this analysis' group).
    """
    x_unit, y_unit = units
    clustered = subjects is not None
    fit = ols(x, y, groups=subjects)
    naive = ols(x, y) if clustered else fit
    rank = spearman(x, y)
    finite = np.isfinite(x) & np.isfinite(y)
    n = int(finite.sum())
    if n < 3:
        missing = "fewer than 3 pairs" if n else "n = 0: no point with both values"
    elif np.ptp(x[finite]) == 0:
        missing = "x is the same for every point"
    elif clustered and fit.clusters < 3:
        missing = f"fewer than 3 subjects ({fit.clusters})"
    else:
        missing = "y is the same for every point"  # the only other case without a ρ
    rank_missing = missing if n < 3 or np.ptp(x[finite]) == 0 else "y is the same for every point"
    tests = f"ols_slope and spearman_rho [{family or group}]"
    if clustered:
        errors = (
            f"cluster-robust SE by subject (CR1, {fit.clusters} subjects), "
            f"t test on {max(fit.clusters - 1, 0)} df"
        )
    else:
        errors = "t test"
    independent = f"; p treats the {n} points as independent (not adjusted)" if clustered else ""
    rows = [
        row(
            "ols_slope",
            analyte,
            group,
            fit.n,
            estimate=fit.slope,
            ci=fit.slope_ci,
            statistic=fit.slope_t,
            p=fit.slope_p,
            method=f"OLS slope (statsmodels), {errors}, 95% CI; {description}",
            adjust=True,
            unit=per(y_unit, x_unit),
            missing=missing,
            family=tests,
        ),
    ]
    if clustered:
        rows.append(
            row(
                "ols_slope_naive",
                analyte,
                group,
                naive.n,
                estimate=naive.slope,
                ci=naive.slope_ci,
                statistic=naive.slope_t,
                p=naive.slope_p,
                method=(
                    "OLS slope (statsmodels), t test and 95% CI treating every point as "
                    f"independent (for comparison with ols_slope; not adjusted); {description}"
                ),
                unit=per(y_unit, x_unit),
                missing=missing if n < 3 or np.ptp(x[finite]) == 0 else "",
            )
        )
    rows += [
        row(
            "ols_intercept",
            analyte,
            group,
            fit.n,
            estimate=fit.intercept,
            ci=fit.intercept_ci,
            statistic=fit.intercept_t,
            p=fit.intercept_p,
            method=f"OLS intercept (statsmodels), {errors}, 95% CI; {description}",
            unit=y_unit,
            missing=missing,
        ),
        row(
            "ols_r2",
            analyte,
            group,
            fit.n,
            estimate=fit.r_squared,
            statistic=fit.f,
            p=fit.f_p,
            method=(
                "OLS R², "
                + ("Wald F test with the cluster-robust SE" if clustered else "F test")
                + f"; {description}"
            ),
            missing=missing,
        ),
        row(
            "spearman_rho",
            analyte,
            group,
            rank.n,
            estimate=rank.rho,
            statistic=rank.s,
            p=rank.p,
            method=(f"Spearman ρ, S statistic, p {_as_r(rank.method)}{independent}; {description}"),
            adjust=not clustered,
            missing=rank_missing,
            family=tests,
        ),
    ]
    return rows


def pooled_values(samples: pd.DataFrame, visits: Sequence[str], below_lloq: str) -> pd.DataFrame:
    """One row per subject x visit (of ``visits``), one column per analyte."""
    frames = []
    for visit in visits:
        wide = visit_values(samples, visit, below_lloq)
        frames.append(wide.assign(visit=visit).set_index("visit", append=True))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames).sort_index()


def pair_correlations(
    samples: pd.DataFrame,
    pairs: Sequence[Sequence[str]],
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
) -> pd.DataFrame:
    """OLS and Spearman of y on x for each pair [x, y]: pooled samples, each visit, changes.

    ``<x> | pooled``: every sample at ``pre`` and ``post`` with both analytes (a
    subject contributes up to two points; standard errors cluster-robust by subject,
    with the naive slope test beside them as ``ols_slope_naive``). ``<x> | <visit>``:
    one point per subject at ``pre``, and at ``post``. ``<x> | change``: post − pre of
    y on post − pre of x, one point per subject with both pairs. An analyte of a pair
    without values gives rows with n = 0 and a note. q is BH over the slopes and ρ of
    every pair of one kind (pooled, a visit, change).
    """
    policy = BELOW_LLOQ_TEXT[below_lloq]
    named = sorted({str(name) for pair in pairs for name in pair})
    pooled = pooled_values(samples, [pre, post], below_lloq)
    pooled = pooled.reindex(columns=sorted({*map(str, pooled.columns), *named}))
    paired = paired_values(samples, pre, post, below_lloq, named)
    units = analyte_units(samples)
    rows: list[dict[str, Any]] = []
    for pair in pairs:
        x_name, y_name = str(pair[0]), str(pair[1])
        both_units = (units.get(x_name, ""), units.get(y_name, ""))
        both = pooled[[x_name, y_name]].dropna()
        subject_ids = both.index.get_level_values(0).astype(str).to_numpy()
        rows += _model_rows(
            both[x_name].to_numpy(),
            both[y_name].to_numpy(),
            y_name,
            f"{x_name} | pooled",
            f"{y_name} ~ {x_name}, samples at {pre} and {post} pooled "
            f"({len(set(subject_ids))} subjects); {policy}",
            both_units,
            subjects=subject_ids,
            family="pairs | pooled",
        )
        for visit in (pre, post):
            at = both[both.index.get_level_values("visit") == visit]
            rows += _model_rows(
                at[x_name].to_numpy(),
                at[y_name].to_numpy(),
                y_name,
                f"{x_name} | {visit}",
                f"{y_name} ~ {x_name} at {visit}, one point per subject; {policy}",
                both_units,
                family=f"pairs | {visit}",
            )
        dx = paired[x_name]["post"] - paired[x_name]["pre"]
        dy = paired[y_name]["post"] - paired[y_name]["pre"]
        change = pd.DataFrame({"x": dx, "y": dy}).dropna()
        rows += _model_rows(
            round_significant(change["x"].to_numpy()),
            round_significant(change["y"].to_numpy()),
            y_name,
            f"{x_name} | change",
            f"({post} − {pre}) of {y_name} ~ ({post} − {pre}) of {x_name}; {policy}",
            both_units,
            family="pairs | change",
        )
    return stats_table(rows)


def covariate_correlations(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    covariates: Sequence[str] = COVARIATES,
    visit: str = DEFAULTS.prepost.pre,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
    expected: Sequence[str] = (),
) -> pd.DataFrame:
    """OLS and Spearman of each analyte at ``visit`` on each subject covariate.

    ``subjects`` has one row per subject with a ``subject_id`` column and the
    covariate columns (e.g. the primary-rule rows of subjects.parquet).
    """
    policy = BELOW_LLOQ_TEXT[below_lloq]
    values = visit_values(samples, visit, below_lloq, analytes_of(samples, expected))
    units = analyte_units(samples)
    table = subjects.drop_duplicates("subject_id").set_index("subject_id")
    table.index = table.index.astype(str)
    rows: list[dict[str, Any]] = []
    for covariate in covariates:
        if covariate not in table:
            raise ValueError(f"covariate {covariate!r} is not a column of the subjects table")
        x_all = pd.to_numeric(table[covariate], errors="coerce").astype(float)
        for analyte in values.columns:
            both = pd.DataFrame({"x": x_all, "y": values[analyte]}).dropna()
            rows += _model_rows(
                both["x"].to_numpy(),
                both["y"].to_numpy(),
                str(analyte),
                f"{covariate} | {visit}",
                f"{analyte} at {visit} ~ {covariate}; {policy}",
                (COVARIATE_UNITS.get(covariate, ""), units.get(str(analyte), "")),
            )
    return stats_table(rows)


def _as_r(method: str) -> str:
    """How Spearman's p was computed, as the table's method says it."""
    return method if method == EDGEWORTH_BELOW_ZERO else f"{method} as R cor.test"
