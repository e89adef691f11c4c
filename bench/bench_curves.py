"""Batch curve fitting against a per-curve scipy.optimize.curve_fit baseline.

Simulates realistic Luminex standard curves: 8 levels of a 2- to 4-fold dilution
series in duplicate with one well lost (15 points), half drawn from a 4PL and half
from a 5PL, 2-8% CV plus a little additive noise. Every curve is fitted as the
workflow fits it (``fit_plate_curves``): with the 4PL and with the 5PL, weights 1/y^2,
the 5PL starting from the 4PL batch (``fit_curves(..., base=four)``). A random sample
of the curves is fitted the same way one by one with ``curve_fit`` (the model written
in dose, ``sigma = y``, data-driven ``p0``, default Levenberg-Marquardt). Prints the
curves per second of both, their ratio, and the share of fits where our weighted RSS
is worse than the baseline's by more than 1e-6 (relative).

Throughput is given in CPU time of this process (fair to both sides on a shared
machine) and in wall-clock time, each the best of ``--repeat`` runs (as ``timeit``
does: the fastest run is the one least disturbed); both sides run single-threaded.

    .venv/bin/python bench/bench_curves.py [--curves 10000] [--sample 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from assaypipe.curves import BatchFit, fit_curves

N_LEVELS = 8
N_POINTS = 15
MODELS = ("4PL", "5PL")


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


def logistic4(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    return d + (a - d) / (1.0 + (x / c) ** b)


def logistic5(x: np.ndarray, a: float, b: float, c: float, d: float, g: float) -> np.ndarray:
    return d + (a - d) / (1.0 + (x / c) ** b) ** g


def baseline(x: np.ndarray, y: np.ndarray, model: str) -> float:
    """Weighted RSS of a per-curve curve_fit (NaN when it fails)."""
    low, high = x == x.min(), x == x.max()
    p0 = [y[low].mean(), 1.0, float(np.exp(np.log(x).mean())), y[high].mean()]
    function = logistic4 if model == "4PL" else logistic5
    if model == "5PL":
        p0.append(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            popt, _ = curve_fit(function, x, y, p0=p0, sigma=y, maxfev=20000)
        except RuntimeError:
            return float("nan")
    rss = float(np.sum(((y - function(x, *popt)) / y) ** 2))
    return rss if np.isfinite(rss) else float("nan")


def ours(x: np.ndarray, y: np.ndarray) -> dict[str, BatchFit]:
    four = fit_curves(x, y, "4PL", "1/y^2")
    return {"4PL": four, "5PL": fit_curves(x, y, "5PL", "1/y^2", base=four)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=10000)
    parser.add_argument("--sample", type=int, default=2000, help="curves fitted by the baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    half = args.curves // 2
    parts = [simulate(half, model, rng) for model in MODELS]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    n = x.shape[0]

    ours(x[:50], y[:50])  # warm-up: one-off import and allocation costs are not timed
    fits: dict[str, BatchFit] = {}
    our_cpu = our_wall = np.inf
    for _ in range(args.repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        fits = ours(x, y)
        our_cpu = min(our_cpu, time.process_time() - cpu)
        our_wall = min(our_wall, time.perf_counter() - wall)

    sample = rng.choice(n, size=min(args.sample, n), replace=False)
    base_cpu = base_wall = np.inf
    base_rss: dict[str, np.ndarray] = {}
    for _ in range(args.repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        for model in MODELS:
            base_rss[model] = np.array([baseline(x[i], y[i], model) for i in sample])
        base_cpu = min(base_cpu, time.process_time() - cpu)
        base_wall = min(base_wall, time.perf_counter() - wall)

    worse = compared = failed = 0
    for model in MODELS:
        rss, mine = base_rss[model], fits[model].rss[sample]
        ok = np.isfinite(rss)
        n_worse = int(np.sum(mine[ok] > rss[ok] * (1.0 + 1e-6)))
        worse, compared, failed = (
            worse + n_worse,
            compared + int(ok.sum()),
            failed + int((~ok).sum()),
        )
        values, counts = np.unique(np.array(fits[model].status), return_counts=True)
        statuses = dict(zip(values.tolist(), counts.tolist(), strict=True))
        print(f"{model}: statuses {statuses}; RSS worse than curve_fit on {n_worse}/{ok.sum()}")

    m = sample.size
    print(
        f"assaypipe fit_curves (4PL + 5PL per curve): {n} curves, CPU {our_cpu:.3f} s = "
        f"{n / our_cpu:,.0f} curves/s (wall {our_wall:.3f} s = {n / our_wall:,.0f}/s)"
    )
    print(
        f"scipy curve_fit (4PL + 5PL per curve), one by one: {m} curves, CPU {base_cpu:.3f} s"
        f" = {m / base_cpu:,.0f} curves/s (wall {base_wall:.3f} s = {m / base_wall:,.0f}/s);"
        f" {failed} baseline fits failed"
    )
    print(
        f"ratio: {(n / our_cpu) / (m / base_cpu):.1f}x by CPU time, "
        f"{(n / our_wall) / (m / base_wall):.1f}x by wall time"
    )
    print(
        f"our RSS worse than curve_fit's by > 1e-6 relative: {worse}/{compared} fits "
        f"= {100.0 * worse / max(compared, 1):.3f}%"
    )


if __name__ == "__main__":
    main()
