"""Whole-workflow benchmark: simulated studies of N plates through `snakemake`.

For each N it prints wall time, CPU time (all child processes), peak memory (largest
process), time per plate, and a floor measured in the same run: the package's own
read -> annotate -> fit -> interpolate -> write on the same files and chunks, in two
worker processes, with no Snakemake.

    .venv/bin/python bench/bench_workflow.py            # 100, 1000, 5000 plates
    .venv/bin/python bench/bench_workflow.py 100 1000   # chosen sizes
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

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


def step_times(study: Path) -> list[tuple[str, float]]:
    """CPU seconds per rule from the workflow's own benchmark files, largest first."""
    totals: dict[str, float] = {}
    for path in (study / "results" / "benchmarks").rglob("*.tsv"):
        rows = path.read_text().splitlines()
        header, last = rows[0].split("\t"), rows[-1].split("\t")
        rule = _rule_of(path)
        totals[rule] = totals.get(rule, 0.0) + float(last[header.index("cpu_time")])
    return sorted(totals.items(), key=lambda item: -item[1])


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
        curves=config["curves"],
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
            wall, cpu, peak = run_workflow(study, args.cores)
            steps = step_times(study)
            floor_wall, _ = floor(study, args.cores)
            print(
                f"{n:>7} {wall:>8.1f} {cpu:>8.1f} {peak / 2**20:>9.0f} {1000 * wall / n:>9.1f} "
                f"{floor_wall:>8.1f} {wall / floor_wall:>8.1f}",
                flush=True,
            )
            print("        CPU s by step: " + ", ".join(f"{k} {v:.1f}" for k, v in steps))
            added, jobs, again = add_one_plate(study, args.cores)
            print(
                f"        one plate added ({added}): {again:.1f} s wall; jobs run: {jobs}",
                flush=True,
            )


if __name__ == "__main__":
    main()
