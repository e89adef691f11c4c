"""annotate_plate: canonical analytes, sample sheet check and well flags."""

from assaypipe.io import read_table, write_table
from assaypipe.layout import annotate_wells
from assaypipe.pipeline import logged
from assaypipe.sheets import read_aliases, read_samples

with logged(snakemake.log[0]) as log:
    wells = annotate_wells(
        read_table(snakemake.input.wells),
        read_samples(snakemake.input.samples),
        read_aliases(snakemake.input.analytes),
        min_bead_count=snakemake.params.min_bead_count,
    )
    log.info("%d rows, %d flagged", len(wells), int((wells["flags"] != "").sum()))
    write_table(wells, snakemake.output[0], command="annotate_plate", config=snakemake.config)
