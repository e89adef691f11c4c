rule collect_tables:
    input:
        wells=get_plate_outputs("wells"),
        curves=get_plate_outputs("curves"),
        rejected=get_plate_outputs("rejected"),
    output:
        wells="results/wells.parquet",
        curves="results/curves.parquet",
        rejected="results/rejected.parquet",
    log:
        "results/logs/collect_tables.log",
    conda:
        "../../environment.yml"
    script:
        "../../scripts/collect_tables.py"
