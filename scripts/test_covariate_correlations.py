"""test_covariate_correlations: OLS and Spearman of baseline analytes on covariates."""

from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.responders import primary_subjects
from assaypipe.stats import covariate_correlations

settings = snakemake.params.prepost
with logged(snakemake.log[0]) as log:
    result = covariate_correlations(
        read_table(snakemake.input.samples),
        primary_subjects(read_table(snakemake.input.subjects)),
        covariates=snakemake.params.covariates,
        visit=settings["pre"],
        below_lloq=settings["below_lloq"],
    )
    slopes = result[result["analysis"] == "ols_slope"]
    for row in slopes.itertuples():
        log.info("%s ~ %s: slope=%.4g p=%.4g", row.analyte, row.group, row.estimate, row.p)
    write_table(
        result, snakemake.output[0], command="test_covariate_correlations", config=snakemake.config
    )
