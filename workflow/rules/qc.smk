rule check_qc:
    input:
        wells=rules.collect_tables.output.wells,
        curves=rules.collect_tables.output.curves,
        plates=rules.collect_tables.output.plates,
        kits=get_kit_files,
        exclusions=get_exclusions_file,
        analytes=config["analytes"],
    output:
        qc="results/qc.parquet",
        verdicts="results/qc_verdicts.parquet",
        levey_jennings="results/levey_jennings.parquet",
    log:
        "results/logs/check_qc.log",
    benchmark:
        "results/benchmarks/check_qc.tsv"
    group:
        "study"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        qc=config["qc"],
    script:
        "../../scripts/check_qc.py"


rule apply_exclusions:
    input:
        wells=rules.collect_tables.output.wells,
        curves=rules.collect_tables.output.curves,
        verdicts=rules.check_qc.output.verdicts,
        exclusions=get_exclusions_file,
        samples=config["samples"],
        analytes=config["analytes"],
    output:
        samples="results/samples_included.parquet",
        exclusions="results/exclusions.parquet",
    log:
        "results/logs/apply_exclusions.log",
    benchmark:
        "results/benchmarks/apply_exclusions.tsv"
    group:
        "study"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        qc=config["qc"],
    script:
        "../../scripts/apply_exclusions.py"
