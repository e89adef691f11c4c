"""Checks of one plate x analyte: its calibrators, replicates, beads, blanks, controls,
curve, and where its samples fall. Each check is one row of the QC table.

Statuses mean: ``fail`` makes the plate x analyte fail (its values are left out of the
statistics by default), ``warn`` asks a person to look, ``pass`` is fine. Which check
can give which status is fixed here and listed in docs/qc.md; thresholds come from the
rule set (:mod:`assaypipe.qc.rules`).

Each check reads one plate x analyte's slices of the study's wells (:class:`Pair`, from
the index of :mod:`assaypipe.qc.index`, which reads the wells table once).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from assaypipe.curves import STATUS_CONVERGED, asymptotes, predict
from assaypipe.curves.limits import back_calculated
from assaypipe.kits import KitLot, control_range
from assaypipe.qc.index import (
    BROKEN_SERIES_FLAG,
    NO_EXPECTED,
    Pair,
    Study,
    Wells,
)
from assaypipe.qc.rules import RuleSet
from assaypipe.tables import UNASSIGNED
from assaypipe.units import UnitPlan, label, plan_units, plate_units
from assaypipe.vocabulary import CURVE_PARAMS, QcStatus, Role

PARAMS = CURVE_PARAMS

# Checks whose value is a share (the report shows it as a percentage); every other
# check's value is a count, a signal or a concentration.
SHARE_CHECKS = frozenset(
    {
        "calibrators_passing",
        "inter_plate_cv",
        "recovery",
        "replicate_cv",
        "samples_in_range",
        "saturation",
        "standard_cv",
    }
)

Row = dict[str, Any]


def row(
    plate_id: str | None,
    analyte: str,
    check: str,
    value: float,
    threshold: str,
    status: str,
    detail: str = "",
    unit: str = "",
) -> Row:
    """One QC table row; ``unit`` where value and threshold are concentrations."""
    return {
        "plate_id": plate_id,
        "analyte": analyte,
        "check": check,
        "value": value,
        "unit": unit,
        "threshold": threshold,
        "status": status,
        "detail": detail,
    }


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as plain dicts keyed by column name, as
    ``frame.to_dict("records")`` gives them.

    Text columns and numpy number and boolean columns are converted a column at a time
    (pandas reads them row by row, which is slow on arrow-backed text); every other
    column is left to pandas.
    """
    columns = frame.columns.tolist()
    if not columns or not frame.columns.is_unique:
        return cast(list[dict[str, Any]], frame.to_dict("records"))
    values: list[list[Any] | None] = [_column_values(frame.iloc[:, i]) for i in range(len(columns))]
    others = [i for i, column in enumerate(values) if column is None]
    if others:
        rest = frame.iloc[:, others].to_dict("records")
        for i in others:
            values[i] = [record[columns[i]] for record in rest]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _column_values(column: pd.Series) -> list[Any] | None:
    """A column's values as ``DataFrame.to_dict("records")`` gives them, for the dtypes
    converted a column at a time; None for the others."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        # pandas gives a missing value as the dtype's NaN, or None for pd.NA
        missing: Any = None if dtype.na_value is pd.NA else dtype.na_value
        return column.to_numpy(dtype=object, na_value=missing).tolist()
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return column.to_numpy().tolist()
    return None


def curves_by_pair(curves: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """One curve per plate x analyte (the frame must hold at most one of each)."""
    return {(str(r["plate_id"]), str(r["analyte"])): r for r in records(curves)}


def selected_curves(curves: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """The selected curve of each plate x analyte, as a plain mapping."""
    return curves_by_pair(curves[curves["selected"].astype(bool)])


def curve_params(curve: Mapping[str, Any] | None) -> dict[str, float] | None:
    """The curve's parameters when it converged with finite values, else None."""
    if curve is None or not bool(curve.get("converged")):
        return None
    params = {name: _float(curve.get(name)) for name in PARAMS}
    return params if all(math.isfinite(v) for v in params.values()) else None


# -- the checks -------------------------------------------------------------------------


def plate_checks(
    wells: pd.DataFrame,
    curves: pd.DataFrame,
    rules: Callable[[str], RuleSet],
    kits: Sequence[KitLot] = (),
    units: UnitPlan | None = None,
) -> list[Row]:
    """Every per plate x analyte check of a wells table (``tables.WELLS``).

    ``units`` gives each plate x analyte's unit, which control ranges from kit files
    are converted to (by default the wells' own units and the kits').
    """
    if units is None:
        units = plan_units(plate_units(wells), kits=kits)
    selected = selected_curves(curves)
    study = Study.of(wells, selected)
    rows: list[Row] = []
    for i, key in enumerate(study.keys):
        rows.extend(_checks(study.pair(i), selected.get(key), rules(key[1]), kits, units))
    return rows


def _checks(
    pair: Pair,
    curve: Mapping[str, Any] | None,
    rules: RuleSet,
    kits: Sequence[KitLot],
    units: UnitPlan,
) -> list[Row]:
    params = curve_params(curve)
    rows = [_curve_status(pair, curve, rules)]
    rows += _calibrators(pair, params, rules)
    rows += _replicate_cv(pair, rules)
    rows += _bead_count(pair, rules)
    rows += _blank_signal(pair, curve, params, rules)
    rows += _controls(pair, rules, kits, units)
    rows += _samples(pair, rules)
    return rows


def _curve_status(pair: Pair, curve: Mapping[str, Any] | None, rules: RuleSet) -> Row:
    key = pair.key
    threshold = "converged; warn: " + ", ".join(rules.curve_status_warn)
    if curve is None:
        return row(*key, "curve_status", math.nan, threshold, QcStatus.FAIL, "no curve was fitted")
    status = str(curve["status"])
    reasons = str(curve.get("reasons") or "")
    detail = f"{status}: {reasons}" if reasons else status
    if pair.standards.broken.any():
        return row(
            *key,
            "curve_status",
            math.nan,
            threshold,
            QcStatus.FAIL,
            f"standards flagged {BROKEN_SERIES_FLAG} by the reader; {detail}",
        )
    if status == STATUS_CONVERGED:
        verdict = QcStatus.PASS
    elif status in rules.curve_status_warn and curve_params(curve) is not None:
        verdict = QcStatus.WARN
    else:
        verdict = QcStatus.FAIL
    return row(*key, "curve_status", math.nan, threshold, verdict, detail)


def level_name(conc: float, level: float) -> str:
    """A standard level's short name, as its ``recovery:<name>`` check says it: the
    kit's level number (S1) if known, else the expected concentration."""
    return f"S{int(level)}" if not math.isnan(level) else f"{conc:g}"


def _level_names(standards: Wells) -> dict[float, str]:
    """A short name per expected concentration: the kit's level number (S1) if known."""
    names: dict[float, str] = {}
    for conc, level in zip(standards.expected.tolist(), standards.level.tolist(), strict=True):
        if math.isfinite(conc) and conc > 0 and conc not in names:
            names[conc] = level_name(conc, level)
    return names


def _no_levels(pair: Pair) -> str:
    """Why a plate x analyte has no calibrator level, in the lab's words."""
    n = len(pair.standards.role)
    if n:
        return f"{n} standard well(s), none with an expected concentration above 0"
    if (pair.wells.role == UNASSIGNED).all():
        return (
            "no standard wells: every well is unassigned (a plate map gives the wells their roles)"
        )
    return "no standard wells"


def _calibrators(pair: Pair, params: dict[str, float] | None, rules: RuleSet) -> list[Row]:
    key, standards = pair.key, pair.standards
    names = _level_names(standards)
    if not names:
        return [
            row(
                *key,
                "calibrators",
                0.0,
                f">= {rules.min_calibrators}",
                QcStatus.FAIL,
                _no_levels(pair),
            )
        ]
    fitted = pair.left_out == ""
    fitted_levels = sorted(set(standards.expected[fitted].tolist()))
    rows = [
        row(
            *key,
            "calibrators",
            float(len(fitted_levels)),
            f">= {rules.min_calibrators}",
            QcStatus.PASS if len(fitted_levels) >= rules.min_calibrators else QcStatus.FAIL,
            f"{len(fitted_levels)} of {len(names)} non-zero levels fitted",
        )
    ]
    passing: dict[float, bool] = dict.fromkeys(names, False)
    if params is not None and fitted_levels:
        # level_columns of the fitted standards, their signals grouped for the whole study
        found = pair.levels
        table = back_calculated(params, found.expected, found.count, found.mean_signal, found.cv)
        columns = ("expected", "recovery", "cv", "back", "n", "mean_signal")
        levels = list(zip(*(table[c].tolist() for c in columns), strict=True))
        last = len(levels) - 1
        for i, (expected, recovery, cv, back, n, mean_signal) in enumerate(levels):
            edge = i in (0, last)
            expected_conc = float(expected)
            name = names[expected_conc]
            rec_limit = rules.recovery_limit_edge if edge else rules.recovery_limit
            cv_limit = rules.cv_limit_edge if edge else rules.cv_limit
            recovery, cv, back, n = float(recovery), float(cv), float(back), int(n)
            rec_ok = math.isfinite(recovery) and abs(recovery - 1) <= rec_limit
            cv_ok = not (cv > cv_limit)
            passing[expected_conc] = rec_ok and cv_ok
            rows.append(
                row(
                    *key,
                    f"recovery:{name}",
                    recovery,
                    f"{100 * (1 - rec_limit):.0f}-{100 * (1 + rec_limit):.0f}%",
                    QcStatus.PASS if rec_ok else QcStatus.WARN,
                    f"expected {expected_conc:.4g}, back-calculated {back:.4g} (n={n})"
                    if math.isfinite(back)
                    else f"expected {expected_conc:.4g}; the mean signal "
                    f"{float(mean_signal):.4g} is beyond the curve's asymptote, so it "
                    "has no back-calculated value",
                )
            )
            if n >= 2:
                rows.append(
                    row(
                        *key,
                        f"standard_cv:{name}",
                        cv,
                        f"<= {100 * cv_limit:.0f}%",
                        QcStatus.PASS if cv_ok else QcStatus.WARN,
                        f"CV of {n} replicate signals",
                    )
                )
    left_out: dict[float, set[str]] = {}
    for conc, reason in zip(standards.expected.tolist(), pair.left_out.tolist(), strict=True):
        if reason not in ("", NO_EXPECTED):
            left_out.setdefault(conc, set()).add(reason)
    for conc, reasons in sorted(left_out.items()):
        if conc not in fitted_levels:
            rows.append(
                row(
                    *key,
                    f"recovery:{names[conc]}",
                    math.nan,
                    "fitted",
                    QcStatus.WARN,
                    "not fitted: " + "; ".join(sorted(reasons)),
                )
            )
    share = sum(passing.values()) / len(passing)
    detail = f"{sum(passing.values())} of {len(passing)} levels within recovery and CV limits"
    if params is None:
        detail = "no usable curve to back-calculate the standards"
    rows.append(
        row(
            *key,
            "calibrators_passing",
            share,
            f">= {100 * rules.min_calibrators_passing:.0f}%",
            QcStatus.PASS if share >= rules.min_calibrators_passing else QcStatus.FAIL,
            detail,
        )
    )
    return rows


def _replicate_cv(pair: Pair, rules: RuleSet) -> list[Row]:
    """Median CV of in-range sample and control replicates (concentrations)."""
    cvs = dict(zip(pair.replicates.name.tolist(), pair.replicates.cv.tolist(), strict=True))
    if not cvs:
        return []
    median = pair.replicate_median  # np.median of the CVs
    high = sorted(((cv, name) for name, cv in cvs.items() if cv > rules.cv_limit), reverse=True)
    detail = f"{len(cvs)} replicate groups in range; {len(high)} above {100 * rules.cv_limit:.0f}%"
    if high:
        detail += " (" + ", ".join(f"{name} {100 * cv:.0f}%" for cv, name in high[:5])
        detail += ", ...)" if len(high) > 5 else ")"
    status = QcStatus.PASS if median <= rules.cv_limit else QcStatus.FAIL
    return [
        row(
            *pair.key,
            "replicate_cv",
            median,
            f"median <= {100 * rules.cv_limit:.0f}%",
            status,
            detail,
        )
    ]


def _bead_count(pair: Pair, rules: RuleSet) -> list[Row]:
    counted = ~np.isnan(pair.wells.beads)
    beads = pair.wells.beads[counted]
    if beads.size == 0:
        return []
    median = pair.bead_median  # np.median of the bead counts
    lowest = int(np.argmin(beads))
    n_fail = int((beads < rules.bead_count_fail).sum())
    n_warn = int((beads < rules.bead_count_warn).sum())
    if median < rules.bead_count_fail:
        status = QcStatus.FAIL
    elif median < rules.bead_count_warn or n_fail > rules.max_low_bead_wells * beads.size:
        status = QcStatus.WARN
    else:
        status = QcStatus.PASS
    detail = (
        f"median of {beads.size} wells; lowest {int(beads[lowest])} "
        f"({pair.wells.well[counted][lowest]}); "
        f"{n_fail} wells below {rules.bead_count_fail} (left out of fits and means), "
        f"{n_warn} below {rules.bead_count_warn}"
    )
    threshold = (
        f"median: fail < {rules.bead_count_fail}, warn < {rules.bead_count_warn}; "
        f"warn if over {100 * rules.max_low_bead_wells:.0f}% of wells < {rules.bead_count_fail}"
    )
    return [row(*pair.key, "bead_count", median, threshold, status, detail)]


def _blank_signal(
    pair: Pair,
    curve: Mapping[str, Any] | None,
    params: dict[str, float] | None,
    rules: RuleSet,
) -> list[Row]:
    wells = pair.wells
    signal = wells.signal[(wells.role == Role.BLANK) & wells.usable]
    signal = signal[~np.isnan(signal)]
    if signal.size == 0:
        return []
    blank = float(signal.mean())
    fitted = pair.left_out == ""
    fitted_conc, fitted_signal = pair.standards.expected[fitted], pair.standards.signal[fitted]
    top = math.nan
    if fitted_conc.size:
        top = float(fitted_signal[fitted_conc == fitted_conc.max()].mean())
    lloq = _float(curve.get("lloq")) if curve is not None else math.nan
    at_lloq = (
        float(predict(params, lloq)) if params is not None and math.isfinite(lloq) else math.nan
    )
    increasing = params is None or asymptotes(params)[1] >= asymptotes(params)[0]
    status, notes = QcStatus.PASS, [f"mean of {signal.size} blank wells"]
    if math.isfinite(at_lloq):
        notes.append(f"curve signal at the LLOQ {at_lloq:.4g}")
        if (blank >= at_lloq) if increasing else (blank <= at_lloq):
            status = QcStatus.FAIL
            notes.append("the background reaches the LLOQ")
    if increasing and math.isfinite(top) and top > 0:
        notes.append(f"{100 * blank / top:.1f}% of the top standard's signal {top:.4g}")
        if status == QcStatus.PASS and blank > rules.blank_fraction_warn * top:
            status = QcStatus.WARN
    threshold = (
        f"below the signal at the LLOQ; warn above {100 * rules.blank_fraction_warn:.0f}% "
        "of the top standard"
    )
    return [row(*pair.key, "blank_signal", blank, threshold, status, "; ".join(notes))]


def _controls(pair: Pair, rules: RuleSet, kits: Sequence[KitLot], units: UnitPlan) -> list[Row]:
    key = plate_id, analyte = pair.key
    unit = units.plate_unit(plate_id, analyte)
    wells = pair.wells
    by_name: dict[str, list[int]] = {}
    controls = np.flatnonzero(wells.role == Role.CONTROL)
    for i, name in zip(controls.tolist(), wells.name[controls].tolist(), strict=True):
        by_name.setdefault(name, []).append(i)
    rows: list[Row] = []
    for name, indices in sorted(by_name.items()):
        index = np.asarray(indices, dtype=np.intp)
        conc = wells.concentration[index[wells.usable[index]]]
        conc = conc[~np.isnan(conc)]
        kit = control_range(kits, plate_id, name, analyte)
        nominal = wells.expected[index] * wells.dilution[index]
        nominal = nominal[~np.isnan(nominal)]
        check = f"control:{name}"
        if kit is not None:
            low, high, lot = kit
            source, miss = lot.label, QcStatus.FAIL
            to_plate = units.to_plate(plate_id, analyte, lot.unit)
            if to_plate is None:
                rows.append(
                    row(
                        *key,
                        check,
                        float(conc.mean()) if conc.size else math.nan,
                        f"{low:.4g}-{high:.4g} {lot.unit}",
                        QcStatus.WARN,
                        f"{lot.label} gives the range in {lot.unit}, which cannot be converted "
                        f"to the plate's {label(unit)}",
                        unit,
                    )
                )
                continue
            if to_plate != 1.0:
                low, high = low * to_plate, high * to_plate
                source += f" (range converted from {lot.unit})"
        elif nominal.size and float(nominal[0]) > 0:
            centre = float(nominal[0])
            low = centre * (1 - rules.control_tolerance)
            high = centre * (1 + rules.control_tolerance)
            # Without a certificate the plate map's nominal value is all there is: a
            # miss is worth a look, not a rejected plate.
            source, miss = (
                f"nominal {centre:.4g} +- {100 * rules.control_tolerance:.0f}%",
                QcStatus.WARN,
            )
        else:
            rows.append(
                row(
                    *key,
                    check,
                    float(conc.mean()) if conc.size else math.nan,
                    "no range",
                    QcStatus.WARN,
                    "no expected range: add the control to a kit file (config/kits)",
                    unit,
                )
            )
            continue
        threshold = f"{low:.4g}-{high:.4g}"
        if conc.size == 0:
            rows.append(
                row(*key, check, math.nan, threshold, miss, f"no concentration; {source}", unit)
            )
            continue
        mean = float(conc.mean())
        status = QcStatus.PASS if low <= mean <= high else miss
        rows.append(
            row(*key, check, mean, threshold, status, f"mean of {conc.size} wells; {source}", unit)
        )
    return rows


def _samples(pair: Pair, rules: RuleSet) -> list[Row]:
    counts = pair.samples
    n = counts.n
    if n == 0:
        return []
    share_in = counts.in_range / n
    share_high = counts.high / n
    return [
        row(
            *pair.key,
            "samples_in_range",
            share_in,
            f">= {100 * rules.min_samples_in_range:.0f}%",
            QcStatus.PASS if share_in >= rules.min_samples_in_range else QcStatus.WARN,
            f"{counts.in_range} of {n} sample wells between LLOQ and ULOQ; "
            f"{counts.below} below, {counts.above} above",
        ),
        row(
            *pair.key,
            "saturation",
            share_high,
            f"<= {100 * rules.max_saturated_share:.0f}%",
            QcStatus.PASS if share_high <= rules.max_saturated_share else QcStatus.WARN,
            f"{counts.high} of {n} sample wells above the ULOQ or saturated "
            f"({counts.saturated} saturated in the export)"
            + ("; dilute and rerun them" if counts.high else ""),
        ),
    ]


def _float(value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return math.nan
    return result
