"""The manual exclusions sheet: its rows read with their line, each wrong row refused
in one sentence naming the line, and anything but a file in its place refused."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from assaypipe.errors import InputError
from assaypipe.exclusion_sheet import read_exclusions

HEADER = "level\tplate_id\twell\tanalyte\treason\twho\twhen\n"


def write(tmp_path, *rows: str):
    path = tmp_path / "exclusions.tsv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def aliases() -> pd.DataFrame:
    return pd.DataFrame({"alias": ["MCP-1"], "analyte": ["CCL2"], "display": ["CCL2"]})


def test_absent_file_means_no_exclusions(tmp_path):
    assert read_exclusions(tmp_path / "none.tsv").empty
    assert read_exclusions(None).empty


def test_a_pipe_or_folder_in_its_place_is_refused_not_taken_for_none(tmp_path):
    # They were taken for "no exclusions" without a word (a pipe is not opened).
    os.mkfifo(tmp_path / "pipe.tsv")
    with pytest.raises(InputError, match="this is a named pipe or a device, not a sheet file"):
        read_exclusions(tmp_path / "pipe.tsv")
    with pytest.raises(InputError, match="this is a folder, not a sheet file"):
        read_exclusions(tmp_path)


def test_rows_are_read_with_their_line_and_canonical_analyte(tmp_path):
    path = write(
        tmp_path,
        "well\tP1\tc4\tMCP-1\tpipetting error\tAnna\t2025-06-20",
        "\t\t\t\t\t\t",
        "analyte\t\t\tHGF\tlot recalled\tBen\t2025-07-01",
    )
    rows = read_exclusions(path, aliases())
    assert rows[["level", "well", "analyte", "line"]].values.tolist() == [
        ["well", "C4", "CCL2", 2],
        ["analyte", "", "HGF", 4],
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("sample\tP1\t\t\twhy\twho\t2025-01-01", "level must be one of well, plate, analyte"),
        ("plate\tP1\t\t\t\twho\t2025-01-01", "reason is empty"),
        ("plate\tP1\t\t\twhy\twho\t01/02/2025", "when must be a date YYYY-MM-DD"),
        ("analyte\tP1\t\tHGF\twhy\twho\t2025-01-01", "level analyte takes no plate_id"),
        ("plate\t\t\tHGF\twhy\twho\t2025-01-01", "level plate needs the plate_id"),
        ("plate\tP1\tA1\t\twhy\twho\t2025-01-01", "level plate takes no well"),
        ("well\tP1\tZ9\t\twhy\twho\t2025-01-01", "needs a well A1..P24"),
    ],
)
def test_a_wrong_row_names_the_file_line_and_fix(tmp_path, row, message):
    path = write(tmp_path, "well\tP1\tA1\t\tfine\twho\t2025-01-01", row)
    with pytest.raises(InputError, match=message) as caught:
        read_exclusions(path)
    assert "exclusions.tsv: line 3" in str(caught.value)


def test_an_empty_exclusions_file_is_refused_in_one_sentence(tmp_path):
    path = tmp_path / "exclusions.tsv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"exclusions\.tsv: the sheet is empty; expected a header"):
        read_exclusions(path)


def test_each_row_keeps_its_line_past_blank_lines(tmp_path):
    # The report points back to a row by its line: pandas passed over the blank line
    # without counting it, and the second row was said to be on line 3.
    path = write(
        tmp_path,
        "plate\tP1\t\t\tbubbles\tlab\t2026-01-02",
        "",
        "\t\t\t\t\t\t",
        "well\tP2\tA1\t\tclot\tlab\t2026-01-03",
        "wel\tP2\tA2\t\tclot\tlab\t2026-01-03",
    )
    with pytest.raises(InputError, match=r"line 6: level must be one of"):
        read_exclusions(path)
    path.write_text(path.read_text().rsplit("wel\t", 1)[0])
    assert read_exclusions(path)["line"].tolist() == [2, 5]
