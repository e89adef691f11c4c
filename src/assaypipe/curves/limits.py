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
from dataclasses import dataclass

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
    count, means, cv = level_signals(level, y, expected.size)
    return back_calculated(params, expected, count, means, cv)


def level_signals(
    level: npt.NDArray[np.intp], signal: npt.NDArray[np.float64], k: int
) -> tuple[npt.NDArray[np.int_], FloatArray, FloatArray]:
    """Count, mean and CV of the signals of each of ``k`` levels (``level``: each
    signal's level, 0 to k - 1); NaN signals are left out. Sums run in the signals'
    order."""
    finite = ~np.isnan(signal)
    count = np.bincount(level[finite], minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.bincount(level[finite], weights=signal[finite], minlength=k) / count
        deviation = signal[finite] - means[level[finite]]
        variance = np.bincount(level[finite], weights=deviation * deviation, minlength=k)
        sd = np.sqrt(variance / (count - 1))
        sd[count < 2] = np.nan
        cv = sd / np.abs(means)
    return count.astype(int), means, cv


def back_calculated(
    params: Mapping[str, float],
    expected: FloatArray,
    count: npt.NDArray[np.int_],
    means: FloatArray,
    cv: FloatArray,
) -> dict[str, npt.NDArray[np.generic]]:
    """The columns of :func:`level_columns` from each level's expected concentration,
    count, mean signal and CV (:func:`level_signals`) and the curve ``params``."""
    back = inverse(params, means)
    return {
        "expected": expected,
        "n": count,
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


@dataclass(frozen=True)
class StandardsVerdict:
    """Each standard level judged on its own, and the range they give (ICH M10).

    ``lloq``/``uloq`` are NaN when no range qualifies, with ``reason`` saying why;
    ``failing`` are the expected concentrations of the judged levels that fail (outside
    the range or inside it), each with the words that say how.
    """

    lloq: float
    uloq: float
    failing: tuple[tuple[float, str], ...]
    n_passing: int
    n_between: int
    reason: str = ""


def _failure_text(recovery: float, cv: float, recovery_limit: float, cv_limit: float) -> str:
    if not math.isfinite(recovery):
        return "no back-calculated value (signal beyond the curve's asymptote)"
    parts = []
    if abs(recovery - 1.0) > recovery_limit:
        parts.append(
            f"recovery {100 * recovery:.0f}% (limits "
            f"{100 * (1 - recovery_limit):.0f}-{100 * (1 + recovery_limit):.0f}%)"
        )
    if cv > cv_limit:
        parts.append(f"replicate CV {100 * cv:.1f}% (limit {100 * cv_limit:.0f}%)")
    return "outside the standard limits: " + " and ".join(parts)


def ich_m10_range(
    recovery: pd.DataFrame | Mapping[str, npt.ArrayLike],
    recovery_limit: float = 0.20,
    recovery_limit_edge: float = 0.25,
    cv_limit: float = 0.20,
    min_share: float = 0.75,
    min_levels: int = 6,
    failed: Mapping[float, str] | None = None,
) -> StandardsVerdict:
    """LLOQ and ULOQ with every standard level judged on its own, as ICH M10 reads them.

    ``recovery`` is a :func:`level_recovery` table (or its :func:`level_columns`) of the
    levels that are judged: anchor points and a zero standard left out beforehand.
    A level passes at the edge of the range when ``|recovery - 1| <=
    recovery_limit_edge`` and inside it when ``|recovery - 1| <= recovery_limit``, its
    replicate CV at most ``cv_limit`` either way (one replicate: recovery alone). The
    LLOQ and ULOQ are the lowest and highest levels that pass at the edge; a level
    between them that fails is reported in ``failing`` but does not narrow the range.
    The range stands when at least ``min_share`` of the levels from LLOQ to ULOQ, and
    at least ``min_levels`` of them, pass; otherwise both limits are NaN. ``failed``
    are levels already left out of the fit for failing (expected concentration -> why),
    counted as failing where they fall.

    >>> table = pd.DataFrame({"expected": [1.0, 2, 4, 8, 16, 32, 64],
    ...                       "recovery": [1.4, 1.1, 0.95, 1.3, 1.0, 1.02, 0.98],
    ...                       "cv": [0.05] * 7})
    >>> verdict = ich_m10_range(table, min_levels=5)
    >>> verdict.lloq, verdict.uloq, [level for level, _ in verdict.failing]
    (2.0, 64.0, [1.0, 8.0])
    """
    failed = dict(failed or {})
    expected = np.asarray(recovery["expected"], dtype=float)
    rec = np.asarray(recovery["recovery"], dtype=float)
    cv = np.asarray(recovery["cv"], dtype=float)
    levels = sorted({*expected.tolist(), *failed})
    judged = {float(e): (float(r), float(c)) for e, r, c in zip(expected, rec, cv, strict=True)}
    with np.errstate(invalid="ignore"):
        cv_ok = {e: not (c > cv_limit) for e, (_, c) in judged.items()}
        edge_ok = {
            e: bool(abs(r - 1.0) <= recovery_limit_edge) and cv_ok[e]
            for e, (r, _) in judged.items()
        }
        inner_ok = {
            e: bool(abs(r - 1.0) <= recovery_limit) and cv_ok[e] for e, (r, _) in judged.items()
        }
    ends = [i for i, e in enumerate(levels) if e not in failed and edge_ok.get(e, False)]
    passing = dict.fromkeys(levels, False)
    if ends:
        low, high = ends[0], ends[-1]
        for i, e in enumerate(levels):
            if e in failed:
                continue
            passing[e] = edge_ok[e] if i in (low, high) else low < i < high and inner_ok[e]
    failing = []
    for i, e in enumerate(levels):
        if passing[e]:
            continue
        if e in failed:
            failing.append((e, failed[e]))
            continue
        edge = not ends or i <= ends[0] or i >= ends[-1]
        r, c = judged[e]
        limit = recovery_limit_edge if edge else recovery_limit
        failing.append((e, _failure_text(r, c, limit, cv_limit)))
    if not ends:
        return StandardsVerdict(
            math.nan, math.nan, tuple(failing), 0, 0, "no standard level passes"
        )
    between = levels[ends[0] : ends[-1] + 1]
    n_passing = sum(passing[e] for e in between)
    lloq, uloq = levels[ends[0]], levels[ends[-1]]
    # A share such as 6 of 8 = 75% passes however the product rounds.
    if n_passing < min_levels or n_passing < min_share * len(between) - 1e-9:
        reason = (
            f"{n_passing} of {len(between)} standard levels from {lloq:.4g} to {uloq:.4g} "
            f"pass; at least {100 * min_share:.0f}% and {min_levels} levels must"
        )
        return StandardsVerdict(math.nan, math.nan, tuple(failing), n_passing, len(between), reason)
    return StandardsVerdict(lloq, uloq, tuple(failing), n_passing, len(between))


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
