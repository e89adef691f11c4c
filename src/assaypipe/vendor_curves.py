"""Instrument software's own standard curves, in assaypipe's parametrisation.

Each vendor writes its logistic with its own letters; all of them are the curve
``y = d + (a - d) / (1 + (x / c)**b)**g`` of :mod:`assaypipe.curves`, so once the
letters are mapped :func:`assaypipe.curves.predict` and
:func:`assaypipe.curves.inverse` evaluate them. The slope may be negative there:
xPONENT and Bio-Plex Manager write an increasing curve with a negative exponent and
the zero-dose response in their ``A`` (our ``d``). Such a 5PL is not in the family
assaypipe fits on its own (b > 0, whose asymmetry sits at the other end), but it
evaluates and inverts in closed form all the same, and ``curves.preset: vendor`` fits
it (:mod:`assaypipe.curves.vendor`).

:func:`compare_concentrations` sets assaypipe's per-well concentrations beside the
software's own (the report's comparison), :func:`reproduction` and
:func:`reproduction_figures` measure it over exports (docs/curves.md).

>>> params = xponent_params(A=-0.23, B=4042.4, C=435.96, D=-2.2466, F=0.6073)
>>> round(float(inverse(params, predict(params, 100.0))), 9)
100.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from assaypipe.curves import inverse, predict
from assaypipe.settings import Settings
from assaypipe.vocabulary import VendorBasis

# Where a reader gives no basis (vendor_results.basis null), the one each software's
# per-well concentration is known to have, by plates.format: xPONENT's Result and
# Bio-Plex's Obs Conc are multiplied by the well's dilution, SoftMax's Result and
# Gen5's [Concentration] are of the well's content.
ASSUMED_BASIS: dict[str, str] = {
    "xponent": VendorBasis.SAMPLE,
    "intelliflex": VendorBasis.SAMPLE,
    "bioplex": VendorBasis.SAMPLE,
    "softmax": VendorBasis.IN_WELL,
    "gen5": VendorBasis.IN_WELL,
}
COMPARISON_COLUMNS = (
    "plate_id",
    "analyte",
    "well",
    "role",
    "dilution",
    "ours",
    "vendor",
    "basis",
    "relative_difference",
)

__all__ = [
    "ASSUMED_BASIS",
    "bioplex_params",
    "compare_concentrations",
    "gen5_params",
    "in_wells_terms",
    "inverse",
    "predict",
    "reproduction",
    "reproduction_figures",
    "vendor_params",
    "xponent_params",
]


def xponent_params(A: float, B: float, C: float, D: float, F: float = 1.0) -> dict[str, float]:
    """xPONENT's ``Logistic 5P``: ``y = A + (B - A) / (1 + (x / C)**D)**F``, from its
    Analysis Coefficients (``F = 1`` for ``Logistic 4P``)."""
    return {"a": float(B), "b": float(D), "c": float(C), "d": float(A), "g": float(F)}


def bioplex_params(A: float, B: float, C: float, D: float, E: float = 1.0) -> dict[str, float]:
    """Bio-Plex Manager's ``Logistic - 5PL`` as its summary footer writes it:
    ``FI = A + (B - A) / ((1 + (Conc / C)**D))**E``."""
    return xponent_params(A, B, C, D, E)


def gen5_params(A: float, B: float, C: float, D: float) -> dict[str, float]:
    """Gen5's ``4-Parameter``: ``Y = (A - D) / (1 + (X / C)**B) + D``."""
    return {"a": float(A), "b": float(B), "c": float(C), "d": float(D), "g": 1.0}


def vendor_params(vendor: pd.DataFrame, analyte: str) -> dict[str, float] | None:
    """The vendor's curve of ``analyte`` from a reader's ``vendor`` table
    (``tables.VENDOR_RESULTS``, already in our letters), or None when the export has no
    complete set of coefficients for it."""
    rows = vendor[
        (vendor["analyte"] == analyte)
        & vendor["well"].isna()
        & vendor["quantity"].isin(["a", "b", "c", "d", "g"])
    ]
    values = dict(zip(rows["quantity"].astype(str), rows["value"].astype(float), strict=True))
    if not {"a", "b", "c", "d"} <= values.keys():
        return None
    values.setdefault("g", 1.0)
    if not all(math.isfinite(v) for v in values.values()):
        return None
    return {k: float(values[k]) for k in ("a", "b", "c", "d", "g")}


def in_wells_terms(vendor: pd.DataFrame, wells: pd.DataFrame) -> pd.DataFrame:
    """A vendor results table whose analytes are the wells' (canonical) names: the
    readers name them as the export does (the wells' ``analyte_raw``); an analyte no
    well of its plate has keeps its name."""
    if vendor.empty or wells.empty:
        return vendor
    names = wells[["plate_id", "analyte_raw", "analyte"]].drop_duplicates(
        ["plate_id", "analyte_raw"]
    )
    keys = pd.MultiIndex.from_arrays(
        [names["plate_id"].astype(str), names["analyte_raw"].astype(str)]
    )
    at = keys.get_indexer(
        pd.MultiIndex.from_arrays([vendor["plate_id"].astype(str), vendor["analyte"].astype(str)])
    )
    canonical = names["analyte"].astype(str).to_numpy(dtype=object)
    analyte = np.where(
        at >= 0, canonical[np.maximum(at, 0)], vendor["analyte"].to_numpy(dtype=object)
    )
    return vendor.assign(analyte=analyte)


def compare_concentrations(
    wells: pd.DataFrame, vendor: pd.DataFrame, plates: pd.DataFrame | None = None
) -> pd.DataFrame:
    """assaypipe's and the vendor's concentration of every well the vendor gave one in
    range (quantity ``concentration``, token ``numeric``), both per sample as
    ``wells.concentration`` is: a vendor value of basis ``in_well`` is multiplied by
    the well's dilution. A null basis takes :data:`ASSUMED_BASIS` of the plate's
    format (``plates``), else stays unknown and gets no difference.

    ``vendor`` names analytes as the wells do (:func:`in_wells_terms`). Columns:
    plate_id, analyte, well, role, dilution, ours, vendor (per sample), basis (as
    used), relative_difference (ours / vendor - 1; NaN where either is missing).
    """
    rows = vendor[
        (vendor["quantity"] == "concentration")
        & (vendor["token"] == "numeric")
        & vendor["well"].notna()
    ]
    if rows.empty or wells.empty:
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    keys = ["plate_id", "analyte", "well"]
    merged = rows[[*keys, "value", "basis"]].merge(
        wells[[*keys, "role", "dilution", "concentration"]].drop_duplicates(keys), on=keys
    )
    basis = merged["basis"].astype(object).where(merged["basis"].notna(), None)
    if plates is not None and not plates.empty and "format" in plates:
        formats = plates.drop_duplicates("plate_id").set_index("plate_id")["format"]
        assumed = merged["plate_id"].map(formats).map(ASSUMED_BASIS)
        basis = basis.where(basis.notna(), assumed)
    dilution = merged["dilution"].to_numpy(dtype=float)
    value = merged["value"].to_numpy(dtype=float)
    per_sample = np.where(basis == VendorBasis.IN_WELL, value * dilution, value)
    per_sample = np.where(basis.isin([VendorBasis.IN_WELL, VendorBasis.SAMPLE]), per_sample, np.nan)
    ours = merged["concentration"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = np.where(per_sample != 0, ours / per_sample - 1.0, np.nan)
    out = merged.assign(ours=ours, vendor=per_sample, basis=basis, relative_difference=difference)
    return out[list(COMPARISON_COLUMNS)].sort_values(keys, kind="stable").reset_index(drop=True)


def reproduction_figures(comparison: pd.DataFrame, plates: pd.DataFrame) -> pd.DataFrame:
    """Per format (``plates.format``): the plate x analyte curves and wells compared,
    and the median and 95th percentile of |relative difference| (in percent) of
    :func:`compare_concentrations` rows with a difference."""
    formats = plates.drop_duplicates("plate_id").set_index("plate_id")["format"]
    rows = comparison[comparison["relative_difference"].notna()].assign(
        format=lambda frame: frame["plate_id"].map(formats)
    )
    out = []
    for fmt, group in rows.groupby("format", sort=True):
        error = 100.0 * group["relative_difference"].abs().to_numpy(dtype=float)
        out.append(
            {
                "format": fmt,
                "n_curves": len(group.drop_duplicates(["plate_id", "analyte"])),
                "n_wells": len(group),
                "median_pct": float(np.median(error)),
                "p95_pct": float(np.percentile(error, 95)),
            }
        )
    return pd.DataFrame(out, columns=["format", "n_curves", "n_wells", "median_pct", "p95_pct"])


def reproduction(
    exports: Sequence[str | Path],
    settings: Settings,
    aliases: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each export through the workflow's chunk step (read, annotate, fit with
    ``settings``, interpolate), its wells compared with the vendor's own
    concentrations: the :func:`compare_concentrations` rows of all of them and their
    plates table (for :func:`reproduction_figures`)."""
    from assaypipe.pipeline import process_chunk

    samples = pd.DataFrame(columns=["sample_id", "subject_id", "visit", "matrix"])
    comparisons, plates = [], []
    for index, path in enumerate(exports):
        result = process_chunk(
            [
                {
                    "plate_id": f"{index:03d}_{Path(path).stem}",
                    "export": str(path),
                    "plate_map": None,
                }
            ],
            samples,
            aliases,
            chunk="reproduction",
            settings=settings,
        )
        vendor = in_wells_terms(result.vendor, result.wells)
        comparisons.append(compare_concentrations(result.wells, vendor, result.plates))
        plates.append(result.plates)
    return pd.concat(comparisons, ignore_index=True), pd.concat(plates, ignore_index=True)
