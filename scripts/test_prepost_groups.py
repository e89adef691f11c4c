"""test_prepost_groups: the pre/post tests within each responder group."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.responders import response_groups
from assaypipe.stats import prepost

settings = snakemake.params.prepost
with logged(snakemake.log[0]) as log:
    result = prepost(
        read_table(snakemake.input.samples),
        pre=settings["pre"],
        post=settings["post"],
        below_lloq=settings["below_lloq"],
        zero_method=settings["zero_method"],
        groups=response_groups(read_table(snakemake.input.subjects)),
        include_all=False,
    )
    for row in result.itertuples():
        log.info("%s %s: n=%d V=%s p=%.4g", row.group, row.analyte, row.n, row.statistic, row.p)
    write_table(result, snakemake.output[0], command="test_prepost_groups", config=snakemake.config)
