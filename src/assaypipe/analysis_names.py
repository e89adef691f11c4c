"""The study analyses' names and the config sections each reads.

What the workflow needs to lay out its statistics jobs, apart from the analyses
themselves (:mod:`assaypipe.analyses`), so that reading the Snakefile imports no
statistics library: this module imports only the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Config = Mapping[str, Any]

#: Every analysis the workflow runs, in the order the tables are described in docs;
#: each writes ``results/stats/{name}.parquet``.
ANALYSES: tuple[str, ...] = (
    "prepost",
    "prepost_groups",
    "prepost_summary",
    "prepost_subgroup",
    "prepost_sensitivity",
    "response_change",
    "correlations_pairs",
    "correlations_covariates",
    "classification",
)
#: The analyses that take about a second together: the workflow runs them in one job
#: (each job pays for starting Python and importing the libraries).
QUICK_ANALYSES: tuple[str, ...] = tuple(name for name in ANALYSES if name != "classification")

# The config sections each analysis reads: the workflow passes only these, so editing
# one section reruns only the analyses that use it.
# Every analysis reads ``stats`` for its primary family (stats.primary_family).
_SECTIONS: dict[str, tuple[str, ...]] = {
    **{name: ("prepost", "stats") for name in ANALYSES},
    **{name: ("prepost", "stats") for name in ANALYSES if name.startswith("prepost")},
    "response_change": ("prepost", "stats"),
    "prepost_subgroup": ("prepost", "stats", "subgroup"),
    "correlations_pairs": ("prepost", "stats", "correlations"),
    "correlations_covariates": ("prepost", "stats", "correlations"),
    "classification": ("prepost", "stats", "classify"),
}


def analysis_settings(names: str | Sequence[str], config: Config) -> dict[str, Any]:
    """The part of a study config that analysis ``names`` (one or several) depend on."""
    wanted = [names] if isinstance(names, str) else list(names)
    sections = dict.fromkeys(section for name in wanted for section in _SECTIONS[name])
    return {section: config[section] for section in sections}
