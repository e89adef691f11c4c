"""Quality control a lab can sign off on (docs/qc.md).

Per plate x analyte, :mod:`~assaypipe.qc.checks` judges the calibrators, replicates,
beads, blanks, controls (against the kit lot's ranges, :mod:`~assaypipe.kits`), the
curve and the samples; across plates, :mod:`~assaypipe.qc.levey_jennings` charts every
control and curve parameter and applies the Westgard rules
(:mod:`~assaypipe.qc.westgard`). Thresholds come from a preset and the config's
overrides (:mod:`~assaypipe.qc.rules`). :func:`run_qc` gives the QC table, the
verdict per plate x analyte and the Levey-Jennings table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pandas as pd

from assaypipe import tables
from assaypipe.exclusions import excluded_wells
from assaypipe.kits import KitLot, read_kits
from assaypipe.qc.checks import plate_checks
from assaypipe.qc.index import excluded_standard_wells, group_order
from assaypipe.qc.levey_jennings import (
    inter_plate_cv,
    levey_jennings,
    plate_lots,
    run_order,
    series_values,
    westgard_checks,
)
from assaypipe.qc.rules import RULE_KEYS, RuleSet, presets, rules_for, study_rules
from assaypipe.qc.westgard import RULES as WESTGARD_RULES
from assaypipe.qc.westgard import westgard, within_run
from assaypipe.settings import DEFAULTS, Settings
from assaypipe.units import UnitPlan, plan_units, plate_units
from assaypipe.vocabulary import GuideBy, QcStatus

__all__ = [
    "RULE_KEYS",
    "WESTGARD_RULES",
    "KitLot",
    "QcResult",
    "RuleSet",
    "excluded_standard_wells",
    "presets",
    "read_kits",
    "rules_for",
    "run_qc",
    "study_rules",
    "verdicts",
    "westgard",
    "within_run",
]

_SEVERITY: dict[str, int] = {status: rank for rank, status in enumerate(QcStatus)}


@dataclasses.dataclass(frozen=True)
class QcResult:
    """The three QC tables: checks, verdicts, Levey-Jennings."""

    qc: pd.DataFrame
    verdicts: pd.DataFrame
    levey_jennings: pd.DataFrame


def run_qc(
    wells: pd.DataFrame,
    curves: pd.DataFrame,
    plates: pd.DataFrame,
    settings: Settings = DEFAULTS,
    kits: Sequence[KitLot] = (),
    manual: pd.DataFrame | None = None,
    units: UnitPlan | None = None,
) -> QcResult:
    """Every check of a study.

    ``settings`` are the study's: its ``qc`` section (preset, overrides, guide_by,
    guide_plates, guide_range, westgard) and ``wells.min_bead_count``. Wells named in
    ``manual`` well-level exclusions are left out of the checks, as they are out of the
    sample values; plate and analyte exclusions do not change the checks, so the report
    still shows why a plate looked as it did.
    ``units`` is the study's unit plan (by default from the wells' units and the kits'):
    it converts kit ranges to each plate's unit and the Levey-Jennings concentrations to
    the study unit, and adds a ``unit`` check where a plate's unit needs saying.
    """
    if units is None:
        units = plan_units(plate_units(wells), kits=kits)
    rules = study_rules(settings)

    if manual is not None and not manual.empty:
        wells = wells[~excluded_wells(wells, manual[manual["level"] == "well"])]
    rows = plate_checks(wells, curves, rules, kits, units)
    rows += units.qc_rows()
    values = series_values(wells, curves, units)
    order = run_order(plates, sorted(set(wells["plate_id"].astype(str).tolist())))
    by_lot = settings.qc.guide_by == GuideBy.KIT_LOT
    lj = levey_jennings(
        values,
        order,
        guide_plates=settings.qc.guide_plates,
        guide_range=list(settings.qc.guide_range),
        rules=[rule.value for rule in settings.qc.westgard],
        lots=plate_lots(plates, list(order.index), kits) if by_lot else None,
    )
    rows += westgard_checks(lj)
    rows += inter_plate_cv(values, rules)
    qc = _qc_table(rows)
    return QcResult(qc=qc, verdicts=verdicts(qc), levey_jennings=lj)


def _qc_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return tables.empty(tables.QC)
    frame = pd.DataFrame(rows, columns=list(tables.QC.columns))
    frame = frame.sort_values(["analyte", "plate_id", "check"], na_position="first", kind="stable")
    return tables.QC.validate(frame.reset_index(drop=True))


def verdicts(qc: pd.DataFrame) -> pd.DataFrame:
    """The worst status of each plate x analyte's checks (``tables.QC_VERDICTS``).

    Checks across plates (no plate_id) do not enter a plate's verdict.
    """
    per_plate = qc[qc["plate_id"].notna()]
    order, bounds = group_order(per_plate, ["plate_id", "analyte"])
    plate_ids = per_plate["plate_id"].to_numpy(dtype=object)[order]
    analytes = per_plate["analyte"].to_numpy(dtype=object)[order]
    statuses = per_plate["status"].to_numpy(dtype=object)[order].tolist()
    checks = per_plate["check"].to_numpy(dtype=object)[order].tolist()
    rows = []
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        status, check = statuses[start:stop], checks[start:stop]
        rows.append(
            {
                "plate_id": plate_ids[start],
                "analyte": analytes[start],
                "verdict": max(status, key=lambda s: _SEVERITY[str(s)]),
                "n_pass": status.count(QcStatus.PASS),
                "n_warn": status.count(QcStatus.WARN),
                "n_fail": status.count(QcStatus.FAIL),
                "failed": ";".join(
                    c for c, s in zip(check, status, strict=True) if s == QcStatus.FAIL
                ),
                "warned": ";".join(
                    c for c, s in zip(check, status, strict=True) if s == QcStatus.WARN
                ),
            }
        )
    if not rows:
        return tables.empty(tables.QC_VERDICTS)
    return tables.QC_VERDICTS.validate(pd.DataFrame(rows, columns=list(tables.QC_VERDICTS.columns)))
