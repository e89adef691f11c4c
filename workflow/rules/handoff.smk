rule write_handoffs:
    input:
        wells=rules.collect_tables.output.wells,
        samples=rules.combine_replicates.output[0],
        included=rules.check_qc.output.samples,
        subjects=rules.classify_responders.output[0],
    output:
        workbook="results/concentrations.xlsx",
        prism=directory("results/prism"),
    log:
        "results/logs/write_handoffs.log",
    benchmark:
        "results/benchmarks/write_handoffs.tsv"
    group:
        "study"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        prepost=config["prepost"],
    script:
        "../../scripts/write_handoffs.py"
