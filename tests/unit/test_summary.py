"""The lines a run ends with."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assaypipe import tables
from assaypipe.io import write_table
from assaypipe.summary import run_summary


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
        "assaypipe: 2 plates read (1 with warnings), 1 files rejected",
        "  rejected: bad.csv: the file is empty",
        "  warning P2: line 7: odd",
        "  warning P2: line 9: odder",
        "QC verdicts (plate x analyte): 2 pass, 0 warn, 1 fail",
        f"report: {tmp_path / 'report.html'}",
    ]
    lines = run_summary(tmp_path, most=1).splitlines()
    assert lines[2].startswith("  ... and 2 more (results/rejected.parquet")


def test_an_analyte_left_out_for_its_units_is_named(tmp_path: Path) -> None:
    write_table(
        plates([{"plate_id": "P1", "status": "read", "warnings": []}]),
        tmp_path / "plates.parquet",
        command="test",
    )
    exclusions = pd.DataFrame(
        {
            "source": ["qc", "units"],
            "analyte": ["IL8", "CCL2"],
            "reason": ["QC fail: calibrators", "units that cannot be converted to pg/mL"],
        }
    )
    write_table(exclusions, tmp_path / "exclusions.parquet", command="test")
    assert run_summary(tmp_path).splitlines()[1:] == [
        "CCL2 left out of the statistics: units that cannot be converted to pg/mL"
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
