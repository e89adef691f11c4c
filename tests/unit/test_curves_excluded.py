"""curves.excluded: the `excluded_wells` column written and read back."""

from __future__ import annotations

import math

from assaypipe.curves.excluded import excluded_wells_text, parse_excluded_wells


def test_the_column_reads_back_as_written() -> None:
    entries = [("B1", "masked in xPONENT"), ("C4", "masked outlier")]
    text = excluded_wells_text(entries)
    assert text == "B1=masked in xPONENT;C4=masked outlier"
    assert parse_excluded_wells(text) == dict(entries)


def test_a_semicolon_in_a_reason_cannot_split_the_entry() -> None:
    text = excluded_wells_text([("A1", "low; very low")])
    assert parse_excluded_wells(text) == {"A1": "low, very low"}


def test_empty_missing_and_later_entries() -> None:
    assert parse_excluded_wells("") == {}
    assert parse_excluded_wells(math.nan) == {}
    assert parse_excluded_wells(None) == {}
    # a later entry for the same well wins; an entry without "=" is ignored
    assert parse_excluded_wells("A1=first;junk;A1=second") == {"A1": "second"}
