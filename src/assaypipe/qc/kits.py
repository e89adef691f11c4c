"""Kit files: one per kit lot, the range its certificate states for each control.

A kit file is YAML (``config/kits/<kit>_<lot>.yaml``)::

    kit: CSF 4-plex magnetic bead kit
    lot: "8073024"
    unit: pg/mL
    plates: ["luminex_4plex_*"]     # plate_id patterns run with this lot
    controls:
      Control1:
        CCL2: [1050, 1950]          # low, high in the kit unit, undiluted
        MCP-1: [1050, 1950]         # an export spelling works too (analyte alias table)
    conversions:                    # optional: IU (or U) of a reference to a mass unit
      IL6: 1 IU/mL = 4.2 pg/mL

``unit`` is the unit of the control ranges, and the unit of the lot's plates where an
export states none for an analyte the lot names. ``conversions`` relate a non-mass unit
to a mass unit per analyte on the lot's plates (:mod:`assaypipe.units`).
``plates`` are shell-style patterns (``*``, ``?``, ``[...]``) matched against plate ids;
control names are matched against the ``sample_id`` of control wells, ignoring case.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from assaypipe.errors import InputError
from assaypipe.sheets import alias_lookup, canonical_analyte
from assaypipe.units import Conversion, check_conversions

KIT_KEYS = ("kit", "lot", "unit", "plates", "controls")
OPTIONAL_KIT_KEYS = ("conversions",)


@dataclasses.dataclass(frozen=True)
class KitLot:
    """One kit lot: which plates used it and each control's range per analyte."""

    path: str
    kit: str
    lot: str
    unit: str
    plates: tuple[str, ...]
    ranges: Mapping[tuple[str, str], tuple[float, float]]
    conversions: Mapping[str, tuple[Conversion, ...]] = dataclasses.field(default_factory=dict)

    def used_on(self, plate_id: str) -> bool:
        return any(fnmatch.fnmatchcase(plate_id, pattern) for pattern in self.plates)

    def names(self, analyte: str) -> bool:
        """The lot gives a control range or a conversion for ``analyte``."""
        return analyte in self.conversions or any(name == analyte for _, name in self.ranges)

    def conversions_of(self, analyte: str) -> tuple[Conversion, ...]:
        return tuple(self.conversions.get(analyte, ()))

    @property
    def label(self) -> str:
        return f"kit {self.kit} lot {self.lot}"


def read_kit(path: str | Path, aliases: pd.DataFrame | None = None) -> KitLot:
    """Read and check one kit file; ``aliases`` (the analyte alias table) lets it name
    analytes as the exports spell them."""
    path = Path(path)
    lookup = alias_lookup(aliases) if aliases is not None else {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "the kit file does not exist") from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"is not readable YAML ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(path, f"expected a mapping with keys {', '.join(KIT_KEYS)}")
    missing = [key for key in KIT_KEYS if key not in data]
    unknown = sorted(set(data) - set(KIT_KEYS) - set(OPTIONAL_KIT_KEYS))
    if missing or unknown:
        raise InputError(
            path,
            f"expected keys {', '.join(KIT_KEYS)} (and optionally "
            f"{', '.join(OPTIONAL_KIT_KEYS)}); "
            + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"),
        )
    plates = data["plates"]
    if not isinstance(plates, list) or not plates or not all(isinstance(p, str) for p in plates):
        raise InputError(path, "plates must be a list of plate_id patterns, e.g. [P1, 'lum_*']")
    controls = data["controls"]
    if not isinstance(controls, dict) or not controls:
        raise InputError(path, "controls must map each control to its analytes' [low, high]")
    ranges: dict[tuple[str, str], tuple[float, float]] = {}
    for control, analytes in controls.items():
        if not isinstance(analytes, dict) or not analytes:
            raise InputError(path, f"control {control} must map analytes to [low, high]")
        for analyte, bounds in analytes.items():
            low, high = _bounds(path, str(control), str(analyte), bounds)
            name = canonical_analyte(str(analyte), lookup) or str(analyte)
            ranges[(str(control).casefold(), name)] = (low, high)
    conversions: dict[str, tuple[Conversion, ...]] = {}
    for analyte, found in check_conversions(path, data.get("conversions")).items():
        name = canonical_analyte(analyte, lookup) or analyte
        conversions[name] = conversions.get(name, ()) + tuple(found)
    return KitLot(
        path=str(path),
        kit=str(data["kit"]),
        lot=str(data["lot"]),
        unit=str(data["unit"]),
        plates=tuple(plates),
        ranges=ranges,
        conversions=conversions,
    )


def _bounds(path: Path, control: str, analyte: str, bounds: Any) -> tuple[float, float]:
    where = f"control {control}, analyte {analyte}"
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise InputError(path, f"expected [low, high], found {bounds!r}", where=where)
    try:
        low, high = float(bounds[0]), float(bounds[1])
    except (TypeError, ValueError):
        raise InputError(path, f"expected two numbers, found {bounds!r}", where=where) from None
    if not (math.isfinite(low) and math.isfinite(high) and 0 <= low < high):
        raise InputError(path, f"expected 0 <= low < high, found {bounds!r}", where=where)
    return low, high


def read_kits(paths: Sequence[str | Path], aliases: pd.DataFrame | None = None) -> list[KitLot]:
    """Every kit file, sorted by path so lookups do not depend on listing order."""
    return [read_kit(path, aliases) for path in sorted(paths, key=str)]


def control_range(
    kits: Sequence[KitLot], plate_id: str, control: str, analyte: str
) -> tuple[float, float, KitLot] | None:
    """The kit range of a control on a plate, and the lot it comes from; None if no kit has it.

    Two lots claiming the same control of the same plate is an error, because the
    check would otherwise depend on which file was read first.
    """
    found = [
        (kit.ranges[(control.casefold(), analyte)], kit)
        for kit in kits
        if kit.used_on(plate_id) and (control.casefold(), analyte) in kit.ranges
    ]
    if len(found) > 1:
        files = " and ".join(kit.path for _, kit in found)
        raise InputError(
            files,
            f"both give a range for {control} ({analyte}) on plate {plate_id}; "
            "narrow their plates patterns so one lot covers each plate",
        )
    if not found:
        return None
    (low, high), kit = found[0]
    return low, high, kit
