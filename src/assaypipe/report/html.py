"""Small HTML builders that escape every text they are given.

Text from inputs (sample, plate and analyte names, comments, reasons) reaches the page
only through :func:`escape`, :func:`tag` or :func:`table`, which escape anything that is
not already :class:`Html`. Markup is built from these pieces, never by pasting strings.

>>> tag("td", "<script>alert(1)</script>", class_="x")
'<td class="x">&lt;script&gt;alert(1)&lt;/script&gt;</td>'
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Collection, Iterable, Sequence

from assaypipe.errors import escaped


class Html(str):
    """A string that is already safe HTML; it is not escaped again."""

    __slots__ = ()


# Characters a page does not show (control characters other than tab and line breaks):
# a name read from a plate file may hold them.
_UNSHOWN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def escape(value: object) -> Html:
    """``value`` as HTML text: unchanged when already :class:`Html`, escaped otherwise;
    control characters are shown as escapes (``\\x01``), as the run summary shows them."""
    if isinstance(value, Html):
        return value
    shown = value if type(value) is str else text(value)
    if _UNSHOWN.search(shown) is not None:
        shown = escaped(shown, _UNSHOWN)
    return Html(html.escape(shown, quote=True))


def text(value: object) -> str:
    """A cell's text: empty for missing values, numbers to four significant digits."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.4g}"
    try:
        if value != value:  # pandas NA and NaT are not equal to themselves
            return ""
    except (TypeError, ValueError):
        return ""
    return str(value)


def join(parts: Iterable[object], separator: str = "") -> Html:
    """Concatenate escaped parts."""
    return Html(escape(separator).join([escape(part) for part in parts]))


_VOID = frozenset({"img", "br", "meta", "hr", "col"})


def tag(name: str, *children: object, **attrs: object) -> Html:
    """An element; ``class_`` gives ``class``, ``data_x`` gives ``data-x``; None drops it."""
    rendered = (
        "".join(
            [
                f' {_attr_name(key)}="{escape(value)}"'
                for key, value in attrs.items()
                if value is not None
            ]
        )
        if attrs
        else ""
    )
    if name in _VOID:
        return Html(f"<{name}{rendered}>")
    inner = "".join([escape(child) for child in children])
    return Html(f"<{name}{rendered}>{inner}</{name}>")


def _attr_name(key: str) -> str:
    return key.rstrip("_").replace("_", "-")


def table(
    columns: Sequence[object],
    rows: Iterable[Sequence[object]],
    class_: str | None = None,
    row_classes: Sequence[str | None] | None = None,
    text_columns: Collection[int] = (),
) -> Html:
    """A table with a header row; cells are escaped unless they are :class:`Html`.

    ``text_columns`` (indices) hold long free text (reasons, details): their cells may
    wrap anywhere, where names and numbers in the others keep whole.
    """
    head = tag("thead", tag("tr", *(tag("th", column) for column in columns)))
    body_rows = []
    for i, cells in enumerate(rows):
        row_class = row_classes[i] if row_classes is not None else None
        body_rows.append(
            tag(
                "tr",
                *(
                    tag("td", cell, class_="text" if j in text_columns else None)
                    for j, cell in enumerate(cells)
                ),
                class_=row_class,
            )
        )
    # The wrapper scrolls a wide table on its own instead of widening the whole page.
    return tag("div", tag("table", head, tag("tbody", *body_rows), class_=class_), class_="scroll")


def badge(status: str) -> Html:
    """A coloured pass / warn / fail label."""
    return tag("span", status, class_=f"badge {status}")


def anchor(*parts: object) -> str:
    """An id for an element from names of any characters (letters, digits, - and _ kept)."""
    raw = "-".join(text(part) for part in parts)
    return re.sub(r"[^A-Za-z0-9_-]", lambda m: f"_{ord(m.group()):x}_", raw)
