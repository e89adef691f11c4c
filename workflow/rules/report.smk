# The quick statistics, their figures and the report: every change that reruns the
# statistics reruns the report after them, so they share one job (one process start,
# the tables read once).
rule statistics_report:
    input:
        samples=rules.study_tables.output.included,
        subjects=rules.classify_responders.output[0],
        exclusions=rules.study_tables.output.exclusions,
        analytes=config["analytes"],
        wells=rules.study_tables.output.wells,
        curves=rules.study_tables.output.curves,
        plates=rules.study_tables.output.plates,
        rejected=rules.study_tables.output.rejected,
        skipped=rules.study_tables.output.skipped,
        vendor=rules.study_tables.output.vendor,
        qc=rules.study_tables.output.qc,
        verdicts=rules.study_tables.output.verdicts,
        levey_jennings=rules.study_tables.output.levey_jennings,
        sheet_checks=rules.study_tables.output.sheet_checks,
    output:
        **{name: f"results/stats/{name}.parquet" for name in QUICK_ANALYSES},
        prepost_png=report(
            "results/figures/prepost_by_response.png",
            caption="../report/prepost_by_response.rst",
            category="Study statistics",
        ),
        prepost_svg="results/figures/prepost_by_response.svg",
        correlation_png=[
            report(
                path, caption="../report/correlation.rst", category="Study statistics"
            )
            for path in correlation_figures("png")
        ],
        correlation_svg=correlation_figures("svg"),
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
        "results/logs/statistics_report.log",
    benchmark:
        "results/benchmarks/statistics_report.tsv"
    # The longest study-level step, first in line: it starts as soon as its inputs are
    # ready, on one core, beside the classification and the handoffs.
    priority: 10
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **REPORT_JOB,
    params:
        # The settings the script uses (Settings.from_config): a change reruns the job.
        settings=analysis_settings(QUICK_ANALYSES, config),
        # Which figure is whose: the configured pairs, in the outputs' order.
        pairs=CORRELATION_PAIRS,
        qc=config["qc"],
        min_bead_count=config["wells"]["min_bead_count"],
        prepost=config["prepost"],
        report=config["report"],
        # Processes drawing the figures missing from results/.cache/figures: the job's
        # threads (a profile's set-threads), and at least two. The figures come last,
        # when the jobs beside this one have mostly ended; on one core they share it.
        figure_workers=lambda wildcards, threads: max(threads, 2),
    script:
        "../../scripts/statistics_report.py"
