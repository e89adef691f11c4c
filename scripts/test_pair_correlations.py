"""test_pair_correlations: OLS and Spearman of analyte pairs (pooled and changes)."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.stats import pair_correlations

settings = snakemake.params.prepost
with logged(snakemake.log[0]) as log:
    result = pair_correlations(
        read_table(snakemake.input[0]),
        snakemake.params.pairs,
        pre=settings["pre"],
        post=settings["post"],
        below_lloq=settings["below_lloq"],
    )
    slopes = result[result["analysis"] == "ols_slope"]
    for row in slopes.itertuples():
        log.info("%s ~ %s: slope=%.4g p=%.4g", row.analyte, row.group, row.estimate, row.p)
    write_table(
        result, snakemake.output[0], command="test_pair_correlations", config=snakemake.config
    )
