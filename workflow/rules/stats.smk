rule classify_responders:
    input:
        subjects=config["subjects"],
        outcomes=config["outcomes"],
    output:
        "results/subjects.parquet",
    log:
        "results/logs/classify_responders.log",
    benchmark:
        "results/benchmarks/classify_responders.tsv"
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **STUDY_JOB,
    params:
        responders=config["responders"],
    script:
        "../../scripts/classify_responders.py"


rule run_statistics:
    input:
        samples=rules.study_tables.output.included,
        subjects=rules.classify_responders.output[0],
        exclusions=rules.study_tables.output.exclusions,
        analytes=config["analytes"],
    output:
        **{name: f"results/stats/{name}.parquet" for name in QUICK_ANALYSES},
        # The figures drawn from the same tables, in the same job.
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
    log:
        "results/logs/run_statistics.log",
    benchmark:
        "results/benchmarks/run_statistics.tsv"
    # First in line with the classification: the report waits for its tables and
    # figures.
    priority: 10
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **STUDY_JOB,
    params:
        settings=analysis_settings(QUICK_ANALYSES, config),
        # Which figure is whose: the configured pairs, in the outputs' order.
        pairs=CORRELATION_PAIRS,
    script:
        "../../scripts/run_statistics.py"


rule classify_profile:
    input:
        samples=rules.study_tables.output.included,
        subjects=rules.classify_responders.output[0],
        exclusions=rules.study_tables.output.exclusions,
    output:
        classification="results/stats/classification.parquet",
    log:
        "results/logs/classify_profile.log",
    benchmark:
        "results/benchmarks/classify_profile.tsv"
    # One core, started as soon as its inputs are there: on a small machine the
    # statistics, the figures and the report run beside it on the other core, which
    # ends the workflow sooner than the permutations split over both cores while
    # everything else waits (the permutations do run in parallel given threads).
    priority: 10
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **STUDY_JOB,
    params:
        settings=analysis_settings("classification", config),
    script:
        "../../scripts/run_analysis.py"
