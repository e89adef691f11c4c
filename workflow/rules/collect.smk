rule collect_tables:
    input:
        wells=get_dataset_parts("wells"),
        curves=get_dataset_parts("curves"),
        rejected=get_chunk_outputs("rejected"),
        plates=get_chunk_outputs("plates"),
        vendor=get_chunk_outputs("vendor"),
    output:
        wells="results/wells.parquet",
        curves="results/curves.parquet",
        rejected="results/rejected.parquet",
        skipped="results/skipped.parquet",
        plates="results/plates.parquet",
        vendor="results/vendor_results.parquet",
    log:
        "results/logs/collect_tables.log",
    benchmark:
        "results/benchmarks/collect_tables.tsv"
    group:
        "study"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        rejected_files=PLATE_INDEX.rejected,
        skipped_files=PLATE_INDEX.skipped,
        file_ids={str(path): plate_id for plate_id, path in PLATES.items()},
    script:
        "../../scripts/collect_tables.py"
