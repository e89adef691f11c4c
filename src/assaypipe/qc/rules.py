"""The QC rule set: a preset from ``presets.yaml``, then the config's overrides.

``qc.preset`` names the preset; ``qc.overrides`` is a list of mappings, each with an
``analyte`` (a canonical name, or ``"*"`` for every analyte) and the thresholds it
changes. Overrides for ``"*"`` apply first, then those naming the analyte, in the
order written, so the most specific word wins. ``bead_count_fail`` is no preset's
or override's: it is ``wells.min_bead_count``, the one bead-count threshold (a well
below it is flagged ``low_beads`` and left out; a median below it fails the pair).

>>> rules = rules_for("CCL2", "ich_m10", [{"analyte": "CCL2", "cv_limit": 0.25}])
>>> rules.cv_limit, rules.min_calibrators
(0.25, 6)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml

from assaypipe.settings import DEFAULTS, REMOVED_KEYS, Settings
from assaypipe.vocabulary import CurveStatus

ALL_ANALYTES = "*"


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """Thresholds of the per plate x analyte and across-plate checks (fractions)."""

    min_calibrators: int
    recovery_limit: float
    recovery_limit_edge: float
    min_calibrators_passing: float
    cv_limit: float
    cv_limit_edge: float
    bead_count_fail: int
    bead_count_warn: int
    max_low_bead_wells: float
    blank_fraction_warn: float
    control_tolerance: float
    min_samples_in_range: float
    max_saturated_share: float
    inter_plate_cv_limit: float
    curve_status_warn: tuple[str, ...]


RULE_KEYS = tuple(field.name for field in dataclasses.fields(RuleSet))
# The rule set's thresholds that come from another setting, not from a preset.
DERIVED_KEYS = ("bead_count_fail",)


@cache
def presets() -> dict[str, dict[str, Any]]:
    """The bundled presets by name, each with its ``description`` and thresholds."""
    text = resources.files("assaypipe.qc").joinpath("presets.yaml").read_text(encoding="utf-8")
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return loaded


def rules_for(
    analyte: str,
    preset: str,
    overrides: Sequence[Mapping[str, Any]] = (),
    *,
    bead_count_fail: int = DEFAULTS.wells.min_bead_count,
) -> RuleSet:
    """The rule set of one analyte (``bead_count_fail``: ``wells.min_bead_count``)."""
    known = presets()
    if preset not in known:
        raise ValueError(f"unknown QC preset {preset!r}; known: {sorted(known)}")
    values: dict[str, Any] = {
        key: known[preset][key] for key in RULE_KEYS if key not in DERIVED_KEYS
    }
    values["bead_count_fail"] = bead_count_fail
    settable = {"analyte", *RULE_KEYS} - set(DERIVED_KEYS)
    for scope in (ALL_ANALYTES, analyte):
        for override in overrides:
            if override.get("analyte") != scope:
                continue
            for key in override:
                if f"qc.overrides.*.{key}" in REMOVED_KEYS:
                    raise ValueError(
                        f"qc.overrides for {scope}: {key} was removed; "
                        f"set {REMOVED_KEYS[f'qc.overrides.*.{key}'][0]} (config/README.md)"
                    )
            unknown = sorted(set(override) - settable)
            if unknown:
                raise ValueError(f"unknown QC rule key(s) {unknown} in qc.overrides for {scope}")
            values.update({k: v for k, v in override.items() if k != "analyte"})
    values["curve_status_warn"] = tuple(values["curve_status_warn"])
    statuses = {status.value for status in CurveStatus}
    unknown_statuses = [s for s in values["curve_status_warn"] if s not in statuses]
    if unknown_statuses:
        raise ValueError(
            f"unknown curve status(es) {unknown_statuses} in curve_status_warn of QC preset "
            f"{preset!r} or qc.overrides; known: {', '.join(sorted(statuses))}"
        )
    return RuleSet(**values)


def study_rules(settings: Settings) -> Callable[[str], RuleSet]:
    """Each analyte's rule set under a study's settings (``qc.preset``, ``qc.overrides``
    and ``wells.min_bead_count``), computed once per analyte."""
    sets: dict[str, RuleSet] = {}

    def rules(analyte: str) -> RuleSet:
        if analyte not in sets:
            sets[analyte] = rules_for(
                analyte,
                settings.qc.preset.value,
                settings.qc.overrides,
                bead_count_fail=settings.wells.min_bead_count,
            )
        return sets[analyte]

    return rules
