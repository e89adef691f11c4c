"""Concentration units: their spellings, conversions, and one unit per analyte per study.

A unit is *known* when it reads as ``<prefix><g|mol|IU|U>/<prefix>L`` (``pg/mL``,
``ng/mL``, ``µg/mL`` also written ``ug/mL`` or ``μg/mL``, ``mg/mL``, ``ng/L``,
``pmol/L``, ``IU/mL``, ``mU/mL``, ...). Known units of one kind (mass, molar, IU, U)
convert into each other by their prefixes; IU or U convert to a mass unit only where a
kit file gives the factor (``conversions``: ``1 IU/mL = 4.2 pg/mL``) for the plates run
with that lot. Any other text (``copies``, ``AU/mL``) is an unknown unit: kept as
written, equal only to itself.

Per study, each analyte's values are brought to one unit before replicates are
combined across plates (:func:`plan_units`): the unit set in the analyte table, else
the unit most of its plates state. A plate that states none takes its kit lot's unit,
else that study unit with a QC warning. An analyte with a plate whose unit cannot be
converted to it is left out of the statistics, with the reason.

>>> canonical("ug/ml")
'µg/mL'
>>> factor("ng/mL", "pg/mL")
1000.0
>>> factor("copies", "pg/mL") is None
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.vocabulary import QcStatus, Role

if TYPE_CHECKING:
    from assaypipe.kits import KitLot

MICRO = "\u00b5"  # the micro sign, as in µg/mL
# Powers of ten, so that converting between prefixes multiplies by exactly 1000.0.
_PREFIX = {"p": -12, "n": -9, MICRO: -6, "m": -3, "d": -1, "": 0}
_KINDS = {"g": "mass", "mol": "molar", "IU": "IU", "U": "U"}
_KNOWN = re.compile(r"([pnµm]?)(g|mol|IU|U)/([µmd]?)L")
_KNOWN_FOLDED = re.compile(r"([pnµm]?)(g|mol|iu|u)/([µmd]?)l")
_CONVERSION = re.compile(r"1\s+(?P<unit>\S.*?)\s*=\s*(?P<factor>\S+)\s+(?P<mass>\S.*?)")

# What the report and the figures show for a concentration without a unit.
NOT_STATED = "unit not stated"
# The QC check naming how a plate's unit was found or converted.
UNIT_CHECK = "unit"
# Who leaves an analyte out of the statistics for its units (exclusions.parquet).
UNIT_SOURCE = "units"
UNIT_WHO = "assaypipe units"


@dataclass(frozen=True)
class Unit:
    """A known unit: its canonical spelling, kind and size (10**exponent <base>/L)."""

    text: str
    kind: str
    exponent: int


def parse(unit: str) -> Unit | None:
    """The known unit ``unit`` spells, or None.

    >>> parse("pg/ml")
    Unit(text='pg/mL', kind='mass', exponent=-9)
    """
    text = "".join(str(unit).split()).replace("\u03bc", MICRO)
    text = re.sub(r"^u(?=(g|mol|IU|U)/)", MICRO, text)
    text = re.sub(r"/u(?=L$)", "/" + MICRO, text)
    match = _KNOWN.fullmatch(text)
    if match is None:
        folded = _KNOWN_FOLDED.fullmatch(text.lower())
        if folded is None:
            return None
        base = {"iu": "IU", "u": "U"}.get(folded[2], folded[2])
        match = _KNOWN.fullmatch(f"{folded[1]}{base}/{folded[3]}L")
        if match is None:
            return None
    prefix, base, volume = match[1], match[2], match[3]
    return Unit(
        text=f"{prefix}{base}/{volume}L",
        kind=_KINDS[base],
        exponent=_PREFIX[prefix] - _PREFIX[volume],
    )


def canonical(unit: object) -> str:
    """A unit's canonical spelling: known units as :func:`parse` writes them, others with
    spaces collapsed; "" for none."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return ""
    known = parse(str(unit))
    return known.text if known is not None else " ".join(str(unit).split())


def label(unit: str) -> str:
    """A unit as a figure or the report shows it: :data:`NOT_STATED` when there is none."""
    return unit or NOT_STATED


@dataclass(frozen=True)
class Conversion:
    """``1 unit = factor mass``: how a kit lot's IU (or U, ...) relate to a mass unit."""

    unit: Unit
    factor: float
    mass: Unit

    def __str__(self) -> str:
        return f"1 {self.unit.text} = {self.factor:g} {self.mass.text}"


def parse_conversion(text: str) -> Conversion:
    """``"1 IU/mL = 4.2 pg/mL"`` as a :class:`Conversion`; ValueError names what is wrong."""
    match = _CONVERSION.fullmatch(str(text).strip())
    if match is None:
        raise ValueError(f"expected '1 <unit> = <number> <mass unit>', found {text!r}")
    unit, mass = parse(match["unit"]), parse(match["mass"])
    try:
        number = float(match["factor"])
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"expected a positive number of {match['mass']}, found {text!r}")
    if mass is None or mass.kind != "mass":
        raise ValueError(f"expected a mass unit such as pg/mL after the number, found {text!r}")
    if unit is None or unit.kind == "mass":
        raise ValueError(
            f"expected a known unit that is not a mass (IU/mL, U/mL, pmol/L) first, found {text!r}"
        )
    return Conversion(unit=unit, factor=number, mass=mass)


def factor(source: str, target: str, conversions: Sequence[Conversion] = ()) -> float | None:
    """What a concentration in ``source`` is multiplied by to be in ``target``; None when
    it cannot be converted (an unknown unit, or IU/U and mass without a conversion)."""
    source, target = canonical(source), canonical(target)
    if source == target:
        return 1.0
    a, b = parse(source), parse(target)
    if a is None or b is None:
        return None
    if a.kind == b.kind:
        return _power(a.exponent - b.exponent)
    for conversion in conversions:
        one, mass = conversion.unit, conversion.mass
        if a.kind == one.kind and b.kind == mass.kind:
            steps = a.exponent - one.exponent + mass.exponent - b.exponent
            return conversion.factor * _power(steps)
        if a.kind == mass.kind and b.kind == one.kind:
            steps = a.exponent - mass.exponent + one.exponent - b.exponent
            return _power(steps) / conversion.factor
    return None


def _power(exponent: int) -> float:
    """10**exponent, exact for the powers a prefix gives (10.0**-3 is the double nearest)."""
    return float(10**exponent) if exponent >= 0 else 1.0 / float(10**-exponent)


# -- a study's units ---------------------------------------------------------------------

PLATE_KEYS = ["plate_id", "analyte"]


def plate_units(wells: pd.DataFrame) -> pd.DataFrame:
    """The unit of each plate x analyte of a wells table: plate_id, analyte, unit, stated.

    ``unit`` is the one its standards state (the curve's, so the unit of every
    concentration read off it), else the one its other wells state, the most common
    where several; "" when none does. ``stated`` lists every unit its wells state
    (``;``-separated), to tell when they disagree.
    """
    keys = wells[PLATE_KEYS].astype(str)
    if wells.empty:
        return pd.DataFrame(columns=[*PLATE_KEYS, "unit", "stated"])
    units = wells["unit"] if "unit" in wells else pd.Series("", index=wells.index)
    codes, uniques = pd.factorize(units.fillna("").astype(str))
    spelled = np.array([canonical(u) for u in uniques], dtype=object)
    frame = keys.assign(
        unit=spelled[codes] if len(uniques) else "",
        is_standard=(wells["role"] == Role.STANDARD).to_numpy(),
    )
    frame = frame[frame["unit"] != ""]
    counts = frame.groupby([*PLATE_KEYS, "unit"], sort=True).agg(
        n=("is_standard", "size"), n_standard=("is_standard", "sum")
    )
    counts = counts.reset_index().sort_values(
        [*PLATE_KEYS, "n_standard", "n", "unit"],
        ascending=[True, True, False, False, True],
        kind="stable",
    )
    chosen = counts.drop_duplicates(PLATE_KEYS)[[*PLATE_KEYS, "unit"]].assign(
        stated=lambda f: f["unit"]
    )
    # Joined per pair only where a pair states several (a Python call per group is slow).
    several = counts[counts.duplicated(PLATE_KEYS, keep=False)]
    if not several.empty:
        joined = several.groupby(PLATE_KEYS)["unit"].agg(lambda u: ";".join(sorted(u)))
        chosen = chosen.set_index(PLATE_KEYS)
        chosen.loc[joined.index, "stated"] = joined
        chosen = chosen.reset_index()
    pairs = keys.drop_duplicates().sort_values(PLATE_KEYS, kind="stable")
    out = pairs.merge(chosen, on=PLATE_KEYS, how="left")
    return out.fillna({"unit": "", "stated": ""}).reset_index(drop=True)


def pair_units(frame: pd.DataFrame, units: pd.DataFrame) -> np.ndarray:
    """The unit of each row of ``frame`` (columns plate_id, analyte) from
    :func:`plate_units` (or a plan's plates); "" for a pair it does not list."""
    index = pd.MultiIndex.from_frame(frame[PLATE_KEYS].astype(str))
    keyed = units.set_index(PLATE_KEYS)["unit"]
    return keyed.reindex(index).fillna("").to_numpy(dtype=object)


def target_units(aliases: pd.DataFrame | None) -> dict[str, str]:
    """Analyte -> the unit set for it in the analyte table's ``unit`` column (none: {})."""
    if aliases is None or "unit" not in aliases:
        return {}
    given = aliases[aliases["unit"].fillna("").astype(str).str.strip() != ""]
    return {
        str(analyte): canonical(unit)
        for analyte, unit in zip(given["analyte"], given["unit"], strict=True)
    }


@dataclass(frozen=True)
class UnitPlan:
    """How each plate x analyte's concentrations reach its analyte's study unit.

    ``plates``: plate_id, analyte, stated (the units its wells state, ``;``-separated,
    "" none), unit (the unit its concentrations are taken to be in), source (``export``,
    ``kit``, ``config``, ``assumed``, or "" when nothing is known), factor (to the study
    unit; NaN when it cannot be converted), detail (a sentence for the QC table, "" when
    there is nothing to say). ``analytes``: analyte, unit (the study unit, "" when none
    is known), reason (why the analyte is left out of the statistics; "" when kept).
    ``conversions``: the kit conversions that apply to each plate x analyte.
    """

    plates: pd.DataFrame
    analytes: pd.DataFrame
    conversions: Mapping[tuple[str, str], Sequence[Conversion]] = field(default_factory=dict)
    _units: dict[tuple[str, str], str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = zip(self.plates["plate_id"], self.plates["analyte"], strict=True)
        units = dict(zip(keys, self.plates["unit"], strict=True))
        object.__setattr__(self, "_units", units)

    def plate_unit(self, plate_id: str, analyte: str) -> str:
        """The unit of a plate x analyte's concentrations ("" when none is known)."""
        return str(self._units.get((plate_id, analyte), ""))

    def to_plate(self, plate_id: str, analyte: str, unit: str) -> float | None:
        """The factor from ``unit`` to the plate x analyte's unit (1 when either is
        unknown to the plan or empty); None when it cannot be converted."""
        plate_unit = self.plate_unit(plate_id, analyte)
        if not plate_unit or not canonical(unit):
            return 1.0
        return factor(unit, plate_unit, self.conversions.get((plate_id, analyte), ()))

    def study_unit(self, analyte: str) -> str:
        """The unit an analyte's values are brought to ("" when none is known)."""
        found = self.analytes.loc[self.analytes["analyte"] == analyte, "unit"]
        return str(found.iloc[0]) if len(found) else ""

    def excluded(self) -> dict[str, str]:
        """Analytes left out of the statistics for their units, with the reason."""
        left_out = self.analytes[self.analytes["reason"] != ""]
        return dict(zip(left_out["analyte"], left_out["reason"], strict=True))

    def to_study(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per row of ``frame`` (columns plate_id, analyte): the factor to the analyte's
        study unit (NaN where it cannot be converted) and that unit."""
        table = self.plates.merge(
            self.analytes[["analyte", "unit"]], on="analyte", suffixes=("", "_study")
        )
        keyed = table.set_index(PLATE_KEYS)
        index = pd.MultiIndex.from_frame(frame[PLATE_KEYS].astype(str))
        factors = keyed["factor"].reindex(index).to_numpy(dtype=float, copy=True)
        units = keyed["unit_study"].reindex(index).fillna("").to_numpy(dtype=object)
        # A pair the plan does not know (not in the wells it was made from) stays as it is.
        unknown = ~index.isin(keyed.index)
        factors[unknown] = 1.0
        return factors, units

    def exclusion_rows(self) -> pd.DataFrame:
        """One analyte-level exclusion per analyte left out for its units (the columns of
        :func:`assaypipe.exclusion_sheet.read_exclusions`)."""
        left_out = self.excluded()
        return pd.DataFrame(
            {
                "level": "analyte",
                "plate_id": "",
                "well": "",
                "analyte": list(left_out),
                "reason": list(left_out.values()),
                "who": UNIT_WHO,
                "when": None,
                "line": pd.NA,
            },
            columns=["level", "plate_id", "well", "analyte", "reason", "who", "when", "line"],
        )

    def qc_rows(self) -> list[dict[str, Any]]:
        """A ``unit`` QC row for every plate x analyte whose unit needs saying: taken from
        its kit lot or the config (pass), converted (pass, the factor as value), assumed,
        stated in several units or not convertible (warn)."""
        rows = []
        noted = self.plates[self.plates["detail"] != ""]
        for record in noted.to_dict("records"):
            value = float(record["factor"])
            warn = (
                record["source"] == "assumed"
                or not math.isfinite(value)
                or ";" in str(record["stated"])
            )
            rows.append(
                {
                    "plate_id": record["plate_id"],
                    "analyte": record["analyte"],
                    "check": UNIT_CHECK,
                    "value": value if math.isfinite(value) and value != 1.0 else math.nan,
                    "unit": record["unit"],
                    "threshold": "a stated unit convertible to the study unit",
                    "status": QcStatus.WARN if warn else QcStatus.PASS,
                    "detail": record["detail"],
                }
            )
        return rows


def study_units(
    wells: pd.DataFrame, aliases: pd.DataFrame | None = None, kits: Sequence[KitLot] = ()
) -> UnitPlan:
    """The :class:`UnitPlan` of a study's wells, with the units set in the analyte table
    (``aliases``, its ``unit`` column) and the kit lots."""
    return plan_units(plate_units(wells), target_units(aliases), kits)


@dataclass
class _Pair:
    """One plate x analyte while the plan is made."""

    plate_id: str
    analyte: str
    stated: str
    unit: str
    source: str
    conversions: tuple[Conversion, ...]
    factor: float = math.nan
    detail: str = ""


def plan_units(
    units: pd.DataFrame,
    targets: Mapping[str, str] | None = None,
    kits: Sequence[KitLot] = (),
) -> UnitPlan:
    """The study's :class:`UnitPlan` from :func:`plate_units`.

    ``targets`` are units set per analyte (the analyte table's ``unit`` column); ``kits``
    the kit lots, whose ``unit`` fills a plate that states none (when the lot names the
    analyte) and whose ``conversions`` relate IU or U to a mass unit on their plates.
    """
    targets = {str(a): canonical(u) for a, u in (targets or {}).items() if canonical(u)}
    stated = units["stated"] if "stated" in units else units["unit"]
    by_analyte: dict[str, list[_Pair]] = {}
    for plate_id, analyte, unit, listed in zip(
        units["plate_id"].astype(str),
        units["analyte"].astype(str),
        units["unit"].map(canonical),
        stated.fillna("").astype(str),
        strict=True,
    ):
        lots = [kit for kit in kits if kit.used_on(plate_id) and kit.names(analyte)]
        kit_units = sorted({canonical(kit.unit) for kit in lots} - {""})
        source = "export" if unit else ("kit" if len(kit_units) == 1 else "")
        pair = _Pair(
            plate_id=plate_id,
            analyte=analyte,
            stated=listed,
            unit=unit or (kit_units[0] if source == "kit" else ""),
            source=source,
            conversions=tuple(c for kit in lots for c in kit.conversions_of(analyte)),
        )
        by_analyte.setdefault(analyte, []).append(pair)
    analytes = []
    for analyte, pairs in sorted(by_analyte.items()):
        target, reason = _resolve(analyte, pairs, targets.get(analyte, ""))
        analytes.append({"analyte": analyte, "unit": target, "reason": reason})
    pairs = [pair for _, found in sorted(by_analyte.items()) for pair in found]
    columns = ["plate_id", "analyte", "stated", "unit", "source", "factor", "detail"]
    plates = pd.DataFrame(
        [[getattr(pair, column) for column in columns] for pair in pairs], columns=columns
    )
    return UnitPlan(
        plates=plates.astype({"factor": float}),
        analytes=pd.DataFrame(analytes, columns=["analyte", "unit", "reason"]),
        conversions={(p.plate_id, p.analyte): p.conversions for p in pairs if p.conversions},
    )


def _resolve(analyte: str, pairs: list[_Pair], configured: str) -> tuple[str, str]:
    """Set each pair's unit, factor and detail; the analyte's study unit and, when a
    plate cannot be brought to it, why the analyte is left out of the statistics."""
    counts = pd.Series([p.unit for p in pairs if p.unit], dtype=object).value_counts()
    target = configured or _most_common(counts)
    where = "set in the analyte table" if configured else _share(counts, target, len(pairs))
    unconvertible: dict[str, list[str]] = {}
    for pair in pairs:
        if not target:
            pair.factor = 1.0
            continue
        if not pair.unit:
            if counts.empty:
                pair.source = "config"
                pair.detail = f"no unit stated; {target} as set in the analyte table"
            else:
                pair.source = "assumed"
                pair.detail = (
                    f"the export states no unit for {analyte}; {target} assumed, "
                    f"the study unit of {analyte} ({where})"
                )
            pair.unit, pair.factor = target, 1.0
            continue
        found = factor(pair.unit, target, pair.conversions)
        if found is None:
            unconvertible.setdefault(pair.unit, []).append(pair.plate_id)
            pair.detail = (
                f"{pair.unit} cannot be converted to {target}, the study unit of {analyte} "
                f"({where}); {analyte} is left out of the statistics"
            )
            continue
        pair.factor = found
        notes = []
        if pair.source == "kit":
            notes.append(f"no unit in the export; {pair.unit} from the kit file")
        if ";" in pair.stated:
            several = pair.stated.replace(";", ", ")
            notes.append(f"its wells state several units ({several}); the standards' {pair.unit}")
        if found != 1.0:
            notes.append(f"{pair.unit} converted to {target} (× {found:g}) for the statistics")
        pair.detail = "; ".join(notes)
    if not unconvertible:
        return target, ""
    listed = "; ".join(f"{unit} on {_plates(ids)}" for unit, ids in sorted(unconvertible.items()))
    return target, (
        f"units that cannot be converted to {target} ({where}): {listed}; "
        "state the unit in the export or the kit file, or exclude those plates"
    )


def _most_common(counts: pd.Series) -> str:
    """The unit most plates state; on a tie known units first, mass first, the smaller."""
    if counts.empty:
        return ""

    def key(unit: str) -> tuple[int, bool, bool, int, str]:
        known = parse(unit)
        return (
            -int(counts[unit]),
            known is None,
            known is None or known.kind != "mass",
            known.exponent if known is not None else 0,
            unit,
        )

    return min((str(u) for u in counts.index), key=key)


def _share(counts: pd.Series, target: str, n_plates: int) -> str:
    n = int(counts.get(target, 0))
    return f"stated on {n} of {n_plates} plate{'s' if n_plates != 1 else ''}"


def _plates(ids: Sequence[str], most: int = 3) -> str:
    shown = ", ".join(ids[:most])
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return f"plate{'s' if len(ids) > 1 else ''} {shown}{more}"


def check_conversions(path: object, conversions: object) -> dict[str, list[Conversion]]:
    """A kit file's ``conversions`` mapping (analyte -> one text or a list), checked."""
    if conversions is None:
        return {}
    if not isinstance(conversions, dict):
        raise InputError(str(path), "conversions must map analytes to '1 IU/mL = <number> pg/mL'")
    out: dict[str, list[Conversion]] = {}
    for analyte, texts in conversions.items():
        for text in texts if isinstance(texts, list) else [texts]:
            try:
                out.setdefault(str(analyte), []).append(parse_conversion(str(text)))
            except ValueError as exc:
                raise InputError(str(path), str(exc), where=f"conversions, {analyte}") from None
    return out
