"""``simulate_study``: the whole study written to disk, with its truth tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np

from assaypipe.simulate.formatting import num, write_text, write_tsv, yes_no
from assaypipe.simulate.gen5 import gen5_text
from assaypipe.simulate.kit_file import kit_yaml
from assaypipe.simulate.kits import (
    ANALYTES,
    ELISA_DILUTION,
    ELISA_NFL,
    LUMINEX_4PLEX,
    LUMINEX_TGFB2,
    MSD_2PLEX,
    MSD_ALIASES,
    MSD_ANALYTES,
    MSD_DILUTION,
    kit_of,
)
from assaypipe.simulate.layout import N_COLUMNS, ROWS, Well, plate_layout
from assaypipe.simulate.model import (
    DEFAULT_SEED,
    NFL_HIGH,
    Difficulty,
    outcomes_table,
    place_near_lloq,
    samples_of,
    simulate_concentrations,
    simulate_msd_concentrations,
    simulate_subjects,
    subjects_table,
    truth_subjects_table,
)
from assaypipe.simulate.plate_map import plate_map_csv
from assaypipe.simulate.runs import PlateRun, run_plate
from assaypipe.simulate.workbench import workbench_csv
from assaypipe.simulate.xponent import xponent_csv


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


def simulate_study(
    out: Path,
    seed: int = DEFAULT_SEED,
    truth_dir: Path | None = None,
    n_plates: int = 3,
    bad_share: float = 0.01,
    msd: bool = False,
    difficulty: Difficulty | None = None,
    guide_plates: int | None = None,
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

    ``guide_plates`` sets the study config's ``qc.guide_plates`` (the Levey–Jennings
    guide set of each kit lot); by default the config keeps the package default.
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

    subjects = simulate_subjects(rng_subjects, knobs.borderline, seed)
    samples = samples_of(subjects)
    true_conc = simulate_concentrations(rng_conc, subjects, samples, knobs.effect)
    kit_analytes = (*LUMINEX_4PLEX, *LUMINEX_TGFB2)
    dilutions = {an.name: 1.0 for an in kit_analytes} | {ELISA_NFL.name: ELISA_DILUTION}
    place_near_lloq(true_conc, samples, (*kit_analytes, ELISA_NFL), dilutions, knobs, seed)
    layout = plate_layout(samples)
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
        new = f"\n  threshold: {num(knobs.conc(NFL_HIGH))}\n".encode()
        if config_text.count(old) != 1:
            raise RuntimeError("the default config's subgroup threshold is not 1000")
        config_text = config_text.replace(old, new)
    if guide_plates is not None:
        old = b"\n  guide_plates: 20\n"
        if guide_plates < 1 or config_text.count(old) != 1:
            raise ValueError(f"guide_plates must be 1 or more, got {guide_plates}")
        config_text = config_text.replace(old, f"\n  guide_plates: {guide_plates}\n".encode())
    config.write_bytes(config_text)
    analytes.write_bytes((package_data / "analytes.tsv").read_bytes())

    subjects_tsv = config_dir / "subjects.tsv"
    outcomes_tsv = config_dir / "outcomes.tsv"
    samples_tsv = config_dir / "samples.tsv"
    write_tsv(subjects_tsv, *subjects_table(subjects))
    write_tsv(outcomes_tsv, *outcomes_table(subjects))
    write_tsv(
        samples_tsv,
        ["sample_id", "subject_id", "visit", "matrix"],
        [[s.sample_id, s.subject_id, s.visit, "CSF"] for s in samples],
    )

    tgfb2_start = day + timedelta(hours=4, seconds=int(rng_dates.integers(0, 40 * 60)))
    elisa_start = day + timedelta(days=2, hours=1, seconds=int(rng_dates.integers(0, 50 * 60)))
    runs = [
        run_plate(
            rng_4plex, "luminex_4plex_P1", LUMINEX_4PLEX, layout, true_conc, day,
            knobs=knobs, seed=seed,
        ),
        run_plate(
            rng_tgfb2, "luminex_tgfb2_P1", LUMINEX_TGFB2, layout, true_conc, tgfb2_start,
            knobs=knobs, seed=seed,
        ),
        run_plate(
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
        text, kit_lots[kit_of(run.plate_id)] = xponent_csv(
            run, layout, serial, rng_dates, knobs.unit
        )
        write_text(path, text, "\r\n")
        plates.append(path)
    elisa = runs[2]
    elisa_path = plates_dir / f"{elisa.plate_id}.txt"
    write_text(elisa_path, gen5_text(elisa, layout, reference, rng_dates), "\r\n")
    plates.append(elisa_path)
    layout_path = layouts_dir / f"{elisa.plate_id}.csv"
    plate_map = plate_map_csv(layout, ELISA_NFL, ELISA_DILUTION, knobs)
    write_text(layout_path, plate_map, "\n")
    if msd:
        # Its own streams, drawn after all the others: the default study stays as it is.
        rng_msd_conc, rng_msd = rng.spawn(2)
        msd_conc = simulate_msd_concentrations(rng_msd_conc, subjects, samples, knobs.effect)
        msd_dilutions = {an.name: MSD_DILUTION for an in MSD_2PLEX}
        place_near_lloq(msd_conc, samples, MSD_2PLEX, msd_dilutions, knobs, seed)
        true_conc.update(msd_conc)
        msd_start = day + timedelta(days=1, hours=2, seconds=int(rng_msd.integers(0, 3600)))
        msd_run = run_plate(
            rng_msd, "msd_cytokine_P1", MSD_2PLEX, layout, true_conc, msd_start,
            sample_dilution=MSD_DILUTION, luminex=False, ecl=True, knobs=knobs, seed=seed,
        )  # fmt: skip
        runs.append(msd_run)
        msd_path = plates_dir / f"{msd_run.plate_id}.csv"
        write_text(msd_path, workbench_csv(msd_run, layout, knobs), "\r\n")
        plates.append(msd_path)
        with analytes.open("a", encoding="utf-8", newline="\n") as table:
            table.writelines("\t".join(row) + "\n" for row in MSD_ALIASES)
        if knobs.unit != "pg/mL":
            text = kit_yaml("msd_cytokine", "SIM-MSD", MSD_2PLEX, knobs)
            write_text(config_dir / "kits" / "msd_cytokine_lotSIM-MSD.yaml", text, "\n")

    if knobs.unit != "pg/mL":
        # The kit certificates state the unit, also the ELISA's, whose export states none.
        lots = {**{kit: str(lot) for kit, lot in kit_lots.items()}, "elisa_nfl": "SIM-NFL"}
        for kit, analytes_of_kit in (
            ("luminex_4plex", LUMINEX_4PLEX),
            ("luminex_tgfb2", LUMINEX_TGFB2),
            ("elisa_nfl", (ELISA_NFL,)),
        ):
            text = kit_yaml(kit, lots[kit], analytes_of_kit, knobs)
            write_text(config_dir / "kits" / f"{kit}_lot{lots[kit]}.yaml", text, "\n")
    extra_runs, bad_files = write_repeat_plates(
        seed, n_plates - 3, bad_share, layout, true_conc, day, plates_dir, layouts_dir, serial,
        knobs, kit_lots,
    )  # fmt: skip
    plates.extend(bad_files)
    plates.extend(plates_dir / name for name in extra_runs)
    write_tsv(
        truth / "truth_files.tsv",
        ["file", "bad"],
        [[p.name, yes_no(p in bad_files)] for p in sorted(plates)],
    )

    truth_subjects = truth / "truth_subjects.tsv"
    truth_samples = truth / "truth_samples.tsv"
    truth_curves = truth / "truth_curves.tsv"
    truth_wells = truth / "truth_wells.tsv"
    write_tsv(truth_subjects, *truth_subjects_table(subjects))
    write_tsv(
        truth_samples,
        ["sample_id", "subject_id", "visit", "analyte", "true_conc"],
        [
            [
                s.sample_id,
                s.subject_id,
                s.visit,
                name,
                num(knobs.conc(true_conc[s.sample_id, name])),
            ]
            for s in samples
            for name in (*ANALYTES, *(MSD_ANALYTES if msd else ()))
        ],
    )
    write_tsv(
        truth_curves,
        ["plate_id", "analyte", "a", "b", "c", "d", "g"],
        [
            [
                run.plate_id,
                an.name,
                *(num(v) for v in (cv.a, cv.b, knobs.conc(cv.c), cv.d, cv.g)),
            ]
            for run in [*runs, *extra_runs.values()]
            for an, cv in zip(run.analytes, run.curves, strict=True)
        ],
    )
    write_tsv(truth_wells, *truth_wells_table(runs, layout, knobs))

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


def write_repeat_plates(
    seed: int,
    n_extra: int,
    bad_share: float,
    layout: Sequence[Well],
    true_conc: dict[tuple[str, str], float],
    day: datetime,
    plates_dir: Path,
    layouts_dir: Path,
    serial: str,
    knobs: Difficulty,
    kit_lots: dict[str, int],
) -> tuple[dict[str, PlateRun], list[Path]]:
    """Further runs of the three plate kinds, and a few unusable files among them."""
    kinds = [
        ("luminex_4plex", LUMINEX_4PLEX, True),
        ("luminex_tgfb2", LUMINEX_TGFB2, True),
        ("elisa_nfl", (ELISA_NFL,), False),
    ]
    runs: dict[str, PlateRun] = {}
    bad: list[Path] = []
    n_bad = round(n_extra * bad_share)
    bad_every = n_extra // n_bad if n_bad else 0
    # The last third of the repeat runs read with the reporter's loss (Luminex only).
    first_late = n_extra - n_extra // 3
    for k in range(n_extra):
        # One stream per plate: plate k's draws do not depend on how many plates there are.
        rng = np.random.default_rng([seed, 1, k])
        if bad_every and k % bad_every == bad_every // 2 and len(bad) < n_bad:
            bad.append(write_bad_file(rng, plates_dir, k, kind=len(bad) % 3))
            continue
        name, analytes, luminex = kinds[k % 3]
        plate_id = f"{name}_P{k // 3 + 2:04d}"
        started = day + timedelta(days=3 + k // 3, seconds=int(rng.integers(0, 8 * 3600)))
        dilution = 1.0 if luminex else ELISA_DILUTION
        run = run_plate(
            rng, plate_id, analytes, layout, true_conc, started,
            sample_dilution=dilution, luminex=luminex, knobs=knobs, seed=seed,
            signal_scale=1.0 - knobs.reporter_loss if luminex and k >= first_late else 1.0,
        )  # fmt: skip
        if luminex:
            path = plates_dir / f"{plate_id}.csv"
            text, _ = xponent_csv(run, layout, serial, rng, knobs.unit, kit_lots[name])
            write_text(path, text, "\r\n")
        else:
            reference = np.round(0.04 + 0.005 * rng.standard_normal((len(ROWS), N_COLUMNS)), 3)
            path = plates_dir / f"{plate_id}.txt"
            write_text(path, gen5_text(run, layout, reference, rng), "\r\n")
            plate_map = plate_map_csv(layout, ELISA_NFL, ELISA_DILUTION, knobs)
            write_text(layouts_dir / f"{plate_id}.csv", plate_map, "\n")
        runs[path.name] = run
    return runs, bad


def write_bad_file(rng: np.random.Generator, plates_dir: Path, k: int, kind: int) -> Path:
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


def truth_wells_table(
    runs: Sequence[PlateRun], layout: Sequence[Well], knobs: Difficulty
) -> tuple[list[str], list[list[str]]]:
    header = ["plate_id", "well", "analyte", "role", "sample_id", "true_conc_in_well", "bad_well"]
    rows = [
        [
            run.plate_id,
            w.well,
            an.name,
            w.role,
            w.sample_id,
            num(knobs.conc(float(run.conc[i, j]))),
            yes_no(run.bad_well == i),
        ]
        for run in runs
        for i, w in enumerate(layout)
        for j, an in enumerate(run.analytes)
    ]
    return header, rows


# The bundled demo study (`make demo`): 12 runs of each kit, the kit lots' first 8 the
# Levey–Jennings guide set, and the Luminex reporter 20% less sensitive on the last third
# of the repeat runs, so that later runs are judged and a few rejected by Westgard rules.
DEMO_PLATES = 36
DEMO_GUIDE_PLATES = 8
DEMO_DIFFICULTY = Difficulty(reporter_loss=0.2)


def simulate_demo(out: Path, truth_dir: Path | None = None) -> SimulatedStudy:
    """The bundled demo study, as ``make demo`` writes it (seed ``DEFAULT_SEED``)."""
    return simulate_study(
        out,
        seed=DEFAULT_SEED,
        truth_dir=truth_dir,
        n_plates=DEMO_PLATES,
        difficulty=DEMO_DIFFICULTY,
        guide_plates=DEMO_GUIDE_PLATES,
    )
