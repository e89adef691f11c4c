"""read_plate: one export (and its plate map) -> tidy wells, or a rejected row."""

from assaypipe.io import write_table
from assaypipe.pipeline import logged, read_plate

with logged(snakemake.log[0]) as log:
    wells, rejected = read_plate(
        snakemake.input.export,
        snakemake.input.get("plate_map"),
        plate_id=snakemake.wildcards.plate,
        signal=snakemake.params.signal,
    )
    for reason in rejected["reason"]:
        log.warning("rejected: %s", reason)
    log.info("%d wells x analyte rows", len(wells))
    write_table(wells, snakemake.output.wells, command="read_plate", config=snakemake.config)
    write_table(rejected, snakemake.output.rejected, command="read_plate", config=snakemake.config)
