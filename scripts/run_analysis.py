"""run_analysis: one study analysis (wildcard ``analysis``) into results/stats/."""

from assaypipe.analyses import run_analysis, summary_lines
from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged

name = snakemake.wildcards.analysis
with logged(snakemake.log[0]) as log:
    result = run_analysis(
        name,
        read_table(snakemake.input.samples),
        read_table(snakemake.input.subjects),
        snakemake.params.settings,
        n_jobs=snakemake.threads,
    )
    for line in summary_lines(result):
        log.info("%s", line)
    write_table(result, snakemake.output[0], command=f"stats {name}", config=snakemake.config)
