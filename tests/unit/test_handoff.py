"""The lab's Excel workbook and the Prism tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import stats

from assaypipe import handoff
from assaypipe.handoff import (
    prism_tables,
    safe_cell,
    sheet_names,
    write_concentrations_workbook,
    write_prism_tables,
)
from assaypipe.stats.prepost import prepost

HOSTILE = ['=HYPERLINK("http://x","y")', "+SUM(A1:A9)", "-2+3", "@cmd", "\t=1", "\r=1"]


def samples_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for subject in range(1, 13):
        for visit, shift in (("baseline", 0.0), ("post", -30.0)):
            value = 200 + 10 * subject + shift + rng.normal(0, 15)
            censor = "<LLOQ" if subject == 3 and visit == "post" else None
            rows.append(
                {
                    "sample_id": f"S{subject:02d}-{visit}",
                    "analyte": "CCL2",
                    "subject_id": f"P{subject:02d}",
                    "visit": visit,
                    "concentration": np.nan if censor else value,
                    "unit": "pg/mL",
                    "cv": 0.05,
                    "n_replicates": 2,
                    "censor": censor,
                    "lloq": 40.0,
                    "uloq": 5000.0,
                    "flags": "",
                    "plate_ids": "P1",
                }
            )
    return pd.DataFrame(rows)


def wells_frame(plate_ids: list[str]) -> pd.DataFrame:
    rows = []
    for plate_id in plate_ids:
        for i, text in enumerate(HOSTILE):
            rows.append(
                {
                    "plate_id": plate_id,
                    "well": f"A{i + 1}",
                    "role": "sample",
                    "sample_id": text,
                    "analyte": text,
                    "signal": -3.5,
                    "signal_kind": "MFI",
                    "concentration": 12.5,
                    "unit": "pg/mL",
                    "censor": None,
                    "flags": text,
                }
            )
    return pd.DataFrame(rows)


def test_safe_cell() -> None:
    assert [safe_cell(text) for text in HOSTILE] == [
        "'" + HOSTILE[0],
        "'+SUM(A1:A9)",
        "'-2+3",
        "'@cmd",
        "'\t=1",
        "'\r=1",
    ]
    assert safe_cell("-3.5") == "-3.5" and safe_cell("+1e3") == "+1e3"
    assert safe_cell(-3.5) == -3.5 and safe_cell(np.int64(4)) == 4
    assert safe_cell(np.nan) is None and safe_cell(None) is None and safe_cell(pd.NA) is None
    assert safe_cell("IL-6") == "IL-6"


def test_no_cell_of_the_workbook_is_a_formula(tmp_path: Path) -> None:
    path = write_concentrations_workbook(
        wells_frame(["P1", "=P2"]), samples_frame(), samples_frame(), tmp_path / "c.xlsx"
    )
    # Reference: openpyxl reading the file back, as Excel would load it.
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["study", "=P2", "P1"]
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    plate = book["P1"]
    assert [c.value for c in plate[2]] == [
        "A1",
        "sample",
        "'" + HOSTILE[0],
        "'" + HOSTILE[0],
        -3.5,
        "MFI",
        12.5,
        "pg/mL",
        None,
        "'" + HOSTILE[0],
    ]


def test_control_characters_from_a_plate_file_are_written_as_escapes(tmp_path: Path) -> None:
    # A sample name read from a plate file may hold characters no workbook can hold
    # (openpyxl refused the whole workbook); they are shown, escaped, not dropped.
    wells = wells_frame(["P1"])
    wells["sample_id"] = ["Standard7\x01\x02", "a\x1fb", "\x00", "tab\tand\nline", "x", "y"]
    assert safe_cell("Standard7\x01\x02") == "Standard7\\x01\\x02"
    assert safe_cell("\x0b=1") == "\\x0b=1" and safe_cell("-\x01") == "'-\\x01"
    path = write_concentrations_workbook(
        wells, samples_frame(), samples_frame(), tmp_path / "c.xlsx"
    )
    plate = openpyxl.load_workbook(path)["P1"]
    assert [plate.cell(row=r, column=3).value for r in range(2, 6)] == [
        "Standard7\\x01\\x02",
        "a\\x1fb",
        "\\x00",
        "tab\tand\nline",
    ]


def test_study_sheet_says_which_rows_the_statistics_use(tmp_path: Path) -> None:
    samples = samples_frame()
    included = samples[samples["subject_id"] != "P01"]
    path = write_concentrations_workbook(
        wells_frame(["P1"]), samples, included, tmp_path / "c.xlsx"
    )
    sheet = openpyxl.load_workbook(path)["study"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(2)]
    assert len(rows) == len(samples)
    used = {r["sample_id"]: r["in_statistics"] for r in rows}
    assert used["S01-baseline"] == "no" and used["S02-baseline"] == "yes"
    assert {r["unit"] for r in rows} == {"pg/mL"}


def test_many_plates_leave_the_wells_to_parquet(tmp_path: Path) -> None:
    path = write_concentrations_workbook(
        wells_frame(["P1", "P2", "P3"]),
        samples_frame(),
        samples_frame(),
        tmp_path / "c.xlsx",
        max_plate_sheets=2,
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["study", "plates"]
    assert "3 plates" in book["plates"]["A1"].value


def test_what_excel_cannot_hold_is_cut_saying_so(tmp_path: Path, monkeypatch) -> None:
    # Excel's limits, in UTF-16 units: 32,767 in a cell, 31 in a sheet name (a letter
    # beyond the Basic Multilingual Plane counts two), 1,048,576 rows (made 5 here).
    wells = wells_frame(["\U00020000" * 20])
    wells["sample_id"] = ["=" + "x" * 40_000, "\U0001d400" * 20_000, "a", "b", "c", "d"]
    monkeypatch.setattr(handoff, "EXCEL_ROWS", 5)
    samples = pd.concat([samples_frame()] * 4, ignore_index=True)
    path = write_concentrations_workbook(wells, samples, samples, tmp_path / "c.xlsx")
    book = openpyxl.load_workbook(path)
    (name,) = (n for n in book.sheetnames if n != "study")
    assert len(name.encode("utf-16-le")) // 2 <= 31 and name == "\U00020000" * 15
    cells = [book[name].cell(row=r, column=3).value for r in (2, 3)]
    for cell, total in zip(cells, ("40,001", "20,000"), strict=True):
        assert len(cell.encode("utf-16-le")) // 2 <= 32_767
        assert cell.endswith(f"… (cut at Excel's limit: {total} characters in all)")
    assert cells[0].startswith("'=xxx")
    # 6 wells: 3 rows under the header, then the note in Excel's last row
    assert [row[0].value for row in book[name].iter_rows(min_row=2)] == [
        "A1",
        "A2",
        "A3",
        "cut at Excel's last row: 3 rows more",
    ]
    assert book["study"].cell(row=5, column=1).value.startswith("cut at Excel's last row")


def test_sheet_names_are_valid_and_distinct() -> None:
    names = sheet_names(["a/b", "a:b", "x" * 40, "x" * 40 + "y", "Study", ""])
    assert list(names.values()) == [
        "a_b",
        "a_b (2)",
        "x" * 31,
        "x" * 27 + " (2)",
        "Study (2)",
        "plate",
    ]
    assert all(len(n) <= 31 for n in names.values())


def test_prism_tables_give_the_statistics_own_pairs(tmp_path: Path) -> None:
    samples = samples_frame()
    groups = pd.Series(
        ["responder" if i % 2 else "nonresponder" for i in range(1, 13)],
        index=pd.Index([f"P{i:02d}" for i in range(1, 13)], name="subject_id"),
    )
    table = prism_tables(samples, groups)["CCL2"]
    assert list(table.columns) == [
        "subject_id",
        "baseline (pg/mL)",
        "post (pg/mL)",
        "baseline nonresponder (pg/mL)",
        "post nonresponder (pg/mL)",
        "baseline responder (pg/mL)",
        "post responder (pg/mL)",
    ]
    # The censored post value of P03 is half the LLOQ, as the pre/post test takes it.
    assert table.set_index("subject_id").loc["P03", "post (pg/mL)"] == 20.0
    # Reference: SciPy's exact Wilcoxon signed-rank test on the two columns, as Prism
    # runs it on them, gives the p of assaypipe's pre/post test for all subjects.
    expected = prepost(samples, below_lloq="half_lloq").query("group == 'all'")["p"].iloc[0]
    scipy_p = stats.wilcoxon(table["post (pg/mL)"], table["baseline (pg/mL)"]).pvalue
    assert scipy_p == pytest.approx(expected, rel=1e-9)
    responders = table.dropna(subset=["baseline responder (pg/mL)"])
    assert len(responders) == 6 and set(responders["subject_id"]) == {
        f"P{i:02d}" for i in range(1, 13, 2)
    }
    written = write_prism_tables({"=CCL2/../x": table}, tmp_path / "prism")
    assert written[0].parent == tmp_path / "prism" and ".." not in written[0].name
    index = pd.read_csv(tmp_path / "prism" / "index.csv")
    assert index["analyte"].tolist() == ["'=CCL2/../x"]
