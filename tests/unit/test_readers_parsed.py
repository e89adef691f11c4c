"""readers.parsed: the warnings a reader collects."""

from __future__ import annotations

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
