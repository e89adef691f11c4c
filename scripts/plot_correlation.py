"""plot_correlation: y against x over pooled pre and post samples, OLS line and band."""

from assaypipe.figures_stats import display_names, plot_correlation
from assaypipe.io import read_table
from assaypipe.joblog import logged
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases

settings = Settings.from_config(snakemake.config)
with logged(snakemake.log[0]) as log:
    plot_correlation(
        read_table(snakemake.input.samples),
        snakemake.wildcards.x,
        snakemake.wildcards.y,
        [snakemake.output.png, snakemake.output.svg],
        settings.prepost,
        display=display_names(read_aliases(snakemake.input.analytes)),
    )
    log.info("wrote %s and %s", snakemake.output.png, snakemake.output.svg)
