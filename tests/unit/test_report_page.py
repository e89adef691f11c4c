"""report.page: the page around the sections, its navigation and the study's facts."""

from assaypipe import __version__
from assaypipe.report.html import tag
from assaypipe.report.page import SECTIONS, page, section
from tests.report_context import context, parse


def test_a_section_has_its_id_and_title_and_escapes_text():
    html = section("findings", "<b>1 & 2</b>", tag("p", "ok"))
    assert html.startswith('<section id="findings"><h2>Findings</h2>')
    assert "&lt;b&gt;1 &amp; 2&lt;/b&gt;" in html and "<p>ok</p>" in html


def test_the_page_links_every_section_and_states_the_study():
    ctx = context(title="<Study & co>", config_hash="abc123")
    html = page(ctx, [section(key, f"text of {key}") for key, _ in SECTIONS])
    elements = parse(html)
    links = [a["href"] for name, a in elements.tags if name == "a"]
    assert links == [f"#{key}" for key, _ in SECTIONS]
    assert [a["id"] for name, a in elements.tags if name == "section"] == [k for k, _ in SECTIONS]
    assert "<title>&lt;Study &amp; co&gt;</title>" in html and "<Study" not in html
    assert f"3 plates, 2 analytes; QC preset <b>{ctx.inputs.settings.qc.preset.value}</b>" in html
    assert f"assaypipe {__version__}" in html and "config abc123" in html
    assert "<script" not in html


def test_no_config_hash_no_config_fact():
    html = page(context(), [])
    assert "; config " not in html
