"""check_qc: per plate x analyte checks, Levey-Jennings with Westgard rules, verdicts."""

from assaypipe.exclusions import read_exclusions
from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.qc import read_kits, run_qc
from assaypipe.sheets import read_aliases

with logged(snakemake.log[0]) as log:
    aliases = read_aliases(snakemake.input.analytes)
    result = run_qc(
        read_table(snakemake.input.wells),
        read_table(snakemake.input.curves),
        read_table(snakemake.input.plates),
        snakemake.params.qc,
        kits=read_kits(snakemake.input.kits, aliases),
        manual=read_exclusions(snakemake.params.qc["exclusions"], aliases),
    )
    log.info("verdicts: %s", result.verdicts["verdict"].value_counts().to_dict())
    for name in ("qc", "verdicts", "levey_jennings"):
        table = getattr(result, name)
        write_table(table, snakemake.output[name], command="check_qc", config=snakemake.config)
