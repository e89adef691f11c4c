rule render_report:
    input:
        unpack(get_prepost_figure),
        wells=rules.study_tables.output.wells,
        curves=rules.study_tables.output.curves,
        plates=rules.study_tables.output.plates,
        rejected=rules.study_tables.output.rejected,
        skipped=rules.study_tables.output.skipped,
        vendor=rules.study_tables.output.vendor,
        qc=rules.study_tables.output.qc,
        verdicts=rules.study_tables.output.verdicts,
        levey_jennings=rules.study_tables.output.levey_jennings,
        exclusions=rules.study_tables.output.exclusions,
        sheet_checks=rules.study_tables.output.sheet_checks,
        samples=rules.study_tables.output.included,
        analytes=config["analytes"],
        stats=[
            rules.run_statistics.output.prepost,
            rules.run_statistics.output.prepost_groups,
            rules.run_statistics.output.response_change,
            rules.run_statistics.output.correlations_pairs,
        ],
        correlations=expand(
            "results/figures/correlation_{pair}.png",
            pair=[f"{x}_vs_{y}" for x, y in config["correlations"]["pairs"]],
        ),
    output:
        html=report(
            "results/report.html",
            caption="../report/qc_report.rst",
            category="Quality control",
            labels={"figure": "QC report (report.html)"},
        ),
        curves=report(
            directory("results/figures/qc_curves"),
            patterns=["{name}.png"],
            caption="../report/qc_curves.rst",
            category="Quality control",
            subcategory="Standard curves",
            labels={"plate and analyte": "{name}"},
        ),
        levey_jennings=report(
            directory("results/figures/levey_jennings"),
            patterns=["{name}.png"],
            caption="../report/levey_jennings.rst",
            category="Quality control",
            subcategory="Levey-Jennings",
            labels={"analyte": "{name}"},
        ),
        plates=report(
            directory("results/figures/plate_maps"),
            patterns=["{name}.png"],
            caption="../report/plate_maps.rst",
            category="Quality control",
            subcategory="Plate maps",
            labels={"plate": "{name}"},
        ),
    log:
        "results/logs/render_report.log",
    benchmark:
        "results/benchmarks/render_report.tsv"
    # The longest study-level step: it starts as soon as its inputs are ready. Its
    # threads (a profile's set-threads) draw the figures missing from
    # results/.cache/figures.
    priority: 10
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **REPORT_JOB,
    params:
        # The settings the script uses (Settings.from_config): a change reruns the job.
        qc=config["qc"],
        min_bead_count=config["wells"]["min_bead_count"],
        prepost=config["prepost"],
        report=config["report"],
    script:
        "../../scripts/render_report.py"
