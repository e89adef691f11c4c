"""draw_figures: the report's curve figures, Levey-Jennings charts and plate maps, drawn
into results/.cache/figures beside the statistics; render_report then finds them
kept. Its output lists the figures' keys."""

from pathlib import Path

from assaypipe.joblog import logged
from assaypipe.report import FigureCache, draw_figures, load_inputs
from assaypipe.settings import Settings

with logged(snakemake.log[0]) as log:
    inputs = load_inputs(snakemake.input, settings=Settings.from_config(snakemake.config))
    listing = Path(snakemake.output[0])
    figures = FigureCache(listing.parent / "figures", snakemake.threads)
    keys = draw_figures(inputs, figures)
    listing.write_text("".join(f"{key}.png\n" for key in keys), encoding="utf-8")
    log.info(
        "figures: %d drawn, %d kept from the last run (%d threads)",
        figures.drawn,
        figures.reused,
        snakemake.threads,
    )
