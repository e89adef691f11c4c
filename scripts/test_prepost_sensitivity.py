"""test_prepost_sensitivity: the pre/post tests rerun under each below-LLOQ policy."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.stats import prepost_sensitivity

settings = snakemake.params.prepost
with logged(snakemake.log[0]) as log:
    result = prepost_sensitivity(
        read_table(snakemake.input[0]),
        policies=settings["sensitivity"],
        pre=settings["pre"],
        post=settings["post"],
        zero_method=settings["zero_method"],
    )
    for row in result.itertuples():
        log.info("%s %s: n=%d p=%.4g", row.analysis, row.analyte, row.n, row.p)
    write_table(
        result, snakemake.output[0], command="test_prepost_sensitivity", config=snakemake.config
    )
