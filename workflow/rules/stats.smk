rule classify_responders:
    input:
        subjects=config["subjects"],
        outcomes=config["outcomes"],
    output:
        "results/subjects.parquet",
    log:
        "results/logs/classify_responders.log",
    group:
        "study"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        responders=config["responders"],
    script:
        "../../scripts/classify_responders.py"


rule run_analysis:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
    output:
        "results/stats/{analysis}.parquet",
    log:
        "results/logs/stats/{analysis}.log",
    benchmark:
        "results/benchmarks/stats/{analysis}.tsv"
    wildcard_constraints:
        analysis="|".join(ANALYSES),
    group:
        "study"
    conda:
        "../../environment.yml"
    # The classification's permutations run in parallel; the other analyses take a second.
    threads: lambda wildcards: 2 if wildcards.analysis == "classification" else 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=lambda wildcards: analysis_settings(wildcards.analysis, config),
    script:
        "../../scripts/run_analysis.py"


rule plot_prepost:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
        stats=["results/stats/prepost.parquet", "results/stats/prepost_groups.parquet"],
        analytes=config["analytes"],
    output:
        png=report(
            "results/figures/prepost_by_response.png",
            caption="../report/prepost_by_response.rst",
            category="Statistics",
        ),
        svg="results/figures/prepost_by_response.svg",
    log:
        "results/logs/plot_prepost.log",
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
        "../../scripts/plot_prepost.py"


rule plot_correlation:
    input:
        samples=rules.apply_exclusions.output.samples,
        analytes=config["analytes"],
    output:
        png=report(
            "results/figures/correlation_{x}_vs_{y}.png",
            caption="../report/correlation.rst",
            category="Statistics",
        ),
        svg="results/figures/correlation_{x}_vs_{y}.svg",
    log:
        "results/logs/plot_correlation/{x}_vs_{y}.log",
    wildcard_constraints:
        x="[A-Za-z0-9_.-]+?",
        y="[A-Za-z0-9_.-]+",
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
        "../../scripts/plot_correlation.py"
