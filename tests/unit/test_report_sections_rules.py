"""report.sections.rules: the preset in force and each rule's value per analyte."""

from assaypipe.qc import presets, study_rules
from assaypipe.qc.rules import RULE_KEYS
from assaypipe.report.sections import rules
from tests.report_context import context, parse


def test_a_row_per_rule_and_a_column_per_analyte_with_the_presets_values():
    ctx = context()
    html = rules.render(ctx)
    preset = ctx.inputs.settings.qc.preset.value
    assert f"<b>{preset}</b>" in html and str(presets()[preset]["description"])[:20] in html
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert [t for t in parse(header).text if t.strip()] == ["rule", "CCL2", "TGF-β2"]
    body = html.split("<tbody>", 1)[1]
    assert body.count("<tr") == len(RULE_KEYS)
    expected = study_rules(ctx.inputs.settings)("CCL2")
    first = RULE_KEYS[0]
    value = getattr(expected, first)
    shown = ", ".join(value) if isinstance(value, tuple) else str(value)
    assert f"<td>{first}</td><td>{shown}</td>" in body.replace('<td class="text">', "<td>")


def test_overrides_are_counted():
    ctx = context()
    html = rules.render(ctx)
    n = len(ctx.inputs.settings.qc.overrides)
    assert f"{n} override(s) from qc.overrides in the config." in html
