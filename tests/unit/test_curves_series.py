"""The dilution-series rule (assaypipe.curves.series), batched, against a per-series
reference written out loop by loop from the rule as documented (docs/formats.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assaypipe.curves.series import off_series_levels, off_series_mask


def reference(x: np.ndarray, conc: np.ndarray) -> list[int]:
    """One series, plain Python: Theil-Sen line (statistics.median of all pairwise
    slopes, then of the intercepts), 10-fold off it, order breaks, 4-fold end steps."""
    from statistics import median

    n = len(conc)
    if n < 3:
        return []
    y = [math.log10(c) for c in conc]
    slopes = [
        (y[j] - y[i]) / (x[j] - x[i]) for i in range(n) for j in range(i + 1, n) if x[j] != x[i]
    ]
    if not slopes:
        return []
    slope = median(slopes)
    intercept = median(y[i] - slope * x[i] for i in range(n))
    residual = [y[i] - (intercept + slope * x[i]) for i in range(n)]
    bad = {i for i in range(n) if abs(residual[i]) > 1.0}
    direction = math.copysign(1.0, slope) if slope else 0.0
    for k in range(n - 1):
        step = y[k + 1] - y[k]
        step_sign = math.copysign(1.0, step) if step else 0.0
        if (step_sign != direction or step == 0) and not bad & {k, k + 1}:
            bad.add(k + 1 if abs(residual[k + 1]) > abs(residual[k]) else k)
    if n >= 4:
        steps = [math.log(conc[k + 1] / conc[k]) / (x[k + 1] - x[k]) for k in range(n - 1)]
        mid = median(steps)
        if abs(steps[0] - mid) > math.log(4):
            bad.add(0)
        if abs(steps[-1] - mid) > math.log(4):
            bad.add(n - 1)
    return sorted(bad)


def random_series(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(0, 11))
    x = np.cumsum(rng.choice([1.0, 1.0, 1.0, 2.0], size=n))  # now and then a level not given
    conc = 10 ** (4 - np.cumsum(rng.uniform(0.1, 1.0, size=n)))
    for _ in range(int(rng.integers(0, 3))):
        if n:
            kind, at = rng.integers(0, 3), int(rng.integers(0, n))
            if kind == 0:
                conc[at] *= 10.0 ** rng.choice([-3, -1.5, -0.7, 0.7, 1.5, 3])  # a typo
            elif kind == 1 and at + 1 < n:
                conc[[at, at + 1]] = conc[[at + 1, at]]  # two levels swapped
            elif at + 1 < n:
                conc[at + 1] = conc[at]  # one concentration twice
    if rng.random() < 0.3:
        conc = conc[::-1].copy()  # rising with the level
    return x, conc


def test_the_batch_equals_the_per_series_reference():
    rng = np.random.default_rng(20261202)
    series = [random_series(rng) for _ in range(3000)]
    width = max(len(c) for _, c in series)
    x = np.full((len(series), width), np.nan)
    conc = np.full((len(series), width), np.nan)
    for i, (xi, ci) in enumerate(series):
        x[i, : len(xi)], conc[i, : len(ci)] = xi, ci
    mask = off_series_mask(x, conc, [len(c) for _, c in series])
    expected = [reference(list(xi), list(ci)) for xi, ci in series]
    got = [np.flatnonzero(row).tolist() for row in mask]
    assert got == expected
    assert sum(map(bool, expected)) > 500  # the draw holds broken series of each kind
    assert [off_series_levels(xi, ci) for xi, ci in series[:200]] == expected[:200]


@pytest.mark.parametrize(
    ("levels", "conc", "off"),
    [
        ([1, 2, 3, 4, 5], [1000, 250, 62.5, 15.625, 0.78125], [4]),  # an end step 20x
        ([1, 2, 3, 4, 5], [20000, 1000, 250, 62.5, 15.625], [0]),  # the top step 20x
        ([1, 2, 3, 5], [1000, 200, 40, 1.6], []),  # level 4 not given
        ([1, 2, 3], [1000, 200, 8], []),  # three levels: no end-step test
    ],
)
def test_end_steps(levels, conc, off):
    assert off_series_levels(levels, conc) == off
