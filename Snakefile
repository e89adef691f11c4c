from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/read.smk"
include: "workflow/rules/curves.smk"
include: "workflow/rules/collect.smk"
include: "workflow/rules/samples.smk"
include: "workflow/rules/stats.smk"


rule all:
    default_target: True
    input:
        rules.collect_tables.output,
        rules.combine_replicates.output,
        rules.test_prepost.output,
