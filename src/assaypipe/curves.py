"""Four- and five-parameter logistic standard curves.

The model is ``y = d + (a - d) / (1 + (x / c)**b)**g`` with ``g = 1`` for the 4PL:
``a`` is the response at zero dose, ``d`` the response at infinite dose, ``c`` the
inflection dose (the 4PL mid point) and ``b > 0`` the slope. An increasing curve has
``a < d``; a decreasing (competitive) one has ``a > d``, with ``b`` still positive.

Curves are fitted in log-dose with :func:`scipy.optimize.least_squares`, over
``(a, b, log c, d)`` for the 4PL and ``(a, b, log c, d, log g)`` for the 5PL, so that
``c`` and ``g`` stay positive and the optimiser sees them on the scale the data
inform. The objective is ``sum(w * (y - yhat)**2)`` with ``w`` from the observed
signal (``"none"``: 1, ``"1/y"``: 1/y, ``"1/y^2"``: 1/y**2), as R's
``nls(weights = 1 / y^2)`` does.

>>> params = {"a": 10.0, "b": 1.2, "c": 100.0, "d": 20000.0, "g": 1.0}
>>> conc = [1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0]
>>> fit = fit_curve(conc, predict(params, conc), model="4PL")
>>> fit.status, round(fit.params["c"], 6)
('converged', 100.0)
>>> round(float(inverse(params, predict(params, 50.0))), 9)
50.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import OptimizeResult, least_squares
from scipy.special import expit

from assaypipe import tables

FloatArray = npt.NDArray[np.float64]

MODELS: dict[str, int] = {"4PL": 4, "5PL": 5}
WEIGHTINGS = ("none", "1/y", "1/y^2")

# Bounds on the slope and asymmetry: outside them a "curve" is a step or a flat
# line and the parameters no longer mean anything.
B_BOUNDS = (0.05, 20.0)
G_BOUNDS = (0.05, 20.0)
# How far the asymptotes may sit beyond the observed signals, in signal spans, and the
# inflection beyond the standards' dose range, as a factor: wide enough for curves
# that never plateau inside the standards, narrow enough to stop a runaway fit.
ASYMPTOTE_SPANS = 10.0
C_FACTOR = 1e6
# A parameter this close to a bound (as a fraction of the bound interval) is reported
# as at the bound: the optimiser approaches bounds asymptotically and stops short.
AT_BOUND_FRACTION = 1e-3

STATUS_CONVERGED = "converged"
STATUS_NOT_CONVERGED = "not_converged"
STATUS_AT_BOUND = "parameter_at_bound"
STATUS_TOO_FEW = "too_few_points"
STATUS_FLAT = "flat_signal"
STATUS_NO_STANDARDS = "no_standards"

PARAM_NAMES = ("a", "b", "c", "d", "g")


@dataclass(frozen=True)
class CurveFit:
    """One fitted standard curve and how the fit went.

    ``rss`` is the minimised weighted objective ``sum(w * (y - yhat)**2)`` and ``aic``
    is ``n * log(rss / n) + 2 * k`` with ``n`` the points used and ``k`` the number of
    fitted parameters (4 for the 4PL, 5 for the 5PL); the constant terms of the
    Gaussian likelihood are dropped, so only differences between fits of the same
    points mean anything. ``converged`` is the optimiser's verdict; ``status`` is
    ``"converged"`` only when it converged with no parameter at a bound.
    """

    model: str
    weighting: str
    params: dict[str, float]
    rss: float
    aic: float
    n_points: int
    converged: bool
    status: str
    reasons: tuple[str, ...] = field(default=())

    def predict(self, conc: npt.ArrayLike) -> FloatArray:
        """Signal predicted at each concentration."""
        return predict(self.params, conc)

    def inverse(self, signal: npt.ArrayLike) -> FloatArray:
        """Concentration at each signal; NaN outside the open interval between a and d."""
        return inverse(self.params, signal)

    @property
    def usable(self) -> bool:
        """True when the curve converged and every parameter is finite."""
        return self.converged and all(math.isfinite(v) for v in self.params.values())


def _param(params: Mapping[str, float], name: str) -> float:
    # A 4PL may be passed without g.
    return float(params.get(name, 1.0)) if name == "g" else float(params[name])


def predict(params: Mapping[str, float], conc: npt.ArrayLike) -> FloatArray:
    """Signal of the logistic curve ``params`` (keys a, b, c, d and optionally g) at ``conc``.

    Zero concentration gives ``a``; negative or non-finite concentrations give NaN.

    >>> predict({"a": 0.0, "b": 1.0, "c": 10.0, "d": 100.0}, [0.0, 10.0]).tolist()
    [0.0, 50.0]
    """
    a, b, c, d, g = (_param(params, k) for k in PARAM_NAMES)
    x = np.asarray(conc, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = b * (np.log(x) - math.log(c)) if c > 0 else np.full_like(x, np.nan)
        # (1 + e^t)^-g through log1p(e^t) = logaddexp(0, t) keeps both tails finite.
        y = d + (a - d) * np.exp(-g * np.logaddexp(0.0, t))
    y = np.where(x == 0, a, y)
    return np.asarray(np.where(np.isfinite(x) & (x >= 0), y, np.nan), dtype=float)


def inverse(params: Mapping[str, float], signal: npt.ArrayLike) -> FloatArray:
    """Concentration at which the curve ``params`` gives ``signal`` (closed form).

    NaN where the signal is not strictly between the asymptotes ``a`` and ``d`` (the
    curve never reaches it) or is not finite.

    >>> inverse({"a": 0.0, "b": 1.0, "c": 10.0, "d": 100.0}, [50.0, 100.0, -1.0]).tolist()
    [10.0, nan, nan]
    """
    a, b, c, d, g = (_param(params, k) for k in PARAM_NAMES)
    y = np.asarray(signal, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fraction = (y - a) / (d - a)
        inside = np.isfinite(fraction) & (fraction > 0) & (fraction < 1)
        # (x/c)^b = ((a-d)/(y-d))^(1/g) - 1, computed as expm1(log(.)/g) so that
        # signals just above a keep their precision.
        log_ratio = -np.log1p(-np.where(inside, fraction, 0.5))
        power = np.expm1(log_ratio / g)
        x = c * np.exp(np.log(power) / b)
    return np.asarray(np.where(inside, x, np.nan), dtype=float)


# ---------------------------------------------------------------- fitting internals


def _weights(signal: FloatArray, weighting: str) -> FloatArray:
    if weighting == "none":
        return np.ones_like(signal)
    if weighting == "1/y":
        return 1.0 / signal
    return 1.0 / signal**2


def _theta_to_params(theta: FloatArray, model: str) -> dict[str, float]:
    g = math.exp(float(theta[4])) if model == "5PL" else 1.0
    return {
        "a": float(theta[0]),
        "b": float(theta[1]),
        "c": math.exp(float(theta[2])),
        "d": float(theta[3]),
        "g": g,
    }


def _model_and_jacobian(
    theta: FloatArray, logx: FloatArray, model: str
) -> tuple[FloatArray, FloatArray]:
    a, b, logc, d = (float(v) for v in theta[:4])
    g = math.exp(float(theta[4])) if model == "5PL" else 1.0
    t = b * (logx - logc)
    soft = np.logaddexp(0.0, t)
    e = np.exp(-g * soft)
    yhat = d + (a - d) * e
    # d soft / d t is the logistic function; the chain rule does the rest.
    common = -(a - d) * e * g * expit(t)
    columns = [e, common * (logx - logc), -common * b, 1.0 - e]
    if model == "5PL":
        columns.append(-(a - d) * e * soft * g)
    return yhat, np.column_stack(columns)


def _bounds(conc: FloatArray, signal: FloatArray, model: str) -> tuple[FloatArray, FloatArray]:
    span = float(np.ptp(signal))
    if not span > 0:
        span = max(abs(float(np.mean(signal))), 1.0)
    y_low = float(np.min(signal)) - ASYMPTOTE_SPANS * span
    y_high = float(np.max(signal)) + ASYMPTOTE_SPANS * span
    log_c_low = math.log(float(np.min(conc)) / C_FACTOR)
    log_c_high = math.log(float(np.max(conc)) * C_FACTOR)
    lower = [y_low, B_BOUNDS[0], log_c_low, y_low]
    upper = [y_high, B_BOUNDS[1], log_c_high, y_high]
    if model == "5PL":
        lower.append(math.log(G_BOUNDS[0]))
        upper.append(math.log(G_BOUNDS[1]))
    return np.array(lower), np.array(upper)


def _level_means(conc: FloatArray, signal: FloatArray) -> tuple[FloatArray, FloatArray]:
    levels, index = np.unique(conc, return_inverse=True)
    means = np.bincount(index, weights=signal) / np.bincount(index)
    return levels, means


def _start_log_c(levels: FloatArray, means: FloatArray, a0: float, d0: float) -> float:
    """Log dose where the level means first cross the mid signal, else the mid of the range."""
    logs = np.log(levels)
    mid = 0.5 * (a0 + d0)
    side = np.sign(means - mid)
    for i in range(len(levels) - 1):
        if side[i] == 0:
            return float(logs[i])
        if side[i] * side[i + 1] < 0:
            frac = (mid - means[i]) / (means[i + 1] - means[i])
            return float(logs[i] + frac * (logs[i + 1] - logs[i]))
    return float(0.5 * (logs[0] + logs[-1]))


def _starts(conc: FloatArray, signal: FloatArray, model: str) -> list[FloatArray]:
    levels, means = _level_means(conc, signal)
    a0, d0 = float(means[0]), float(means[-1])
    log_c0 = _start_log_c(levels, means, a0, d0)
    if model == "4PL":
        shapes = [(1.0, 1.0), (0.5, 1.0), (2.0, 1.0)]
    else:
        shapes = [(1.0, 1.0), (1.0, 0.3), (1.0, 3.0), (2.0, 0.5), (0.5, 2.0)]
    starts = []
    for b0, g0 in shapes:
        theta = [a0, b0, log_c0, d0]
        if model == "5PL":
            theta.append(math.log(g0))
        starts.append(np.array(theta))
    return starts


def _solve(
    residuals: Callable[[FloatArray], FloatArray],
    jacobian: Callable[[FloatArray], FloatArray],
    start: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
) -> OptimizeResult | None:
    # trf needs a strictly feasible start.
    inset = 1e-9 * (upper - lower)
    x0 = np.clip(start, lower + inset, upper - inset)
    try:
        result: OptimizeResult = least_squares(
            residuals,
            x0,
            jac=jacobian,
            bounds=(lower, upper),
            method="trf",
            x_scale="jac",
            ftol=1e-12,
            xtol=1e-12,
            gtol=1e-12,
            max_nfev=2000,
        )
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return None
    if not np.all(np.isfinite(result.x)) or not math.isfinite(float(result.cost)):
        return None
    return result


def _failed(model: str, weighting: str, n_points: int, status: str, reasons: list[str]) -> CurveFit:
    return CurveFit(
        model=model,
        weighting=weighting,
        params=dict.fromkeys(PARAM_NAMES, math.nan),
        rss=math.nan,
        aic=math.nan,
        n_points=n_points,
        converged=False,
        status=status,
        reasons=tuple(reasons),
    )


def usable_points(
    conc: npt.ArrayLike, signal: npt.ArrayLike, weighting: str
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Which standard points :func:`fit_curve` fits, and why the others are not.

    A point is fitted when its concentration is finite and positive, its signal finite,
    and, under 1/y or 1/y^2 weighting, its signal positive.
    """
    x = np.asarray(conc, dtype=float)
    y = np.asarray(signal, dtype=float)
    reasons = []
    bad_conc = ~(np.isfinite(x) & (x > 0))
    bad_signal = ~bad_conc & ~np.isfinite(y)
    keep = ~bad_conc & ~bad_signal
    if bad_conc.any():
        reasons.append(f"{int(bad_conc.sum())} point(s) with concentration <= 0 not fitted")
    if bad_signal.any():
        reasons.append(f"{int(bad_signal.sum())} point(s) with non-finite signal not fitted")
    if weighting != "none":
        with np.errstate(invalid="ignore"):
            non_positive = keep & ~(y > 0)
        if non_positive.any():
            reasons.append(
                f"{int(non_positive.sum())} point(s) with signal <= 0 not fitted "
                f"(weights {weighting} need a positive signal)"
            )
        keep &= ~non_positive
    return keep, reasons


def fit_curve(
    conc: npt.ArrayLike,
    signal: npt.ArrayLike,
    model: str = "5PL",
    weighting: str = "1/y^2",
) -> CurveFit:
    """Fit a 4PL or 5PL curve to standards by weighted least squares in log-dose.

    Points with ``conc <= 0`` (zero standards; blanks serve the LOD), non-finite values,
    or non-positive signal under 1/y weights are left out, with a reason. Starts come
    from the data (a from the lowest level, d from the highest, c where the level means
    cross the mid signal) with a few slopes (and, for the 5PL, asymmetries, plus the
    best 4PL solution); the lowest objective wins.

    Never raises on bad numbers: too few distinct concentrations (fewer than k + 1),
    a flat signal, non-convergence or a parameter at a bound come back as ``status``
    and ``reasons``. Raises ``ValueError`` for an unknown model or weighting, or for
    ``conc`` and ``signal`` of different lengths.
    """
    return _fit_curve(conc, signal, model, weighting, None)


def _fit_curve(
    conc: npt.ArrayLike,
    signal: npt.ArrayLike,
    model: str,
    weighting: str,
    base: CurveFit | None,
) -> CurveFit:
    """:func:`fit_curve`, reusing ``base`` (a 4PL of the same points) as a 5PL start."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model!r}")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {list(WEIGHTINGS)}, got {weighting!r}")
    x_all = np.asarray(conc, dtype=float).ravel()
    y_all = np.asarray(signal, dtype=float).ravel()
    if x_all.shape != y_all.shape:
        raise ValueError(f"conc and signal differ in length ({x_all.size} and {y_all.size} values)")
    keep, reasons = usable_points(x_all, y_all, weighting)
    x, y = x_all[keep], y_all[keep]
    n = int(x.size)
    k = MODELS[model]
    n_levels = int(np.unique(x).size)
    if n_levels < k + 1:
        reasons.append(
            f"{n_levels} distinct concentration(s) usable; the {model} needs at least {k + 1}"
        )
        return _failed(model, weighting, n, STATUS_TOO_FEW, reasons)
    if not np.ptp(y) > 0:
        reasons.append("the signal does not change with concentration")
        return _failed(model, weighting, n, STATUS_FLAT, reasons)

    logx = np.log(x)
    sqrt_w = np.sqrt(_weights(y, weighting))
    lower, upper = _bounds(x, y, model)

    def residuals(theta: FloatArray) -> FloatArray:
        return sqrt_w * (y - _model_and_jacobian(theta, logx, model)[0])

    def jacobian(theta: FloatArray) -> FloatArray:
        return -sqrt_w[:, None] * _model_and_jacobian(theta, logx, model)[1]

    starts = _starts(x, y, model)
    if model == "5PL":
        # Nested model: the 5PL can never do worse than its own 4PL solution.
        if base is None:
            base = _fit_curve(x, y, "4PL", weighting, None)
        if base.usable:
            p = base.params
            starts.insert(0, np.array([p["a"], p["b"], math.log(p["c"]), p["d"], 0.0]))

    best: OptimizeResult | None = None
    for start in starts:
        result = _solve(residuals, jacobian, start, lower, upper)
        if result is not None and (best is None or result.cost < best.cost):
            best = result
    if best is None:
        reasons.append("the optimiser failed from every start")
        return _failed(model, weighting, n, STATUS_NOT_CONVERGED, reasons)

    theta = np.asarray(best.x, dtype=float)
    params = _theta_to_params(theta, model)
    rss = float(np.sum(np.asarray(best.fun, dtype=float) ** 2))
    aic = n * math.log(rss / n) + 2 * k if rss > 0 else -math.inf
    converged = bool(best.success)
    status = STATUS_CONVERGED
    if not converged:
        status = STATUS_NOT_CONVERGED
        reasons.append(f"the optimiser did not converge: {best.message}")
    names = ["a", "b", "c", "d", "g"][: len(theta)]
    tolerance = AT_BOUND_FRACTION * (upper - lower)
    for i, name in enumerate(names):
        for side, bound in (("lower", lower[i]), ("upper", upper[i])):
            if abs(theta[i] - bound) <= tolerance[i]:
                shown = math.exp(bound) if name in ("c", "g") else bound
                reasons.append(f"{name} at its {side} bound ({shown:.4g})")
                if converged:
                    status = STATUS_AT_BOUND
    return CurveFit(
        model=model,
        weighting=weighting,
        params=params,
        rss=rss,
        aic=aic,
        n_points=n,
        converged=converged,
        status=status,
        reasons=tuple(reasons),
    )


# ---------------------------------------------------------- quantification limits


def level_recovery(
    params: Mapping[str, float], conc: npt.ArrayLike, signal: npt.ArrayLike
) -> pd.DataFrame:
    """Back-calculated recovery and replicate CV of each standard level.

    One row per distinct concentration (ascending): ``expected``, ``n``, ``mean_signal``,
    ``cv`` (sample SD / mean of the signal; NaN with one replicate), ``back`` (the
    inverse of the mean signal) and ``recovery`` (``back / expected``).
    """
    frame = pd.DataFrame(
        {"expected": np.asarray(conc, dtype=float), "signal": np.asarray(signal, dtype=float)}
    )
    grouped = frame.groupby("expected", sort=True)["signal"]
    levels = grouped.agg(["count", "mean", "std"]).reset_index()
    means = levels["mean"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = levels["std"].to_numpy(dtype=float) / np.abs(means)
    back = inverse(params, means)
    return pd.DataFrame(
        {
            "expected": levels["expected"].to_numpy(dtype=float),
            "n": levels["count"].to_numpy(dtype=int),
            "mean_signal": means,
            "cv": cv,
            "back": back,
            "recovery": back / levels["expected"].to_numpy(dtype=float),
        }
    )


def quantification_range(
    recovery: pd.DataFrame,
    recovery_limit: float = 0.20,
    recovery_limit_edge: float = 0.25,
    cv_limit: float = 0.20,
) -> tuple[float, float]:
    """LLOQ and ULOQ from a :func:`level_recovery` table.

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
    expected = recovery["expected"].to_numpy(dtype=float)
    rec = recovery["recovery"].to_numpy(dtype=float)
    cv = recovery["cv"].to_numpy(dtype=float)
    n = len(expected)
    if n == 0:
        return math.nan, math.nan
    limits = np.full(n, recovery_limit)
    limits[[0, -1]] = recovery_limit_edge
    with np.errstate(invalid="ignore"):
        passing = (np.abs(rec - 1.0) <= limits) & ~(cv > cv_limit)
    best_start, best_length, start = -1, 0, 0
    for i in range(n + 1):
        if i < n and passing[i]:
            continue
        if i - start > best_length:
            best_start, best_length = start, i - start
        start = i + 1
    if best_length == 0:
        return math.nan, math.nan
    return float(expected[best_start]), float(expected[best_start + best_length - 1])


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
    direction = 1.0 if _param(params, "d") >= _param(params, "a") else -1.0
    level = float(np.mean(blanks)) + direction * k * float(np.std(blanks, ddof=1))
    return float(inverse(params, level))


# ---------------------------------------------------------------- plate level


def _has_flag(flags: pd.Series, flag: str) -> npt.NDArray[np.bool_]:
    tokens = flags.fillna("").astype(str).str.split(";")
    return np.array([flag in t for t in tokens], dtype=bool)


def _select(fits: Sequence[CurveFit], selection: str) -> int:
    """Index of the selected fit.

    With "aic": the lowest AIC among clean fits (status "converged"), else among
    converged fits (a parameter may sit at a bound), else among fits with a finite
    objective, else the first model.
    """
    if selection != "aic":
        return [f.model for f in fits].index(selection)
    tiers: list[Callable[[CurveFit], bool]] = [
        lambda f: f.status == STATUS_CONVERGED,
        lambda f: f.usable,
        lambda f: math.isfinite(f.rss),
    ]
    for tier in tiers:
        candidates = [i for i, f in enumerate(fits) if tier(f) and not math.isnan(f.aic)]
        if candidates:
            return min(candidates, key=lambda i: fits[i].aic)
    return 0


def _curve_rows(
    plate_id: str,
    analyte: str,
    group: pd.DataFrame,
    models: Sequence[str],
    weighting: str,
    selection: str,
    recovery_limit: float,
    recovery_limit_edge: float,
    cv_limit: float,
    lod_k: float,
) -> list[dict[str, object]]:
    role = group["role"].astype(str).to_numpy()
    low_beads = _has_flag(group["flags"], "low_beads")
    conc = pd.to_numeric(group["expected_conc"], errors="coerce").to_numpy(dtype=float)
    signal = pd.to_numeric(group["signal"], errors="coerce").to_numpy(dtype=float)
    wells = group["well"].astype(str).to_numpy()
    is_standard = role == "standard"
    n_standards = int(is_standard.sum())

    blank_mask = (role == "blank") & ~low_beads & np.isfinite(signal)
    blanks = signal[blank_mask]

    plate_reasons: list[str] = []
    if n_standards == 0:
        fits = [
            _failed(m, weighting, 0, STATUS_NO_STANDARDS, ["no standard wells for this analyte"])
            for m in models
        ]
        x_std = y_std = np.array([], dtype=float)
    else:
        std_low_beads = is_standard & low_beads
        if std_low_beads.any():
            plate_reasons.append(
                "excluded standard well(s) " + ",".join(wells[std_low_beads]) + ": low_beads"
            )
        candidate = is_standard & ~low_beads
        keep, _ = usable_points(conc, signal, weighting)
        conc_ok = np.isfinite(conc) & (conc > 0)
        finite_signal = np.isfinite(signal)
        for label, mask in (
            ("concentration <= 0 or missing", candidate & ~conc_ok),
            ("no finite signal", candidate & conc_ok & ~finite_signal),
            (f"signal <= 0 under {weighting} weights", candidate & conc_ok & finite_signal & ~keep),
        ):
            if mask.any():
                plate_reasons.append(f"excluded standard well(s) {','.join(wells[mask])}: {label}")
        used = candidate & keep
        x_std, y_std = conc[used], signal[used]
        base = _fit_curve(x_std, y_std, "4PL", weighting, None)
        fits = [
            base if m == "4PL" else _fit_curve(x_std, y_std, m, weighting, base) for m in models
        ]

    chosen = _select(fits, selection)
    if blanks.size < 2:
        plate_reasons.append(f"LOD not estimated: {blanks.size} usable blank(s), need 2")
    rows: list[dict[str, object]] = []
    for i, fit in enumerate(fits):
        lloq = uloq = lod = math.nan
        reasons = list(plate_reasons) + list(fit.reasons)
        if fit.usable:
            table = level_recovery(fit.params, x_std, y_std)
            lloq, uloq = quantification_range(table, recovery_limit, recovery_limit_edge, cv_limit)
            if math.isnan(lloq):
                reasons.append("no standard level within the recovery and CV limits")
            lod = limit_of_detection(fit.params, blanks, lod_k)
        rows.append(
            {
                "plate_id": plate_id,
                "analyte": analyte,
                "model": fit.model,
                "weighting": weighting,
                "selected": i == chosen,
                **fit.params,
                "rss": fit.rss,
                "aic": fit.aic,
                "n_points": fit.n_points,
                "n_excluded": n_standards - fit.n_points,
                "lloq": lloq,
                "uloq": uloq,
                "lod": lod,
                "converged": fit.converged,
                "status": fit.status,
                "reasons": ";".join(reasons),
            }
        )
    return rows


def fit_plate_curves(
    wells: pd.DataFrame,
    models: Sequence[str] = ("5PL", "4PL"),
    weighting: str = "1/y^2",
    selection: str = "aic",
    recovery_limit: float = 0.20,
    recovery_limit_edge: float = 0.25,
    cv_limit: float = 0.20,
    lod_k: float = 3.0,
) -> pd.DataFrame:
    """Fit every model to every plate x analyte of a wells table (``tables.WELLS``).

    Standards are the ``role == "standard"`` wells with ``expected_conc > 0``, a finite
    (and, under 1/y weights, positive) signal and no ``low_beads`` flag; every other
    standard well counts in ``n_excluded`` and is named in ``reasons``. Blanks without
    ``low_beads`` and with a finite signal give the LOD (:func:`limit_of_detection`,
    ``k = lod_k``). LLOQ and ULOQ come from :func:`level_recovery` and
    :func:`quantification_range` and are in-well concentrations (before dilution).

    ``selection`` is ``"aic"`` (see :func:`_select`: lowest AIC among clean fits, then
    converged ones, then any with a finite objective) or a model name. Exactly one row
    per plate x analyte is ``selected``. A plate x analyte without standard wells gets
    NaN parameters and status ``"no_standards"``.

    Returns a ``tables.CURVES`` frame sorted by plate_id, analyte and model.
    """
    models = list(models)
    unknown = [m for m in models if m not in MODELS]
    if not models or unknown:
        raise ValueError(f"models must be a non-empty subset of {sorted(MODELS)}, got {models}")
    if len(set(models)) != len(models):
        raise ValueError(f"models are repeated: {models}")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {list(WEIGHTINGS)}, got {weighting!r}")
    if selection != "aic" and selection not in models:
        raise ValueError(f"selection must be 'aic' or one of {models}, got {selection!r}")
    if wells.empty:
        return tables.empty(tables.CURVES)

    rows: list[dict[str, object]] = []
    for (plate_id, analyte), group in wells.groupby(["plate_id", "analyte"], sort=True):
        rows.extend(
            _curve_rows(
                str(plate_id),
                str(analyte),
                group,
                models,
                weighting,
                selection,
                recovery_limit,
                recovery_limit_edge,
                cv_limit,
                lod_k,
            )
        )
    frame = pd.DataFrame(rows, columns=list(tables.CURVES.columns))
    frame = frame.sort_values(["plate_id", "analyte", "model"], kind="stable")
    return tables.CURVES.validate(frame.reset_index(drop=True))
