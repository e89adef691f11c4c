from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/config_check.smk"


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/chunk.smk"
include: "workflow/rules/collect.smk"
include: "workflow/rules/samples.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/handoff.smk"


rule all:
    default_target: True
    input:
        rules.collect_tables.output,
        rules.combine_replicates.output,
        rules.check_qc.output,
        rules.render_report.output,
        rules.classify_responders.output,
        expand("results/stats/{analysis}.parquet", analysis=ANALYSES),
        rules.plot_prepost.output,
        rules.write_handoffs.output,
        expand(
            "results/figures/correlation_{pair}.{ext}",
            pair=[f"{x}_vs_{y}" for x, y in config["correlations"]["pairs"]],
            ext=["png", "svg"],
        ),
