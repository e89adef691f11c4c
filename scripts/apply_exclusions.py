"""apply_exclusions: leave failing plates x analytes and manual exclusions out of the samples."""

from assaypipe.exclusions import exclusion_table, included_samples, read_exclusions
from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.sheets import read_aliases, read_samples

settings = snakemake.params.qc
with logged(snakemake.log[0]) as log:
    wells = read_table(snakemake.input.wells)
    exclusions = exclusion_table(
        wells,
        read_table(snakemake.input.verdicts),
        read_exclusions(settings["exclusions"], read_aliases(snakemake.input.analytes)),
        exclude_failing=settings["exclude_failing"],
    )
    samples = included_samples(
        wells, read_table(snakemake.input.curves), read_samples(snakemake.input.samples), exclusions
    )
    for row in exclusions.itertuples():
        log.info("excluded (%s) %s: %s wells; %s", row.source, row.level, row.n_wells, row.reason)
    log.info("%d sample x analyte values kept for the statistics", len(samples))
    command = "apply_exclusions"
    write_table(samples, snakemake.output.samples, command=command, config=snakemake.config)
    write_table(exclusions, snakemake.output.exclusions, command=command, config=snakemake.config)
