"""render_report: results/report.html, and its figures as PNG for snakemake --report."""

from assaypipe.io import config_hash
from assaypipe.joblog import logged
from assaypipe.report import build_report, load_inputs, log_progress, write_report
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
    page = build_report(inputs, folders, progress=log_progress(log))
    write_report(snakemake.output.html, page)
    log.info("wrote %s (%d bytes)", snakemake.output.html, len(page.encode()))
