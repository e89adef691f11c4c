"""Assemble ``report.html``: one self-contained page (inline CSS, figures as data: URIs,
no script) that lab staff read top to bottom.

The page is its sections in order (their ids are what the browser test looks for):
``summary``, ``plates`` (with the plate maps), ``verdicts``, ``findings``, ``curves``,
``levey-jennings``, ``exclusions``, ``sheets``, ``prepost``, ``rules``. Each reads the
:class:`~assaypipe.report.context.ReportContext`, worked out once from the inputs.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from assaypipe.qc import presets, rules_for
from assaypipe.qc.checks import records
from assaypipe.qc.rules import RULE_KEYS
from assaypipe.report.cells import SHARE_CHECKS
from assaypipe.report.cells import blank as _blank
from assaypipe.report.cells import interval as _interval
from assaypipe.report.cells import num as _num
from assaypipe.report.cells import p_value as _p_value
from assaypipe.report.context import Progress, ReportContext
from assaypipe.report.figures import png_bytes, prepost_figure
from assaypipe.report.html import Html, table, tag
from assaypipe.report.inputs import TABLE_INPUTS, ReportInputs, load_inputs
from assaypipe.report.page import SECTIONS, page, section
from assaypipe.report.sections import (
    curves,
    exclusions,
    findings,
    levey_jennings,
    plates,
    sheets,
    summary,
    verdicts,
)
from assaypipe.summary import statistics_losses

__all__ = [
    "SECTIONS",
    "SHARE_CHECKS",
    "TABLE_INPUTS",
    "Progress",
    "ReportInputs",
    "build_report",
    "load_inputs",
    "log_progress",
    "write_report",
]


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
    """The sections not yet moved to :mod:`assaypipe.report.sections`."""

    def __init__(
        self, inputs: ReportInputs, figure_dirs: Mapping[str, Path], progress: Progress | None
    ):
        self.ctx = ReportContext.of(inputs, figure_dirs, progress)
        self.inputs = inputs
        self.progress = progress
        self.plate_ids = self.ctx.plate_ids
        self.analytes = self.ctx.analytes
        self.verdict = self.ctx.verdict
        self.present = self.ctx.present
        self.excluded = self.ctx.excluded
        self.units = self.ctx.units
        self.plate_units = self.ctx.plate_units
        self.drawn = self.ctx.drawn
        self.compared = self.ctx.compared
        self.software = self.ctx.software

    def name(self, analyte: str) -> str:
        return self.ctx.name(analyte)

    def image(self, data: bytes, alt: str, kind: str, filename: str) -> Html:
        return self.ctx.image(data, alt, kind, filename)

    def render(self) -> str:
        return page(
            self.ctx,
            [
                summary.render(self.ctx),
                plates.render(self.ctx),
                verdicts.render(self.ctx),
                findings.render(self.ctx),
                curves.render(self.ctx),
                levey_jennings.render(self.ctx),
                exclusions.render(self.ctx),
                sheets.render(self.ctx),
                self.prepost(),
                self.rules(),
            ],
        )

    def section(self, key: str, *content: object) -> Html:
        return section(key, *content)

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

    def rules(self) -> Html:
        settings = self.inputs.settings
        preset = str(settings.get("preset", "ich_m10"))
        overrides = list(settings.get("overrides", []))
        sets = {a: rules_for(a, preset, overrides) for a in self.analytes}
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
