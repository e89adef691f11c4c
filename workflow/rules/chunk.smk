rule process_chunk:
    input:
        unpack(get_read_plates_input),
    output:
        rejected="results/chunks/{chunk}/rejected.parquet",
        plates="results/chunks/{chunk}/plates.parquet",
        vendor="results/chunks/{chunk}/vendor.parquet",
        curves="results/dataset/curves/chunk={chunk}/part-0.parquet",
        wells="results/dataset/wells/chunk={chunk}/part-0.parquet",
    log:
        "results/logs/process_chunk/{chunk}.log",
    benchmark:
        "results/benchmarks/process_chunk/{chunk}.tsv"
    group:
        "chunk"
    conda:
        "../../environment.yml"
    resources:
        **CHUNK_JOB,
    params:
        plates=get_chunk_plates,
        # The settings the script uses (Settings.from_config): a change reruns the job.
        wells=config["wells"],
        curves=config["curves"],
        progress=PROGRESS,
    script:
        "../../scripts/process_chunk.py"
