"""report.html: the report's HTML made from escaped parts."""

from __future__ import annotations

from assaypipe.report.html import Html, badge, escape, join, tag


def test_text_from_files_is_escaped_once() -> None:
    made = escape("<script>&")
    assert made == "&lt;script&gt;&amp;"
    # already HTML: not escaped again
    assert escape(made) == made
    assert isinstance(made, Html)


def test_control_characters_are_shown_as_escapes() -> None:
    # A sample name from a plate file may hold them; a page would show nothing.
    assert escape("Standard7\x01\x02") == "Standard7\\x01\\x02"
    assert escape("a\x7f\x85<") == "a\\x7f\\x85&lt;"
    assert escape("tab\tline\nend\r") == "tab\tline\nend\r"


def test_tags_escape_their_children_and_attributes() -> None:
    html = tag("td", "a<b", class_='x"y')
    assert html == '<td class="x&quot;y">a&lt;b</td>'
    assert tag("p", tag("b", "bold")) == "<p><b>bold</b></p>"


def test_join_and_badge() -> None:
    assert join(["a", "<b>"], ", ") == "a, &lt;b&gt;"
    assert "fail" in badge("fail") and badge("fail").startswith("<span")
