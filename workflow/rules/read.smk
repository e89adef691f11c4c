rule read_plate:
    input:
        unpack(get_read_plate_input),
    output:
        wells="results/plates/{plate}/read.parquet",
        rejected="results/plates/{plate}/rejected.parquet",
    log:
        "results/logs/read_plate/{plate}.log",
    benchmark:
        "results/benchmarks/read_plate/{plate}.tsv"
    conda:
        "../../environment.yml"
    params:
        signal=config["wells"]["luminex_signal"],
    script:
        "../../scripts/read_plate.py"


rule annotate_plate:
    input:
        wells=rules.read_plate.output.wells,
        samples=config["samples"],
        analytes=config["analytes"],
    output:
        "results/plates/{plate}/annotated.parquet",
    log:
        "results/logs/annotate_plate/{plate}.log",
    conda:
        "../../environment.yml"
    params:
        min_bead_count=config["wells"]["min_bead_count"],
    script:
        "../../scripts/annotate_plate.py"
