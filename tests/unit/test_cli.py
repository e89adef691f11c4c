import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from assaypipe.cli import main
from tests.conftest import REPO

ASSAYPIPE = Path(sys.executable).with_name("assaypipe")


def test_read_writes_tidy_wells(tmp_path, capsys):
    out = tmp_path / "wells.parquet"
    status = main(["read", str(REPO / "resources/plates/luminex_4plex_P1.csv"), "-o", str(out)])
    assert status == 0
    wells = pd.read_parquet(out)
    assert wells["well"].nunique() == 96
    assert len(wells) == 96 * 4
    assert "96 wells" in capsys.readouterr().out


def test_read_with_plate_map(tmp_path):
    out = tmp_path / "nfl.parquet"
    status = main(
        [
            "read",
            str(REPO / "resources/plates/elisa_nfl_P1.txt"),
            "--plate-map",
            str(REPO / "resources/layouts/elisa_nfl_P1.csv"),
            "-o",
            str(out),
        ]
    )
    assert status == 0
    wells = pd.read_parquet(out)
    assert len(wells) == 96
    assert set(wells["role"]) == {"standard", "blank", "control", "sample"}
    assert (wells.loc[wells["role"] == "sample", "dilution"] == 2).all()


def test_bad_file_prints_one_line_and_exits_2(tmp_path):
    bad = tmp_path / "plate9.csv"
    bad.write_text("hello,world\n1,2\n", encoding="utf-8")
    result = subprocess.run(
        [str(ASSAYPIPE), "read", str(bad), "-o", str(tmp_path / "x.parquet")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {bad}: ")
    assert not (tmp_path / "x.parquet").exists()


def test_plate_reader_export_without_map_is_read_with_a_warning(capsys, tmp_path):
    status = main(
        ["read", str(REPO / "resources/plates/elisa_nfl_P1.txt"), "-o", str(tmp_path / "x.parquet")]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "96 wells, 96 rows, 1 warnings" in out
    assert "  warning: the export names no well roles and there is no plate map" in out


def test_formats_lists_every_registered_format(capsys):
    from assaypipe.readers.registry import FORMATS

    assert main(["formats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [entry.name for entry in FORMATS]


def test_simulate_command_writes_a_study(tmp_path):
    assert main(["simulate", "--seed", "3", "--out", str(tmp_path)]) == 0
    assert len(list((tmp_path / "resources" / "plates").iterdir())) == 3
    assert (tmp_path / "truth" / "truth_samples.tsv").is_file()


def test_demo_study_is_the_simulator_output_at_the_fixed_seed(tmp_path):
    main(
        [
            "simulate",
            "--seed",
            "20261121",
            "--plates",
            "36",
            "--guide-plates",
            "8",
            "--reporter-loss",
            "0.2",
            "--out",
            str(tmp_path),
            "--truth",
            str(tmp_path / "truth"),
        ]
    )
    for rel in [
        "resources/plates/luminex_4plex_P1.csv",
        "resources/plates/luminex_tgfb2_P1.csv",
        "resources/plates/elisa_nfl_P1.txt",
        "resources/layouts/elisa_nfl_P1.csv",
        "config/samples.tsv",
        "config/subjects.tsv",
        "config/outcomes.tsv",
        "config/config.yaml",
    ]:
        assert (tmp_path / rel).read_bytes() == (REPO / rel).read_bytes(), rel
    # The Makefile's `make demo` line is the command above.
    makefile = (REPO / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    command = (
        "assaypipe simulate --seed 20261121 --plates 36 --guide-plates 8 --reporter-loss 0.2 "
        "--out . --truth tests/data/demo_truth"
    )
    assert command in " ".join(makefile.split())
    written = sorted(p.name for p in (tmp_path / "resources" / "plates").iterdir())
    assert written == sorted(p.name for p in (REPO / "resources" / "plates").iterdir())
    assert len(written) == 36
    for name in ["truth_samples.tsv", "truth_wells.tsv", "truth_curves.tsv", "truth_files.tsv"]:
        assert (tmp_path / "truth" / name).read_bytes() == (
            REPO / "tests/data/demo_truth" / name
        ).read_bytes()


def test_read_with_a_kit_file_applies_its_standards(tmp_path, capsys):
    # The demo export with MCP-1's Standard5 written 390625 for 39.0625.
    export = tmp_path / "luminex_4plex_P1.csv"
    text = (REPO / "resources/plates/luminex_4plex_P1.csv").read_text(encoding="utf-8")
    export.write_text(text.replace("Standard5,39.0625,", "Standard5,390625,"), encoding="utf-8")
    kit = tmp_path / "kit.yaml"
    kit.write_text(
        'kit: K\nlot: "1"\nunit: pg/mL\nplates: ["luminex_*"]\n'
        "standards:\n  CCL2: {top: 10000, dilution: 4}\n",
        encoding="utf-8",
    )
    out = tmp_path / "wells.parquet"
    command = ["read", str(export), "--kit", str(kit), "-o", str(out)]
    assert main([*command, "--analytes", str(REPO / "config/analytes.tsv")]) == 0
    printed = capsys.readouterr().out
    assert "replaces the export's expected concentrations at level 5 (390625 -> 39.0625)" in printed
    wells = pd.read_parquet(out)
    standard5 = wells[(wells["analyte"] == "MCP-1") & (wells["level"] == 5)]
    assert set(standard5["expected_conc"]) == {39.0625}
    # Without the alias table the kit's CCL2 does not name the export's MCP-1.
    assert main(command) == 0
    assert "replaces" not in capsys.readouterr().out


def _read_to(out: Path) -> subprocess.CompletedProcess[str]:
    export = REPO / "resources/plates/elisa_nfl_P1.txt"
    command = [str(ASSAYPIPE), "read", str(export), "-o", str(out)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_an_output_in_a_missing_folder_is_one_line_naming_it(tmp_path):
    out = tmp_path / "no" / "such" / "x.parquet"
    result = _read_to(out)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {out}: the folder {out.parent} does not exist; create it or give another "
        "output path"
    ]
    assert not out.parent.exists()


def test_an_output_that_is_a_folder_is_one_line_naming_it(tmp_path):
    result = _read_to(tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path}: is a folder; give a file name for the output, e.g. wells.parquet"
    ]


def test_an_output_in_a_read_only_folder_is_one_line_naming_it(tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes to read-only folders; the check cannot fail here")
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    result = _read_to(folder / "x.parquet")
    assert result.returncode == 2
    assert "is not writable; give another output path" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_control_character_in_a_file_name_is_shown_escaped(tmp_path):
    bad = tmp_path / "ctrl\x1b[31mname.csv"
    bad.write_text("who,what\nanna,wash\n", encoding="utf-8")
    command = [str(ASSAYPIPE), "read", str(bad), "-o", str(tmp_path / "x.parquet")]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "\x1b" not in result.stderr
    assert result.stderr.startswith(f"error: {tmp_path}/ctrl\\x1b[31mname.csv: ")
