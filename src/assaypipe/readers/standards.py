"""Is each analyte's standard series a plausible dilution series?

Kit protocols are typed by hand, and exports garble numbers: drLumi's xPONENT export
writes 215.625 as ``215625``. A curve fitted through such a point is wrong without
any error, so the reader checks the expected concentrations before anything is fitted.

The rule is :func:`assaypipe.curves.series.off_series_levels`, the one the curve fit
also applies (per analyte, over the standards' distinct levels with an expected
concentration above 0, in level order, or by concentration when levels are absent): a
level more than 10-fold off the robust line through the series on a log scale, one that
breaks the order, or an end level whose step differs from the series' median step by
more than 4-fold is implausible. At least three levels are needed to judge.

An implausible series does not reject the plate: every standard of that analyte gets
the flag ``broken_dilution_series`` (QC fails that analyte), the offending level's
wells also get ``implausible_expected_conc``, and one rejected row per level says
which file, analyte and level, and what to do. Standards whose expected
concentrations are all missing or 0 are flagged and reported the same way.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from assaypipe.curves.series import off_series_levels
from assaypipe.errors import InputError, shortened
from assaypipe.layout import retag
from assaypipe.readers.columns import texts
from assaypipe.vocabulary import Role, WellFlag

__all__ = [
    "BROKEN_SERIES",
    "IMPLAUSIBLE_LEVEL",
    "check_standards",
    "checked_standards",
    "implausible_levels",
]

BROKEN_SERIES: Final = WellFlag.BROKEN_DILUTION_SERIES.value
IMPLAUSIBLE_LEVEL: Final = WellFlag.IMPLAUSIBLE_EXPECTED_CONC.value


def implausible_levels(levels: np.ndarray, concentrations: np.ndarray) -> list[int]:
    """Positions (into the given arrays, already in series order) of implausible levels:
    :func:`~assaypipe.curves.series.off_series_levels`.

    >>> implausible_levels(np.arange(5), np.array([3450, 1725, 862.5, 431.25, 215625]))
    [4]
    >>> implausible_levels(np.arange(5), np.array([100, 40, 12, 3, 1.0]))
    []
    """
    key = (
        tuple(np.asarray(levels, dtype=float).ravel().tolist()),
        tuple(np.asarray(concentrations, dtype=float).ravel().tolist()),
    )
    return list(_off_series(*key))


@functools.lru_cache(maxsize=1024)
def _off_series(levels: tuple[float, ...], concentrations: tuple[float, ...]) -> tuple[int, ...]:
    # A kit's standard series repeats on every plate it is run on: each is judged once.
    return tuple(off_series_levels(np.array(levels), np.array(concentrations)))


def check_standards(wells: pd.DataFrame, source_file: str) -> tuple[pd.DataFrame, list[InputError]]:
    """Wells with standards flagged where the series is implausible, and the reasons."""
    flags, problems = checked_standards(
        {name: wells[name] for name in ("role", "analyte", "level", "expected_conc", "flags")},
        source_file,
    )
    if flags is None:
        return wells, problems
    out = wells.copy()
    out["flags"] = pd.Series(flags, index=out.index, dtype=object)
    return out, problems


def checked_standards(
    wells: Mapping[str, Any], source_file: str
) -> tuple[np.ndarray | None, list[InputError]]:
    """`check_standards` over a plate's columns (`role`, `analyte`, `level`,
    `expected_conc`, `flags`): the flags (None when unchanged) and the reasons."""
    is_standard = np.asarray(wells["role"], dtype=object) == Role.STANDARD
    if not is_standard.any():
        return None, []
    rows = np.flatnonzero(is_standard)
    names = texts(wells["analyte"])
    level, conc = wells["level"], wells["expected_conc"]
    if isinstance(level, pd.arrays.IntegerArray) and isinstance(conc, np.ndarray):
        # The columns as the readers give them: no conversion needed.
        all_levels = level.to_numpy(dtype=float, na_value=np.nan)
        all_concs = conc.astype(float, copy=False)
        level_list, conc_list = level[rows].tolist(), all_concs[rows].tolist()
    else:
        levels = pd.Series(level, copy=False)
        all_levels = levels.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        all_concs = pd.Series(conc, copy=False).astype(float).to_numpy()
        level_list = levels.astype("Int64").iloc[rows].tolist()
        conc_list = all_concs[rows].tolist()
    keys = _level_keys(level_list, conc_list)
    # One entry per analyte and level (the first well of each), grouped by analyte in
    # the order the analytes first appear.
    groups: dict[str, list[int]] = {}
    seen: set[tuple[str, str]] = set()
    for row, key in zip(rows.tolist(), keys, strict=True):
        analyte = names[row]
        if (analyte, key) in seen:
            continue
        seen.add((analyte, key))
        if isinstance(analyte, str):  # a missing analyte is no group (as in groupby)
            groups.setdefault(analyte, []).append(row)
    key_of = dict(zip(rows.tolist(), keys, strict=True))
    problems: list[InputError] = []
    broken: list[str] = []
    bad_levels: list[str] = []
    no_conc: list[str] = []
    for analyte, members in groups.items():
        index = np.array(members, dtype=int)
        conc = all_concs[index]
        usable = index[np.isfinite(conc) & (conc > 0)]
        if not len(usable):
            no_conc.append(str(analyte))
            continue
        level_keys = np.array([key_of[row] for row in usable.tolist()], dtype=object)
        series = _series(all_levels[usable], all_concs[usable], level_keys)
        positions = implausible_levels(series.order, series.conc)
        if positions:
            broken.append(str(analyte))
        for position in positions:
            bad_levels.append(f"{analyte}\x1f{series.keys[position]}")
            problems.append(_level_problem(source_file, str(analyte), series, position))
    if no_conc:
        broken.extend(no_conc)
        problems.extend(_no_concentration_problems(source_file, no_conc, wells["analyte"]))
    if not broken:
        return None, problems
    flags = np.array(wells["flags"], dtype=object)
    retag(flags, is_standard & np.isin(names, broken), add=BROKEN_SERIES)
    combined = np.full(len(names), "", dtype=object)
    combined[is_standard] = names[is_standard] + "\x1f" + np.array(keys, dtype=object)
    retag(flags, np.isin(combined, bad_levels), add=IMPLAUSIBLE_LEVEL)
    return flags, problems


def _level_keys(levels: list[Any], concs: list[float]) -> list[str]:
    # A level number where the export gives one, else the concentration names the level.
    return [
        str(level) if level is not pd.NA else "conc " + ("" if math.isnan(conc) else str(conc))
        for level, conc in zip(levels, concs, strict=True)
    ]


@dataclass(frozen=True, eq=False)
class _Series:
    """An analyte's usable standard levels in series order."""

    order: np.ndarray
    levels: np.ndarray
    conc: np.ndarray
    keys: np.ndarray


def _series(levels: np.ndarray, conc: np.ndarray, keys: np.ndarray) -> _Series:
    """By level number, or by falling concentration when the export gives no levels."""
    if np.isfinite(levels).all():
        sort = np.lexsort((conc, levels))
        order = levels[sort]
    else:
        sort = np.argsort(-conc, kind="stable")
        order = np.arange(len(conc), dtype=float)
    return _Series(order=order, levels=levels[sort], conc=conc[sort], keys=keys[sort])


_MOST_DIGITS_LOST: Final = 15


def _level_problem(file: str, analyte: str, series: _Series, position: int) -> InputError:
    label = _label(series.levels[position])
    neighbours = [
        f"{_label(series.levels[p])}: {_number(series.conc[p])}"
        for p in (position - 1, position + 1)
        if 0 <= p < len(series.conc)
    ]
    fold = _fold_off(series, position)
    hint = ""
    # A lost decimal point moves a value by a few digits: a fold beyond the 15 a double
    # holds is no such slip (10 to its power, for a standard numbered in the millions,
    # took hours to compute).
    if fold is not None and 2 <= abs(fold) <= _MOST_DIGITS_LOST:
        power = round(fold)
        if abs(fold - power) < 0.2:
            hint = f", about {10 ** abs(power):g}-fold off, as if a decimal point were lost"
    return InputError(
        file,
        f"the expected concentration {_number(series.conc[position])} of {label} does not "
        f"fit the dilution series of the other standards ({'; '.join(neighbours)}){hint}; "
        f"the analyte's standards are flagged {BROKEN_SERIES}: correct the concentration "
        "in the instrument protocol, or give the series in a kit file (standards) or the "
        "concentrations in a plate map",
        where=f"analyte {analyte}, {label}",
    )


def _fold_off(series: _Series, position: int) -> float | None:
    """Log10 of how far the level lies from the line through the other levels."""
    others = np.delete(np.arange(len(series.conc)), position)
    if len(others) < 2:
        return None
    x = series.order
    y = np.log10(series.conc)
    slope, intercept = np.polyfit(x[others], y[others], 1)
    return float(y[position] - (intercept + slope * x[position]))


def _no_concentration_problems(file: str, analytes: list[str], names: Any) -> list[InputError]:
    problem = (
        "expected concentrations are all missing or 0, so no curve can be fitted; enter "
        "the standard concentrations in the instrument protocol and export again, or give "
        "them in a kit file (standards) or a plate map"
    )
    every = pd.unique(np.asarray(names, dtype=object))
    if len(analytes) > 1 and set(analytes) == set(every):
        message = f"every analyte has standards but their {problem}"
        return [InputError(file, message, where="standards")]
    return [
        InputError(file, f"the standards' {problem}", where=f"analyte {shortened(name)}")
        for name in analytes
    ]


def _label(level: float) -> str:
    return f"standard level {int(level)}" if np.isfinite(level) else "a standard"


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.6g}"
