"""Analytes of multi-spot plates from kit files (docs/qc.md, "Spots from a kit file").

An MSD reader's text export names each spot of a well by its number only (`spot 3`);
which analyte a spot carries is a property of the kit (its spot map), the same on every
plate of the lot. A kit file's `spots:` (`{1: IL-6, 2: TNF-alpha}`) names them on the
plates its `plates:` patterns cover, before the plate map is applied, so a plate map
can address the wells by the kit's analyte names and the alias table maps them to
canonical names as for any export. Names the export gives itself are kept.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.readers.kit_standards import KitStandards
from assaypipe.readers.parsed import Warnings

__all__ = ["name_spots"]

_SPOT: Final = re.compile(r"^spot (\d+)$")
_MOST_SHOWN: Final = 10


def name_spots(
    wells: pd.DataFrame,
    vendor: pd.DataFrame,
    standards: KitStandards,
    plate_id: str,
    notes: Warnings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wells and vendor results with `spot <n>` analytes named by the plate's kit lot;
    a warning says which file named them, and which spots it does not name."""
    from assaypipe.kits import plate_spots

    names = wells["analyte"].astype(str).drop_duplicates().tolist()
    numbered = {name: int(found.group(1)) for name in names if (found := _SPOT.match(name))}
    if not numbered:
        return wells, vendor
    given = plate_spots(standards.kits, plate_id)
    if given is None:
        return wells, vendor
    spots, kit = given
    mapping = {name: spots[number] for name, number in numbered.items() if number in spots}
    unnamed = sorted(number for number in numbered.values() if number not in spots)
    if mapping:
        shown = ", ".join(
            f"{numbered[name]} {new}" for name, new in sorted(mapping.items(), key=_by_number)
        )
        notes.add(f"the kit file {kit.path} ({kit.label}) names the spots: {shown}")
    if unnamed:
        notes.add(
            f"the kit file {kit.path} ({kit.label}) does not name spot"
            f"{'s' if len(unnamed) > 1 else ''} {', '.join(map(str, unnamed[:_MOST_SHOWN]))}; "
            "read as spot <n>"
        )
    return _renamed(wells, mapping, both=True), _renamed(vendor, mapping, both=False)


def _by_number(item: tuple[str, str]) -> int:
    found = _SPOT.match(item[0])
    return int(found.group(1)) if found else 0


def _renamed(frame: pd.DataFrame, mapping: dict[str, str], both: bool) -> pd.DataFrame:
    if frame.empty or not mapping:
        return frame
    analyte = frame["analyte"].astype(object).to_numpy()
    named = np.array([mapping.get(str(name), name) for name in analyte.tolist()], dtype=object)
    if not both:
        return frame.assign(analyte=named)
    return frame.assign(analyte=named, analyte_raw=named)
