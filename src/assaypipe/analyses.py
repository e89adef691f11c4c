"""The study analyses as the workflow runs them: one name, one table in results/stats/.

Each analysis reads the combined samples table (after exclusions) and, where it needs
responder groups or covariates, the subjects table; every setting comes from the
study config. The workflow has one rule for all of them, so each output file is
``results/stats/{name}.parquet`` with ``name`` one of :data:`ANALYSES`. The names and
the config sections each analysis reads live in :mod:`assaypipe.analysis_names`,
which the workflow imports without the statistics libraries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from assaypipe.analysis_names import ANALYSES, QUICK_ANALYSES, analysis_settings
from assaypipe.errors import AssaypipeBugError
from assaypipe.io import write_table
from assaypipe.responders import primary_subjects, response_groups
from assaypipe.settings import Settings
from assaypipe.stats import (
    change_by_response,
    covariate_correlations,
    pair_correlations,
    prepost,
    prepost_sensitivity,
    prepost_subgroup,
    prepost_summary,
)
from assaypipe.stats.frames import mark_primary, note_lost

__all__ = [
    "ANALYSES",
    "QUICK_ANALYSES",
    "analysis_settings",
    "lost_analytes",
    "run_analysis",
    "summary_lines",
]

Analysis = Callable[[pd.DataFrame, pd.DataFrame, Settings, int, Sequence[str]], pd.DataFrame]


def _censored(settings: Settings) -> dict[str, Any]:
    prepost = settings.prepost
    return {"pre": prepost.pre, "post": prepost.post, "below_lloq": prepost.below_lloq.value}


def _ranked(settings: Settings) -> dict[str, Any]:
    return {
        "exact": settings.stats.exact.value,
        "hodges_lehmann": settings.stats.hodges_lehmann.value,
    }


def _tested(settings: Settings) -> dict[str, Any]:
    return {
        **_censored(settings),
        "zero_method": settings.prepost.zero_method.value,
        **_ranked(settings),
    }


def _prepost(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    _: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    return prepost(samples, **_tested(settings), expected=expected)


def _prepost_groups(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    _: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    groups = response_groups(subjects)
    return prepost(
        samples, **_tested(settings), groups=groups, include_all=False, expected=expected
    )


def _prepost_summary(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    _: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    return prepost_summary(
        samples, **_tested(settings), groups=response_groups(subjects), expected=expected
    )


def _prepost_subgroup(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    _: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    return prepost_subgroup(
        samples,
        analyte=settings.subgroup.analyte,
        threshold=settings.subgroup.threshold,
        **_tested(settings),
        groups=response_groups(subjects),
        expected=expected,
    )


def _prepost_sensitivity(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    _: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    prepost = settings.prepost
    return prepost_sensitivity(
        samples,
        policies=[policy.value for policy in prepost.sensitivity],
        pre=prepost.pre,
        post=prepost.post,
        zero_method=prepost.zero_method.value,
        **_ranked(settings),
        expected=expected,
    )


def _response_change(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    _: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    return change_by_response(
        samples,
        response_groups(subjects),
        **_censored(settings),
        **_ranked(settings),
        expected=expected,
    )


def _correlations_pairs(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    _: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    pairs = [list(pair) for pair in settings.correlations.pairs]
    return pair_correlations(samples, pairs, **_censored(settings))


def _correlations_covariates(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    _: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    return covariate_correlations(
        samples,
        primary_subjects(subjects),
        covariates=[covariate.value for covariate in settings.correlations.covariates],
        visit=settings.prepost.pre,
        below_lloq=settings.prepost.below_lloq.value,
        expected=expected,
    )


def _classification(
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    n_jobs: int,
    expected: Sequence[str],
) -> pd.DataFrame:
    # Imported here: scikit-learn costs the other analyses' job about 1.5 s to import.
    from assaypipe.classify import classification_table

    classify = settings.classify
    return classification_table(
        samples,
        response_groups(subjects),
        kinds=[kind.value for kind in classify.features],
        analytes=list(classify.analytes) or None,
        c=classify.c,
        permutations=classify.permutations,
        seed=classify.seed,
        **_censored(settings),
        n_jobs=n_jobs,
        expected=expected,
    )


_ANALYSES: dict[str, Analysis] = {
    "prepost": _prepost,
    "prepost_groups": _prepost_groups,
    "prepost_summary": _prepost_summary,
    "prepost_subgroup": _prepost_subgroup,
    "prepost_sensitivity": _prepost_sensitivity,
    "response_change": _response_change,
    "correlations_pairs": _correlations_pairs,
    "correlations_covariates": _correlations_covariates,
    "classification": _classification,
}


def lost_analytes(samples: pd.DataFrame, exclusions: pd.DataFrame | None) -> dict[str, str]:
    """Analytes the study measured that have no value left for the statistics, and why.

    An analyte is lost when exclusions (results/exclusions.parquet) name it and no
    sample of it is left with a concentration, or when samples list it without any
    concentration: "all plates failed QC", "excluded by hand: <reason>", ...
    """
    valued = samples.loc[samples["concentration"].notna(), "analyte"].astype(str)
    kept = set(valued)
    reasons: dict[str, list[str]] = {}
    if exclusions is not None and not exclusions.empty:
        named = exclusions[exclusions["analyte"].notna()]
        for record in named.itertuples():
            analyte = str(record.analyte)
            if analyte in kept:
                continue
            why = _LOST_BY_SOURCE.get(str(record.source), "excluded") + (
                f": {record.reason}" if record.source in ("manual", "units") else ""
            )
            if why not in reasons.setdefault(analyte, []):
                reasons[analyte].append(why)
    for analyte in sorted(set(samples["analyte"].astype(str)) - kept):
        reasons.setdefault(analyte, ["no sample has a concentration"])
    return {analyte: "; ".join(why) for analyte, why in sorted(reasons.items())}


_LOST_BY_SOURCE = {
    "qc": "all plates failed QC",
    "units": "left out for its units",
    "sheets": "not an analyte of the analyte sheet",
    "manual": "excluded by hand",
}


def run_analysis(
    name: str,
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    settings: Settings,
    n_jobs: int = 1,
    exclusions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The table of analysis ``name`` (one of :data:`ANALYSES`) under the study's
    ``settings`` (the sections :func:`analysis_settings` names).
    ``exclusions`` (results/exclusions.parquet) names the analytes whose every value
    was left out: they keep their rows, with n = 0 and a note saying why. The rows of
    the family ``stats.primary_family`` are marked ``primary``, all others
    ``exploratory``.
    """
    try:
        analysis = _ANALYSES[name]
    except KeyError:
        raise AssaypipeBugError(
            f"no analysis named {name!r}; known: {', '.join(ANALYSES)}"
        ) from None
    lost = lost_analytes(samples, exclusions)
    table = note_lost(analysis(samples, subjects, settings, n_jobs, tuple(lost)), lost)
    if name == "prepost_subgroup":
        table = _subgroup_lost(table, settings.subgroup.analyte, lost)
    primary = settings.stats.primary_family
    return mark_primary(table, primary.analysis, primary.group)


def _subgroup_lost(table: pd.DataFrame, analyte: str, lost: Mapping[str, str]) -> pd.DataFrame:
    """Without values of the subgroup's analyte no subject is in it: every row says why."""
    if analyte not in lost:
        return table
    out = table.copy()
    empty = out["estimate"].isna()
    out.loc[empty, "note"] = f"{analyte}: {lost[analyte]}, so the subgroup is empty"
    return out


def write_analyses(
    outputs: Mapping[str, str],
    samples: pd.DataFrame,
    subjects: pd.DataFrame,
    exclusions: pd.DataFrame,
    settings: Settings,
    *,
    n_jobs: int,
    config: Mapping[str, Any],
    log: Callable[[str], None],
) -> None:
    """Run each named analysis and write its table to its path (``outputs``, name to
    path), logging a line per tested row; what the statistics jobs do."""
    for name, path in outputs.items():
        result = run_analysis(
            name, samples, subjects, settings, n_jobs=n_jobs, exclusions=exclusions
        )
        for line in summary_lines(result):
            log(line)
        write_table(result, path, command=f"stats {name}", config=config)


def summary_lines(table: pd.DataFrame) -> list[str]:
    """One log line per tested row (those with a p-value): what, n, estimate, p."""
    tested = table[table["p"].notna()]
    return [
        f"{row.analysis} {row.analyte} [{row.group}]: n={row.n} estimate={row.estimate:.4g} "
        f"p={row.p:.4g}"
        for row in tested.itertuples()
    ]
