"""Assemble ``report.html``: one self-contained page (inline CSS, figures as data: URIs,
no script) that lab staff read top to bottom.

Sections, in order (their ids are what the browser test looks for): ``summary``,
``plates`` (with the plate maps), ``verdicts``, ``findings``, ``curves``,
``levey-jennings``, ``exclusions``, ``prepost``, ``rules``.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pandas as pd

from assaypipe import __version__, tables
from assaypipe.figure_text import file_stem
from assaypipe.io import read_table
from assaypipe.qc import presets, standard_points, study_rules
from assaypipe.qc.checks import curve_params, level_name, records, selected_curves
from assaypipe.qc.levey_jennings import MIN_GUIDE, guide_sets, run_order
from assaypipe.qc.rules import RULE_KEYS
from assaypipe.report.figures import curve_figure, levey_jennings_figure, png_bytes, prepost_figure
from assaypipe.report.html import Html, anchor, badge, escape, join, table, tag
from assaypipe.report.plate_maps import PlateMaps
from assaypipe.settings import DEFAULTS, Settings
from assaypipe.summary import statistics_losses
from assaypipe.units import UNIT_CHECK, UNIT_SOURCE, label
from assaypipe.vendor_curves import compare_concentrations, in_wells_terms
from assaypipe.vocabulary import GuideBy

# Wells listed in a curve's comparison with the vendor's concentrations: the largest
# differences first (the page stays bounded however many wells a plate has).
VENDOR_ROWS = 24
SECTIONS = (
    ("summary", "Summary"),
    ("plates", "Plates"),
    ("verdicts", "Verdicts"),
    ("findings", "Findings"),
    ("curves", "Standard curves"),
    ("levey-jennings", "Levey–Jennings"),
    ("exclusions", "Exclusions"),
    ("sheets", "Sheet checks"),
    ("prepost", "Pre / post"),
    ("rules", "QC rules"),
)


@dataclasses.dataclass
class ReportInputs:
    """Everything the report shows; tables follow ``assaypipe.tables``."""

    wells: pd.DataFrame
    curves: pd.DataFrame
    plates: pd.DataFrame
    rejected: pd.DataFrame
    qc: pd.DataFrame
    verdicts: pd.DataFrame
    levey_jennings: pd.DataFrame
    exclusions: pd.DataFrame
    samples: pd.DataFrame
    # The study's settings (its qc section, wells.min_bead_count for the rule sets).
    settings: Settings = DEFAULTS
    display: Mapping[str, str] = dataclasses.field(default_factory=dict)
    pre: str = DEFAULTS.prepost.pre
    post: str = DEFAULTS.prepost.post
    prepost_figure: str | Path | None = None
    exclusions_file: str = DEFAULTS.qc.exclusions
    title: str = "Plate QC report"
    config_hash: str = ""
    # Most curve figures drawn; past it, those needing a look come first (see curves()).
    curve_figures: int = DEFAULTS.report.curve_figures
    # Most plate maps drawn; past it, plates needing a look come first (see plate_maps()).
    plate_maps: int = DEFAULTS.report.plate_maps
    # What the instrument software computed itself (tables.VENDOR_RESULTS); its
    # per-well concentrations are shown beside assaypipe's.
    vendor: pd.DataFrame = dataclasses.field(
        default_factory=lambda: tables.empty(tables.VENDOR_RESULTS)
    )
    # Files of the plates folder not taken for plates, with the reason (tables.SKIPPED).
    skipped: pd.DataFrame = dataclasses.field(default_factory=lambda: tables.empty(tables.SKIPPED))
    # Mismatches between the plates and the study's sheets (tables.SHEET_CHECKS).
    sheet_checks: pd.DataFrame = dataclasses.field(
        default_factory=lambda: tables.empty(tables.SHEET_CHECKS)
    )
    # Study statistics (tables.STATS rows of any analyses), shown as a table per analysis.
    stats: pd.DataFrame = dataclasses.field(default_factory=lambda: tables.empty(tables.STATS))
    # The statistics' correlation figures (PNG), shown in the pre/post section.
    correlation_figures: Sequence[str | Path] = ()


Progress = Callable[[int, int], None]


def build_report(
    inputs: ReportInputs,
    figure_dirs: Mapping[str, str | Path] | None = None,
    progress: Progress | None = None,
) -> str:
    """The report page.

    ``figure_dirs`` maps a kind of figure (``curves``, ``levey_jennings``, ``prepost``)
    to a folder where each is also written as PNG (``<plate>--<analyte>-<hash>.png``,
    ``<analyte>-<hash>.png``: :func:`assaypipe.figure_text.file_stem`), for
    ``snakemake --report``. ``progress(done, total)`` is called after each plate's curves.
    """
    folders = {kind: Path(folder) for kind, folder in (figure_dirs or {}).items()}
    for folder in folders.values():
        # A kind with no figure (a study too small for Levey-Jennings charts) still
        # gets its folder, which the workflow declares as an output.
        folder.mkdir(parents=True, exist_ok=True)
    return _Page(inputs, folders, progress).render()


def log_progress(logger: logging.Logger) -> Progress:
    """A progress callback that logs about twenty lines however many plates there are."""

    def report(done: int, total: int) -> None:
        step = max(1, total // 20)
        if done == total or done % step == 0:
            logger.info("report: curves drawn for %d/%d plates", done, total)

    return report


class _Page:
    def __init__(
        self, inputs: ReportInputs, figure_dirs: Mapping[str, Path], progress: Progress | None
    ):
        self.inputs = inputs
        self.figure_dirs = figure_dirs
        self.progress = progress
        wells = inputs.wells
        self.order = run_order(inputs.plates, sorted(wells["plate_id"].astype(str).unique()))
        self.plate_ids = list(self.order.index)
        self.analytes = sorted(wells["analyte"].astype(str).unique())
        self.verdict = {
            (str(r["plate_id"]), str(r["analyte"])): r for r in inputs.verdicts.to_dict("records")
        }
        pairs = wells[["plate_id", "analyte"]].drop_duplicates().astype(str)
        self.present = set(zip(pairs["plate_id"], pairs["analyte"], strict=True))
        self.excluded = self._excluded_pairs(self.present)
        self.units, unstated = self._pair_units()
        # A plate's units as the plates table shows them where its export states none,
        # saying where each came from.
        by_plate: dict[str, set[str]] = {}
        for (plate, analyte), unit in self.units.items():
            if unit:
                origin = unstated.get((plate, analyte))
                by_plate.setdefault(plate, set()).add(f"{unit} ({origin})" if origin else unit)
        self.plate_units = {plate: ", ".join(sorted(u)) for plate, u in by_plate.items()}
        self.drawn = self._pairs_to_draw(
            [(p, a) for p in self.plate_ids for a in self.analytes if (p, a) in self.present]
        )
        compared = compare_concentrations(
            wells, in_wells_terms(inputs.vendor, wells), inputs.plates
        )
        self.compared = {
            (str(key[0]), str(key[1])): group
            for key, group in compared.groupby(["plate_id", "analyte"], sort=False)
        }
        plates = inputs.plates.drop_duplicates("plate_id").set_index("plate_id")
        software = plates["software"] if "software" in plates else pd.Series(dtype=object)
        self.software = {str(k): str(v) for k, v in software.items() if not _blank(v)}

    # -- helpers -------------------------------------------------------------------

    def name(self, analyte: str) -> str:
        return self.inputs.display.get(analyte, analyte)

    def image(self, data: bytes, alt: str, kind: str, filename: str) -> Html:
        folder = self.figure_dirs.get(kind)
        if folder is not None:
            (folder / filename).write_bytes(data)
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return tag("img", src=uri, alt=alt)

    def _pair_units(
        self,
    ) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
        """The unit of each plate x analyte's concentrations: its curve's, or the one the
        ``unit`` QC check found; and, for those the export does not state, where the unit
        came from (``kit file or config`` when the check passed, ``assumed`` when it warns)."""
        curves = self.inputs.curves
        units: dict[tuple[str, str], str] = {}
        if "unit" in curves:
            selected = curves[curves["selected"]]
            keys = zip(
                selected["plate_id"].astype(str), selected["analyte"].astype(str), strict=True
            )
            units.update(zip(keys, selected["unit"].fillna("").astype(str), strict=True))
        unstated: dict[tuple[str, str], str] = {}
        qc = self.inputs.qc
        if "unit" in qc:
            found = qc[(qc["check"] == UNIT_CHECK) & qc["plate_id"].notna()]
            for record in records(found):
                key = (str(record["plate_id"]), str(record["analyte"]))
                if not units.get(key):
                    warned = record["status"] == "warn"
                    unstated[key] = "assumed" if warned else "kit file or config"
                units[key] = "" if _blank(record["unit"]) else str(record["unit"])
        return units, unstated

    def _excluded_pairs(self, pair_keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """Plate x analyte pairs wholly left out, with the reasons (plate/analyte levels)."""
        ordered = sorted(pair_keys)
        by_plate: dict[str, list[tuple[str, str]]] = {}
        by_analyte: dict[str, list[tuple[str, str]]] = {}
        for pair in ordered:
            by_plate.setdefault(pair[0], []).append(pair)
            by_analyte.setdefault(pair[1], []).append(pair)
        out: dict[tuple[str, str], list[str]] = {}
        for record in records(self.inputs.exclusions):
            if record["level"] == "well":
                continue
            plate, analyte = record["plate_id"], record["analyte"]
            # The pairs the record covers, in sorted order: a blank plate or analyte
            # covers every one.
            if _blank(plate):
                covered = ordered if _blank(analyte) else by_analyte.get(analyte, [])
            elif _blank(analyte):
                covered = by_plate.get(plate, [])
            else:
                covered = [(plate, analyte)] if (plate, analyte) in pair_keys else []
            for pair in covered:
                out.setdefault(pair, []).append(str(record["reason"]))
        return out

    # -- page ----------------------------------------------------------------------

    def render(self) -> str:
        sections = [
            self.summary(),
            self.plate_table(),
            self.verdicts(),
            self.findings(),
            self.curves(),
            self.levey_jennings(),
            self.exclusion_section(),
            self.sheet_section(),
            self.prepost(),
            self.rules(),
        ]
        template = Template(_template("report.html"))
        nav = join(tag("a", title, href=f"#{key}") for key, title in SECTIONS)
        preset = self.inputs.settings.qc.preset.value
        meta = join(
            [
                f"{len(self.plate_ids)} plates, {len(self.analytes)} analytes; QC preset ",
                tag("b", preset),
                f"; assaypipe {__version__}",
                f"; config {self.inputs.config_hash}" if self.inputs.config_hash else "",
            ]
        )
        footer = escape(
            "Written by assaypipe: one self-contained file (figures embedded, no scripts); "
            "tables behind it are in results/ (qc.parquet, qc_verdicts.parquet, "
            "levey_jennings.parquet, exclusions.parquet)."
        )
        return template.substitute(
            title=escape(self.inputs.title),
            generator=escape(f"assaypipe {__version__}"),
            style=_template("report.css"),
            meta=meta,
            nav=nav,
            body=join(sections, "\n"),
            footer=footer,
        )

    def section(self, key: str, *content: object) -> Html:
        title = dict(SECTIONS)[key]
        return tag("section", tag("h2", title), *content, id=key)

    # -- summary -------------------------------------------------------------------

    def summary(self) -> Html:
        inputs = self.inputs
        plates = inputs.plates
        n_read = int((plates["status"] == "read").sum()) if not plates.empty else 0
        rejections = _rejections(inputs.rejected, plates)
        n_rejected_files = sum(1 for r in rejections if r.whole)
        n_partly = len(rejections) - n_rejected_files
        n_warned = int((_warning_counts(plates) > 0).sum())
        counts = inputs.verdicts["verdict"].value_counts()
        exclusions = inputs.exclusions
        n_qc = int((exclusions["source"] == "qc").sum())
        n_units = int((exclusions["source"] == UNIT_SOURCE).sum())
        n_manual = int((exclusions["source"] == "manual").sum())
        measured = inputs.wells[
            (inputs.wells["role"] == "sample") & inputs.wells["sample_id"].notna()
        ][["sample_id", "analyte"]].drop_duplicates()
        cards = [
            _card(
                "Plates read",
                n_read,
                f"{n_warned} with warnings; {n_rejected_files} files rejected"
                + (f", {n_partly} read with wells rejected" if n_partly else ""),
            ),
            _card("Wells", len(inputs.wells), "plate × well × analyte rows"),
            tag(
                "div",
                tag("div", "Plate × analyte verdicts", class_="label"),
                tag(
                    "div",
                    *(
                        tag("span", f"{int(counts.get(s, 0))} {s}", class_=f"badge {s}")
                        for s in ("pass", "warn", "fail")
                    ),
                    class_="split number",
                ),
                class_="card",
            ),
            _card(
                "Exclusions",
                len(exclusions),
                f"{n_qc} by QC, "
                + (f"{n_units} for units, " if n_units else "")
                + f"{n_manual} manual",
            ),
            _card(
                "Sample values in statistics",
                len(inputs.samples),
                f"of {len(measured)} sample × analyte measured",
            ),
        ]
        skipped = inputs.skipped
        skipped_html: list[Html] = []
        if not skipped.empty:
            skipped_html = [
                tag("h3", f"Skipped files ({len(skipped)})"),
                tag("p", "Files of the plates folder not taken for plate exports.", class_="note"),
                table(
                    ["file", "reason"],
                    [(r["source_file"], r["reason"]) for r in records(skipped)],
                    text_columns={1},
                ),
            ]
        heading = f"Rejected files ({n_rejected_files})"
        if n_partly:
            heading += f" and files read with wells rejected ({n_partly})"
        return self.section(
            "summary",
            tag("div", *cards, class_="cards"),
            tag("h3", heading),
            _rejection_table(rejections),
            *skipped_html,
        )

    def plate_table(self) -> Html:
        """Every plate read with what its export says of it, and its reader's warnings;
        past `curve_figures` plates, only those with warnings are listed."""
        plates = self.inputs.plates
        read = plates[plates["status"] == "read"] if not plates.empty else plates
        counts = _warning_counts(read)
        listed = read if len(read) <= self.inputs.curve_figures else read[counts > 0]
        rows = [
            [
                r["plate_id"],
                Path(str(r["source_file"])).name,
                r["format"],
                r["instrument"],
                r["n_wells"],
                r["n_analytes"],
                r["unit"]
                if not _blank(r["unit"])
                else self.plate_units.get(str(r["plate_id"]), ""),
                tag("ul", *(tag("li", w) for w in _warnings(r["warnings"])))
                if len(_warnings(r["warnings"]))
                else "",
            ]
            for r in records(listed)
        ]
        note = (
            f"{len(read)} plates read, {int((counts > 0).sum())} with warnings: what the "
            "reader read past but the lab should know (also in results/plates.parquet, "
            "column warnings)."
        )
        if len(listed) < len(read):
            note += f" {len(read) - len(listed)} plates without warnings are not listed."
        return self.section(
            "plates",
            tag("p", note, class_="note"),
            self.plate_maps(),
            table(
                ["plate", "file", "format", "instrument", "wells", "analytes", "unit", "warnings"],
                rows,
                row_classes=[
                    "warn" if len(_warnings(r["warnings"])) else None for r in records(listed)
                ],
                text_columns={7},
            )
            if rows
            else "",
        )

    def plate_maps(self) -> Html:
        """Each plate's wells in their layout: signal per analyte, and bead counts; past
        ``plate_maps`` plates, those with a failed or warned verdict or a reader's
        warning first, in run order."""
        budget = self.inputs.plate_maps
        warned = set()
        plates = self.inputs.plates
        if "warnings" in plates:
            warned = set(plates.loc[_warning_counts(plates) > 0, "plate_id"].astype(str))
        looked = {plate for (plate, _analyte), r in self.verdict.items() if r["verdict"] != "pass"}
        ranked = [p for p in self.plate_ids if p in looked or p in warned]
        ranked += [p for p in self.plate_ids if p not in looked and p not in warned]
        chosen = ranked[:budget]
        wells = self.inputs.wells
        columns = [
            c
            for c in ("plate_id", "well", "analyte", "signal", "bead_count", "signal_kind")
            if c in wells
        ]
        keep = wells["plate_id"].astype(str).isin(chosen).to_numpy()
        by_plate = dict(iter(wells.loc[keep, columns].groupby("plate_id", sort=False)))
        # the limits that apply to every analyte (qc.overrides for "*")
        rules = study_rules(self.inputs.settings)("*")
        maps = PlateMaps(rules.bead_count_fail, rules.bead_count_warn)
        figures = []
        for plate_id in [p for p in self.plate_ids if p in set(chosen)]:
            group = by_plate.get(plate_id)
            if group is None:
                continue
            image = self.image(
                maps.png(plate_id, group),
                f"Plate map of {plate_id}",
                "plates",
                file_stem(plate_id) + ".png",
            )
            figures.append(
                tag(
                    "figure",
                    image,
                    tag("figcaption", tag("a", plate_id, href=f"#{anchor('plate', plate_id)}")),
                    class_="platemap",
                    id=anchor("platemap", plate_id),
                    data_plate=plate_id,
                )
            )
        note = (
            "Each plate's wells in their layout (rows A–H or A–P, columns 1–12 or 1–24): "
            "the signal of each analyte (its own colour scale, log where every signal is "
            "above 0; grey: no well or no signal) and, for bead assays, the median bead "
            "count over the analytes (red below the QC fail limit, orange below the warn "
            "limit). Click a plate's name for its curves."
        )
        if len(chosen) < len(self.plate_ids):
            note += (
                f" {len(chosen)} of {len(self.plate_ids)} plates are drawn "
                f"(report.plate_maps = {budget}): those that failed or warned in QC or "
                "have a reader's warning come first."
            )
        return join(
            [
                tag("h3", "Plate maps", id="plate-maps"),
                tag("p", note, class_="note"),
                tag("div", *figures, class_="grid"),
            ]
        )

    def verdicts(self) -> Html:
        header = ["plate", "run", *(self.name(a) for a in self.analytes)]
        plates = self.inputs.plates.drop_duplicates("plate_id").set_index("plate_id")
        rows = []
        for plate_id in self.plate_ids:
            run = plates["run_time"].get(plate_id) if "run_time" in plates else None
            cells: list[object] = [plate_id, run]
            for analyte in self.analytes:
                verdict = self.verdict.get((plate_id, analyte))
                if verdict is None:
                    cells.append("")
                    continue
                content = [badge(str(verdict["verdict"]))]
                if (plate_id, analyte) in self.excluded:
                    content.append(tag("span", "excluded", class_="badge excluded"))
                cells.append(tag("a", *content, href=f"#{anchor('curve', plate_id, analyte)}"))
            rows.append(cells)
        return self.section(
            "verdicts",
            tag(
                "p",
                "The worst status of each plate × analyte's checks; click a cell for its curve. "
                "Excluded: left out of the statistics (see Exclusions).",
                class_="note",
            ),
            table(header, rows, class_="matrix"),
        )

    def findings(self) -> Html:
        qc = self.inputs.qc
        flagged = qc[qc["status"] != "pass"].copy()
        flagged["rank"] = flagged["status"].map({"fail": 0, "warn": 1})
        flagged = flagged.sort_values(["rank", "plate_id", "analyte", "check"], na_position="last")
        if flagged.empty:
            return self.section("findings", tag("p", "Every check passed.", class_="note"))
        rows = [
            [
                r["plate_id"] if not _blank(r["plate_id"]) else "all plates",
                self.name(str(r["analyte"])),
                r["check"],
                _check_value(r),
                r["threshold"],
                badge(str(r["status"])),
                r["detail"],
            ]
            for r in flagged.to_dict("records")
        ]
        return self.section(
            "findings",
            tag(
                "p",
                f"{int((flagged['status'] == 'fail').sum())} failed and "
                f"{int((flagged['status'] == 'warn').sum())} warning checks of {len(qc)}; "
                "every check is in results/qc.parquet.",
                class_="note",
            ),
            table(
                ["plate", "analyte", "check", "value", "threshold", "status", "detail"],
                rows,
                row_classes=list(flagged["status"].astype(str)),
                text_columns={4, 6},
            ),
        )

    # -- curves --------------------------------------------------------------------

    def curves(self) -> Html:
        wells = self.inputs.wells
        selected = selected_curves(self.inputs.curves)
        qc = self.inputs.qc
        per_plate = qc[qc["plate_id"].notna()]
        # A drawn pair shows all its checks, the others those that did not pass: only
        # these become plain records, grouped by pair in one pass (in table order).
        shown = (per_plate["status"].astype(str) != "pass").to_numpy() | _of_pairs(
            per_plate, self.drawn
        )
        checks_by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for record in records(per_plate[shown]):
            key = (record["plate_id"], record["analyte"])
            checks_by_pair.setdefault(key, []).append(record)
        plates_meta = self.inputs.plates.drop_duplicates("plate_id").set_index("plate_id")
        # Only the drawn pairs need their wells: taken from the study's wells at once.
        drawn_wells = dict(
            iter(wells[_of_pairs(wells, self.drawn)].groupby(["plate_id", "analyte"]))
        )
        articles = []
        for done, plate_id in enumerate(self.plate_ids, start=1):
            figures = [
                self.curve(
                    plate_id,
                    analyte,
                    drawn_wells.get((plate_id, analyte)),
                    selected.get((plate_id, analyte)),
                    checks_by_pair.get((plate_id, analyte), []),
                )
                for analyte in self.analytes
                if (plate_id, analyte) in self.present
            ]
            meta = []
            if plate_id in plates_meta.index:
                info = plates_meta.loc[plate_id]
                meta = [
                    info.get(key) for key in ("format", "instrument", "run_time", "source_file")
                ]
            articles.append(
                tag(
                    "article",
                    tag("h3", plate_id),
                    tag("p", join([m for m in meta if not _blank(m)], " · "), class_="note"),
                    tag("div", *figures, class_="grid"),
                    class_="plate",
                    id=anchor("plate", plate_id),
                )
            )
            if self.progress is not None:
                self.progress(done, len(self.plate_ids))
        return self.section(
            "curves",
            tag(
                "p",
                "Each plate × analyte: standards fitted (blue dots), fitted but out of "
                "their recovery limits (black open squares) and left out, masked or flagged "
                "(red ×), the selected curve, LLOQ/ULOQ (green dashes) and LOD (grey dots) "
                "named above the plot, the blank level, "
                "and the plate's samples (orange) and controls (purple) at their "
                "back-calculated in-well concentrations. Where the export holds the "
                "instrument software's own concentrations, a curve says how far "
                "assaypipe's are from them and lists both, per sample.",
                class_="note",
            ),
            self._figures_note(len(self.present)),
            *articles,
        )

    def _pairs_to_draw(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """All pairs up to ``curve_figures``; past it, failed, warned and excluded pairs
        first (in run order), then the others, until the budget is spent."""
        budget = self.inputs.curve_figures
        if len(pairs) <= budget:
            return set(pairs)

        def needs_a_look(pair: tuple[str, str]) -> bool:
            verdict = self.verdict.get(pair)
            return pair in self.excluded or (verdict is not None and verdict["verdict"] != "pass")

        ranked = [p for p in pairs if needs_a_look(p)] + [p for p in pairs if not needs_a_look(p)]
        return set(ranked[:budget])

    def _figures_note(self, n_pairs: int) -> Html:
        if len(self.drawn) == n_pairs:
            return Html("")
        return tag(
            "p",
            f"{len(self.drawn)} of {n_pairs} plate × analyte curves are drawn (the study has "
            f"more than report.curve_figures = {self.inputs.curve_figures}): those that failed "
            "or warned in QC or were left out come first; the others are listed with their "
            "facts and any check that did not pass (all their checks are in qc.parquet). "
            "Raise report.curve_figures in the config to draw them all.",
            class_="note",
        )

    def curve(
        self,
        plate_id: str,
        analyte: str,
        group: pd.DataFrame | None,
        curve: Mapping[str, Any] | None,
        checks: Sequence[Mapping[str, Any]],
    ) -> Html:
        """One pair's entry; ``group`` (its wells) is given for the pairs drawn."""
        limits = {
            key: _float(curve.get(key)) if curve is not None else math.nan
            for key in ("lloq", "uloq", "lod")
        }
        # A pair past the figure budget (report.curve_figures) gets its facts and the
        # checks it did not pass, without the figure and the standards' detail, which
        # are what cost time in a study of thousands of plates.
        drawn = group is not None
        standards = standard_points(group, curve) if group is not None else None
        if standards is not None:
            standards["recovery_ok"] = _recovery_ok(standards, checks)
        if group is not None and standards is not None:
            others = group[group["role"] != "standard"].copy()
            dilution = pd.to_numeric(others["dilution"], errors="coerce")
            conc = pd.to_numeric(others["concentration"], errors="coerce")
            others["concentration"] = conc / dilution
            blanks = pd.to_numeric(group.loc[group["role"] == "blank", "signal"], errors="coerce")
            limits["blank"] = float(blanks.mean()) if blanks.notna().any() else math.nan
            signal_kind = str(group["signal_kind"].iloc[0]) if len(group) else "signal"
            figure = curve_figure(
                standards,
                curve_params(curve),
                limits,
                others,
                signal_kind,
                self.units.get((plate_id, analyte), ""),
                _no_curve_note(curve),
            )
            alt = f"Standard curve of {self.name(analyte)} on plate {plate_id}"
            filename = file_stem(plate_id, analyte) + ".png"
            img = self.image(png_bytes(figure), alt, "curves", filename)
        else:
            img = tag("p", "figure not drawn (report.curve_figures)", class_="note")

        verdict = self.verdict.get((plate_id, analyte))
        heading: list[object] = [tag("b", self.name(analyte)), " "]
        if verdict is not None:
            heading.append(badge(str(verdict["verdict"])))
        if (plate_id, analyte) in self.excluded:
            heading += [" ", tag("span", "excluded", class_="badge excluded")]
        facts = []
        if curve is not None:
            facts.append(f"{curve.get('model')}, {curve.get('status')}")
            lloq, uloq = limits["lloq"], limits["uloq"]
            unit = label(self.units.get((plate_id, analyte), ""))
            facts.append(f"LLOQ {_num(lloq)} – ULOQ {_num(uloq)} {unit} (in well)")
        else:
            facts.append("no curve")
        compared = self.compared.get((plate_id, analyte))
        vendor_name = self.software.get(plate_id, "the instrument software")
        if compared is not None:
            facts.append(_vendor_fact(compared, vendor_name))
        left_out = standards[~standards["fitted"]] if standards is not None else None
        if left_out is not None and not left_out.empty:
            facts.append(
                "left out: "
                + "; ".join(
                    f"{w} ({why})"
                    for w, why in zip(left_out["well"], left_out["left_out"], strict=True)
                )
            )
        items = [tag("li", fact) for fact in facts]
        items += [
            tag("li", badge(str(r["status"])), " ", r["check"], ": ", r["detail"])
            for r in checks
            if r["status"] != "pass"
        ]
        details: Html = Html("")
        # Past the figure budget a pair lists the checks that did not pass; the table
        # of all its checks is in qc.parquet (thousands of such tables would make the
        # page too big to open).
        if checks and drawn:
            details = tag(
                "details",
                tag("summary", f"all {len(checks)} checks"),
                table(
                    ["check", "value", "threshold", "status", "detail"],
                    [
                        [
                            r["check"],
                            _check_value(r),
                            r["threshold"],
                            r["status"],
                            r["detail"],
                        ]
                        for r in checks
                    ],
                    text_columns={2, 4},
                ),
            )
        beside: Html = Html("")
        if compared is not None and drawn:
            beside = _vendor_table(
                compared, vendor_name, label(self.units.get((plate_id, analyte), ""))
            )
        return tag(
            "figure",
            img,
            tag("figcaption", *heading, tag("ul", *items), beside, details),
            class_="curve",
            id=anchor("curve", plate_id, analyte),
            data_plate=plate_id,
            data_analyte=analyte,
        )

    # -- Levey-Jennings --------------------------------------------------------------

    def levey_jennings(self) -> Html:
        lj = self.inputs.levey_jennings
        settings = self.inputs.settings.qc
        guide_range = list(settings.guide_range)
        guide_plates = settings.guide_plates
        if guide_range:
            guide = (
                f"plates {guide_range[0]} to {guide_range[1]} (qc.guide_range); every other "
                "plate is judged against them"
            )
        elif settings.guide_by == GuideBy.KIT_LOT:
            guide = (
                f"the first {guide_plates} plates of each kit lot (qc.guide_plates; the lot from "
                "the kit files, else the export); the lot's later plates are judged against "
                "it. A lot with fewer plates has no limits and none of its plates is judged"
            )
        else:
            guide = (
                f"the first {guide_plates} plates of the study (qc.guide_plates); the later "
                "plates are judged against it"
            )
        rules = ", ".join(rule.value for rule in settings.westgard) or "none"
        parts: list[object] = [
            tag(
                "p",
                f"Guide set: {guide}. Lines: guide mean, ±1 SD (dotted), ±2 SD (orange), "
                f"±3 SD (red). Westgard rules applied: {rules} (1-2s warns, the others "
                f"reject). A series needs {MIN_GUIDE} guide plates for limits.",
                class_="note",
            )
        ]
        sets = guide_sets(lj)
        qc = self.inputs.qc
        across = qc[qc["plate_id"].isna()]
        for analyte in self.analytes:
            series = lj[lj["analyte"] == analyte]
            parts.append(tag("h3", self.name(analyte), id=anchor("lj", analyte)))
            if series.empty:
                parts.append(tag("p", "No control or curve to chart.", class_="note"))
                continue
            charted = set(series["plate_id"])
            plates = [p for p in self.plate_ids if p in charted]
            if len(plates) < MIN_GUIDE:
                # A chart of one or two points says nothing; the values say it plainer.
                parts.append(
                    tag(
                        "p",
                        f"{len(plates)} plate(s) so far: too few for a chart (it takes "
                        f"{MIN_GUIDE}), and no plate is judged until a guide set "
                        f"({guide_plates} plates) is complete.",
                        class_="note",
                    )
                )
                parts.append(
                    table(
                        ["plate", "series", "value"],
                        [
                            [r["plate_id"], r["series"], _num(r["value"], r.get("unit"))]
                            for r in series.to_dict("records")
                        ],
                    )
                )
                continue
            positions = {p: i for i, p in enumerate(plates)}
            local = series.assign(run_index=series["plate_id"].map(positions))
            parts.append(_guide_note(sets[sets["analyte"] == analyte], guide_plates))
            figure = levey_jennings_figure(local, plates, guide_plates)
            image = self.image(
                png_bytes(figure),
                f"Levey-Jennings charts of {self.name(analyte)}",
                "levey_jennings",
                file_stem(analyte) + ".png",
            )
            parts.append(tag("figure", image, class_="wide lj", data_analyte=analyte))
            violations = series[series["status"] != "pass"]
            if not violations.empty:
                parts.append(
                    table(
                        ["plate", "series", "value", "z", "rules", "status"],
                        [
                            [
                                r["plate_id"],
                                r["series"],
                                _num(r["value"], r.get("unit")),
                                f"{r['z']:+.2f}",
                                r["rules"],
                                badge(str(r["status"])),
                            ]
                            for r in violations.to_dict("records")
                        ],
                        row_classes=list(violations["status"].astype(str)),
                    )
                )
            cvs = across[across["analyte"] == analyte]
            if not cvs.empty:
                parts.append(
                    table(
                        ["inter-plate check", "value", "threshold", "status", "detail"],
                        [
                            [
                                r["check"],
                                _check_value(r),
                                r["threshold"],
                                badge(str(r["status"])),
                                r["detail"],
                            ]
                            for r in cvs.to_dict("records")
                        ],
                        text_columns={2, 4},
                    )
                )
        return self.section("levey-jennings", *parts)

    # -- sheet checks ----------------------------------------------------------------

    def sheet_section(self) -> Html:
        findings = self.inputs.sheet_checks
        note = tag(
            "p",
            "The plates checked against config/analytes.tsv, config/samples.tsv and "
            "config/subjects.tsv. An analyte the alias table does not name stays out of the "
            "statistics; a sample the sample sheet does not list has no subject or visit.",
            class_="note",
        )
        if findings.empty:
            return self.section(
                "sheets", note, tag("p", "The sheets and the plates agree.", class_="note")
            )
        counts = findings["check"].value_counts()
        said = ", ".join(f"{int(n)} {str(check).replace('_', ' ')}" for check, n in counts.items())
        rows = [
            [r["check"].replace("_", " "), r["name"], r["where"], r["detail"], r["n_wells"]]
            for r in findings.to_dict("records")
        ]
        return self.section(
            "sheets",
            note,
            tag("p", said, class_="note"),
            table(["check", "name", "where", "what it means", "wells"], rows, text_columns={2, 3}),
        )

    # -- exclusions ------------------------------------------------------------------

    def exclusion_section(self) -> Html:
        exclusions = self.inputs.exclusions
        failing = self.inputs.settings.qc.exclude_failing
        note = tag(
            "p",
            (
                "Plate × analyte pairs that fail QC are left out of the statistics "
                "(qc.exclude_failing: true). "
                if failing
                else "Failing plate × analyte pairs are kept (qc.exclude_failing: false). "
            ),
            "Manual exclusions come from ",
            tag("code", self.inputs.exclusions_file),
            " and apply on the next run. Sample values are recomputed from the wells left.",
            class_="note",
        )
        if exclusions.empty:
            return self.section("exclusions", note, tag("p", "Nothing is excluded.", class_="note"))
        rows = []
        classes = []
        for r in exclusions.to_dict("records"):
            rows.append(
                [
                    r["source"],
                    r["level"],
                    r["plate_id"],
                    r["well"],
                    self.name(str(r["analyte"])) if not _blank(r["analyte"]) else "all",
                    r["reason"],
                    r["who"],
                    r["when"],
                    r["line"],
                    r["n_wells"],
                    r["n_samples"],
                ]
            )
            classes.append("nomatch" if int(r["n_wells"]) == 0 else None)
        unmatched = classes.count("nomatch")
        extra: list[object] = []
        if unmatched:
            extra.append(
                tag(
                    "p",
                    f"{unmatched} exclusion(s) match no well (shown in italics): check the "
                    "plate_id, well and analyte spelling.",
                    class_="note",
                )
            )
        return self.section(
            "exclusions",
            note,
            *extra,
            table(
                [
                    "source",
                    "level",
                    "plate",
                    "well",
                    "analyte",
                    "reason",
                    "who",
                    "when",
                    "line",
                    "wells",
                    "samples",
                ],
                rows,
                row_classes=classes,
                text_columns={5},
            ),
        )

    # -- pre/post --------------------------------------------------------------------

    def prepost(self) -> Html:
        return self.section("prepost", *self._prepost_figure(), *self._stats_tables())

    def _prepost_figure(self) -> list[Html]:
        path = self.inputs.prepost_figure
        if path is not None and Path(path).is_file():
            data = Path(path).read_bytes()
            uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            return [
                tag(
                    "p",
                    "Paired values before and after treatment per analyte, by responder group, "
                    f"from the statistics ({Path(path).name}); values from plates left out above "
                    "are not in it; values below the LLOQ are open triangles, drawn where the "
                    "censoring policy (prepost.below_lloq) puts them.",
                    class_="note",
                ),
                tag(
                    "figure",
                    tag("img", src=uri, alt="Pre/post paired plot per analyte"),
                    class_="wide prepost",
                ),
            ]
        pairs = _pairs(self.inputs.samples, self.inputs.pre, self.inputs.post)
        analytes = sorted(set(pairs["analyte"])) if not pairs.empty else []
        if not analytes:
            return [
                tag(
                    "p",
                    f"No subject has both a {self.inputs.pre} and a {self.inputs.post} value.",
                    class_="note",
                )
            ]
        figure = prepost_figure(
            pairs, analytes, self.inputs.display, _sample_units(self.inputs.samples)
        )
        image = self.image(
            png_bytes(figure), "Pre/post paired plot per analyte", "prepost", "prepost.png"
        )
        return [
            tag(
                "p",
                f"Each subject's value at {self.inputs.pre} and {self.inputs.post} (grey), and "
                "the medians (blue), from the samples the statistics use.",
                class_="note",
            ),
            tag("figure", image, class_="wide prepost"),
        ]

    def _stats_tables(self) -> list[Html]:
        """A table per analysis of the statistics, then the correlation figures."""
        parts: list[Html] = []
        stats = self.inputs.stats
        if not stats.empty:
            primary = stats[stats["family"] == "primary"]
            declared = sorted({f"{r.analysis} [{r.group}]" for r in primary.itertuples()})
            parts.append(
                tag(
                    "p",
                    "The statistics' tables (results/stats/, described in docs/statistics.md), "
                    "one per analysis; q is p adjusted (Benjamini–Hochberg) within the family "
                    "named under each table (q_family). Primary family (stats.primary_family): "
                    + (", ".join(declared) if declared else "none matched")
                    + "; every other row is exploratory. A row without an estimate says why "
                    "in its note.",
                    class_="note",
                )
            )
        for analysis, rows in stats.groupby("analysis", sort=False):
            parts.append(tag("h3", analysis))
            losses = statistics_losses(rows)
            if losses:
                parts.append(tag("p", "Lost: " + "; ".join(losses) + ".", class_="note"))
            parts.append(
                table(
                    [
                        "analyte",
                        "group",
                        "n",
                        "estimate",
                        "CI",
                        "unit",
                        "p",
                        "q",
                        "family",
                        "method",
                        "note",
                    ],
                    [
                        [
                            self.name(str(r["analyte"])),
                            r["group"],
                            r["n"],
                            _num(r["estimate"]),
                            _interval(r["ci_low"], r["ci_high"]),
                            r["unit"],
                            _p_value(r["p"]),
                            _p_value(r["q"]),
                            r["family"],
                            r["method"],
                            "" if _blank(r["note"]) else r["note"],
                        ]
                        for r in records(rows)
                    ],
                    text_columns={9, 10},
                )
            )
            families = list(dict.fromkeys(rows["q_family"].dropna().astype(str)))
            parts.append(
                tag(
                    "p",
                    "q within: " + "; ".join(families) + "."
                    if families
                    else "No q: these rows are not adjusted.",
                    class_="note",
                )
            )
        figures = [Path(p) for p in self.inputs.correlation_figures if Path(p).is_file()]
        if figures:
            parts.append(tag("h3", "Correlations"))
        for path in figures:
            uri = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
            parts.append(
                tag(
                    "figure",
                    tag("img", src=uri, alt=f"Correlation figure {path.stem}"),
                    tag(
                        "figcaption",
                        f"{path.name}: pooled samples of both visits; the p, CI and band are "
                        "cluster-robust by subject (ols_slope of the pooled group), the naive p "
                        "(every sample independent, ols_slope_naive) beside it",
                    ),
                    class_="wide correlation",
                )
            )
        if stats.empty and not figures:
            parts.append(tag("p", "No statistics tables were given to the report.", class_="note"))
        return parts

    # -- rules -----------------------------------------------------------------------

    def rules(self) -> Html:
        preset = self.inputs.settings.qc.preset.value
        overrides = self.inputs.settings.qc.overrides
        rules = study_rules(self.inputs.settings)
        sets = {a: rules(a) for a in self.analytes}
        rows = []
        for key in RULE_KEYS:
            values = [getattr(sets[a], key) for a in self.analytes]
            rows.append([key, *(", ".join(v) if isinstance(v, tuple) else v for v in values)])
        return self.section(
            "rules",
            tag("p", tag("b", preset), ": ", presets()[preset]["description"], class_="note"),
            tag(
                "p", f"{len(overrides)} override(s) from qc.overrides in the config.", class_="note"
            ),
            table(["rule", *(self.name(a) for a in self.analytes)], rows),
        )


TABLE_INPUTS = (
    "wells",
    "curves",
    "plates",
    "rejected",
    "qc",
    "verdicts",
    "levey_jennings",
    "exclusions",
    "samples",
)


def load_inputs(
    paths: Mapping[str, Any],
    aliases: pd.DataFrame | None = None,
    prepost_figure: str | Path | None = None,
    settings: Settings = DEFAULTS,
    **options: Any,
) -> ReportInputs:
    """Read the report's tables from parquet files named by :data:`TABLE_INPUTS` keys.

    ``aliases`` (the analyte alias table) gives the display names; ``settings`` the
    study's settings (QC rules, the pre and post visits, the exclusions file, the figure
    budgets); ``options`` are the other :class:`ReportInputs` fields.
    """
    for name, value in (
        ("pre", settings.prepost.pre),
        ("post", settings.prepost.post),
        ("exclusions_file", settings.qc.exclusions),
        ("curve_figures", settings.report.curve_figures),
        ("plate_maps", settings.report.plate_maps),
    ):
        options.setdefault(name, value)
    frames = {key: read_table(paths[key]) for key in TABLE_INPUTS}
    # Optional: a report built without the vendor's results shows no comparison.
    vendor_path = paths.get("vendor")
    if vendor_path:
        options.setdefault("vendor", read_table(vendor_path))
    skipped_path = paths.get("skipped")
    if skipped_path:
        options.setdefault("skipped", read_table(skipped_path))
    sheets_path = paths.get("sheet_checks")
    if sheets_path:
        options.setdefault("sheet_checks", read_table(sheets_path))
    # Optional: the statistics tables and correlation figures (one path or a list).
    stats_paths = _path_list(paths.get("stats"))
    if stats_paths:
        stats = pd.concat([read_table(p) for p in stats_paths], ignore_index=True)
        options.setdefault("stats", tables.STATS.validate(stats))
    correlation_paths = _path_list(paths.get("correlations"))
    if correlation_paths:
        options.setdefault("correlation_figures", correlation_paths)
    display: dict[str, str] = {}
    if aliases is not None:
        first = aliases.drop_duplicates("analyte")
        display = dict(zip(first["analyte"].astype(str), first["display"].astype(str), strict=True))
    return ReportInputs(
        wells=frames["wells"],
        curves=frames["curves"],
        plates=frames["plates"],
        rejected=frames["rejected"],
        qc=frames["qc"],
        verdicts=frames["verdicts"],
        levey_jennings=frames["levey_jennings"],
        exclusions=frames["exclusions"],
        samples=frames["samples"],
        display=display,
        prepost_figure=prepost_figure or None,
        settings=settings,
        **options,
    )


def _path_list(value: object) -> list[str]:
    """Paths given as one string or a list of them (as snakemake's named inputs are)."""
    if not value:
        return []
    if isinstance(value, str | Path):
        return [str(value)]
    return [str(item) for item in value]  # type: ignore[attr-defined]


def _interval(low: object, high: object) -> str:
    """A confidence interval as ``low to high``; – when either end is missing."""
    a, b = _float(low), _float(high)
    if not (math.isfinite(a) and math.isfinite(b)):
        return "–"
    return f"{a:.4g} to {b:.4g}"


def _p_value(value: object) -> str:
    """A p or q value to 2 significant digits; below 0.0001 as ``< 0.0001``.

    >>> _p_value(0.0390625), _p_value(3e-7), _p_value(float("nan"))
    ('0.039', '< 0.0001', '–')
    """
    number = _float(value)
    if not math.isfinite(number):
        return "–"
    return "< 0.0001" if number < 1e-4 else f"{number:.2g}"


def _vendor_fact(compared: pd.DataFrame, software: str) -> str:
    """One line: how far assaypipe's concentrations are from the software's own."""
    error = 100.0 * compared["relative_difference"].abs().dropna()
    if error.empty:
        return f"{software} gives {len(compared)} concentration(s); none to compare with"
    return (
        f"vs {software}'s own concentrations: {len(error)} wells, median |difference| "
        f"{error.median():.2f}%, largest {error.max():.2f}%"
    )


def _vendor_table(compared: pd.DataFrame, software: str, unit: str) -> Html:
    """assaypipe's and the software's concentration of each well, per sample (the
    largest differences first, at most VENDOR_ROWS)."""
    order = compared["relative_difference"].abs().fillna(np.inf).sort_values(ascending=False)
    shown = compared.loc[order.index[:VENDOR_ROWS]]
    rows = [
        [
            r["well"],
            r["role"],
            _num(r["ours"]),
            _num(r["vendor"]),
            r["basis"] if not _blank(r["basis"]) else "not stated",
            f"{100 * r['relative_difference']:+.2f}%"
            if math.isfinite(_float(r["relative_difference"]))
            else "–",
        ]
        for r in records(shown)
    ]
    more = len(compared) - len(shown)
    summary = f"assaypipe vs {software}, per sample ({unit})"
    if more > 0:
        summary += f": the {len(shown)} largest differences of {len(compared)} wells"
    return tag(
        "details",
        tag("summary", summary),
        table(["well", "role", "assaypipe", software, "vendor basis", "difference"], rows),
    )


# Kit lots listed under a Levey-Jennings chart; past it, counted.
MAX_LOT_ROWS = 20


def _guide_note(sets: pd.DataFrame, guide_plates: int) -> Html:
    """How the analyte's plates split into guide and judged plates, per kit lot, and
    which lots have too few plates for a guide set."""
    incomplete = sets[~sets["complete"]]
    said = (
        f"{int(sets['judged'].sum())} plate(s) judged against a guide set; "
        f"{len(incomplete)} of {len(sets)} lot(s) without a complete guide set "
        f"({guide_plates} plates): their plates are not judged."
    )
    if incomplete.empty:
        said = f"{int(sets['judged'].sum())} plate(s) judged against a guide set."
    rows = [
        [
            r["lot"] or "–",
            r["plates"],
            r["guide"],
            r["judged"],
            badge("pass") if r["complete"] else tag("span", "too few plates", class_="badge warn"),
        ]
        for r in records(sets.head(MAX_LOT_ROWS))
    ]
    more = len(sets) - len(rows)
    return tag(
        "details",
        tag("summary", said),
        table(["kit lot", "plates", "guide", "judged", "guide set"], rows),
        tag("p", f"and {more} more lots (levey_jennings.parquet)", class_="note") if more else "",
        class_="guide",
    )


def _no_curve_note(curve: Mapping[str, Any] | None) -> str:
    """``status: reasons`` of a curve that gives no parameters to draw, else ""."""
    if curve is None:
        return "missing: the curves table has no row for this plate and analyte"
    if curve_params(curve) is not None:
        return ""
    reasons = "" if _blank(curve.get("reasons")) else str(curve.get("reasons"))
    return f"{curve.get('status')}: {reasons}"


def _of_pairs(frame: pd.DataFrame, pairs: set[tuple[str, str]]) -> np.ndarray:
    """Which rows of ``frame`` belong to one of the plate x analyte ``pairs``."""
    keys = pd.MultiIndex.from_arrays([frame["plate_id"].astype(str), frame["analyte"].astype(str)])
    return np.asarray(keys.isin(list(pairs)), dtype=bool)


def _recovery_ok(standards: pd.DataFrame, checks: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Per standard well, False where its level's ``recovery:<level>`` check did not pass."""
    off = {
        str(c["check"]).split(":", 1)[1]
        for c in checks
        if str(c["check"]).startswith("recovery:") and c["status"] != "pass"
    }
    if not off:
        return np.ones(len(standards), dtype=bool)
    conc = pd.to_numeric(standards["expected_conc"], errors="coerce").to_numpy(dtype=float)
    level = pd.to_numeric(standards["level"], errors="coerce").to_numpy(dtype=float)
    names = [level_name(c, lv) for c, lv in zip(conc, level, strict=True)]
    return np.array([name not in off for name in names], dtype=bool)


def _template(name: str) -> str:
    files = resources.files("assaypipe.report").joinpath("templates", name)
    return files.read_text(encoding="utf-8")


def _card(label: str, number: object, note: str) -> Html:
    return tag(
        "div",
        tag("div", label, class_="label"),
        tag("div", f"{number:,}" if isinstance(number, int) else number, class_="number"),
        tag("div", note, class_="note"),
        class_="card",
    )


# Places listed under one reason of a rejected file; past it, how many more.
MAX_PLACES = 12


@dataclasses.dataclass(frozen=True)
class _Rejection:
    """One file's rejections: whether the whole file was refused, and its reasons, each
    with the places (``file``, ``line 53``, ``well C4``) it was given for."""

    source_file: str
    whole: bool
    reasons: tuple[tuple[str, tuple[str, ...]], ...]


def _rejections(rejected: pd.DataFrame, plates: pd.DataFrame) -> list[_Rejection]:
    """The rejected rows grouped by file (in file order), reasons in order of first
    appearance. A file the plates table does not list as read was rejected whole; one it
    lists was read, and only some of its wells were rejected."""
    read = set()
    if not plates.empty and "status" in plates:
        read = set(plates.loc[plates["status"] == "read", "source_file"].astype(str))
    by_file: dict[str, dict[str, list[str]]] = {}
    for record in records(rejected[["source_file", "where", "reason"]]):
        source, where = str(record["source_file"]), str(record["where"])
        reason = _reason_alone(**record)
        by_file.setdefault(source, {}).setdefault(reason, []).append(where)
    return [
        _Rejection(
            source,
            source not in read,
            tuple((reason, tuple(places)) for reason, places in reasons.items()),
        )
        for source, reasons in sorted(by_file.items())
    ]


def _rejection_table(rejections: Sequence[_Rejection]) -> Html:
    """One row per file: rejected whole or wells only, and each reason with its places."""
    if not rejections:
        return tag("p", "No file was rejected.", class_="note")
    rows = []
    for found in rejections:
        items = []
        for reason, places in found.reasons:
            named = [p for p in places if p != "file"]
            where = ", ".join(named[:MAX_PLACES])
            if len(named) > MAX_PLACES:
                where += f" and {len(named) - MAX_PLACES} more"
            items.append(tag("li", reason, f" ({len(named)}: {where})" if named else ""))
        n_rows = sum(len(places) for _reason, places in found.reasons)
        rows.append(
            [
                found.source_file,
                "file rejected" if found.whole else f"read; {n_rows} rejected",
                tag("ul", *items),
            ]
        )
    return table(
        ["file", "status", "reasons (places)"],
        rows,
        row_classes=["fail" if found.whole else "warn" for found in rejections],
        text_columns={2},
    )


def _reason_alone(source_file: object, where: object, reason: object) -> str:
    """A rejection's sentence without the file and place the table's columns show."""
    text = str(reason)
    for prefix in (f"{source_file}: ", f"{where}: "):
        text = text.removeprefix(prefix)
    return text


def _warnings(value: object) -> list[str]:
    """A plate's warnings: a list (or array, as parquet gives it back); none when missing."""
    if value is None or isinstance(value, float):
        return []
    return [str(item) for item in value]  # type: ignore[attr-defined]


def _warning_counts(plates: pd.DataFrame) -> pd.Series:
    if "warnings" not in plates:
        return pd.Series(0, index=plates.index)
    return plates["warnings"].map(lambda value: len(_warnings(value)))


def _blank(value: object) -> bool:
    return (
        value is None
        or value == ""
        or (isinstance(value, float) and math.isnan(value))
        or (value is pd.NA)
    )


def _float(value: object) -> float:
    """A number from a table cell; NaN for missing values (None, NA, NaT) and text."""
    if isinstance(value, int | float | np.number):
        return float(value)
    return math.nan


def _num(value: object, unit: object = None) -> str:
    """A number to 4 significant digits, followed by its unit when it has one."""
    number = _float(value)
    if not math.isfinite(number):
        return "–"
    return f"{number:.4g} {unit}" if not _blank(unit) else f"{number:.4g}"


# QC checks whose value is a share (shown as a percentage); every other check's value is
# a count, a signal or a concentration (shown as a number, with its unit where it has one).
SHARE_CHECKS = frozenset(
    {
        "calibrators_passing",
        "inter_plate_cv",
        "recovery",
        "replicate_cv",
        "samples_in_range",
        "saturation",
        "standard_cv",
    }
)


def _value(value: object, check: str, unit: object = None) -> str:
    """A check's value as it reads: a percentage for a share (``SHARE_CHECKS``, by the name
    before any ``:``), else a number with its unit.

    >>> _value(1.0047, "recovery:S1"), _value(90.0, "bead_count"), _value(32.0, "blank_signal")
    ('100.5%', '90', '32')
    """
    number = _float(value)
    if not math.isfinite(number):
        return "–"
    if check.split(":", 1)[0] in SHARE_CHECKS:
        return f"{100 * number:.1f}%"
    return _num(number, unit)


def _check_value(check: Mapping[Any, Any]) -> str:
    """A QC row's value as the report shows it: the ``unit`` check's value is a factor."""
    if check["check"] == UNIT_CHECK:
        number = _float(check["value"])
        return f"× {number:g}" if math.isfinite(number) else "–"
    return _value(check["value"], str(check["check"]), check.get("unit"))


def _sample_units(samples: pd.DataFrame) -> dict[str, str]:
    """The unit of each analyte's sample values (the first where a table mixes them)."""
    if "unit" not in samples or samples.empty:
        return {}
    first = samples.drop_duplicates("analyte")
    return dict(
        zip(first["analyte"].astype(str), first["unit"].fillna("").astype(str), strict=True)
    )


def _pairs(samples: pd.DataFrame, pre: str, post: str) -> pd.DataFrame:
    """Subjects with a value at both visits, per analyte: analyte, subject_id, pre, post."""
    data = samples[samples["visit"].isin([pre, post]) & samples["subject_id"].notna()]
    data = data[pd.to_numeric(data["concentration"], errors="coerce").notna()]
    wide = data.pivot_table(
        index=["analyte", "subject_id"], columns="visit", values="concentration", aggfunc="mean"
    )
    if pre not in wide or post not in wide:
        return pd.DataFrame(columns=["analyte", "subject_id", "pre", "post"])
    wide = wide[[pre, post]].dropna().reset_index()
    return wide.rename(columns={pre: "pre", post: "post"})[["analyte", "subject_id", "pre", "post"]]


def write_report(path: str | Path, page: str) -> Path:
    """Write the page as UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
