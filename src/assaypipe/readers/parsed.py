"""What a format reader hands back before the plate is finished (plate map, checks)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from assaypipe import tables

__all__ = ["ParsedPlate"]


@dataclass(frozen=True, eq=False)
class ParsedPlate:
    """One plate as read from an export, before plate map, checks and validation.

    `wells` has the columns of `tables.WELLS`; an export that names no analyte leaves
    `analyte` empty, and a well the export gives no role leaves `sample_name` empty
    (a plate map must place it). `name` is the plate's name in an export holding
    several plates.
    """

    wells: pd.DataFrame
    meta: dict[str, str]
    vendor: pd.DataFrame = field(default_factory=lambda: tables.empty(tables.VENDOR_RESULTS))
    name: str = ""
