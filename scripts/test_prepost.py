"""test_prepost: Wilcoxon matched-pairs signed-rank test per analyte, all subjects."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.stats import prepost

settings = snakemake.params.prepost
with logged(snakemake.log[0]) as log:
    result = prepost(
        read_table(snakemake.input[0]),
        pre=settings["pre"],
        post=settings["post"],
        below_lloq=settings["below_lloq"],
        zero_method=settings["zero_method"],
    )
    for row in result.itertuples():
        log.info("%s: n=%d V=%s p=%.4g", row.analyte, row.n, row.statistic, row.p)
    write_table(result, snakemake.output[0], command="test_prepost", config=snakemake.config)
