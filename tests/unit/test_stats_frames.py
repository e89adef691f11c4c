"""stats.frames: censored concentrations under each policy, and slope units."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from assaypipe.stats.frames import apply_censor_policy, per
from assaypipe.vocabulary import Censor, CensorPolicy

SAMPLES = pd.DataFrame(
    {
        "concentration": [5.0, np.nan, np.nan, np.nan],
        "censor": [None, Censor.BELOW_LLOQ, Censor.BELOW_LOD, Censor.ABOVE_ULOQ],
        "lloq": [2.0, 2.0, 4.0, 2.0],
        "uloq": [900.0, 900.0, 900.0, 900.0],
    }
)


@pytest.mark.parametrize(
    ("policy", "below"),
    [
        (CensorPolicy.HALF_LLOQ, [1.0, 2.0]),
        (CensorPolicy.LLOQ_SQRT2, [2.0 / math.sqrt(2.0), 4.0 / math.sqrt(2.0)]),
        (CensorPolicy.EXCLUDE, [np.nan, np.nan]),
    ],
)
def test_each_policy_replaces_below_lloq_and_caps_above_uloq(
    policy: str, below: list[float]
) -> None:
    values = apply_censor_policy(SAMPLES, policy).to_numpy()
    assert values[0] == 5.0  # in range: kept
    np.testing.assert_allclose(values[1:3], below)
    assert values[3] == 900.0  # >ULOQ: the ULOQ


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="half_lloq"):
        apply_censor_policy(SAMPLES, "zero")


def test_the_unit_of_a_slope() -> None:
    assert per("pg/mL", "year") == "pg/mL per year"
    assert per("", "year") == "unit not stated per year"
    assert per("", "") == ""
