rule fit_curves:
    input:
        rules.annotate_plate.output,
    output:
        "results/plates/{plate}/curves.parquet",
    log:
        "results/logs/fit_curves/{plate}.log",
    benchmark:
        "results/benchmarks/fit_curves/{plate}.tsv"
    conda:
        "../../environment.yml"
    params:
        curves=config["curves"],
    script:
        "../../scripts/fit_curves.py"


rule interpolate_plate:
    input:
        wells=rules.annotate_plate.output,
        curves=rules.fit_curves.output,
    output:
        "results/plates/{plate}/wells.parquet",
    log:
        "results/logs/interpolate_plate/{plate}.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/interpolate_plate.py"
