"""report.sections.plates: the plates read, their warnings, and the plate maps."""

from assaypipe.report.sections import plates as section
from tests.report_context import context, frames, parse


def with_warning():
    wells, curves, plates = frames()
    plates = plates.drop_duplicates("plate_id").reset_index(drop=True)
    odd = ["line 7: the <Samples> line says 96"]
    plates["warnings"] = [odd if p == "P2" else [] for p in plates["plate_id"]]
    return wells, curves, plates


def test_a_row_per_plate_and_its_warnings_escaped():
    html = section.render(context(*with_warning()))
    assert "3 plates read, 1 with warnings" in html
    row = next(r for r in html.split("<tr") if "the &lt;Samples&gt; line says 96" in r)
    assert "<td>P2</td>" in row and 'class="warn"' in row
    assert "<Samples>" not in html


def test_a_plate_map_per_plate_in_run_order():
    html = section.render(context())
    maps = [a["data-plate"] for name, a in parse(html).tags if name == "figure"]
    assert maps == ["P1", "P2", "P3"]


def test_past_the_budgets_plates_with_warnings_come_first():
    html = section.render(context(*with_warning(), curve_figures=1, plate_maps=1))
    maps = [a["data-plate"] for name, a in parse(html).tags if name == "figure"]
    assert maps == ["P2"]
    assert "1 of 3 plates are drawn (report.plate_maps = 1)" in html
    assert "2 plates without warnings are not listed." in html
    assert html.split("<tbody>", 1)[1].count("<tr") == 1
