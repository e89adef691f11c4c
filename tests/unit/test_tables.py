"""tables: the schemas every stage hands on, and how a table is made to fit one."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from assaypipe import tables
from assaypipe.errors import AssaypipeBugError
from assaypipe.vocabulary import QcStatus

VERDICT = {
    "plate_id": "P1",
    "analyte": "IL-6",
    "verdict": QcStatus.WARN,
    "n_pass": 5,
    "n_warn": 1,
    "n_fail": 0,
    "failed": "",
    "warned": "blank",
}


def test_a_verdict_outside_the_vocabulary_is_refused() -> None:
    tables.QC_VERDICTS.validate(pd.DataFrame([VERDICT]))
    with pytest.raises(pandera.errors.SchemaError):
        tables.QC_VERDICTS.validate(pd.DataFrame([{**VERDICT, "verdict": "warning"}]))


def test_empty_has_the_columns_in_order_and_is_a_fresh_copy() -> None:
    one = tables.empty(tables.QC_VERDICTS)
    assert list(one.columns) == list(tables.QC_VERDICTS.columns)
    assert one.empty
    one.loc[0] = list(VERDICT.values())
    assert tables.empty(tables.QC_VERDICTS).empty


def test_conform_orders_columns_and_refuses_missing_or_extra_ones() -> None:
    shuffled = pd.DataFrame([VERDICT])[list(reversed(VERDICT))]
    assert list(tables.conform(shuffled, tables.QC_VERDICTS).columns) == list(VERDICT)
    with pytest.raises(AssaypipeBugError, match="missing columns \\['warned'\\]"):
        tables.conform(shuffled.drop(columns="warned"), tables.QC_VERDICTS)
    with pytest.raises(AssaypipeBugError, match="extra columns \\['colour'\\]"):
        tables.conform(shuffled.assign(colour="red"), tables.QC_VERDICTS)
