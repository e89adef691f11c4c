"""report.sections.prepost: the pre/post figure, a table per analysis of the statistics
and the correlation figures."""

import pandas as pd

from assaypipe.report.sections import prepost as section
from assaypipe.stats import prepost
from tests.report_context import context
from tests.unit.test_stats import GROUPS, SMALL


def test_without_pairs_or_statistics_it_says_so():
    html = section.render(context())
    assert "No subject has both" in html
    assert "No statistics tables were given to the report." in html


def test_paired_samples_draw_a_figure():
    ctx = context()
    samples = ctx.inputs.samples
    post = samples.assign(
        sample_id=samples["sample_id"] + "-post",
        visit="post",
        concentration=samples["concentration"] * 0.8,
    )
    ctx.inputs.samples = pd.concat([samples, post], ignore_index=True)
    html = section.render(ctx)
    assert html.count("<img") == 1 and "medians" in html


def test_a_table_per_analysis_with_a_row_per_statistic():
    stats = prepost(SMALL, groups=GROUPS)
    html = section.render(context(stats=stats))
    analyses = list(dict.fromkeys(stats["analysis"]))
    for analysis in analyses:
        assert f"<h3>{analysis}</h3>" in html
    assert html.count("<tbody>") == len(analyses)
    body_rows = sum(part.split("</tbody>")[0].count("<tr") for part in html.split("<tbody>")[1:])
    assert body_rows == len(stats)
    assert "No statistics tables" not in html
