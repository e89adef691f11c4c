rule combine_replicates:
    input:
        wells=rules.collect_tables.output.wells,
        curves=rules.collect_tables.output.curves,
        samples=config["samples"],
        analytes=config["analytes"],
        kits=get_kit_files,
    output:
        "results/samples.parquet",
    log:
        "results/logs/combine_replicates.log",
    benchmark:
        "results/benchmarks/combine_replicates.tsv"
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **STUDY_JOB,
    params:
        # The settings the script uses (Settings.from_config): a change reruns the job.
        combine=config["combine"],
    script:
        "../../scripts/combine_replicates.py"
