"""The study's sheets checked against the plates."""

from __future__ import annotations

import pandas as pd

from assaypipe import tables
from assaypipe.exclusions import exclusion_table, included_samples
from assaypipe.layout import annotate_wells
from assaypipe.sheet_checks import sheet_findings
from tests.conftest import wells_frame

ALIASES = pd.DataFrame(
    {"alias": ["MCP-1", "CCL2"], "analyte": ["CCL2", "CCL2"], "display": ["CCL2", "CCL2"]}
)
SAMPLES = pd.DataFrame(
    {
        "sample_id": ["S1-BL", "S1-W12", "S2-BL", "S9-BL"],
        "subject_id": ["S1", "S1", "S2", "S9"],
        "visit": ["baseline", "post", "baseline", "baseline"],
        "matrix": "serum",
    }
)
SUBJECTS = pd.DataFrame({"subject_id": ["S1", "S2", "S3"]})


def plates() -> pd.DataFrame:
    # P2 is a copy of P1 with MCP-1 misspelt MPC-1, and a sample the sheet lacks.
    rows = []
    for plate, analyte in (("P1", "MCP-1"), ("P2", "MPC-1")):
        for well, sample in (("A1", "S1-BL"), ("A2", "S1-W12"), ("A3", "S2-BL")):
            rows.append(
                {
                    "plate_id": plate,
                    "well": well,
                    "analyte": analyte,
                    "analyte_raw": analyte,
                    "sample_name": sample,
                    "sample_id": sample,
                    "concentration": 100.0,
                    "signal": 500.0,
                }
            )
    rows.append(
        {
            "plate_id": "P2",
            "well": "B1",
            "analyte_raw": "MPC-1",
            "analyte": "MPC-1",
            "sample_name": "S7-BL",
            "sample_id": "S7-BL",
            "signal": 500.0,
            "concentration": 90.0,
        }
    )
    return annotate_wells(wells_frame(rows), SAMPLES, ALIASES)


def test_every_mismatch_is_listed_with_where_it_came_from() -> None:
    findings = sheet_findings(plates(), SAMPLES, SUBJECTS)
    got = [(r.check, r.name, r.where, r.n_wells) for r in findings.itertuples()]
    assert got == [
        ("unknown_analyte", "MPC-1", "plate P2", 4),
        ("sample_not_in_sheet", "S7-BL", "plate P2", 1),
        ("subject_not_in_sheet", "S9", "config/samples.tsv, sample S9-BL", 0),
        ("subject_without_samples", "S3", "config/subjects.tsv", 0),
        ("sample_on_no_plate", "S9-BL", "config/samples.tsv", 0),
    ]
    assert "not in config/analytes.tsv" in findings["detail"].iloc[0]


def test_an_unknown_analyte_stays_out_of_the_statistics() -> None:
    wells = plates()
    findings = sheet_findings(wells, SAMPLES, SUBJECTS)
    verdicts = tables.empty(tables.QC_VERDICTS)
    manual = pd.DataFrame(
        columns=["level", "plate_id", "well", "analyte", "reason", "who", "when", "line"]
    )
    exclusions = exclusion_table(wells, verdicts, manual, sheets=findings)
    assert exclusions[["source", "level", "analyte", "n_wells"]].values.tolist() == [
        ["sheets", "analyte", "MPC-1", 4]
    ]
    curves = tables.empty(tables.CURVES)
    kept = included_samples(wells, curves, SAMPLES, exclusions)
    assert set(kept["analyte"]) == {"CCL2"}
    without = included_samples(wells, curves, SAMPLES, exclusion_table(wells, verdicts, manual))
    assert set(without["analyte"]) == {"CCL2", "MPC-1"}


def test_sheets_that_agree_give_an_empty_table() -> None:
    wells = plates()
    wells = wells[wells["plate_id"] == "P1"]
    samples = SAMPLES[SAMPLES["subject_id"] != "S9"]
    findings = sheet_findings(wells, samples, SUBJECTS[SUBJECTS["subject_id"] != "S3"])
    assert findings.empty and list(findings.columns) == list(tables.SHEET_CHECKS.columns)


def test_an_outcome_subject_the_subject_sheet_lacks_is_listed_with_its_lines() -> None:
    # S1 written S01 on seven outcome rows and Z9 on one: before, those rows labelled no
    # one without a word, and S1 was only "not evaluable".
    ids = ["S1", "S2", *["S01"] * 7, "S2", "Z9"]
    outcomes = pd.DataFrame({"subject_id": ids, "month": range(len(ids))})
    findings = sheet_findings(plates(), SAMPLES, SUBJECTS, outcomes)
    strangers = findings[findings["check"] == "outcome_subject_not_in_sheet"]
    assert [(r.name, r.where, r.n_wells) for r in strangers.itertuples()] == [
        ("S01", "config/outcomes.tsv, lines 4, 5, 6, 7, 8 and 2 more", 0),
        ("Z9", "config/outcomes.tsv, line 12", 0),
    ]
    assert strangers["detail"].iloc[0] == (
        "not in config/subjects.tsv: its 7 outcome rows label no one; add the subject, or "
        "correct the id to the subject meant"
    )
    # The other findings are those without the outcomes, in their order, first.
    assert findings.iloc[:5].equals(sheet_findings(plates(), SAMPLES, SUBJECTS))
    listed = outcomes[outcomes["subject_id"].isin(["S1", "S2"])]
    assert sheet_findings(plates(), SAMPLES, SUBJECTS, listed).equals(
        sheet_findings(plates(), SAMPLES, SUBJECTS)
    )
