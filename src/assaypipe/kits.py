"""Kit files: one per kit lot, the range its certificate states for each control and,
where the export's are wrong or missing, the standards' expected concentrations.

A kit file is YAML (``config/kits/<kit>_<lot>.yaml``)::

    kit: CSF 4-plex magnetic bead kit
    lot: "8073024"
    unit: pg/mL
    plates: ["luminex_4plex_*"]     # plate_id patterns run with this lot
    controls:
      Control1:
        CCL2: [1050, 1950]          # low, high in the kit unit, undiluted
        MCP-1: [1050, 1950]         # an export spelling works too (analyte alias table)
    standards:                      # expected concentrations by level, kit unit
      CCL2: {top: 10000, dilution: 4}     # level 1 (Standard1) the highest
      HGF: [20000, 5000, 1250, 312.5]     # or one value per level: 1, 2, 3, ...
    conversions:                    # optional: IU (or U) of a reference to a mass unit
      IL6: 1 IU/mL = 4.2 pg/mL
    spots:                          # multi-spot plates (MSD): the analyte of each spot
      1: IL-6
      2: TNF-alpha

``unit`` is the unit of the control ranges, and the unit of the lot's plates where an
export states none for an analyte the lot names. ``conversions`` relate a non-mass unit
to a mass unit per analyte on the lot's plates (:mod:`assaypipe.units`).
``spots`` name the analyte of each spot of a multi-spot plate whose export names only
spot numbers (an MSD reader's text export reads them as ``spot <n>``).
``plates`` are shell-style patterns (``*``, ``?``, ``[...]``) matched against plate ids;
control names are matched against the ``sample_id`` of control wells, ignoring case.
A file gives ``controls``, ``standards``, ``conversions``, ``spots`` or several of them. It is read
with YAML's safe loader (:mod:`assaypipe.yamlfile`), at most ``MAX_KIT_BYTES`` long,
without aliases (``*name``) and with no key or value longer than ``yamlfile.MAX_TEXT``,
so a wrong or hostile file fails with one sentence instead of exhausting memory, and no
message quotes more than a short excerpt of it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe.errors import InputError, excerpt, shortened
from assaypipe.sheets import alias_lookup, canonical_analyte
from assaypipe.units import Conversion, check_conversions
from assaypipe.yamlfile import load_yaml

KIT_KEYS = ("kit", "lot", "unit", "plates", "controls", "standards", "conversions", "spots")
# Spot numbers of multi-spot plates (MSD plates have 1, 4, 7 or 10 spots; 384-well
# plates up to 4): a number beyond this is a typing error.
MAX_SPOT: Final = 100
REQUIRED_KEYS: Final = ("kit", "lot", "unit", "plates")
# A kit file is a few hundred bytes; anything far larger is the wrong file.
MAX_KIT_BYTES: Final = 256 * 1024
SERIES_KEYS: Final = ("top", "dilution")


@dataclasses.dataclass(frozen=True)
class StandardSeries:
    """A kit's expected concentrations of one analyte's standards, by level number.

    Either a top concentration and a dilution factor (level n is
    ``top / dilution ** (n - 1)``: level 1, Standard1, is the highest) or one value
    per level (``values[n - 1]``).

    >>> StandardSeries(top=10000, dilution=4).at(np.array([1, 2, 5]))
    array([10000.    ,  2500.    ,    39.0625])
    >>> StandardSeries(values=(40.0, 20.0)).at(np.array([2, 3]))
    array([20., nan])
    """

    top: float | None = None
    dilution: float | None = None
    values: tuple[float, ...] = ()

    @property
    def is_dilution(self) -> bool:
        return self.top is not None

    def at(self, levels: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The concentration of each level; NaN where the kit gives none."""
        level = np.asarray(levels, dtype=float)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(level) & (level >= 1) & (level % 1 == 0)
        out = np.full(level.shape, np.nan)
        if self.top is not None and self.dilution is not None:
            out[whole] = self.top / self.dilution ** (level[whole] - 1)
            return out
        known = whole & (level <= len(self.values))
        out[known] = np.asarray(self.values, dtype=float)[level[known].astype(int) - 1]
        return out

    def describe(self) -> str:
        if self.is_dilution:
            return f"top {self.top:g}, dilution {self.dilution:g}"
        return f"{len(self.values)} levels"


@dataclasses.dataclass(frozen=True)
class KitLot:
    """One kit lot: which plates used it, each control's range per analyte, and the
    standards' expected concentrations per analyte (canonical analyte names)."""

    path: str
    kit: str
    lot: str
    unit: str
    plates: tuple[str, ...]
    ranges: Mapping[tuple[str, str], tuple[float, float]]
    standards: Mapping[str, StandardSeries] = dataclasses.field(default_factory=dict)
    conversions: Mapping[str, tuple[Conversion, ...]] = dataclasses.field(default_factory=dict)
    spots: Mapping[int, str] = dataclasses.field(default_factory=dict)

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
    data = _load(path)
    if not isinstance(data, dict):
        raise InputError(
            path,
            f"expected a mapping with keys {', '.join(REQUIRED_KEYS)} and controls or standards",
        )
    missing = [key for key in REQUIRED_KEYS if key not in data]
    unknown = sorted(shortened(str(key)) for key in set(data) - set(KIT_KEYS))
    if missing or unknown:
        raise InputError(
            path,
            f"expected keys {', '.join(KIT_KEYS)}; "
            + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"),
        )
    if not {"controls", "standards", "conversions", "spots"} & set(data):
        raise InputError(
            path,
            "gives no controls, standards, conversions or spots; expected at least one of them",
        )
    # Patterns are kept as written (plates: [2024001] is the plate 2024001, [0012] is
    # 0012, not the octal number 10); a single pattern may stand without brackets.
    plates = [data["plates"]] if isinstance(data["plates"], str) else data["plates"]
    if (
        not isinstance(plates, list)
        or not plates
        or not all(isinstance(p, str) and p.strip() for p in plates)
    ):
        found = "nothing" if data["plates"] is None else excerpt(data["plates"])
        raise InputError(
            path, f"plates must be a list of plate_id patterns, e.g. [P1, 'lum_*']; found {found}"
        )
    unit = data["unit"]
    if not isinstance(unit, str) or not unit.strip():
        raise InputError(path, f"unit must be a unit such as pg/mL, found {excerpt(unit)}")
    for key, example in (("kit", "CSF 4-plex"), ("lot", "'0012345'")):
        if not isinstance(data[key], str) or not data[key].strip():
            found = "nothing" if data[key] is None else excerpt(data[key])
            raise InputError(
                path, f"must be one word or line, e.g. {key}: {example}; found {found}", key
            )
    return KitLot(
        path=str(path),
        kit=data["kit"].strip(),
        lot=data["lot"].strip(),
        unit=unit.strip(),
        plates=tuple(plates),
        ranges=_ranges(path, data.get("controls"), lookup) if "controls" in data else {},
        standards=_standards(path, data["standards"], lookup) if "standards" in data else {},
        conversions=_conversions(path, data.get("conversions"), lookup),
        spots=_spots(path, data["spots"]) if "spots" in data else {},
    )


def _spots(path: Path, given: Any) -> dict[int, str]:
    """Spot number -> analyte, as written (the alias table applies when wells are
    annotated, as for any export's names)."""
    if not isinstance(given, dict) or not given:
        raise InputError(
            path, "spots must map each spot number to its analyte, e.g. {1: IL-6}", where="spots"
        )
    spots: dict[int, str] = {}
    for number, analyte in given.items():
        spot = number if isinstance(number, int) and not isinstance(number, bool) else None
        if spot is None and isinstance(number, str) and number.strip().isdecimal():
            spot = int(number)
        if spot is None or not 1 <= spot <= MAX_SPOT:
            raise InputError(
                path, f"expected a spot number 1 to {MAX_SPOT}, found {excerpt(number)}", "spots"
            )
        if not isinstance(analyte, str | int | float) or isinstance(analyte, bool):
            raise InputError(
                path, f"expected an analyte name, found {excerpt(analyte)}", f"spots, spot {spot}"
            )
        name = str(analyte).strip()
        if not name:
            raise InputError(path, "the analyte name is empty", where=f"spots, spot {spot}")
        if spot in spots:
            raise InputError(path, f"names spot {spot} twice", where="spots")
        spots[spot] = name
    return spots


def _conversions(
    path: Path, given: Any, lookup: dict[str, str]
) -> dict[str, tuple[Conversion, ...]]:
    conversions: dict[str, tuple[Conversion, ...]] = {}
    for analyte, found in check_conversions(path, given).items():
        name = canonical_analyte(analyte, lookup) or analyte
        conversions[name] = conversions.get(name, ()) + tuple(found)
    return conversions


def _load(path: Path) -> Any:
    return load_yaml(
        path,
        "kit file",
        MAX_KIT_BYTES,
        aliases=False,
        as_written=("kit", "lot"),
        lists_as_written=("plates",),
    )


def _ranges(
    path: Path, controls: Any, lookup: dict[str, str]
) -> dict[tuple[str, str], tuple[float, float]]:
    if not isinstance(controls, dict) or not controls:
        raise InputError(path, "controls must map each control to its analytes' [low, high]")
    ranges: dict[tuple[str, str], tuple[float, float]] = {}
    for control, analytes in controls.items():
        if not isinstance(analytes, dict) or not analytes:
            raise InputError(
                path, f"control {shortened(str(control))} must map analytes to [low, high]"
            )
        for analyte, bounds in analytes.items():
            low, high = _bounds(path, str(control), str(analyte), bounds)
            name = canonical_analyte(str(analyte), lookup) or str(analyte)
            ranges[(str(control).casefold(), name)] = (low, high)
    return ranges


def _standards(path: Path, standards: Any, lookup: dict[str, str]) -> dict[str, StandardSeries]:
    if not isinstance(standards, dict) or not standards:
        raise InputError(
            path,
            "standards must map each analyte to {top: <concentration>, dilution: <factor>} "
            "or to a list of concentrations by level",
            where="standards",
        )
    series: dict[str, StandardSeries] = {}
    written: dict[str, str] = {}
    for analyte, given in standards.items():
        name = canonical_analyte(str(analyte), lookup) or str(analyte)
        if name in written:
            raise InputError(
                path,
                f"gives the standards of {shortened(name)} twice ({shortened(written[name])} "
                f"and {shortened(str(analyte))})",
                where=f"standards, analyte {shortened(str(analyte))}",
            )
        written[name] = str(analyte)
        series[name] = _series(path, str(analyte), given)
    return series


def _series(path: Path, analyte: str, given: Any) -> StandardSeries:
    where = f"standards, analyte {shortened(analyte)}"
    if isinstance(given, dict):
        if sorted(map(str, given)) != sorted(SERIES_KEYS):
            raise InputError(
                path,
                f"expected {{top: <concentration>, dilution: <factor>}}, found {excerpt(given)}",
                where=where,
            )
        top, dilution = _number(given["top"]), _number(given["dilution"])
        if top is None or top <= 0:
            raise InputError(
                path,
                f"top must be a concentration above 0, found {excerpt(given['top'])}",
                where=where,
            )
        if dilution is None or dilution <= 1:
            raise InputError(
                path,
                "dilution must be the factor between levels, above 1 (3 for 1:3 steps), "
                f"found {excerpt(given['dilution'])}",
                where=where,
            )
        return StandardSeries(top=top, dilution=dilution)
    if isinstance(given, list) and given:
        values = [_number(value) for value in given]
        bad = next((i for i, value in enumerate(values) if value is None or value < 0), None)
        if bad is not None:
            raise InputError(
                path,
                f"level {bad + 1}: expected a concentration of 0 or more, found "
                f"{excerpt(given[bad])}",
                where=where,
            )
        return StandardSeries(values=tuple(float(value) for value in values if value is not None))
    raise InputError(
        path,
        "expected {top: <concentration>, dilution: <factor>} or a list of concentrations "
        f"by level (Standard1 first), found {excerpt(given)}",
        where=where,
    )


def _number(value: Any) -> float | None:
    """A finite number written as one (not a boolean, not text), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _bounds(path: Path, control: str, analyte: str, bounds: Any) -> tuple[float, float]:
    where = f"control {shortened(control)}, analyte {shortened(analyte)}"
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise InputError(path, f"expected [low, high], found {excerpt(bounds)}", where=where)
    try:
        if any(isinstance(bound, bool) for bound in bounds):
            raise TypeError("a boolean is not a bound")
        low, high = float(bounds[0]), float(bounds[1])
    except (TypeError, ValueError):
        raise InputError(
            path, f"expected two numbers, found {excerpt(bounds)}", where=where
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and 0 <= low < high):
        raise InputError(path, f"expected 0 <= low < high, found {excerpt(bounds)}", where=where)
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


def plate_spots(kits: Sequence[KitLot], plate_id: str) -> tuple[dict[int, str], KitLot] | None:
    """The spot names a kit lot gives a plate, and the lot; None when no lot does.

    Two lots naming the spots of one plate is an error, as for control ranges.
    """
    found = [kit for kit in kits if kit.spots and kit.used_on(plate_id)]
    if len(found) > 1:
        raise InputError(
            " and ".join(kit.path for kit in found),
            f"both name the spots of plate {plate_id}; narrow their plates patterns so one "
            "lot covers each plate",
        )
    if not found:
        return None
    return dict(found[0].spots), found[0]


def plate_standards(
    kits: Sequence[KitLot], plate_id: str
) -> dict[str, tuple[StandardSeries, KitLot]]:
    """The kit standards of a plate per analyte, and the lot each comes from.

    Two lots giving the standards of one analyte on one plate is an error, as for
    control ranges.
    """
    found: dict[str, tuple[StandardSeries, KitLot]] = {}
    for kit in kits:
        if not kit.standards or not kit.used_on(plate_id):
            continue
        for analyte, series in kit.standards.items():
            if analyte in found:
                raise InputError(
                    f"{found[analyte][1].path} and {kit.path}",
                    f"both give the standards of {analyte} on plate {plate_id}; "
                    "narrow their plates patterns so one lot covers each plate",
                )
            found[analyte] = (series, kit)
    return found
