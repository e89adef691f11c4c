"""Assemble ``report.html``: one self-contained page (inline CSS, figures as data: URIs,
no script) that lab staff read top to bottom.

The page is its sections in order (their ids are what the browser test looks for):
``summary``, ``plates`` (with the plate maps), ``verdicts``, ``findings``, ``curves``,
``levey-jennings``, ``exclusions``, ``sheets``, ``prepost``, ``rules``. Each is a module
of :mod:`assaypipe.report.sections` whose ``render`` reads the
:class:`~assaypipe.report.context.ReportContext`, worked out once from the inputs.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assaypipe.qc.checks import SHARE_CHECKS
from assaypipe.report.context import Progress, ReportContext
from assaypipe.report.figure_cache import FigureCache
from assaypipe.report.html import Html
from assaypipe.report.inputs import TABLE_INPUTS, ReportInputs, load_inputs, statistics_inputs
from assaypipe.report.page import SECTIONS, page
from assaypipe.report.sections import (
    curves,
    exclusions,
    findings,
    levey_jennings,
    plates,
    prepost,
    rules,
    sheets,
    summary,
    verdicts,
)

__all__ = [
    "SECTIONS",
    "SECTION_RENDERERS",
    "SHARE_CHECKS",
    "STATISTICS_SECTIONS",
    "TABLE_INPUTS",
    "FigureCache",
    "Progress",
    "ReportInputs",
    "build_report",
    "load_inputs",
    "log_progress",
    "statistics_inputs",
    "write_report",
]

# The sections in the page's order, as SECTIONS lists them.
SECTION_RENDERERS: tuple[Callable[[ReportContext], Html], ...] = (
    summary.render,
    plates.render,
    verdicts.render,
    findings.render,
    curves.render,
    levey_jennings.render,
    exclusions.render,
    sheets.render,
    prepost.render,
    rules.render,
)


# The sections that show the study statistics (ReportInputs.stats, prepost_figure,
# correlation_figures).
STATISTICS_SECTIONS: tuple[Callable[[ReportContext], Html], ...] = (prepost.render,)


def build_report(
    inputs: ReportInputs,
    figure_dirs: Mapping[str, str | Path] | None = None,
    progress: Progress | None = None,
    figures: FigureCache | None = None,
    statistics: Callable[[], Mapping[str, Any]] | None = None,
) -> str:
    """The report page.

    ``figure_dirs`` maps a kind of figure (``curves``, ``levey_jennings``, ``prepost``)
    to a folder where each is also written as PNG (``<plate>--<analyte>-<hash>.png``,
    ``<analyte>-<hash>.png``: :func:`assaypipe.figure_text.file_stem`), for
    ``snakemake --report``. ``progress(done, total)`` is called after each plate's curves.
    ``figures`` keeps the curve figures and plate maps between runs and draws the
    missing ones (by default none are kept and the report's process draws them all).
    ``statistics``, when given, is called before the first section that shows the
    study statistics (:data:`STATISTICS_SECTIONS`) and returns the inputs' fields they
    fill (:func:`statistics_inputs`): the sections before it are built while the
    statistics are still being computed.
    """
    folders = {kind: Path(folder) for kind, folder in (figure_dirs or {}).items()}
    for folder in folders.values():
        # A kind with no figure (a study too small for Levey-Jennings charts) still
        # gets its folder, which the workflow declares as an output.
        folder.mkdir(parents=True, exist_ok=True)
    ctx = ReportContext.of(inputs, folders, progress, figures)
    try:
        sections = []
        for render in SECTION_RENDERERS:
            if statistics is not None and render in STATISTICS_SECTIONS:
                filled = dataclasses.replace(ctx.inputs, **statistics())
                ctx = dataclasses.replace(ctx, inputs=filled)
                statistics = None
            sections.append(render(ctx))
        built = ctx.embed(page(ctx, sections))
    finally:
        ctx.figures.close()
    ctx.figures.prune()
    return built


def log_progress(logger: logging.Logger) -> Progress:
    """A progress callback that logs about twenty lines however many plates there are."""

    def report(done: int, total: int) -> None:
        step = max(1, total // 20)
        if done == total or done % step == 0:
            logger.info("report: curves drawn for %d/%d plates", done, total)

    return report


def write_report(path: str | Path, page: str) -> Path:
    """Write the page as UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
