"""fit_curves: every model for every plate x analyte of a chunk, in one batch."""

from assaypipe.curves import fit_plate_curves
from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged

with logged(snakemake.log[0]) as log:
    curves = fit_plate_curves(read_table(snakemake.input[0]), **snakemake.params.curves)
    log.info("%d curves, status: %s", len(curves), curves["status"].value_counts().to_dict())
    write_table(curves, snakemake.output[0], command="fit_curves", config=snakemake.config)
