"""collect_tables: the study-wide wells, curves, plates, vendor results and rejected tables."""

from assaypipe import tables
from assaypipe.io import write_table
from assaypipe.joblog import logged
from assaypipe.pipeline import concat_tables

with logged(snakemake.log[0]) as log:
    for name, schema, first_rows in [
        ("wells", tables.WELLS, []),
        ("curves", tables.CURVES, []),
        ("plates", tables.PLATES, []),
        ("vendor", tables.VENDOR_RESULTS, []),
        ("rejected", tables.REJECTED, snakemake.params.rejected_files),
    ]:
        frame = concat_tables(snakemake.input[name], schema, first_rows)
        log.info("%s: %d rows", name, len(frame))
        write_table(
            frame, snakemake.output[name], command="collect_tables", config=snakemake.config
        )
