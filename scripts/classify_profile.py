"""classify_profile: exploratory LOO-CV logistic classification of responders."""

from assaypipe.classify import classification_table
from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged
from assaypipe.responders import response_groups

settings = snakemake.params.prepost
classify = snakemake.params.classify
with logged(snakemake.log[0]) as log:
    result = classification_table(
        read_table(snakemake.input.samples),
        response_groups(read_table(snakemake.input.subjects)),
        kinds=classify["features"],
        analytes=classify["analytes"] or None,
        c=classify["c"],
        permutations=classify["permutations"],
        seed=classify["seed"],
        pre=settings["pre"],
        post=settings["post"],
        below_lloq=settings["below_lloq"],
        n_jobs=snakemake.threads,
    )
    for row in result[result["p"].notna()].itertuples():
        log.info("EXPLORATORY %s: %.3f (permutation p=%.4g)", row.analysis, row.estimate, row.p)
    write_table(result, snakemake.output[0], command="classify_profile", config=snakemake.config)
