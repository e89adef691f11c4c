"""readers.cells: the vendors' cell texts, well names and encodings."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from assaypipe.readers import read_exports
from assaypipe.readers.cells import (
    TOKENS,
    classify_texts,
    decode_text,
    decode_text_noting,
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


@pytest.mark.parametrize("bom", ["\ufeff", ""], ids=["bom", "no-bom"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("change", ["lost", "added"])
def test_a_utf16_text_out_of_step_is_read_in_step_again(codec: str, change: str, bom: str) -> None:
    text = bom + "Header of the plate export\tx\r\nA\t1\t2\r\nB\t3\t4\r\nC\t5\t6\r\n"
    data = text.encode(codec)
    at = (
        len((bom + "Header of the plate export\tx\r\nA\t").encode(codec)) + 1
    )  # inside line 2's `1`
    damaged = data[:at] + data[at + 1 :] if change == "lost" else data[:at] + b"Z" + data[at:]
    decoded, notes = decode_text_noting(damaged, "plate.txt")
    assert decoded.splitlines()[0] == "Header of the plate export\tx"
    assert decoded.splitlines()[2:] == ["B\t3\t4", "C\t5\t6"]
    assert notes == (
        "the UTF-16 text runs one byte out of step before line 3 (a byte of the file lost "
        "or added) and is read in step again from line 3; check the lines before it",
    )
    assert decode_text_noting(data, "plate.txt") == (
        text.removeprefix("\ufeff").replace("\r\n", "\n"),
        (),
    )


def test_a_utf16_export_that_lost_a_byte_keeps_its_plates_with_a_warning(
    tmp_path: Path,
) -> None:
    fixture = Path(__file__).parents[1] / "data" / "exports" / "softmax"
    text = (fixture / "softmax_two_plates_dual.txt").read_bytes().decode("latin-1")
    data = "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
    whole, damaged = tmp_path / "whole.txt", tmp_path / "damaged.txt"
    whole.write_bytes(data)
    at = data.index("NFL-2291".encode("utf-16-le"))  # a note line, line 3
    damaged.write_bytes(data[:at] + data[at + 1 :])
    before, after = read_exports(whole), read_exports(damaged)
    assert len(after) == len(before) == 2
    columns = ["well", "analyte", "signal", "raw_text"]
    for plate, first in zip(after, before, strict=True):
        pd.testing.assert_frame_equal(plate.wells[columns], first.wells[columns])
        assert any("out of step before line 4" in warning for warning in plate.warnings)
