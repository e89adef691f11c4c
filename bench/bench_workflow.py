"""Whole-workflow benchmark: simulated studies of N plates through `snakemake`.

For each N it prints wall time, CPU time (all child processes), peak memory (largest
process), time per plate, and a floor measured in the same run: the package's own
read -> annotate -> fit -> interpolate -> write on the same files and chunks, in two
worker processes, with no Snakemake. The CPU time is then split as each job measured
itself (the ``resources:`` line that ends every job's log): per-plate work (the chunk
jobs), study-level work (tables, QC, statistics, figures, report), each with the jobs'
start-up (interpreter and imports) apart, and orchestration, the rest: Snakemake's own
process (parsing, the DAG, launching and checking jobs).

    .venv/bin/python bench/bench_workflow.py            # 100, 1000, 5000 plates
    .venv/bin/python bench/bench_workflow.py 100 1000   # chosen sizes
    .venv/bin/python bench/bench_workflow.py 100 --repeat 3   # and the medians of 3 runs

With ``--repeat N`` each study runs N times from an empty ``results/`` (the one-plate
addition after each run, the added plate removed again), and a ``median`` line follows
the runs. Peak memory is the largest of any process so far.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from assaypipe.joblog import JobResources, parse_resources
from assaypipe.settings import Settings

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _child_usage() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def run_workflow(study: Path, cores: int) -> tuple[float, float, int]:
    cpu_before, _ = _child_usage()
    start = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "snakemake"),
            "--snakefile", str(REPO / "Snakefile"),
            "--directory", str(study),
            "--cores", str(cores),
            "--profile", str(REPO / "profiles" / "local"),
            "--quiet", "all",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - start
    cpu_after, peak = _child_usage()
    return wall, cpu_after - cpu_before, peak


def _rule_of(benchmark: Path) -> str:
    # results/benchmarks/<rule>.tsv, or results/benchmarks/<rule>/<wildcards>.tsv
    return benchmark.stem if benchmark.parent.name == "benchmarks" else benchmark.parent.name


# Rules whose jobs do the per-plate work (one job per chunk of plates); the rest are
# study-level.
PER_PLATE_RULES = ("process_chunk",)


def job_cpu(study: Path) -> dict[str, list[JobResources]]:
    """Each job's own CPU figures, from the ``resources:`` line that ends its log.

    Every job measures itself (``assaypipe.joblog.logged``: getrusage of its own
    process), however short or long; Snakemake's benchmark files sample a job's
    process tree now and then and miss short jobs' CPU."""
    jobs: dict[str, list[JobResources]] = {}
    logs = study / "results" / "logs"
    for path in sorted(logs.rglob("*.log")):
        rule = path.stem if path.parent == logs else path.relative_to(logs).parts[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            if (figures := parse_resources(line)) is not None:
                jobs.setdefault(rule, []).append(figures)
    return jobs


def cpu_breakdown(jobs: dict[str, list[JobResources]], total_cpu: float) -> list[str]:
    """Lines: per-plate work, study-level work and orchestration, then per rule."""

    def own(figures: JobResources) -> float:
        return figures.startup_cpu + figures.step_cpu + figures.children_cpu

    def part(rules: list[str]) -> tuple[int, float, float]:
        runs = [figures for rule in rules for figures in jobs[rule]]
        startup = sum(figures.startup_cpu for figures in runs)
        return len(runs), startup, sum(own(figures) for figures in runs) - startup

    per_plate = [rule for rule in jobs if rule in PER_PLATE_RULES]
    study_level = [rule for rule in jobs if rule not in PER_PLATE_RULES]
    lines = []
    accounted = 0.0
    for label, rules in (("per-plate work", per_plate), ("study-level work", study_level)):
        n, startup, work = part(rules)
        accounted += startup + work
        lines.append(
            f"{label}: {n} jobs, CPU {startup + work:.1f} s "
            f"(start-up {startup:.1f} s, steps {work:.1f} s)"
        )
    lines.append(
        f"orchestration (snakemake itself, DAG, job launching): CPU {total_cpu - accounted:.1f} s"
    )
    by_rule = sorted(jobs.items(), key=lambda item: -sum(own(f) for f in item[1]))
    lines.append(
        "by rule (jobs: start-up + step CPU s): "
        + ", ".join(
            f"{rule} ({len(runs)}: {sum(f.startup_cpu for f in runs):.1f} + "
            f"{sum(f.step_cpu + f.children_cpu for f in runs):.1f})"
            for rule, runs in by_rule
        )
    )
    return lines


def add_one_plate(study: Path, cores: int) -> tuple[str, dict[str, int], float]:
    """Copy one export under a new plate_id and run again: which jobs ran, how long."""
    plates = study / "resources" / "plates"
    source = sorted(plates.glob("luminex_4plex_*.csv"))[0]
    added = plates / "luminex_4plex_added.csv"
    added.write_bytes(source.read_bytes())
    stamp = time.time()
    wall, _, _ = run_workflow(study, cores)
    jobs: dict[str, int] = {}
    for path in (study / "results" / "benchmarks").rglob("*.tsv"):
        if path.stat().st_mtime >= stamp:
            rule = _rule_of(path)
            jobs[rule] = jobs.get(rule, 0) + 1
    return added.stem, dict(sorted(jobs.items())), wall


def _floor_chunk(args: tuple[str, str, list[dict[str, str | None]], dict[str, Any]]) -> float:
    from assaypipe.io import write_table
    from assaypipe.pipeline import process_chunk
    from assaypipe.sheets import read_aliases, read_samples

    study, chunk, plates, config = args
    start = time.process_time()
    root = Path(study)
    result = process_chunk(
        plates,
        read_samples(root / "config" / "samples.tsv"),
        read_aliases(root / "config" / "analytes.tsv"),
        chunk=chunk,
        settings=Settings.from_config({"curves": config["curves"]}),
    )
    out = root / "floor" / chunk
    for name in ("rejected", "plates", "vendor", "curves", "wells"):
        write_table(getattr(result, name), out / f"{name}.parquet", command="floor")
    return time.process_time() - start


def floor(study: Path, workers: int) -> tuple[float, float]:
    from assaypipe.study import assign_chunks, chunk_plates, discover_plates

    config = yaml.safe_load((study / "config" / "config.yaml").read_text())
    index = discover_plates(study / "resources" / "plates")
    chunks = assign_chunks(index.plates, config["chunks"]["size"])
    layouts = study / "resources" / "layouts"
    jobs = [
        (str(study), chunk, chunk_plates(index.plates, layouts, plates), config)
        for chunk, plates in chunks.items()
    ]
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        cpu = sum(pool.map(_floor_chunk, jobs))
    return time.perf_counter() - start, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 5000])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (1)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; snakemake --cores {args.cores}")
    header = (
        f"{'plates':>7} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'ms/plate':>9} "
        f"{'floor s':>8} {'x floor':>8}"
    )
    print(header)
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"assaypipe-bench-{n}-") as tmp:
            study = Path(tmp)
            subprocess.run(
                [str(BIN / "assaypipe"), "simulate", "--plates", str(n), "--out", str(study)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            runs = [_one_run(study, n, args.cores) for _ in range(args.repeat)]
            if len(runs) > 1:
                wall, cpu, floor_wall, again = (
                    statistics.median(run[i] for run in runs) for i in range(4)
                )
                print(
                    f"{'median':>7} {wall:>8.1f} {cpu:>8.1f} {'':>9} {1000 * wall / n:>9.1f} "
                    f"{floor_wall:>8.1f} {wall / floor_wall:>8.1f}   one plate added {again:.1f} s",
                    flush=True,
                )


def _one_run(study: Path, n: int, cores: int) -> tuple[float, float, float, float]:
    """One run from an empty results/, its floor and one plate added (then removed):
    prints them and returns (wall, CPU, floor wall, one-added wall)."""
    shutil.rmtree(study / "results", ignore_errors=True)
    wall, cpu, peak = run_workflow(study, cores)
    breakdown = cpu_breakdown(job_cpu(study), cpu)
    floor_wall, _ = floor(study, cores)
    print(
        f"{n:>7} {wall:>8.1f} {cpu:>8.1f} {peak / 2**20:>9.0f} {1000 * wall / n:>9.1f} "
        f"{floor_wall:>8.1f} {wall / floor_wall:>8.1f}",
        flush=True,
    )
    for line in breakdown:
        print(f"        {line}")
    added, jobs, again = add_one_plate(study, cores)
    print(f"        one plate added ({added}): {again:.1f} s wall; jobs run: {jobs}", flush=True)
    (study / "resources" / "plates" / f"{added}.csv").unlink()
    return wall, cpu, floor_wall, again


if __name__ == "__main__":
    main()
