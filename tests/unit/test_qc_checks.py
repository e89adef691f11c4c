"""qc.checks: the pieces the per plate x analyte checks are built from."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from assaypipe.qc.checks import curve_params, level_name, records, row
from assaypipe.vocabulary import QcStatus

CURVE = {"converged": True, "a": 10.0, "b": 1.0, "c": 50.0, "d": 9000.0, "g": 1.0}


def test_only_a_converged_curve_with_finite_parameters_gives_parameters() -> None:
    assert curve_params(CURVE) == {"a": 10.0, "b": 1.0, "c": 50.0, "d": 9000.0, "g": 1.0}
    assert curve_params({**CURVE, "converged": False}) is None
    assert curve_params({**CURVE, "c": math.nan}) is None
    assert curve_params(None) is None


def test_a_level_is_named_by_its_kit_number_else_its_concentration() -> None:
    assert level_name(1000.0, 3.0) == "S3"
    assert level_name(12.5, math.nan) == "12.5"


def test_a_row_holds_what_the_qc_table_asks() -> None:
    made = row("P1", "IL-6", "blank", 0.1, "<= 0.2", QcStatus.PASS)
    assert made["status"] == "pass" and made["unit"] == "" and made["detail"] == ""
    assert np.isclose(made["value"], 0.1)


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and (a is b or a == b or (a != a and b != b))


def test_records_are_the_rows_pandas_gives() -> None:
    frame = pd.DataFrame(
        {
            "float": [1.5, math.nan, 3.0],
            "int": np.array([1, 2, 3], dtype=np.int64),
            "bool": [True, False, True],
            "masked": pd.array([1, None, 3], dtype="Int64"),
            "text": pd.array(["a", None, "c"], dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
            "text_na": pd.array(["a", None, "c"], dtype=pd.StringDtype("python")),
            "object": [None, "x", ("t", 1)],
            "time": pd.to_datetime(["2025-01-01", None, "2025-03-01"]),
            "category": pd.Categorical(["u", None, "u"]),
        }
    )
    for columns in (list(frame.columns), ["text", "float"], ["object"], []):
        for part in (frame[columns], frame[columns].iloc[[2, 0]], frame[columns].iloc[:0]):
            expected = part.to_dict("records")
            found = records(part)
            assert len(found) == len(expected)
            for got, want in zip(found, expected, strict=True):
                assert list(got) == list(want)
                assert all(_same(got[key], want[key]) for key in want)
