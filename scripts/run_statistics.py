"""run_statistics: the study's quick analyses into results/stats/, then the figures
drawn from the same tables: paired pre/post lines per analyte split by responder group
(plot_prepost), and y against x over pooled pre and post samples with OLS line and band
for each configured pair (plot_correlation). One job: the figures always follow the
statistics."""

from assaypipe.joblog import end_job, logged, skip_unused_imports

skip_unused_imports()  # first: the imports below would pull hypothesis and polars

from assaypipe.analyses import write_analyses
from assaypipe.analysis_names import QUICK_ANALYSES
from assaypipe.figures_stats import display_names, plot_correlation, plot_prepost
from assaypipe.io import read_table
from assaypipe.pipeline import concat_tables
from assaypipe.responders import response_groups
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases
from assaypipe.tables import STATS

settings = Settings.from_config(snakemake.config)
output = snakemake.output
with logged(snakemake.log[0]) as log:
    samples = read_table(snakemake.input.samples)
    subjects = read_table(snakemake.input.subjects)
    exclusions = read_table(snakemake.input.exclusions)
    write_analyses(
        {name: output[name] for name in QUICK_ANALYSES},
        samples,
        subjects,
        exclusions,
        settings,
        n_jobs=snakemake.threads,
        config=snakemake.config,
        log=log.info,
    )

    display = display_names(read_aliases(snakemake.input.analytes))
    # plot_prepost: the tables as written, as the report reads them.
    plot_prepost(
        samples,
        response_groups(subjects),
        [output.prepost_png, output.prepost_svg],
        settings.prepost,
        stats=concat_tables([output.prepost, output.prepost_groups], STATS),
        display=display,
    )
    log.info("wrote %s and %s", output.prepost_png, output.prepost_svg)
    # plot_correlation
    figures = zip(
        snakemake.params.pairs, output.correlation_png, output.correlation_svg, strict=True
    )
    for (x, y), png, svg in figures:
        plot_correlation(samples, x, y, [png, svg], settings.prepost, display=display)
        log.info("wrote %s and %s", png, svg)
end_job()  # last: the outputs are written and the log closed
