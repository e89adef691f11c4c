from pathlib import Path

import pandas as pd
import pytest
import yaml

from assaypipe.errors import InputError
from assaypipe.preflight import sheet_problems
from assaypipe.sheets import (
    MAX_SHEET_BYTES,
    alias_lookup,
    canonical_analyte,
    read_aliases,
    read_outcomes,
    read_samples,
    read_subjects,
)
from tests import hostile
from tests.conftest import REPO


def write(tmp_path, text, name="samples.tsv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_sheet_read_as_text(tmp_path):
    path = write(tmp_path, "sample_id\tsubject_id\tvisit\tmatrix\nP01-BL\tP01\tbaseline\tCSF\n")
    sheet = read_samples(path)
    assert sheet.to_dict("records") == [
        {"sample_id": "P01-BL", "subject_id": "P01", "visit": "baseline", "matrix": "CSF"}
    ]


def test_missing_column_names_the_sheet_and_the_columns(tmp_path):
    path = write(tmp_path, "sample_id\tsubject\tvisit\tmatrix\nP01-BL\tP01\tbaseline\tCSF\n")
    with pytest.raises(InputError) as info:
        read_samples(path)
    assert str(info.value).startswith(f"{path}: line 1: missing column(s) subject_id")


def test_duplicate_sample_id_names_the_line(tmp_path):
    text = "sample_id\tsubject_id\tvisit\tmatrix\nA\tP1\tbaseline\tCSF\nA\tP1\tpost\tCSF\n"
    with pytest.raises(InputError, match=r"line 3: sample_id 'A' appears twice"):
        read_samples(write(tmp_path, text))


def test_missing_sheet_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_samples(tmp_path / "nope.tsv")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MCP-1", "CCL2"),
        ("mcp-1", "CCL2"),
        ("IL-8 (27)", "IL8"),
        ("TGF-beta2", "TGFB2"),
        ("SDF-1α", "CXCL12"),
        ("Neurofilament  light", "NfL"),
        ("CCL2", "CCL2"),
        ("IL-99", None),
    ],
)
def test_aliases_from_the_bundled_table(raw, expected):
    from assaypipe.sheets import ALIAS_COLUMNS  # noqa: F401  (the table's contract)

    lookup = alias_lookup(read_aliases(_bundled_aliases()))
    assert canonical_analyte(raw, lookup) == expected


def _bundled_aliases():
    from importlib.resources import files

    return files("assaypipe") / "data" / "analytes.tsv"


# Sample ids as plates write them, which the workflow's sheet schema must let through.
PLATE_SAMPLE_IDS = ["P01-BL", "Sample 1", "Samples/01", "<b>x</b>", r"$\frac{a}{$", "Ünï µ/2"]


def validate_sample_sheet(sample_id: str) -> None:
    """The check the workflow runs on config/samples.tsv (workflow/rules/common.smk)."""
    from snakemake.utils import validate

    sheet = pd.DataFrame(
        {"sample_id": [sample_id], "subject_id": ["P01"], "visit": ["baseline"], "matrix": ["CSF"]}
    )
    validate(sheet, str(REPO / "workflow" / "schemas" / "samples.schema.yaml"))


@pytest.mark.parametrize("sample_id", PLATE_SAMPLE_IDS)
def test_the_sheet_schema_takes_sample_ids_as_plates_write_them(tmp_path, sample_id):
    validate_sample_sheet(sample_id)
    path = write(tmp_path, f"sample_id\tsubject_id\tvisit\tmatrix\n{sample_id}\tP01\tbaseline\t\n")
    assert read_samples(path)["sample_id"].tolist() == [sample_id]


@pytest.mark.parametrize("sample_id", ["", " Sample 1", "Sample 1 ", "a\x07b", "a\u00a0", "a\x85"])
def test_the_sheet_schema_refuses_empty_padded_or_control_character_ids(sample_id):
    from snakemake.exceptions import WorkflowError

    with pytest.raises(WorkflowError, match="sample_id"):
        validate_sample_sheet(sample_id)


def test_a_sheet_beyond_the_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "samples.tsv"
    with path.open("wb") as sheet:
        sheet.truncate(2**30)  # 1 GB of nothing: sparse, nothing is written
    run = hostile.peak_rss(
        f"from assaypipe.sheets import read_samples\nread_samples({str(path)!r})"
    )
    assert run.error == (
        f"InputError: {path}: the sheet is 1,024 MB, larger than the 16 MB a study sheet "
        "can be; check it is the right file"
    )
    assert run.peak_mb < hostile.read_budget_mb(), run


def test_a_sheet_at_the_bound_is_read_within_budget(tmp_path: Path) -> None:
    # The worst at the bound: 16 MB of one-character cells (4 million cells).
    path = tmp_path / "samples.tsv"
    rows = (MAX_SHEET_BYTES - 100) // 8
    path.write_text("sample_id\tsubject_id\tvisit\tmatrix\n" + "a\tb\tc\td\n" * rows)
    assert path.stat().st_size <= MAX_SHEET_BYTES
    code = f"from assaypipe.sheets import read_sheet\nread_sheet({str(path)!r}, ('sample_id',))"
    run = hostile.peak_rss(code)
    assert run.error == ""
    assert run.peak_mb < hostile.read_budget_mb(), run


def test_a_long_value_is_quoted_short(tmp_path: Path) -> None:
    long_id = "S" * 100_000
    text = "sample_id\tsubject_id\tvisit\tmatrix\n" + f"{long_id}\t1\tpre\tCSF\n" * 2
    path, said = refusal(tmp_path, text.encode())
    assert said == (
        f"{path}: line 3: sample_id 'SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS... "
        "appears twice; each must be unique"
    )


def refusal(tmp_path: Path, written: bytes) -> tuple[Path, str]:
    """The sample sheet written as given, and the one sentence that refuses it."""
    path = tmp_path / "samples.tsv"
    path.write_bytes(written)
    with pytest.raises(InputError) as raised:
        read_samples(path)
    return path, str(raised.value)


def test_a_row_with_more_cells_than_the_header_is_refused(tmp_path: Path) -> None:
    # pandas would take the first cell for a row name, shifting the others one column.
    path = write(
        tmp_path, "sample_id\tsubject_id\tvisit\tmatrix\nA\tP1\tbl\tCSF\tx\nA\tP1\tbl\tCSF\n"
    )
    with pytest.raises(
        InputError, match=r"samples\.tsv: line 2: the row has more cells than the header's 4"
    ):
        read_samples(path)


def test_an_empty_sheet_is_refused_naming_the_header_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(
        InputError,
        match=r"samples\.tsv: the sheet is empty; expected a header with sample_id, subject_id",
    ):
        read_samples(path)


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ("P1\t0\t5.5\t\nP1\t12\tfive\t\n", r"line 3: edss 'five' is not a number"),
        ("P1\t0\t5.5\t\nP1\t0\t5.0\t\n", r"line 3: subject P1 has month 0 twice"),
        # past blank lines, the line as the file numbers it
        ("P1\t0\t5\t\n\nP1\t12\tfive\t\n", r"line 4: edss 'five' is not a number"),
        ("P1\t0\t5\t\n\n\t\t\t\nP1\t0\t5\t\n", r"line 5: subject P1 has month 0 twice"),
    ],
)
def test_bad_numbers_and_duplicate_months_name_the_line(
    tmp_path: Path, rows: str, said: str
) -> None:
    sheet = tmp_path / "outcomes.tsv"
    sheet.write_text("subject_id\tmonth\tedss\tt25fw\n" + rows)
    with pytest.raises(InputError, match=said):
        read_outcomes(sheet)


def test_a_subject_age_that_is_not_a_number_names_the_line(tmp_path: Path) -> None:
    subjects = tmp_path / "subjects.tsv"
    subjects.write_text(
        "subject_id\tcourse\tsex\tage\tdisease_duration\tambulatory\nP1\tSPMS\tF\t5o\t3\ttrue\n"
    )
    with pytest.raises(InputError, match=r"line 2: age '5o' is not a number"):
        read_subjects(subjects)


def test_a_month_beyond_a_century_is_refused_not_wrapped(tmp_path: Path) -> None:
    # 10**23 does not fit an integer: it became -9223372036854775808 without a word.
    sheet = tmp_path / "outcomes.tsv"
    sheet.write_text(f"subject_id\tmonth\tedss\tt25fw\nP1\t0\t5.5\t\nP1\t{10**23}\t5\t\n")
    with pytest.raises(
        InputError, match=r"outcomes\.tsv: line 3: month '100000000000000000000000' is beyond 1200"
    ):
        read_outcomes(sheet)


HEADER = "sample_id\tsubject_id\tvisit\tmatrix"
ROWS = ["P01-BL\tP01\tbaseline\tCSF", "P01-M12\tP01\tmonth 12\tCSF", 'P02-BL\tP02\t"x"y\tCSF']


@pytest.mark.parametrize(
    "written",
    [
        # Excel's "Unicode Text": UTF-16 with its byte-order mark, Windows line ends
        ("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("utf-16"),
        # Excel's trailing tabs: two columns with no header and nothing in them
        ("\n".join(line + "\t\t" for line in [HEADER, *ROWS]) + "\n").encode(),
        # R's write.table(quote = TRUE): every cell in double quotes, a quote doubled
        (
            "\n".join(
                "\t".join('"' + cell.replace('"', '""') + '"' for cell in line.split("\t"))
                for line in [HEADER, *ROWS]
            )
            + "\n"
        ).encode(),
        # blank lines and lines of tabs, after the rows and between them
        ("\n".join([HEADER, ROWS[0], "", "\t\t\t", *ROWS[1:], "", "\t\t", ""]) + "\n").encode(),
    ],
    ids=["utf16", "trailing-tabs", "quoted", "blank-lines"],
)
def test_a_sheet_is_read_as_it_was_saved(tmp_path: Path, written: bytes) -> None:
    # Each was refused: not UTF-8, unexpected columns 'Unnamed: 4', missing columns
    # (the header's names in quotes), sample_id is empty.
    path = tmp_path / "samples.tsv"
    path.write_bytes(written)
    sheet = read_samples(path)
    assert sheet.to_dict("records") == [
        dict(zip(HEADER.split("\t"), row.split("\t"), strict=True)) for row in ROWS
    ]
    assert isinstance(sheet.index, pd.RangeIndex)


def test_a_line_is_named_as_the_file_numbers_it_past_blank_lines(tmp_path: Path) -> None:
    # pandas passed over the blank line without counting it: "line 4" for line 5.
    path = tmp_path / "samples.tsv"
    path.write_text("\n".join([HEADER, ROWS[0], "", ROWS[1], ROWS[0]]) + "\n")
    with pytest.raises(InputError, match=r"samples\.tsv: line 5: sample_id 'P01-BL' appears twice"):
        read_samples(path)


def test_a_sheet_in_another_encoding_is_refused_naming_the_line(tmp_path: Path) -> None:
    written = "\n".join([HEADER, *ROWS, "P03-BL\tP03\tbaseline\tLiquor cérébral"])
    path, said = refusal(tmp_path, written.encode("cp1252"))
    assert said == (
        f"{path}: line 5: is not UTF-8 text (byte 0xe9 here: saved in a Windows or Mac "
        "encoding?); save it as UTF-8 (in Excel: CSV UTF-8, or Unicode Text)"
    )


def test_a_column_with_no_header_but_cells_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "samples.tsv"
    path.write_text("\n".join([HEADER + "\t", *(row + "\tnote" for row in ROWS)]) + "\n")
    schema = yaml.safe_load((REPO / "workflow/schemas/samples.schema.yaml").read_text())
    assert sheet_problems(path, schema, read_samples) == [
        f"{path}: line 1: unexpected column(s) column 5 (its header cell is empty); the "
        "columns are matrix, sample_id, subject_id, visit"
    ]
