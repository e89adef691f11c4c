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
    # statistics and the report run beside it on the other core, which
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
