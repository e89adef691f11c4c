import sys
from pathlib import Path

from snakemake.utils import validate

from assaypipe.analysis_names import ANALYSES, QUICK_ANALYSES, analysis_settings
from assaypipe.errors import visible
from assaypipe.joblog import skip_unused_imports
from assaypipe.preflight import read_command_line_values, study_problems
from assaypipe.progress import start_study
from assaypipe.run_exit import cancel_scheduler_timers
from assaypipe.settings import Settings
from assaypipe.summary import finish_run
from assaypipe.study import assign_chunks, chunk_plates, discover_plates

SCHEMAS = Path(workflow.basedir) / "workflow" / "schemas"
# Settings given with --config (Snakemake reads a nested one as text).
OVERRIDES = workflow.config_settings.overwrite_config
read_command_line_values(config, OVERRIDES, SCHEMAS / "config.schema.yaml")
# Every problem of the config and the sheets (their schemas, sizes, columns and ids),
# one line each, before any job runs.
PROBLEMS = study_problems(
    config,
    (workflow.overwrite_configfiles or ["config/config.yaml"])[-1],
    SCHEMAS,
    OVERRIDES,
)
if PROBLEMS:
    sys.exit("\n".join(f"error: {visible(problem)}" for problem in PROBLEMS))
# Snakemake's check imports polars when it is installed, to recognise polars frames.
skip_unused_imports()
validate(config, "../schemas/config.schema.yaml")
# The settings, typed, built once (the scripts build theirs from the same config).
SETTINGS = Settings.from_config(config)


PLATE_INDEX = discover_plates(SETTINGS.plates, SETTINGS.plates_subfolders.value)
PLATES = PLATE_INDEX.plates
CHUNKS = assign_chunks(PLATES, SETTINGS.chunks.size)
PROGRESS = "results/progress"
# The correlation figures' (x, y) analytes, as configured.
CORRELATION_PAIRS = [(x, y) for x, y in config["correlations"]["pairs"]]

# What a job asks of its node, for every rule: memory in MB and runtime in minutes
# (SLURM's limits). Rules run on one thread unless the rule (study_tables) or a profile
# (set-threads) sets more;
# --set-resources RULE:mem_mb=N still overrides one rule.
CHUNK_JOB = {"mem_mb": 2000, "runtime": 30}  # read, fit and interpolate a chunk
STUDY_JOB = {"mem_mb": 4000, "runtime": 30}  # a study-wide table in memory
REPORT_JOB = {"mem_mb": 4000, "runtime": 90}  # statistics, a figure per plate


onstart:
    start_study(PROGRESS, len(PLATES))


wildcard_constraints:
    chunk="chunk[0-9]+",


def get_chunk_plates(wildcards):
    return chunk_plates(PLATES, SETTINGS.layouts, CHUNKS[wildcards.chunk])


def get_read_plates_input(wildcards):
    plates = get_chunk_plates(wildcards)
    return {
        "exports": [plate["export"] for plate in plates],
        "plate_maps": [plate["plate_map"] for plate in plates if plate["plate_map"]],
        "samples": config["samples"],
        "analytes": config["analytes"],
        # Kit files may give the standards' concentrations: editing one rereads the plates.
        "kits": get_kit_files(wildcards),
    }


def get_chunk_outputs(name):
    return [f"results/chunks/{chunk}/{name}.parquet" for chunk in CHUNKS]


def get_dataset_parts(name):
    return [f"results/dataset/{name}/chunk={chunk}/part-0.parquet" for chunk in CHUNKS]


def get_kit_files(wildcards):
    # Every kit lot file; a study without a kits folder checks controls on nominal values.
    folder = Path(SETTINGS.qc.kits)
    return sorted(str(p) for p in folder.glob("*.y*ml")) if folder.is_dir() else []


def get_exclusions_file(wildcards):
    # An input only when it exists, so creating or editing it reruns what it touches
    # (a folder or pipe in its place too: the job refuses it, saying what it is).
    path = Path(SETTINGS.qc.exclusions)
    return [str(path)] if path.exists() else []


def correlation_figures(ext):
    # One figure per configured pair, drawn in the statistics' job.
    return [
        f"results/figures/correlation_{x}_vs_{y}.{ext}" for x, y in CORRELATION_PAIRS
    ]


# The run is over: Snakemake's rate-limit timers would hold the process up to a second.
onsuccess:
    cancel_scheduler_timers()
    code = finish_run("results", strict=SETTINGS.run.strict)
    if code:
        raise SystemExit(code)


onerror:
    cancel_scheduler_timers()
