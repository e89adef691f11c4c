"""Levey-Jennings series across plates, judged by Westgard rules against a guide set.

Per analyte, the series are every control (mean concentration of its usable wells on
the plate), ``c`` and ``d`` of the plate's 4PL fit (comparable whichever model was
selected), and the mean signal of the top standard. Concentrations (controls, ``c``)
are in the analyte's study unit (:mod:`assaypipe.units`); a plate whose unit cannot be
converted to it has no point in those series. Plates are put in run order
(the export's run time, then plate_id). The guide set, whose mean and SD define the
chart's lines, is either the first ``guide_plates`` plates of each series within each kit
lot (:func:`plate_lots`; or of the study) or the plates between two named ones
(``guide_range``, inclusive). Guide plates are never judged; a lot with fewer than
``guide_plates`` plates has no limits, and none of its plates is judged. A series with
fewer than :data:`MIN_GUIDE` guide values, or with no spread among them, has no limits
and so no Westgard checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from assaypipe import tables
from assaypipe.curves import asymptotes
from assaypipe.errors import InputError
from assaypipe.kits import KitLot
from assaypipe.qc.checks import (
    Row,
    curve_params,
    curves_by_pair,
    records,
    row,
    selected_curves,
)
from assaypipe.qc.index import group_order, usable_mask
from assaypipe.qc.rules import RuleSet
from assaypipe.qc.westgard import RULES, rule_status, westgard, within_run
from assaypipe.settings import DEFAULTS
from assaypipe.units import UnitPlan, plan_units, plate_units
from assaypipe.vocabulary import QcStatus, Role, SeriesKind

MIN_GUIDE = 3
CURVE_SERIES = {"curve_c": "c", "curve_d": "d"}
TOP_STANDARD = "top_standard"


def run_order(plates: pd.DataFrame, plate_ids: Collection[str]) -> pd.Series:
    """Run index (0, 1, ...) of each plate id, by the export's run time then plate_id.

    A plate without a readable run time goes after those with one. Exports write times
    with and without a time zone (ISO 8601 with an offset, or local time): both are
    read as UTC, so one study's plates can be ordered at all.
    """
    known = plates[plates["plate_id"].isin(plate_ids)].drop_duplicates("plate_id")
    times = pd.to_datetime(known["run_time"], format="mixed", errors="coerce", utc=True)
    frame = pd.DataFrame({"plate_id": known["plate_id"].astype(str), "time": times.to_numpy()})
    missing = sorted(set(plate_ids) - set(frame["plate_id"]))
    frame = pd.concat(
        [frame, pd.DataFrame({"plate_id": missing, "time": pd.NaT})], ignore_index=True
    )
    frame = frame.sort_values(["time", "plate_id"], na_position="last", kind="stable")
    return pd.Series(range(len(frame)), index=frame["plate_id"].to_numpy(), name="run_index")


def series_values(
    wells: pd.DataFrame, curves: pd.DataFrame, units: UnitPlan | None = None
) -> pd.DataFrame:
    """One value per analyte x series x plate: columns analyte, series, kind, plate_id,
    value, unit (``units``: the study's unit plan, by default the wells' own units)."""
    if units is None:
        units = plan_units(plate_units(wells))
    parts: list[dict[str, Any]] = []
    # the columns read below, rather than every column of a study's wells
    read = ["plate_id", "analyte", "role", "sample_id", "sample_name"]
    read += ["concentration", "expected_conc", "signal"]
    usable = wells.loc[usable_mask(wells["flags"]), read]

    controls = usable[usable["role"] == Role.CONTROL]
    controls = controls.assign(name=controls["sample_id"].fillna(controls["sample_name"]))
    keys = ["analyte", "name", "plate_id"]
    order, bounds = group_order(controls, keys)
    conc = pd.to_numeric(controls["concentration"], errors="coerce").to_numpy(dtype=float)[order]
    firsts = controls[keys].to_numpy(dtype=object)[order][bounds[:-1]]
    for (analyte, name, plate_id), start, stop in zip(firsts, bounds[:-1], bounds[1:], strict=True):
        values = conc[start:stop]
        values = values[~np.isnan(values)]
        if values.size:
            parts.append(_value(analyte, name, SeriesKind.CONTROL, plate_id, float(values.mean())))

    for (plate_id, analyte), curve in sorted(_comparable_curves(curves).items()):
        params = curve_params(curve)
        if params is not None:
            # d charts the infinite-dose response, which a curve written with a
            # negative slope (vendor preset) holds in a
            charted = {**params, "d": asymptotes(params)[1]}
            for series, param in CURVE_SERIES.items():
                parts.append(
                    _value(analyte, series, SeriesKind.PARAMETER, plate_id, charted[param])
                )

    standards = usable[usable["role"] == Role.STANDARD]
    expected = pd.to_numeric(standards["expected_conc"], errors="coerce").to_numpy(dtype=float)
    standards = standards[expected > 0]
    order, bounds = group_order(standards, ["plate_id", "analyte"])
    expected = expected[expected > 0][order]
    signal = pd.to_numeric(standards["signal"], errors="coerce").to_numpy(dtype=float)[order]
    firsts = standards[["plate_id", "analyte"]].to_numpy(dtype=object)[order][bounds[:-1]]
    for (plate_id, analyte), start, stop in zip(firsts, bounds[:-1], bounds[1:], strict=True):
        levels = expected[start:stop]
        top = signal[start:stop][levels == levels.max()]
        top = top[~np.isnan(top)]
        if top.size:
            parts.append(
                _value(analyte, TOP_STANDARD, SeriesKind.STANDARD, plate_id, float(top.mean()))
            )
    columns = ["analyte", "series", "kind", "plate_id", "value"]
    return _in_study_units(pd.DataFrame(parts, columns=columns), units, _signal_kinds(wells))


def _signal_kinds(wells: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The signal kind (``Median MFI``, ``OD450``) of each plate x analyte's wells."""
    if "signal_kind" not in wells:
        return {}
    first = wells[["plate_id", "analyte", "signal_kind"]].drop_duplicates(["plate_id", "analyte"])
    keys = zip(
        first["plate_id"].astype(str).tolist(), first["analyte"].astype(str).tolist(), strict=True
    )
    return dict(zip(keys, first["signal_kind"].fillna("").astype(str).tolist(), strict=True))


def _in_study_units(
    values: pd.DataFrame, units: UnitPlan, signal_kinds: dict[tuple[str, str], str]
) -> pd.DataFrame:
    """Concentrations (controls, c) brought to the study unit; signals (d, the top
    standard) get their signal kind as unit."""
    kind, series = values["kind"], values["series"]
    concentration = (
        (kind == SeriesKind.CONTROL) | ((kind == SeriesKind.PARAMETER) & (series == "curve_c"))
    ).to_numpy()
    factors, study = units.to_study(values)
    keep = ~concentration | np.isfinite(factors)
    scaled = values["value"].to_numpy(dtype=float) * np.where(concentration, factors, 1.0)
    kinds = [
        signal_kinds.get((str(plate), str(analyte)), "")
        for plate, analyte in zip(
            values["plate_id"].tolist(), values["analyte"].tolist(), strict=True
        )
    ]
    out = values.assign(value=scaled, unit=np.where(concentration, study, kinds))
    kept: pd.DataFrame = out.loc[keep]
    return kept.reset_index(drop=True)


def _comparable_curves(curves: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """The curve of each plate x analyte whose c and d can be compared across plates.

    A 5PL's c and d trade off against its asymmetry g, so plates where the 5PL was
    selected are not comparable with plates where the 4PL was. The 4PL is fitted on
    every plate whenever it is among the models, so its fit is charted; without it, the
    selected fit (then all of one model).
    """
    four = curves[curves["model"] == "4PL"]
    return curves_by_pair(four) if not four.empty else selected_curves(curves)


def _value(analyte: Any, series: Any, kind: str, plate_id: Any, value: float) -> dict[str, Any]:
    return {
        "analyte": str(analyte),
        "series": str(series),
        "kind": kind,
        "plate_id": str(plate_id),
        "value": value,
    }


def plate_lots(
    plates: pd.DataFrame, plate_ids: Collection[str], kits: Sequence[KitLot] = ()
) -> dict[str, str]:
    """The kit lot of each plate: the lot of the first kit file whose ``plates`` patterns
    match it (the lab's own statement), else the lot its export states, else ""."""
    stated: dict[str, str] = {}
    if "kit_lot" in plates:
        known = plates.drop_duplicates("plate_id")
        known_ids = known["plate_id"].astype(str).tolist()
        for plate, lot in zip(known_ids, known["kit_lot"].tolist(), strict=True):
            stated[plate] = "" if pd.isna(lot) else str(lot).strip()
    lots = {}
    for plate in plate_ids:
        kit = next((k for k in sorted(kits, key=lambda k: k.path) if k.used_on(plate)), None)
        lots[plate] = kit.lot if kit is not None else stated.get(plate, "")
    return lots


def levey_jennings(
    values: pd.DataFrame,
    order: pd.Series,
    guide_plates: int = DEFAULTS.qc.guide_plates,
    guide_range: Sequence[str] = (),
    rules: Collection[str] = RULES,
    lots: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The Levey-Jennings table (``tables.LEVEY_JENNINGS``) of :func:`series_values`.

    The guide set of a series is the plates of ``guide_range`` (first and last plate_id,
    inclusive, in run order), else its first ``guide_plates`` plates within each kit lot
    of ``lots`` (plate_id -> lot; one group when None). Guide plates are never judged:
    the others are, against their group's guide mean and SD. A lot with fewer than
    ``guide_plates`` plates in a series has no complete guide set, so none of its plates
    is judged (and its ``mean``/``sd`` are null).

    >>> values = pd.DataFrame({"analyte": "A", "series": "C1", "kind": "control",
    ...     "plate_id": list("pqrstu"), "value": [10.0, 11, 9, 10, 30, 10]})
    >>> order = pd.Series(range(6), index=list("pqrstu"))
    >>> table = levey_jennings(values, order, guide_plates=3,
    ...     lots={"p": "L1", "q": "L1", "r": "L1", "s": "L1", "t": "L1", "u": "L2"})
    >>> table["guide"].tolist()
    [True, True, True, False, False, True]
    >>> table["judged"].tolist()
    [False, False, False, True, True, False]
    >>> table["status"].tolist()
    ['pass', 'pass', 'pass', 'pass', 'fail', 'pass']
    """
    if values.empty:
        return tables.empty(tables.LEVEY_JENNINGS)
    frame = values.assign(run_index=values["plate_id"].map(order).astype("int64"))
    if "unit" not in frame:
        frame["unit"] = ""
    by_lot = lots is not None and not guide_range
    frame["lot"] = frame["plate_id"].map(lots).fillna("") if by_lot and lots else ""
    in_range = _guide_range_mask(frame, order, guide_range)
    parts: list[pd.DataFrame] = []
    found: list[set[str]] = []
    for _, group in frame.groupby(["analyte", "kind", "series", "lot"], sort=True):
        ordered = group.sort_values("run_index")
        value = ordered["value"].to_numpy(dtype=float)
        if guide_range:
            guide = in_range[ordered.index].to_numpy(dtype=bool)
            complete = True
        else:
            guide = np.arange(len(ordered)) < guide_plates
            complete = len(ordered) >= guide_plates
        guide_values = value[guide & np.isfinite(value)]
        limits = complete and guide_values.size >= MIN_GUIDE
        mean = float(guide_values.mean()) if limits else math.nan
        sd = float(guide_values.std(ddof=1)) if limits else math.nan
        z = np.full(len(ordered), math.nan)
        judged = np.zeros(len(ordered), dtype=bool)
        if limits and sd > 0:
            judged = ~guide
            z = np.where(judged, (value - mean) / sd, math.nan)
            found.extend(set(hits) for hits in westgard(z.tolist(), rules))
        else:
            found.extend(set() for _ in range(len(ordered)))
        parts.append(ordered.assign(guide=guide, judged=judged, mean=mean, sd=sd, z=z))
    table = pd.concat(parts, ignore_index=True)
    _add_within_run(table, found, rules)
    table["status"] = [rule_status(hits) for hits in found]
    table["rules"] = [";".join(rule for rule in RULES if rule in hits) for hits in found]
    table = table.sort_values(["analyte", "kind", "series", "run_index"], kind="stable")
    return tables.LEVEY_JENNINGS.validate(table[list(tables.LEVEY_JENNINGS.columns)])


def guide_sets(table: pd.DataFrame) -> pd.DataFrame:
    """Per analyte x kit lot: plates charted, in a guide set, judged, and whether every
    series of the lot has a complete guide set (columns analyte, lot, plates, guide,
    judged, complete), in order of the lot's first plate."""
    columns = ["analyte", "lot", "plates", "guide", "judged", "complete"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (analyte, lot), group in table.groupby(["analyte", "lot"], sort=False):
        rows.append(
            {
                "analyte": analyte,
                "lot": lot,
                "first": int(group["run_index"].min()),
                "plates": group["plate_id"].nunique(),
                "guide": group.loc[group["guide"], "plate_id"].nunique(),
                "judged": group.loc[group["judged"], "plate_id"].nunique(),
                "complete": bool(group.groupby("series")["mean"].first().notna().all()),
            }
        )
    out = pd.DataFrame(rows).sort_values(["analyte", "first", "lot"], kind="stable")
    return out[columns].reset_index(drop=True)


def _guide_range_mask(
    frame: pd.DataFrame, order: pd.Series, guide_range: Sequence[str]
) -> pd.Series:
    if not guide_range:
        return pd.Series(False, index=frame.index)
    if len(guide_range) != 2:
        raise InputError(
            "config/config.yaml",
            f"qc.guide_range takes the first and last plate_id of the guide set, "
            f"found {list(guide_range)}",
        )
    unknown = [plate for plate in guide_range if plate not in order.index]
    if unknown:
        raise InputError(
            "config/config.yaml",
            f"qc.guide_range names plate(s) {', '.join(unknown)}, which were not read; "
            f"plates in run order start {', '.join(map(str, order.index[:3]))}",
        )
    first, last = sorted(int(order[plate]) for plate in guide_range)
    return frame["run_index"].between(first, last)


def _add_within_run(table: pd.DataFrame, found: list[set[str]], rules: Collection[str]) -> None:
    """Add the within-run rules across an analyte's control levels to ``found``, whose
    items follow the rows of ``table`` (a frame with a 0..n-1 index)."""
    controls = table[(table["kind"] == SeriesKind.CONTROL) & table["z"].notna()]
    order, bounds = group_order(controls, ["analyte", "plate_id"])
    positions = controls.index.to_numpy()[order].tolist()
    names = controls["series"].astype(str).to_numpy(dtype=object)[order].tolist()
    z = controls["z"].to_numpy(dtype=float)[order].tolist()
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if stop - start < 2:
            continue
        run = names[start:stop]
        hits = within_run(dict(zip(run, z[start:stop], strict=True)), rules)
        for position, series in zip(positions[start:stop], run, strict=True):
            found[int(position)] |= set(hits.get(series, ()))


def westgard_checks(table: pd.DataFrame) -> list[Row]:
    """One QC row per plate x analyte x series that has Westgard limits."""
    rows: list[Row] = []
    keys = ["analyte", "kind", "series", "lot"]
    guide_counts = table[table["guide"]].groupby(keys)["value"].count().to_dict()
    judged = table[table["judged"] & table["z"].notna()]
    for record in records(judged):
        # Signals (d, the top standard) carry their signal kind, not a unit of the checks.
        unit = str(record["unit"]) if _is_concentration(record) else ""
        n_guide = int(guide_counts.get(tuple(record[key] for key in keys), 0))
        detail = f"z = {record['z']:+.2f}"
        if record["rules"]:
            detail += f"; Westgard {record['rules'].replace(';', ', ')}"
        rows.append(
            row(
                str(record["plate_id"]),
                str(record["analyte"]),
                f"levey_jennings:{record['series']}",
                float(record["value"]),
                f"guide mean {record['mean']:.4g}, SD {record['sd']:.4g} (n={n_guide}"
                + (f", lot {record['lot']})" if record["lot"] else ")"),
                str(record["status"]),
                detail,
                unit,
            )
        )
    return rows


def _is_concentration(record: Mapping[Any, Any]) -> bool:
    return bool(record["kind"] == SeriesKind.CONTROL or record["series"] == "curve_c")


def inter_plate_cv(values: pd.DataFrame, rules: Callable[[str], RuleSet]) -> list[Row]:
    """CV of each control's plate means across plates (analyte-level rows, no plate_id)."""
    rows: list[Row] = []
    controls = values[values["kind"] == SeriesKind.CONTROL]
    for (analyte, name), series in controls.groupby(["analyte", "series"], sort=True):
        found = series["value"].to_numpy(dtype=float)
        found = found[np.isfinite(found)]
        if found.size < 2 or found.mean() <= 0:
            continue
        cv = float(found.std(ddof=1) / found.mean())
        limit = rules(str(analyte)).inter_plate_cv_limit
        rows.append(
            row(
                None,
                str(analyte),
                f"inter_plate_cv:{name}",
                cv,
                f"<= {100 * limit:.0f}%",
                QcStatus.PASS if cv <= limit else QcStatus.WARN,
                f"{found.size} plates, mean {found.mean():.4g}",
            )
        )
    return rows
