"""describe_prepost: medians, median of differences and effect size r per group."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.responders import response_groups
from assaypipe.stats import prepost_summary

settings = snakemake.params.prepost
with logged(snakemake.log[0]) as log:
    result = prepost_summary(
        read_table(snakemake.input.samples),
        pre=settings["pre"],
        post=settings["post"],
        below_lloq=settings["below_lloq"],
        zero_method=settings["zero_method"],
        groups=response_groups(read_table(snakemake.input.subjects)),
    )
    log.info("%d rows", len(result))
    write_table(result, snakemake.output[0], command="describe_prepost", config=snakemake.config)
