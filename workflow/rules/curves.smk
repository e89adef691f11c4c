rule fit_curves:
    input:
        rules.read_plates.output.wells,
    output:
        "results/dataset/curves/chunk={chunk}/part-0.parquet",
    log:
        "results/logs/fit_curves/{chunk}.log",
    benchmark:
        "results/benchmarks/fit_curves/{chunk}.tsv"
    group:
        "chunk"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        curves=config["curves"],
    script:
        "../../scripts/fit_curves.py"


rule interpolate_wells:
    input:
        wells=rules.read_plates.output.wells,
        curves=rules.fit_curves.output,
    output:
        "results/dataset/wells/chunk={chunk}/part-0.parquet",
    log:
        "results/logs/interpolate_wells/{chunk}.log",
    benchmark:
        "results/benchmarks/interpolate_wells/{chunk}.tsv"
    group:
        "chunk"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../../scripts/interpolate_wells.py"
