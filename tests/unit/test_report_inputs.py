"""report.inputs: what the report shows, and the tables it reads."""

import dataclasses

import pandas as pd

from assaypipe import tables
from assaypipe.report.inputs import TABLE_INPUTS, ReportInputs
from tests.report_context import context


def test_the_table_inputs_are_the_required_fields_in_order():
    required = [
        f.name
        for f in dataclasses.fields(ReportInputs)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    assert list(TABLE_INPUTS) == required


def test_optional_tables_default_to_their_empty_schemas():
    inputs = context().inputs
    for name, schema in [
        ("vendor", tables.VENDOR_RESULTS),
        ("skipped", tables.SKIPPED),
        ("sheet_checks", tables.SHEET_CHECKS),
        ("stats", tables.STATS),
    ]:
        frame = getattr(inputs, name)
        assert isinstance(frame, pd.DataFrame) and frame.empty, name
        assert list(frame.columns) == list(tables.empty(schema).columns), name
    assert inputs.correlation_figures == () and inputs.prepost_figure is None
    assert (inputs.pre, inputs.post) == ("baseline", "post")


def test_each_instance_has_its_own_default_tables():
    first, second = context().inputs, context().inputs
    first.stats.loc[0, "analyte"] = "CCL2"
    assert second.stats.empty
