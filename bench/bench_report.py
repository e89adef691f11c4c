"""Report benchmark: build results/report.html of a study the workflow has already run.

Reads the study's tables as the statistics_report job does after the statistics, builds
the page with every figure folder in a temporary directory, and prints the seconds it
took (wall and CPU) and the page's size. Run the workflow on a simulated study first:

    .venv/bin/assaypipe simulate --plates 1000 --out /tmp/study
    .venv/bin/snakemake --directory /tmp/study --snakefile Snakefile --cores 2 all
    .venv/bin/python bench/bench_report.py /tmp/study

``--kept`` reads the figures the workflow kept (``results/.cache/figures``) instead of
drawing them (the report of a study run again after a change that redrew none);
``--workers N`` draws the missing ones in N processes, as the workflow's job does.
``--sections`` times each section's HTML alone, its figures not drawn (each stands in
as an empty PNG), ``--repeat`` times (the first is a warm-up and is not shown).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from assaypipe.report import FigureCache, ReportInputs, build_report, load_inputs
from assaypipe.report.build import SECTION_RENDERERS
from assaypipe.report.context import ReportContext
from assaypipe.report.figure_cache import FigureRequest
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases

TABLES = (
    "wells",
    "curves",
    "plates",
    "rejected",
    "vendor_results",
    "qc",
    "qc_verdicts",
    "levey_jennings",
    "exclusions",
    "sheet_checks",
    "samples_included",
)
FOLDERS = ("curves", "levey_jennings", "plates")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="a study folder with results/ written")
    parser.add_argument("--kept", action="store_true", help="reuse results/.cache/figures")
    parser.add_argument("--workers", type=int, default=1, help="processes drawing figures")
    parser.add_argument("--sections", action="store_true", help="time each section alone")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each section")
    args = parser.parse_args()
    results = args.study / "results"
    config = yaml.safe_load((args.study / "config" / "config.yaml").read_text())
    paths = {name: results / f"{name}.parquet" for name in TABLES}
    paths.update(
        vendor=paths.pop("vendor_results"),
        verdicts=paths.pop("qc_verdicts"),
        samples=paths.pop("samples_included"),
    )
    start, cpu = time.perf_counter(), time.process_time()
    inputs = load_inputs(
        paths,
        aliases=read_aliases(args.study / "config" / "analytes.tsv"),
        settings=Settings.from_config(config),
    )
    if args.sections:
        time_sections(inputs, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="assaypipe-report-") as tmp:
        folders = {kind: Path(tmp) / kind for kind in FOLDERS}
        kept = results / ".cache" / "figures" if args.kept else None
        figures = FigureCache(kept, args.workers)
        page = build_report(inputs, folders, figures=figures)
    print(
        f"report: {time.perf_counter() - start:.2f} s wall, {time.process_time() - cpu:.2f} s "
        f"CPU (this process), {len(page.encode()) / 2**20:.1f} MiB; figures drawn "
        f"{figures.drawn}, kept {figures.reused}"
    )


class _NotDrawn(FigureCache):
    """Every figure an empty PNG: what is left is the section's own work."""

    def _draw(self, requests: list[FigureRequest], parallel: bool) -> list[bytes]:
        return [b"" for _ in requests]


def time_sections(inputs: ReportInputs, repeat: int) -> None:
    """CPU seconds of each section's render, its figures not drawn."""
    ctx = ReportContext.of(inputs, figures=_NotDrawn())
    for render in SECTION_RENDERERS:
        render(ctx)
        runs = []
        for _ in range(repeat):
            cpu = time.process_time()
            render(ctx)
            runs.append(time.process_time() - cpu)
        shown = ", ".join(f"{run:.2f}" for run in runs)
        print(f"{render.__module__.rsplit('.', 1)[-1]:<16} {shown} s CPU")


if __name__ == "__main__":
    main()
