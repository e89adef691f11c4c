rule draw_figures:
    input:
        wells=rules.study_tables.output.wells,
        curves=rules.study_tables.output.curves,
        plates=rules.study_tables.output.plates,
        rejected=rules.study_tables.output.rejected,
        qc=rules.study_tables.output.qc,
        verdicts=rules.study_tables.output.verdicts,
        levey_jennings=rules.study_tables.output.levey_jennings,
        exclusions=rules.study_tables.output.exclusions,
        samples=rules.study_tables.output.included,
    output:
        # the keys of the figures drawn into results/.cache/figures, for render_report
        "results/.cache/figures.txt",
    log:
        "results/logs/draw_figures.log",
    benchmark:
        "results/benchmarks/draw_figures.tsv"
    # The report's curve figures, Levey-Jennings charts and plate maps need the study's
    # tables only: drawn over the job's threads (a profile's set-threads) as soon as QC
    # is done (a priority above the statistics'), beside them, they are kept for
    # render_report, which then only assembles.
    priority: 30
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **REPORT_JOB,
    params:
        # The settings the figures depend on (Settings.from_config): a change redraws.
        qc=config["qc"],
        min_bead_count=config["wells"]["min_bead_count"],
        report=config["report"],
    script:
        "../../scripts/draw_figures.py"


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
        figures=rules.draw_figures.output[0],
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
    # It starts as soon as its inputs are ready, and draws any figure missing from
    # results/.cache/figures (draw_figures has drawn them) over its threads.
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
