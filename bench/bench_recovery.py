"""How many of the simulator's true pre/post effects the pipeline recovers.

    .venv/bin/python bench/bench_recovery.py [--seeds 1 2 3 4 5] [--noise 1 2] [--effect 1]

For each seed and noise level it simulates the study (`assaypipe.simulate`), runs the
package's stages as the workflow's jobs do, without Snakemake (read, fit and
interpolate: `pipeline.process_chunk`; replicates and plates combined:
`samples.combine_replicates`; pre/post tests per responder group and overall:
`stats.prepost.prepost`), and counts the true effects with q < 0.05. The oracle runs
the same `prepost` on the simulator's true concentrations. Responder groups are the
simulator's truth (the workflow derives the same ones from the outcomes sheet).

True effects are the (group, analyte) pairs the simulator moves in one direction for
every subject of the group: CCL2 and TGF-beta2 in every group, HGF, CXCL12 and IL-8 in
responders (x0.95) and nonresponders (x1.30). Overall HGF, CXCL12 and IL-8 (a mix of
both) and NfL (moved in the baseline > 1000 subgroup only) are not counted either
way. Cells: recovered / oracle, and in brackets the tests of no true effect with
q < 0.05 (pipeline, oracle).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from assaypipe.pipeline import process_chunk
from assaypipe.samples import combine_replicates
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_samples
from assaypipe.simulate import Difficulty, simulate_study
from assaypipe.stats.prepost import prepost

MOVED_IN_EVERY_GROUP = ("CCL2", "TGFB2")
MOVED_BY_RESPONSE = ("HGF", "CXCL12", "IL8")
NOT_COUNTED = {("all", a) for a in MOVED_BY_RESPONSE} | {
    (g, "NfL") for g in ("all", "responder", "nonresponder")
}
Q_LIMIT = 0.05


def true_effects() -> set[tuple[str, str]]:
    effects = {(g, a) for g in ("all", "responder", "nonresponder") for a in MOVED_IN_EVERY_GROUP}
    effects |= {(g, a) for g in ("responder", "nonresponder") for a in MOVED_BY_RESPONSE}
    return effects


def significant(samples: pd.DataFrame, groups: pd.Series) -> set[tuple[str, str]]:
    table = prepost(samples, groups=groups)
    hits = table[table["q"] < Q_LIMIT]
    return set(zip(hits["group"], hits["analyte"], strict=True))


def one_run(root: Path, seed: int, noise: float, effect: float) -> tuple[int, int, int, int]:
    study = simulate_study(root, seed=seed, difficulty=Difficulty(noise=noise, effect=effect))
    config = yaml.safe_load(study.config.read_text(encoding="utf-8"))
    maps = {p.stem: str(p) for p in study.layouts}
    plates = [
        {"plate_id": p.stem, "export": str(p), "plate_map": maps.get(p.stem)} for p in study.plates
    ]
    sheet = read_samples(study.samples)
    result = process_chunk(
        plates,
        sheet,
        read_aliases(study.analytes),
        chunk="00",
        settings=Settings.from_config({"curves": config["curves"]}),
    )
    measured = combine_replicates(result.wells, result.curves, sheet)

    truth = pd.read_csv(study.truth_samples, sep="\t")
    oracle = measured.drop(columns=["concentration"]).merge(
        truth[["sample_id", "analyte", "true_conc"]], on=["sample_id", "analyte"]
    )
    oracle = oracle.rename(columns={"true_conc": "concentration"})[measured.columns]
    oracle["censor"] = None
    subjects = pd.read_csv(study.truth_subjects, sep="\t")
    groups = subjects.set_index("subject_id")["responder"].map(
        {True: "responder", False: "nonresponder"}
    )

    effects = true_effects()
    found, ideal = significant(measured, groups), significant(oracle, groups)
    counted = {(g, a) for g in ("all", "responder", "nonresponder") for a in truth["analyte"]}
    null = counted - effects - NOT_COUNTED
    return len(found & effects), len(ideal & effects), len(found & null), len(ideal & null)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--noise", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--effect", type=float, default=1.0)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    cells: dict[tuple[int, float], str] = {}
    totals = {noise: [0, 0] for noise in args.noise}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for noise in args.noise:
                root = Path(tmp) / f"s{seed}_n{noise}"
                got, oracle, fp, fp_oracle = one_run(root, seed, noise, args.effect)
                cells[seed, noise] = f"{got}/{oracle} ({fp}, {fp_oracle})"
                totals[noise][0] += got
                totals[noise][1] += oracle

    n_true = len(true_effects())
    print(f"true effects per study: {n_true}; effect x{args.effect}; q < {Q_LIMIT}")
    print("recovered / oracle (tests of no true effect with q < 0.05: pipeline, oracle)")
    header = ["seed", *(f"noise x{n:g}" for n in args.noise)]
    widths = [6, *([22] * len(args.noise))]
    print("".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for seed in args.seeds:
        row = [str(seed), *(cells[seed, n] for n in args.noise)]
        print("".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    row = ["total", *(f"{totals[n][0]}/{totals[n][1]}" for n in args.noise)]
    print("".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
