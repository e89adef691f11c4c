"""Signals to concentrations through each plate's selected standard curve.

Every well (standards, blanks and controls too, as a back-fit check) is read off the
selected curve of its plate x analyte. The in-well concentration is multiplied by the
well's dilution; censoring compares the in-well concentration with the curve's LOD,
LLOQ and ULOQ, which are in-well units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe import tables
from assaypipe.curves import inverse
from assaypipe.errors import AssaypipeBugError

NO_CURVE = "no_curve"
PARAM_NAMES = ("a", "b", "c", "d", "g")


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
    ['<LOD', None, '>ULOQ']
    """
    conc = np.atleast_1d(np.asarray(conc_in_well, dtype=float))
    y = np.atleast_1d(np.asarray(signal, dtype=float))
    conc, y = np.broadcast_arrays(conc, y)
    out = np.full(y.shape, None, dtype=object)
    a = float(params["a"])
    d = float(params["d"])
    if not all(math.isfinite(float(params.get(k, 1.0))) for k in PARAM_NAMES) or a == d:
        return out
    with np.errstate(invalid="ignore"):
        fraction = (y - a) / (d - a)
        finite = np.isfinite(fraction)
        rules = [
            (finite & (fraction <= 0), "<LOD"),
            (finite & (fraction >= 1), ">ULOQ"),
            (finite & (conc < lod), "<LOD"),
            (finite & (conc < lloq), "<LLOQ"),
            (finite & (conc > uloq), ">ULOQ"),
        ]
    # Comparisons with NaN limits are False, so a missing limit censors nothing.
    decided = np.zeros(y.shape, dtype=bool)
    for mask, label in rules:
        hit = mask & ~decided
        out[hit] = label
        decided |= hit
    return out


def _with_flag(flags: str, flag: str, present: bool) -> str:
    tokens = {t for t in str(flags).split(";") if t}
    if present:
        tokens.add(flag)
    else:
        tokens.discard(flag)
    return ";".join(sorted(tokens))


def _selected_curves(curves: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    chosen = curves[curves["selected"].astype(bool)]
    keys = list(zip(chosen["plate_id"].astype(str), chosen["analyte"].astype(str), strict=True))
    if len(set(keys)) != len(keys):
        raise AssaypipeBugError("curves table has more than one selected curve per plate x analyte")
    return {key: row for key, (_, row) in zip(keys, chosen.iterrows(), strict=True)}


def _usable(curve: pd.Series) -> bool:
    if not bool(curve["converged"]):
        return False
    values = pd.to_numeric(curve[list(PARAM_NAMES)], errors="coerce").to_numpy(dtype=float)
    return bool(np.all(np.isfinite(values)))


def interpolate_wells(wells: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Fill ``concentration`` and ``censor`` of every well from its selected curve.

    ``concentration`` is ``inverse(signal) * dilution``, extrapolated values included,
    NaN where the curve never reaches the signal; ``censor`` follows
    :func:`classify_censor` with the curve's in-well LOD, LLOQ and ULOQ. Wells whose
    plate x analyte has no selected converged curve get NaN, no censor and the flag
    ``"no_curve"`` (which a later run with a usable curve removes again). Non-finite
    signals get NaN and no censor.

    Returns the wells, same rows in the same order, validated by ``tables.WELLS``.
    """
    out = wells.copy()
    n = len(out)
    concentration = np.full(n, np.nan)
    censor = np.full(n, None, dtype=object)
    flags = out["flags"].astype(str).to_numpy(dtype=object)
    signal = pd.to_numeric(out["signal"], errors="coerce").to_numpy(dtype=float)
    dilution = pd.to_numeric(out["dilution"], errors="coerce").to_numpy(dtype=float)
    selected = _selected_curves(curves)

    plate = out["plate_id"].astype(str).to_numpy()
    analyte = out["analyte"].astype(str).to_numpy()
    groups = pd.Series(np.arange(n)).groupby([plate, analyte], sort=False).indices if n else {}
    for key, positions in groups.items():
        plate_id, analyte_name = cast(tuple[str, str], key)
        rows = np.asarray(positions, dtype=int)
        curve = selected.get((str(plate_id), str(analyte_name)))
        if curve is None or not _usable(curve):
            for i in rows:
                flags[i] = _with_flag(flags[i], NO_CURVE, present=True)
            continue
        params = {k: float(curve[k]) for k in PARAM_NAMES}
        in_well = inverse(params, signal[rows])
        concentration[rows] = in_well * dilution[rows]
        censor[rows] = classify_censor(
            in_well,
            signal[rows],
            params,
            float(curve["lloq"]),
            float(curve["uloq"]),
            float(curve["lod"]),
        )
        for i in rows:
            # A flag left by an earlier run without a usable curve is stale now.
            if NO_CURVE in str(flags[i]).split(";"):
                flags[i] = _with_flag(flags[i], NO_CURVE, present=False)

    out["concentration"] = concentration
    out["censor"] = censor
    out["flags"] = flags
    return tables.WELLS.validate(out)
