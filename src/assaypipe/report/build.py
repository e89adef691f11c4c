"""Assemble ``report.html``: one self-contained page (inline CSS, figures as data: URIs,
no script) that lab staff read top to bottom.

The page is its sections in order (their ids are what the browser test looks for):
``summary``, ``plates`` (with the plate maps), ``verdicts``, ``findings``, ``curves``,
``levey-jennings``, ``exclusions``, ``sheets``, ``prepost``, ``rules``. Each reads the
:class:`~assaypipe.report.context.ReportContext`, worked out once from the inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from assaypipe.qc import presets, rules_for
from assaypipe.qc.rules import RULE_KEYS
from assaypipe.report.cells import SHARE_CHECKS
from assaypipe.report.context import Progress, ReportContext
from assaypipe.report.html import Html, table, tag
from assaypipe.report.inputs import TABLE_INPUTS, ReportInputs, load_inputs
from assaypipe.report.page import SECTIONS, page, section
from assaypipe.report.sections import (
    curves,
    exclusions,
    findings,
    levey_jennings,
    plates,
    prepost,
    sheets,
    summary,
    verdicts,
)

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
                prepost.render(self.ctx),
                self.rules(),
            ],
        )

    def section(self, key: str, *content: object) -> Html:
        return section(key, *content)

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


def write_report(path: str | Path, page: str) -> Path:
    """Write the page as UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
