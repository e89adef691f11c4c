"""run_analysis: study analyses into results/stats/, one table per output name."""

from assaypipe.joblog import end_job, logged, skip_unused_imports

skip_unused_imports()  # first: the imports below would pull hypothesis and polars

from assaypipe.analyses import write_analyses
from assaypipe.io import read_table
from assaypipe.settings import Settings

settings = Settings.from_config(snakemake.config)
with logged(snakemake.log[0]) as log:
    write_analyses(
        dict(snakemake.output.items()),
        read_table(snakemake.input.samples),
        read_table(snakemake.input.subjects),
        read_table(snakemake.input.exclusions),
        settings,
        n_jobs=snakemake.threads,
        config=snakemake.config,
        log=log.info,
    )
end_job()  # last: the outputs are written and the log closed
