"""readers.cells: the vendors' cell texts, well names and encodings."""

from __future__ import annotations

import math

import pytest

from assaypipe.readers.cells import (
    TOKENS,
    classify_texts,
    decode_text,
    number_text,
    parse_well,
    well_order,
)


def test_vendor_tokens_are_classified_and_only_numbers_get_values() -> None:
    texts = ["1.5", "OOR <", "OOR >", "***", "NaN", "OVRFLW"]
    tokens, values = classify_texts(texts)
    assert list(tokens) == ["numeric", "oor_low", "oor_high", "not_reported", "nan", "overflow"]
    assert values[0] == 1.5
    assert all(math.isnan(v) for v in values[1:])
    assert set(tokens) <= set(TOKENS)


def test_a_decimal_comma_is_read_only_when_the_file_uses_one() -> None:
    assert classify_texts(["1,5"], decimal_comma=True)[1][0] == 1.5
    assert classify_texts(["1,5"])[0][0] == "error"


@pytest.mark.parametrize(
    ("text", "well"), [("a01", "A1"), (" B12 ", "B12"), ("P24", "P24"), ("Q1", None), ("A25", None)]
)
def test_well_names_of_a_384_well_plate(text: str, well: str | None) -> None:
    assert parse_well(text) == well


def test_wells_sort_by_row_then_column() -> None:
    assert sorted(["B1", "A10", "A2"], key=well_order) == ["A2", "A10", "B1"]


def test_cells_read_as_a_person_reads_them() -> None:
    assert [number_text(v) for v in (14115.0, 41.3, "", True, None)] == [
        "14115",
        "41.3",
        "",
        "TRUE",
        "",
    ]


def test_exports_in_utf16_and_latin1_are_decoded() -> None:
    assert decode_text("Well,µg".encode("utf-16"), "plate.csv") == "Well,µg"
    assert decode_text("Well,µg".encode("latin-1"), "plate.csv") == "Well,µg"
