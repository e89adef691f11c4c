"""report.sections.levey_jennings: a chart per analyte with enough plates, the values
of those with too few."""

import dataclasses

from assaypipe.report.html import anchor
from assaypipe.report.sections import levey_jennings
from tests.report_context import context, parse


def test_a_heading_per_analyte_and_a_chart_where_there_are_enough_plates(tmp_path):
    ctx = context()
    ctx = type(ctx).of(ctx.inputs, {"levey_jennings": tmp_path})
    html = levey_jennings.render(ctx)
    headings = [a.get("id") for name, a in parse(html).tags if name == "h3"]
    assert headings == [anchor("lj", "CCL2"), anchor("lj", "TGFB2")]
    charts = [a for name, a in parse(html).tags if name == "figure"]
    assert [a["data-analyte"] for a in charts] == ["CCL2"]
    assert len(list(tmp_path.glob("*.png"))) == 1
    # TGF-β2 has one plate: its values, no chart
    tgfb2 = html.split(f'id="{anchor("lj", "TGFB2")}"', 1)[1]
    assert "1 plate(s) so far: too few for a chart" in tgfb2 and "<img" not in tgfb2


def test_the_rules_and_the_guide_set_are_stated():
    ctx = context()
    html = levey_jennings.render(ctx)
    assert "Westgard rules applied: 1-2s, 1-3s" in html
    qc = dataclasses.replace(ctx.inputs.settings.qc, guide_range=("P1", "P2"), westgard=())
    ctx.inputs.settings = dataclasses.replace(ctx.inputs.settings, qc=qc)
    html = levey_jennings.render(ctx)
    assert "plates P1 to P2 (qc.guide_range)" in html and "Westgard rules applied: none" in html
