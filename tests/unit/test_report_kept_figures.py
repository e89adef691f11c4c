"""report.figures: a curve figure or Levey-Jennings chart drawn on a figure this process
kept from the one before gives the PNG a new figure gives, whatever was drawn before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assaypipe.curves import predict
from assaypipe.qc.levey_jennings import levey_jennings
from assaypipe.report.figures import curve_figure, levey_jennings_figure, png_bytes

PARAMS = {"a": 30.0, "b": 1.2, "c": 150.0, "d": 20000.0, "g": 1.0}
FALLING = {"a": 20000.0, "b": 1.0, "c": 90.0, "d": 40.0, "g": 1.0}
LEVELS = np.array([5.0, 15.0, 45.0, 135.0, 405.0, 1215.0, 3645.0])
NO_OTHERS = pd.DataFrame(columns=["role", "concentration", "signal"])


def _standards(signal, fitted=True, recovery_ok=True, levels=LEVELS) -> pd.DataFrame:
    return pd.DataFrame(
        {"expected_conc": levels, "signal": signal, "fitted": fitted, "recovery_ok": recovery_ok}
    )


def _curves() -> list[tuple]:
    """Curve figures of every shape: with and without a curve and a note, a log and a
    linear signal axis, rising and falling, limits in one to three label rows, left-out
    and out-of-recovery standards, samples, controls, a blank, and one without a
    standard to place (drawn in plate order)."""
    rising = predict(PARAMS, LEVELS)
    others = pd.DataFrame(
        {
            "role": ["sample", "sample", "control", "blank", "sample"],
            "concentration": [40.0, 900.0, 120.0, np.nan, np.nan],
            "signal": [2000.0, 15000.0, 5000.0, 25.0, 800.0],
        }
    )
    flags = np.array([True, True, False, True, True, True, False])
    return [
        (_standards(rising), PARAMS, {"lloq": 5.0, "uloq": 3000.0, "lod": 2.0}, NO_OTHERS, "MFI"),
        (
            _standards(rising, fitted=flags, recovery_ok=~flags | (LEVELS > 10)),
            PARAMS,
            {"lloq": 10.0, "uloq": 12.0, "lod": 11.0, "blank": 30.0},
            others,
            "MFI",
            "pg/mL",
        ),
        (
            _standards(rising, fitted=False),
            None,
            {},
            others,
            "OD450",
            "ng/mL",
            "too_few_points: 3 usable;the 5PL needs at least 6;b;c;d",
        ),
        (_standards(predict(FALLING, LEVELS)), FALLING, {"blank": 50.0}, others, "counts"),
        (_standards(rising - 1000.0), PARAMS, {"blank": -5.0}, others, "OD450", "", ""),
        (
            _standards([], levels=[]),
            None,
            {},
            others,
            "OD450",
            "",
            "no_standards: x",
        ),
        (_standards(rising * 3), PARAMS, {"lloq": 50.0}, others.iloc[:2], "MFI", "IU/mL"),
    ]


def _charts() -> list[tuple]:
    """Levey-Jennings charts of one and of two series over 6 to 60 plates, with one or
    three lots, lots without a guide set, flagged points named and too many to name."""
    charts = []
    rng = np.random.default_rng(7)
    for plates, lots, series, jump in ((10, 2, 1, 40.0), (60, 3, 2, 0.0), (6, 1, 2, 9.0)):
        ids = [f"P{i:02d}" for i in range(plates)]
        rows = []
        for name in ["Control1", "Control2"][:series]:
            value = 100 + rng.normal(0, 2, plates) + jump * (np.arange(plates) > plates * 0.7)
            rows.append(
                pd.DataFrame(
                    {
                        "analyte": "CCL2",
                        "series": name,
                        "kind": "control",
                        "plate_id": ids,
                        "value": value,
                        "unit": "pg/mL",
                    }
                )
            )
        order = pd.Series(range(plates), index=ids)
        lot_of = {p: "ABC"[min(i * lots // plates, lots - 1)] for i, p in enumerate(ids)}
        found = levey_jennings(
            pd.concat(rows, ignore_index=True), order, guide_plates=4, lots=lot_of
        )
        charts.append((found, ids, 4))
    return charts


@pytest.mark.parametrize("order", [1, -1], ids=["in order", "reversed"])
def test_a_curve_figure_drawn_on_a_kept_figure_is_a_new_figures_png(order):
    cases = _curves()[::order]
    new = [png_bytes(curve_figure(*case)) for case in cases]
    kept = [png_bytes(curve_figure(*case, reuse=True)) for case in cases]
    assert [k == n for k, n in zip(kept, new, strict=True)] == [True] * len(cases)
    assert len(set(new)) == len(cases)


@pytest.mark.parametrize("order", [1, -1], ids=["in order", "reversed"])
def test_a_levey_jennings_chart_drawn_on_a_kept_figure_is_a_new_figures_png(order):
    cases = _charts()[::order]
    new = [png_bytes(levey_jennings_figure(*case)) for case in cases]
    kept = [png_bytes(levey_jennings_figure(*case, reuse=True)) for case in cases * 2]
    assert [k == n for k, n in zip(kept, new * 2, strict=True)] == [True] * 2 * len(cases)
