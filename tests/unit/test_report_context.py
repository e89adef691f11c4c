"""report.context: what every section reads, worked out once by ReportContext.of."""

import concurrent.futures
import dataclasses

import pandas as pd

from assaypipe.report.figure_cache import Pending
from tests.report_context import context, frames


def test_plates_in_run_order_analytes_and_the_pairs_with_wells():
    ctx = context()
    assert ctx.plate_ids == ("P1", "P2", "P3")
    assert ctx.analytes == ("CCL2", "TGFB2")
    assert ctx.present == {("P1", "CCL2"), ("P1", "TGFB2"), ("P2", "CCL2"), ("P3", "CCL2")}
    assert set(ctx.verdict) == ctx.present
    assert ctx.name("TGFB2") == "TGF-β2" and ctx.name("CCL2") == "CCL2"
    assert ctx.drawn == ctx.present  # four curves, under the figure budget


def test_run_order_follows_the_run_time_not_the_name():
    wells, curves, plates = frames()
    later = {"P1": "2025-02-01"}
    plates["run_time"] = [
        later.get(p, t) for p, t in zip(plates["plate_id"], plates["run_time"], strict=True)
    ]
    assert context(wells, curves, plates).plate_ids == ("P2", "P3", "P1")


def test_plate_and_analyte_exclusions_cover_every_pair_they_name():
    manual = pd.DataFrame(
        [
            {"level": "plate", "plate_id": "P2", "well": "", "analyte": "", "reason": "spill",
             "who": "lab", "when": "2025-01-05", "line": 2},
            {"level": "analyte", "plate_id": "", "well": "", "analyte": "TGFB2",
             "reason": "kit recall", "who": "lab", "when": "2025-01-06", "line": 3},
        ]
    )  # fmt: skip
    ctx = context(manual=manual)
    assert {pair: list(reasons) for pair, reasons in ctx.excluded.items()} == {
        ("P2", "CCL2"): ["spill"],
        ("P1", "TGFB2"): ["kit recall"],
    }


def test_past_the_figure_budget_the_pairs_needing_a_look_are_drawn_first():
    wells, curves, plates = frames()
    broken = (
        (wells["plate_id"] == "P3") & (wells["role"] == "standard") & wells["level"].isin([2, 3])
    )
    wells.loc[broken, "signal"] = wells.loc[broken, "signal"] * 1.8
    ctx = context(wells, curves, plates, curve_figures=1)
    assert ctx.verdict["P3", "CCL2"]["verdict"] != "pass"
    assert ctx.drawn == {("P3", "CCL2")}


def test_units_come_from_the_curves():
    ctx = context()
    curves = ctx.inputs.curves
    selected = curves[curves["selected"]]
    expected = dict(
        zip(
            zip(selected["plate_id"], selected["analyte"], strict=True),
            selected["unit"],
            strict=True,
        )
    )
    assert {k: v for k, v in ctx.units.items() if k in expected} == expected


def test_a_figure_on_its_way_is_a_placeholder_until_the_page_takes_it_in(tmp_path):
    ctx = dataclasses.replace(context(), figure_dirs={"curves": tmp_path})
    png = b"\x89PNG\r\n\x1a\n a figure"
    drawing: concurrent.futures.Future[bytes] = concurrent.futures.Future()
    img = ctx.image(Pending(future=drawing), "Standard curve", "curves", "P1--CCL2.png")
    assert ctx.placeholders.prefix in img
    assert not (tmp_path / "P1--CCL2.png").exists()
    drawing.set_result(png)
    # Text that looks like a placeholder without being one stays as it is.
    lookalike = f"<p>{ctx.placeholders.prefix[:-1]} 0</p>"
    page = ctx.embed(lookalike + img)
    assert page == lookalike + ctx.image(png, "Standard curve", "curves", "other.png")
    assert (tmp_path / "P1--CCL2.png").read_bytes() == png
    # Each page draws its own placeholder prefix: no plate's text can know it.
    assert context().placeholders.prefix != ctx.placeholders.prefix
