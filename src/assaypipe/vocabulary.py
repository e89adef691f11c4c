"""The words the tables and the config share: well roles, well flags, censors, curve
statuses, curve parameters and QC statuses, the kinds of Levey-Jennings series and of
vendor concentrations, and each choice the config schema offers (weighting, limits,
censoring policies, ...).

Each is written once, here; the modules that write or read them, the config schema's
enum lists, config/README.md and the data dictionary are checked against these lists by
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


class SeriesKind(StrEnum):
    """What a Levey-Jennings series follows (``levey_jennings.kind``)."""

    CONTROL = "control"
    PARAMETER = "parameter"
    STANDARD = "standard"


class VendorBasis(StrEnum):
    """What a vendor concentration is of (``vendor_results.basis``): the well's content
    as measured, or the sample, the software having multiplied by the dilution."""

    IN_WELL = "in_well"
    SAMPLE = "sample"


# The config's choices, one class per enum list of workflow/schemas/config.schema.yaml.


class SubfolderPolicy(StrEnum):
    """``plates_subfolders``: read the exports in subfolders of ``plates``, or refuse
    them."""

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


class ModelSelection(StrEnum):
    """``curves.selection``: how a plate × analyte's model is chosen."""

    AIC = "aic"
    FOUR_PL = "4PL"
    FIVE_PL = "5PL"


class Weighting(StrEnum):
    """``curves.weighting``: the least-squares weights."""

    NONE = "none"
    Y = "1/y"
    Y_SQUARED = "1/y^2"
    FITTED = "1/yhat"
    FITTED_SQUARED = "1/yhat^2"
    POWER = "power"


class LodMethod(StrEnum):
    """``curves.lod_method``: how the LOD is set."""

    BLANK_SD = "blank_sd"
    EP17 = "ep17"


class LimitsRule(StrEnum):
    """``curves.limits``: how the LLOQ and ULOQ are set."""

    ICH_M10 = "ich_m10"
    LONGEST_RUN = "longest_run"
    PROFILE = "profile"
    BOTH = "both"


class OutlierRule(StrEnum):
    """``curves.outliers``: whether standard points are masked as outliers."""

    NONE = "none"
    STUDENTIZED = "studentized"


class Extrapolation(StrEnum):
    """``curves.extrapolation``: what a concentration beyond the limits becomes."""

    KEEP = "keep"
    STANDARDS = "standards"
    NONE = "none"


class CurvePreset(StrEnum):
    """``curves.preset``: assaypipe's fit, or the instrument software's settings."""

    ASSAYPIPE = "assaypipe"
    VENDOR = "vendor"


class CensorSubstitute(StrEnum):
    """``combine.censored``: what a ``<LLOQ``/``<LOD`` reading counts as in the mean of a
    sample's readings."""

    HALF_LLOQ = "half_lloq"
    LLOQ_SQRT2 = "lloq_sqrt2"
    AS_READ = "as_read"


class CensorPolicy(StrEnum):
    """``prepost.below_lloq`` and ``prepost.sensitivity``: what a sample below the LLOQ
    becomes in the statistics."""

    HALF_LLOQ = "half_lloq"
    LLOQ_SQRT2 = "lloq_sqrt2"
    EXCLUDE = "exclude"
    AS_READ = "as_read"


class ZeroMethod(StrEnum):
    """``prepost.zero_method``: how the signed-rank test treats zero differences."""

    WILCOX = "wilcox"
    PRATT = "pratt"


class ExactMethod(StrEnum):
    """``stats.exact``: when rank tests give exact p values (as R, or as Prism)."""

    R = "r"
    PRISM = "prism"


class HodgesLehmannMethod(StrEnum):
    """``stats.hodges_lehmann``: the Hodges-Lehmann estimate's definition."""

    MEDIAN = "median"
    R = "r"


class ResponderRule(StrEnum):
    """``responders.rule`` (``subjects.rule``): the outcome that labels responders."""

    EDSS = "edss"
    T25FW = "t25fw"


class Covariate(StrEnum):
    """``correlations.covariates``: the subject covariates a baseline analyte is
    regressed on."""

    AGE = "age"
    DISEASE_DURATION = "disease_duration"
    BASELINE_EDSS = "baseline_edss"


class FeatureKind(StrEnum):
    """``classify.features``: the kinds of analyte features the classifier uses."""

    BASELINE = "baseline"
    CHANGE = "change"


class QcPreset(StrEnum):
    """``qc.preset``: the acceptance rules' preset (``qc/presets.yaml``)."""

    ICH_M10 = "ich_m10"
    MILLIPLEX = "milliplex"


class GuideBy(StrEnum):
    """``qc.guide_by``: whether each kit lot has its own Levey-Jennings guide set."""

    KIT_LOT = "kit_lot"
    STUDY = "study"


class WestgardRule(StrEnum):
    """``qc.westgard``: the Westgard rules; ``1-2s`` warns, the others reject."""

    WARN_1_2S = "1-2s"
    REJECT_1_3S = "1-3s"
    REJECT_2_2S = "2-2s"
    REJECT_R_4S = "R-4s"
    REJECT_4_1S = "4-1s"
    REJECT_10_X = "10-x"


def values(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    """The plain strings of a vocabulary, in its order."""
    return tuple(member.value for member in vocabulary)


#: The curve parameter names in the tables' order.
CURVE_PARAMS: tuple[str, ...] = values(CurveParam)
