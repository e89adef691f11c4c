"""report.sections: one module per section of the page, each rendered from the report
context, in the order of page.SECTIONS."""

import pkgutil

import assaypipe.report.sections as sections
from assaypipe.report.build import SECTION_RENDERERS
from assaypipe.report.page import SECTIONS
from tests.report_context import context, parse


def test_every_section_module_renders_its_section_in_the_pages_order():
    modules = {m.name for m in pkgutil.iter_modules(sections.__path__)}
    assert {r.__module__.rsplit(".", 1)[1] for r in SECTION_RENDERERS} == modules
    ctx = context()
    ids = []
    for render in SECTION_RENDERERS:
        html = render(ctx)
        tags = parse(html).tags
        assert tags[0][0] == "section" and tags[1][0] == "h2"
        ids.append(tags[0][1]["id"])
        # the heading is the section's title
        assert f"<h2>{dict(SECTIONS)[tags[0][1]['id']]}</h2>" in html
    assert ids == [key for key, _ in SECTIONS]
