"""render_report: results/report.html, and its figures as PNG for snakemake --report."""

from assaypipe.io import config_hash
from assaypipe.joblog import logged
from assaypipe.report import build_report, load_inputs, log_progress, write_report
from assaypipe.sheets import read_aliases

with logged(snakemake.log[0]) as log:
    inputs = load_inputs(
        snakemake.input,
        aliases=read_aliases(snakemake.input.analytes),
        prepost_figure=snakemake.input.get("prepost"),
        settings=snakemake.params.qc,
        pre=snakemake.params.prepost["pre"],
        post=snakemake.params.prepost["post"],
        exclusions_file=snakemake.params.qc["exclusions"],
        config_hash=config_hash(snakemake.config),
        curve_figures=snakemake.params.report["curve_figures"],
        plate_maps=snakemake.params.report["plate_maps"],
    )
    folders = {
        "curves": snakemake.output.curves,
        "levey_jennings": snakemake.output.levey_jennings,
        "plates": snakemake.output.plates,
    }
    page = build_report(inputs, folders, progress=log_progress(log))
    write_report(snakemake.output.html, page)
    log.info("wrote %s (%d bytes)", snakemake.output.html, len(page.encode()))
