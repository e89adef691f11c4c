"""combine_replicates: one value per sample and analyte."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.samples import combine_replicates
from assaypipe.sheets import read_samples

with logged(snakemake.log[0]) as log:
    samples = combine_replicates(
        read_table(snakemake.input.wells),
        read_table(snakemake.input.curves),
        read_samples(snakemake.input.samples),
    )
    log.info("%d sample x analyte rows", len(samples))
    write_table(samples, snakemake.output[0], command="combine_replicates", config=snakemake.config)
