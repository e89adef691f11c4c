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


rule test_prepost:
    input:
        rules.apply_exclusions.output.samples,
    output:
        "results/stats/prepost.parquet",
    log:
        "results/logs/test_prepost.log",
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
        "../../scripts/test_prepost.py"


rule test_prepost_groups:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
    output:
        "results/stats/prepost_groups.parquet",
    log:
        "results/logs/test_prepost_groups.log",
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
        "../../scripts/test_prepost_groups.py"


rule describe_prepost:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
    output:
        "results/stats/prepost_summary.parquet",
    log:
        "results/logs/describe_prepost.log",
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
        "../../scripts/describe_prepost.py"


rule test_prepost_subgroup:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
    output:
        "results/stats/prepost_subgroup.parquet",
    log:
        "results/logs/test_prepost_subgroup.log",
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
        subgroup=config["subgroup"],
    script:
        "../../scripts/test_prepost_subgroup.py"


rule test_prepost_sensitivity:
    input:
        rules.apply_exclusions.output.samples,
    output:
        "results/stats/prepost_sensitivity.parquet",
    log:
        "results/logs/test_prepost_sensitivity.log",
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
        "../../scripts/test_prepost_sensitivity.py"


rule test_response_change:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
    output:
        "results/stats/response_change.parquet",
    log:
        "results/logs/test_response_change.log",
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
        "../../scripts/test_response_change.py"


rule test_pair_correlations:
    input:
        rules.apply_exclusions.output.samples,
    output:
        "results/stats/correlations_pairs.parquet",
    log:
        "results/logs/test_pair_correlations.log",
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
        pairs=config["correlations"]["pairs"],
    script:
        "../../scripts/test_pair_correlations.py"


rule test_covariate_correlations:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
    output:
        "results/stats/correlations_covariates.parquet",
    log:
        "results/logs/test_covariate_correlations.log",
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
        covariates=config["correlations"]["covariates"],
    script:
        "../../scripts/test_covariate_correlations.py"


rule classify_profile:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
    output:
        "results/stats/classification.parquet",
    log:
        "results/logs/classify_profile.log",
    benchmark:
        "results/benchmarks/classify_profile.tsv"
    group:
        "study"
    conda:
        "../../environment.yml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        prepost=config["prepost"],
        classify=config["classify"],
    script:
        "../../scripts/classify_profile.py"


rule plot_prepost:
    input:
        samples=rules.apply_exclusions.output.samples,
        subjects=rules.classify_responders.output[0],
        stats=[rules.test_prepost.output[0], rules.test_prepost_groups.output[0]],
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
