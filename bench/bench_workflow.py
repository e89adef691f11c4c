"""Whole-workflow benchmark: simulated studies of N plates through `snakemake`.

For each N it prints wall time, CPU time (all child processes), peak memory (largest
process), time per plate, and a floor measured in the same run: the package's own
read -> annotate -> fit -> interpolate -> write on the same files and chunks, in two
worker processes, with no Snakemake. The CPU time is then split as each job measured
itself (the ``resources:`` line that ends every job's log): per-plate work (the chunk
jobs), study-level work (tables, QC, statistics, figures, report), each with the jobs'
start-up (interpreter and imports) apart, and orchestration, the rest: Snakemake's own
process (parsing, the DAG, launching and checking jobs). The per-plate work is set
against two floors: the package's own chunk step without Snakemake (above), and a plain
one, in this process: every export split by Python's csv module (openpyxl for
workbooks), the study's standard curves fitted in one batch per model, and its wells
table written by pyarrow (`plain_floor`).

    .venv/bin/python bench/bench_workflow.py            # 100, 1000, 5000 plates
    .venv/bin/python bench/bench_workflow.py 100 1000   # chosen sizes
    .venv/bin/python bench/bench_workflow.py 100 --repeat 3   # and the medians of 3 runs

After each run one new plate is added and the workflow run again: a Luminex plate that
``assaypipe simulate --plates N+3`` writes and the N-plate study has not (the same
samples run again; not a copy, which would be set aside), removed again after. With
``--repeat N`` each study runs N times from an empty ``results/`` (the one-plate addition
after each run), and a ``median`` line follows the runs. Peak memory is the largest of
any process so far.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
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


def next_plate(study: Path, n: int) -> Path:
    """A new Luminex plate of the same study: one that ``assaypipe simulate --plates
    n+3`` writes and the n-plate study does not have. The simulation draws each repeat
    plate from its own stream and runs the same samples, so the plate is new (not a copy,
    which would be set aside as a duplicate) and its samples are in the study's sheets."""
    bigger = study.parent / "next"
    subprocess.run(
        [str(BIN / "assaypipe"), "simulate", "--plates", str(n + 3), "--out", str(bigger)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    sheets = sorted(p.relative_to(study) for p in (study / "config").rglob("*") if p.is_file())
    changed = [str(p) for p in sheets if (study / p).read_bytes() != (bigger / p).read_bytes()]
    ours = {p.name for p in (study / "resources" / "plates").iterdir()}
    extra = sorted(
        p for p in (bigger / "resources" / "plates").glob("luminex_*.csv") if p.name not in ours
    )
    if changed or not extra:
        raise SystemExit(
            f"simulate --plates {n + 3} gives no new Luminex plate for the {n}-plate study "
            f"with the same sheets (sheets changed: {changed})"
        )
    return extra[0]


def add_one_plate(study: Path, cores: int, new: Path) -> tuple[str, dict[str, int], float]:
    """Add one new export and run again: which jobs ran, how long."""
    added = study / "resources" / "plates" / new.name
    shutil.copyfile(new, added)
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


def plain_floor(study: Path) -> tuple[float, dict[str, float]]:
    """The plainest per-plate work on the same files, in this process: every export
    split into rows by Python's csv module (text) or walked cell by cell by openpyxl
    (workbooks), the study's standard curves (from its wells table) fitted in one batch
    per model the config names, and its wells table written with pyarrow. CPU seconds
    in all and by part. No checks, no roles, no tables built: what no reader can beat."""
    import io

    import numpy as np
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    from assaypipe.curves import fit_curves

    wells = pq.read_table(study / "results" / "wells.parquet").to_pandas()
    config = yaml.safe_load((study / "config" / "config.yaml").read_text())
    models = config.get("curves", {}).get("models", ["5PL", "4PL"])
    standards = wells[(wells["role"] == "standard") & wells["signal"].notna()]
    groups = [group for _, group in standards.groupby(["plate_id", "analyte"], sort=False)]
    width = max(len(group) for group in groups)
    x = np.full((len(groups), width), np.nan)
    y = np.full((len(groups), width), np.nan)
    for i, group in enumerate(groups):
        x[i, : len(group)] = group["expected_conc"].to_numpy(float)
        y[i, : len(group)] = group["signal"].to_numpy(float)
    files = sorted(p for p in (study / "resources" / "plates").iterdir() if p.is_file())
    parts: dict[str, float] = {}

    start = time.process_time()
    for path in files:
        data = path.read_bytes()
        # The study's unreadable files (simulated damage) parse as far as they go.
        with contextlib.suppress(Exception):
            if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
                book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
                [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
            else:
                list(csv.reader(data.decode("utf-8", errors="replace").splitlines()))
    parts["parse"] = time.process_time() - start
    start = time.process_time()
    for model in models:
        fit_curves(x, y, model, "1/y^2")
    parts["fit"] = time.process_time() - start
    start = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        pq.write_table(pa.Table.from_pandas(wells), Path(tmp) / "wells.parquet")
    parts["write"] = time.process_time() - start
    return sum(parts.values()), parts


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
            study = Path(tmp) / "study"
            subprocess.run(
                [str(BIN / "assaypipe"), "simulate", "--plates", str(n), "--out", str(study)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            new = next_plate(study, n)
            runs = [_one_run(study, n, args.cores, new) for _ in range(args.repeat)]
            if len(runs) > 1:
                wall, cpu, floor_wall, again = (
                    statistics.median(run[i] for run in runs) for i in range(4)
                )
                print(
                    f"{'median':>7} {wall:>8.1f} {cpu:>8.1f} {'':>9} {1000 * wall / n:>9.1f} "
                    f"{floor_wall:>8.1f} {wall / floor_wall:>8.1f}   one plate added {again:.1f} s",
                    flush=True,
                )


def _one_run(study: Path, n: int, cores: int, new: Path) -> tuple[float, float, float, float]:
    """One run from an empty results/, its floor and one plate added (then removed):
    prints them and returns (wall, CPU, floor wall, one-added wall)."""
    shutil.rmtree(study / "results", ignore_errors=True)
    wall, cpu, peak = run_workflow(study, cores)
    jobs = job_cpu(study)
    breakdown = cpu_breakdown(jobs, cpu)
    floor_wall, floor_cpu = floor(study, cores)
    per_plate = sum(
        f.startup_cpu + f.step_cpu + f.children_cpu
        for rule in PER_PLATE_RULES
        for f in jobs.get(rule, [])
    )
    plain, parts = plain_floor(study)
    breakdown.insert(
        1,
        f"per-plate work against the floors: CPU {per_plate:.1f} s; the package's own "
        f"process_chunk without Snakemake {floor_cpu:.1f} s ({per_plate / floor_cpu:.1f}x); "
        f"a plain parse, batch fit and write {plain:.1f} s ({per_plate / plain:.1f}x: "
        + ", ".join(f"{name} {cpu:.2f} s" for name, cpu in parts.items())
        + ")",
    )
    print(
        f"{n:>7} {wall:>8.1f} {cpu:>8.1f} {peak / 2**20:>9.0f} {1000 * wall / n:>9.1f} "
        f"{floor_wall:>8.1f} {wall / floor_wall:>8.1f}",
        flush=True,
    )
    for line in breakdown:
        print(f"        {line}")
    added, ran, again = add_one_plate(study, cores, new)
    print(f"        one plate added ({added}): {again:.1f} s wall; jobs run: {ran}", flush=True)
    (study / "resources" / "plates" / f"{added}.csv").unlink()
    return wall, cpu, floor_wall, again


if __name__ == "__main__":
    main()
