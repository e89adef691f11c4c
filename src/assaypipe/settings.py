"""The study's settings as typed, frozen objects, built once from the validated config.

One dataclass per config section; each field's default is the setting's default (the
schema's ``default`` and ``data/default_config.yaml`` say the same, which
``tests/unit/test_settings.py`` checks key by key). Choices are the
:mod:`assaypipe.vocabulary` enums, lists are tuples.

>>> settings = Settings.from_config({"curves": {"weighting": "1/y"}, "prepost": {"pre": "m0"}})
>>> settings.curves.weighting is Weighting.Y, settings.curves.lod_k
(True, 3.0)
>>> settings.prepost.pre, settings.prepost.below_lloq
('m0', <CensorPolicy.HALF_LLOQ: 'half_lloq'>)
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

from assaypipe.vocabulary import (
    CensorPolicy,
    CensorSubstitute,
    Covariate,
    CurveModel,
    CurvePreset,
    ExactMethod,
    Extrapolation,
    FeatureKind,
    GuideBy,
    HodgesLehmannMethod,
    LimitsRule,
    LodMethod,
    LuminexSignal,
    ModelSelection,
    OutlierRule,
    QcPreset,
    ResponderRule,
    SubfolderPolicy,
    Weighting,
    WestgardRule,
    ZeroMethod,
)

__all__ = [
    "REMOVED_KEYS",
    "ChunkSettings",
    "ClassifySettings",
    "CombineSettings",
    "CorrelationSettings",
    "CurveSettings",
    "PrepostSettings",
    "PrimaryFamily",
    "QcSettings",
    "ReportSettings",
    "ResponderSettings",
    "RunSettings",
    "Settings",
    "StatsSettings",
    "SubgroupSettings",
    "WellSettings",
    "removed_key_message",
]

#: Keys a config may no longer set, as dotted paths (``*``: any list item), with the
#: setting that took their place and what it does now.
REMOVED_KEYS: Mapping[str, tuple[str, str]] = {
    "qc.overrides.*.bead_count_fail": (
        "wells.min_bead_count",
        "sets the bead count below which a well is left out and a plate x analyte fails QC",
    ),
}


def removed_key_message(path: Sequence[str]) -> str | None:
    """The sentence refusing a removed key at ``path`` (None for any other key).

    >>> print(removed_key_message(["qc", "overrides", "0", "bead_count_fail"]))
    ... # doctest: +NORMALIZE_WHITESPACE
    qc.overrides.0.bead_count_fail was removed: wells.min_bead_count now sets the bead
    count below which a well is left out and a plate x analyte fails QC; remove it and
    set wells.min_bead_count (config/README.md)
    """
    pattern = ".".join("*" if part.isdigit() else part for part in path)
    if pattern not in REMOVED_KEYS:
        return None
    replacement, what = REMOVED_KEYS[pattern]
    return (
        f"{'.'.join(path)} was removed: {replacement} now {what}; remove it and set "
        f"{replacement} (config/README.md)"
    )


class _Section:
    """Building a section from its config mapping: each key converted to its field's
    type, a missing key left at the field's default."""

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, *, where: str = "") -> Self:
        values = dict(values or {})
        fields = {f.name: f for f in dataclasses.fields(typing.cast(Any, cls))}
        hints = typing.get_type_hints(cls)
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ValueError(
                f"{where or cls.__name__}: unknown setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(fields)}"
            )
        kwargs = {}
        for name, value in values.items():
            try:
                kwargs[name] = _convert(value, hints[name])
            except (TypeError, ValueError) as error:
                key = f"{where}.{name}" if where and where != "config" else name
                raise ValueError(f"{key}: {value!r} does not fit the setting ({error})") from None
        return cls(**kwargs)


def _convert(value: Any, hint: Any) -> Any:
    """``value`` from YAML as a ``hint`` (enum, tuple, number, nested section, None)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        return _convert(value, next(a for a in args if a is not type(None)))
    if origin is tuple:
        item = args[0]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, item) for v in value)
        return tuple(_convert(v, a) for v, a in zip(value, args, strict=True))
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return types.MappingProxyType(dict(value))
    if isinstance(hint, type) and issubclass(hint, _Section):
        return hint.from_mapping(value)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return hint(str(value))
    if hint is bool:
        # Snakemake's --config passes a nested value as text: run={strict: true}.
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if hint is float:
        return float(value)
    if hint is int:
        return int(value)
    if hint is str:
        return str(value)
    return value


@dataclass(frozen=True)
class WellSettings(_Section):
    """``wells``: how wells are read and flagged."""

    luminex_signal: LuminexSignal = LuminexSignal.MEDIAN
    # The one bead-count threshold: a well below it is flagged low_beads (left out of
    # fits and means) and a plate x analyte whose median is below it fails QC.
    min_bead_count: int = 35
    read: str = ""


@dataclass(frozen=True)
class ChunkSettings(_Section):
    """``chunks``: how plates are batched into jobs."""

    size: int = 250


@dataclass(frozen=True)
class CurveSettings(_Section):
    """``curves``: standard-curve fitting (:func:`assaypipe.curves.fit_plate_curves`)."""

    models: tuple[CurveModel, ...] = (CurveModel.FIVE_PL, CurveModel.FOUR_PL)
    weighting: Weighting = Weighting.Y_SQUARED
    selection: ModelSelection = ModelSelection.AIC
    recovery_limit: float = 0.2
    recovery_limit_edge: float = 0.25
    cv_limit: float = 0.2
    lod_k: float = 3.0
    lod_method: LodMethod = LodMethod.BLANK_SD
    limits: LimitsRule = LimitsRule.ICH_M10
    min_passing_share: float = 0.75
    min_passing_levels: int = 6
    anchors_low: int = 0
    anchors_high: int = 0
    profile_cv: float = 0.2
    outliers: OutlierRule = OutlierRule.NONE
    outlier_limit: float = 4.0
    mask_edge_levels: bool = False
    extrapolation: Extrapolation = Extrapolation.KEEP
    preset: CurvePreset = CurvePreset.ASSAYPIPE


@dataclass(frozen=True)
class CombineSettings(_Section):
    """``combine``: one value per sample from several plates."""

    censored: CensorSubstitute = CensorSubstitute.HALF_LLOQ


@dataclass(frozen=True)
class PrepostSettings(_Section):
    """``prepost``: pre vs post per analyte."""

    pre: str = "baseline"
    post: str = "post"
    zero_method: ZeroMethod = ZeroMethod.WILCOX
    below_lloq: CensorPolicy = CensorPolicy.HALF_LLOQ
    sensitivity: tuple[CensorPolicy, ...] = (
        CensorPolicy.HALF_LLOQ,
        CensorPolicy.LLOQ_SQRT2,
        CensorPolicy.EXCLUDE,
    )


@dataclass(frozen=True)
class PrimaryFamily(_Section):
    """``stats.primary_family``: the tests Benjamini-Hochberg adjusts on their own."""

    analysis: str = "prepost"
    group: str = "all"


@dataclass(frozen=True)
class StatsSettings(_Section):
    """``stats``: rank tests and the primary family."""

    exact: ExactMethod = ExactMethod.R
    hodges_lehmann: HodgesLehmannMethod = HodgesLehmannMethod.MEDIAN
    primary_family: PrimaryFamily = PrimaryFamily()


@dataclass(frozen=True)
class ResponderSettings(_Section):
    """``responders``: responder classification from the outcome sheet."""

    rule: ResponderRule = ResponderRule.EDSS
    baseline_month: int = 0
    month: int = 12
    sustained_month: int | None = 30
    edss_improvement: float = 0.5
    walk_improvement: float = 0.2


@dataclass(frozen=True)
class SubgroupSettings(_Section):
    """``subgroup``: subjects with a high baseline value."""

    analyte: str = "NfL"
    threshold: float = 1000.0


@dataclass(frozen=True)
class CorrelationSettings(_Section):
    """``correlations``: OLS and Spearman correlations."""

    pairs: tuple[tuple[str, str], ...] = (("CCL2", "TGFB2"),)
    covariates: tuple[Covariate, ...] = (
        Covariate.AGE,
        Covariate.DISEASE_DURATION,
        Covariate.BASELINE_EDSS,
    )


@dataclass(frozen=True)
class ClassifySettings(_Section):
    """``classify``: responders from a biomarker profile."""

    features: tuple[FeatureKind, ...] = (FeatureKind.CHANGE,)
    analytes: tuple[str, ...] = ()
    c: float = 1.0
    permutations: int = 1000
    seed: int = 20261121


@dataclass(frozen=True)
class QcSettings(_Section):
    """``qc``: quality control and what it leaves out of the statistics."""

    preset: QcPreset = QcPreset.ICH_M10
    overrides: tuple[Mapping[str, Any], ...] = ()
    kits: str = "config/kits"
    exclusions: str = "config/exclusions.tsv"
    exclude_failing: bool = True
    guide_by: GuideBy = GuideBy.KIT_LOT
    guide_plates: int = 20
    guide_range: tuple[str, ...] = ()
    westgard: tuple[WestgardRule, ...] = tuple(WestgardRule)


@dataclass(frozen=True)
class ReportSettings(_Section):
    """``report``: what results/report.html shows."""

    curve_figures: int = 200
    plate_maps: int = 100


@dataclass(frozen=True)
class RunSettings(_Section):
    """``run``: how a run ends."""

    strict: bool = False


@dataclass(frozen=True)
class Settings(_Section):
    """Every setting of a study (config/README.md documents each key)."""

    plates: str = "resources/plates"
    plates_subfolders: SubfolderPolicy = SubfolderPolicy.READ
    layouts: str = "resources/layouts"
    samples: str = "config/samples.tsv"
    subjects: str = "config/subjects.tsv"
    outcomes: str = "config/outcomes.tsv"
    analytes: str = "config/analytes.tsv"
    wells: WellSettings = WellSettings()
    chunks: ChunkSettings = ChunkSettings()
    curves: CurveSettings = CurveSettings()
    combine: CombineSettings = CombineSettings()
    prepost: PrepostSettings = PrepostSettings()
    stats: StatsSettings = StatsSettings()
    responders: ResponderSettings = ResponderSettings()
    subgroup: SubgroupSettings = SubgroupSettings()
    correlations: CorrelationSettings = CorrelationSettings()
    classify: ClassifySettings = ClassifySettings()
    qc: QcSettings = QcSettings()
    report: ReportSettings = ReportSettings()
    run: RunSettings = RunSettings()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The settings of a config (validated against the schema, or partial: a key
        not written takes its default). A removed key is refused with the setting
        that replaced it."""
        for path in _paths(config):
            message = removed_key_message(path)
            if message:
                raise ValueError(message)
        return cls.from_mapping(config, where="config")


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    """The key path of every mapping key in a config (list items by their index)."""
    if isinstance(value, Mapping):
        items = [(str(key), sub) for key, sub in value.items()]
    elif isinstance(value, list):
        items = [(str(index), sub) for index, sub in enumerate(value)]
    else:
        return []
    paths = []
    for key, sub in items:
        if isinstance(value, Mapping):
            paths.append([*prefix, key])
        paths += _paths(sub, (*prefix, key))
    return paths


#: Every default, for signatures that take one setting on its own.
DEFAULTS = Settings()


def section_fields(section: type[Any]) -> list[str]:
    """The keys of a section, in the order the schema lists them."""
    return [f.name for f in dataclasses.fields(section)]
