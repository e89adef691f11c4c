"""report.sections.summary: the study's numbers, and the rejected and skipped files."""

import pandas as pd

from assaypipe import tables
from assaypipe.report.sections import summary
from tests.report_context import context


def test_the_rejected_file_is_a_row_with_its_reason_alone():
    html = summary.render(context())
    assert "Rejected files (1)" in html
    assert (
        "<td>resources/plates/bad.csv</td><td>file rejected</td>"
        '<td class="text"><ul><li>expected a Median block (1: line 3)</li></ul></td>' in html
    )


def test_rejected_wells_of_a_read_file_are_grouped_under_their_reason():
    ctx = context()
    read_file = str(ctx.inputs.plates["source_file"].iloc[0])
    rows = [
        {"source_file": read_file, "where": f"well {w}",
         "reason": f"{read_file}: well {w}: the plate map does not place this well"}
        for w in ("A1", "A2", "B1")
    ]  # fmt: skip
    ctx.inputs.rejected = tables.REJECTED.validate(pd.DataFrame(rows))
    html = summary.render(ctx)
    assert "Rejected files (0) and files read with wells rejected (1)" in html
    body = html.split("<tbody>", 1)[1]
    assert body.count("<tr") == 1 and "read; 3 rejected" in body
    assert body.count("the plate map does not place this well") == 1
    assert "(3: well A1, well A2, well B1)" in body


def test_skipped_files_are_listed_and_escaped():
    ctx = context()
    ctx.inputs.skipped = pd.DataFrame(
        {"source_file": ["resources/plates/<notes>.txt"], "reason": ["not a plate export"]}
    )
    html = summary.render(ctx)
    assert "Skipped files (1)" in html
    assert "&lt;notes&gt;.txt" in html and "<notes>" not in html
