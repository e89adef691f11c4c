"""render_report: results/report.html, and its figures as PNG for snakemake --report."""

from assaypipe.joblog import end_job, logged, skip_unused_imports

skip_unused_imports()  # first: the imports below would pull hypothesis and polars

from pathlib import Path

from assaypipe.io import config_hash
from assaypipe.report import FigureCache, build_report, load_inputs, log_progress, write_report
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases

with logged(snakemake.log[0]) as log:
    inputs = load_inputs(
        snakemake.input,
        aliases=read_aliases(snakemake.input.analytes),
        prepost_figure=snakemake.input.get("prepost"),
        settings=Settings.from_config(snakemake.config),
        config_hash=config_hash(snakemake.config),
    )
    folders = {
        "curves": snakemake.output.curves,
        "levey_jennings": snakemake.output.levey_jennings,
        "plates": snakemake.output.plates,
    }
    # Curve figures and plate maps kept between runs (results/.cache/figures), drawn by
    # the job's threads when missing: a plate added redraws only its own.
    figures = FigureCache(
        Path(snakemake.output.html).parent / ".cache" / "figures", snakemake.threads
    )
    page = build_report(inputs, folders, progress=log_progress(log), figures=figures)
    log.info(
        "figures: %d drawn, %d kept from the last run, %d no longer shown removed",
        figures.drawn,
        figures.reused,
        figures.removed,
    )
    write_report(snakemake.output.html, page)
    log.info("wrote %s (%d bytes)", snakemake.output.html, len(page.encode()))
end_job()  # last: the outputs are written and the log closed
