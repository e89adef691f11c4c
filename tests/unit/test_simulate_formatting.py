"""simulate.formatting: numbers, clock times and files as the simulated exports write them."""

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from assaypipe.simulate.formatting import (
    clock,
    fmt,
    long_stamp,
    num,
    round_sig,
    write_text,
    write_tsv,
)


@pytest.mark.parametrize(
    ("value", "digits", "rounded"),
    [(12345.0, 2, 12000.0), (0.0012345, 3, 0.00123), (-987.6, 1, -1000.0), (0.0, 3, 0.0)],
)
def test_round_sig(value: float, digits: int, rounded: float):
    assert round_sig(value, digits) == pytest.approx(rounded)


def test_numbers_print_as_instruments_print_them():
    assert [fmt(12.0, 2), fmt(12.5, 2), fmt(-2.75, 2), fmt(-0.001, 2)] == [
        "12",
        "12.5",
        "-2.75",
        "0",
    ]
    assert [num(3.0), num(0.1), num(2500.0)] == ["3", "0.1", "2500"]
    assert float(num(1 / 3)) == 1 / 3  # reads back to the same float


def test_twelve_hour_clock():
    assert clock(datetime(2024, 1, 8, 0, 5, 7), seconds=True) == "12:05:07 AM"
    assert clock(datetime(2024, 1, 8, 12, 0), seconds=False) == "12:00 PM"
    assert long_stamp(datetime(2024, 3, 5, 14, 7, 9)) == "3/5/2024 2:07:09 PM"


def test_tsv_reads_back_with_pandas_and_newlines_are_as_asked(tmp_path: Path):
    path = tmp_path / "t.tsv"
    write_tsv(path, ["a", "b"], [["1", "x"], ["2", "y"]])
    frame = pd.read_csv(path, sep="\t", dtype=str)
    assert frame.to_dict("list") == {"a": ["1", "2"], "b": ["x", "y"]}
    write_text(path, "one\ntwo\n", "\r\n")
    assert path.read_bytes() == b"one\r\ntwo\r\n"
