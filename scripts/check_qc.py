"""check_qc: per plate x analyte checks, Levey-Jennings with Westgard rules, verdicts;
then failing plates x analytes and manual exclusions left out of the samples."""

from assaypipe.exclusions import exclusion_table, included_samples, read_exclusions
from assaypipe.io import read_table, write_table
from assaypipe.joblog import logged
from assaypipe.qc import read_kits, run_qc
from assaypipe.responders import read_subjects
from assaypipe.settings import Settings
from assaypipe.sheet_checks import sheet_findings
from assaypipe.sheets import read_aliases, read_samples
from assaypipe.units import study_units

settings = Settings.from_config(snakemake.config)
with logged(snakemake.log[0]) as log:
    aliases = read_aliases(snakemake.input.analytes)
    wells = read_table(snakemake.input.wells)
    curves = read_table(snakemake.input.curves)
    manual = read_exclusions(settings.qc.exclusions, aliases)
    kits = read_kits(snakemake.input.kits, aliases)
    units = study_units(wells, aliases, kits)
    result = run_qc(
        wells, curves, read_table(snakemake.input.plates), settings, kits, manual, units
    )
    log.info("verdicts: %s", result.verdicts["verdict"].value_counts().to_dict())
    sample_sheet = read_samples(snakemake.input.samples)
    findings = sheet_findings(wells, sample_sheet, read_subjects(snakemake.input.subjects))
    for row in findings.itertuples():
        log.info("sheet check %s %s (%s): %s", row.check, row.name, row.where, row.detail)
    exclusions = exclusion_table(
        wells,
        result.verdicts,
        manual,
        exclude_failing=settings.qc.exclude_failing,
        units=units,
        sheets=findings,
    )
    samples = included_samples(
        wells, curves, sample_sheet, exclusions, units, settings.combine.censored
    )
    for row in exclusions.itertuples():
        log.info("excluded (%s) %s: %s wells; %s", row.source, row.level, row.n_wells, row.reason)
    log.info("%d sample x analyte values kept for the statistics", len(samples))
    tables = {
        "qc": result.qc,
        "verdicts": result.verdicts,
        "levey_jennings": result.levey_jennings,
        "samples": samples,
        "exclusions": exclusions,
        "sheet_checks": findings,
    }
    for name, table in tables.items():
        write_table(table, snakemake.output[name], command="check_qc", config=snakemake.config)
