"""QC benchmark: the QC and exclusion steps of the study_tables job on a study's tables.

Reads the study's wells, curves and plates as written, then runs the checks
(``run_qc``), the sheet checks, the exclusions table and the samples the statistics
keep, as ``scripts/study_tables.py`` does, and prints the CPU seconds of the QC and of
the exclusions (this process; ``--repeats`` runs them again on the same tables). Run
the workflow on a simulated study first:

    .venv/bin/assaypipe simulate --plates 1000 --out /tmp/study
    .venv/bin/snakemake --directory /tmp/study --snakefile Snakefile --cores 2 all
    .venv/bin/python bench/bench_qc.py /tmp/study
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

from assaypipe.exclusion_sheet import read_exclusions
from assaypipe.exclusions import study_exclusions
from assaypipe.io import read_table
from assaypipe.qc import read_kits, run_qc
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_samples, read_subjects
from assaypipe.units import study_units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="a study folder with results/ written")
    parser.add_argument("--repeats", type=int, default=1, help="runs of the steps")
    args = parser.parse_args()
    study, results = args.study, args.study / "results"
    config = yaml.safe_load((study / "config" / "config.yaml").read_text())
    settings = Settings.from_config(config)
    wells = read_table(results / "wells.parquet")
    curves = read_table(results / "curves.parquet")
    plates = read_table(results / "plates.parquet")
    aliases = read_aliases(study / config["analytes"])
    folder = study / settings.qc.kits
    kits = read_kits(sorted(folder.glob("*.y*ml")) if folder.is_dir() else [], aliases)
    units = study_units(wells, aliases, kits)
    sample_sheet = read_samples(study / config["samples"])
    subjects = read_subjects(study / config["subjects"])
    for _ in range(args.repeats):
        cpu = time.process_time()
        manual = read_exclusions(study / settings.qc.exclusions, aliases)
        result = run_qc(wells, curves, plates, settings, kits, manual, units)
        qc_cpu, cpu = time.process_time() - cpu, time.process_time()
        left_out = study_exclusions(
            wells, curves, result.verdicts, manual, sample_sheet, subjects, units, settings
        )
        print(
            f"qc: {qc_cpu:.2f} s CPU ({len(result.qc)} checks); exclusions: "
            f"{time.process_time() - cpu:.2f} s CPU ({len(left_out.exclusions)} exclusions, "
            f"{len(left_out.included)} sample values kept)"
        )


if __name__ == "__main__":
    main()
