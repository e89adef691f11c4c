"""Column contracts of every table assaypipe writes (see docs/data_dictionary.md).

Each table is checked by a strict pandera schema where it is made, so a wrong
column fails at the stage that made it, not three stages later.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

ROLES = ["standard", "blank", "control", "sample"]
CENSORS = ["<LLOQ", ">ULOQ", "<LOD", ">ULOD"]

# plate x well x analyte
WELLS = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(str),
        "well": pa.Column(str, pa.Check.str_matches(r"^[A-P]([1-9]|1[0-9]|2[0-4])$")),
        "analyte": pa.Column(str),
        "analyte_raw": pa.Column(str),
        "role": pa.Column(str, pa.Check.isin(ROLES)),
        "sample_name": pa.Column(str),
        "sample_id": pa.Column(str, nullable=True),
        "level": pa.Column("Int64", nullable=True),
        "expected_conc": pa.Column(float, nullable=True),
        "dilution": pa.Column(float, pa.Check.gt(0)),
        "signal": pa.Column(float, nullable=True),
        "signal_kind": pa.Column(str),
        "bead_count": pa.Column("Int64", nullable=True),
        "raw_text": pa.Column(str),
        "token": pa.Column(str),
        "concentration": pa.Column(float, nullable=True),
        "censor": pa.Column(str, pa.Check.isin(CENSORS), nullable=True),
        "flags": pa.Column(str),
        "source_file": pa.Column(str),
        "source_sha256": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="wells",
)

# rejected file or well
REJECTED = pa.DataFrameSchema(
    {
        "source_file": pa.Column(str),
        "where": pa.Column(str),
        "reason": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="rejected",
)

# one row per plate export that was found: what the export says about its run
PLATES = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(str),
        "source_file": pa.Column(str),
        "source_sha256": pa.Column(str, nullable=True),
        "status": pa.Column(str, pa.Check.isin(["read", "rejected"])),
        "format": pa.Column(str, nullable=True),
        "instrument": pa.Column(str, nullable=True),
        "software": pa.Column(str, nullable=True),
        "software_version": pa.Column(str, nullable=True),
        "serial_number": pa.Column(str, nullable=True),
        "batch": pa.Column(str, nullable=True),
        "run_time": pa.Column(str, nullable=True),
        "n_wells": pa.Column("Int64"),
        "n_analytes": pa.Column("Int64"),
        "chunk": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="plates",
)

# plate x analyte x model
CURVES = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(str),
        "analyte": pa.Column(str),
        "model": pa.Column(str, pa.Check.isin(["4PL", "5PL"])),
        "weighting": pa.Column(str),
        "selected": pa.Column(bool),
        "a": pa.Column(float, nullable=True),
        "b": pa.Column(float, nullable=True),
        "c": pa.Column(float, nullable=True),
        "d": pa.Column(float, nullable=True),
        "g": pa.Column(float, nullable=True),
        "rss": pa.Column(float, nullable=True),
        "aic": pa.Column(float, nullable=True),
        "n_points": pa.Column("Int64"),
        "n_excluded": pa.Column("Int64"),
        "lloq": pa.Column(float, nullable=True),
        "uloq": pa.Column(float, nullable=True),
        "lod": pa.Column(float, nullable=True),
        "converged": pa.Column(bool),
        "status": pa.Column(str),
        "reasons": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="curves",
)

# sample x analyte
SAMPLES = pa.DataFrameSchema(
    {
        "sample_id": pa.Column(str),
        "analyte": pa.Column(str),
        "subject_id": pa.Column(str, nullable=True),
        "visit": pa.Column(str, nullable=True),
        "concentration": pa.Column(float, nullable=True),
        "cv": pa.Column(float, nullable=True),
        "n_replicates": pa.Column("Int64"),
        "censor": pa.Column(str, pa.Check.isin(CENSORS), nullable=True),
        "lloq": pa.Column(float, nullable=True),
        "uloq": pa.Column(float, nullable=True),
        "flags": pa.Column(str),
        "plate_ids": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="samples",
)

# one test result
STATS = pa.DataFrameSchema(
    {
        "analysis": pa.Column(str),
        "analyte": pa.Column(str),
        "group": pa.Column(str),
        "n": pa.Column("Int64"),
        "estimate": pa.Column(float, nullable=True),
        "ci_low": pa.Column(float, nullable=True),
        "ci_high": pa.Column(float, nullable=True),
        "statistic": pa.Column(float, nullable=True),
        "p": pa.Column(float, nullable=True),
        "q": pa.Column(float, nullable=True),
        "method": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="stats",
)


def empty(schema: pa.DataFrameSchema) -> pd.DataFrame:
    """An empty frame with the schema's columns and dtypes."""
    frame = pd.DataFrame({name: pd.Series(dtype=object) for name in schema.columns})
    return schema.validate(frame)
