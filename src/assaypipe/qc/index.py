"""The study's wells indexed by plate x analyte, for the checks (:mod:`assaypipe.qc.checks`).

Studies have thousands of plates, so the wells table is read once: :class:`Study` holds
the columns the checks need as numpy arrays, the rows of each plate x analyte together,
and computes what the checks aggregate over groups of wells (the replicate CVs, the
sample counts) for every plate x analyte at once, with the same arithmetic as one group
at a time; each check then reads its plate x analyte's slices (:class:`Pair`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe.curves.excluded import parse_excluded_wells
from assaypipe.curves.limits import level_signals
from assaypipe.layout import MASKED_REASON, is_usable
from assaypipe.vocabulary import Censor, Role, WellFlag

BROKEN_SERIES_FLAG = WellFlag.BROKEN_DILUTION_SERIES.value
SATURATED_TOKENS = frozenset({"overflow", "oor_high"})

NO_EXPECTED = "no expected concentration"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


# -- why a standard well is not in its curve's fit ----------------------------------------


def excluded_standard_wells(excluded_wells: object) -> dict[str, str]:
    """Standard wells the curve engine left out of a fit, with its reason for each, from
    a curve's ``excluded_wells`` (see :mod:`assaypipe.curves.excluded`).

    >>> excluded_standard_wells("B1=masked outlier;B2=masked outlier")
    {'B1': 'masked outlier', 'B2': 'masked outlier'}
    """
    return parse_excluded_wells(excluded_wells)


def engine_exclusions(curve: Mapping[str, Any] | None) -> dict[str, str]:
    """The standard wells the curve engine left out of ``curve``, with its reasons (its
    ``excluded_wells`` column; the ``reasons`` text is for people and not read)."""
    return excluded_standard_wells(curve.get("excluded_wells") if curve is not None else None)


def left_out_reason(
    well: str, flags: str, conc: float, signal: float, usable: bool, engine: Mapping[str, str]
) -> str:
    """Why a standard well is not in its curve's fit (a well flag or the engine's reason,
    see :func:`engine_exclusions`); empty when it is."""
    if not (math.isfinite(conc) and conc > 0):
        return NO_EXPECTED
    if engine.get(well, "").startswith(MASKED_REASON):
        # the lab's decision, in the words that name its software
        return engine[well]
    if not math.isfinite(signal):
        return "no signal"
    if not usable:
        # The engine names the cause; the flags may hold only its consequence (no_curve).
        return engine.get(well) or flags.replace(";", ", ")
    return engine.get(well, "")


# -- the study's wells as arrays ----------------------------------------------------------


class Columns:
    """Mixin of a dataclass of equal-length arrays: ``take`` selects the same rows of each."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def take(self, index: slice | IntArray | BoolArray) -> Self:
        columns = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return type(self)(**{name: values[index] for name, values in columns.items()})


@dataclasses.dataclass(frozen=True)
class Wells(Columns):
    """The columns of a wells table (``tables.WELLS``) that the checks read."""

    role: ObjectArray
    well: ObjectArray
    flags: ObjectArray
    name: ObjectArray  # sample_id, else sample_name
    censor: ObjectArray  # NaN where not censored
    level: FloatArray  # NaN where unknown
    expected: FloatArray
    dilution: FloatArray
    signal: FloatArray
    concentration: FloatArray
    beads: FloatArray  # NaN where not counted
    usable: BoolArray  # see layout.is_usable
    censored: BoolArray
    saturated: BoolArray  # token in SATURATED_TOKENS
    broken: BoolArray  # flagged BROKEN_SERIES_FLAG

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Wells:
        flags = frame["flags"]
        return cls(
            role=_objects(frame["role"]),
            well=_objects(frame["well"].astype(str)),
            flags=_objects(flags.astype(str)),
            name=_objects(frame["sample_id"].fillna(frame["sample_name"]).astype(str)),
            censor=_objects(frame["censor"]),
            level=_numbers(frame["level"]),
            expected=_numbers(frame["expected_conc"]),
            dilution=_numbers(frame["dilution"]),
            signal=_numbers(frame["signal"]),
            concentration=_numbers(frame["concentration"]),
            beads=_numbers(frame["bead_count"]),
            usable=usable_mask(flags),
            censored=frame["censor"].notna().to_numpy(dtype=bool),
            saturated=frame["token"].isin(SATURATED_TOKENS).to_numpy(dtype=bool),
            broken=flags.astype(str).str.contains(BROKEN_SERIES_FLAG).to_numpy(dtype=bool),
        )


@dataclasses.dataclass(frozen=True)
class ReplicateCvs(Columns):
    """The CV of each sample's or control's in-range replicates (by name)."""

    name: ObjectArray
    cv: FloatArray


@dataclasses.dataclass(frozen=True)
class Levels(Columns):
    """Each level (distinct expected concentration) of the fitted standards, ascending,
    with the count, mean and CV of its signals (:func:`~assaypipe.curves.limits.level_signals`,
    as :func:`~assaypipe.curves.limits.level_columns` gives them before the curve)."""

    expected: FloatArray
    count: IntArray
    mean_signal: FloatArray
    cv: FloatArray


@dataclasses.dataclass(frozen=True)
class SampleCounts:
    """Sample wells with a signal or saturated, and where their concentrations fall."""

    n: int
    in_range: int
    below: int
    above: int
    saturated: int
    high: int  # above the ULOQ or saturated


@dataclasses.dataclass(frozen=True)
class Pair:
    """What the checks of one plate x analyte read."""

    key: tuple[str, str]
    wells: Wells
    standards: Wells
    left_out: ObjectArray  # per standard: why it is not fitted, "" when it is
    levels: Levels  # of the fitted standards
    replicates: ReplicateCvs
    samples: SampleCounts
    replicate_median: float  # median of replicates.cv (NaN when there are none)
    bead_median: float  # median of the counted wells' bead counts (NaN when none)


@dataclasses.dataclass(frozen=True)
class PairedWells:
    """The wells of every plate x analyte (in ``groupby(["plate_id", "analyte"])`` order,
    each one's rows in table order), with why each standard well is not in its curve's fit:
    plate x analyte ``i`` holds the rows ``bounds[i]:bounds[i + 1]`` of ``wells``,
    ``pair`` and ``left_out``."""

    keys: list[tuple[str, str]]
    bounds: IntArray
    wells: Wells
    pair: IntArray  # per row: its plate x analyte
    left_out: ObjectArray  # "" where fitted or not a standard
    order: IntArray  # the frame's row of each

    @classmethod
    def of(
        cls, frame: pd.DataFrame, curves: Mapping[tuple[str, str], Mapping[str, Any]]
    ) -> PairedWells:
        order, bounds = group_order(frame, ["plate_id", "analyte"])
        plate_ids = frame["plate_id"].to_numpy(dtype=object)[order][bounds[:-1]]
        analytes = frame["analyte"].to_numpy(dtype=object)[order][bounds[:-1]]
        keys = [(str(p), str(a)) for p, a in zip(plate_ids, analytes, strict=True)]
        wells = Wells.of(frame).take(order)
        pair = np.repeat(np.arange(len(keys)), np.diff(bounds))
        left_out = _left_out(wells, pair, [engine_exclusions(curves.get(key)) for key in keys])
        return cls(keys, bounds, wells, pair, left_out, order)


@dataclasses.dataclass(frozen=True)
class Study:
    """The wells of every plate x analyte (in ``groupby(["plate_id", "analyte"])`` order,
    each one's rows in table order) with what its checks aggregate over groups of wells.

    Plate x analyte ``i`` holds the rows ``bounds[i]:bounds[i + 1]`` of ``wells`` and
    ``left_out``, ``level_bounds[i]:level_bounds[i + 1]`` of ``levels`` and
    ``replicate_bounds[i]:replicate_bounds[i + 1]`` of ``replicates``.
    """

    keys: list[tuple[str, str]]
    bounds: IntArray
    wells: Wells
    left_out: ObjectArray  # "" where fitted or not a standard
    levels: Levels
    level_bounds: IntArray
    replicates: ReplicateCvs
    replicate_bounds: IntArray
    samples: dict[str, IntArray]  # per plate x analyte, by SampleCounts field
    replicate_medians: FloatArray  # per plate x analyte: Pair.replicate_median
    bead_medians: FloatArray  # per plate x analyte: Pair.bead_median

    @classmethod
    def of(cls, frame: pd.DataFrame, curves: Mapping[tuple[str, str], Mapping[str, Any]]) -> Study:
        paired = PairedWells.of(frame, curves)
        keys, bounds, wells, pair, left_out = (
            paired.keys,
            paired.bounds,
            paired.wells,
            paired.pair,
            paired.left_out,
        )
        replicates, replicate_pair = _replicate_cvs(wells, pair)
        levels, level_pair = _levels(wells, pair, left_out)
        pairs = np.arange(len(keys) + 1)
        replicate_bounds = np.searchsorted(replicate_pair, pairs)
        counted = ~np.isnan(wells.beads)
        return cls(
            keys=keys,
            bounds=bounds,
            wells=wells,
            left_out=left_out,
            levels=levels,
            level_bounds=np.searchsorted(level_pair, pairs),
            replicates=replicates,
            replicate_bounds=replicate_bounds,
            samples=_sample_counts(wells, pair, len(keys)),
            replicate_medians=group_medians(replicates.cv, replicate_bounds),
            bead_medians=group_medians(wells.beads[counted], np.searchsorted(pair[counted], pairs)),
        )

    def pair(self, i: int) -> Pair:
        wells = self.wells.take(slice(self.bounds[i], self.bounds[i + 1]))
        standard = wells.role == Role.STANDARD
        left_out = self.left_out[self.bounds[i] : self.bounds[i + 1]][standard]
        return Pair(
            key=self.keys[i],
            wells=wells,
            standards=wells.take(standard),
            left_out=left_out,
            levels=self.levels.take(slice(self.level_bounds[i], self.level_bounds[i + 1])),
            replicates=self.replicates.take(
                slice(self.replicate_bounds[i], self.replicate_bounds[i + 1])
            ),
            samples=SampleCounts(**{name: int(n[i]) for name, n in self.samples.items()}),
            replicate_median=float(self.replicate_medians[i]),
            bead_median=float(self.bead_medians[i]),
        )


def _objects(column: pd.Series) -> ObjectArray:
    return column.to_numpy(dtype=object)


def _numbers(column: pd.Series) -> FloatArray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def usable_mask(flags: pd.Series) -> BoolArray:
    """:func:`~assaypipe.layout.is_usable` of each well, worked out once per distinct flags."""
    codes, distinct = pd.factorize(flags, use_na_sentinel=False)
    usable = is_usable(pd.Series(np.asarray(distinct, dtype=object), dtype=object))
    return usable.to_numpy(dtype=bool)[codes]


def group_order(frame: pd.DataFrame, keys: list[str]) -> tuple[IntArray, IntArray]:
    """The row order that puts each group of ``frame.groupby(keys, sort=True)`` together
    (in table order within a group; rows with a missing key left out), and the bounds of
    the groups in it: group ``i`` is ``order[bounds[i]:bounds[i + 1]]``."""
    groups = frame.groupby(keys, sort=True)
    codes = groups.ngroup().to_numpy(dtype=float)  # NaN where a key is missing
    order = np.argsort(codes, kind="stable")[: int(np.count_nonzero(~np.isnan(codes)))]
    bounds = np.searchsorted(codes[order], np.arange(groups.ngroups + 1))
    return order.astype(np.intp), bounds.astype(np.intp)


def group_medians(values: FloatArray, bounds: IntArray) -> FloatArray:
    """``np.median`` of each group ``values[bounds[i]:bounds[i + 1]]``, for every group
    at once: NaN for an empty group or one that holds a NaN, else the middle value, or
    the mean of the two middle values of an even count."""
    size = np.diff(bounds)
    group = np.repeat(np.arange(len(size)), size)
    ordered = values[np.lexsort((values, group))]  # NaN last within a group
    medians = np.full(len(size), math.nan)
    found = np.flatnonzero(size > 0)
    first, n = bounds[found], size[found]
    low, high = ordered[first + (n - 1) // 2], ordered[first + n // 2]
    with np.errstate(invalid="ignore", over="ignore"):
        medians[found] = np.where(n % 2 == 1, low, (low + high) / 2)
    medians[found[np.isnan(ordered[first + n - 1])]] = math.nan
    return medians


def _left_out(wells: Wells, pair: IntArray, engine: Sequence[Mapping[str, str]]) -> ObjectArray:
    """:func:`left_out_reason` of every standard well ("" for the other wells)."""
    reasons = np.full(len(pair), "", dtype=object)
    standards = np.flatnonzero(wells.role == Role.STANDARD)
    reasons[standards] = [
        left_out_reason(well, flags, conc, signal, ok, engine[i])
        for well, flags, conc, signal, ok, i in zip(
            wells.well[standards],
            wells.flags[standards],
            wells.expected[standards].tolist(),
            wells.signal[standards].tolist(),
            wells.usable[standards].tolist(),
            pair[standards].tolist(),
            strict=True,
        )
    ]
    return reasons


def _levels(wells: Wells, pair: IntArray, left_out: ObjectArray) -> tuple[Levels, IntArray]:
    """The :class:`Levels` of every plate x analyte's fitted standards, and the pair of
    each: per pair, the numbers :func:`~assaypipe.curves.limits.level_columns` gives from
    its fitted standards, their signals summed in the same (table) order."""
    fitted = np.flatnonzero((wells.role == Role.STANDARD) & (left_out == ""))
    # lexsort is stable: a level's wells stay in table order
    order = fitted[np.lexsort((wells.expected[fitted], pair[fitted]))]
    expected, level_pair = wells.expected[order], pair[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (level_pair[1:] != level_pair[:-1]) | (expected[1:] != expected[:-1])
    level = np.cumsum(first) - 1
    count, mean, cv = level_signals(level, wells.signal[order], int(first.sum()))
    levels = Levels(expected=expected[first], count=count, mean_signal=mean, cv=cv)
    return levels, level_pair[first]


def _replicate_cvs(wells: Wells, pair: IntArray) -> tuple[ReplicateCvs, IntArray]:
    """The replicate CV of each sample and control name of every plate x analyte, and the
    pair of each.

    Replicates are the usable, in-range wells (finite concentration, not censored) of a
    name and dilution with at least two wells and a positive mean; a name measured at
    several dilutions takes the highest one's CV. The CV is numpy's ``std(ddof=1) /
    mean()`` of the concentrations, written out for pairs of wells (the usual case) to
    give the same number without a call per group.
    """
    role = wells.role
    keep = (role == Role.SAMPLE) | (role == Role.CONTROL)
    keep &= wells.usable & np.isfinite(wells.concentration) & ~wells.censored
    frame = pd.DataFrame(
        {"pair": pair[keep], "name": wells.name[keep], "dilution": wells.dilution[keep]}
    )
    order, bounds = group_order(frame, ["pair", "name", "dilution"])
    values = wells.concentration[keep][order]
    first, size = bounds[:-1], np.diff(bounds)
    mean = np.full(len(first), math.nan)
    cv = np.full(len(first), math.nan)
    two = first[size == 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = values[two], values[two + 1]
        pair_mean = (a + b) / 2
        mean[size == 2] = pair_mean
        cv[size == 2] = (
            np.sqrt((a - pair_mean) * (a - pair_mean) + (b - pair_mean) * (b - pair_mean))
            / pair_mean
        )
    for group in np.flatnonzero(size > 2):
        replicates = values[bounds[group] : bounds[group + 1]]
        mean[group] = replicates.mean()
        cv[group] = replicates.std(ddof=1) / replicates.mean()
    groups = first[(size >= 2) & (mean > 0)]
    cv = cv[(size >= 2) & (mean > 0)]
    group_pair = frame["pair"].to_numpy(dtype=np.intp)[order][groups]
    name = wells.name[keep][order][groups]
    # Groups come sorted by pair, name, dilution: keep the last of each pair x name.
    last = np.ones(len(groups), dtype=bool)
    last[:-1] = (group_pair[1:] != group_pair[:-1]) | (name[1:] != name[:-1])
    return ReplicateCvs(name=name[last], cv=cv[last]), group_pair[last]


def _sample_counts(wells: Wells, pair: IntArray, n_pairs: int) -> dict[str, IntArray]:
    """The :class:`SampleCounts` of every plate x analyte, as one array per field."""
    measured = (wells.role == Role.SAMPLE) & (~np.isnan(wells.signal) | wells.saturated)
    above = wells.censor == Censor.ABOVE_ULOQ
    masks = {
        "n": measured,
        "in_range": ~np.isnan(wells.concentration) & ~wells.censored,
        "below": (wells.censor == Censor.BELOW_LLOQ) | (wells.censor == Censor.BELOW_LOD),
        "above": above,
        "saturated": wells.saturated,
        "high": above | wells.saturated,
    }
    return {
        name: np.bincount(pair[measured & mask], minlength=n_pairs) for name, mask in masks.items()
    }
