"""study_tables: the study-wide tables from the chunks' (collect_tables), one value per
sample and analyte in each analyte's study unit (combine_replicates), then QC
(check_qc): per plate x analyte checks, Levey-Jennings with Westgard rules, verdicts;
then failing plates x analytes and manual exclusions left out of the samples.

The three steps run in one job: every plate added or changed reruns them all. Each
table is written with the name of the step that makes it (its ``assaypipe_command``)."""

from assaypipe.joblog import (
    Forked,
    end_job,
    logged,
    one_blas_thread,
    room_to_fork,
    skip_unused_imports,
)

skip_unused_imports()  # first: the imports below would pull hypothesis and polars
one_blas_thread()  # before numpy: the job's two threads are its two processes

from pathlib import Path

import pandas as pd

from assaypipe import tables
from assaypipe.curve_cache import prune_curves
from assaypipe.exclusion_sheet import read_exclusions
from assaypipe.exclusions import study_exclusions
from assaypipe.io import read_table, write_table
from assaypipe.pipeline import collect_study
from assaypipe.qc import read_kits, run_qc
from assaypipe.read_cache import prune_reads
from assaypipe.samples import combine_replicates
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_outcomes, read_samples, read_subjects
from assaypipe.units import study_units

settings = Settings.from_config(snakemake.config)
output = snakemake.output


def write(name: str, table: pd.DataFrame, step: str) -> None:
    write_table(table, output[name], command=step, config=snakemake.config)


def replicates() -> None:
    """One value per sample and analyte in each analyte's study unit."""
    samples = combine_replicates(wells, curves, sample_sheet, units, settings.combine.censored)
    log.info("%d sample x analyte rows", len(samples))
    write("samples", samples, "combine_replicates")


def check_qc() -> None:
    """QC, then the failing plates x analytes and the manual exclusions left out."""
    manual = read_exclusions(settings.qc.exclusions, aliases)
    plates = read_table(output.plates)
    result = run_qc(wells, curves, plates, settings, kits, manual, units)
    log.info("verdicts: %s", result.verdicts["verdict"].value_counts().to_dict())
    subjects = read_subjects(snakemake.input.subjects)
    outcomes = read_outcomes(snakemake.input.outcomes)
    left_out = study_exclusions(
        wells,
        curves,
        result.verdicts,
        manual,
        sample_sheet,
        subjects,
        units,
        settings,
        outcomes=outcomes,
        plates=plates,
    )
    findings, exclusions, included = left_out.findings, left_out.exclusions, left_out.included
    for row in findings.itertuples():
        log.info("sheet check %s %s (%s): %s", row.check, row.name, row.where, row.detail)
    for row in exclusions.itertuples():
        log.info("excluded (%s) %s: %s wells; %s", row.source, row.level, row.n_wells, row.reason)
    log.info("%d sample x analyte values kept for the statistics", len(included))
    qc_tables = {
        "qc": result.qc,
        "verdicts": result.verdicts,
        "levey_jennings": result.levey_jennings,
        "included": included,
        "exclusions": exclusions,
        "sheet_checks": findings,
    }
    for name, table in qc_tables.items():
        write(name, table, "check_qc")


with logged(snakemake.log[0]) as log:
    # collect_tables
    frames = collect_study(
        snakemake.input, snakemake.params.rejected_files, snakemake.params.file_ids
    )
    frames["skipped"] = tables.SKIPPED.validate(
        pd.DataFrame(snakemake.params.skipped_files, columns=list(tables.SKIPPED.columns))
    )
    for name, frame in frames.items():
        log.info("%s: %d rows", name, len(frame))
        write(name, frame, "collect_tables")
    # The chunks keep the exports they read for the next run; not those of files gone.
    kept = Path(output.plates).parent / ".cache"
    gone = prune_reads(kept / "reads", frames["plates"]["source_file"])
    log.info("kept reads of exports no longer in the study removed: %d", gone)
    gone = prune_curves(kept / "curves", frames["plates"]["plate_id"])
    log.info("kept curves of plates no longer in the study removed: %d", gone)

    # The next steps read the study tables as written, as every later step does.
    wells = read_table(output.wells)
    curves = read_table(output.curves)
    aliases = read_aliases(snakemake.input.analytes)
    kits = read_kits(snakemake.input.kits, aliases)
    units = study_units(wells, aliases, kits)
    sample_sheet = read_samples(snakemake.input.samples)

    # combine_replicates beside check_qc: in a forked process when the job has two
    # threads and the memory for it (a study of thousands of plates: one after the other)
    fork = snakemake.threads > 1 and room_to_fork(snakemake.resources.mem_mb)
    log.info("replicates combined %s", "beside QC" if fork else "before QC")
    beside = Forked(replicates, name="replicates", fork=fork)
    try:
        check_qc()
        beside.wait()
    finally:
        beside.stop()
end_job()  # last: the outputs are written and the log closed
