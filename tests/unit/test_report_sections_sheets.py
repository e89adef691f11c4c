"""report.sections.sheets: the plates checked against the study's sheets."""

import pandas as pd

from assaypipe import tables
from assaypipe.report.sections import sheets
from tests.report_context import context


def test_each_finding_is_a_row_counted_by_kind_and_escaped():
    found = tables.SHEET_CHECKS.validate(
        pd.DataFrame(
            {
                "check": ["unknown_analyte", "sample_on_no_plate", "sample_on_no_plate"],
                "name": ["<b>MPC-1</b>", "S9-BL", "S10-BL"],
                "where": ["plate P2", "config/samples.tsv", "config/samples.tsv"],
                "detail": ["not in config/analytes.tsv", "no plate holds it", "no plate holds it"],
                "n_wells": [96, 0, 0],
            }
        )
    )
    html = sheets.render(context(sheet_checks=found))
    assert "2 sample on no plate, 1 unknown analyte" in html
    assert html.split("<tbody>", 1)[1].count("<tr") == 3
    assert "&lt;b&gt;MPC-1&lt;/b&gt;" in html and "<b>MPC-1" not in html
    assert "<td>unknown analyte</td>" in html


def test_no_findings_says_the_sheets_agree():
    html = sheets.render(context())
    assert "The sheets and the plates agree." in html and "<table" not in html
