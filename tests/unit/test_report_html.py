"""report.html: the report's HTML made from escaped parts."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from assaypipe.errors import escaped
from assaypipe.report.html import _UNSHOWN, Html, badge, escape, join, tag, text


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


_ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
_VALUES = st.one_of(
    _ANY_TEXT,
    _ANY_TEXT.map(Html),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.none(),
    st.booleans(),
)


@given(_VALUES)
def test_escape_is_the_escape_of_the_shown_text(value: object) -> None:
    # The reference: the cell's text, its control characters written as escapes, then
    # the standard library's HTML escape; an Html value as it is.
    expected = value if isinstance(value, Html) else html.escape(escaped(text(value), _UNSHOWN))
    assert escape(value) == expected
    assert isinstance(escape(value), Html)


@given(st.lists(_VALUES, max_size=5), st.dictionaries(st.sampled_from(["class_", "id", "data_x"]),
                                                      st.one_of(_ANY_TEXT, st.none())))  # fmt: skip
def test_a_tag_is_its_escaped_attributes_and_children(
    children: list[object], attrs: dict[str, str | None]
) -> None:
    shown = "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"'
                    for k, v in attrs.items() if v is not None)  # fmt: skip
    inner = "".join(escape(child) for child in children)
    assert tag("td", *children, **attrs) == f"<td{shown}>{inner}</td>"
    assert join(children, ", ") == ", ".join(escape(child) for child in children)
