"""How many of the simulator's true pre/post effects the pipeline recovers.

    .venv/bin/python bench/bench_recovery.py [--seeds 1 2 3 4 5] [--noise 1 2] [--effect 1]
        [--drift 0] [--hook 0] [--near-lloq 0] [--plates 3] [--stages]

For each seed and noise level it simulates the study (`assaypipe.simulate`), runs the
package's stages as the workflow's jobs do, without Snakemake (read, fit and
interpolate: `pipeline.process_chunk`; replicates and plates combined:
`samples.combine_replicates`; pre/post tests per responder group and overall:
`stats.prepost.prepost`), and counts the true effects with q < 0.05. Responder groups
are the simulator's truth (the workflow derives the same ones from the outcomes sheet).

Two oracles run the same `prepost`:

- the oracle, on the simulator's true concentrations;
- the noise oracle, on the true concentrations as this study's wells measured them:
  each plate's true curve (`truth_curves.tsv`) read at the measured signals, the wells
  the simulator spoiled (`truth_wells.tsv`, `bad_well`; on repeat plates, which that
  table does not cover, the wells flagged `low_beads`) left out, replicate signals
  averaged and plates averaged as the pipeline does, nothing censored (a signal at or
  below the curve's zero-dose response has no value). It has only the signal noise
  against it, so it is the most any estimator from these plates can be expected to
  reach; the oracle also beats every estimator on noisy values. (A hooked curve's fall
  at the top is not in `truth_curves.tsv`; no sample reaches it.)

True effects are the (group, analyte) pairs the simulator moves in one direction for
every subject of the group: CCL2 and TGF-beta2 in every group, HGF, CXCL12 and IL-8 in
responders (x0.95) and nonresponders (x1.30). Overall HGF, CXCL12 and IL-8 (a mix of
both) and NfL (moved in the baseline > 1000 subgroup only) are not counted either
way. Cells: recovered / noise oracle / oracle, and in brackets the tests of no true
effect with q < 0.05 (pipeline, noise oracle, oracle).

`--stages` prints, per noise level, the totals of values that differ from the
pipeline's in one stage at a time, to show which stage loses effects: the noise oracle
with the pipeline's censors applied (cost of censoring), the pipeline's fitted curves
with nothing censored (cost of the curve fit, against the noise oracle; on a sample read
on several plates the censored readings are already averaged in as LLOQ/2), and the
pipeline with censored readings as read off the curves (`combine.censored` and
`prepost.below_lloq` `as_read`). `--plates 6` reads every sample on two plates of each
kind (`simulate_study(n_plates=6)`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from assaypipe.curves import inverse
from assaypipe.pipeline import ChunkResult, process_chunk
from assaypipe.samples import combine_replicates
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_samples
from assaypipe.simulate import Difficulty, SimulatedStudy, simulate_study
from assaypipe.stats.prepost import prepost

MOVED_IN_EVERY_GROUP = ("CCL2", "TGFB2")
MOVED_BY_RESPONSE = ("HGF", "CXCL12", "IL8")
NOT_COUNTED = {("all", a) for a in MOVED_BY_RESPONSE} | {
    (g, "NfL") for g in ("all", "responder", "nonresponder")
}
Q_LIMIT = 0.05
PARAMS = ("a", "b", "c", "d", "g")
KEYS = ["sample_id", "analyte"]
# The values each run scores; the first three make the table, the rest --stages.
COLUMNS = (
    "pipeline",
    "noise oracle",
    "oracle",
    "noise oracle, pipeline's censors",
    "pipeline's curves, nothing censored",
    "pipeline, censored readings as read",
)


def true_effects() -> set[tuple[str, str]]:
    effects = {(g, a) for g in ("all", "responder", "nonresponder") for a in MOVED_IN_EVERY_GROUP}
    effects |= {(g, a) for g in ("responder", "nonresponder") for a in MOVED_BY_RESPONSE}
    return effects


def significant(
    samples: pd.DataFrame, groups: pd.Series, below_lloq: str = "half_lloq"
) -> set[tuple[str, str]]:
    table = prepost(samples, groups=groups, below_lloq=below_lloq)
    hits = table[table["q"] < Q_LIMIT]
    return set(zip(hits["group"], hits["analyte"], strict=True))


def with_values(measured: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """The samples table with ``values``' concentration (by sample and analyte)."""
    out = measured.drop(columns=["concentration"]).merge(values[[*KEYS, "concentration"]], on=KEYS)
    return out[measured.columns]


def measured_truth(study: SimulatedStudy, wells: pd.DataFrame) -> pd.DataFrame:
    """Per sample and analyte, the true curves read at the measured signals (see above)."""
    spoiled = pd.read_csv(study.truth_wells, sep="\t")[["plate_id", "well", "analyte", "bad_well"]]
    sample_wells = wells[(wells["role"] == "sample") & wells["sample_id"].notna()]
    sample_wells = sample_wells.merge(spoiled, on=["plate_id", "well", "analyte"], how="left")
    low_beads = sample_wells["flags"].fillna("").str.split(";").map(lambda f: "low_beads" in f)
    spoiled_well = sample_wells["bad_well"].astype("boolean").fillna(low_beads).astype(bool)
    keep = ~spoiled_well & np.isfinite(sample_wells["signal"].astype(float))
    per_plate = (
        sample_wells[keep]
        .groupby(["plate_id", *KEYS], as_index=False)
        .agg(signal=("signal", "mean"), dilution=("dilution", "first"))
    )
    curves = pd.read_csv(study.truth_curves, sep="\t")
    in_well = np.full(len(per_plate), np.nan)
    for curve in curves.to_dict("records"):
        rows = (
            (per_plate["plate_id"] == curve["plate_id"])
            & (per_plate["analyte"] == curve["analyte"])
        ).to_numpy()
        params = {p: float(curve[p]) for p in PARAMS}
        in_well[rows] = inverse(params, per_plate.loc[rows, "signal"].to_numpy(dtype=float))
    per_plate["concentration"] = in_well * per_plate["dilution"].astype(float)
    return per_plate.groupby(KEYS, as_index=False).agg(concentration=("concentration", "mean"))


def chunk_of(study: SimulatedStudy) -> tuple[ChunkResult, pd.DataFrame]:
    """The simulated study's plates through the workflow's chunk step, and its sample
    sheet."""
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
    return result, sheet


def one_run(
    root: Path, seed: int, knobs: Difficulty, n_plates: int = 3
) -> dict[str, tuple[int, int]]:
    """(true effects found, tests of no true effect with q < 0.05) per column."""
    study = simulate_study(root, seed=seed, difficulty=knobs, n_plates=n_plates)
    result, sheet = chunk_of(study)
    measured = combine_replicates(result.wells, result.curves, sheet)

    truth = pd.read_csv(study.truth_samples, sep="\t")
    oracle = with_values(measured, truth.rename(columns={"true_conc": "concentration"}))
    oracle["censor"] = None
    censored = with_values(measured, measured_truth(study, result.wells))
    noise = censored.assign(censor=None)
    uncensored = measured.assign(
        censor=measured["censor"].where(~np.isfinite(measured["concentration"].astype(float)))
    )
    as_read = combine_replicates(result.wells, result.curves, sheet, censored="as_read")
    frames = (measured, noise, oracle, censored, uncensored, as_read)
    values = dict(zip(COLUMNS, frames, strict=True))

    subjects = pd.read_csv(study.truth_subjects, sep="\t")
    groups = subjects.set_index("subject_id")["responder"].map(
        {True: "responder", False: "nonresponder"}
    )
    effects = true_effects()
    counted = {(g, a) for g in ("all", "responder", "nonresponder") for a in truth["analyte"]}
    null = counted - effects - NOT_COUNTED
    policies = dict.fromkeys(COLUMNS, "half_lloq") | {COLUMNS[5]: "as_read"}
    found = {name: significant(frame, groups, policies[name]) for name, frame in values.items()}
    return {name: (len(hits & effects), len(hits & null)) for name, hits in found.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--noise", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--effect", type=float, default=1.0)
    parser.add_argument("--drift", type=float, default=0.0)
    parser.add_argument("--hook", type=float, default=0.0)
    parser.add_argument("--near-lloq", type=float, default=0.0)
    parser.add_argument("--plates", type=int, default=3, help="plates in all (3: one per kind)")
    parser.add_argument("--stages", action="store_true", help="print the totals per stage")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    runs: dict[tuple[int, float], dict[str, tuple[int, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for noise in args.noise:
                knobs = Difficulty(
                    noise=noise,
                    effect=args.effect,
                    drift=args.drift,
                    hook=args.hook,
                    near_lloq=args.near_lloq,
                )
                root = Path(tmp) / f"s{seed}_n{noise}"
                runs[seed, noise] = one_run(root, seed, knobs, args.plates)

    n_true = len(true_effects())
    knobs_text = (
        f"drift {args.drift:g}, hook {args.hook:g}, near LLOQ {args.near_lloq:g}, "
        f"{args.plates} plates"
    )
    print(f"true effects per study: {n_true}; effect x{args.effect:g}; {knobs_text}; q < {Q_LIMIT}")
    print(
        "recovered / noise oracle / oracle "
        "(tests of no true effect with q < 0.05: pipeline, noise oracle, oracle)"
    )
    header = ["seed", *(f"noise x{n:g}" for n in args.noise)]
    widths = [6, *([26] * len(args.noise))]

    def line(cells: list[str]) -> None:
        print("".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())

    line(header)
    table = COLUMNS[:3]
    for seed in args.seeds:
        cells = []
        for noise in args.noise:
            run = runs[seed, noise]
            found = "/".join(str(run[c][0]) for c in table)
            false = ", ".join(str(run[c][1]) for c in table)
            cells.append(f"{found} ({false})")
        line([str(seed), *cells])

    def total(noise: float, column: str) -> int:
        return sum(runs[seed, noise][column][0] for seed in args.seeds)

    line(["total", *("/".join(str(total(n, c)) for c in table) for n in args.noise)])
    if args.stages:
        print(f"\ntrue effects found, total of {len(args.seeds) * n_true}")
        widths = [38, *([12] * len(args.noise))]
        line(["values", *(f"noise x{n:g}" for n in args.noise)])
        for column in (COLUMNS[2], COLUMNS[1], COLUMNS[3], COLUMNS[4], COLUMNS[0], COLUMNS[5]):
            line([column, *(str(total(n, column)) for n in args.noise)])
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
