"""process_chunk: a chunk of exports -> tidy wells, fitted curves, concentrations.

The exports read by an earlier run are taken from results/.cache/reads (read_cache),
the plates' curves fitted by an earlier run from results/.cache/curves (curve_cache)."""

from assaypipe.joblog import end_job, logged, skip_unused_imports

skip_unused_imports()  # first: the imports below would pull hypothesis and polars

from pathlib import Path

from assaypipe.curve_cache import CurveCache
from assaypipe.io import write_table
from assaypipe.kits import read_kits
from assaypipe.pipeline import process_chunk
from assaypipe.progress import ChunkProgress
from assaypipe.read_cache import ReadCache
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_samples

settings = Settings.from_config(snakemake.config)
kept = Path(snakemake.output.plates).parents[2] / ".cache"
cache = ReadCache(kept / "reads")
curve_cache = CurveCache(kept / "curves")
with logged(snakemake.log[0]) as log:
    aliases = read_aliases(snakemake.input.analytes)
    result = process_chunk(
        snakemake.params.plates,
        read_samples(snakemake.input.samples),
        aliases,
        chunk=snakemake.wildcards.chunk,
        settings=settings,
        kits=read_kits(snakemake.input.kits, aliases),
        on_plate=ChunkProgress(snakemake.params.progress, snakemake.wildcards.chunk, log).update,
        cache=cache,
        curve_cache=curve_cache,
    )
    log.info(
        "exports: %d read, %d kept from the last run, %d earlier versions removed",
        cache.read,
        cache.kept,
        cache.prune(),
    )
    log.info(
        "plates' curves: %d fitted, %d kept from the last run, %d earlier versions removed",
        curve_cache.fitted,
        curve_cache.kept,
        curve_cache.prune(),
    )
    for reason in result.rejected["reason"]:
        log.warning("rejected: %s", reason)
    for plate in result.plates.itertuples():
        for warning in plate.warnings:
            log.warning("%s: %s", plate.plate_id, warning)
    curves = result.curves
    log.info("%d curves, status: %s", len(curves), curves["status"].value_counts().to_dict())
    log.info("%d well rows, %d censored", len(result.wells), result.wells["censor"].notna().sum())
    for name in ("rejected", "plates", "vendor", "curves", "wells"):
        write_table(
            getattr(result, name),
            snakemake.output[name],
            command="process_chunk",
            config=snakemake.config,
        )
end_job()  # last: the outputs are written and the log closed
