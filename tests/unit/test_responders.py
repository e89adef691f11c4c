"""Responder classification from the outcome sheet."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.responders import (
    classify_responders,
    primary_subjects,
    response_groups,
)
from assaypipe.settings import ResponderSettings
from assaypipe.sheets import read_outcomes, read_subjects
from tests.conftest import DEMO_TRUTH, REPO

SUBJECTS = pd.DataFrame(
    {
        "subject_id": ["R1", "R2", "N1", "N2", "X1"],
        "course": ["SPMS", "PPMS", "SPMS", "", "PPMS"],
        "sex": ["F", "M", "F", "M", ""],
        "age": [50.0, 61.0, 44.0, 58.0, math.nan],
        "disease_duration": [10.0, 12.5, 6.0, 20.0, 3.0],
        "ambulatory": pd.array([True, True, True, False, True], dtype="boolean"),
    }
)


def outcomes(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["subject_id", "month", "edss", "t25fw"])


OUTCOMES = outcomes(
    [
        # improves by exactly 0.5 at 12 and stays: responder by EDSS; T25FW 10 -> 7.9 (-21%)
        ("R1", 0, 5.5, 10.0),
        ("R1", 12, 5.0, 7.9),
        ("R1", 30, 5.0, 7.9),
        # improves at 12 but relapses by 30: not sustained
        ("R2", 0, 6.0, 12.0),
        ("R2", 12, 5.0, 9.0),
        ("R2", 30, 6.0, 12.5),
        # worsens
        ("N1", 0, 4.0, 6.0),
        ("N1", 12, 4.5, 6.5),
        ("N1", 30, 5.0, 7.0),
        # T25FW 20% faster exactly: not more than 20%; no walk recorded at 30
        ("N2", 0, 7.0, 10.0),
        ("N2", 12, 7.0, 8.0),
        ("N2", 30, 6.5, math.nan),
        # month 30 missing entirely
        ("X1", 0, 5.0, 8.0),
        ("X1", 12, 4.0, 6.0),
    ]
)


def labels(table: pd.DataFrame, rule: str) -> dict[str, str]:
    part = table[table["rule"] == rule]
    return dict(zip(part["subject_id"], part["group"], strict=True))


def test_edss_rule_needs_sustained_improvement_of_half_a_point() -> None:
    table = classify_responders(SUBJECTS, OUTCOMES)
    assert labels(table, "edss") == {
        "R1": "responder",
        "R2": "nonresponder",
        "N1": "nonresponder",
        "N2": "nonresponder",
        "X1": "not_evaluable",
    }
    r1 = table[(table["subject_id"] == "R1") & (table["rule"] == "edss")].iloc[0]
    assert (r1["baseline_value"], r1["month_value"], r1["sustained_value"]) == (5.5, 5.0, 5.0)
    assert r1["improvement"] == 0.5 and r1["sustained_improvement"] == 0.5
    assert "at least 0.5" in r1["criterion"] and "month 30" in r1["criterion"]
    x1 = table[(table["subject_id"] == "X1") & (table["rule"] == "edss")].iloc[0]
    assert x1["reason"] == "no EDSS at month 30"
    assert pd.isna(x1["responder"])


def test_walk_rule_needs_more_than_twenty_percent() -> None:
    table = classify_responders(
        SUBJECTS, OUTCOMES, ResponderSettings.from_mapping({"rule": "t25fw"})
    )
    assert labels(table, "t25fw") == {
        "R1": "responder",
        "R2": "nonresponder",
        "N1": "nonresponder",
        "N2": "not_evaluable",
        "X1": "not_evaluable",
    }
    assert table.loc[table["primary"], "rule"].unique().tolist() == ["t25fw"]
    r1 = table[(table["subject_id"] == "R1") & (table["rule"] == "t25fw")].iloc[0]
    assert r1["improvement"] == pytest.approx(0.21)


def test_without_sustained_month_the_first_improvement_counts() -> None:
    table = classify_responders(SUBJECTS, OUTCOMES, ResponderSettings(sustained_month=None))
    edss = labels(table, "edss")
    assert edss["R2"] == "responder"
    assert edss["X1"] == "responder"  # month 30 is no longer needed
    walk = labels(table, "t25fw")
    assert walk["N2"] == "nonresponder"  # -20% exactly is not "more than 20%"


def test_table_schema_one_row_per_subject_and_rule() -> None:
    table = classify_responders(SUBJECTS, OUTCOMES)
    tables.SUBJECTS.validate(table)
    assert len(table) == 2 * len(SUBJECTS)
    assert primary_subjects(table)["subject_id"].tolist() == SUBJECTS["subject_id"].tolist()
    n2 = table[table["subject_id"] == "N2"].iloc[0]
    assert pd.isna(n2["course"]) and n2["baseline_edss"] == 7.0
    groups = response_groups(table)
    assert groups.to_dict() == {
        "R1": "responder",
        "R2": "nonresponder",
        "N1": "nonresponder",
        "N2": "nonresponder",
    }


def test_unknown_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match="rule: 'mri' does not fit the setting"):
        classify_responders(SUBJECTS, OUTCOMES, ResponderSettings.from_mapping({"rule": "mri"}))


def test_demo_sheets_recover_the_simulated_responders() -> None:
    # The simulator's truth (tests/data/demo_truth) is the reference here.
    table = classify_responders(
        read_subjects(REPO / "config" / "subjects.tsv"),
        read_outcomes(REPO / "config" / "outcomes.tsv"),
    )
    truth = pd.read_csv(DEMO_TRUTH / "truth_subjects.tsv", sep="\t")
    expected = truth["responder"].map({True: "responder", False: "nonresponder"})
    got = response_groups(table).reindex(truth["subject_id"])
    assert got.tolist() == expected.tolist()
