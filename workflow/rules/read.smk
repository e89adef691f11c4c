rule read_plates:
    input:
        unpack(get_read_plates_input),
    output:
        wells="results/chunks/{chunk}/read.parquet",
        rejected="results/chunks/{chunk}/rejected.parquet",
        plates="results/chunks/{chunk}/plates.parquet",
        vendor="results/chunks/{chunk}/vendor.parquet",
    log:
        "results/logs/read_plates/{chunk}.log",
    benchmark:
        "results/benchmarks/read_plates/{chunk}.tsv"
    group:
        "chunk"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        plates=get_chunk_plates,
        signal=config["wells"]["luminex_signal"],
        min_bead_count=config["wells"]["min_bead_count"],
        progress=PROGRESS,
    script:
        "../../scripts/read_plates.py"
