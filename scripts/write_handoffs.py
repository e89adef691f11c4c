"""write_handoffs: the lab's Excel workbook and Prism column tables."""

from assaypipe.joblog import end_job, logged, skip_unused_imports

skip_unused_imports()  # first: the imports below would pull hypothesis and polars

from assaypipe.handoff import prism_tables, write_concentrations_workbook, write_prism_tables
from assaypipe.io import read_table
from assaypipe.responders import response_groups
from assaypipe.settings import Settings

with logged(snakemake.log[0]) as log:
    included = read_table(snakemake.input.included)
    write_concentrations_workbook(
        read_table(snakemake.input.wells),
        read_table(snakemake.input.samples),
        included,
        snakemake.output.workbook,
    )
    tables = prism_tables(
        included,
        response_groups(read_table(snakemake.input.subjects)),
        Settings.from_config(snakemake.config).prepost,
    )
    write_prism_tables(tables, snakemake.output.prism)
    log.info(
        "%s; %d Prism tables in %s", snakemake.output.workbook, len(tables), snakemake.output.prism
    )
end_job()  # last: the outputs are written and the log closed
