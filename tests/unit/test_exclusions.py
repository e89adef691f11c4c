"""Manual exclusions file, the exclusions table, and the samples the statistics keep."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.exclusion_sheet import read_exclusions
from assaypipe.exclusions import (
    duplicate_exports,
    excluded_wells,
    exclusion_table,
    included_samples,
    study_exclusions,
)
from assaypipe.qc import run_qc
from assaypipe.sheet_checks import sheet_findings
from assaypipe.units import plan_units, plate_units
from tests.conftest import wells_frame
from tests.hostile import peak_rss
from tests.oddities import ODD_NAMES, odd_plate, renamed, run_stages
from tests.unit.test_exclusion_sheet import write
from tests.unit.test_qc import SETTINGS, make_plate, study

SHEET = pd.DataFrame(
    {
        "sample_id": ["S01", "S02", "S03"],
        "subject_id": ["A", "B", "C"],
        "visit": ["baseline", "baseline", "post"],
        "matrix": ["CSF"] * 3,
    }
)


def two_plates():
    """P1 passes; P2 has its calibrators broken so its verdict fails."""
    good = make_plate("P1", run_time="2025-01-01")
    wells, curves, plates = make_plate("P2", run_time="2025-01-02")
    broken = (wells["role"] == "standard") & wells["level"].isin([2, 3, 4])
    wells.loc[broken, "signal"] = wells.loc[broken, "signal"] * 1.8
    return study(good, (wells, curves, plates))


def test_failing_plates_become_exclusions_with_counts(tmp_path):
    wells, curves, plates = two_plates()
    verdicts = run_qc(wells, curves, plates, SETTINGS).verdicts
    assert verdicts.set_index("plate_id")["verdict"].to_dict() == {"P1": "pass", "P2": "fail"}
    manual = read_exclusions(
        write(
            tmp_path,
            "well\tP1\tA1\t\tsplash\tAnna\t2025-06-20",
            "plate\tP9\t\t\ttypo in the plate id\tAnna\t2025-06-20",
        )
    )
    table = exclusion_table(wells, verdicts, manual)
    tables.EXCLUSIONS.validate(table)
    assert table["source"].tolist() == ["qc", "manual", "manual"]
    qc_row = table.iloc[0]
    assert (qc_row["plate_id"], qc_row["analyte"], qc_row["level"]) == ("P2", "CCL2", "plate")
    assert "calibrators_passing" in qc_row["reason"]
    assert qc_row["n_wells"] == len(wells[wells["plate_id"] == "P2"])
    assert qc_row["n_samples"] == 10
    assert table.iloc[1]["n_wells"] == 1
    assert pd.isna(table.iloc[1]["analyte"])
    assert table.iloc[2]["n_wells"] == 0  # matches nothing: the report shows it
    kept = exclusion_table(wells, verdicts, manual, exclude_failing=False)
    assert kept["source"].tolist() == ["manual", "manual"]


def test_statistics_keep_the_passing_plate_value_of_a_sample_on_both():
    wells, curves, plates = two_plates()
    verdicts = run_qc(wells, curves, plates, SETTINGS).verdicts
    everything = included_samples(wells, curves, SHEET, tables.empty(tables.EXCLUSIONS))
    assert (everything["plate_ids"] == "P1;P2").all()
    excluded = exclusion_table(wells, verdicts, read_exclusions(None))
    kept = included_samples(wells, curves, SHEET, excluded)
    assert (kept["plate_ids"] == "P1").all()
    assert len(kept) == len(everything)


def test_a_sample_with_every_well_excluded_has_no_value(tmp_path):
    wells, curves, _ = make_plate()
    s01 = wells[wells["sample_id"] == "S01"]["well"].tolist()
    manual = read_exclusions(
        write(tmp_path, *(f"well\tP1\t{well}\tCCL2\tclot\tAnna\t2025-06-20" for well in s01))
    )
    table = exclusion_table(wells, tables.empty(tables.QC_VERDICTS), manual)
    kept = included_samples(wells, curves, SHEET, table)
    assert "S01" not in set(kept["sample_id"])
    assert table["n_samples"].tolist() == [1, 1]


def test_patterns_cover_the_right_wells():
    wells, _, _ = study(make_plate("P1"), make_plate("P2"), make_plate("P1", analyte="HGF"))
    rows = pd.DataFrame(
        [
            {"plate_id": "P1", "well": "", "analyte": "CCL2"},
            {"plate_id": "", "well": "", "analyte": "HGF"},
            {"plate_id": "P2", "well": "A1", "analyte": ""},
        ]
    )
    mask = excluded_wells(wells, rows)
    expected = (
        ((wells["plate_id"] == "P1") & (wells["analyte"] == "CCL2"))
        | (wells["analyte"] == "HGF")
        | ((wells["plate_id"] == "P2") & (wells["well"] == "A1"))
    )
    assert (mask == expected.to_numpy()).all()
    assert mask.sum() == 40 + 40 + 1


def test_each_exclusion_counts_the_wells_and_samples_it_names(tmp_path):
    wells, _, _ = study(make_plate("P1"), make_plate("P2"), make_plate("P1", analyte="HGF"))
    manual = read_exclusions(
        write(
            tmp_path,
            "analyte\t\t\tHGF\tkit recall\tAnna\t2025-06-20",
            "plate\tP2\t\t\tspilled\tAnna\t2025-06-20",
            "plate\tP1\t\tCCL2\tdrift\tAnna\t2025-06-20",
            "well\tP1\tA1\t\tsplash\tAnna\t2025-06-20",
            "well\tP2\tC4\tCCL2\tclot\tAnna\t2025-06-20",
            "well\tP9\tC4\tCCL2\ttypo\tAnna\t2025-06-20",
            "plate\tP2\t\t\tthe same plate again\tAnna\t2025-06-20",
        )
    )
    table = exclusion_table(wells, tables.empty(tables.QC_VERDICTS), manual)
    is_sample = (wells["role"] == "sample") & wells["sample_id"].notna()
    expected = []
    for record in manual.to_dict("records"):
        covered = pd.Series(True, index=wells.index)
        for key in ("plate_id", "well", "analyte"):
            if record[key]:
                covered &= wells[key] == record[key]
        expected.append(
            [int(covered.sum()), int(wells.loc[covered & is_sample, "sample_id"].nunique())]
        )
    assert table[["n_wells", "n_samples"]].values.tolist() == expected
    assert expected[5] == [0, 0] and expected[1] == expected[6]


# A wells table of 400,000 rows whose 24 numeric columns take 77 MB, and two plate-level
# exclusions; built in a fresh interpreter, the exclusions code run once on ten rows.
_WIDE_WELLS = """
import numpy as np, pandas as pd
from assaypipe.exclusions import exclusion_table
n = 400_000
wells = pd.DataFrame({
    "plate_id": np.repeat([f"P{i:04d}" for i in range(n // 400)], 400),
    "well": np.tile([f"W{i}" for i in range(400)], n // 400),
    "analyte": "IL6",
    "role": np.where(np.arange(n) % 10 == 0, "standard", "sample"),
    "sample_id": [f"S{i % 5000}" for i in range(n)],
})
for k in range(24):
    wells[f"x{k}"] = np.arange(n, dtype=float)
manual = pd.DataFrame({
    "level": ["plate", "plate"], "plate_id": ["P0001", "P0002"], "well": ["", ""],
    "analyte": ["", "IL6"], "reason": ["spilled", "drift"], "who": ["Anna", "Anna"],
    "when": [None, None], "line": [2, 3],
})
# what a first call loads (the table checks), on ten rows
exclusion_table(wells.head(10), pd.DataFrame(), manual, exclude_failing=False)
"""


def test_counting_an_exclusion_s_wells_copies_no_other_column_of_the_wells() -> None:
    """A 10,000-plate study's wells take a gigabyte: counting what each exclusion covers
    must not copy the sample rows' every column (it did, and took the study_tables job
    past its memory)."""
    built = peak_rss(_WIDE_WELLS)
    counted = peak_rss(
        _WIDE_WELLS
        + "table = exclusion_table(wells, pd.DataFrame(), manual, exclude_failing=False)\n"
        + "assert table['n_wells'].tolist() == [400, 400], table"
    )
    assert built.error == "" and counted.error == "", (built, counted)
    # Counting by the keys and the sample ids takes about 47 MB here; a copy of the sample
    # rows' every column took 213 MB (their numeric columns alone are 69 MB).
    assert counted.peak_mb - built.peak_mb < 100, (built.peak_mb, counted.peak_mb)


# -- what real files bring (tests/oddities.py) ---------------------------------------------


def test_plates_without_a_curve_are_excluded_with_the_checks_they_failed():
    wells = pd.concat(
        [odd_plate("clean", "P1"), odd_plate("unassigned", "P2"), odd_plate("no_standards", "P3")]
    )
    stages = run_stages(wells)
    table = tables.EXCLUSIONS.validate(stages.exclusions)
    rows = table[["source", "level", "plate_id", "analyte", "reason", "n_wells", "n_samples"]]
    assert rows.values.tolist() == [
        ["qc", "plate", "P2", "CCL2", "QC fail: calibrators, curve_status", 40, 0],
        ["qc", "plate", "P3", "CCL2", "QC fail: calibrators, curve_status", 26, 10],
    ]
    # the statistics keep the good plate's values only
    assert len(stages.included) == 10 and (stages.included["plate_ids"] == "P1").all()


@pytest.mark.parametrize("case", ["no_signal", "single_well", "unassigned"])
def test_a_study_of_one_plate_without_a_curve_leaves_an_empty_well_formed_sample_table(case):
    included = run_stages(odd_plate(case)).included
    assert included.empty and list(included.columns) == list(tables.SAMPLES.columns)


@pytest.mark.parametrize("name", list(ODD_NAMES.values()), ids=list(ODD_NAMES))
def test_manual_exclusions_match_odd_names_exactly(name):
    wells = pd.concat([odd_plate("clean", "P1"), renamed(odd_plate("clean"), plate_id=name)])
    stages = run_stages(wells)
    manual = pd.DataFrame(
        [{"level": "plate", "plate_id": name, "well": "", "analyte": "", "reason": "spill",
          "who": "Anna", "when": "2025-06-20", "line": 2}]
    )  # fmt: skip
    table = exclusion_table(stages.wells, stages.qc.verdicts, manual)
    assert table[["plate_id", "n_wells", "n_samples"]].values.tolist() == [[name, 40, 10]]
    kept = included_samples(stages.wells, stages.curves, stages.sheet, table)
    assert (kept["plate_ids"] == "P1").all() and len(kept) == 10


def test_the_study_exclusions_follow_the_settings(tmp_path):
    wells, curves, plates = two_plates()
    verdicts = run_qc(wells, curves, plates, SETTINGS).verdicts
    manual = read_exclusions(write(tmp_path, "well\tP1\tA1\t\tsplash\tAnna\t2025-06-20"))
    subjects = pd.DataFrame({"subject_id": ["A", "B", "C"]})
    units = plan_units(plate_units(wells))
    found = study_exclusions(wells, curves, verdicts, manual, SHEET, subjects, units, SETTINGS)
    assert found.exclusions["source"].tolist() == ["qc", "manual"]
    assert (found.included["plate_ids"] == "P1").all()
    assert found.findings.equals(sheet_findings(wells, SHEET, subjects))
    keep_failing = dataclasses.replace(
        SETTINGS, qc=dataclasses.replace(SETTINGS.qc, exclude_failing=False)
    )
    kept = study_exclusions(wells, curves, verdicts, manual, SHEET, subjects, units, keep_failing)
    assert kept.exclusions["source"].tolist() == ["manual"]
    assert set(kept.included["plate_ids"]) == {"P1;P2"}


def test_a_plate_read_from_a_copy_of_another_plate_s_file_is_left_out() -> None:
    # A copy under another name was read as one more plate without a word: its
    # samples' wells counted twice in their values.
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    plates = pd.DataFrame(
        [
            ("P1", "plates/P1.csv", a, "read"),
            ("P1_copy", "plates/P1 (copy).csv", a, "read"),
            # a file of two plates, and a copy of it: only the copy's two are left out
            ("Q1", "plates/Q.txt", b, "read"),
            ("Q2", "plates/Q.txt", b, "read"),
            ("Q2_again", "plates/again/Q.txt", b, "read"),
            ("Q1_again", "plates/again/Q.txt", b, "read"),
            # a refused file has no wells to count twice
            ("R", "plates/R.csv", c, "rejected"),
            ("R_copy", "plates/R_copy.csv", c, "rejected"),
        ],
        columns=["plate_id", "source_file", "source_sha256", "status"],
    )
    left_out = duplicate_exports(plates)
    assert left_out[["level", "plate_id", "well", "analyte"]].values.tolist() == [
        ["plate", "P1_copy", "", ""],
        ["plate", "Q1_again", "", ""],
        ["plate", "Q2_again", "", ""],
    ]
    assert left_out["reason"].iloc[1] == (
        "the same file, byte for byte, as plates/Q.txt: a copy, whose wells would count "
        "twice; remove one of the two files"
    )
    # In the exclusions table, with the wells they cover; the original's stay in.
    wells = wells_frame(
        [
            {"plate_id": p, "well": w, "sample_id": "S01", "sample_name": "S01"}
            for p in ("P1", "P1_copy", "Q1")
            for w in ("A1", "A2")
        ]
    )
    manual = read_exclusions(None)
    table = exclusion_table(wells, tables.empty(tables.QC_VERDICTS), manual, plates=plates)
    assert table[["source", "plate_id", "n_wells", "n_samples"]].values.tolist() == [
        ["duplicate", "P1_copy", 2, 1],
        ["duplicate", "Q1_again", 0, 0],
        ["duplicate", "Q2_again", 0, 0],
    ]
    assert excluded_wells(wells, table).tolist() == [False, False, True, True, False, False]
    assert duplicate_exports(plates[plates["plate_id"] != "P1_copy"]).shape[0] == 2
