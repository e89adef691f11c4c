"""One value per sample and analyte, from its replicate wells.

Per plate, the usable replicate wells of a sample are averaged in signal space and the
mean signal is read off that plate's selected curve, then multiplied by the dilution;
censoring follows the same rule as single wells. A sample measured on several plates
gets the mean of all its plate readings, each first brought to the analyte's study
unit (:mod:`assaypipe.units`), a censored reading counted as its substitute (LLOQ/2 or
LLOQ/sqrt2, the ULOQ above it), and the mean censored against the highest LLOQ and the
lowest ULOQ among them (:func:`_combine_plates`). The replicate CV is that of the wells' own
concentrations.

The work is done with whole-column operations: one groupby of the wells per sample x
analyte x plate, one merge with the selected curves, the curve inverse once per curve,
and one groupby of the plate values per sample x analyte.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe import tables
from assaypipe.curves import inverse
from assaypipe.interpolate import classify_censor
from assaypipe.layout import is_usable
from assaypipe.settings import DEFAULTS
from assaypipe.units import UnitPlan, pair_units, plan_units, plate_units
from assaypipe.vocabulary import (
    CURVE_PARAMS,
    Censor,
    CensorSubstitute,
    Role,
    SampleFlag,
    values,
)

PARAMS = CURVE_PARAMS
PLATE_KEYS = ["sample_id", "analyte", "plate_id"]
CURVE_KEYS = ["plate_id", "analyte"]

# Flags a sample value can carry, in sorted order: bit i of a flag mask is FLAGS[i].
FLAGS = tuple(sorted(values(SampleFlag)))
_BIT = {flag: 1 << i for i, flag in enumerate(FLAGS)}
# The ';'-joined (sorted) flags of every flag mask.
_FLAG_TEXT = np.array(
    [";".join(f for i, f in enumerate(FLAGS) if mask >> i & 1) for mask in range(1 << len(FLAGS))],
    dtype=object,
)

# The share of a plate's LLOQ a <LLOQ or <LOD reading stands for when a sample's plate
# readings are averaged (the statistics' policies of the same names).
CENSORED_FACTORS = {
    CensorSubstitute.HALF_LLOQ.value: 0.5,
    CensorSubstitute.LLOQ_SQRT2.value: 1.0 / math.sqrt(2.0),
}
# Or the reading itself, as read off the plate's curve (none where the curve gives none).
AS_READ = CensorSubstitute.AS_READ.value
CENSORED_POLICIES = values(CensorSubstitute)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def combine_replicates(
    wells: pd.DataFrame,
    curves: pd.DataFrame,
    sample_sheet: pd.DataFrame,
    units: UnitPlan | None = None,
    censored: str = DEFAULTS.combine.censored.value,
) -> pd.DataFrame:
    """The samples table (tables.SAMPLES) from interpolated wells and fitted curves.

    ``censored`` (one of :data:`CENSORED_POLICIES`) is what a censored plate reading
    stands for when a sample's readings on several plates are averaged: its plate's
    LLOQ times a factor of :data:`CENSORED_FACTORS`, or (``as_read``) the value read off
    the plate's curve, a reading without one (signal at or beyond the curve's zero-dose
    response) left out of the mean.

    ``units`` says how each plate's values reach the analyte's study unit (by default
    the plan of the wells' own units, :func:`assaypipe.units.plan_units`). A plate whose
    unit cannot be converted keeps its own; a sample measured on plates in units that
    cannot be brought to one gets no value and the flag ``mixed_units``.
    """
    if censored not in CENSORED_POLICIES:
        raise ValueError(f"censored must be one of {list(CENSORED_POLICIES)}, got {censored!r}")
    is_sample = (wells["role"] == Role.SAMPLE) & wells["sample_id"].notna()
    # the columns the sample values are made from, rather than every column of the wells
    sample_wells = wells.loc[
        is_sample, [*PLATE_KEYS, "flags", "signal", "concentration", "dilution"]
    ]
    if sample_wells.empty:
        return tables.empty(tables.SAMPLES)
    plates = _plate_values(sample_wells, curves)
    if plates.empty:
        return tables.empty(tables.SAMPLES)
    plan = units if units is not None else plan_units(plate_units(wells))
    samples = _combine_plates(_to_study_units(plates, plan), censored)
    sheet = sample_sheet.set_index("sample_id")
    samples["subject_id"] = samples["sample_id"].map(sheet["subject_id"])
    samples["visit"] = samples["sample_id"].map(sheet["visit"])
    return tables.SAMPLES.validate(samples[list(tables.SAMPLES.columns)])


def _usable(sample_wells: pd.DataFrame) -> BoolArray:
    """Wells whose flags allow a replicate mean and whose signal is finite."""
    # is_usable parses each flags string: do it once per distinct string.
    codes, uniques = pd.factorize(sample_wells["flags"], use_na_sentinel=False)
    usable_flags: BoolArray = is_usable(pd.Series(uniques, dtype=object)).to_numpy(dtype=bool)
    finite: BoolArray = np.isfinite(sample_wells["signal"].to_numpy(dtype=float))
    return usable_flags[codes] & finite


def _plate_values(sample_wells: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """One row per sample x analyte x plate (sorted by them), with a flag mask.

    Columns: the keys, ``concentration``, ``censor``, ``cv``, ``n_replicates``,
    ``lloq``, ``uloq`` (diluted) and ``flag_mask`` (bits of :data:`FLAGS`).
    """
    usable = _usable(sample_wells)
    signal = sample_wells["signal"].to_numpy(dtype=float)
    well_conc = sample_wells["concentration"].to_numpy(dtype=float)
    work = sample_wells[PLATE_KEYS].assign(
        usable=usable,
        dilution=sample_wells["dilution"].to_numpy(dtype=float),
        usable_signal=np.where(usable, signal, np.nan),
        usable_conc=np.where(usable & np.isfinite(well_conc), well_conc, np.nan),
    )
    grouped = work.groupby(PLATE_KEYS, sort=True, observed=True)
    plates = grouped.agg(
        n_wells=("usable", "size"),
        n_replicates=("usable", "sum"),
        n_dilutions=("dilution", "nunique"),
        mean_signal=("usable_signal", "mean"),
        n_conc=("usable_conc", "count"),
        conc_mean=("usable_conc", "mean"),
    )
    # The dilution of a group's first well, NaN included.
    plates["dilution"] = grouped["dilution"].first(skipna=False)
    # Standard deviation (ddof=1) in two passes, as numpy's: squared deviations from
    # the group mean, summed per group.
    group = grouped.ngroup().to_numpy()
    deviation = work["usable_conc"].to_numpy() - plates["conc_mean"].to_numpy()[group]
    squares = np.bincount(group, np.nan_to_num(deviation**2), minlength=len(plates))
    with np.errstate(invalid="ignore", divide="ignore"):
        plates["conc_sd"] = np.sqrt(squares / (plates["n_conc"].to_numpy() - 1))
    plates = plates.reset_index()

    # The selected curve of each plate x analyte (the last one if several are selected).
    selected = curves[curves["selected"]].drop_duplicates(CURVE_KEYS, keep="last")
    selected = selected[[*CURVE_KEYS, "converged", *PARAMS, "lloq", "uloq", "lod"]]
    selected = selected.reset_index(drop=True).rename_axis("curve").reset_index()
    plates = plates.merge(selected, on=CURVE_KEYS, how="left", validate="many_to_one")

    n_replicates = plates["n_replicates"].to_numpy(dtype=np.int64)
    has_curve = plates["curve"].notna().to_numpy()
    curve_ok = has_curve & plates["converged"].where(has_curve, False).astype(bool).to_numpy()
    computed = curve_ok & (n_replicates > 0)
    dilution = plates["dilution"].to_numpy(dtype=float)

    in_well, censor = _read_off_curves(plates, computed)
    plates["concentration"] = in_well * dilution
    plates["censor"] = censor
    for limit in ("lloq", "uloq"):
        value = plates[limit].to_numpy(dtype=float) * dilution
        plates[limit] = np.where(computed, value, np.nan)
    n_conc = plates["n_conc"].to_numpy()
    conc_mean = plates["conc_mean"].to_numpy(dtype=float)
    conc_sd = plates["conc_sd"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        has_cv = computed & (n_conc >= 2) & (conc_mean > 0)
        plates["cv"] = np.where(has_cv, conc_sd / conc_mean, np.nan)

    flag_mask = np.zeros(len(plates), dtype=np.int64)
    # Without a curve every well is unusable (flagged no_curve): that flag says it all.
    excluded = curve_ok & (n_replicates < plates["n_wells"].to_numpy())
    flag_mask[excluded] |= _BIT["replicate_excluded"]
    flag_mask[plates["n_dilutions"].to_numpy() > 1] |= _BIT["mixed_dilutions"]
    flag_mask[~curve_ok] |= _BIT[SampleFlag.NO_CURVE.value]
    flag_mask[curve_ok & (n_replicates == 0)] |= _BIT["no_usable_wells"]
    plates["flag_mask"] = flag_mask
    return plates[
        [*PLATE_KEYS, "concentration", "censor", "cv", "n_replicates", "lloq", "uloq", "flag_mask"]
    ]


def _to_study_units(plates: pd.DataFrame, plan: UnitPlan) -> pd.DataFrame:
    """Plate values (and limits) in their analyte's study unit, with a ``unit`` column.

    A plate whose unit cannot be converted keeps its own unit and values.
    """
    factors, study = plan.to_study(plates)
    convertible = np.isfinite(factors)
    own = pair_units(plates, plan.plates)
    out = plates.assign(unit=np.where(convertible, study, own))
    scale = np.where(convertible, factors, 1.0)
    for column in ("concentration", "lloq", "uloq"):
        out[column] = out[column].to_numpy(dtype=float) * scale
    return out


def _read_off_curves(
    plates: pd.DataFrame, computed: BoolArray
) -> tuple[FloatArray, npt.NDArray[np.object_]]:
    """In-well concentration and censor of each row's mean signal, where ``computed``.

    :func:`inverse` and :func:`classify_censor` take one curve's parameters, so the rows
    are read off one curve at a time (a curve serves every sample on its plate).
    """
    in_well = np.full(len(plates), np.nan)
    censor = np.full(len(plates), None, dtype=object)
    rows = np.flatnonzero(computed)
    if rows.size == 0:
        return in_well, censor
    curve = plates["curve"].to_numpy()[rows]
    order = np.argsort(curve, kind="stable")
    rows, curve = rows[order], curve[order]
    starts = np.flatnonzero(np.r_[True, curve[1:] != curve[:-1]])
    ends = np.r_[starts[1:], len(rows)]
    signal = plates["mean_signal"].to_numpy(dtype=float)
    columns = {
        name: plates[name].to_numpy(dtype=float) for name in (*PARAMS, "lloq", "uloq", "lod")
    }
    for start, end in zip(starts, ends, strict=True):
        these = rows[start:end]
        first = these[0]
        params = {p: float(columns[p][first]) for p in PARAMS}
        mean_signal = signal[these]
        conc = inverse(params, mean_signal)
        in_well[these] = conc
        censor[these] = classify_censor(
            conc,
            mean_signal,
            params,
            float(columns["lloq"][first]),
            float(columns["uloq"][first]),
            float(columns["lod"][first]),
        )
    return in_well, censor


def _combine_plates(
    plates: pd.DataFrame, censored: str = DEFAULTS.combine.censored.value
) -> pd.DataFrame:
    """One row per sample x analyte from its plate values (sorted by sample, analyte).

    A sample with one plate reading that has a value or a censor takes it as it is.
    With several, every reading counts: a censored one as its substitute (``<LLOQ``
    and ``<LOD`` the plate's LLOQ times :data:`CENSORED_FACTORS` [``censored``] or, under
    ``as_read``, its own concentration (not a reading where it has none),
    ``>ULOQ`` the plate's ULOQ), and the mean is censored ``<LLOQ`` when below the
    highest LLOQ among the readings (``<LOD`` when every reading is), ``>ULOQ`` when
    above their lowest ULOQ. Without such readings all plates are averaged and the
    censor is the most common one (the first in sorted order on a tie). The CV is kept
    only when a single plate is averaged.
    """
    sample_ids = plates["sample_id"].to_numpy()
    analytes = plates["analyte"].to_numpy()
    # ``plates`` is sorted by sample, analyte and plate, so each sample x analyte is a run.
    run_start = np.r_[True, (sample_ids[1:] != sample_ids[:-1]) | (analytes[1:] != analytes[:-1])]
    group = np.cumsum(run_start) - 1
    starts = np.flatnonzero(run_start)
    ends = np.r_[starts[1:], len(plates)]
    n_groups = len(starts)

    # Plates in units that could not be brought to one give the sample no value.
    unit_codes = pd.factorize(plates["unit"].astype(str))[0]
    mixed = (np.maximum.reduceat(unit_codes, starts) != np.minimum.reduceat(unit_codes, starts))[
        group
    ]
    censor = plates["censor"].where(~mixed, None)
    concentration = np.where(mixed, np.nan, plates["concentration"].to_numpy(dtype=float))
    lloq = plates["lloq"].to_numpy(dtype=float)
    uloq = plates["uloq"].to_numpy(dtype=float)
    below = censor.isin([Censor.BELOW_LLOQ, Censor.BELOW_LOD]).to_numpy()
    above = (censor == Censor.ABOVE_ULOQ).to_numpy()
    low_value = concentration if censored == AS_READ else lloq * CENSORED_FACTORS[censored]
    value = np.where(below, low_value, np.where(above, uloq, concentration))
    reading = ~mixed & np.isfinite(value)
    n_readings = np.add.reduceat(reading.astype(int), starts)
    averaged = (n_readings >= 2)[group]

    # The former rule where no two readings are averaged: the uncensored plates with a
    # value when there are any, else all plates and their most common censor.
    uncensored = censor.isna().to_numpy() & ~np.isnan(concentration)
    any_uncensored = np.logical_or.reduceat(uncensored, starts)
    chosen = np.where(averaged, reading, uncensored | ~any_uncensored[group])
    by_group = pd.DataFrame(
        {
            "group": group,
            "chosen": chosen,
            "concentration": np.where(chosen, np.where(averaged, value, concentration), np.nan),
            "cv": plates["cv"].where(chosen & ~mixed),
            "lloq": np.where(chosen & ~mixed, lloq, np.nan),
            "uloq": np.where(chosen & ~mixed, uloq, np.nan),
            "lod_only": np.where(chosen, censor.to_numpy() == Censor.BELOW_LOD, True),
        }
    ).groupby("group", sort=True)
    n_chosen = by_group["chosen"].sum().to_numpy()
    n_plates = ends - starts
    mean = by_group["concentration"].mean().to_numpy()
    highest_lloq = by_group["lloq"].max().to_numpy()
    lowest_uloq = by_group["uloq"].min().to_numpy()
    several = n_readings >= 2
    combined = np.full(n_groups, None, dtype=object)
    with np.errstate(invalid="ignore"):
        low = several & (mean < highest_lloq)
        high = several & ~low & (mean > lowest_uloq)
    combined[low] = np.where(
        by_group["lod_only"].all().to_numpy()[low], Censor.BELOW_LOD, Censor.BELOW_LLOQ
    )
    combined[high] = Censor.ABOVE_ULOQ
    former = _mode_censor(censor, group, any_uncensored, n_groups)
    sample_censor = np.where(several, combined, former)

    flag_mask = np.bitwise_or.reduceat(plates["flag_mask"].to_numpy(), starts)
    flag_mask[n_plates > 1] |= _BIT["several_plates"]
    mixed_group = mixed[starts]
    flag_mask[mixed_group] |= _BIT["mixed_units"]
    plate_ids = plates["plate_id"].tolist()

    return pd.DataFrame(
        {
            "sample_id": sample_ids[starts],
            "analyte": analytes[starts],
            "concentration": mean,
            "unit": np.where(mixed_group, "", plates["unit"].to_numpy(dtype=object)[starts]),
            "cv": np.where(n_chosen == 1, by_group["cv"].max().to_numpy(), np.nan),
            "n_replicates": np.add.reduceat(plates["n_replicates"].to_numpy(), starts),
            "censor": sample_censor,
            "lloq": highest_lloq,
            "uloq": lowest_uloq,
            "flags": _FLAG_TEXT[flag_mask],
            # Plates are in sorted order within each run.
            "plate_ids": [";".join(plate_ids[s:e]) for s, e in zip(starts, ends, strict=True)],
        }
    )


def _mode_censor(
    censor: pd.Series, group: npt.NDArray[np.int64], any_uncensored: BoolArray, n_groups: int
) -> npt.NDArray[np.object_]:
    """The most common censor of each group without an uncensored plate, else None.

    Ties go to the smallest label, as ``Series.mode().iloc[0]``.
    """
    out = np.full(n_groups, None, dtype=object)
    keep = censor.notna().to_numpy() & ~any_uncensored[group]
    if not keep.any():
        return out
    counts = (
        pd.DataFrame({"group": group[keep], "censor": censor.to_numpy()[keep]})
        .value_counts(sort=False)
        .rename("n")
        .reset_index()
        .sort_values(["group", "n", "censor"], ascending=[True, False, True], kind="stable")
        .drop_duplicates("group")
    )
    out[counts["group"].to_numpy()] = counts["censor"].to_numpy()
    return out
