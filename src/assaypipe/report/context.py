"""What every section of the report reads, worked out once from the inputs: the plates
in run order, the analytes, each plate x analyte's verdict, exclusions and unit, which
curves are drawn, and the vendor's concentrations beside ours."""

from __future__ import annotations

import base64
import dataclasses
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from assaypipe.qc.checks import records
from assaypipe.qc.levey_jennings import run_order
from assaypipe.report.cells import blank
from assaypipe.report.figure_cache import FigureCache, Pending
from assaypipe.report.html import Html, tag
from assaypipe.report.inputs import ReportInputs
from assaypipe.units import UNIT_CHECK
from assaypipe.vendor_curves import compare_concentrations, in_wells_terms
from assaypipe.vocabulary import QcStatus

Progress = Callable[[int, int], None]
Pair = tuple[str, str]


@dataclasses.dataclass
class Placeholders:
    """The figures a page holds places for (see :meth:`ReportContext.image`), under a
    prefix no text of the page can hold: a random token of its own."""

    prefix: str = dataclasses.field(
        default_factory=lambda: f"assaypipe-figure-{secrets.token_hex(16)}-"
    )
    figures: list[tuple[Pending, str, str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class ReportContext:
    """The inputs and what is derived from them, shared by the sections; ``figure_dirs``
    and ``progress`` are where figures are also written and who hears of the curves;
    ``figures`` keeps the per-plate figures drawn and draws the missing ones."""

    inputs: ReportInputs
    figure_dirs: Mapping[str, Path]
    progress: Progress | None
    plate_ids: tuple[str, ...]  # in run order
    analytes: tuple[str, ...]
    verdict: Mapping[Pair, Mapping[str, Any]]  # a row of the verdicts table
    present: frozenset[Pair]  # the pairs with wells
    excluded: Mapping[Pair, list[str]]  # pairs wholly left out, with the reasons
    units: Mapping[Pair, str]
    plate_units: Mapping[str, str]  # as the plates table shows them
    drawn: frozenset[Pair]  # the pairs whose curve figure is drawn
    compared: Mapping[Pair, pd.DataFrame]  # wells with the vendor's concentrations
    software: Mapping[str, str]  # the instrument software of each plate
    figures: FigureCache
    placeholders: Placeholders = dataclasses.field(default_factory=Placeholders)

    @classmethod
    def of(
        cls,
        inputs: ReportInputs,
        figure_dirs: Mapping[str, Path] | None = None,
        progress: Progress | None = None,
        figures: FigureCache | None = None,
    ) -> ReportContext:
        wells = inputs.wells
        order = run_order(inputs.plates, sorted(wells["plate_id"].astype(str).unique()))
        plate_ids = tuple(order.index)
        analytes = tuple(sorted(wells["analyte"].astype(str).unique()))
        verdict = {(str(r["plate_id"]), str(r["analyte"])): r for r in records(inputs.verdicts)}
        pairs = wells[["plate_id", "analyte"]].drop_duplicates().astype(str)
        present = frozenset(zip(pairs["plate_id"], pairs["analyte"], strict=True))
        excluded = _excluded_pairs(inputs.exclusions, present)
        units, unstated = _pair_units(inputs.curves, inputs.qc)
        ranked = [(p, a) for p in plate_ids for a in analytes if (p, a) in present]
        compared = compare_concentrations(
            wells, in_wells_terms(inputs.vendor, wells), inputs.plates
        )
        plates = inputs.plates.drop_duplicates("plate_id").set_index("plate_id")
        software = plates["software"] if "software" in plates else pd.Series(dtype=object)
        return cls(
            inputs=inputs,
            figure_dirs=dict(figure_dirs or {}),
            progress=progress,
            plate_ids=plate_ids,
            analytes=analytes,
            verdict=verdict,
            present=present,
            excluded=excluded,
            units=units,
            plate_units=_plate_units(units, unstated),
            drawn=_pairs_to_draw(ranked, inputs.curve_figures, verdict, excluded),
            compared={
                (str(key[0]), str(key[1])): group
                for key, group in compared.groupby(["plate_id", "analyte"], sort=False)
            },
            software={str(k): str(v) for k, v in software.items() if not blank(v)},
            figures=figures if figures is not None else FigureCache(),
        )

    def name(self, analyte: str) -> str:
        """The analyte's display name (from the alias table)."""
        return self.inputs.display.get(analyte, analyte)

    def image(self, data: bytes | Pending, alt: str, kind: str, filename: str) -> Html:
        """A PNG embedded in the page, also written to the folder of its kind if given.
        A figure a worker is still drawing stands in the page as a placeholder that
        :meth:`embed` replaces."""
        if isinstance(data, Pending) and data.at_hand:
            data = data.result()
        if isinstance(data, Pending):
            token = f"{self.placeholders.prefix}{len(self.placeholders.figures)}"
            self.placeholders.figures.append((data, kind, filename))
            return tag("img", src=token, alt=alt)
        return tag("img", src=self._written(data, kind, filename), alt=alt)

    def embed(self, page: str) -> str:
        """The page with each placeholder replaced by its figure, once drawn."""
        figures = self.placeholders.figures
        if not figures:
            return page
        uris = [self._written(data.result(), kind, name) for data, kind, name in figures]
        pattern = re.compile(re.escape(self.placeholders.prefix) + r"(\d+)")
        return pattern.sub(lambda match: uris[int(match.group(1))], page)

    def _written(self, data: bytes, kind: str, filename: str) -> str:
        """The PNG's data URI, after writing it to the folder of its kind if given."""
        folder = self.figure_dirs.get(kind)
        if folder is not None:
            (folder / filename).write_bytes(data)
        return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _pair_units(curves: pd.DataFrame, qc: pd.DataFrame) -> tuple[dict[Pair, str], dict[Pair, str]]:
    """The unit of each plate x analyte's concentrations: its curve's, or the one the
    ``unit`` QC check found; and, for those the export does not state, where the unit
    came from (``kit file or config`` when the check passed, ``assumed`` when it warns)."""
    units: dict[Pair, str] = {}
    if "unit" in curves:
        selected = curves[curves["selected"]]
        keys = zip(selected["plate_id"].astype(str), selected["analyte"].astype(str), strict=True)
        units.update(zip(keys, selected["unit"].fillna("").astype(str), strict=True))
    unstated: dict[Pair, str] = {}
    if "unit" in qc:
        found = qc[(qc["check"] == UNIT_CHECK) & qc["plate_id"].notna()]
        for record in records(found):
            key = (str(record["plate_id"]), str(record["analyte"]))
            if not units.get(key):
                warned = record["status"] == QcStatus.WARN
                unstated[key] = "assumed" if warned else "kit file or config"
            units[key] = "" if blank(record["unit"]) else str(record["unit"])
    return units, unstated


def _plate_units(units: Mapping[Pair, str], unstated: Mapping[Pair, str]) -> dict[str, str]:
    """A plate's units as the plates table shows them where its export states none,
    saying where each came from."""
    by_plate: dict[str, set[str]] = {}
    for (plate, analyte), unit in units.items():
        if unit:
            origin = unstated.get((plate, analyte))
            by_plate.setdefault(plate, set()).add(f"{unit} ({origin})" if origin else unit)
    return {plate: ", ".join(sorted(u)) for plate, u in by_plate.items()}


def _excluded_pairs(exclusions: pd.DataFrame, pair_keys: frozenset[Pair]) -> dict[Pair, list[str]]:
    """Plate x analyte pairs wholly left out, with the reasons (plate/analyte levels)."""
    ordered = sorted(pair_keys)
    by_plate: dict[str, list[Pair]] = {}
    by_analyte: dict[str, list[Pair]] = {}
    for pair in ordered:
        by_plate.setdefault(pair[0], []).append(pair)
        by_analyte.setdefault(pair[1], []).append(pair)
    out: dict[Pair, list[str]] = {}
    for record in records(exclusions):
        if record["level"] == "well":
            continue
        plate, analyte = record["plate_id"], record["analyte"]
        # The pairs the record covers, in sorted order: a blank plate or analyte
        # covers every one.
        if blank(plate):
            covered = ordered if blank(analyte) else by_analyte.get(analyte, [])
        elif blank(analyte):
            covered = by_plate.get(plate, [])
        else:
            covered = [(plate, analyte)] if (plate, analyte) in pair_keys else []
        for pair in covered:
            out.setdefault(pair, []).append(str(record["reason"]))
    return out


def _pairs_to_draw(
    pairs: list[Pair],
    budget: int,
    verdict: Mapping[Pair, Mapping[str, Any]],
    excluded: Mapping[Pair, list[str]],
) -> frozenset[Pair]:
    """All pairs up to ``budget`` (report.curve_figures); past it, failed, warned and
    excluded pairs first (in run order), then the others, until the budget is spent."""
    if len(pairs) <= budget:
        return frozenset(pairs)

    def needs_a_look(pair: Pair) -> bool:
        found = verdict.get(pair)
        return pair in excluded or (found is not None and found["verdict"] != QcStatus.PASS)

    ranked = [p for p in pairs if needs_a_look(p)] + [p for p in pairs if not needs_a_look(p)]
    return frozenset(ranked[:budget])
