"""collect_tables: the study-wide wells, curves, plates, vendor and rejected tables, and
the files of the plates folder skipped."""

import pandas as pd

from assaypipe import tables
from assaypipe.io import write_table
from assaypipe.joblog import logged
from assaypipe.pipeline import collect_study

with logged(snakemake.log[0]) as log:
    frames = collect_study(
        snakemake.input, snakemake.params.rejected_files, snakemake.params.file_ids
    )
    frames["skipped"] = tables.SKIPPED.validate(
        pd.DataFrame(snakemake.params.skipped_files, columns=list(tables.SKIPPED.columns))
    )
    for name, frame in frames.items():
        log.info("%s: %d rows", name, len(frame))
        write_table(
            frame, snakemake.output[name], command="collect_tables", config=snakemake.config
        )
