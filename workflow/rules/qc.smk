rule check_qc:
    input:
        wells=rules.collect_tables.output.wells,
        curves=rules.collect_tables.output.curves,
        plates=rules.collect_tables.output.plates,
        kits=get_kit_files,
        exclusions=get_exclusions_file,
        samples=config["samples"],
        subjects=config["subjects"],
        analytes=config["analytes"],
    output:
        qc="results/qc.parquet",
        verdicts="results/qc_verdicts.parquet",
        levey_jennings="results/levey_jennings.parquet",
        samples="results/samples_included.parquet",
        exclusions="results/exclusions.parquet",
        sheet_checks="results/sheet_checks.parquet",
    log:
        "results/logs/check_qc.log",
    benchmark:
        "results/benchmarks/check_qc.tsv"
    # The statistics, their figures and the report all wait for it.
    priority: 10
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **STUDY_JOB,
    params:
        # The settings the script uses (Settings.from_config): a change reruns the job.
        qc=config["qc"],
        combine=config["combine"],
        min_bead_count=config["wells"]["min_bead_count"],
    script:
        "../../scripts/check_qc.py"
