"""The config and sheet checks the workflow runs before any job: one line per problem,
naming the file, the line and the key or column."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from assaypipe.preflight import (
    MOST_PER_FILE,
    config_problems,
    read_command_line_values,
    sheet_problems,
    study_problems,
)
from tests.conftest import REPO, workflow_command

SCHEMAS = REPO / "workflow" / "schemas"


def _config(tmp_path: Path, text: str) -> tuple[dict[str, object], Path]:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return yaml.safe_load(text), path


def _schema(name: str) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


def test_the_demo_config_and_sheets_have_no_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    assert study_problems(config, "config/config.yaml", SCHEMAS) == []


def test_each_config_problem_is_a_line_with_its_line_number(tmp_path: Path) -> None:
    text = "chunks:\n  size: lots\nwells:\n  min_bead_count: -3\n  colour: red\nplate_folder: x\n"
    config, path = _config(tmp_path, text)
    problems = config_problems(config, _schema("config.schema.yaml"), path)
    assert len(problems) == 4
    assert problems[0].startswith(f"{path}: line 2: chunks.size: 'lots' is not of type 'integer'")
    assert "default 250" in problems[0]
    assert problems[1].startswith(f"{path}: line 4: wells.min_bead_count: -3 is less than")
    assert problems[2].startswith(f"{path}: line 5: wells.colour is not a setting")
    assert "settings here: luminex_signal, min_bead_count, read" in problems[2]
    assert problems[3].startswith(f"{path}: line 6: plate_folder is not a setting")
    assert all("\n" not in problem for problem in problems)


def test_a_setting_given_with_config_is_named_as_from_the_command_line(tmp_path: Path) -> None:
    # Snakemake reads --config 'chunks={size: 0}' to {"chunks": {"size": "0"}}.
    config, path = _config(tmp_path, "chunks:\n  size: 3\nwells:\n  min_bead_count: -3\n")
    overrides = {"chunks": {"size": "0", "sise": "4"}}
    config["chunks"] = {"size": "0", "sise": "4"}
    schema = _schema("config.schema.yaml")
    read_command_line_values(config, overrides, schema)
    assert config["chunks"] == {"size": 0, "sise": "4"}
    problems = config_problems(config, schema, path, overrides)
    assert len(problems) == 3
    command_line = sorted(problems[:2])
    assert command_line[0].startswith("--config: chunks.sise is not a setting")
    assert command_line[1].startswith("--config: chunks.size: 0 is less than the minimum of 1")
    assert problems[2].startswith(f"{path}: line 4: wells.min_bead_count: -3 is less than")


@pytest.mark.parametrize(
    ("text", "read"),
    [("4", 4), ("four", "four"), ("4.5", "4.5"), ("[4]", "[4]"), ("", "")],
)
def test_a_nested_command_line_value_is_read_as_the_schema_asks(text: str, read: object) -> None:
    config: dict[str, object] = {"chunks": {"size": text}, "title": "5"}
    overrides = {"chunks": {"size": text}, "title": "5"}
    read_command_line_values(config, overrides, _schema("config.schema.yaml"))
    assert config == {"chunks": {"size": read}, "title": "5"}


def test_a_text_in_config_yaml_is_not_read_as_a_number(tmp_path: Path) -> None:
    config = {"chunks": {"size": "4"}}
    read_command_line_values(config, {"wells": {"read": "x"}}, _schema("config.schema.yaml"))
    assert config == {"chunks": {"size": "4"}}


def test_a_nested_config_override_runs_and_a_bad_one_names_the_command_line(
    tmp_path: Path,
) -> None:
    study = _broken_copy(tmp_path, "config/config.yaml", "append", "", "")
    good = subprocess.run(
        [*workflow_command(study, cores=1), "-n", "--config", "chunks={size: 2}"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr[-2000:]
    assert "process_chunk" in good.stdout + good.stderr
    bad = subprocess.run(
        [*workflow_command(study, cores=1), "-n", "--config", "chunks={size: 0}"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert bad.returncode != 0
    lines = [line for line in bad.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and lines[0].startswith(
        "error: --config: chunks.size: 0 is less than the minimum of 1"
    ), bad.stderr[-2000:]


def test_the_removed_bead_count_fail_is_one_line_naming_its_replacement(tmp_path: Path) -> None:
    text = "qc:\n  overrides:\n    - analyte: CCL2\n      bead_count_fail: 20\n"
    config, path = _config(tmp_path, text)
    problems = config_problems(config, _schema("config.schema.yaml"), path)
    assert problems == [
        f"{path}: line 4: qc.overrides.0.bead_count_fail was removed: wells.min_bead_count "
        "now sets the bead count below which a well is left out and a plate x analyte fails "
        "QC; remove it and set wells.min_bead_count (config/README.md)"
    ]


def test_an_empty_sheet_path_names_the_config_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    text = (REPO / "config/config.yaml").read_text(encoding="utf-8")
    config, path = _config(tmp_path, text.replace("samples: config/samples.tsv", 'samples: ""'))
    assert study_problems(config, path, SCHEMAS) == [
        f"{path}: line 5: samples is empty; give the path of the sheet, e.g. config/samples.tsv"
    ]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda path: None, "the sheet does not exist; create it or correct"),
        (lambda path: path.mkdir(), "this is a folder, not a sheet file; correct"),
        (os.mkfifo, "this is a named pipe or a device, not a sheet file; correct"),
    ],
    ids=["missing", "folder", "named pipe"],
)
def test_a_sheet_path_that_is_not_a_file_says_what_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[Path], None], problem: str
) -> None:
    monkeypatch.chdir(REPO)
    sheet = tmp_path / "samples.tsv"
    make(sheet)  # a named pipe is never opened: the check would wait for a writer
    text = (REPO / "config/config.yaml").read_text(encoding="utf-8")
    config, path = _config(tmp_path, text.replace("config/samples.tsv", str(sheet)))
    assert study_problems(config, path, SCHEMAS) == [f"{sheet}: {problem} samples in the config"]


def test_a_wrong_manual_exclusion_is_a_problem_before_any_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    sheet = tmp_path / "exclusions.tsv"
    header = (REPO / "config/exclusions.tsv").read_text(encoding="utf-8").splitlines()[0]
    sheet.write_text(f"{header}\nplate\tP1\t\t\tbubbles\tlab\t20 June\n", encoding="utf-8")
    text = (REPO / "config/config.yaml").read_text(encoding="utf-8")
    config, path = _config(tmp_path, text.replace("config/exclusions.tsv", str(sheet)))
    assert study_problems(config, path, SCHEMAS) == [
        f"{sheet}: line 2: when must be a date YYYY-MM-DD, found '20 June'"
    ]
    # Without the key, the default file is checked (the demo's, which is right).
    del config["qc"]["exclusions"]
    assert study_problems(config, path, SCHEMAS) == []


def test_what_no_single_cell_shows_is_a_problem_before_any_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A subject with a month twice was found only by the classification job, after
    # every chunk had run; each cell of the row is right on its own.
    monkeypatch.chdir(REPO)
    outcomes = (REPO / "config/outcomes.tsv").read_text(encoding="utf-8").splitlines()
    sheet = tmp_path / "outcomes.tsv"
    sheet.write_text("\n".join([*outcomes, outcomes[1]]) + "\n")
    text = (REPO / "config/config.yaml").read_text(encoding="utf-8")
    config, path = _config(tmp_path, text.replace("config/outcomes.tsv", str(sheet)))
    twice = len(outcomes) + 1
    first = outcomes[1].split("\t")
    assert study_problems(config, path, SCHEMAS) == [
        f"{sheet}: line {twice}: subject {first[0]} has month {first[1]} twice; "
        "one row per subject and month"
    ]
    sheet.write_text("\n".join([*outcomes, "P01\t1300\t5\t"]) + "\n")
    assert study_problems(config, path, SCHEMAS) == [
        f"{sheet}: line {twice}: month '1300' is beyond 1200; expected the months from baseline"
    ]
    # A cell the schema refuses is named by the schema's checks, every one of them,
    # before the job's reading is tried.
    sheet.write_text("\n".join([*outcomes, outcomes[1], "P01\tsix\t5\t"]) + "\n")
    [problem] = study_problems(config, path, SCHEMAS)
    assert problem.startswith(f"{sheet}: line {twice + 1}: column month: 'six' is not valid")
    subjects = (REPO / "config/subjects.tsv").read_text(encoding="utf-8")
    sheet.write_text(subjects)
    config, path = _config(tmp_path, text.replace("config/subjects.tsv", str(sheet)))
    assert study_problems(config, path, SCHEMAS) == []


def test_a_wrong_kit_file_is_a_problem_before_any_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every chunk job stopped on the same sentence, after the run had started.
    monkeypatch.chdir(REPO)
    kits = tmp_path / "kits"
    shutil.copytree(REPO / "config/kits", kits)
    text = (REPO / "config/config.yaml").read_text(encoding="utf-8")
    config, path = _config(tmp_path, text.replace("config/kits", str(kits)))
    assert study_problems(config, path, SCHEMAS) == []
    first = sorted(kits.glob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("lot:", "lot: [1, 2]\nold_lot:"))
    (kits / "z.yml").write_text("kit: K\nlot: L\nunit: pg/mL\nplates: []\nstandards: {A: [1]}\n")
    assert study_problems(config, path, SCHEMAS) == [
        f"{first}: expected keys kit, lot, unit, plates, controls, standards, conversions, "
        "spots; unknown old_lot",
        f"{kits / 'z.yml'}: plates must be a list of plate_id patterns, e.g. [P1, 'lum_*']; "
        "found []",
    ]


def test_an_enum_names_its_choices(tmp_path: Path) -> None:
    config, path = _config(tmp_path, "curves:\n  selection: bic\n")
    [problem] = config_problems(config, _schema("config.schema.yaml"), path)
    assert problem.startswith(f"{path}: line 2: curves.selection: 'bic' is not one of aic, ")


def test_sheet_problems_name_the_line_and_column(tmp_path: Path) -> None:
    sheet = tmp_path / "subjects.tsv"
    sheet.write_text("subject_id\tsex\tage\nP1\tF\t30\nP2\tX\t4o\n", encoding="utf-8")
    problems = sheet_problems(sheet, _schema("subjects.schema.yaml"))
    assert [p.split(": column ")[0] for p in problems] == [f"{sheet}: line 3"] * 2
    assert {p.split(": column ")[1].split(":")[0] for p in problems} == {"sex", "age"}


def test_a_sheet_with_many_bad_rows_is_cut_short(tmp_path: Path) -> None:
    sheet = tmp_path / "subjects.tsv"
    rows = "".join(f"P{i}\tRRMS\tX\t30\t2\ttrue\n" for i in range(30))
    header = "subject_id\tcourse\tsex\tage\tdisease_duration\tambulatory\n"
    sheet.write_text(header + rows, encoding="utf-8")
    config = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    for key in ("samples", "outcomes", "analytes"):
        config[key] = str(REPO / config[key])
    config["subjects"] = str(sheet)
    problems = study_problems(config, REPO / "config/config.yaml", SCHEMAS)
    assert len(problems) == MOST_PER_FILE + 1
    assert problems[-1] == f"{sheet}: ... and 20 more problems like these"


# --- the workflow itself, on a copy of the demo study ------------------------------------


def _broken_copy(tmp_path: Path, file: str, edit: str, old: str, new: str) -> Path:
    study = tmp_path / "study"
    shutil.copytree(REPO / "config", study / "config")
    shutil.copytree(REPO / "resources", study / "resources")
    path = study / file
    text = path.read_text(encoding="utf-8")
    if edit == "replace":
        assert old in text
        text = text.replace(old, new, 1)
    else:
        text += new
    path.write_text(text, encoding="utf-8")
    return study


def _line_of(text: str) -> int:
    lines = (REPO / "config/config.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


@pytest.mark.parametrize(
    ("file", "edit", "old", "new", "expected"),
    [
        (
            "config/config.yaml",
            "replace",
            "min_bead_count: 35",
            "min_bead_count: -5",
            f"config/config.yaml: line {_line_of('min_bead_count:')}: wells.min_bead_count: -5 "
            "is less than the minimum of 0",
        ),
        (
            "config/config.yaml",
            "append",
            "",
            "plates_subfolder: read\n",
            "plates_subfolder is not a setting; correct its spelling or remove it",
        ),
        (
            "config/config.yaml",
            "replace",
            "size: 250",
            "size: [250]",
            "chunks.size: [250] is not of type 'integer'",
        ),
        (
            "config/samples.tsv",
            "replace",
            "sample_id\t",
            "sample\t",
            "config/samples.tsv: line 1: missing column(s) sample_id",
        ),
        (
            "config/samples.tsv",
            "append",
            "",
            "P01-BL\tP01\tbaseline\tCSF\n",
            "sample_id 'P01-BL' appears twice; each must be unique",
        ),
        (
            # The study job found this after every chunk had run.
            "config/exclusions.tsv",
            "append",
            "",
            "wel\tluminex_4plex_P1\tH12\t\trepeat\tlab\t2025-06-20\n",
            "config/exclusions.tsv: line 3: level must be one of well, plate, analyte, found 'wel'",
        ),
    ],
    ids=["bad-value", "unknown-key", "wrong-type", "missing-column", "duplicate-id", "exclusion"],
)
def test_the_workflow_stops_before_any_job_with_one_line(
    tmp_path: Path, file: str, edit: str, old: str, new: str, expected: str
) -> None:
    study = _broken_copy(tmp_path, file, edit, old, new)
    result = subprocess.run(
        workflow_command(study, cores=1), capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr[-2000:]
    assert expected in lines[0]
    assert lines[0].startswith(f"error: {file}: ")
    assert not (study / "results").exists()


def test_a_sample_id_with_a_control_character_is_named_at_each_row(tmp_path: Path) -> None:
    from assaypipe.sheets import read_samples

    sheet = tmp_path / "samples.tsv"
    rows = ["S1\tP1\tbaseline\tCSF", "S\x072\tP1\tpost\tCSF", "S3\tP2\t\tCSF"]
    sheet.write_text("sample_id\tsubject_id\tvisit\tmatrix\n" + "\n".join(rows) + "\n")
    problems = sheet_problems(sheet, _schema("samples.schema.yaml"), read_samples)
    assert [p.split(": column ")[0] for p in problems] == [f"{sheet}: line 3", f"{sheet}: line 4"]
    assert "column sample_id: 'S\\x072' is not valid; expected the sample name" in problems[0]
    assert "column visit: '' is not valid" in problems[1]
