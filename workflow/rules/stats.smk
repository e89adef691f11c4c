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
        samples=rules.check_qc.output.samples,
        subjects=rules.classify_responders.output[0],
        exclusions=rules.check_qc.output.exclusions,
    output:
        **{name: f"results/stats/{name}.parquet" for name in QUICK_ANALYSES},
    log:
        "results/logs/run_statistics.log",
    benchmark:
        "results/benchmarks/run_statistics.tsv"
    # First in line with the classification: the pre/post figure and the report wait
    # for it, the correlation figures wait for nothing.
    priority: 10
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **STUDY_JOB,
    params:
        settings=analysis_settings(QUICK_ANALYSES, config),
    script:
        "../../scripts/run_analysis.py"


rule classify_profile:
    input:
        samples=rules.check_qc.output.samples,
        subjects=rules.classify_responders.output[0],
        exclusions=rules.check_qc.output.exclusions,
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


rule plot_prepost:
    input:
        samples=rules.check_qc.output.samples,
        subjects=rules.classify_responders.output[0],
        stats=["results/stats/prepost.parquet", "results/stats/prepost_groups.parquet"],
        analytes=config["analytes"],
    output:
        png=report(
            "results/figures/prepost_by_response.png",
            caption="../report/prepost_by_response.rst",
            category="Study statistics",
        ),
        svg="results/figures/prepost_by_response.svg",
    log:
        "results/logs/plot_prepost.log",
    benchmark:
        "results/benchmarks/plot_prepost.tsv"
    # The report waits for this figure: it goes before the correlation figures.
    priority: 10
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **STUDY_JOB,
    params:
        prepost=config["prepost"],
    script:
        "../../scripts/plot_prepost.py"


rule plot_correlation:
    input:
        samples=rules.check_qc.output.samples,
        analytes=config["analytes"],
    output:
        png=report(
            "results/figures/correlation_{x}_vs_{y}.png",
            caption="../report/correlation.rst",
            category="Study statistics",
        ),
        svg="results/figures/correlation_{x}_vs_{y}.svg",
    log:
        "results/logs/plot_correlation/{x}_vs_{y}.log",
    benchmark:
        "results/benchmarks/plot_correlation/{x}_vs_{y}.tsv"
    wildcard_constraints:
        x="[A-Za-z0-9_.-]+?",
        y="[A-Za-z0-9_.-]+",
    group:
        "study"
    conda:
        "../../environment.yml"
    resources:
        **STUDY_JOB,
    params:
        prepost=config["prepost"],
    script:
        "../../scripts/plot_correlation.py"
