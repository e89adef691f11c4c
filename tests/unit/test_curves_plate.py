"""curves.plate: every plate x analyte's curves, their selection and the limits.

Reference: the curve the standards were made from (noise-free 4PL standards: the fit
must give it back) and the blank mean + 3 SD computed here with numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

from assaypipe.curves.plate import EXTRAPOLATION, LIMIT_RULES, LOD_METHODS, fit_plate_curves
from assaypipe.settings import Settings
from assaypipe.vocabulary import CurveStatus, Extrapolation, LimitsRule, LodMethod, Role, values
from tests.conftest import wells_frame

CONC = [2.0, 6.0, 18.0, 54.0, 162.0, 486.0, 1458.0]
BLANKS = [30.0, 34.0, 32.0, 36.0]
FOUR_PL_ONLY = Settings.from_config({"curves": {"models": ["4PL"], "selection": "4PL"}}).curves


def _signal(x: float) -> float:
    a, b, c, d = 30.0, 1.1, 120.0, 21000.0
    return d + (a - d) / (1.0 + (x / c) ** b)


def _wells():  # type: ignore[no-untyped-def]
    rows = [
        {
            "well": f"{'ABCDEFGH'[i]}{rep + 1}",
            "role": Role.STANDARD,
            "sample_name": f"S{i + 1}",
            "level": i + 1,
            "expected_conc": conc,
            "signal": _signal(conc),
        }
        for i, conc in enumerate(CONC)
        for rep in range(2)
    ]
    rows += [
        {"well": f"H{3 + k}", "role": Role.BLANK, "sample_name": "Blank", "signal": s}
        for k, s in enumerate(BLANKS)
    ]
    return wells_frame(rows)


def test_the_selected_4pl_gives_back_the_curve_of_its_standards() -> None:
    curves = fit_plate_curves(_wells(), FOUR_PL_ONLY)
    curve = curves.iloc[0]
    assert curve["status"] == CurveStatus.CONVERGED
    assert [curve[p] for p in "abcd"] == pytest.approx([30.0, 1.1, 120.0, 21000.0], rel=1e-4)
    assert bool(curve["selected"])


def test_the_lod_is_the_concentration_at_blank_mean_plus_three_sd() -> None:
    curve = fit_plate_curves(_wells(), FOUR_PL_ONLY).iloc[0]
    level = np.mean(BLANKS) + 3.0 * np.std(BLANKS, ddof=1)
    a, b, c, d = 30.0, 1.1, 120.0, 21000.0
    by_hand = c * ((a - d) / (level - d) - 1.0) ** (1.0 / b)
    assert curve["lod"] == pytest.approx(by_hand, rel=1e-3)


def test_the_choices_are_the_vocabularys() -> None:
    assert values(LimitsRule) == LIMIT_RULES
    assert values(LodMethod) == LOD_METHODS
    assert values(Extrapolation) == EXTRAPOLATION
