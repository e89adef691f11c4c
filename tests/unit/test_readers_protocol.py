"""readers.protocol: an export's bytes as text, lines or workbook, worked out once."""

from __future__ import annotations

import pytest

from assaypipe.errors import InputError
from assaypipe.readers import protocol
from assaypipe.readers.protocol import KINDS, Source


def test_the_kind_of_a_source_follows_its_first_bytes() -> None:
    assert Source(b"Well,Signal\r\nA1,5\r\n", "a.csv").kind == "text"
    assert Source(b'<?xml version="1.0"?><a/>', "a.xml").kind == "xml"
    assert Source(b"PK\x03\x04rest", "a.xlsx").kind == "workbook"
    assert KINDS == ("text", "workbook", "xml")


def test_lines_split_on_any_line_break() -> None:
    assert Source(b"a,b\r\n1,2\n3,4", "x.csv").lines == ["a,b", "1,2", "3,4"]


def test_a_text_beyond_the_line_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "MAX_LINES", 3)
    with pytest.raises(InputError, match=r"x\.csv"):
        _ = Source(b"1\n2\n3\n4\n5\n", "x.csv").text
