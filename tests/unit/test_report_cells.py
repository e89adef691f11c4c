"""report.cells: table cells as the report shows them."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from assaypipe.qc.checks import SHARE_CHECKS
from assaypipe.report.cells import (
    blank,
    check_value,
    interval,
    num,
    p_value,
    share_or_number,
    to_float,
    warning_counts,
    warnings_of,
)
from assaypipe.units import UNIT_CHECK
from tests.report_context import context


def test_missing_values_are_blank_and_show_as_a_dash():
    assert [blank(v) for v in (None, "", math.nan, pd.NA, 0, "x")] == [True] * 4 + [False] * 2
    assert math.isnan(to_float("12")) and to_float(np.int64(3)) == 3.0
    assert num(None) == "–" and interval(1.0, None) == "–" and p_value(math.nan) == "–"


def test_numbers_to_four_significant_digits_and_p_values_to_two():
    assert num(12345.678, "pg/mL") == "1.235e+04 pg/mL"
    assert num(0.012345) == "0.01235" and num(2.5, "") == "2.5"
    assert interval(1.23456, 98.7654) == "1.235 to 98.77"
    assert [p_value(0.0390625), p_value(1e-4), p_value(9.9e-5)] == ["0.039", "0.0001", "< 0.0001"]


def test_shares_read_as_percentages_and_the_unit_check_as_a_factor():
    share = next(iter(sorted(SHARE_CHECKS)))
    assert share_or_number(0.875, f"{share}:S1") == "87.5%"
    assert share_or_number(0.875, "bead_count", "beads") == "0.875 beads"
    assert check_value({"check": UNIT_CHECK, "value": 1000.0}) == "× 1000"
    assert check_value({"check": UNIT_CHECK, "value": None}) == "–"


@pytest.mark.parametrize(
    ("value", "n"), [(None, 0), (math.nan, 0), (["a", "b"], 2), (np.array(["a"]), 1)]
)
def test_warnings_of_a_plate(value, n):
    assert len(warnings_of(value)) == n
    plates = pd.DataFrame({"warnings": [value]})
    assert warning_counts(plates).tolist() == [n]
    assert warning_counts(pd.DataFrame({"plate_id": ["P1"]})).tolist() == [0]


def test_check_values_read_as_their_kind():
    qc = context().inputs.qc
    share = re.compile(r"^(median )?([<>]=? ?)?\d+(\.\d+)?(-\d+(\.\d+)?)?%$")
    for r in qc.to_dict("records"):
        base = str(r["check"]).split(":", 1)[0]
        assert (base in SHARE_CHECKS) == bool(share.match(str(r["threshold"]))), r
    beads = qc[qc["check"] == "bead_count"].iloc[0].to_dict()
    assert check_value(beads) == f"{beads['value']:.4g}" and "%" not in check_value(beads)
