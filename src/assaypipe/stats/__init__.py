"""Study statistics over the samples table, verified against R.

- :mod:`~assaypipe.stats.ranks`: Wilcoxon signed-rank and Mann-Whitney tests with
  Hodges-Lehmann estimates and CIs as R's ``wilcox.test``, or exact p with ties as
  GraphPad Prism.
- :mod:`~assaypipe.stats.regression`: OLS (statsmodels) and Spearman's rho.
- :mod:`~assaypipe.stats.prepost`: pre vs post per analyte, by group, in a subgroup,
  and under each below-LLOQ policy.
- :mod:`~assaypipe.stats.response`: responders vs nonresponders on the change.
- :mod:`~assaypipe.stats.correlations`: analyte pairs and subject covariates.

Every table function returns rows of tables.STATS.
"""

from assaypipe.stats.correlations import covariate_correlations, pair_correlations
from assaypipe.stats.frames import BELOW_LLOQ_POLICIES, apply_censor_policy
from assaypipe.stats.prepost import (
    prepost,
    prepost_sensitivity,
    prepost_subgroup,
    prepost_summary,
)
from assaypipe.stats.ranks import (
    EXACT_METHODS,
    HODGES_LEHMANN_METHODS,
    ZERO_METHODS,
    hodges_lehmann_paired,
    pairwise_median,
    rank_sum,
    rank_sum_null,
    round_significant,
    signed_rank,
    signed_rank_null,
    walsh_median,
    wilcoxon_paired,
)
from assaypipe.stats.regression import ols, spearman
from assaypipe.stats.response import change_by_response

__all__ = [
    "BELOW_LLOQ_POLICIES",
    "EXACT_METHODS",
    "HODGES_LEHMANN_METHODS",
    "ZERO_METHODS",
    "apply_censor_policy",
    "change_by_response",
    "covariate_correlations",
    "hodges_lehmann_paired",
    "ols",
    "pair_correlations",
    "pairwise_median",
    "prepost",
    "prepost_sensitivity",
    "prepost_subgroup",
    "prepost_summary",
    "rank_sum",
    "rank_sum_null",
    "round_significant",
    "signed_rank",
    "signed_rank_null",
    "spearman",
    "walsh_median",
    "wilcoxon_paired",
]
