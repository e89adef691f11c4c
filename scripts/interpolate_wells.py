"""interpolate_wells: concentrations and censoring for every well of a chunk."""

from assaypipe.interpolate import interpolate_wells
from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged

with logged(snakemake.log[0]) as log:
    wells = interpolate_wells(read_table(snakemake.input.wells), read_table(snakemake.input.curves))
    log.info("%d rows, %d censored", len(wells), int(wells["censor"].notna().sum()))
    write_table(wells, snakemake.output[0], command="interpolate_wells", config=snakemake.config)
