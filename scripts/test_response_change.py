"""test_response_change: change after treatment, nonresponders vs responders."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.responders import response_groups
from assaypipe.stats import change_by_response

settings = snakemake.params.prepost
with logged(snakemake.log[0]) as log:
    result = change_by_response(
        read_table(snakemake.input.samples),
        response_groups(read_table(snakemake.input.subjects)),
        pre=settings["pre"],
        post=settings["post"],
        below_lloq=settings["below_lloq"],
    )
    tests = result[~result["analysis"].str.endswith("_median")]
    for row in tests.itertuples():
        log.info("%s %s: W=%s p=%.4g", row.analysis, row.analyte, row.statistic, row.p)
    write_table(
        result, snakemake.output[0], command="test_response_change", config=snakemake.config
    )
