# The study-wide tables, the samples and QC: every plate added or changed reruns all
# three steps, so they share one job (one process start instead of three).
rule study_tables:
    input:
        wells=get_dataset_parts("wells"),
        curves=get_dataset_parts("curves"),
        rejected=get_chunk_outputs("rejected"),
        plates=get_chunk_outputs("plates"),
        vendor=get_chunk_outputs("vendor"),
        kits=get_kit_files,
        exclusions=get_exclusions_file,
        samples=config["samples"],
        subjects=config["subjects"],
        outcomes=config["outcomes"],
        analytes=config["analytes"],
    output:
        # collect: the chunks' tables as one per study
        wells="results/wells.parquet",
        curves="results/curves.parquet",
        rejected="results/rejected.parquet",
        skipped="results/skipped.parquet",
        plates="results/plates.parquet",
        vendor="results/vendor_results.parquet",
        # combine replicates: one value per sample and analyte
        samples="results/samples.parquet",
        # QC, and the samples it leaves for the statistics
        qc="results/qc.parquet",
        verdicts="results/qc_verdicts.parquet",
        levey_jennings="results/levey_jennings.parquet",
        included="results/samples_included.parquet",
        exclusions="results/exclusions.parquet",
        sheet_checks="results/sheet_checks.parquet",
    log:
        "results/logs/study_tables.log",
    benchmark:
        "results/benchmarks/study_tables.tsv"
    # The statistics, their figures and the report all wait for it.
    priority: 10
    group:
        "study"
    conda:
        "../../environment.yml"
    # Nothing else is left to run beside it: the samples' replicates are combined in a
    # second process while QC runs in the first (one thread: one after the other).
    threads: 2
    resources:
        **STUDY_JOB,
    params:
        rejected_files=PLATE_INDEX.rejected,
        skipped_files=PLATE_INDEX.skipped,
        file_ids={str(path): plate_id for plate_id, path in PLATES.items()},
        # The settings the script uses (Settings.from_config): a change reruns the job.
        qc=config["qc"],
        combine=config["combine"],
        min_bead_count=config["wells"]["min_bead_count"],
    script:
        "../../scripts/study_tables.py"
