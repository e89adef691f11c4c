"""QC rules: the preset and overrides in force, and each rule's value per analyte."""

from __future__ import annotations

from assaypipe.qc import presets, study_rules
from assaypipe.qc.rules import RULE_KEYS
from assaypipe.report.context import ReportContext
from assaypipe.report.html import Html, table, tag
from assaypipe.report.page import section


def render(ctx: ReportContext) -> Html:
    preset = ctx.inputs.settings.qc.preset.value
    overrides = ctx.inputs.settings.qc.overrides
    rules = study_rules(ctx.inputs.settings)
    sets = {a: rules(a) for a in ctx.analytes}
    rows = []
    for key in RULE_KEYS:
        values = [getattr(sets[a], key) for a in ctx.analytes]
        rows.append([key, *(", ".join(v) if isinstance(v, tuple) else v for v in values)])
    return section(
        "rules",
        tag("p", tag("b", preset), ": ", presets()[preset]["description"], class_="note"),
        tag("p", f"{len(overrides)} override(s) from qc.overrides in the config.", class_="note"),
        table(["rule", *(ctx.name(a) for a in ctx.analytes)], rows),
    )
