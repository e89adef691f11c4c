"""Checks of one plate x analyte: its calibrators, replicates, beads, blanks, controls,
curve, and where its samples fall. Each check is one row of the QC table.

Statuses mean: ``fail`` makes the plate x analyte fail (its values are left out of the
statistics by default), ``warn`` asks a person to look, ``pass`` is fine. Which check
can give which status is fixed here and listed in docs/qc.md; thresholds come from the
rule set (:mod:`assaypipe.qc.rules`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from assaypipe.curves import STATUS_CONVERGED, level_recovery, predict
from assaypipe.layout import is_usable
from assaypipe.qc.kits import KitLot, control_range
from assaypipe.qc.rules import RuleSet

PARAMS = ("a", "b", "c", "d", "g")
BROKEN_SERIES_FLAG = "broken_dilution_series"
SATURATED_TOKENS = frozenset({"overflow", "oor_high"})
# The curve engine names the standard wells it left out in its reasons, e.g.
# "excluded standard well(s) B1,B2: masked outlier".
_EXCLUDED_STANDARDS = re.compile(r"excluded standard well\(s\) ([A-Za-z0-9,]+): ([^;]+)")

Row = dict[str, Any]


def row(
    plate_id: str | None,
    analyte: str,
    check: str,
    value: float,
    threshold: str,
    status: str,
    detail: str = "",
) -> Row:
    """One QC table row."""
    return {
        "plate_id": plate_id,
        "analyte": analyte,
        "check": check,
        "value": value,
        "threshold": threshold,
        "status": status,
        "detail": detail,
    }


def excluded_standard_wells(reasons: str) -> dict[str, str]:
    """Standard wells the curve engine left out of a fit, with its reason for each.

    >>> excluded_standard_wells("excluded standard well(s) B1,B2: masked outlier")
    {'B1': 'masked outlier', 'B2': 'masked outlier'}
    """
    out: dict[str, str] = {}
    for wells, reason in _EXCLUDED_STANDARDS.findall(str(reasons or "")):
        for well in wells.split(","):
            if well:
                out[well] = reason.strip()
    return out


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as plain dicts keyed by column name."""
    return cast(list[dict[str, Any]], frame.to_dict("records"))


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


def standard_points(group: pd.DataFrame, curve: Mapping[str, Any] | None) -> pd.DataFrame:
    """The plate x analyte's standard wells with ``fitted`` (used by the curve) and
    ``left_out`` (why not: a well flag or the engine's reason; empty when fitted)."""
    standards = group[group["role"] == "standard"].copy()
    engine = excluded_standard_wells(str(curve.get("reasons", "")) if curve is not None else "")
    expected = pd.to_numeric(standards["expected_conc"], errors="coerce").to_numpy(dtype=float)
    signal = pd.to_numeric(standards["signal"], errors="coerce").to_numpy(dtype=float)
    usable = is_usable(standards["flags"]).to_numpy(dtype=bool)
    reasons = []
    for well, flags, conc, value, ok in zip(
        standards["well"].astype(str),
        standards["flags"].astype(str),
        expected,
        signal,
        usable,
        strict=True,
    ):
        if not (math.isfinite(conc) and conc > 0):
            reasons.append("no expected concentration")
        elif not math.isfinite(value):
            reasons.append("no signal")
        elif not ok:
            reasons.append(flags.replace(";", ", "))
        elif well in engine:
            reasons.append(engine[well])
        else:
            reasons.append("")
    standards["left_out"] = reasons
    standards["fitted"] = standards["left_out"] == ""
    return standards


def plate_checks(
    wells: pd.DataFrame,
    curves: pd.DataFrame,
    rules: Callable[[str], RuleSet],
    kits: Sequence[KitLot] = (),
) -> list[Row]:
    """Every per plate x analyte check of a wells table (``tables.WELLS``)."""
    selected = selected_curves(curves)
    rows: list[Row] = []
    for (plate_id, analyte), group in wells.groupby(["plate_id", "analyte"], sort=True):
        key = (str(plate_id), str(analyte))
        rows.extend(_checks(key, group, selected.get(key), rules(key[1]), kits))
    return rows


def _checks(
    key: tuple[str, str],
    group: pd.DataFrame,
    curve: Mapping[str, Any] | None,
    rules: RuleSet,
    kits: Sequence[KitLot],
) -> list[Row]:
    standards = standard_points(group, curve)
    params = curve_params(curve)
    rows = [_curve_status(key, group, curve, rules)]
    rows += _calibrators(key, standards, params, rules)
    rows += _replicate_cv(key, group, rules)
    rows += _bead_count(key, group, rules)
    rows += _blank_signal(key, group, standards, curve, params, rules)
    rows += _controls(key, group, rules, kits)
    rows += _samples(key, group, rules)
    return rows


def _curve_status(
    key: tuple[str, str], group: pd.DataFrame, curve: Mapping[str, Any] | None, rules: RuleSet
) -> Row:
    threshold = "converged; warn: " + ", ".join(rules.curve_status_warn)
    broken = group[
        (group["role"] == "standard") & group["flags"].astype(str).str.contains(BROKEN_SERIES_FLAG)
    ]
    if curve is None:
        return row(*key, "curve_status", math.nan, threshold, "fail", "no curve was fitted")
    status = str(curve["status"])
    reasons = str(curve.get("reasons") or "")
    detail = f"{status}: {reasons}" if reasons else status
    if not broken.empty:
        return row(
            *key,
            "curve_status",
            math.nan,
            threshold,
            "fail",
            f"standards flagged {BROKEN_SERIES_FLAG} by the reader; {detail}",
        )
    if status == STATUS_CONVERGED:
        verdict = "pass"
    elif status in rules.curve_status_warn and curve_params(curve) is not None:
        verdict = "warn"
    else:
        verdict = "fail"
    return row(*key, "curve_status", math.nan, threshold, verdict, detail)


def _level_names(standards: pd.DataFrame) -> dict[float, str]:
    """A short name per expected concentration: the kit's level number (S1) if known."""
    names: dict[float, str] = {}
    for conc, level in zip(
        pd.to_numeric(standards["expected_conc"], errors="coerce"), standards["level"], strict=True
    ):
        if math.isfinite(conc) and conc > 0 and conc not in names:
            names[float(conc)] = f"S{int(level)}" if pd.notna(level) else f"{conc:g}"
    return names


def _calibrators(
    key: tuple[str, str],
    standards: pd.DataFrame,
    params: dict[str, float] | None,
    rules: RuleSet,
) -> list[Row]:
    names = _level_names(standards)
    if not names:
        return [row(*key, "calibrators", 0.0, f">= {rules.min_calibrators}", "fail", "none")]
    fitted = standards[standards["fitted"]]
    expected = pd.to_numeric(fitted["expected_conc"], errors="coerce").to_numpy(dtype=float)
    fitted_levels = sorted(set(expected.tolist()))
    rows = [
        row(
            *key,
            "calibrators",
            float(len(fitted_levels)),
            f">= {rules.min_calibrators}",
            "pass" if len(fitted_levels) >= rules.min_calibrators else "fail",
            f"{len(fitted_levels)} of {len(names)} non-zero levels fitted",
        )
    ]
    passing: dict[float, bool] = dict.fromkeys(names, False)
    if params is not None and fitted_levels:
        signal = pd.to_numeric(fitted["signal"], errors="coerce").to_numpy(dtype=float)
        table = level_recovery(params, expected, signal)
        last = len(table) - 1
        for i, level in enumerate(records(table)):
            edge = i in (0, last)
            expected_conc = float(level["expected"])
            name = names[expected_conc]
            rec_limit = rules.recovery_limit_edge if edge else rules.recovery_limit
            cv_limit = rules.cv_limit_edge if edge else rules.cv_limit
            recovery, cv, back = float(level["recovery"]), float(level["cv"]), float(level["back"])
            n = int(level["n"])
            rec_ok = math.isfinite(recovery) and abs(recovery - 1) <= rec_limit
            cv_ok = not (cv > cv_limit)
            passing[expected_conc] = rec_ok and cv_ok
            rows.append(
                row(
                    *key,
                    f"recovery:{name}",
                    recovery,
                    f"{100 * (1 - rec_limit):.0f}-{100 * (1 + rec_limit):.0f}%",
                    "pass" if rec_ok else "warn",
                    f"expected {expected_conc:.4g}, back-calculated {back:.4g} (n={n})"
                    if math.isfinite(back)
                    else f"expected {expected_conc:.4g}; the mean signal "
                    f"{float(level['mean_signal']):.4g} is beyond the curve's asymptote, so it "
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
                        "pass" if cv_ok else "warn",
                        f"CV of {n} replicate signals",
                    )
                )
    left_out = standards[
        ~standards["fitted"] & (standards["left_out"] != "no expected concentration")
    ]
    for conc, wells in left_out.groupby(pd.to_numeric(left_out["expected_conc"]), sort=True):
        if float(conc) not in fitted_levels:
            rows.append(
                row(
                    *key,
                    f"recovery:{names[float(conc)]}",
                    math.nan,
                    "fitted",
                    "warn",
                    "not fitted: " + "; ".join(sorted(set(wells["left_out"]))),
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
            "pass" if share >= rules.min_calibrators_passing else "fail",
            detail,
        )
    )
    return rows


def _replicate_cv(key: tuple[str, str], group: pd.DataFrame, rules: RuleSet) -> list[Row]:
    """Median CV of in-range sample and control replicates (concentrations)."""
    wells = group[group["role"].isin(["sample", "control"])]
    conc = pd.to_numeric(wells["concentration"], errors="coerce")
    ok = is_usable(wells["flags"]).to_numpy(dtype=bool) & np.isfinite(conc.to_numpy(dtype=float))
    ok &= wells["censor"].isna().to_numpy()
    wells = wells[ok].assign(conc=conc[ok])
    names = wells["sample_id"].fillna(wells["sample_name"]).astype(str)
    cvs: dict[str, float] = {}
    for (name, _dilution), replicates in wells.groupby([names, "dilution"], sort=True):
        values = replicates["conc"].to_numpy(dtype=float)
        if len(values) >= 2 and values.mean() > 0:
            cvs[str(name)] = float(values.std(ddof=1) / values.mean())
    if not cvs:
        return []
    median = float(np.median(list(cvs.values())))
    high = sorted(((cv, name) for name, cv in cvs.items() if cv > rules.cv_limit), reverse=True)
    detail = f"{len(cvs)} replicate groups in range; {len(high)} above {100 * rules.cv_limit:.0f}%"
    if high:
        detail += " (" + ", ".join(f"{name} {100 * cv:.0f}%" for cv, name in high[:5])
        detail += ", ...)" if len(high) > 5 else ")"
    status = "pass" if median <= rules.cv_limit else "fail"
    return [
        row(*key, "replicate_cv", median, f"median <= {100 * rules.cv_limit:.0f}%", status, detail)
    ]


def _bead_count(key: tuple[str, str], group: pd.DataFrame, rules: RuleSet) -> list[Row]:
    beads = pd.to_numeric(group["bead_count"], errors="coerce")
    counted = group[beads.notna()].assign(beads=beads[beads.notna()])
    if counted.empty:
        return []
    median = float(counted["beads"].median())
    lowest = counted.iloc[int(np.argmin(counted["beads"].to_numpy(dtype=float)))]
    n_fail = int((counted["beads"] < rules.bead_count_fail).sum())
    n_warn = int((counted["beads"] < rules.bead_count_warn).sum())
    if median < rules.bead_count_fail:
        status = "fail"
    elif median < rules.bead_count_warn or n_fail > rules.max_low_bead_wells * len(counted):
        status = "warn"
    else:
        status = "pass"
    detail = (
        f"median of {len(counted)} wells; lowest {int(lowest['beads'])} ({lowest['well']}); "
        f"{n_fail} wells below {rules.bead_count_fail} (left out of fits and means), "
        f"{n_warn} below {rules.bead_count_warn}"
    )
    threshold = (
        f"median: fail < {rules.bead_count_fail}, warn < {rules.bead_count_warn}; "
        f"warn if over {100 * rules.max_low_bead_wells:.0f}% of wells < {rules.bead_count_fail}"
    )
    return [row(*key, "bead_count", median, threshold, status, detail)]


def _blank_signal(
    key: tuple[str, str],
    group: pd.DataFrame,
    standards: pd.DataFrame,
    curve: Mapping[str, Any] | None,
    params: dict[str, float] | None,
    rules: RuleSet,
) -> list[Row]:
    blanks = group[(group["role"] == "blank") & is_usable(group["flags"]).to_numpy(dtype=bool)]
    signal = pd.to_numeric(blanks["signal"], errors="coerce").dropna()
    if signal.empty:
        return []
    blank = float(signal.mean())
    fitted = standards[standards["fitted"]]
    top_conc = pd.to_numeric(fitted["expected_conc"], errors="coerce").max()
    top = pd.to_numeric(fitted.loc[fitted["expected_conc"] == top_conc, "signal"]).mean()
    lloq = _float(curve.get("lloq")) if curve is not None else math.nan
    at_lloq = (
        float(predict(params, lloq)) if params is not None and math.isfinite(lloq) else math.nan
    )
    increasing = params is None or params["d"] >= params["a"]
    status, notes = "pass", [f"mean of {len(signal)} blank wells"]
    if math.isfinite(at_lloq):
        notes.append(f"curve signal at the LLOQ {at_lloq:.4g}")
        if (blank >= at_lloq) if increasing else (blank <= at_lloq):
            status = "fail"
            notes.append("the background reaches the LLOQ")
    if increasing and math.isfinite(top) and top > 0:
        notes.append(f"{100 * blank / top:.1f}% of the top standard's signal {top:.4g}")
        if status == "pass" and blank > rules.blank_fraction_warn * top:
            status = "warn"
    threshold = (
        f"below the signal at the LLOQ; warn above {100 * rules.blank_fraction_warn:.0f}% "
        "of the top standard"
    )
    return [row(*key, "blank_signal", blank, threshold, status, "; ".join(notes))]


def _controls(
    key: tuple[str, str], group: pd.DataFrame, rules: RuleSet, kits: Sequence[KitLot]
) -> list[Row]:
    plate_id, analyte = key
    controls = group[group["role"] == "control"]
    rows: list[Row] = []
    names = controls["sample_id"].fillna(controls["sample_name"]).astype(str)
    for name, wells in controls.groupby(names, sort=True):
        name = str(name)
        usable = wells[is_usable(wells["flags"]).to_numpy(dtype=bool)]
        conc = pd.to_numeric(usable["concentration"], errors="coerce").dropna()
        kit = control_range(kits, plate_id, name, analyte)
        expected = pd.to_numeric(wells["expected_conc"], errors="coerce")
        dilution = pd.to_numeric(wells["dilution"], errors="coerce")
        nominal = (expected * dilution).dropna()
        check = f"control:{name}"
        if kit is not None:
            low, high, lot = kit
            source, miss = lot.label, "fail"
        elif not nominal.empty and float(nominal.iloc[0]) > 0:
            centre = float(nominal.iloc[0])
            low = centre * (1 - rules.control_tolerance)
            high = centre * (1 + rules.control_tolerance)
            # Without a certificate the plate map's nominal value is all there is: a
            # miss is worth a look, not a rejected plate.
            source, miss = f"nominal {centre:.4g} +- {100 * rules.control_tolerance:.0f}%", "warn"
        else:
            rows.append(
                row(
                    *key,
                    check,
                    float(conc.mean()) if not conc.empty else math.nan,
                    "no range",
                    "warn",
                    "no expected range: add the control to a kit file (config/kits)",
                )
            )
            continue
        threshold = f"{low:.4g}-{high:.4g}"
        if conc.empty:
            rows.append(row(*key, check, math.nan, threshold, miss, f"no concentration; {source}"))
            continue
        mean = float(conc.mean())
        status = "pass" if low <= mean <= high else miss
        rows.append(
            row(*key, check, mean, threshold, status, f"mean of {len(conc)} wells; {source}")
        )
    return rows


def _samples(key: tuple[str, str], group: pd.DataFrame, rules: RuleSet) -> list[Row]:
    wells = group[group["role"] == "sample"]
    signal = pd.to_numeric(wells["signal"], errors="coerce")
    measured = wells[signal.notna() | wells["token"].isin(SATURATED_TOKENS)]
    if measured.empty:
        return []
    conc = pd.to_numeric(measured["concentration"], errors="coerce")
    censor = measured["censor"]
    n = len(measured)
    in_range = int((conc.notna() & censor.isna()).sum())
    below = int(censor.isin(["<LLOQ", "<LOD"]).sum())
    above = int((censor == ">ULOQ").sum())
    saturated = int(measured["token"].isin(SATURATED_TOKENS).sum())
    high = int(((censor == ">ULOQ") | measured["token"].isin(SATURATED_TOKENS)).sum())
    share_in = in_range / n
    share_high = high / n
    return [
        row(
            *key,
            "samples_in_range",
            share_in,
            f">= {100 * rules.min_samples_in_range:.0f}%",
            "pass" if share_in >= rules.min_samples_in_range else "warn",
            f"{in_range} of {n} sample wells between LLOQ and ULOQ; {below} below, {above} above",
        ),
        row(
            *key,
            "saturation",
            share_high,
            f"<= {100 * rules.max_saturated_share:.0f}%",
            "pass" if share_high <= rules.max_saturated_share else "warn",
            f"{high} of {n} sample wells above the ULOQ or saturated "
            f"({saturated} saturated in the export)" + ("; dilute and rerun them" if high else ""),
        ),
    ]


def _float(value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return math.nan
    return result
