"""report.sections.curves: a figure and the facts of each plate x analyte's curve, and
the standards whose recovery check did not pass."""

import pandas as pd

from assaypipe.report.html import anchor
from assaypipe.report.sections import curves
from assaypipe.report.sections.curves import recovery_ok
from tests.report_context import context, parse


def test_an_article_per_plate_with_a_figure_per_curve():
    ctx = context()
    html = curves.render(ctx)
    elements = parse(html)
    articles = [a["id"] for name, a in elements.tags if name == "article"]
    assert articles == [anchor("plate", p) for p in ("P1", "P2", "P3")]
    figures = [a for name, a in elements.tags if name == "figure" and "data-plate" in a]
    assert sorted((a["data-plate"], a["data-analyte"]) for a in figures) == sorted(ctx.present)
    assert html.count("<img") == 4


def test_progress_hears_of_each_plate_and_figures_are_written(tmp_path):
    heard = []
    ctx = context()
    ctx = type(ctx).of(
        ctx.inputs, {"curves": tmp_path}, lambda done, total: heard.append((done, total))
    )
    curves.render(ctx)
    assert heard == [(1, 3), (2, 3), (3, 3)]
    assert len(list(tmp_path.glob("*.png"))) == 4


def test_past_the_figure_budget_only_the_drawn_pairs_have_an_image():
    ctx = context(curve_figures=1)
    html = curves.render(ctx)
    assert html.count("<img") == 1
    assert len(ctx.drawn) == 1
    ((plate, analyte),) = ctx.drawn
    drawn = next(
        f
        for f in html.split("<figure")[1:]
        if f'data-plate="{plate}"' in f and f'data-analyte="{analyte}"' in f
    )
    assert "<img" in drawn


def test_recovery_ok_marks_the_wells_of_levels_whose_recovery_check_did_not_pass():
    points = pd.DataFrame(
        {"expected_conc": [5.0, 5.0, 15.0, 20.0], "level": [1, 1, 2, pd.NA]},
    ).astype({"level": "Int64"})
    checks = [
        {"check": "recovery:S1", "status": "warn"},
        {"check": "recovery:S2", "status": "pass"},
        {"check": "recovery:20", "status": "warn"},  # a level without a kit number
        {"check": "standard_cv:S2", "status": "warn"},
    ]
    assert recovery_ok(points, checks).tolist() == [False, False, True, False]
