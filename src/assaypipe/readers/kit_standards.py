"""Standards' expected concentrations from kit files, where the export's are wrong or
missing (docs/qc.md, "Kit files").

Three sources can give a standard's expected concentration; the most specific wins:
the plate map (this plate), then the kit file (this kit lot), then the export (what
was typed into the instrument software). Applied before the dilution-series check, so
a series a kit file corrects is no longer flagged ``broken_dilution_series``.

Every departure from the export is a plate warning naming the analyte, the levels and
the kit file, so the lab sees where each concentration came from:

- the kit file replaces or fills the export's values (old -> new per level);
- the plate map's values differ from the kit file's (the map's are used);
- the kit file's unit differs from the export's (the kit's values and unit are used,
  not converted);
- the kit's series runs the other way from the export's level numbers (a Gen5 export
  numbering STD1 as the lowest): the kit's values are not used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe.readers.cells import listed
from assaypipe.readers.parsed import Warnings
from assaypipe.sheets import alias_lookup, analyte_key
from assaypipe.vocabulary import Role

if TYPE_CHECKING:
    from assaypipe.kits import KitLot, StandardSeries

__all__ = ["KitStandards", "apply_kit_standards"]

# Values this close are the same concentration written with other digits.
_SAME: Final = 1e-6
_MOST_SHOWN: Final = 8


@dataclass(frozen=True, eq=False)
class KitStandards:
    """The kit lots that give standards (or name the spots of multi-spot plates,
    `kit_spots`), and the alias table that matches their analytes with the export's
    names (``MCP-1`` in the export, ``CCL2`` in the kit)."""

    kits: tuple[KitLot, ...]
    lookup: dict[str, str]

    @classmethod
    def of(cls, kits: Sequence[KitLot], aliases: pd.DataFrame | None) -> KitStandards | None:
        """None when no kit gives standards or spots (nothing to apply)."""
        giving = tuple(kit for kit in kits if kit.standards or kit.spots)
        if not giving:
            return None
        return cls(giving, alias_lookup(aliases) if aliases is not None else {})

    def key(self, analyte: str) -> str:
        """One name for an analyte however it is spelled: canonical, else as written."""
        key = analyte_key(analyte)
        return self.lookup.get(key) or key


def apply_kit_standards(
    wells: pd.DataFrame,
    standards: KitStandards,
    plate_id: str,
    layout: pd.DataFrame | None,
    notes: Warnings,
) -> pd.DataFrame:
    """Wells with the standards' expected concentrations (and unit) the plate's kit
    lots give, where the plate map gives none; what changed is added to ``notes``."""
    from assaypipe.kits import plate_standards

    found = plate_standards(standards.kits, plate_id)
    if not found or wells.empty:
        return wells
    by_key = {standards.key(name): entry for name, entry in found.items()}
    names = wells["analyte"].astype(str).to_numpy(dtype=object)
    is_standard = (wells["role"] == Role.STANDARD).to_numpy()
    in_map = _map_gives_conc(wells, layout)
    levels = np.asarray(
        wells["level"].astype("Float64").to_numpy(na_value=np.nan), dtype=np.float64
    )
    expected = wells["expected_conc"].to_numpy(dtype=np.float64, copy=True)
    units = wells["unit"].astype(str).to_numpy(dtype=object, copy=True)
    for name in dict.fromkeys(names[is_standard].tolist()):
        entry = by_key.get(standards.key(str(name)))
        if entry is None:
            continue
        series, kit = entry
        of_analyte = names == name
        rows = np.flatnonzero(of_analyte & is_standard)
        used = _apply_one(
            _Standards(str(name), levels[rows], expected[rows], in_map[rows]), series, kit, notes
        )
        if used is None:
            continue
        expected[rows] = used
        units[of_analyte] = _unit(str(name), units[of_analyte], kit, notes)
    return wells.assign(expected_conc=expected, unit=units)


@dataclass(frozen=True, eq=False)
class _Standards:
    """One analyte's standard wells on a plate: level, expected concentration, and
    whether the plate map gave that concentration."""

    analyte: str
    levels: npt.NDArray[np.float64]
    expected: npt.NDArray[np.float64]
    in_map: npt.NDArray[np.bool_]


def _apply_one(
    wells: _Standards, series: StandardSeries, kit: KitLot, notes: Warnings
) -> npt.NDArray[np.float64] | None:
    """The analyte's expected concentrations once the kit's are applied; None when the
    kit's are not used at all."""
    kit_values = series.at(wells.levels)
    covered = np.isfinite(kit_values)
    if series.is_dilution:
        # A zero calibrator is no step of the dilution series: it stays 0.
        covered &= ~(wells.expected == 0)
    source = f"kit file {kit.path} ({kit.label})"
    kit_runs = _runs(wells, kit_values)
    if kit_runs * _runs(wells, wells.expected) < 0:
        way, other = ("falling", "rise") if kit_runs < 0 else ("rising", "fall")
        notes.add(
            f"{source} gives the standards {way} from level 1 but the export's {other} with "
            "the level number; the kit file's values are not used: give them as a list in "
            "the export's level order",
            where=f"analyte {wells.analyte}",
        )
        return None
    _note_map_differs(wells, kit_values, covered, source, notes)
    use = covered & ~wells.in_map
    if not use.any():
        return None
    _note_used(
        wells,
        kit_values,
        covered,
        use,
        f"the kit file {kit.path} ({kit.label}: {series.describe()}, {kit.unit})",
        notes,
    )
    return np.where(use, kit_values, wells.expected)


def _note_used(
    wells: _Standards,
    kit_values: npt.NDArray[np.float64],
    covered: npt.NDArray[np.bool_],
    use: npt.NDArray[np.bool_],
    source: str,
    notes: Warnings,
) -> None:
    """One warning for the levels whose values the kit file replaces or fills; none
    when it agrees with the export."""
    old = wells.expected
    filled = use & ~np.isfinite(old)
    changed = use & np.isfinite(old) & ~np.isclose(old, kit_values, rtol=_SAME, atol=0)
    parts = []
    if changed.any():
        steps = _per_level(wells.levels[changed], old[changed], kit_values[changed])
        parts.append(f"replaces the export's expected concentrations at {_shown_steps(steps)}")
    if filled.any():
        parts.append(f"gives those of {_level_list(wells.levels[filled])}, which the export lacks")
    if not parts:
        return
    # Levels the kit does not give (a list shorter than the export's series), zero
    # calibrators aside.
    kept = ~covered & ~wells.in_map & ~(old == 0)
    rest = f"; {_level_list(wells.levels[kept])} keep the export's" if kept.any() else ""
    notes.add(f"{source} " + " and ".join(parts) + rest, where=f"analyte {wells.analyte}")


def _runs(wells: _Standards, values: npt.NDArray[np.float64]) -> float:
    """Whether ``values`` rise (1) or fall (-1) with the level number over the wells the
    plate map does not set (median pairwise slope on a log scale); 0 when it cannot
    be told (fewer than three levels)."""
    keep = ~wells.in_map & np.isfinite(wells.levels) & np.isfinite(values) & (values > 0)
    level, value = np.unique(np.column_stack([wells.levels[keep], values[keep]]), axis=0).T
    if len(np.unique(level)) < 3:
        return 0.0
    i, j = np.triu_indices(len(level), k=1)
    apart = level[j] != level[i]
    y = np.log10(value)
    return float(np.sign(np.median((y[j] - y[i])[apart] / (level[j] - level[i])[apart])))


def _note_map_differs(
    wells: _Standards,
    kit_values: npt.NDArray[np.float64],
    covered: npt.NDArray[np.bool_],
    source: str,
    notes: Warnings,
) -> None:
    old = wells.expected
    differs = (
        wells.in_map & covered & np.isfinite(old) & ~np.isclose(old, kit_values, rtol=_SAME, atol=0)
    )
    if differs.any():
        steps = _per_level(wells.levels[differs], old[differs], kit_values[differs])
        notes.add(
            f"the plate map's expected concentrations differ from {source} at "
            f"{_shown_steps(steps, 'map {a}, kit {b}')}; the plate map's are used",
            where=f"analyte {wells.analyte}",
        )


def _unit(
    analyte: str, units: npt.NDArray[np.object_], kit: KitLot, notes: Warnings
) -> npt.NDArray[np.object_]:
    """The analyte's wells' unit once the kit's concentrations are used: the kit's."""
    stated = sorted({str(unit) for unit in units.tolist() if unit})
    differing = [unit for unit in stated if _unit_key(unit) != _unit_key(kit.unit)]
    if not stated:
        return np.full(len(units), kit.unit, dtype=object)
    if differing:
        notes.add(
            f"the export states {', '.join(differing)} but kit file {kit.path} gives the "
            f"standards in {kit.unit}; the kit file's values and unit are used, nothing "
            f"is converted, and the software's own results stay in {', '.join(differing)}",
            where=f"analyte {analyte}",
        )
        return np.full(len(units), kit.unit, dtype=object)
    return units


def _unit_key(unit: str) -> str:
    return "".join(unit.casefold().split()).replace("µ", "u").replace("μ", "u")


def _map_gives_conc(wells: pd.DataFrame, layout: pd.DataFrame | None) -> npt.NDArray[np.bool_]:
    """Rows whose expected concentration the plate map gives (it wins over a kit file)."""
    if layout is None:
        return np.zeros(len(wells), dtype=bool)
    given = layout[layout["expected_conc"].notna()]
    general = set(given.loc[given["analyte"].isna(), "well"].tolist())
    specific = {
        (well, str(analyte).casefold())
        for well, analyte in zip(given["well"], given["analyte"], strict=True)
        if not pd.isna(analyte)
    }
    return np.array(
        [
            well in general or (well, str(analyte).casefold()) in specific
            for well, analyte in zip(wells["well"].tolist(), wells["analyte"].tolist(), strict=True)
        ],
        dtype=bool,
    )


def _per_level(
    levels: npt.NDArray[np.float64], old: npt.NDArray[np.float64], new: npt.NDArray[np.float64]
) -> list[tuple[str, str, str]]:
    """(level, old, new) once per level, in level order."""
    seen: dict[str, tuple[str, str, str]] = {}
    for level, before, after in sorted(
        zip(levels.tolist(), old.tolist(), new.tolist(), strict=True),
        key=lambda item: (math.isnan(item[0]), item[0]),
    ):
        label = _level_label(level)
        seen.setdefault(label, (label, _number(before), _number(after)))
    return list(seen.values())


def _shown_steps(steps: list[tuple[str, str, str]], change: str = "{a} -> {b}") -> str:
    """``level 5 (215625 -> 215.625)``, ``levels 1 (100 -> 120), 2 (50 -> 60)``."""
    shown = [f"{level} ({change.format(a=a, b=b)})" for level, a, b in steps]
    return ("level " if len(steps) == 1 else "levels ") + listed(shown, _MOST_SHOWN)


def _level_list(levels: npt.NDArray[np.float64]) -> str:
    """``level 5``, ``levels 1-7``, ``levels 1, 3, 9-11``; wells without a level number
    are counted."""
    whole = sorted({int(level) for level in levels.tolist() if not math.isnan(level)})
    runs: list[str] = []
    for level in whole:
        if runs and runs[-1].split("-")[-1] == str(level - 1):
            runs[-1] = f"{runs[-1].split('-')[0]}-{level}"
        else:
            runs.append(str(level))
    text = ""
    if whole:
        text = ("level " if len(whole) == 1 else "levels ") + ", ".join(runs)
    unnumbered = int(np.isnan(levels).sum())
    if unnumbered:
        text += (" and " if text else "") + f"{unnumbered} standard wells without a level number"
    return text


def _level_label(level: float) -> str:
    return "?" if math.isnan(level) else str(int(level))


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.6g}"
