"""report.sections.findings: the checks that did not pass, failures first."""

from assaypipe.report.sections import findings
from tests.report_context import context, frames


def test_failures_come_before_warnings_and_each_is_counted():
    ctx = context()
    qc = ctx.inputs.qc.copy()
    qc["status"] = "pass"
    qc.loc[qc.index[0], ["status", "detail"]] = ["warn", "<i>odd</i> but fine"]
    qc.loc[qc.index[1], "status"] = "fail"
    ctx.inputs.qc = qc
    html = findings.render(ctx)
    assert f"1 failed and 1 warning checks of {len(qc)}" in html
    body = html.split("<tbody>", 1)[1]
    assert body.count("<tr") == 2
    assert body.index('class="fail"') < body.index('class="warn"')
    assert "&lt;i&gt;odd&lt;/i&gt; but fine" in body and "<i>" not in body


def test_a_broken_curve_is_a_failure_found():
    wells, curves, plates = frames()
    broken = (
        (wells["plate_id"] == "P2") & (wells["role"] == "standard") & wells["level"].isin([2, 3])
    )
    wells.loc[broken, "signal"] = wells.loc[broken, "signal"] * 1.8
    html = findings.render(context(wells, curves, plates))
    assert "calibrators_passing" in html
    qc = context(wells, curves, plates).inputs.qc
    n_fail = int((qc["status"] == "fail").sum())
    assert n_fail >= 1 and f"{n_fail} failed and" in html


def test_every_check_passed():
    ctx = context()
    ctx.inputs.qc = ctx.inputs.qc.assign(status="pass")
    html = findings.render(ctx)
    assert "Every check passed." in html and "<table" not in html
