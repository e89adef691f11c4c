rule fit_curves:
    input:
        rules.read_plates.output.wells,
    output:
        "results/chunks/{chunk}/curves.parquet",
    log:
        "results/logs/fit_curves/{chunk}.log",
    benchmark:
        "results/benchmarks/fit_curves/{chunk}.tsv"
    conda:
        "../../environment.yml"
    params:
        curves=config["curves"],
    script:
        "../../scripts/fit_curves.py"


rule interpolate_wells:
    input:
        wells=rules.read_plates.output.wells,
        curves=rules.fit_curves.output,
    output:
        "results/chunks/{chunk}/wells.parquet",
    log:
        "results/logs/interpolate_wells/{chunk}.log",
    benchmark:
        "results/benchmarks/interpolate_wells/{chunk}.tsv"
    conda:
        "../../environment.yml"
    script:
        "../../scripts/interpolate_wells.py"
