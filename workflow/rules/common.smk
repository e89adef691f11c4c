import pandas as pd
from snakemake.utils import validate

from assaypipe.study import discover_plates, plate_map_path

validate(config, "../schemas/config.schema.yaml")


def load_sheet(path, schema):
    sheet = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    validate(sheet, schema)
    return sheet


load_sheet(config["samples"], "../schemas/samples.schema.yaml")
load_sheet(config["subjects"], "../schemas/subjects.schema.yaml")
load_sheet(config["outcomes"], "../schemas/outcomes.schema.yaml")
load_sheet(config["analytes"], "../schemas/analytes.schema.yaml")

PLATES = discover_plates(config["plates"])


wildcard_constraints:
    plate="[A-Za-z0-9._-]+",


def get_read_plate_input(wildcards):
    files = {"export": str(PLATES[wildcards.plate])}
    plate_map = plate_map_path(config["layouts"], wildcards.plate)
    if plate_map is not None:
        files["plate_map"] = str(plate_map)
    return files


def get_plate_outputs(name):
    return [f"results/plates/{plate}/{name}.parquet" for plate in sorted(PLATES)]
