rule test_prepost:
    input:
        rules.combine_replicates.output,
    output:
        "results/stats/prepost.parquet",
    log:
        "results/logs/test_prepost.log",
    conda:
        "../../environment.yml"
    params:
        prepost=config["prepost"],
    script:
        "../../scripts/test_prepost.py"
