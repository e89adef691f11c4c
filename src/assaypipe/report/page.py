"""The page around the sections: their ids and titles (:data:`SECTIONS`, the order of
the navigation bar), a section's frame, and the template they are set in."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from string import Template

from assaypipe import __version__
from assaypipe.report.context import ReportContext
from assaypipe.report.html import Html, escape, join, tag

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


def section(key: str, *content: object) -> Html:
    """A section of the page: its title (from :data:`SECTIONS`) and its content."""
    title = dict(SECTIONS)[key]
    return tag("section", tag("h2", title), *content, id=key)


def page(ctx: ReportContext, sections: Sequence[Html]) -> str:
    """The whole page: head, navigation, the study's facts, the sections, the footer."""
    template = Template(_template("report.html"))
    nav = join(tag("a", title, href=f"#{key}") for key, title in SECTIONS)
    preset = ctx.inputs.settings.qc.preset.value
    meta = join(
        [
            f"{len(ctx.plate_ids)} plates, {len(ctx.analytes)} analytes; QC preset ",
            tag("b", preset),
            f"; assaypipe {__version__}",
            f"; config {ctx.inputs.config_hash}" if ctx.inputs.config_hash else "",
        ]
    )
    footer = escape(
        "Written by assaypipe: one self-contained file (figures embedded, no scripts); "
        "tables behind it are in results/ (qc.parquet, qc_verdicts.parquet, "
        "levey_jennings.parquet, exclusions.parquet)."
    )
    return template.substitute(
        title=escape(ctx.inputs.title),
        generator=escape(f"assaypipe {__version__}"),
        style=_template("report.css"),
        meta=meta,
        nav=nav,
        body=join(sections, "\n"),
        footer=footer,
    )


def _template(name: str) -> str:
    files = resources.files("assaypipe.report").joinpath("templates", name)
    return files.read_text(encoding="utf-8")
