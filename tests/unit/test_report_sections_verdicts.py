"""report.sections.verdicts: the plate x analyte matrix of verdicts."""

from assaypipe.report.html import anchor
from assaypipe.report.sections import verdicts
from tests.report_context import context, frames, parse


def test_a_row_per_plate_in_run_order_and_a_cell_linking_each_curve():
    ctx = context()
    html = verdicts.render(ctx)
    rows = html.split("<tbody>", 1)[1].split("<tr")[1:]
    assert [r.split("<td>", 2)[1].split("</td>")[0] for r in rows] == ["P1", "P2", "P3"]
    links = [a["href"] for name, a in parse(html).tags if name == "a"]
    # P1 has both analytes, P2 and P3 only CCL2
    assert len(links) == 4
    assert f"#{anchor('curve', 'P1', 'TGFB2')}" in links
    assert "TGF-β2" in html.split("<tbody>", 1)[0]


def test_a_failing_pair_is_marked_and_excluded():
    wells, curves, plates = frames()
    broken = (
        (wells["plate_id"] == "P2") & (wells["role"] == "standard") & wells["level"].isin([2, 3])
    )
    wells.loc[broken, "signal"] = wells.loc[broken, "signal"] * 1.8
    html = verdicts.render(context(wells, curves, plates))
    assert html.count('class="badge fail"') == 1
    p2 = next(r for r in html.split("<tr") if "<td>P2</td>" in r)
    assert 'class="badge fail"' in p2 and "excluded" in p2
