"""run_analysis: study analyses into results/stats/, one table per output name."""

from assaypipe.analyses import run_analysis, summary_lines
from assaypipe.io import read_table, write_table
from assaypipe.joblog import logged
from assaypipe.settings import Settings

settings = Settings.from_config(snakemake.config)
with logged(snakemake.log[0]) as log:
    samples = read_table(snakemake.input.samples)
    subjects = read_table(snakemake.input.subjects)
    exclusions = read_table(snakemake.input.exclusions)
    for name, path in snakemake.output.items():
        result = run_analysis(
            name,
            samples,
            subjects,
            settings,
            n_jobs=snakemake.threads,
            exclusions=exclusions,
        )
        for line in summary_lines(result):
            log.info("%s", line)
        write_table(result, path, command=f"stats {name}", config=snakemake.config)
