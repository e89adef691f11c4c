"""plot_prepost: paired pre/post lines per analyte, split by responder group."""

from assaypipe.figures_stats import display_names, plot_prepost
from assaypipe.io import read_table
from assaypipe.joblog import logged
from assaypipe.pipeline import concat_tables
from assaypipe.responders import response_groups
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases
from assaypipe.tables import STATS

settings = Settings.from_config(snakemake.config)
with logged(snakemake.log[0]) as log:
    plot_prepost(
        read_table(snakemake.input.samples),
        response_groups(read_table(snakemake.input.subjects)),
        [snakemake.output.png, snakemake.output.svg],
        settings.prepost,
        stats=concat_tables(snakemake.input.stats, STATS),
        display=display_names(read_aliases(snakemake.input.analytes)),
    )
    log.info("wrote %s and %s", snakemake.output.png, snakemake.output.svg)
