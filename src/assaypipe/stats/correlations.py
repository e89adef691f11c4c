"""Correlations: OLS of analyte pairs and of baseline analytes on subject covariates.

Each model gives four rows (analyte = the response y, group = ``<x> | <data>``):
``ols_slope`` (slope, 95% CI, t, p), ``ols_intercept``, ``ols_r2`` (R², F, p) and,
beside them, ``spearman_rho`` (ρ, S, p as R's ``cor.test``). q is BH across the
analytes of one analysis x group (one row per group for analyte pairs, so q = p).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from assaypipe.stats.frames import (
    BELOW_LLOQ_TEXT,
    analyte_units,
    paired_values,
    per,
    row,
    stats_table,
    visit_values,
)
from assaypipe.stats.ranks import round_significant
from assaypipe.stats.regression import ols, spearman

COVARIATES = ("age", "disease_duration", "baseline_edss")
# The units of the subject covariates, for the units of the slopes on them.
COVARIATE_UNITS = {"age": "year", "disease_duration": "year", "baseline_edss": "EDSS point"}


def _model_rows(
    x: np.ndarray,
    y: np.ndarray,
    analyte: str,
    group: str,
    description: str,
    units: tuple[str, str] = ("", ""),
) -> list[dict[str, Any]]:
    """The four rows of one model; ``units`` are those of x and y."""
    x_unit, y_unit = units
    fit = ols(x, y)
    rank = spearman(x, y)
    finite = np.isfinite(x) & np.isfinite(y)
    n = int(finite.sum())
    if n < 3:
        missing = f"n = {n}, fewer than 3 complete points"
    elif np.ptp(x[finite]) == 0:
        missing = "x is the same for every point"
    else:
        missing = "y is the same for every point"  # the only other case without a ρ
    return [
        row(
            "ols_slope",
            analyte,
            group,
            fit.n,
            estimate=fit.slope,
            ci=fit.slope_ci,
            statistic=fit.slope_t,
            p=fit.slope_p,
            method=f"OLS slope (statsmodels), t test, 95% CI; {description}",
            adjust=True,
            unit=per(y_unit, x_unit),
            missing=missing,
        ),
        row(
            "ols_intercept",
            analyte,
            group,
            fit.n,
            estimate=fit.intercept,
            ci=fit.intercept_ci,
            statistic=fit.intercept_t,
            p=fit.intercept_p,
            method=f"OLS intercept (statsmodels), t test, 95% CI; {description}",
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
            method=f"OLS R², F test; {description}",
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
            method=f"Spearman ρ, S statistic, p {rank.method} as R cor.test; {description}",
            adjust=True,
            missing=missing,
        ),
    ]


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
    pre: str = "baseline",
    post: str = "post",
    below_lloq: str = "half_lloq",
) -> pd.DataFrame:
    """OLS and Spearman of y on x for each pair [x, y]: pooled samples, and changes.

    ``<x> | pooled``: every sample at ``pre`` and ``post`` with both analytes (a
    subject contributes up to two points). ``<x> | change``: post − pre of y on
    post − pre of x, one point per subject with both pairs.
    """
    policy = BELOW_LLOQ_TEXT[below_lloq]
    pooled = pooled_values(samples, [pre, post], below_lloq)
    paired = paired_values(samples, pre, post, below_lloq)
    units = analyte_units(samples)
    rows: list[dict[str, Any]] = []
    for pair in pairs:
        x_name, y_name = str(pair[0]), str(pair[1])
        both_units = (units.get(x_name, ""), units.get(y_name, ""))
        if x_name in pooled and y_name in pooled:
            both = pooled[[x_name, y_name]].dropna()
            rows += _model_rows(
                both[x_name].to_numpy(),
                both[y_name].to_numpy(),
                y_name,
                f"{x_name} | pooled",
                f"{y_name} ~ {x_name}, samples at {pre} and {post} pooled "
                f"({both.index.get_level_values(0).nunique()} subjects); {policy}",
                both_units,
            )
        if x_name in paired and y_name in paired:
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
            )
    return stats_table(rows)


def covariate_correlations(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    covariates: Sequence[str] = COVARIATES,
    visit: str = "baseline",
    below_lloq: str = "half_lloq",
) -> pd.DataFrame:
    """OLS and Spearman of each analyte at ``visit`` on each subject covariate.

    ``subjects`` has one row per subject with a ``subject_id`` column and the
    covariate columns (e.g. the primary-rule rows of subjects.parquet).
    """
    policy = BELOW_LLOQ_TEXT[below_lloq]
    values = visit_values(samples, visit, below_lloq)
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
