from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/config_check.smk"


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/chunk.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/handoff.smk"


rule all:
    default_target: True
    input:
        rules.study_tables.output,
        rules.statistics_report.output,
        rules.classify_responders.output,
        expand("results/stats/{analysis}.parquet", analysis=ANALYSES),
        rules.write_handoffs.output,
