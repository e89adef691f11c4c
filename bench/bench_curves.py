"""Batch curve fitting against a per-curve scipy.optimize.curve_fit baseline.

Simulates realistic Luminex standard curves: 8 levels of a 2- to 4-fold dilution
series in duplicate with one well lost (15 points), 2-8% CV plus a little additive
noise, drawn from the model being fitted. For each batch size (100, 1,000, 10,000
curves) and model (4PL, 5PL) it fits the batch with ``fit_curves(x, y, model,
"1/y^2")`` (the 5PL from its data alone, its own 4PL start included) and fits the same
curves one by one with ``curve_fit`` (the model written in dose, ``sigma = y``, the
same weighted objective; data-driven ``p0``; default Levenberg-Marquardt). The
baseline fits at most ``--sample`` curves of each batch; its rate per curve does not
depend on the batch.

The two sides run in turn, ours then the baseline, ``--repeat`` times, both in this
process and single-threaded; the ratio (our curves per CPU second over curve_fit's) is
taken pair by pair, and the median pair is quoted with the range, so a machine whose
speed drifts moves both sides of a pair together.

Agreement, over the curves where assaypipe used every point and curve_fit converged:
how many reach the same optimum (weighted RSS within 1e-6 relative), how many end
lower on either side, and on the same optimum the relative difference of the parameters
(largest of a, b, c, d, g per curve: its median and maximum over the curves) and the
largest of the fitted signal at the standards.

    .venv/bin/python bench/bench_curves.py [--sizes 100 1000 10000] [--sample 1000] [--repeat 3]

``--params FILE`` keeps the fitted parameters of every batch (a numpy ``.npz``);
``--against FILE`` compares them with ones kept before (another version of the code):
per batch, how many curves differ and the largest relative difference of a parameter.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from assaypipe.curves import BatchFit, fit_curves

N_LEVELS = 8
N_POINTS = 15
MODELS = ("4PL", "5PL")
SAME_RSS = 1e-6


def simulate(n: int, model: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` curves of 15 points: conc and signal, one curve per row."""
    top = np.exp(rng.uniform(np.log(2000.0), np.log(50000.0), n))
    step = rng.choice([2.0, 2.5, 3.0, 4.0], n)
    levels = top[:, None] / step[:, None] ** np.arange(N_LEVELS)[::-1]
    conc = np.repeat(levels, 2, axis=1)
    middle = np.sqrt(levels[:, 0] * levels[:, -1])
    a = np.exp(rng.uniform(np.log(5.0), np.log(100.0), n))
    d = rng.uniform(8000.0, 30000.0, n)
    b = rng.uniform(0.7, 1.6, n)
    c = middle * np.exp(rng.normal(0.0, 0.7, n))
    g = np.exp(rng.uniform(np.log(0.4), np.log(2.5), n)) if model == "5PL" else np.ones(n)
    truth = d[:, None] + (a - d)[:, None] / (1.0 + (conc / c[:, None]) ** b[:, None]) ** g[:, None]
    cv = rng.uniform(0.02, 0.08, n)
    signal = truth * (1.0 + cv[:, None] * rng.standard_normal(truth.shape))
    signal += rng.normal(0.0, 2.0, truth.shape)
    signal = np.maximum(signal, 1.0)
    # One well of each curve lost (bead count, bubble): 15 points left.
    drop = rng.integers(0, 2 * N_LEVELS, n)
    keep = np.ones(conc.shape, dtype=bool)
    keep[np.arange(n), drop] = False
    return conc[keep].reshape(n, N_POINTS), signal[keep].reshape(n, N_POINTS)


def logistic(x: np.ndarray, a: float, b: float, c: float, d: float, g: float = 1.0) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return d + (a - d) / (1.0 + (x / c) ** b) ** g


def logistic4(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    return logistic(x, a, b, c, d)


def baseline(x: np.ndarray, y: np.ndarray, model: str) -> np.ndarray:
    """(a, b, c, d, g) of a per-curve curve_fit; NaN where it fails."""
    low, high = x == x.min(), x == x.max()
    p0 = [y[low].mean(), 1.0, float(np.exp(np.log(x).mean())), y[high].mean()]
    function: Any = logistic4 if model == "4PL" else logistic
    if model == "5PL":
        p0.append(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            popt, _ = curve_fit(function, x, y, p0=p0, sigma=y, maxfev=20000)
        except RuntimeError:
            return np.full(5, np.nan)
    return np.append(popt, 1.0) if model == "4PL" else popt


def weighted_rss(x: np.ndarray, y: np.ndarray, params: np.ndarray) -> float:
    rss = float(np.sum(((y - logistic(x, *params)) / y) ** 2))
    return rss if np.isfinite(rss) else float("nan")


def agreement(
    x: np.ndarray, y: np.ndarray, ours: BatchFit, theirs: np.ndarray, sample: np.ndarray
) -> str:
    """Counts of same / lower / worse optima and the largest differences on the same."""
    same = lower = worse = 0
    param_diff: list[float] = []
    pred_diff = 0.0
    compared = 0
    for row, i in enumerate(sample):
        params = theirs[row]
        if not np.all(np.isfinite(params)) or np.any(ours.point_code[i] != 0):
            continue
        rss_ours, rss_theirs = (
            weighted_rss(x[i], y[i], ours.params[i]),
            weighted_rss(x[i], y[i], params),
        )
        if not np.isfinite(rss_theirs):
            continue
        compared += 1
        if rss_ours > rss_theirs * (1.0 + SAME_RSS):
            worse += 1
        elif rss_theirs > rss_ours * (1.0 + SAME_RSS):
            lower += 1
        else:
            same += 1
            param_diff.append(float(np.max(np.abs(ours.params[i] / params - 1.0))))
            fitted = logistic(x[i], *params)
            pred_diff = max(
                pred_diff, float(np.max(np.abs(logistic(x[i], *ours.params[i]) / fitted - 1.0)))
            )
    return (
        f"same optimum {same}/{compared}, ours lower {lower}, ours worse {worse}; "
        f"on the same optimum rel. diff of params median {np.median(param_diff):.0e} / "
        f"max {max(param_diff):.0e}, of fitted signal max {pred_diff:.0e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000, 10000])
    parser.add_argument("--sample", type=int, default=1000, help="curves fitted by the baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="pairs of runs; the median counts")
    parser.add_argument("--params", help="write the fitted parameters to this .npz file")
    parser.add_argument("--against", help="compare the fitted parameters with this .npz file")
    args = parser.parse_args()
    kept: dict[str, np.ndarray] = {}
    x, y = simulate(50, "5PL", np.random.default_rng(args.seed))
    fit_curves(x, y, "4PL", "1/y^2")  # warm-up: one-off import and allocation costs
    fit_curves(x, y, "5PL", "1/y^2")
    print(
        f"{'curves':>7} {'model':>5} {'ours /s':>9} {'curve_fit /s':>12} "
        f"{'ratio (median, range of pairs)':>31}  agreement"
    )
    for n in args.sizes:
        for m, model in enumerate(MODELS):
            # Each batch has its own seed: its curves do not depend on the other sizes.
            rng = np.random.default_rng([args.seed, n, m])
            x, y = simulate(n, model, rng)
            sample = np.sort(rng.choice(n, size=min(args.sample, n), replace=False))
            ratios, ours_rate, theirs_rate = [], [], []
            fits: BatchFit | None = None
            theirs = np.empty((0, 5))
            for _ in range(args.repeat):
                cpu = time.process_time()
                fits = fit_curves(x, y, model, "1/y^2")
                ours_rate.append(n / (time.process_time() - cpu))
                cpu = time.process_time()
                theirs = np.array([baseline(x[i], y[i], model) for i in sample])
                theirs_rate.append(sample.size / (time.process_time() - cpu))
                ratios.append(ours_rate[-1] / theirs_rate[-1])
            assert fits is not None
            kept[f"{model}_{n}"] = fits.params
            print(
                f"{n:>7} {model:>5} {statistics.median(ours_rate):>9,.0f} "
                f"{statistics.median(theirs_rate):>12,.0f} "
                f"{statistics.median(ratios):>14.1f}x ({min(ratios):.1f}-{max(ratios):.1f}x)"
                f"  {agreement(x, y, fits, theirs, sample)}",
                flush=True,
            )
    if args.params:
        np.savez(args.params, **kept)
    if args.against:
        print(compare_params(kept, dict(np.load(args.against))))


def compare_params(ours: dict[str, np.ndarray], before: dict[str, np.ndarray]) -> str:
    """Per batch: curves whose parameters differ, and the largest relative difference."""
    lines = []
    for name, params in ours.items():
        if name not in before:
            continue
        old = before[name]
        with np.errstate(invalid="ignore", divide="ignore"):
            relative = np.abs(params - old) / np.maximum(np.abs(params), np.abs(old))
        relative = np.where(np.isnan(params) & np.isnan(old), 0.0, relative)
        differ = int(np.count_nonzero(np.any(relative > 0, axis=1)))
        lines.append(
            f"{name}: {differ} of {len(params)} curves differ, "
            f"largest relative difference {np.nanmax(relative):.1e}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
