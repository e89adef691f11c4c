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


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["a", "b"], dtype="str"),
        pd.Series(["a", None], dtype="str"),
        pd.Series(["a", "b"], dtype="string[pyarrow]"),
        pd.Series(["a", "b"], dtype=object),
        pd.Series(["a", 3], dtype=object),
        pd.Series([1.5, None], dtype=object),
        pd.Series([1, 2]),
        pd.Series([], dtype="str"),
        pd.Series([], dtype=object),
    ],
    ids=[
        "str",
        "str-nan",
        "string",
        "object",
        "object-int",
        "object-float",
        "int",
        "empty",
        "empty-object",
    ],
)
def test_text_columns_get_pandera_s_own_verdict_and_message(values: pd.Series) -> None:
    # tables.TEXT answers a column of text as a whole; pandera's `str` is the reference.
    def verdict(dtype: object) -> str:
        schema = pandera.pandas.DataFrameSchema({"name": pandera.pandas.Column(dtype)})
        try:
            schema.validate(pd.DataFrame({"name": values}))
        except pandera.errors.SchemaError as error:
            return str(error)
        return "passed"

    assert verdict(tables.TEXT) == verdict(str)
    kind = pandera.engines.pandas_engine.Engine.dtype(values.dtype)
    if verdict(str) == "passed" and len(values) and str(kind) == str(tables.TEXT):
        # the column as a whole: no table of failure cases built for a column that passed
        assert tables.TEXT.check(kind, values) is True


def test_every_text_column_of_every_table_is_checked_as_a_whole() -> None:
    schemas = [s for s in vars(tables).values() if isinstance(s, pandera.pandas.DataFrameSchema)]
    assert len(schemas) >= 10
    text = pandera.engines.pandas_engine.STRING
    written_with_str = [
        f"{schema.name}.{name}"
        for schema in schemas
        for name, column in schema.columns.items()
        if type(column.dtype) is text
    ]
    assert written_with_str == []
