rule fit_curves:
    input:
        rules.annotate_plate.output,
    output:
        "results/plates/{plate}/curves.parquet",
    conda:
        "../../environment.yml"
    log:
        "results/logs/fit_curves/{plate}.log",
    benchmark:
        "results/benchmarks/fit_curves/{plate}.tsv"
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
    conda:
        "../../environment.yml"
    log:
        "results/logs/interpolate_plate/{plate}.log",
    script:
        "../../scripts/interpolate_plate.py"
