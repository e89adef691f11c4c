"""readers.parsed: the warnings a reader collects."""

from __future__ import annotations

from assaypipe.errors import MAX_MESSAGE
from assaypipe.readers.parsed import Warnings


def test_each_warning_once_in_the_order_noticed_with_where() -> None:
    notes = Warnings()
    assert not notes
    notes.add("the Median block names 4 wells", "line 7")
    notes.add("a plate name is used twice")
    notes.add("the Median block names 4 wells", "line 7")
    notes.extend(["a plate name is used twice", "one more"])
    assert list(notes) == [
        "line 7: the Median block names 4 wells",
        "a plate name is used twice",
        "one more",
    ]
    assert len(notes) == 3 and notes.as_tuple() == tuple(notes)
    assert list(Warnings(("x", "x", "y"))) == ["x", "y"]


def test_a_warning_quoting_a_long_value_is_cut_as_an_error_is() -> None:
    """A warning quoting a cell of a damaged file whole (200,000 characters) would fill
    the plates table, the report and the summary: it is cut to MAX_MESSAGE, its start
    and end kept, and two warnings differing only in the middle are still two."""
    notes = Warnings(("x" * 200_000 + " first",))
    notes.add("found '" + "y" * 200_000 + "'; the row is not read", "line 7")
    notes.extend(["short one"])
    messages = list(notes)
    assert [len(message) <= MAX_MESSAGE for message in messages] == [True, True, True]
    assert messages[0].endswith(" first")
    assert messages[1].startswith("line 7: found 'yyy")
    assert messages[1].endswith("'; the row is not read")
    assert messages[2] == "short one"
