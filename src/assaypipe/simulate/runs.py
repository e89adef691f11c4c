"""What an instrument measures on one plate: the plate's curves (with drift and hooks),
well concentrations, signals and bead counts."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from assaypipe.simulate.formatting import round_sig
from assaypipe.simulate.kits import Analyte
from assaypipe.simulate.layout import Well
from assaypipe.simulate.model import DEFAULT_SEED, Difficulty
from assaypipe.vocabulary import Role

LUMINEX_SIGMA = 0.06
OD_SIGMA = 0.05
MEAN_BEAD_COUNT = 90
MSD_SIGMA = 0.05
# A hooked curve's signal is multiplied by 1 / (1 + (conc / (top * HOOK_AT))**2): the
# top standard keeps a fifth of its signal, the second four fifths.
HOOK_AT = 0.5


@dataclass(frozen=True)
class Curve:
    a: float
    b: float
    c: float
    d: float
    g: float

    hook_at: float | None = None  # concentration where a hooked curve's signal halves

    def signal(self, conc: np.ndarray) -> np.ndarray:
        ratio = np.power(np.maximum(conc, 0.0) / self.c, self.b)
        out: np.ndarray = self.d + (self.a - self.d) / np.power(1.0 + ratio, self.g)
        if self.hook_at is not None:
            out = out / (1.0 + np.square(np.maximum(conc, 0.0) / self.hook_at))
        return out


@dataclass(frozen=True)
class PlateRun:
    """What an instrument measured on one plate, in acquisition order."""

    plate_id: str
    analytes: tuple[Analyte, ...]
    curves: tuple[Curve, ...]
    conc: np.ndarray  # wells x analytes, in the well
    signal: np.ndarray  # wells x analytes
    counts: np.ndarray  # wells x analytes (zeros for a plate reader)
    bad_well: int | None
    started: datetime


def run_plate(
    rng: np.random.Generator,
    plate_id: str,
    analytes: tuple[Analyte, ...],
    layout: Sequence[Well],
    true_conc: dict[tuple[str, str], float],
    started: datetime,
    *,
    sample_dilution: float = 1.0,
    luminex: bool = True,
    ecl: bool = False,
    knobs: Difficulty | None = None,
    seed: int = DEFAULT_SEED,
    signal_scale: float = 1.0,
) -> PlateRun:
    """One plate run; ``signal_scale`` multiplies the curves' a and d, so every true
    signal (an instrument's sensitivity; no draw of its own, so the others stay put)."""
    knobs = knobs if knobs is not None else Difficulty()
    curves = harden(
        tuple(draw_curve(rng, an) for an in analytes), analytes, plate_id, luminex, knobs, seed
    )
    if signal_scale != 1.0:
        curves = tuple(
            replace(cv, a=round_sig(cv.a * signal_scale, 4), d=round_sig(cv.d * signal_scale, 4))
            for cv in curves
        )
    n_wells, n_analytes = len(layout), len(analytes)
    conc = np.zeros((n_wells, n_analytes))
    for j, an in enumerate(analytes):
        # Kit controls rarely sit exactly on their label.
        control_true = [v * float(np.exp(rng.normal(0.0, 0.04))) for v in an.controls()]
        for i, w in enumerate(layout):
            if w.role == Role.STANDARD and w.level is not None:
                conc[i, j] = an.standards()[w.level - 1]
            elif w.role == Role.CONTROL and w.level is not None:
                conc[i, j] = round(control_true[w.level - 1], 3)
            elif w.role == Role.SAMPLE:
                conc[i, j] = true_conc[w.sample_id, an.name] / sample_dilution

    sigma = LUMINEX_SIGMA if luminex else MSD_SIGMA if ecl else OD_SIGMA
    sigma = sigma * knobs.noise
    signal = np.column_stack([cv.signal(conc[:, j]) for j, cv in enumerate(curves)])
    signal = signal * np.exp(rng.normal(0.0, sigma, signal.shape))
    counts = np.zeros((n_wells, n_analytes), dtype=int)
    bad_well: int | None = None
    if luminex:
        counts = rng.poisson(MEAN_BEAD_COUNT, (n_wells, n_analytes))
        sample_wells = [i for i, w in enumerate(layout) if w.role == Role.SAMPLE]
        bad_well = int(rng.choice(sample_wells))
        # A partly clogged well: few beads, and the few that are read are off.
        counts[bad_well] = rng.integers(12, 26, n_analytes)
        direction = rng.choice([-1.0, 1.0])
        signal[bad_well] *= np.exp(direction * rng.uniform(0.5, 0.9, n_analytes))
        signal = np.rint(signal * 2) / 2
    elif ecl:
        signal = np.rint(signal)  # ECL counts
    else:
        signal = np.round(signal, 3)
    return PlateRun(plate_id, analytes, curves, conc, signal, counts, bad_well, started)


def harden(
    curves: tuple[Curve, ...],
    analytes: tuple[Analyte, ...],
    plate_id: str,
    luminex: bool,
    knobs: Difficulty,
    seed: int,
) -> tuple[Curve, ...]:
    """The plate's curves with its drift and hooks. Their draws come from a stream of
    the seed and the plate id alone, so the knobs leave every other draw as it was."""
    if knobs.drift == 0 and (knobs.hook == 0 or not luminex):
        return curves
    rng = np.random.default_rng([seed, 2, zlib.crc32(plate_id.encode("utf-8"))])
    top, middle = np.exp(rng.normal(0.0, knobs.drift, 2))
    hooked = rng.random(len(curves)) < knobs.hook if luminex else np.zeros(len(curves), bool)
    return tuple(
        Curve(
            cv.a,
            cv.b,
            round_sig(cv.c * float(middle), 4),
            round_sig(cv.d * float(top), 4),
            cv.g,
            hook_at=an.top * HOOK_AT if hook else None,
        )
        for cv, an, hook in zip(curves, analytes, hooked, strict=True)
    )


def draw_curve(rng: np.random.Generator, analyte: Analyte) -> Curve:
    a, b, c, d, g = analyte.nominal
    spread = (0.15, 0.04, 0.10, 0.06, 0.04)
    drawn = [
        round_sig(v * float(np.exp(rng.normal(0.0, s))), 4)
        for v, s in zip((a, b, c, d, g), spread, strict=True)
    ]
    return Curve(*drawn)
