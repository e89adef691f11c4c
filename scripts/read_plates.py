"""read_plates: a chunk of exports (with plate maps) -> annotated tidy wells."""

from assaypipe.io import write_table
from assaypipe.pipeline import logged, read_plates
from assaypipe.progress import ChunkProgress
from assaypipe.sheets import read_aliases, read_samples

with logged(snakemake.log[0]) as log:
    read = read_plates(
        snakemake.params.plates,
        read_samples(snakemake.input.samples),
        read_aliases(snakemake.input.analytes),
        chunk=snakemake.wildcards.chunk,
        signal=snakemake.params.signal,
        min_bead_count=snakemake.params.min_bead_count,
        on_plate=ChunkProgress(snakemake.params.progress, snakemake.wildcards.chunk, log).update,
    )
    for reason in read.rejected["reason"]:
        log.warning("rejected: %s", reason)
    for name in ("wells", "rejected", "plates", "vendor"):
        frame = getattr(read, name)
        write_table(frame, snakemake.output[name], command="read_plates", config=snakemake.config)
