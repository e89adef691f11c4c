"""The study model: subjects, their samples and outcomes, true concentrations with the
planted effects, and the difficulty knobs."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assaypipe.simulate.formatting import num, yes_no
from assaypipe.simulate.kits import ANALYTES, MSD_ANALYTES, Analyte

DEFAULT_SEED = 20261121

N_SUBJECTS = 20
N_BASELINE_ONLY = 2
MONTHS = (0, 9, 12, 30)

POST_EFFECT = {"CCL2": 0.75, "TGFB2": 1.20}
# HGF, CXCL12 and IL-8 change by responder status, not by visit alone.
RESPONDER_EFFECT = 0.95
NONRESPONDER_EFFECT = 1.30
NFL_HIGH = 1000.0
NFL_RESPONDER_EFFECT = 0.70
NFL_NONRESPONDER_EFFECT = 1.30


# The kit units the simulator can state; concentrations are divided by the factor.
UNITS = {"pg/mL": 1.0, "ng/mL": 1000.0}


@dataclass(frozen=True)
class Difficulty:
    """How hard the simulated study is; the defaults give the bundled demo study.

    ``noise`` multiplies the signal noise SD of every plate. ``drift`` is the SD of a
    per-plate multiplicative shift (log scale) of every curve's top (d) and, drawn
    apart, of its midpoint (c). ``hook`` is the share of Luminex plate x analyte curves
    whose top standards fall back (a high-dose hook). ``unit`` is the kit unit the
    exports, plate maps and truth state, concentrations scaled to it (the signals
    stay the same). ``effect`` multiplies the true log pre/post effects (0: none).
    ``near_lloq`` is the share of samples, per analyte, whose true concentration is put
    near the lowest standard (in the well: within a factor of 2 either side).
    ``borderline`` is the share of subjects whose EDSS sits at the responder
    threshold: responders improve by exactly 0.5 at months 12 and 30, nonresponders
    by 0.5 at month 12 only (not sustained).
    ``reporter_loss`` is the share by which every Luminex signal (MFI) falls on the last
    third of the repeat runs (``n_plates`` above 3), as when the analyser's reporter
    channel loses sensitivity: the plates still calibrate themselves, but their curve
    tops and top-standard signals fall below the guide set's (Levey–Jennings, Westgard).
    """

    noise: float = 1.0
    drift: float = 0.0
    hook: float = 0.0
    unit: str = "pg/mL"
    effect: float = 1.0
    near_lloq: float = 0.0
    borderline: float = 0.0
    reporter_loss: float = 0.0

    def __post_init__(self) -> None:
        if not self.noise >= 0:
            raise ValueError(f"noise must be 0 or more, got {self.noise}")
        if not self.drift >= 0:
            raise ValueError(f"drift must be 0 or more, got {self.drift}")
        if not 0 <= self.hook <= 1:
            raise ValueError(f"hook must be a share between 0 and 1, got {self.hook}")
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {self.unit!r}")
        if not self.effect >= 0:
            raise ValueError(f"effect must be 0 or more, got {self.effect}")
        if not 0 <= self.reporter_loss < 1:
            raise ValueError(
                f"reporter_loss must be a share from 0 up to 1, got {self.reporter_loss}"
            )
        for name in ("near_lloq", "borderline"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(
                    f"{name} must be a share between 0 and 1, got {getattr(self, name)}"
                )

    def conc(self, value: float) -> float:
        """A concentration in pg/mL stated in the kit unit."""
        divisor = UNITS[self.unit]
        return value if divisor == 1.0 else value / divisor


@dataclass(frozen=True)
class Subject:
    subject_id: str
    course: str
    sex: str
    age: int
    disease_duration: float
    ambulatory: bool
    responder: bool
    has_post: bool
    inflammation: float
    il8_low: bool
    tgfb2_low: bool
    edss: tuple[float, ...]
    t25fw: tuple[float | None, ...]


@dataclass(frozen=True)
class Sample:
    sample_id: str
    subject_id: str
    visit: str


def simulate_subjects(
    rng: np.random.Generator, borderline: float = 0.0, seed: int = DEFAULT_SEED
) -> list[Subject]:
    n = N_SUBJECTS
    at_threshold = np.zeros(n, dtype=bool)
    if borderline > 0:
        # A stream of its own: the other draws stay as they are.
        pick = np.random.default_rng([seed, 3])
        at_threshold[pick.choice(n, size=round(borderline * n), replace=False)] = True
    responder = np.zeros(n, dtype=bool)
    responder[rng.choice(n, size=n // 2, replace=False)] = True
    has_post = np.ones(n, dtype=bool)
    has_post[rng.choice(n, size=N_BASELINE_ONLY, replace=False)] = False
    age = np.clip(np.rint(rng.normal(52.0, 8.0, n)), 35, 65).astype(int)
    duration = np.clip(0.45 * (age - 30) + rng.normal(0.0, 4.0, n), 3.0, age - 20.0)
    spms = rng.random(n) < 0.65
    female = rng.random(n) < 0.55
    inflammation = rng.standard_normal(n)
    il8_low = np.zeros(n, dtype=bool)
    il8_low[rng.choice(n, size=3, replace=False)] = True
    # The most inflamed subjects have the least TGF-b2, in line with the CCL2 link.
    tgfb2_low = np.zeros(n, dtype=bool)
    tgfb2_low[np.argsort(-inflammation)[:2]] = True
    # Baseline EDSS stays within 3.5-7.5 so that improving and worsening stay on the scale.
    baseline = np.clip(np.rint(rng.normal(5.8, 1.1, n) * 2) / 2, 3.5, 7.5)

    subjects = []
    for i in range(n):
        edss = edss_course(rng, float(baseline[i]), bool(responder[i]))
        if at_threshold[i]:
            edss = edss_at_threshold(float(baseline[i]), bool(responder[i]))
        ambulatory = edss[0] <= 6.5
        t25fw: tuple[float | None, ...] = tuple(
            round(4.5 * float(np.exp(0.35 * (e - 3.0) + rng.normal(0.0, 0.08))), 1)
            if ambulatory
            else None
            for e in edss
        )
        subjects.append(
            Subject(
                subject_id=f"P{i + 1:02d}",
                course="SPMS" if spms[i] else "PPMS",
                sex="F" if female[i] else "M",
                age=int(age[i]),
                disease_duration=round(float(duration[i]), 1),
                ambulatory=ambulatory,
                responder=bool(responder[i]),
                has_post=bool(has_post[i]),
                inflammation=round(float(inflammation[i]), 4),
                il8_low=bool(il8_low[i]),
                tgfb2_low=bool(tgfb2_low[i]),
                edss=edss,
                t25fw=t25fw,
            )
        )
    return subjects


def edss_course(rng: np.random.Generator, baseline: float, responder: bool) -> tuple[float, ...]:
    """EDSS at months 0, 9, 12, 30: responders improve by >= 0.5 from month 12 on."""
    if responder:
        month9 = baseline - float(rng.choice([0.0, 0.5]))
        month12 = max(3.0, baseline - float(rng.choice([0.5, 1.0])))
        month30 = min(baseline - 0.5, month12 + float(rng.choice([0.0, 0.0, 0.5])))
    else:
        month9 = baseline + float(rng.choice([0.0, 0.0, 0.5]))
        month12 = max(month9, baseline + float(rng.choice([0.0, 0.5])))
        month30 = min(8.0, month12 + float(rng.choice([0.0, 0.5, 1.0])))
    return (baseline, month9, month12, month30)


def edss_at_threshold(baseline: float, responder: bool) -> tuple[float, ...]:
    """EDSS at months 0, 9, 12, 30 at the responder threshold (0.5 better at month 12,
    sustained at 30 for a responder, not for a nonresponder)."""
    improved = baseline - 0.5
    return (baseline, baseline, improved, improved if responder else baseline)


def place_near_lloq(
    conc: dict[tuple[str, str], float],
    samples: Sequence[Sample],
    analytes: Sequence[Analyte],
    dilutions: dict[str, float],
    knobs: Difficulty,
    seed: int,
) -> None:
    """Put ``knobs.near_lloq`` of the samples, per analyte, near the lowest standard:
    in the well within a factor of 2 of it (log-uniform), from a stream of its own."""
    if knobs.near_lloq == 0:
        return
    for an in analytes:
        rng = np.random.default_rng([seed, 4, zlib.crc32(an.name.encode("utf-8"))])
        chosen = rng.choice(len(samples), size=round(knobs.near_lloq * len(samples)), replace=False)
        lowest = an.standards()[-1] * dilutions[an.name]
        for k in sorted(int(i) for i in chosen):
            factor = float(np.exp(rng.uniform(-np.log(2.0), np.log(2.0))))
            conc[samples[k].sample_id, an.name] = round(lowest * factor, 3)


def samples_of(subjects: Sequence[Subject]) -> list[Sample]:
    samples = []
    for s in subjects:
        samples.append(Sample(f"{s.subject_id}-BL", s.subject_id, "baseline"))
        if s.has_post:
            samples.append(Sample(f"{s.subject_id}-POST", s.subject_id, "post"))
    return samples


def simulate_concentrations(
    rng: np.random.Generator,
    subjects: Sequence[Subject],
    samples: Sequence[Sample],
    effect: float = 1.0,
) -> dict[tuple[str, str], float]:
    """True CSF concentrations (pg/mL, undiluted), log-linear in the latent factors;
    ``effect`` multiplies the log pre/post effects."""
    by_id = {s.subject_id: s for s in subjects}
    level = {s.subject_id: {name: rng.standard_normal() for name in ANALYTES} for s in subjects}
    il8_floor = {s.subject_id: rng.uniform(0.1, 0.3) for s in subjects}
    tgfb2_floor = {s.subject_id: rng.uniform(0.8, 1.8) for s in subjects}

    conc: dict[tuple[str, str], float] = {}
    for sample in samples:
        subj = by_id[sample.subject_id]
        z = level[subj.subject_id]
        post = sample.visit == "post"
        # A per-sample factor that moves CCL2 and TGF-b2 in opposite directions.
        shared = rng.standard_normal()
        noise = {name: rng.standard_normal() for name in ANALYTES}
        status = NONRESPONDER_EFFECT if not subj.responder else RESPONDER_EFFECT
        by_status = np.log(status) * effect if post else 0.0

        ccl2 = np.log(400.0) + 0.30 * subj.inflammation + 0.15 * z["CCL2"]
        ccl2 += (
            0.10 * shared
            + 0.06 * noise["CCL2"]
            + (np.log(POST_EFFECT["CCL2"]) * effect if post else 0)
        )

        tgfb2_base = tgfb2_floor[subj.subject_id] if subj.tgfb2_low else 250.0
        tgfb2 = np.log(tgfb2_base) - 0.25 * subj.inflammation + 0.15 * z["TGFB2"]
        tgfb2 += -0.10 * shared + 0.06 * noise["TGFB2"]
        tgfb2 += np.log(POST_EFFECT["TGFB2"]) * effect if post else 0.0

        hgf = np.log(450.0) + 0.025 * (subj.age - 50) + 0.03 * (subj.disease_duration - 12)
        hgf += 0.20 * z["HGF"] + 0.07 * noise["HGF"] + by_status

        cxcl12 = np.log(900.0) + 0.25 * z["CXCL12"] + 0.08 * noise["CXCL12"] + by_status

        il8_base = il8_floor[subj.subject_id] if subj.il8_low else 40.0
        il8 = np.log(il8_base) + 0.40 * z["IL8"] + 0.10 * noise["IL8"] + by_status

        # Post is a change from the true baseline, so the > 1000 subgroup is exactly known.
        # Clipped so that baseline NfL stays within about 400-4000 pg/mL.
        nfl_baseline = np.log(850.0) + 0.6 * float(np.clip(z["NfL"], -1.3, 2.5))
        nfl = nfl_baseline
        if post:
            nfl += 0.08 * noise["NfL"]
            if round(float(np.exp(nfl_baseline)), 3) > NFL_HIGH:
                nfl_effect = NFL_RESPONDER_EFFECT if subj.responder else NFL_NONRESPONDER_EFFECT
                nfl += np.log(nfl_effect) * effect

        for name, value in zip(ANALYTES, (ccl2, tgfb2, hgf, cxcl12, il8, nfl), strict=True):
            conc[sample.sample_id, name] = round(float(np.exp(value)), 3)
    return conc


def simulate_msd_concentrations(
    rng: np.random.Generator,
    subjects: Sequence[Subject],
    samples: Sequence[Sample],
    effect: float = 1.0,
) -> dict[tuple[str, str], float]:
    """True CSF IL-6 and TNF-alpha (pg/mL, undiluted): a few pg/mL, higher with
    inflammation, IL-6 down after treatment in responders."""
    by_id = {s.subject_id: s for s in subjects}
    level = {s.subject_id: rng.standard_normal(len(MSD_ANALYTES)) for s in subjects}
    conc: dict[tuple[str, str], float] = {}
    for sample in samples:
        subj = by_id[sample.subject_id]
        z = level[subj.subject_id]
        noise = rng.standard_normal(len(MSD_ANALYTES))
        post = sample.visit == "post"
        il6 = np.log(4.0) + 0.35 * subj.inflammation + 0.30 * z[0] + 0.08 * noise[0]
        il6 += np.log(0.8) * effect if post and subj.responder else 0.0
        tnfa = np.log(1.5) + 0.20 * subj.inflammation + 0.25 * z[1] + 0.08 * noise[1]
        conc[sample.sample_id, "IL6"] = round(float(np.exp(il6)), 3)
        conc[sample.sample_id, "TNFA"] = round(float(np.exp(tnfa)), 3)
    return conc


def subjects_table(subjects: Sequence[Subject]) -> tuple[list[str], list[list[str]]]:
    header = ["subject_id", "course", "sex", "age", "disease_duration", "ambulatory"]
    rows = [
        [
            s.subject_id,
            s.course,
            s.sex,
            str(s.age),
            f"{s.disease_duration:.1f}",
            yes_no(s.ambulatory),
        ]
        for s in subjects
    ]
    return header, rows


def outcomes_table(subjects: Sequence[Subject]) -> tuple[list[str], list[list[str]]]:
    header = ["subject_id", "month", "edss", "t25fw"]
    rows = [
        [s.subject_id, str(month), f"{edss:.1f}", "" if walk is None else f"{walk:.1f}"]
        for s in subjects
        for month, edss, walk in zip(MONTHS, s.edss, s.t25fw, strict=True)
    ]
    return header, rows


def truth_subjects_table(subjects: Sequence[Subject]) -> tuple[list[str], list[list[str]]]:
    header = ["subject_id", "responder", "has_post", "inflammation", "il8_low", "tgfb2_low"]
    rows = [
        [
            s.subject_id,
            yes_no(s.responder),
            yes_no(s.has_post),
            num(s.inflammation),
            yes_no(s.il8_low),
            yes_no(s.tgfb2_low),
        ]
        for s in subjects
    ]
    return header, rows
