"""What real plate files bring, as small synthetic studies for every stage's tests.

Each case starts from the clean plate of tests/unit/test_qc.py (7 standard levels, 2
blanks, 2 controls and 10 samples, all in duplicate) and changes it the way a real
export does: no standards, only missing signals, no positive signal, a single well,
every well unassigned (a plate reader without plate map), a plate with no placed wells
beside a good one, names no sheet or alias table knows, sample ids with spaces and
slashes, and analyte or plate names with markup and path characters. The stages are
run for real (:func:`run_stages`), so a test of a late stage sees what the early ones
make of the case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assaypipe import tables
from assaypipe.curves import fit_plate_curves
from assaypipe.exclusions import exclusion_table, included_samples
from assaypipe.interpolate import interpolate_wells
from assaypipe.qc import QcResult, run_qc
from assaypipe.responders import classify_responders
from assaypipe.samples import combine_replicates
from tests.unit.test_qc import SETTINGS, make_plate, plate_rows

# Names that break something when used as they are: matplotlib's math markup, HTML,
# a path, a file name's length limit (255 bytes), and a page or figure's size.
ODD_NAMES = {
    "mathtext": r"$\frac{a}{$",
    "markup": "<b>x</b>",
    "path": "../x",
    "long": "L" * 300,
    "huge": "H/" * 5000,
}
# Sample ids as plates write them; the sheet uses them as they are.
ODD_SAMPLE_IDS = {"S01": "Sample 1", "S02": "Samples/01"}

# Plate x analyte cases without a usable curve, each with the curve status it gets.
NO_CURVE_CASES = {
    "no_standards": "no_standards",
    "no_signal": "too_few_points",
    "no_positive_signal": "too_few_points",
    "single_well": "no_standards",
    "unassigned": "no_standards",
}


def clean_plate(plate_id: str = "P1", analyte: str = "CCL2") -> pd.DataFrame:
    """The clean plate's wells as read (no concentration yet)."""
    wells, _curves, _plates = make_plate(plate_id, analyte)
    return wells.assign(concentration=np.nan, censor=None).drop(
        columns=["conc_se", "conc_ci_low", "conc_ci_high"]
    )


def odd_plate(case: str, plate_id: str = "P1", analyte: str = "CCL2") -> pd.DataFrame:
    """One plate x analyte as real files bring it (see the module's docstring)."""
    wells = clean_plate(plate_id, analyte)
    if case == "no_standards":
        wells = wells[wells["role"] != "standard"]
    elif case == "no_signal":  # every signal missing or not reported
        wells = wells.assign(signal=np.nan)
    elif case == "no_positive_signal":  # nothing can be log-scaled
        wells = wells.assign(signal=-wells["signal"].abs())
    elif case == "single_well":
        wells = wells[wells["role"] == "sample"].iloc[:1]
    elif case == "unassigned":  # a plate reader's export without plate map
        wells = wells.assign(role=tables.UNASSIGNED, sample_id=None, expected_conc=np.nan)
        wells["level"] = pd.NA
    elif case != "clean":
        raise ValueError(f"no case {case!r}")
    return tables.WELLS.validate(wells.reset_index(drop=True))


def renamed(wells: pd.DataFrame, *, plate_id: str | None = None, analyte: str | None = None):
    """The wells under another plate id or analyte name (as exported)."""
    out = wells.copy()
    if plate_id is not None:
        out["plate_id"] = plate_id
    if analyte is not None:
        out["analyte"] = out["analyte_raw"] = analyte
    return tables.WELLS.validate(out)


def odd_sample_ids(wells: pd.DataFrame) -> pd.DataFrame:
    """The wells with samples named as real plates name them (:data:`ODD_SAMPLE_IDS`)."""
    out = wells.copy()
    out["sample_id"] = out["sample_id"].replace(ODD_SAMPLE_IDS)
    return tables.WELLS.validate(out)


def sample_sheet(wells: pd.DataFrame) -> pd.DataFrame:
    """A sheet of the wells' samples: in sorted order, pairs of samples are one subject's
    baseline and post (the clean plate's S01 .. S10 give subjects P1 .. P5)."""
    ids = sorted(set(wells.loc[wells["role"] == "sample", "sample_id"].dropna()))
    return pd.DataFrame(
        {
            "sample_id": ids,
            "subject_id": [f"P{i // 2 + 1}" for i in range(len(ids))],
            "visit": ["baseline" if i % 2 == 0 else "post" for i in range(len(ids))],
            "matrix": "CSF",
        }
    )


def subjects_table(n: int = 5) -> pd.DataFrame:
    """Subjects P1 .. Pn, every second one a responder by EDSS (tables.SUBJECTS)."""
    ids = [f"P{i}" for i in range(1, n + 1)]
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "course": "PPMS",
            "sex": "F",
            "age": np.linspace(40.0, 65.0, n),
            "disease_duration": np.linspace(2.0, 14.0, n),
            "ambulatory": pd.array([True] * n, dtype="boolean"),
        }
    )
    outcomes = pd.DataFrame(
        [
            {"subject_id": s, "month": m, "edss": 5.0 - (1.0 if i % 2 and m else 0.0)}
            for i, s in enumerate(ids)
            for m in (0, 12, 30)
        ]
    ).assign(t25fw=np.nan)
    return classify_responders(subjects, outcomes)


NO_MANUAL = pd.DataFrame(
    columns=["level", "plate_id", "well", "analyte", "reason", "who", "when", "line"]
)


@dataclass(frozen=True)
class Stages:
    """Every table the stages after reading make of a wells table."""

    wells: pd.DataFrame  # interpolated
    curves: pd.DataFrame
    plates: pd.DataFrame
    sheet: pd.DataFrame
    samples: pd.DataFrame  # combine_replicates
    qc: QcResult
    exclusions: pd.DataFrame
    included: pd.DataFrame  # the samples the statistics use


def run_stages(wells: pd.DataFrame, sheet: pd.DataFrame | None = None) -> Stages:
    """Fit, interpolate, combine, check and exclude as the workflow does, with the
    shipped curve settings' defaults and ICH M10 QC."""
    curves = fit_plate_curves(wells)
    wells = interpolate_wells(wells, curves)
    plate_ids = list(dict.fromkeys(wells["plate_id"]))
    plates = (
        pd.concat([plate_rows(p, "2025-01-01 09:00") for p in plate_ids], ignore_index=True)
        if plate_ids
        else tables.empty(tables.PLATES)
    )
    sheet = sample_sheet(wells) if sheet is None else sheet
    qc = run_qc(wells, curves, plates, SETTINGS)
    exclusions = exclusion_table(wells, qc.verdicts, NO_MANUAL)
    return Stages(
        wells=wells,
        curves=curves,
        plates=plates,
        sheet=sheet,
        samples=combine_replicates(wells, curves, sheet),
        qc=qc,
        exclusions=exclusions,
        included=included_samples(wells, curves, sheet, exclusions),
    )
