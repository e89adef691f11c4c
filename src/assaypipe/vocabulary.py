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
