"""test_prepost_subgroup: pre/post among subjects with a high baseline value, by group."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.responders import response_groups
from assaypipe.stats import prepost_subgroup

settings = snakemake.params.prepost
subgroup = snakemake.params.subgroup
with logged(snakemake.log[0]) as log:
    result = prepost_subgroup(
        read_table(snakemake.input.samples),
        analyte=subgroup["analyte"],
        threshold=subgroup["threshold"],
        pre=settings["pre"],
        post=settings["post"],
        below_lloq=settings["below_lloq"],
        zero_method=settings["zero_method"],
        groups=response_groups(read_table(snakemake.input.subjects)),
    )
    tests = result[result["analysis"] == "subgroup_prepost"]
    for row in tests.itertuples():
        log.info("%s %s: n=%d p=%.4g", row.group, row.analyte, row.n, row.p)
    write_table(
        result, snakemake.output[0], command="test_prepost_subgroup", config=snakemake.config
    )
