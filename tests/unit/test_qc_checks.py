"""qc.checks: the pieces the per plate x analyte checks are built from."""

from __future__ import annotations

import math

import numpy as np

from assaypipe.qc.checks import curve_params, level_name, row
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
