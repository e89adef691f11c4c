rule test_prepost:
    input:
        rules.combine_replicates.output,
    output:
        "results/stats/prepost.parquet",
    conda:
        "../../environment.yml"
    log:
        "results/logs/test_prepost.log",
    params:
        prepost=config["prepost"],
    script:
        "../../scripts/test_prepost.py"
