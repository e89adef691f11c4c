"""What a fitted curve can measure: recovery, quantification and detection limits, and
the uncertainty of every concentration read off it.

Uncertainty is the delta method on log concentration: with ``x = inverse(theta, y)``,
``Var(log x) = grad_theta' V grad_theta + (d log x / d y)**2 * Var(y)``, where ``V`` is
the parameters' covariance and ``Var(y) = sigma2 * |y|**(2 p)`` the variance of one new
signal under the fit's own weights ``1 / y**(2 p)``. The interval is
``x * exp(-+ t * se(log x))`` with ``t`` the Student quantile on ``n - k`` degrees of
freedom, so it stays positive and is asymmetric like the curve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe.curves.model import FloatArray, asymptotes, inverse, inverse_log_gradient, predict

# EP17-A2's one-sided 95% normal quantile, for the LoB and the LoD.
EP17_Z = 1.6448536269514722
PROFILE_POINTS = 400


def level_recovery(
    params: Mapping[str, float], conc: npt.ArrayLike, signal: npt.ArrayLike
) -> pd.DataFrame:
    """Back-calculated recovery and replicate CV of each standard level.

    One row per distinct concentration (ascending): ``expected``, ``n``, ``mean_signal``,
    ``cv`` (sample SD / mean of the signal; NaN with one replicate), ``back`` (the
    inverse of the mean signal) and ``recovery`` (``back / expected``).
    """
    return pd.DataFrame(level_columns(params, conc, signal))


def level_columns(
    params: Mapping[str, float], conc: npt.ArrayLike, signal: npt.ArrayLike
) -> dict[str, npt.NDArray[np.generic]]:
    """The columns of :func:`level_recovery` as arrays, without building a frame (for
    callers that run it for every curve of a study)."""
    x = np.asarray(conc, dtype=float)
    y = np.asarray(signal, dtype=float)
    # One pass of numpy per curve rather than a pandas groupby: this runs for every
    # curve of a study. NaN signals are left out of a level, as groupby does.
    expected, level = np.unique(x, return_inverse=True)
    finite = ~np.isnan(y)
    k = expected.size
    count = np.bincount(level[finite], minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.bincount(level[finite], weights=y[finite], minlength=k) / count
        deviation = y[finite] - means[level[finite]]
        variance = np.bincount(level[finite], weights=deviation * deviation, minlength=k)
        sd = np.sqrt(variance / (count - 1))
        sd[count < 2] = np.nan
        cv = sd / np.abs(means)
    back = inverse(params, means)
    return {
        "expected": expected,
        "n": count.astype(int),
        "mean_signal": means,
        "cv": cv,
        "back": back,
        "recovery": back / expected,
    }


def _longest_run(passing: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """Start and length of the longest run of True (the first on a tie); length 0 if none."""
    best_start, best_length, start = -1, 0, 0
    n = len(passing)
    for i in range(n + 1):
        if i < n and passing[i]:
            continue
        if i - start > best_length:
            best_start, best_length = start, i - start
        start = i + 1
    return best_start, best_length


def quantification_range(
    recovery: pd.DataFrame | Mapping[str, npt.ArrayLike],
    recovery_limit: float = 0.20,
    recovery_limit_edge: float = 0.25,
    cv_limit: float = 0.20,
) -> tuple[float, float]:
    """LLOQ and ULOQ from a :func:`level_recovery` table (or its :func:`level_columns`).

    A level passes when ``|recovery - 1| <= recovery_limit`` (``recovery_limit_edge``
    for the lowest and the highest level of the series) and its replicate CV is at most
    ``cv_limit`` (a single replicate has no CV and is judged on recovery alone). The
    range is the contiguous run of passing levels with the most levels, the lower one
    on a tie; LLOQ and ULOQ are its lowest and highest expected concentrations. NaN,
    NaN when no level passes.

    >>> table = pd.DataFrame({"expected": [1.0, 2.0, 4.0, 8.0],
    ...                       "recovery": [1.4, 1.1, 0.95, 1.0], "cv": [0.05] * 4})
    >>> quantification_range(table)
    (2.0, 8.0)
    """
    expected = np.asarray(recovery["expected"], dtype=float)
    rec = np.asarray(recovery["recovery"], dtype=float)
    cv = np.asarray(recovery["cv"], dtype=float)
    n = len(expected)
    if n == 0:
        return math.nan, math.nan
    limits = np.full(n, recovery_limit)
    limits[[0, -1]] = recovery_limit_edge
    with np.errstate(invalid="ignore"):
        passing = (np.abs(rec - 1.0) <= limits) & ~(cv > cv_limit)
    start, length = _longest_run(passing)
    if length == 0:
        return math.nan, math.nan
    return float(expected[start]), float(expected[start + length - 1])


def _signal_variance(
    signal: FloatArray, sigma2: float, weight_power: float, n_replicates: float
) -> FloatArray:
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return np.asarray(sigma2 * np.abs(signal) ** (2.0 * weight_power) / n_replicates)


def log_conc_se(
    params: Mapping[str, float],
    vcov: npt.ArrayLike,
    signal: npt.ArrayLike,
    sigma2: float,
    weight_power: float,
    n_replicates: float = 1.0,
) -> FloatArray:
    """Delta-method standard error of ``log inverse(params, signal)``, which is also the
    CV of the interpolated concentration; NaN where the inverse is NaN."""
    y = np.atleast_1d(np.asarray(signal, dtype=float))
    cov = np.asarray(vcov, dtype=float).reshape(5, 5)
    grad, dy = inverse_log_gradient(params, y)
    with np.errstate(invalid="ignore", over="ignore"):
        curve_part = np.einsum("nk,kl,nl->n", grad, np.nan_to_num(cov), grad)
        if not np.all(np.isfinite(cov[:4, :4])):
            curve_part = np.full_like(curve_part, np.nan)
        total = curve_part + dy**2 * _signal_variance(y, sigma2, weight_power, n_replicates)
    return np.asarray(np.sqrt(np.where(total >= 0, total, np.nan)), dtype=float)


def inverse_interval(
    params: Mapping[str, float],
    vcov: npt.ArrayLike,
    signal: npt.ArrayLike,
    sigma2: float,
    weight_power: float,
    df: int,
    level: float = 0.95,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Concentration, its standard error and a ``level`` interval for each signal.

    ``se = x * se(log x)``; the interval is ``x * exp(-+ t * se(log x))`` with the
    Student ``t`` on ``df`` degrees of freedom. All NaN where the inverse is NaN, and
    the SE and interval NaN without a covariance or degrees of freedom.
    """
    x = inverse(params, np.atleast_1d(np.asarray(signal, dtype=float)))
    if df <= 0 or not math.isfinite(sigma2):
        nan = np.full_like(x, np.nan)
        return x, nan, nan.copy(), nan.copy()
    se_log = log_conc_se(params, vcov, signal, sigma2, weight_power)
    # The Student t quantile (what scipy.stats.t.ppf computes, without importing
    # scipy.stats, which every chunk job would otherwise pay for at start-up); and
    # scipy.special only here, for the jobs that compute intervals.
    from scipy import special

    t = float(special.stdtrit(df, 0.5 + level / 2.0))
    with np.errstate(over="ignore", invalid="ignore"):
        return x, x * se_log, x * np.exp(-t * se_log), x * np.exp(t * se_log)


def precision_profile_range(
    params: Mapping[str, float],
    vcov: npt.ArrayLike,
    sigma2: float,
    weight_power: float,
    low: float,
    high: float,
    cv_limit: float = 0.20,
    n_replicates: float = 1.0,
) -> tuple[float, float]:
    """Where the CV of an interpolated concentration stays at or under ``cv_limit``.

    The CV (delta-method SE of log concentration, for a signal measured in
    ``n_replicates`` wells) is evaluated on a log grid from ``low`` to ``high`` (the
    standards' range); the limits are the ends of the longest run of grid points under
    the limit, refined by linear interpolation of the CV in log concentration. NaN,
    NaN when no point qualifies.
    """
    if not (0 < low < high) or not math.isfinite(sigma2):
        return math.nan, math.nan
    grid = np.geomspace(low, high, PROFILE_POINTS)
    cv = log_conc_se(params, vcov, predict(params, grid), sigma2, weight_power, n_replicates)
    with np.errstate(invalid="ignore"):
        passing = cv <= cv_limit
    start, length = _longest_run(passing)
    if length == 0:
        return math.nan, math.nan
    end = start + length - 1
    logs = np.log(grid)

    def crossing(inside: int, outside: int) -> float:
        c0, c1 = cv[inside], cv[outside]
        if not (math.isfinite(c0) and math.isfinite(c1)) or c1 == c0:
            return float(grid[inside])
        share = (cv_limit - c0) / (c1 - c0)
        return float(np.exp(logs[inside] + share * (logs[outside] - logs[inside])))

    lower = crossing(start, start - 1) if start > 0 else float(grid[0])
    upper = crossing(end, end + 1) if end < len(grid) - 1 else float(grid[-1])
    return lower, upper


def _step_direction(params: Mapping[str, float]) -> float:
    at_zero, at_infinity = asymptotes(params)
    return 1.0 if at_infinity >= at_zero else -1.0


def limit_of_detection(
    params: Mapping[str, float], blank_signal: npt.ArrayLike, k: float = 3.0
) -> float:
    """Concentration at mean(blank) + k * SD(blank), on the curve's rising side.

    For a decreasing curve the step is taken downwards. NaN with fewer than two finite
    blanks or when that signal is outside the curve.
    """
    blanks = np.asarray(blank_signal, dtype=float)
    blanks = blanks[np.isfinite(blanks)]
    if blanks.size < 2:
        return math.nan
    level = float(np.mean(blanks)) + _step_direction(params) * k * float(np.std(blanks, ddof=1))
    return float(inverse(params, level)[()])


def ep17_limits(
    params: Mapping[str, float], blank_signal: npt.ArrayLike, low_signal: npt.ArrayLike
) -> tuple[float, float]:
    """Limit of blank and limit of detection after CLSI EP17-A2 (parametric), as
    concentrations.

    ``LoB = mean(blank) + 1.645 * SD(blank)`` and ``LoD = LoB + c * SD(low)``, in
    signal, read off the curve (steps taken downwards for a decreasing curve);
    ``low_signal`` are replicate signals of one low-concentration sample (here the
    lowest standard level with replicates) and
    ``c = 1.645 / (1 - 1 / (4 * (L - 1)))`` for its ``L`` replicates. NaN where fewer
    than two blanks or low replicates are finite, or a signal is outside the curve.
    """
    blanks = np.asarray(blank_signal, dtype=float)
    blanks = blanks[np.isfinite(blanks)]
    low = np.asarray(low_signal, dtype=float)
    low = low[np.isfinite(low)]
    if blanks.size < 2:
        return math.nan, math.nan
    direction = _step_direction(params)
    lob_signal = float(np.mean(blanks)) + direction * EP17_Z * float(np.std(blanks, ddof=1))
    lob = float(inverse(params, lob_signal)[()])
    if low.size < 2:
        return lob, math.nan
    c = EP17_Z / (1.0 - 1.0 / (4.0 * (low.size - 1)))
    lod_signal = lob_signal + direction * c * float(np.std(low, ddof=1))
    return lob, float(inverse(params, lod_signal)[()])
