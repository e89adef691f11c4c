"""Column contracts of every table assaypipe writes (see docs/data_dictionary.md).

Each table is checked by a strict pandera schema where it is made, so a wrong
column fails at the stage that made it, not three stages later.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine

from assaypipe.errors import AssaypipeBugError
from assaypipe.vocabulary import Censor, QcStatus, Role, SeriesKind, VendorBasis, values


class _Text(pandas_engine.STRING):
    """pandera's text dtype (what ``str`` stands for in a schema), answering a column of
    text as a whole.

    pandera 0.35 answers every text column row by row, even one of the text dtype
    itself, and then builds and prints a table of the rows that failed, although none
    did: about 1.5 ms a column, 2 ms a plate when a chunk's tables are validated.
    Where every row passes, this answers ``True`` for the column; the verdict, and the
    message of a column that fails, are pandera's own."""

    def check(self, pandera_dtype: Any, data_container: Any = None) -> Any:
        result = super().check(pandera_dtype, data_container)
        if isinstance(result, np.ndarray) and bool(result.all()):
            return True
        return result


TEXT = _Text()  # type: ignore[call-arg]  # pandera's STRING takes only storage

# The roles a plate map or an export gives a well; a well given none is `unassigned`
# (read, kept in the wells table, used for nothing until a plate map places it).
UNASSIGNED = Role.UNASSIGNED.value
WELL_ROLES = list(values(Role))
ROLES = [role for role in WELL_ROLES if role != UNASSIGNED]
CENSORS = list(values(Censor))

# plate x well x analyte
WELLS = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(TEXT),
        "well": pa.Column(TEXT, pa.Check.str_matches(r"^[A-P]([1-9]|1[0-9]|2[0-4])$")),
        "analyte": pa.Column(TEXT),
        "analyte_raw": pa.Column(TEXT),
        "role": pa.Column(TEXT, pa.Check.isin(WELL_ROLES)),
        "sample_name": pa.Column(TEXT),
        "sample_id": pa.Column(TEXT, nullable=True),
        "level": pa.Column("Int64", nullable=True),
        "expected_conc": pa.Column(float, nullable=True),
        # the unit of expected_conc and concentration ("" where no export or kit says)
        "unit": pa.Column(TEXT),
        "dilution": pa.Column(float, pa.Check.gt(0)),
        "signal": pa.Column(float, nullable=True),
        "signal_kind": pa.Column(TEXT),
        "bead_count": pa.Column("Int64", nullable=True),
        "raw_text": pa.Column(TEXT),
        "token": pa.Column(TEXT),
        "concentration": pa.Column(float, nullable=True),
        # written by interpolation (assaypipe.interpolate); absent before it
        "conc_se": pa.Column(float, nullable=True, required=False),
        "conc_ci_low": pa.Column(float, nullable=True, required=False),
        "conc_ci_high": pa.Column(float, nullable=True, required=False),
        "censor": pa.Column(TEXT, pa.Check.isin(CENSORS), nullable=True),
        "flags": pa.Column(TEXT),
        "source_file": pa.Column(TEXT),
        "source_sha256": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="wells",
)

# rejected file or well
REJECTED = pa.DataFrameSchema(
    {
        "source_file": pa.Column(TEXT),
        "where": pa.Column(TEXT),
        "reason": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="rejected",
)

SKIPPED = pa.DataFrameSchema(
    {
        "source_file": pa.Column(TEXT),
        "reason": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="skipped",
)

# A vendor concentration is of the well's content as measured (`in_well`) or of the
# sample, the software having multiplied by the well's dilution (`sample`).
VENDOR_BASES = list(values(VendorBasis))

# plate x analyte x (well) x quantity: what the instrument software computed itself
VENDOR_RESULTS = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(TEXT),
        "analyte": pa.Column(TEXT),
        "well": pa.Column(TEXT, nullable=True),
        "quantity": pa.Column(TEXT),
        "value": pa.Column(float, nullable=True),
        # a concentration's unit, and whether it is in the well or in the sample
        "unit": pa.Column(TEXT, nullable=True),
        "basis": pa.Column(TEXT, pa.Check.isin(VENDOR_BASES), nullable=True),
        "raw_text": pa.Column(TEXT),
        "token": pa.Column(TEXT),
        "source_file": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="vendor_results",
)

# one row per plate export that was found: what the export says about its run
PLATES = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(TEXT),
        "source_file": pa.Column(TEXT),
        "source_sha256": pa.Column(TEXT, nullable=True),
        "status": pa.Column(TEXT, pa.Check.isin(["read", "rejected"])),
        "format": pa.Column(TEXT, nullable=True),
        "instrument": pa.Column(TEXT, nullable=True),
        "software": pa.Column(TEXT, nullable=True),
        "software_version": pa.Column(TEXT, nullable=True),
        "serial_number": pa.Column(TEXT, nullable=True),
        "batch": pa.Column(TEXT, nullable=True),
        "run_time": pa.Column(TEXT, nullable=True),
        "kit_lot": pa.Column(TEXT, nullable=True),
        "unit": pa.Column(TEXT, nullable=True),
        "plate_name": pa.Column(TEXT, nullable=True),
        "n_wells": pa.Column("Int64"),
        "n_analytes": pa.Column("Int64"),
        # list<string>: what the reader read past (`readers.parsed.Warnings`)
        "warnings": pa.Column(object),
        "chunk": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="plates",
)

# plate x analyte x model
CURVES = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(TEXT),
        "analyte": pa.Column(TEXT),
        "model": pa.Column(TEXT, pa.Check.isin(["4PL", "5PL"])),
        "weighting": pa.Column(TEXT),
        "weight_power": pa.Column(float, nullable=True, required=False),
        "selected": pa.Column(bool),
        "a": pa.Column(float, nullable=True),
        "b": pa.Column(float, nullable=True),
        "c": pa.Column(float, nullable=True),
        "d": pa.Column(float, nullable=True),
        "g": pa.Column(float, nullable=True),
        "rss": pa.Column(float, nullable=True),
        "aic": pa.Column(float, nullable=True),
        # 25 values, row-major covariance of (a, b, c, d, g); null when not estimable
        "vcov": pa.Column(object, nullable=True, required=False),
        "n_points": pa.Column("Int64"),
        "n_excluded": pa.Column("Int64"),
        "std_low": pa.Column(float, nullable=True, required=False),
        "std_high": pa.Column(float, nullable=True, required=False),
        "lloq": pa.Column(float, nullable=True),
        "uloq": pa.Column(float, nullable=True),
        "lloq_profile": pa.Column(float, nullable=True, required=False),
        "uloq_profile": pa.Column(float, nullable=True, required=False),
        "lod": pa.Column(float, nullable=True),
        "lob": pa.Column(float, nullable=True, required=False),
        # the unit of c and of the limits (the standards'; "" where none is stated)
        "unit": pa.Column(TEXT),
        "extrapolation": pa.Column(TEXT, nullable=True, required=False),
        "converged": pa.Column(bool),
        "status": pa.Column(TEXT),
        "reasons": pa.Column(TEXT),
        # the standard wells left out of the fit: ";"-separated well=reason
        # (assaypipe.curves.excluded); "" when every standard was fitted
        "excluded_wells": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="curves",
)

# sample x analyte
SAMPLES = pa.DataFrameSchema(
    {
        "sample_id": pa.Column(TEXT),
        "analyte": pa.Column(TEXT),
        "subject_id": pa.Column(TEXT, nullable=True),
        "visit": pa.Column(TEXT, nullable=True),
        "concentration": pa.Column(float, nullable=True),
        # the unit of concentration, lloq and uloq: the analyte's study unit
        "unit": pa.Column(TEXT),
        "cv": pa.Column(float, nullable=True),
        "n_replicates": pa.Column("Int64"),
        "censor": pa.Column(TEXT, pa.Check.isin(CENSORS), nullable=True),
        "lloq": pa.Column(float, nullable=True),
        "uloq": pa.Column(float, nullable=True),
        "flags": pa.Column(TEXT),
        "plate_ids": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="samples",
)

# subject x responder rule
SUBJECTS = pa.DataFrameSchema(
    {
        "subject_id": pa.Column(TEXT),
        "course": pa.Column(TEXT, nullable=True),
        "sex": pa.Column(TEXT, nullable=True),
        "age": pa.Column(float, nullable=True),
        "disease_duration": pa.Column(float, nullable=True),
        "ambulatory": pa.Column("boolean", nullable=True),
        "baseline_edss": pa.Column(float, nullable=True),
        "rule": pa.Column(TEXT, pa.Check.isin(["edss", "t25fw"])),
        "primary": pa.Column(bool),
        "criterion": pa.Column(TEXT),
        "baseline_value": pa.Column(float, nullable=True),
        "month_value": pa.Column(float, nullable=True),
        "sustained_value": pa.Column(float, nullable=True),
        "improvement": pa.Column(float, nullable=True),
        "sustained_improvement": pa.Column(float, nullable=True),
        "responder": pa.Column("boolean", nullable=True),
        "group": pa.Column(TEXT, pa.Check.isin(["responder", "nonresponder", "not_evaluable"])),
        "reason": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="subjects",
)

# the role of a test result: in the declared primary family, or exploratory
STATS_FAMILIES = ["primary", "exploratory"]

# one test result
STATS = pa.DataFrameSchema(
    {
        "analysis": pa.Column(TEXT),
        "analyte": pa.Column(TEXT),
        "group": pa.Column(TEXT),
        "n": pa.Column("Int64"),
        "estimate": pa.Column(float, nullable=True),
        "ci_low": pa.Column(float, nullable=True),
        "ci_high": pa.Column(float, nullable=True),
        # the unit of estimate and CI ("" for ratios, correlations, classification)
        "unit": pa.Column(TEXT),
        "statistic": pa.Column(float, nullable=True),
        "p": pa.Column(float, nullable=True),
        "q": pa.Column(float, nullable=True),
        # the tests q was adjusted over (Benjamini-Hochberg), null where q is
        "q_family": pa.Column(TEXT, nullable=True),
        # "primary" (stats.primary_family) or "exploratory"
        "family": pa.Column(TEXT, pa.Check.isin(STATS_FAMILIES)),
        "method": pa.Column(TEXT),
        # why the row has no estimate, null where it has one
        "note": pa.Column(TEXT, nullable=True),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="stats",
)

QC_STATUSES = list(values(QcStatus))

# one QC check result: plate x analyte x check (plate_id null for checks across plates)
QC = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(TEXT, nullable=True),
        "analyte": pa.Column(TEXT),
        "check": pa.Column(TEXT),
        "value": pa.Column(float, nullable=True),
        # the unit of value and threshold where they are concentrations, else ""
        "unit": pa.Column(TEXT),
        "threshold": pa.Column(TEXT),
        "status": pa.Column(TEXT, pa.Check.isin(QC_STATUSES)),
        "detail": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="qc",
)

# plate x analyte: the worst status of its checks
QC_VERDICTS = pa.DataFrameSchema(
    {
        "plate_id": pa.Column(TEXT),
        "analyte": pa.Column(TEXT),
        "verdict": pa.Column(TEXT, pa.Check.isin(QC_STATUSES)),
        "n_pass": pa.Column("Int64"),
        "n_warn": pa.Column("Int64"),
        "n_fail": pa.Column("Int64"),
        "failed": pa.Column(TEXT),
        "warned": pa.Column(TEXT),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="qc_verdicts",
)

# plate x analyte x Levey-Jennings series (a control, a curve parameter, the top standard)
LEVEY_JENNINGS = pa.DataFrameSchema(
    {
        "analyte": pa.Column(TEXT),
        "series": pa.Column(TEXT),
        "kind": pa.Column(TEXT, pa.Check.isin(list(values(SeriesKind)))),
        "plate_id": pa.Column(TEXT),
        "run_index": pa.Column("Int64"),
        "value": pa.Column(float, nullable=True),
        # the study unit for concentrations (controls, c); the signal kind for signals
        "unit": pa.Column(TEXT),
        # the kit lot whose guide set judges the plate ("" when lots are not used)
        "lot": pa.Column(TEXT),
        "guide": pa.Column(bool),
        "judged": pa.Column(bool),
        "mean": pa.Column(float, nullable=True),
        "sd": pa.Column(float, nullable=True),
        "z": pa.Column(float, nullable=True),
        "rules": pa.Column(TEXT),
        "status": pa.Column(TEXT, pa.Check.isin(QC_STATUSES)),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="levey_jennings",
)

# one exclusion applied before the statistics: a failing QC verdict, an analyte whose
# units cannot be brought to one, or a manual row
EXCLUSIONS = pa.DataFrameSchema(
    {
        "source": pa.Column(TEXT, pa.Check.isin(["qc", "units", "sheets", "duplicate", "manual"])),
        "level": pa.Column(TEXT, pa.Check.isin(["well", "plate", "analyte"])),
        "plate_id": pa.Column(TEXT, nullable=True),
        "well": pa.Column(TEXT, nullable=True),
        "analyte": pa.Column(TEXT, nullable=True),
        "reason": pa.Column(TEXT),
        "who": pa.Column(TEXT),
        "when": pa.Column(TEXT, nullable=True),
        "line": pa.Column("Int64", nullable=True),
        "n_wells": pa.Column("Int64"),
        "n_samples": pa.Column("Int64"),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="exclusions",
)


# a mismatch between the plates and the study's sheets (assaypipe.sheet_checks)
SHEET_CHECKS = pa.DataFrameSchema(
    {
        "check": pa.Column(
            TEXT,
            pa.Check.isin(
                [
                    "unknown_analyte",
                    "sample_not_in_sheet",
                    "subject_not_in_sheet",
                    "subject_without_samples",
                    "sample_on_no_plate",
                    "outcome_subject_not_in_sheet",
                ]
            ),
        ),
        "name": pa.Column(TEXT),
        "where": pa.Column(TEXT),
        "detail": pa.Column(TEXT),
        "n_wells": pa.Column("Int64"),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="sheet_checks",
)


_EMPTY: dict[int, pd.DataFrame] = {}


def empty(schema: pa.DataFrameSchema) -> pd.DataFrame:
    """An empty frame with the schema's columns and dtypes (a fresh copy each call)."""
    key = id(schema)
    if key not in _EMPTY:
        frame = pd.DataFrame({name: pd.Series(dtype=object) for name in schema.columns})
        _EMPTY[key] = schema.validate(frame)
    return _EMPTY[key].copy()


def conform(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """The frame's columns in the schema's order, without validating their values.

    For tables built many times over and validated once when they are put together
    (the plates of a chunk): a missing or extra column is a bug and raises at once.
    """
    required = {name for name, column in schema.columns.items() if column.required}
    missing = sorted(required - set(frame.columns))
    extra = sorted(set(frame.columns) - set(schema.columns))
    if missing or extra:
        raise AssaypipeBugError(
            f"{schema.name} table built with missing columns {missing} or extra columns {extra}"
        )
    return frame[[name for name in schema.columns if name in frame.columns]]
