"""fit_curves: every model for every analyte of one plate."""

from assaypipe.curves import fit_plate_curves
from assaypipe.io import read_table, write_table
from assaypipe.pipeline import logged

settings = snakemake.params.curves
with logged(snakemake.log[0]) as log:
    curves = fit_plate_curves(
        read_table(snakemake.input[0]),
        models=settings["models"],
        weighting=settings["weighting"],
        selection=settings["selection"],
        recovery_limit=settings["recovery_limit"],
        recovery_limit_edge=settings["recovery_limit_edge"],
        cv_limit=settings["cv_limit"],
        lod_k=settings["lod_k"],
    )
    for row in curves.itertuples():
        log.info("%s %s %s: %s %s", row.plate_id, row.analyte, row.model, row.status, row.reasons)
    write_table(curves, snakemake.output[0], command="fit_curves", config=snakemake.config)
