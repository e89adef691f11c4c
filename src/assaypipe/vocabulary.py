"""The words the tables share: well roles, well flags, censors, curve statuses, curve
parameters and QC statuses.

Each is written once, here; the modules that write or read them, the config schema's
enum lists and the data dictionary are checked against these lists by
``tests/unit/test_vocabulary.py``. The members are strings, so a table cell equals its
member:

>>> Censor.BELOW_LLOQ == "<LLOQ"
True
>>> values(QcStatus)
('pass', 'warn', 'fail')
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a well holds (``wells.role``)."""

    STANDARD = "standard"
    BLANK = "blank"
    CONTROL = "control"
    SAMPLE = "sample"
    UNASSIGNED = "unassigned"


class WellFlag(StrEnum):
    """The ``;``-separated flags of ``wells.flags``."""

    LOW_BEADS = "low_beads"
    BAD_BEAD_COUNT = "bad_bead_count"
    NO_SIGNAL = "no_signal"
    NO_CURVE = "no_curve"
    BELOW_CURVE = "below_curve"
    ABOVE_CURVE = "above_curve"
    UNKNOWN_SAMPLE = "unknown_sample"
    UNKNOWN_ANALYTE = "unknown_analyte"
    BROKEN_DILUTION_SERIES = "broken_dilution_series"
    IMPLAUSIBLE_EXPECTED_CONC = "implausible_expected_conc"
    REPLICATE_MEAN = "replicate_mean"
    VENDOR_MASKED = "vendor_masked"
    VENDOR_SAMPLING_ERROR = "vendor_sampling_error"


class SampleFlag(StrEnum):
    """The ``;``-separated flags of ``samples.flags``."""

    MIXED_DILUTIONS = "mixed_dilutions"
    MIXED_UNITS = "mixed_units"
    NO_CURVE = "no_curve"
    NO_USABLE_WELLS = "no_usable_wells"
    REPLICATE_EXCLUDED = "replicate_excluded"
    SEVERAL_PLATES = "several_plates"


class Censor(StrEnum):
    """Where a value lies outside what its curve quantifies (``censor`` columns)."""

    BELOW_LLOQ = "<LLOQ"
    ABOVE_ULOQ = ">ULOQ"
    BELOW_LOD = "<LOD"
    ABOVE_ULOD = ">ULOD"


class CurveStatus(StrEnum):
    """``curves.status``: ``converged``, or what kept a curve from it."""

    CONVERGED = "converged"
    NOT_CONVERGED = "not_converged"
    PARAMETER_AT_BOUND = "parameter_at_bound"
    NON_IDENTIFIABLE_ASYMMETRY = "non_identifiable_asymmetry"
    BROKEN_DILUTION_SERIES = "broken_dilution_series"
    HOOK = "hook"
    NON_MONOTONIC = "non_monotonic"
    TOO_FEW_POINTS = "too_few_points"
    FLAT_SIGNAL = "flat_signal"
    NO_STANDARDS = "no_standards"


class CurveParam(StrEnum):
    """The logistic's parameters, as ``curves`` columns: bottom, slope, midpoint, top,
    asymmetry."""

    A = "a"
    B = "b"
    C = "c"
    D = "d"
    G = "g"


class QcStatus(StrEnum):
    """A QC check's status and a plate × analyte's verdict, from best to worst."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


def values(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    """The plain strings of a vocabulary, in its order."""
    return tuple(member.value for member in vocabulary)


#: The curve parameter names in the tables' order.
CURVE_PARAMS: tuple[str, ...] = values(CurveParam)


# The choices of the config (workflow/schemas/config.schema.yaml lists the same words;
# tests/unit/test_vocabulary.py checks each enum list against its enum here).


class PlatesSubfolders(StrEnum):
    """``plates_subfolders``: what a subfolder of the plates folder is."""

    READ = "read"
    REFUSE = "refuse"


class LuminexSignal(StrEnum):
    """``wells.luminex_signal``: the Luminex signal fitted."""

    MEDIAN = "median"
    NET_MFI = "net_mfi"


class CurveModel(StrEnum):
    """``curves.models``: the logistic models fitted."""

    FOUR_PL = "4PL"
    FIVE_PL = "5PL"


class Weighting(StrEnum):
    """``curves.weighting``: the weights of the least-squares fit."""

    NONE = "none"
    INVERSE_Y = "1/y"
    INVERSE_Y2 = "1/y^2"
    INVERSE_YHAT = "1/yhat"
    INVERSE_YHAT2 = "1/yhat^2"
    POWER = "power"


class LodMethod(StrEnum):
    """``curves.lod_method``."""

    BLANK_SD = "blank_sd"
    EP17 = "ep17"


class LimitRule(StrEnum):
    """``curves.limits``: how LLOQ and ULOQ are found."""

    ICH_M10 = "ich_m10"
    LONGEST_RUN = "longest_run"
    PROFILE = "profile"
    BOTH = "both"


class OutlierRule(StrEnum):
    """``curves.outliers``."""

    NONE = "none"
    STUDENTIZED = "studentized"


class Extrapolation(StrEnum):
    """``curves.extrapolation``: which concentrations are reported."""

    KEEP = "keep"
    STANDARDS = "standards"
    NONE = "none"


class CurvePreset(StrEnum):
    """``curves.preset``: whose fit."""

    ASSAYPIPE = "assaypipe"
    VENDOR = "vendor"


class CensorPolicy(StrEnum):
    """What a value below the LLOQ counts as (``prepost.below_lloq``, ``combine.censored``)."""

    HALF_LLOQ = "half_lloq"
    LLOQ_SQRT2 = "lloq_sqrt2"
    EXCLUDE = "exclude"


class ZeroMethod(StrEnum):
    """``prepost.zero_method``: zero differences in the signed-rank test."""

    WILCOX = "wilcox"
    PRATT = "pratt"


class ExactMethod(StrEnum):
    """``stats.exact``: when a rank test's p is exact."""

    R = "r"
    PRISM = "prism"


class HodgesLehmannMethod(StrEnum):
    """``stats.hodges_lehmann``: the estimate with ties or zeros."""

    MEDIAN = "median"
    R = "r"


class ResponderRule(StrEnum):
    """``responders.rule``."""

    EDSS = "edss"
    T25FW = "t25fw"


class Covariate(StrEnum):
    """``correlations.covariates``: subject covariates."""

    AGE = "age"
    DISEASE_DURATION = "disease_duration"
    BASELINE_EDSS = "baseline_edss"


class FeatureKind(StrEnum):
    """``classify.features``."""

    BASELINE = "baseline"
    CHANGE = "change"


class QcPreset(StrEnum):
    """``qc.preset``: the rule set QC thresholds start from (qc/presets.yaml)."""

    ICH_M10 = "ich_m10"
    MILLIPLEX = "milliplex"


class GuideBy(StrEnum):
    """``qc.guide_by``: the Levey-Jennings guide sets."""

    KIT_LOT = "kit_lot"
    STUDY = "study"


class WestgardRule(StrEnum):
    """``qc.westgard``: the Westgard rules (1-2s warns, the others reject)."""

    ONE_2S = "1-2s"
    ONE_3S = "1-3s"
    TWO_2S = "2-2s"
    R_4S = "R-4s"
    FOUR_1S = "4-1s"
    TEN_X = "10-x"
