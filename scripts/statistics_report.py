"""statistics_report: the study's quick analyses into results/stats/ and the figures
drawn from the same tables (paired pre/post lines per analyte split by responder group;
y against x over pooled pre and post samples with OLS line and band for each
configured pair), then results/report.html and its figures as PNG for snakemake
--report. One job: the report always follows the statistics. The statistics run in a
forked process while the report's sections before them are built."""

from assaypipe.joblog import Forked, end_job, freeze_alive, logged, skip_unused_imports

skip_unused_imports()  # first: the imports below would pull hypothesis and polars

from pathlib import Path

from assaypipe.analyses import write_analyses
from assaypipe.analysis_names import QUICK_ANALYSES
from assaypipe.figures_stats import display_names, plot_correlation, plot_prepost
from assaypipe.io import config_hash, read_table
from assaypipe.pipeline import concat_tables
from assaypipe.report import (
    FigureCache,
    build_report,
    load_inputs,
    log_progress,
    statistics_inputs,
    write_report,
)
from assaypipe.responders import response_groups
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases
from assaypipe.tables import STATS

settings = Settings.from_config(snakemake.config)
output = snakemake.output


def statistics() -> None:
    """The quick analyses, then the pre/post and correlation figures from them."""
    subjects = read_table(snakemake.input.subjects)
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
    display = display_names(aliases)
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
    figures = zip(
        snakemake.params.pairs, output.correlation_png, output.correlation_svg, strict=True
    )
    for (x, y), png, svg in figures:
        plot_correlation(samples, x, y, [png, svg], settings.prepost, display=display)
        log.info("wrote %s and %s", png, svg)


def statistics_done() -> dict[str, object]:
    """What the report shows of the statistics, once they are written."""
    forked.wait()
    return statistics_inputs(
        [output.prepost, output.prepost_groups, output.response_change, output.correlations_pairs],
        list(output.correlation_png),
        output.prepost_png,
    )


with logged(snakemake.log[0]) as log:
    # Read once, for both parts: the statistics' process starts with them.
    aliases = read_aliases(snakemake.input.analytes)
    samples = read_table(snakemake.input.samples)
    exclusions = read_table(snakemake.input.exclusions)
    forked = Forked(statistics, name="statistics")
    try:
        # The report (render_report): the study tables now, the statistics as written.
        inputs = load_inputs(
            {**dict(snakemake.input.items()), "samples": samples, "exclusions": exclusions},
            aliases=aliases,
            settings=settings,
            config_hash=config_hash(snakemake.config),
        )
        # Forked from here, the figure workers leave the tables' objects alone.
        freeze_alive()
        folders = {
            "curves": output.curves,
            "levey_jennings": output.levey_jennings,
            "plates": output.plates,
        }
        # Curve figures and plate maps kept between runs (results/.cache/figures), drawn
        # by the figure workers when missing: a plate added redraws only its own.
        kept = FigureCache(
            Path(output.html).parent / ".cache" / "figures", snakemake.params.figure_workers
        )
        page = build_report(
            inputs, folders, progress=log_progress(log), figures=kept, statistics=statistics_done
        )
    finally:
        forked.stop()
    log.info(
        "figures: %d drawn, %d kept from the last run, %d no longer shown removed",
        kept.drawn,
        kept.reused,
        kept.removed,
    )
    write_report(output.html, page)
    log.info("wrote %s (%d bytes)", output.html, len(page.encode()))
end_job()  # last: the outputs are written and the log closed
