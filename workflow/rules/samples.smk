rule combine_replicates:
    input:
        wells=rules.collect_tables.output.wells,
        curves=rules.collect_tables.output.curves,
        samples=config["samples"],
    output:
        "results/samples.parquet",
    log:
        "results/logs/combine_replicates.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/combine_replicates.py"
