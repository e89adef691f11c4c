"""The lines a run ends with."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.io import write_table
from assaypipe.summary import finish_run, run_summary


def plates(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows).reindex(columns=list(tables.PLATES.columns))
    return tables.PLATES.validate(
        frame.assign(chunk="chunk000", n_wells=96, n_analytes=1, source_file="f.csv")
    )


def test_a_run_names_its_rejections_warnings_verdicts_and_report(tmp_path: Path) -> None:
    write_table(
        plates(
            [
                {"plate_id": "P1", "status": "read", "warnings": []},
                {"plate_id": "P2", "status": "read", "warnings": ["line 7: odd", "line 9: odder"]},
                {"plate_id": "bad", "status": "rejected", "warnings": []},
            ]
        ),
        tmp_path / "plates.parquet",
        command="test",
    )
    rejected = pd.DataFrame(
        [{"source_file": "bad.csv", "where": "file", "reason": "bad.csv: the file is empty"}]
    )
    write_table(rejected, tmp_path / "rejected.parquet", command="test")
    verdicts = pd.DataFrame({"verdict": ["pass", "pass", "fail"]})
    write_table(verdicts, tmp_path / "qc_verdicts.parquet", command="test")
    (tmp_path / "report.html").write_text("<html></html>")
    assert run_summary(tmp_path).splitlines() == [
        "assaypipe: 2 plates read (1 with warnings), 1 file rejected",
        "  rejected: bad.csv: the file is empty",
        "  warning P2: line 7: odd",
        "  warning P2: line 9: odder",
        "warnings by kind (2 on 1 plate):",
        "  1 x odd",
        "  1 x odder",
        "QC verdicts (plate x analyte): 2 pass, 0 warn, 1 fail",
        f"report: {tmp_path / 'report.html'}",
    ]
    lines = run_summary(tmp_path, most=1).splitlines()
    assert lines[2].startswith("  ... and 2 more (results/rejected.parquet")
    assert lines[5] == "  ... and 1 more kinds"


def test_alike_warnings_of_many_plates_count_as_one_kind_and_verdicts_by_analyte(
    tmp_path: Path,
) -> None:
    write_table(
        plates(
            [
                {
                    "plate_id": f"P{i}",
                    "status": "read",
                    "warnings": [f"line {7 + i}: well B{i} of `plate {i}` has {10 * i} beads"],
                }
                for i in range(1, 4)
            ]
        ),
        tmp_path / "plates.parquet",
        command="test",
    )
    verdicts = pd.DataFrame(
        {
            "analyte": ["CCL2", "CCL2", "IL8", "NfL", "HGF"],
            "verdict": ["pass", "fail", "pass", "warn", "pass"],
        }
    )
    write_table(verdicts, tmp_path / "qc_verdicts.parquet", command="test")
    lines = run_summary(tmp_path).splitlines()
    assert lines[4:] == [
        "warnings by kind (3 on 3 plates):",
        "  3 x well <well> of `…` has N beads",
        "QC verdicts (plate x analyte): 3 pass, 1 warn, 1 fail",
        "  CCL2: 1 pass, 0 warn, 1 fail",
        "  NfL: 0 pass, 1 warn, 0 fail",
        "  every plate passes: HGF, IL8",
    ]
    assert run_summary(tmp_path, most=1).splitlines()[-3:] == [
        "  CCL2: 1 pass, 0 warn, 1 fail",
        "  ... and 1 more analytes with a warn or fail (the report's Verdicts, "
        "results/qc_verdicts.parquet)",
        "  every plate passes: HGF and 1 more",
    ]


def test_analyses_that_lost_an_analyte_or_came_out_empty_are_named(tmp_path: Path) -> None:
    write_table(
        plates([{"plate_id": "P1", "status": "read", "warnings": []}]),
        tmp_path / "plates.parquet",
        command="test",
    )
    stats = tables.empty(tables.STATS)
    write_table(stats, tmp_path / "stats" / "classification.parquet", command="test")
    lost = "NfL: all plates failed QC"
    subgroup = pd.DataFrame(
        {
            "analysis": "subgroup_prepost",
            "analyte": ["CCL2", "CCL2", "NfL", "NfL"],
            "group": ["all", "responder", "all", "responder"],
            "n": [0, 0, 0, 0],
            "note": [f"{lost}, so the subgroup is empty"] * 4,
        }
    ).reindex(columns=list(tables.STATS.columns))
    write_table(
        tables.STATS.validate(subgroup.assign(unit="", method="", family="exploratory")),
        tmp_path / "stats" / "prepost_subgroup.parquet",
        command="test",
    )
    prepost = pd.DataFrame(
        {
            "analysis": "prepost",
            "analyte": ["CCL2", "HGF", "NfL", "IL8"],
            "group": "all",
            "n": [12, 12, 0, 3],
            "estimate": [1.5, -2.0, None, None],
            "p": [0.01, 0.2, None, None],
            "note": [None, None, lost, "all 3 differences are zero"],
        }
    ).reindex(columns=list(tables.STATS.columns))
    write_table(
        tables.STATS.validate(prepost.assign(unit="", method="", family="primary")),
        tmp_path / "stats" / "prepost.parquet",
        command="test",
    )
    assert run_summary(tmp_path).splitlines()[1:] == [
        "statistics that lost an analyte, a group or every row:",
        "  classification: no result",
        "  prepost: no estimate for IL8 (all 3 differences are zero)",
        f"  prepost: no estimate for NfL ({lost})",
        f"  prepost_subgroup: no estimate in any of its 4 rows ({lost}, so the subgroup is empty)",
        "primary family (stats.primary_family): prepost [all] in prepost (2 tests)",
    ]


def test_a_strict_run_with_problems_exits_1_and_writes_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_table(
        plates([{"plate_id": "P1", "status": "read", "warnings": []}]),
        tmp_path / "plates.parquet",
        command="test",
    )
    assert finish_run(tmp_path, strict=True) == 0
    verdicts = pd.DataFrame({"analyte": ["CCL2", "IL8"], "verdict": ["fail", "pass"]})
    write_table(verdicts, tmp_path / "qc_verdicts.parquet", command="test")
    assert finish_run(tmp_path) == 0
    assert finish_run(tmp_path, strict=True) == 1
    assert finish_run(tmp_path, strict="false") == 0
    assert finish_run(tmp_path, strict="true") == 1
    printed = capsys.readouterr().out
    assert printed.rstrip().endswith(
        "strict run (run.strict): exit 1 for 1 plate x analyte failed QC"
    )
    last = printed[printed.rindex("assaypipe: ") :]
    assert (tmp_path / "summary.txt").read_text() == last


def test_an_analyte_left_out_for_its_units_is_named(tmp_path: Path) -> None:
    write_table(
        plates([{"plate_id": "P1", "status": "read", "warnings": []}]),
        tmp_path / "plates.parquet",
        command="test",
    )
    exclusions = pd.DataFrame(
        {
            "source": ["qc", "units", "duplicate"],
            "plate_id": ["P1", None, "P1_copy"],
            "analyte": ["IL8", "CCL2", None],
            "reason": [
                "QC fail: calibrators",
                "units that cannot be converted to pg/mL",
                "the same file, byte for byte, as plates/P1.csv: ...",
            ],
        }
    )
    write_table(exclusions, tmp_path / "exclusions.parquet", command="test")
    assert run_summary(tmp_path).splitlines()[1:] == [
        "CCL2 left out of the statistics: units that cannot be converted to pg/mL",
        "plate P1_copy left out of the statistics: the same file, byte for byte, as "
        "plates/P1.csv: ...",
    ]


def test_plates_without_warnings_write_a_typed_list_column(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    write_table(
        plates([{"plate_id": "P1", "status": "read", "warnings": []}]),
        tmp_path / "plates.parquet",
        command="test",
    )
    assert str(pq.read_schema(tmp_path / "plates.parquet").field("warnings").type) == (
        "list<element: string>"
    )


def test_sheet_mismatches_are_listed_and_make_a_strict_run_fail(tmp_path: Path) -> None:
    write_table(
        plates([{"plate_id": "P1", "status": "read", "warnings": []}]),
        tmp_path / "plates.parquet",
        command="test",
    )
    findings = pd.DataFrame(
        {
            "check": ["unknown_analyte", "sample_not_in_sheet", "sample_not_in_sheet"],
            "name": ["MPC-1", "S7-BL", "S8-BL"],
            "where": ["plate P2", "plate P2", "plates P2, P3"],
            "detail": "",
            "n_wells": [96, 1, 2],
        }
    )
    write_table(findings, tmp_path / "sheet_checks.parquet", command="test")
    assert run_summary(tmp_path).splitlines()[1:] == [
        "sheet checks (results/sheet_checks.parquet, the report's Sheet checks):",
        "  1 unknown analyte: MPC-1 (plate P2)",
        "  2 sample not in sheet: S7-BL (plate P2), S8-BL (plates P2, P3)",
    ]
    assert finish_run(tmp_path, strict=True) == 1


def test_files_skipped_in_the_plates_folder_are_listed(tmp_path: Path) -> None:
    write_table(
        plates([{"plate_id": "P1", "status": "read", "warnings": []}]),
        tmp_path / "plates.parquet",
        command="test",
    )
    skipped = pd.DataFrame(
        [
            {"source_file": "plates/.x", "reason": "a hidden file (its name starts with '.')"},
            {"source_file": "plates/README", "reason": "a README"},
        ]
    )
    write_table(tables.SKIPPED.validate(skipped), tmp_path / "skipped.parquet", command="test")
    summary = finish_run(tmp_path, strict=True)
    assert summary == 0  # a skipped file is no problem for a strict run
    assert (tmp_path / "summary.txt").read_text().splitlines() == [
        "assaypipe: 1 plate read (0 with warnings), 0 files rejected, 2 skipped",
        "  skipped: plates/.x: a hidden file (its name starts with '.')",
        "  skipped: plates/README: a README",
    ]
