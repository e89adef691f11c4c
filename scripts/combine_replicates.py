"""combine_replicates: one value per sample and analyte, in each analyte's study unit."""

from assaypipe.io import read_table, write_table
from assaypipe.joblog import logged
from assaypipe.qc import read_kits
from assaypipe.samples import combine_replicates
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_samples
from assaypipe.units import study_units

with logged(snakemake.log[0]) as log:
    wells = read_table(snakemake.input.wells)
    aliases = read_aliases(snakemake.input.analytes)
    units = study_units(wells, aliases, read_kits(snakemake.input.kits, aliases))
    samples = combine_replicates(
        wells,
        read_table(snakemake.input.curves),
        read_samples(snakemake.input.samples),
        units,
        Settings.from_config(snakemake.config).combine.censored,
    )
    log.info("%d sample x analyte rows", len(samples))
    write_table(samples, snakemake.output[0], command="combine_replicates", config=snakemake.config)
