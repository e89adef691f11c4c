"""report.sections.exclusions: every exclusion in force, manual and from QC."""

import dataclasses

import pandas as pd

from assaypipe.report.sections import exclusions
from tests.report_context import context


def manual(rows):
    columns = ["level", "plate_id", "well", "analyte", "reason", "who", "when", "line"]
    return pd.DataFrame(rows, columns=columns)


def test_manual_exclusions_are_rows_with_escaped_reasons():
    ctx = context(
        manual=manual(
            [
                ["plate", "P2", "", "", "<b>spill</b>", "lab", "2025-01-05", 2],
                ["analyte", "", "", "TGFB2", "kit recall", "lab", "2025-01-06", 3],
            ]
        )
    )
    html = exclusions.render(ctx)
    body = html.split("<tbody>", 1)[1]
    assert body.count("<tr") == len(ctx.inputs.exclusions) >= 2
    assert "&lt;b&gt;spill&lt;/b&gt;" in body and "<b>spill" not in body
    assert "TGF-β2" in body  # the display name
    assert "config/exclusions.tsv" in html


def test_an_exclusion_matching_no_well_is_pointed_out():
    ctx = context(manual=manual([["plate", "P9", "", "", "typo", "lab", "2025-01-05", 2]]))
    html = exclusions.render(ctx)
    assert "1 exclusion(s) match no well" in html and 'class="nomatch"' in html


def test_nothing_excluded_and_the_kept_failing_pairs_note():
    ctx = context()
    ctx.inputs.exclusions = ctx.inputs.exclusions.iloc[0:0]
    qc = dataclasses.replace(ctx.inputs.settings.qc, exclude_failing=False)
    ctx.inputs.settings = dataclasses.replace(ctx.inputs.settings, qc=qc)
    html = exclusions.render(ctx)
    assert "Nothing is excluded." in html
    assert "Failing plate × analyte pairs are kept (qc.exclude_failing: false)." in html
