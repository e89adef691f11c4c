"""One value per sample and analyte, from its replicate wells.

Per plate, the usable replicate wells of a sample are averaged in signal space and the
mean signal is read off that plate's selected curve, then multiplied by the dilution;
censoring follows the same rule as single wells. A sample measured on several plates
gets the mean of its uncensored plate values. The replicate CV is that of the wells'
own concentrations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from assaypipe import tables
from assaypipe.curves import inverse
from assaypipe.interpolate import classify_censor
from assaypipe.layout import is_usable

PARAMS = ("a", "b", "c", "d", "g")


def combine_replicates(
    wells: pd.DataFrame, curves: pd.DataFrame, sample_sheet: pd.DataFrame
) -> pd.DataFrame:
    """The samples table (tables.SAMPLES) from interpolated wells and fitted curves."""
    sample_wells = wells[(wells["role"] == "sample") & wells["sample_id"].notna()].copy()
    if sample_wells.empty:
        return tables.empty(tables.SAMPLES)
    selected: dict[tuple[str, str], dict[str, Any]] = {
        (str(row["plate_id"]), str(row["analyte"])): {str(k): v for k, v in row.items()}
        for row in curves[curves["selected"]].to_dict("records")
    }
    sample_wells["usable"] = is_usable(sample_wells["flags"]).to_numpy() & np.isfinite(
        sample_wells["signal"].to_numpy(dtype=float)
    )

    per_plate = [
        _plate_value((str(sample_id), str(analyte), str(plate_id)), group, selected)
        for (sample_id, analyte, plate_id), group in sample_wells.groupby(
            ["sample_id", "analyte", "plate_id"], sort=True, observed=True
        )
    ]
    plate_values = pd.DataFrame(per_plate)
    rows = [
        _combine_plates(str(sample_id), str(analyte), group)
        for (sample_id, analyte), group in plate_values.groupby(["sample_id", "analyte"], sort=True)
    ]
    samples = pd.DataFrame(rows)
    sheet = sample_sheet.set_index("sample_id")
    samples["subject_id"] = samples["sample_id"].map(sheet["subject_id"])
    samples["visit"] = samples["sample_id"].map(sheet["visit"])
    return tables.SAMPLES.validate(samples[list(tables.SAMPLES.columns)])


def _plate_value(
    key: tuple[str, str, str],
    group: pd.DataFrame,
    selected: dict[tuple[str, str], dict[str, Any]],
) -> dict[str, object]:
    sample_id, analyte, plate_id = key
    usable = group[group["usable"]]
    flags: set[str] = set()
    if len(usable) < len(group):
        flags.add("replicate_excluded")
    dilution = float(group["dilution"].iloc[0])
    if group["dilution"].nunique() > 1:
        flags.add("mixed_dilutions")
    value: dict[str, object] = {
        "sample_id": sample_id,
        "analyte": analyte,
        "plate_id": plate_id,
        "concentration": np.nan,
        "censor": None,
        "cv": np.nan,
        "n_replicates": len(usable),
        "lloq": np.nan,
        "uloq": np.nan,
        "flags": flags,
    }
    curve = selected.get((plate_id, analyte))
    if curve is None or not bool(curve["converged"]):
        flags.add("no_curve")
        return value
    if usable.empty:
        flags.add("no_usable_wells")
        return value
    params = {p: float(curve[p]) for p in PARAMS}
    mean_signal = np.array([usable["signal"].astype(float).mean()])
    in_well = inverse(params, mean_signal)
    censor = classify_censor(
        in_well,
        mean_signal,
        params,
        float(curve["lloq"]),
        float(curve["uloq"]),
        float(curve["lod"]),
    )
    value["concentration"] = float(in_well[0]) * dilution
    value["censor"] = censor[0]
    value["lloq"] = float(curve["lloq"]) * dilution
    value["uloq"] = float(curve["uloq"]) * dilution
    well_conc = usable["concentration"].astype(float).to_numpy()
    well_conc = well_conc[np.isfinite(well_conc)]
    if len(well_conc) >= 2 and well_conc.mean() > 0:
        value["cv"] = float(well_conc.std(ddof=1) / well_conc.mean())
    return value


def _combine_plates(sample_id: str, analyte: str, group: pd.DataFrame) -> dict[str, object]:
    flags: set[str] = set().union(*group["flags"])
    uncensored = group[group["censor"].isna() & group["concentration"].notna()]
    chosen = uncensored if not uncensored.empty else group
    if len(group) > 1:
        flags.add("several_plates")
    censor = None
    if uncensored.empty:
        censors = group["censor"].dropna()
        censor = censors.mode().iloc[0] if not censors.empty else None
    return {
        "sample_id": sample_id,
        "analyte": analyte,
        "concentration": chosen["concentration"].mean(),
        "cv": chosen["cv"].mean() if len(chosen) == 1 else np.nan,
        "n_replicates": int(group["n_replicates"].sum()),
        "censor": censor,
        "lloq": chosen["lloq"].max(),
        "uloq": chosen["uloq"].min(),
        "flags": ";".join(sorted(flags)),
        "plate_ids": ";".join(sorted(group["plate_id"])),
    }
