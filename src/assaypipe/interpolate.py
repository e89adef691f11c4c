"""Signals to concentrations through each plate's selected standard curve.

Every well (standards, blanks and controls too, as a back-fit check) is read off the
selected curve of its plate x analyte by the closed-form inverse. The in-well
concentration is multiplied by the well's dilution; censoring compares the in-well
concentration with the curve's LOD, LLOQ and ULOQ, which are in-well units. Each
concentration carries a delta-method standard error and 95% interval (see
:mod:`assaypipe.curves.limits`), and the curve's extrapolation policy decides which
values beyond the standards are reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe import tables
from assaypipe.curves import MODELS, inverse_interval
from assaypipe.curves.model import asymptotes
from assaypipe.errors import AssaypipeBugError
from assaypipe.layout import retag
from assaypipe.vocabulary import CURVE_PARAMS, Censor, WellFlag

NO_CURVE = WellFlag.NO_CURVE.value
# Signals the curve never reaches: at or beyond the zero-dose asymptote (a, or d for
# a curve written with a negative slope), or the infinite-dose one. They are
# censored <LOD and >ULOQ; the flag says why.
BELOW_CURVE = WellFlag.BELOW_CURVE.value
ABOVE_CURVE = WellFlag.ABOVE_CURVE.value
PARAM_NAMES = CURVE_PARAMS
CONFIDENCE = 0.95


def classify_censor(
    conc_in_well: npt.ArrayLike,
    signal: npt.ArrayLike,
    params: Mapping[str, float],
    lloq: float,
    uloq: float,
    lod: float,
) -> npt.NDArray[np.object_]:
    """Censor label of each value: ``"<LOD"``, ``"<LLOQ"``, ``">ULOQ"`` or None.

    The rule, first match wins:

    - signal not finite, or curve parameters not finite: None;
    - signal at or beyond the zero-dose asymptote ``a`` (not above the bottom of an
      increasing curve): ``"<LOD"``;
    - signal at or beyond the infinite-dose asymptote ``d``: ``">ULOQ"``;
    - ``conc_in_well < lod`` (when ``lod`` is finite): ``"<LOD"``;
    - ``conc_in_well < lloq`` (when finite): ``"<LLOQ"``;
    - ``conc_in_well > uloq`` (when finite): ``">ULOQ"``;
    - otherwise None.

    A limit that is NaN censors nothing. ``conc_in_well`` is normally
    ``inverse(params, signal)``; passing it in lets a caller classify a mean of
    replicates the same way.

    >>> p = {"a": 10.0, "b": 1.0, "c": 100.0, "d": 1000.0, "g": 1.0}
    >>> classify_censor([5.0, 50.0, 500.0], [10.0, 340.0, 900.0], p, 20.0, 400.0, 2.0).tolist()
    [<Censor.BELOW_LOD: '<LOD'>, None, <Censor.ABOVE_ULOQ: '>ULOQ'>]
    """
    conc = np.atleast_1d(np.asarray(conc_in_well, dtype=float))
    y = np.atleast_1d(np.asarray(signal, dtype=float))
    conc, y = np.broadcast_arrays(conc, y)
    out = np.full(y.shape, None, dtype=object)
    a, d = asymptotes(params)  # at zero and infinite dose, whatever the slope's sign
    if not all(math.isfinite(float(params.get(k, 1.0))) for k in PARAM_NAMES) or a == d:
        return out
    with np.errstate(invalid="ignore"):
        fraction = (y - a) / (d - a)
        finite = np.isfinite(fraction)
        rules = [
            (finite & (fraction <= 0), Censor.BELOW_LOD),
            (finite & (fraction >= 1), Censor.ABOVE_ULOQ),
            (finite & (conc < lod), Censor.BELOW_LOD),
            (finite & (conc < lloq), Censor.BELOW_LLOQ),
            (finite & (conc > uloq), Censor.ABOVE_ULOQ),
        ]
    # Comparisons with NaN limits are False, so a missing limit censors nothing.
    decided = np.zeros(y.shape, dtype=bool)
    for mask, label in rules:
        hit = mask & ~decided
        out[hit] = label
        decided |= hit
    return out


def _selected_curves(curves: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    chosen = curves[curves["selected"].astype(bool)]
    keys = list(zip(chosen["plate_id"].astype(str), chosen["analyte"].astype(str), strict=True))
    if len(set(keys)) != len(keys):
        raise AssaypipeBugError("curves table has more than one selected curve per plate x analyte")
    rows = cast(list[dict[str, Any]], chosen.to_dict("records"))
    return dict(zip(keys, rows, strict=True))


def _usable(curve: Mapping[str, Any]) -> bool:
    if not bool(curve["converged"]):
        return False
    try:
        values = [float(curve[name]) for name in PARAM_NAMES]
    except (TypeError, ValueError):
        return False
    return all(math.isfinite(v) for v in values)


def _vcov(curve: Mapping[str, Any]) -> npt.NDArray[np.float64]:
    raw = curve.get("vcov")
    if raw is None or (np.ndim(raw) == 0 and pd.isna(raw)):
        return np.full((5, 5), np.nan)
    values = np.asarray(raw, dtype=float)
    return values.reshape(5, 5) if values.size == 25 else np.full((5, 5), np.nan)


def _float(curve: Mapping[str, Any], name: str, default: float = math.nan) -> float:
    value = curve.get(name, default)
    return default if value is None or pd.isna(value) else float(value)


def _reportable(
    in_well: npt.NDArray[np.float64], curve: Mapping[str, Any]
) -> npt.NDArray[np.bool_]:
    """Where the curve's extrapolation policy reports the concentration.

    ``keep``: wherever the curve reaches the signal; ``standards``: between the lowest
    and highest fitted standard; ``none``: between LLOQ and ULOQ (a missing limit
    does not restrict)."""
    policy = str(curve.get("extrapolation") or "keep")
    if policy == "standards":
        low, high = _float(curve, "std_low"), _float(curve, "std_high")
    elif policy == "none":
        low, high = _float(curve, "lloq"), _float(curve, "uloq")
    else:
        return np.ones(in_well.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return ~(in_well < low) & ~(in_well > high)


def interpolate_wells(wells: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Fill ``concentration``, its uncertainty and ``censor`` of every well from its
    selected curve.

    ``concentration`` is ``inverse(signal) * dilution``, NaN where the curve never
    reaches the signal (flagged ``below_curve`` / ``above_curve`` and censored
    ``<LOD`` / ``>ULOQ``) and where the curve's ``extrapolation`` policy does not
    report it (``keep``, the default, reports every value the curve reaches;
    ``standards`` only within the fitted standards' range; ``none`` only between LLOQ
    and ULOQ); ``censor`` follows :func:`classify_censor` with the curve's in-well
    LOD, LLOQ and ULOQ either way. ``conc_se`` is the delta-method standard error of
    the reported concentration (curve parameters' covariance plus the variance of one
    signal under the fit's weights), ``conc_ci_low`` / ``conc_ci_high`` its 95%
    interval on the log scale with Student t on n - k degrees of freedom; NaN where
    the curve has no covariance. Wells whose plate x analyte has no selected
    converged curve get NaN, no censor and the flag ``no_curve`` (which a later run
    with a usable curve removes again). Non-finite signals get NaN and no censor.

    Returns the wells, same rows in the same order, validated by ``tables.WELLS``.
    """
    out = wells.copy()
    n = len(out)
    concentration = np.full(n, np.nan)
    conc_se = np.full(n, np.nan)
    ci_low = np.full(n, np.nan)
    ci_high = np.full(n, np.nan)
    censor = np.full(n, None, dtype=object)
    flags = out["flags"].astype(str).to_numpy(dtype=object)
    signal = pd.to_numeric(out["signal"], errors="coerce").to_numpy(dtype=float)
    dilution = pd.to_numeric(out["dilution"], errors="coerce").to_numpy(dtype=float)
    selected = _selected_curves(curves)

    plate = out["plate_id"].astype(str).to_numpy()
    analyte = out["analyte"].astype(str).to_numpy()
    # Flags from an earlier run describe an earlier curve.
    retag(flags, np.ones(n, dtype=bool), remove=(BELOW_CURVE, ABOVE_CURVE, NO_CURVE))
    no_curve = np.zeros(n, dtype=bool)
    below = np.zeros(n, dtype=bool)
    above = np.zeros(n, dtype=bool)
    groups = pd.Series(np.arange(n)).groupby([plate, analyte], sort=False).indices if n else {}
    for key, positions in groups.items():
        plate_id, analyte_name = cast(tuple[str, str], key)
        rows = np.asarray(positions, dtype=int)
        curve = selected.get((str(plate_id), str(analyte_name)))
        if curve is None or not _usable(curve):
            no_curve[rows] = True
            continue
        params = {k: float(curve[k]) for k in PARAM_NAMES}
        y = signal[rows]
        n_points = int(curve["n_points"])
        df = n_points - MODELS.get(str(curve["model"]), 5)
        rss = _float(curve, "rss")
        sigma2 = rss / df if df > 0 else math.nan
        in_well, se, low, high = inverse_interval(
            params,
            _vcov(curve),
            y,
            sigma2,
            _float(curve, "weight_power", 1.0),
            df,
            CONFIDENCE,
        )
        reported = _reportable(in_well, curve)
        scale = np.where(reported, dilution[rows], np.nan)
        concentration[rows] = in_well * scale
        conc_se[rows] = se * scale
        ci_low[rows] = low * scale
        ci_high[rows] = high * scale
        censor[rows] = classify_censor(
            in_well,
            y,
            params,
            float(curve["lloq"]),
            float(curve["uloq"]),
            float(curve["lod"]),
        )
        at_zero, at_infinity = asymptotes(params)
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = (y - at_zero) / (at_infinity - at_zero)
        below[rows] = fraction <= 0
        above[rows] = fraction >= 1
    for mask, flag in ((no_curve, NO_CURVE), (below, BELOW_CURVE), (above, ABOVE_CURVE)):
        retag(flags, mask, add=flag)

    out["concentration"] = concentration
    position = list(out.columns).index("concentration") + 1
    for offset, (name, values) in enumerate(
        (("conc_se", conc_se), ("conc_ci_low", ci_low), ("conc_ci_high", ci_high))
    ):
        if name in out.columns:
            out[name] = values
        else:
            out.insert(position + offset, name, values)
    out["censor"] = censor
    out["flags"] = flags
    return tables.WELLS.validate(out)
