"""Put a plate's wells in the study's terms: canonical analytes, known samples, well flags."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe import tables
from assaypipe.settings import DEFAULTS
from assaypipe.sheets import alias_lookup, canonical_analyte
from assaypipe.vocabulary import Role, WellFlag

# Flags a reader sets on a well the lab left out in its instrument software (SoftMax
# Pro's `Masked`, Bio-Plex Manager's Outlier column), and cell tokens that say the
# same (Bio-Plex's `---`). Such a well is left out of the curve fit ("masked in
# <software>"), of replicate means and of QC's replicate CVs. A reader with a new way
# of saying it adds its flag or token here.
MASKED_FLAGS = frozenset({WellFlag.VENDOR_MASKED.value})
MASKED_TOKENS = frozenset({"masked"})
MASKED_REASON = "masked in "

# Flags a well can carry; a flagged well is kept in wells.parquet and left out of
# replicate means where the flag says it is unusable.
_UNUSABLE = (WellFlag.LOW_BEADS, WellFlag.BAD_BEAD_COUNT, WellFlag.NO_SIGNAL, WellFlag.NO_CURVE)
UNUSABLE_FLAGS = frozenset(flag.value for flag in _UNUSABLE) | MASKED_FLAGS


def retag(
    flags: npt.NDArray[np.object_],
    rows: npt.ArrayLike,
    add: str | None = None,
    remove: Collection[str] = (),
) -> None:
    """In place, on the rows marked: the ';'-joined flags with ``add`` added and
    ``remove`` taken out (sorted, no duplicates), worked out once per distinct text."""
    rows = np.asarray(rows, dtype=bool)
    if not rows.any():
        return
    texts, index = np.unique(flags[rows].astype(str), return_inverse=True)
    gone = set(remove)
    changed = []
    for text in texts.tolist():
        tokens = {token for token in text.split(";") if token} - gone
        if add:
            tokens.add(add)
        changed.append(";".join(sorted(tokens)))
    flags[rows] = np.array(changed, dtype=object)[index.ravel()]


def add_flags(flags: pd.Series, mask: pd.Series | np.ndarray, flag: str) -> pd.Series:
    """Append ``flag`` to the ';'-joined flags where ``mask`` is true (sorted, no duplicates)."""
    mask = np.asarray(mask, dtype=bool)
    values = flags.to_numpy(dtype=object, copy=True)
    retag(values, mask, add=flag)
    updated = flags.copy()
    updated[mask] = values[mask]
    return updated


def has_flag(flags: pd.Series, flag: str) -> npt.NDArray[np.bool_]:
    """Rows whose ';'-joined flags include ``flag``."""
    padded = ";" + flags.fillna("").astype(str) + ";"
    return np.asarray(padded.str.contains(f";{flag};", regex=False).to_numpy(), dtype=bool)


def masked_by_lab(flags: pd.Series, tokens: pd.Series | None = None) -> npt.NDArray[np.bool_]:
    """Rows the lab left out in its instrument software (MASKED_FLAGS, MASKED_TOKENS)."""
    masked = np.zeros(len(flags), dtype=bool)
    for flag in sorted(MASKED_FLAGS):
        masked |= has_flag(flags, flag)
    if tokens is not None:
        masked |= tokens.isin(MASKED_TOKENS).to_numpy(dtype=bool)
    return masked


def is_usable(flags: pd.Series) -> pd.Series:
    """True for wells whose flags do not make them unusable for a replicate mean."""
    return flags.map(lambda f: not (set(str(f).split(";")) & UNUSABLE_FLAGS))


def annotate_wells(
    wells: pd.DataFrame,
    sample_sheet: pd.DataFrame,
    aliases: pd.DataFrame,
    min_bead_count: int = DEFAULTS.wells.min_bead_count,
) -> pd.DataFrame:
    """Canonical analyte names, sample ids checked against the sheet, and well flags.

    Flags: ``unknown_analyte`` (not in the alias table; kept under its own name),
    ``unknown_sample`` (a sample well whose name is not in the sample sheet),
    ``low_beads`` (Luminex bead count below ``min_bead_count``), ``no_signal``
    (no numeric signal in the export).
    """
    out = wells.copy()
    lookup = alias_lookup(aliases)
    # Each distinct name looked up once: a chunk's rows repeat a few dozen names.
    names = {raw: canonical_analyte(str(raw), lookup) for raw in pd.unique(out["analyte_raw"])}
    canonical = out["analyte_raw"].map(names)
    unknown_analyte = canonical.isna()
    out["analyte"] = canonical.fillna(out["analyte_raw"])
    flags = out["flags"].fillna("")
    flags = add_flags(flags, unknown_analyte, WellFlag.UNKNOWN_ANALYTE.value)

    is_sample = out["role"] == Role.SAMPLE
    known = out["sample_id"].isin(set(sample_sheet["sample_id"]))
    flags = add_flags(flags, is_sample & ~known, WellFlag.UNKNOWN_SAMPLE.value)

    beads = out["bead_count"]
    flags = add_flags(
        flags, beads.notna() & (beads.fillna(0) < min_bead_count), WellFlag.LOW_BEADS.value
    )
    flags = add_flags(flags, ~np.isfinite(out["signal"].astype(float)), WellFlag.NO_SIGNAL.value)
    out["flags"] = flags
    return tables.WELLS.validate(out)
