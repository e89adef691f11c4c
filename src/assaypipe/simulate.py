"""A simulated reference study: sheets, plate exports and the truth behind them.

``simulate_study`` writes the CSF study of DESIGN.md (20 progressive-MS subjects, CSF
before and after treatment) as a lab would hand it over: config and sheets, two
xPONENT 4.x CSV exports, a Gen5-style plate-reader export with its plate map, and on
request (``msd=True``) an MSD Discovery Workbench table of a 2-plex cytokine plate. The
values used to make them go to a separate truth folder, so every stage of the
pipeline can be checked against known answers.

Choices worth knowing when reading the exports:

- xPONENT ``Result`` cells are ``NaN``: the protocol runs with analysis off
  (``ProtocolAnalysis,Off``), so the pipeline's own fit is the only one.
- ``Median`` is in half-MFI steps like the instrument's; ``Net MFI`` and
  ``Avg Net MFI`` are exact differences and means of those, as xPONENT prints them.
- Dates and times derive from the seed, never from the clock, so one seed gives
  byte-identical files.
- :class:`Difficulty` makes the study harder (noise, plate drift, hooked curves, kit
  unit, effect sizes, samples near the LLOQ, borderline responders); each knob draws
  from a stream of its own, so at its defaults the files are those of the demo study.
- Repeat runs of a kit (``n_plates`` above 3) share the kit lot of its first plate.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np

from assaypipe.vocabulary import Role

__all__ = [
    "DEFAULT_SEED",
    "MSD_ANALYTES",
    "UNITS",
    "Difficulty",
    "SimulatedStudy",
    "simulate_study",
]

DEFAULT_SEED = 20261121

ROWS = "ABCDEFGH"
N_COLUMNS = 12
N_SUBJECTS = 20
N_BASELINE_ONLY = 2
MONTHS = (0, 9, 12, 30)
N_STANDARDS = 7
DILUTION_STEP = 4.0
CONTROL_FRACTIONS = (0.15, 0.015)  # of the top standard: both well inside the curve
LUMINEX_SIGMA = 0.06
OD_SIGMA = 0.05
PER_BEAD = 50
MEAN_BEAD_COUNT = 90
ELISA_DILUTION = 2.0

POST_EFFECT = {"CCL2": 0.75, "TGFB2": 1.20}
# HGF, CXCL12 and IL-8 change by responder status, not by visit alone.
RESPONDER_EFFECT = 0.95
NONRESPONDER_EFFECT = 1.30
NFL_HIGH = 1000.0
NFL_RESPONDER_EFFECT = 0.70
NFL_NONRESPONDER_EFFECT = 1.30


# The kit units the simulator can state; concentrations are divided by the factor.
UNITS = {"pg/mL": 1.0, "ng/mL": 1000.0}
# A hooked curve's signal is multiplied by 1 / (1 + (conc / (top * HOOK_AT))**2): the
# top standard keeps a fifth of its signal, the second four fifths.
HOOK_AT = 0.5


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
    """

    noise: float = 1.0
    drift: float = 0.0
    hook: float = 0.0
    unit: str = "pg/mL"
    effect: float = 1.0
    near_lloq: float = 0.0
    borderline: float = 0.0

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
class SimulatedStudy:
    """Paths written by :func:`simulate_study`."""

    root: Path
    config: Path
    analytes: Path
    subjects: Path
    outcomes: Path
    samples: Path
    plates: tuple[Path, ...]
    layouts: tuple[Path, ...]
    truth_dir: Path
    truth_subjects: Path
    truth_samples: Path
    truth_curves: Path
    truth_wells: Path


@dataclass(frozen=True)
class _Analyte:
    name: str
    export_name: str
    bead_id: int
    top: float
    nominal: tuple[float, float, float, float, float]  # a, b, c, d, g

    def standards(self) -> list[float]:
        return [self.top / DILUTION_STEP**i for i in range(N_STANDARDS)]

    def controls(self) -> list[float]:
        return [_round_sig(self.top * f, 2) for f in CONTROL_FRACTIONS]


# Nominal curves in the well's concentration (pg/mL); each plate draws its own around them.
LUMINEX_4PLEX = (
    _Analyte("CCL2", "MCP-1", 29, 10000.0, (35.0, 1.05, 4000.0, 22000.0, 0.9)),
    _Analyte("HGF", "HGF", 35, 20000.0, (30.0, 1.0, 9000.0, 18000.0, 1.0)),
    _Analyte("CXCL12", "SDF-1a", 62, 40000.0, (45.0, 1.1, 15000.0, 16000.0, 1.0)),
    _Analyte("IL8", "IL-8", 78, 2000.0, (25.0, 1.0, 700.0, 25000.0, 1.1)),
)
LUMINEX_TGFB2 = (_Analyte("TGFB2", "TGF-beta2", 45, 10000.0, (50.0, 0.95, 3500.0, 20000.0, 1.0)),)
ELISA_NFL = _Analyte("NfL", "NfL", 0, 10000.0, (0.05, 1.1, 2500.0, 3.0, 1.0))
ANALYTES = ("CCL2", "TGFB2", "HGF", "CXCL12", "IL8", "NfL")
# The MSD plate's 2-plex (spot 1 and 2): nominal ECL curves in the well's concentration.
MSD_2PLEX = (
    _Analyte("IL6", "IL-6", 1, 500.0, (180.0, 1.0, 900.0, 2.0e6, 1.0)),
    _Analyte("TNFA", "TNF-alpha", 2, 250.0, (150.0, 1.05, 600.0, 1.5e6, 1.0)),
)
MSD_ANALYTES = tuple(an.name for an in MSD_2PLEX)
MSD_SIGMA = 0.05
MSD_DILUTION = 2.0
# Alias rows the study's analyte table gets with the MSD plate.
MSD_ALIASES = (
    ("IL6", "IL6", "IL-6"),
    ("IL-6", "IL6", "IL-6"),
    ("TNFA", "TNFA", "TNF-α"),
    ("TNF-alpha", "TNFA", "TNF-α"),
)

# xPONENT 4.3 calibration records; they set the row width every other row is padded to.
CLASSIFICATION_CALIBRATOR_HEADER = (
    "Lot", "ExpirationDate", "CalibrationTime", "DDTemp", "CL1Temp", "CL2Temp", "CL3Temp",
    "DDVolts", "CL1Volts", "CL2Volts", "CL3Volts", "DDRVal", "CL1RVal", "CL2RVal", "CL3RVal",
    "Result", "MachineSerialNo",
)  # fmt: skip
CLASSIFICATION_CALIBRATOR_VALUES = (
    "24.5", "24.5", "24.6", "24.6", "80", "110", "120", "115", "550", "1200", "1300", "1300",
    "Pass",
)  # fmt: skip
REPORTER_CALIBRATOR_HEADER = (
    "Lot", "ExpirationDate", "CalibrationTime", "RP1Volts", "RP1Val", "Result", "MachineSerialNo",
)  # fmt: skip


@dataclass(frozen=True)
class _Curve:
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
class _Subject:
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
class _Sample:
    sample_id: str
    subject_id: str
    visit: str


@dataclass(frozen=True)
class _Well:
    well: str
    role: str
    name: str  # xPONENT Sample name
    sample_id: str
    level: int | None


@dataclass(frozen=True)
class _PlateRun:
    """What an instrument measured on one plate, in acquisition order."""

    plate_id: str
    analytes: tuple[_Analyte, ...]
    curves: tuple[_Curve, ...]
    conc: np.ndarray  # wells x analytes, in the well
    signal: np.ndarray  # wells x analytes
    counts: np.ndarray  # wells x analytes (zeros for a plate reader)
    bad_well: int | None
    started: datetime


def simulate_study(
    out: Path,
    seed: int = DEFAULT_SEED,
    truth_dir: Path | None = None,
    n_plates: int = 3,
    bad_share: float = 0.01,
    msd: bool = False,
    difficulty: Difficulty | None = None,
) -> SimulatedStudy:
    """Write the simulated study under ``out`` and its truth under ``truth_dir``.

    ``truth_dir`` defaults to ``out/truth``; it may not lie under ``out/resources``,
    where the pipeline looks for inputs.

    The study has three plates (4-plex Luminex, TGF-β2 Luminex, NfL ELISA). With
    ``n_plates`` above three, the same samples are run again on further plates of the
    three kinds in turn (``luminex_4plex_P0002``, ...), as a lab repeating a panel, and
    about ``bad_share`` of the extra files are unusable (empty, binary, or not a plate
    export). The truth of extra plates is their curves (``truth_curves.tsv``) and which
    files are bad (``truth_files.tsv``); well-level truth covers the first three plates.

    With ``msd`` the study also holds ``msd_cytokine_P1.csv``, an MSD Discovery
    Workbench table of IL-6 and TNF-alpha (spots 1 and 2) on the same samples, diluted
    1:2, with its analytes in the alias table and its truth beside the others'; the
    default study is unchanged.

    ``difficulty`` (:class:`Difficulty`) makes the study harder: more noise, plate
    drift, hooked curves, another kit unit, other effect sizes. Its defaults give the
    same bytes as no ``difficulty``; knob draws come from streams of their own.
    """
    knobs = difficulty if difficulty is not None else Difficulty()
    if n_plates < 3:
        raise ValueError("a simulated study has at least its three plates")
    out = Path(out)
    truth = Path(truth_dir) if truth_dir is not None else out / "truth"
    resources_dir = out / "resources"
    if truth.resolve().is_relative_to(resources_dir.resolve()):
        raise ValueError(f"truth_dir {truth} lies under {resources_dir}, among the inputs")

    rng = np.random.default_rng(seed)
    # Independent streams, so changing one part leaves the draws of the others alone.
    rng_subjects, rng_conc, rng_4plex, rng_tgfb2, rng_elisa, rng_dates = rng.spawn(6)

    subjects = _simulate_subjects(rng_subjects, knobs.borderline, seed)
    samples = _samples_of(subjects)
    true_conc = _simulate_concentrations(rng_conc, subjects, samples, knobs.effect)
    kit_analytes = (*LUMINEX_4PLEX, *LUMINEX_TGFB2)
    dilutions = {an.name: 1.0 for an in kit_analytes} | {ELISA_NFL.name: ELISA_DILUTION}
    _place_near_lloq(true_conc, samples, (*kit_analytes, ELISA_NFL), dilutions, knobs, seed)
    layout = _plate_layout(samples)
    day = datetime(2024, 1, 8, 9, 0) + timedelta(
        days=int(rng_dates.integers(0, 540)), seconds=int(rng_dates.integers(0, 90 * 60))
    )

    config_dir = out / "config"
    plates_dir = resources_dir / "plates"
    layouts_dir = resources_dir / "layouts"
    for folder in (config_dir, plates_dir, layouts_dir, truth):
        folder.mkdir(parents=True, exist_ok=True)
    if knobs.unit != "pg/mL":
        (config_dir / "kits").mkdir(exist_ok=True)

    package_data = resources.files("assaypipe") / "data"
    config = config_dir / "config.yaml"
    analytes = config_dir / "analytes.tsv"
    config_text = (package_data / "default_config.yaml").read_bytes()
    if knobs.unit != "pg/mL":
        # The NfL subgroup's threshold is in the study unit: 1000 pg/mL.
        old = b"\n  threshold: 1000\n"
        new = f"\n  threshold: {_num(knobs.conc(NFL_HIGH))}\n".encode()
        if config_text.count(old) != 1:
            raise RuntimeError("the default config's subgroup threshold is not 1000")
        config_text = config_text.replace(old, new)
    config.write_bytes(config_text)
    analytes.write_bytes((package_data / "analytes.tsv").read_bytes())

    subjects_tsv = config_dir / "subjects.tsv"
    outcomes_tsv = config_dir / "outcomes.tsv"
    samples_tsv = config_dir / "samples.tsv"
    _write_tsv(subjects_tsv, *_subjects_table(subjects))
    _write_tsv(outcomes_tsv, *_outcomes_table(subjects))
    _write_tsv(
        samples_tsv,
        ["sample_id", "subject_id", "visit", "matrix"],
        [[s.sample_id, s.subject_id, s.visit, "CSF"] for s in samples],
    )

    tgfb2_start = day + timedelta(hours=4, seconds=int(rng_dates.integers(0, 40 * 60)))
    elisa_start = day + timedelta(days=2, hours=1, seconds=int(rng_dates.integers(0, 50 * 60)))
    runs = [
        _run_plate(
            rng_4plex, "luminex_4plex_P1", LUMINEX_4PLEX, layout, true_conc, day,
            knobs=knobs, seed=seed,
        ),
        _run_plate(
            rng_tgfb2, "luminex_tgfb2_P1", LUMINEX_TGFB2, layout, true_conc, tgfb2_start,
            knobs=knobs, seed=seed,
        ),
        _run_plate(
            rng_elisa, "elisa_nfl_P1", (ELISA_NFL,), layout, true_conc, elisa_start,
            sample_dilution=ELISA_DILUTION, luminex=False, knobs=knobs, seed=seed,
        ),
    ]  # fmt: skip
    reference = np.round(0.04 + 0.005 * rng_elisa.standard_normal((len(ROWS), N_COLUMNS)), 3)

    # Both Luminex plates ran on the same instrument.
    serial = f"FM3DD{int(rng_dates.integers(10_000, 99_999))}"
    plates: list[Path] = []
    # Each kit's lot, from its first plate: the repeat runs of a kit use the same lot.
    kit_lots: dict[str, int] = {}
    for run in runs[:2]:
        path = plates_dir / f"{run.plate_id}.csv"
        text, kit_lots[_kit_of(run.plate_id)] = _xponent_csv(
            run, layout, serial, rng_dates, knobs.unit
        )
        _write_text(path, text, "\r\n")
        plates.append(path)
    elisa = runs[2]
    elisa_path = plates_dir / f"{elisa.plate_id}.txt"
    _write_text(elisa_path, _gen5_text(elisa, layout, reference, rng_dates), "\r\n")
    plates.append(elisa_path)
    layout_path = layouts_dir / f"{elisa.plate_id}.csv"
    plate_map = _plate_map_csv(layout, ELISA_NFL, ELISA_DILUTION, knobs)
    _write_text(layout_path, plate_map, "\n")
    if msd:
        # Its own streams, drawn after all the others: the default study stays as it is.
        rng_msd_conc, rng_msd = rng.spawn(2)
        msd_conc = _simulate_msd_concentrations(rng_msd_conc, subjects, samples, knobs.effect)
        msd_dilutions = {an.name: MSD_DILUTION for an in MSD_2PLEX}
        _place_near_lloq(msd_conc, samples, MSD_2PLEX, msd_dilutions, knobs, seed)
        true_conc.update(msd_conc)
        msd_start = day + timedelta(days=1, hours=2, seconds=int(rng_msd.integers(0, 3600)))
        msd_run = _run_plate(
            rng_msd, "msd_cytokine_P1", MSD_2PLEX, layout, true_conc, msd_start,
            sample_dilution=MSD_DILUTION, luminex=False, ecl=True, knobs=knobs, seed=seed,
        )  # fmt: skip
        runs.append(msd_run)
        msd_path = plates_dir / f"{msd_run.plate_id}.csv"
        _write_text(msd_path, _workbench_csv(msd_run, layout, knobs), "\r\n")
        plates.append(msd_path)
        with analytes.open("a", encoding="utf-8", newline="\n") as table:
            table.writelines("\t".join(row) + "\n" for row in MSD_ALIASES)
        if knobs.unit != "pg/mL":
            text = _kit_yaml("msd_cytokine", "SIM-MSD", MSD_2PLEX, knobs)
            _write_text(config_dir / "kits" / "msd_cytokine_lotSIM-MSD.yaml", text, "\n")

    if knobs.unit != "pg/mL":
        # The kit certificates state the unit, also the ELISA's, whose export states none.
        lots = {**{kit: str(lot) for kit, lot in kit_lots.items()}, "elisa_nfl": "SIM-NFL"}
        for kit, analytes_of_kit in (
            ("luminex_4plex", LUMINEX_4PLEX),
            ("luminex_tgfb2", LUMINEX_TGFB2),
            ("elisa_nfl", (ELISA_NFL,)),
        ):
            text = _kit_yaml(kit, lots[kit], analytes_of_kit, knobs)
            _write_text(config_dir / "kits" / f"{kit}_lot{lots[kit]}.yaml", text, "\n")
    extra_runs, bad_files = _write_repeat_plates(
        seed, n_plates - 3, bad_share, layout, true_conc, day, plates_dir, layouts_dir, serial,
        knobs, kit_lots,
    )  # fmt: skip
    plates.extend(bad_files)
    plates.extend(plates_dir / name for name in extra_runs)
    _write_tsv(
        truth / "truth_files.tsv",
        ["file", "bad"],
        [[p.name, _bool(p in bad_files)] for p in sorted(plates)],
    )

    truth_subjects = truth / "truth_subjects.tsv"
    truth_samples = truth / "truth_samples.tsv"
    truth_curves = truth / "truth_curves.tsv"
    truth_wells = truth / "truth_wells.tsv"
    _write_tsv(truth_subjects, *_truth_subjects_table(subjects))
    _write_tsv(
        truth_samples,
        ["sample_id", "subject_id", "visit", "analyte", "true_conc"],
        [
            [
                s.sample_id,
                s.subject_id,
                s.visit,
                name,
                _num(knobs.conc(true_conc[s.sample_id, name])),
            ]
            for s in samples
            for name in (*ANALYTES, *(MSD_ANALYTES if msd else ()))
        ],
    )
    _write_tsv(
        truth_curves,
        ["plate_id", "analyte", "a", "b", "c", "d", "g"],
        [
            [
                run.plate_id,
                an.name,
                *(_num(v) for v in (cv.a, cv.b, knobs.conc(cv.c), cv.d, cv.g)),
            ]
            for run in [*runs, *extra_runs.values()]
            for an, cv in zip(run.analytes, run.curves, strict=True)
        ],
    )
    _write_tsv(truth_wells, *_truth_wells_table(runs, layout, knobs))

    return SimulatedStudy(
        root=out,
        config=config,
        analytes=analytes,
        subjects=subjects_tsv,
        outcomes=outcomes_tsv,
        samples=samples_tsv,
        plates=tuple(sorted(plates)),
        layouts=tuple(sorted(layouts_dir.glob("*.csv"))),
        truth_dir=truth,
        truth_subjects=truth_subjects,
        truth_samples=truth_samples,
        truth_curves=truth_curves,
        truth_wells=truth_wells,
    )


def _write_repeat_plates(
    seed: int,
    n_extra: int,
    bad_share: float,
    layout: Sequence[_Well],
    true_conc: dict[tuple[str, str], float],
    day: datetime,
    plates_dir: Path,
    layouts_dir: Path,
    serial: str,
    knobs: Difficulty,
    kit_lots: dict[str, int],
) -> tuple[dict[str, _PlateRun], list[Path]]:
    """Further runs of the three plate kinds, and a few unusable files among them."""
    kinds = [
        ("luminex_4plex", LUMINEX_4PLEX, True),
        ("luminex_tgfb2", LUMINEX_TGFB2, True),
        ("elisa_nfl", (ELISA_NFL,), False),
    ]
    runs: dict[str, _PlateRun] = {}
    bad: list[Path] = []
    n_bad = round(n_extra * bad_share)
    bad_every = n_extra // n_bad if n_bad else 0
    for k in range(n_extra):
        # One stream per plate: plate k's draws do not depend on how many plates there are.
        rng = np.random.default_rng([seed, 1, k])
        if bad_every and k % bad_every == bad_every // 2 and len(bad) < n_bad:
            bad.append(_write_bad_file(rng, plates_dir, k, kind=len(bad) % 3))
            continue
        name, analytes, luminex = kinds[k % 3]
        plate_id = f"{name}_P{k // 3 + 2:04d}"
        started = day + timedelta(days=3 + k // 3, seconds=int(rng.integers(0, 8 * 3600)))
        dilution = 1.0 if luminex else ELISA_DILUTION
        run = _run_plate(
            rng, plate_id, analytes, layout, true_conc, started,
            sample_dilution=dilution, luminex=luminex, knobs=knobs, seed=seed,
        )  # fmt: skip
        if luminex:
            path = plates_dir / f"{plate_id}.csv"
            text, _ = _xponent_csv(run, layout, serial, rng, knobs.unit, kit_lots[name])
            _write_text(path, text, "\r\n")
        else:
            reference = np.round(0.04 + 0.005 * rng.standard_normal((len(ROWS), N_COLUMNS)), 3)
            path = plates_dir / f"{plate_id}.txt"
            _write_text(path, _gen5_text(run, layout, reference, rng), "\r\n")
            plate_map = _plate_map_csv(layout, ELISA_NFL, ELISA_DILUTION, knobs)
            _write_text(layouts_dir / f"{plate_id}.csv", plate_map, "\n")
        runs[path.name] = run
    return runs, bad


def _write_bad_file(rng: np.random.Generator, plates_dir: Path, k: int, kind: int) -> Path:
    if kind == 0:
        path = plates_dir / f"unreadable_{k:04d}.csv"
        path.write_bytes(b"")
    elif kind == 1:
        path = plates_dir / f"unreadable_{k:04d}.csv"
        path.write_bytes(b"\x00" + rng.bytes(2047))
    else:
        path = plates_dir / f"unreadable_{k:04d}.txt"
        path.write_text("Run notes\nPlate reader jammed, rerun on Monday\n", encoding="utf-8")
    return path


# --- subjects, outcomes, concentrations --------------------------------------------------


def _simulate_subjects(
    rng: np.random.Generator, borderline: float = 0.0, seed: int = DEFAULT_SEED
) -> list[_Subject]:
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
        edss = _edss_course(rng, float(baseline[i]), bool(responder[i]))
        if at_threshold[i]:
            edss = _edss_at_threshold(float(baseline[i]), bool(responder[i]))
        ambulatory = edss[0] <= 6.5
        t25fw: tuple[float | None, ...] = tuple(
            round(4.5 * float(np.exp(0.35 * (e - 3.0) + rng.normal(0.0, 0.08))), 1)
            if ambulatory
            else None
            for e in edss
        )
        subjects.append(
            _Subject(
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


def _edss_course(rng: np.random.Generator, baseline: float, responder: bool) -> tuple[float, ...]:
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


def _edss_at_threshold(baseline: float, responder: bool) -> tuple[float, ...]:
    """EDSS at months 0, 9, 12, 30 at the responder threshold (0.5 better at month 12,
    sustained at 30 for a responder, not for a nonresponder)."""
    improved = baseline - 0.5
    return (baseline, baseline, improved, improved if responder else baseline)


def _place_near_lloq(
    conc: dict[tuple[str, str], float],
    samples: Sequence[_Sample],
    analytes: Sequence[_Analyte],
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


def _samples_of(subjects: Sequence[_Subject]) -> list[_Sample]:
    samples = []
    for s in subjects:
        samples.append(_Sample(f"{s.subject_id}-BL", s.subject_id, "baseline"))
        if s.has_post:
            samples.append(_Sample(f"{s.subject_id}-POST", s.subject_id, "post"))
    return samples


def _simulate_concentrations(
    rng: np.random.Generator,
    subjects: Sequence[_Subject],
    samples: Sequence[_Sample],
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


def _simulate_msd_concentrations(
    rng: np.random.Generator,
    subjects: Sequence[_Subject],
    samples: Sequence[_Sample],
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


def _subjects_table(subjects: Sequence[_Subject]) -> tuple[list[str], list[list[str]]]:
    header = ["subject_id", "course", "sex", "age", "disease_duration", "ambulatory"]
    rows = [
        [
            s.subject_id,
            s.course,
            s.sex,
            str(s.age),
            f"{s.disease_duration:.1f}",
            _bool(s.ambulatory),
        ]
        for s in subjects
    ]
    return header, rows


def _outcomes_table(subjects: Sequence[_Subject]) -> tuple[list[str], list[list[str]]]:
    header = ["subject_id", "month", "edss", "t25fw"]
    rows = [
        [s.subject_id, str(month), f"{edss:.1f}", "" if walk is None else f"{walk:.1f}"]
        for s in subjects
        for month, edss, walk in zip(MONTHS, s.edss, s.t25fw, strict=True)
    ]
    return header, rows


def _truth_subjects_table(subjects: Sequence[_Subject]) -> tuple[list[str], list[list[str]]]:
    header = ["subject_id", "responder", "has_post", "inflammation", "il8_low", "tgfb2_low"]
    rows = [
        [
            s.subject_id,
            _bool(s.responder),
            _bool(s.has_post),
            _num(s.inflammation),
            _bool(s.il8_low),
            _bool(s.tgfb2_low),
        ]
        for s in subjects
    ]
    return header, rows


# --- plates ------------------------------------------------------------------------------


def _plate_layout(samples: Sequence[_Sample]) -> list[_Well]:
    """96 wells in acquisition order (A1, B1, ..., H12), duplicates side by side.

    Columns 1-2: blank and standards 1-7; columns 3-4: two controls, then samples
    fill the rest down the columns, pairs of columns holding the two replicates.
    """
    first = [_Well("", Role.BLANK, "Background0", "", None)]
    first += [_Well("", Role.STANDARD, f"Standard{k}", "", k) for k in range(1, N_STANDARDS + 1)]
    rest = [_Well("", Role.CONTROL, f"Control{k}", f"Control{k}", k) for k in (1, 2)]
    rest += [_Well("", Role.SAMPLE, s.sample_id, s.sample_id, None) for s in samples]
    if len(first) + len(rest) != len(ROWS) * N_COLUMNS // 2:
        raise ValueError(f"{len(samples)} samples do not fill a 96-well plate in duplicate")
    contents = first + rest

    wells: list[_Well] = []
    for col in range(1, N_COLUMNS + 1):
        pair = (col - 1) // 2
        for r, row in enumerate(ROWS):
            c = contents[pair * len(ROWS) + r]
            wells.append(_Well(f"{row}{col}", c.role, c.name, c.sample_id, c.level))
    return wells


def _run_plate(
    rng: np.random.Generator,
    plate_id: str,
    analytes: tuple[_Analyte, ...],
    layout: Sequence[_Well],
    true_conc: dict[tuple[str, str], float],
    started: datetime,
    *,
    sample_dilution: float = 1.0,
    luminex: bool = True,
    ecl: bool = False,
    knobs: Difficulty | None = None,
    seed: int = DEFAULT_SEED,
) -> _PlateRun:
    knobs = knobs if knobs is not None else Difficulty()
    curves = _harden(
        tuple(_draw_curve(rng, an) for an in analytes), analytes, plate_id, luminex, knobs, seed
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
    return _PlateRun(plate_id, analytes, curves, conc, signal, counts, bad_well, started)


def _harden(
    curves: tuple[_Curve, ...],
    analytes: tuple[_Analyte, ...],
    plate_id: str,
    luminex: bool,
    knobs: Difficulty,
    seed: int,
) -> tuple[_Curve, ...]:
    """The plate's curves with its drift and hooks. Their draws come from a stream of
    the seed and the plate id alone, so the knobs leave every other draw as it was."""
    if knobs.drift == 0 and (knobs.hook == 0 or not luminex):
        return curves
    rng = np.random.default_rng([seed, 2, zlib.crc32(plate_id.encode("utf-8"))])
    top, middle = np.exp(rng.normal(0.0, knobs.drift, 2))
    hooked = rng.random(len(curves)) < knobs.hook if luminex else np.zeros(len(curves), bool)
    return tuple(
        _Curve(
            cv.a,
            cv.b,
            _round_sig(cv.c * float(middle), 4),
            _round_sig(cv.d * float(top), 4),
            cv.g,
            hook_at=an.top * HOOK_AT if hook else None,
        )
        for cv, an, hook in zip(curves, analytes, hooked, strict=True)
    )


def _kit_yaml(kit: str, lot: str, analytes: Sequence[_Analyte], knobs: Difficulty) -> str:
    """A kit file (docs/qc.md) of a simulated kit: its unit and control ranges."""
    lines = [
        f"# Certificate of the simulated {kit} kit: control ranges in the kit unit.",
        f"kit: {kit}",
        f'lot: "{lot}"',
        f"unit: {knobs.unit}",
        f'plates: ["{kit}_*"]',
        "controls:",
    ]
    for k in range(len(CONTROL_FRACTIONS)):
        lines.append(f"  Control{k + 1}:")
        for an in analytes:
            low, high = (_num(knobs.conc(round(an.controls()[k] * f, 3))) for f in (0.7, 1.3))
            lines.append(f"    {an.name}: [{low}, {high}]")
    return "\n".join(lines) + "\n"


def _kit_of(plate_id: str) -> str:
    """The kit a simulated plate ran with: its id without the run (``luminex_4plex``)."""
    return plate_id.rsplit("_P", 1)[0]


def _draw_curve(rng: np.random.Generator, analyte: _Analyte) -> _Curve:
    a, b, c, d, g = analyte.nominal
    spread = (0.15, 0.04, 0.10, 0.06, 0.04)
    drawn = [
        _round_sig(v * float(np.exp(rng.normal(0.0, s))), 4)
        for v, s in zip((a, b, c, d, g), spread, strict=True)
    ]
    return _Curve(*drawn)


def _xponent_csv(
    run: _PlateRun,
    layout: Sequence[_Well],
    serial: str,
    rng: np.random.Generator,
    unit: str = "pg/mL",
    kit_lot: int | None = None,
) -> tuple[str, int]:
    """The export's text and its kit lot (``kit_lot``, else one drawn for the plate)."""
    knobs = Difficulty(unit=unit)
    names = [an.export_name for an in run.analytes]
    n = len(names)
    start = run.started
    stop = start + timedelta(minutes=int(rng.integers(55, 80)), seconds=int(rng.integers(0, 60)))
    calibrated = start - timedelta(days=int(rng.integers(1, 20)), hours=int(rng.integers(0, 8)))
    stamp = _long_stamp(calibrated)
    expiry = start + timedelta(days=300)
    expires = f"{expiry.month:02d}/28/{expiry.year}"
    lot = int(rng.integers(1_000_000, 9_999_999))
    lot = kit_lot if kit_lot is not None else lot  # drawn all the same: the rest stays put
    background = np.array([w.role == Role.BLANK for w in layout])
    net = run.signal - run.signal[background].mean(axis=0)
    total_events = run.counts.sum(axis=1) + rng.poisson(0.4 * run.counts.sum(axis=1))

    rows: list[list[str]] = [
        ["Program", "xPONENT", "", "FlexMAP 3D"],
        ["Build", "4.3.309.1"],
        ["Date", f"{start.month:02d}/{start.day:02d}/{start.year}", _clock(start, seconds=False)],
        [],
        ["SN", serial],
        ["Batch", run.plate_id],
        ["Version", "1"],
        ["Operator", "lab"],
        ["ComputerName", "LUMINEX-PC"],
        ["Country Code", "409"],
        ["ProtocolName", f"CSF {run.plate_id.split('_')[1]} undiluted"],
        ["ProtocolVersion", "1"],
        ["ProtocolDescription", "<None>"],
        ["ProtocolDevelopingCompany", "N/A"],
        ["SampleVolume", "50 uL"],
        ["DDGate", "7500 to 15000"],
        ["SampleTimeout", "60 sec"],
        ["BatchStartTime", _long_stamp(start)],
        ["BatchStopTime", _long_stamp(stop)],
        ["BatchDescription", "<None>"],
        ["ProtocolPlate", "Name", "plate", "Type", "96", "Plates", "1"],
        ["ProtocolMicrosphere", "Map", "FlexMAP 3D Map", "Type", "MagPlex", "Count", str(n)],
        ["ProtocolReporterGain", "Standard PMT"],
        ["ProtocolAnalysis", "Off"],
        ["NormBead", "None"],
        ["ProtocolHeater", "Off"],
        [],
        ["Most Recent Calibration and Verification Results:"],
        ["Last F3DeCAL1 Calibration", stamp],
        ["Last F3DCAL2 Calibration", stamp],
        ["Last F3DeVER1 Verification", stamp],
        ["Last F3DVER2 Verification", stamp],
        ["Last Fluidics Test", stamp],
        [],
        ["CALInfo:"],
        ["Classification Calibrator Extended"],
        list(CLASSIFICATION_CALIBRATOR_HEADER),
        [f"B{lot % 100000}", expires, stamp, *CLASSIFICATION_CALIBRATOR_VALUES, serial],
        ["Reporter Calibrator"],
        list(REPORTER_CALIBRATOR_HEADER),
        [f"B{(lot + 17) % 100000}", expires, stamp, "750", "15750", "Pass", serial],
        [],
        ["AssayLotInfo:"],
        ["KitName", "LotNumber", "ExpirationDate", "Manufacturer"],
        [f"CSF {n}-plex magnetic bead kit", str(lot), expires, "Simulated"],
        [],
        ["Reagent", "LotName", "LotNumber", "ExpirationDate", "Manufacturer"],
    ]
    reagents = [f"Standard{k}" for k in range(1, N_STANDARDS + 1)] + ["Control1", "Control2"]
    rows += [[r, r, str(lot + 1 + k), expires, "Simulated"] for k, r in enumerate(reagents)]
    rows += [[], ["Samples", str(len(layout)), "Min Events", str(PER_BEAD), "Per Bead"]]
    rows += [[], ["Results"]]

    locations = [f'"{i + 1}(1,{w.well})"' for i, w in enumerate(layout)]

    def per_well(kind: str, cells: Iterable[Sequence[str]], with_total: bool = True) -> None:
        header = ["Location", "Sample", *names] + (["Total Events"] if with_total else [])
        rows.extend([[], ["DataType:", kind], header])
        for i, (loc, w, values) in enumerate(zip(locations, layout, cells, strict=True)):
            rows.append([loc, w.name, *values] + ([str(total_events[i])] if with_total else []))

    per_well("Median", ([_fmt(v, 1) for v in r] for r in run.signal))
    per_well("Net MFI", ([_fmt(v, 2) for v in r] for r in net))
    per_well("Count", ([str(int(v)) for v in r] for r in run.counts))
    per_well("Result", (["NaN"] * n for _ in layout))

    rows.extend([[], ["DataType:", "Avg Net MFI"], ["Sample", *names]])
    for group in _replicate_groups(layout):
        members = [i for i, w in enumerate(layout) if w.name == group]
        rows.append([group, *(_fmt(v, 3) for v in net[members].mean(axis=0))])

    per_well("Comments", ([""] * n for _ in layout), with_total=False)

    rows.extend([[], ["DataType:", "Units"], ["Analyte:", *names]])
    rows.append(["BeadID:", *(str(an.bead_id) for an in run.analytes)])
    rows.append(["Units:", *([unit] * n)])

    rows.extend([[], ["DataType:", "Standard Expected Concentration"], ["Reagent", *names]])
    for k in range(N_STANDARDS):
        standards = (_num(knobs.conc(an.standards()[k])) for an in run.analytes)
        rows.append([f"Standard{k + 1}", *standards])
    for block, factor in (
        ("Control Expected Concentration", 1.0),
        ("Control Range - Low", 0.7),
        ("Control Range - High", 1.3),
    ):
        rows.extend([[], ["DataType:", block], ["Reagent", *names]])
        for k in range(len(CONTROL_FRACTIONS)):
            values = (_num(knobs.conc(round(an.controls()[k] * factor, 3))) for an in run.analytes)
            rows.append([f"Control{k + 1}", *values])

    rows.extend([[], ["DataType:", "Per Bead Count"], ["Analyte:", *names]])
    rows.append(["BeadID:", *(str(an.bead_id) for an in run.analytes)])
    rows.append(["Per Bead:", *([str(PER_BEAD)] * n)])

    rows.extend([[], ["DataType:", "Dilution Factor"], ["Location", "Sample", "Dilution Factor"]])
    rows.extend([loc, w.name, "1"] for loc, w in zip(locations, layout, strict=True))

    rows.extend([[], ["DataType:", "Analysis Types"], ["Analyte:", *names]])
    rows.append(["AnalysisType", *(["None"] * n)])
    rows.extend([[], ["DataType:", "Audit Logs"], ["UserId", "Date", "Message"]])
    rows.extend([[], ["DataType:", "Warnings/Errors"], ["Location", "Status", "Message"]])
    if run.bad_well is not None:
        where = f'"1,{layout[run.bad_well].well}"'
        for message in (
            "The acquisition had at least one region that did not reach the specified count.",
            "The sample timed out before reaching the specified count.",
        ):
            rows.append([where, "Warning", message])
    rows.append([])

    width = max(len(r) for r in rows)
    lines = [",".join(r + [""] * (width - len(r))) for r in rows]
    body = "".join(line + "\r\n" for line in lines)
    crc = zlib.crc32(body.encode("utf-8"))
    lines += [",".join(["-- CRC --"] + [""] * (width - 1))]
    lines += [",".join([f"CRC32: {crc:08X}"] + [""] * (width - 1))]
    return "\n".join(lines) + "\n", lot


def _replicate_groups(layout: Sequence[_Well]) -> list[str]:
    """Replicate groups in xPONENT's order: controls, standards, then samples."""
    order: dict[str, int] = {Role.CONTROL: 0, Role.STANDARD: 1, Role.SAMPLE: 2}
    seen: dict[str, tuple[int, int]] = {}
    for i, w in enumerate(layout):
        if w.role in order and w.name not in seen:
            seen[w.name] = (order[w.role], w.level if w.level is not None else i)
    return sorted(seen, key=lambda name: seen[name])


def _workbench_csv(run: _PlateRun, layout: Sequence[_Well], knobs: Difficulty) -> str:
    """An MSD Discovery Workbench data table of the run: one row per well and spot.

    Calibrators are S001..S007 with their concentrations, the blank wells the zero
    calibrator S008, controls C001/C002 with theirs; samples carry their id and the
    dilution. Workbench's own concentrations are left out (the lab exported signals).
    """
    header = [
        "Sample", "Assay", "Well", "Spot", "Dilution", "Concentration", "Signal",
        "Adjusted Signal", "Mean", "Adj. Sig. Mean", "CV",
    ]  # fmt: skip
    lines = [f"Plate_{run.plate_id.upper()}", ",".join(header)]
    names = [_workbench_name(w) for w in layout]
    for j, analyte in enumerate(run.analytes):
        signal = run.signal[:, j]
        for i, w in enumerate(layout):
            group = [k for k, name in enumerate(names) if name == names[i]]
            mean = float(np.mean(signal[group]))
            cv = 100 * float(np.std(signal[group], ddof=1)) / mean if len(group) > 1 else 0.0
            if w.role == Role.STANDARD and w.level is not None:
                expected = _num(knobs.conc(analyte.standards()[w.level - 1]))
            elif w.role == Role.CONTROL and w.level is not None:
                expected = _num(knobs.conc(analyte.controls()[w.level - 1]))
            elif w.role == Role.BLANK:
                expected = "0"
            else:
                expected = ""
            dilution = _num(MSD_DILUTION) if w.role == Role.SAMPLE else ""
            well = f"{w.well[0]}{int(w.well[1:]):02d}"
            value = str(int(signal[i]))  # ECL counts are whole numbers
            cells = [
                names[i], analyte.export_name, well, str(analyte.bead_id), dilution, expected,
                value, value, _fmt(mean, 1), _fmt(mean, 1), _fmt(cv, 2),
            ]  # fmt: skip
            lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _workbench_name(well: _Well) -> str:
    """Workbench's sample names: S001.. calibrators (S008 the zero calibrator), C001..
    controls, the sample's id for samples."""
    if well.role == Role.STANDARD and well.level is not None:
        return f"S{well.level:03d}"
    if well.role == Role.BLANK:
        return f"S{N_STANDARDS + 1:03d}"
    if well.role == Role.CONTROL and well.level is not None:
        return f"C{well.level:03d}"
    return well.sample_id


def _gen5_text(
    run: _PlateRun, layout: Sequence[_Well], reference: np.ndarray, rng: np.random.Generator
) -> str:
    read = run.started
    serial = str(int(rng.integers(1_000_000, 9_999_999)))
    od = {w.well: float(v) for w, v in zip(layout, run.signal[:, 0], strict=True)}
    lines = [
        "",
        "",
        "Software Version\t3.12.08",
        "",
        "",
        "",
        "Experiment File Path:\t",
        "Protocol File Path:\tC:\\Users\\Public\\Documents\\Protocols\\NfL_ELISA_450_630.prt",
        "",
        "",
        "",
        "Plate Number\tPlate 1",
        f"Date\t{read.month}/{read.day}/{read.year}",
        f"Time\t{_clock(read, seconds=True)}",
        "Reader Type:\tSynergy H1",
        f"Reader Serial Number:\t{serial}",
        "Reading Type\tReader",
        "",
        "Procedure Details",
        "",
        "Plate Type\t96 WELL PLATE (Use plate lid)",
        "Eject plate on completion\t",
        "Read\tNfL 450/630",
        "\tAbsorbance Endpoint",
        "\tFull Plate",
        "\tWavelengths:  450, 630",
        "\tRead Speed: Normal,  Delay: 100 msec,  Measurements/Data Point: 8",
        "",
        "Results",
        "\t" + "\t".join(str(c) for c in range(1, N_COLUMNS + 1)),
    ]
    for r, row in enumerate(ROWS):
        ref = reference[r]
        od450 = [od[f"{row}{c}"] + float(ref[c - 1]) for c in range(1, N_COLUMNS + 1)]
        lines.append(row + "\t" + "\t".join(f"{v:.3f}" for v in od450) + "\t450")
        lines.append("\t" + "\t".join(f"{float(v):.3f}" for v in ref) + "\t630")
        # Gen5's Delta OD data reduction: the export shows the 630 nm read is a reference.
        delta = [round(v, 3) - round(float(w), 3) for v, w in zip(od450, ref, strict=True)]
        lines.append("\t" + "\t".join(f"{v:.3f}" for v in delta) + "\tDelta OD")
    lines.append("")
    return "\n".join(lines) + "\n"


def _plate_map_csv(
    layout: Sequence[_Well], analyte: _Analyte, dilution: float, knobs: Difficulty
) -> str:
    by_well = {w.well: w for w in layout}
    lines = ["well,role,sample_id,level,expected_conc,dilution,analyte"]
    for row in ROWS:
        for col in range(1, N_COLUMNS + 1):
            w = by_well[f"{row}{col}"]
            expected = ""
            if w.role == Role.STANDARD and w.level is not None:
                expected = _num(knobs.conc(analyte.standards()[w.level - 1]))
            elif w.role == Role.CONTROL and w.level is not None:
                expected = _num(knobs.conc(analyte.controls()[w.level - 1]))
            elif w.role == Role.BLANK:
                expected = "0"
            level = "" if w.level is None else str(w.level)
            factor = _num(dilution) if w.role == Role.SAMPLE else "1"
            lines.append(
                ",".join([w.well, w.role, w.sample_id, level, expected, factor, analyte.name])
            )
    return "\n".join(lines) + "\n"


def _truth_wells_table(
    runs: Sequence[_PlateRun], layout: Sequence[_Well], knobs: Difficulty
) -> tuple[list[str], list[list[str]]]:
    header = ["plate_id", "well", "analyte", "role", "sample_id", "true_conc_in_well", "bad_well"]
    rows = [
        [
            run.plate_id,
            w.well,
            an.name,
            w.role,
            w.sample_id,
            _num(knobs.conc(float(run.conc[i, j]))),
            _bool(run.bad_well == i),
        ]
        for run in runs
        for i, w in enumerate(layout)
        for j, an in enumerate(run.analytes)
    ]
    return header, rows


# --- formatting --------------------------------------------------------------------------


def _round_sig(value: float, digits: int) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - int(np.floor(np.log10(abs(value)))))


def _fmt(value: float, decimals: int) -> str:
    """Fixed decimals without trailing zeros, as instruments print: 12, 12.5, -2.75."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _num(value: float) -> str:
    """Shortest text that reads back to the same float; integers without '.0'."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _clock(moment: datetime, seconds: bool) -> str:
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    tail = f":{moment.second:02d}" if seconds else ""
    return f"{hour}:{moment.minute:02d}{tail} {suffix}"


def _long_stamp(moment: datetime) -> str:
    return f"{moment.month}/{moment.day}/{moment.year} {_clock(moment, seconds=True)}"


def _write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    lines = ["\t".join(header), *("\t".join(r) for r in rows)]
    _write_text(path, "\n".join(lines) + "\n", "\n")


def _write_text(path: Path, text: str, newline: str) -> None:
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
