from pathlib import Path

import pytest

from assaypipe.errors import InputError
from assaypipe.pipeline import read_plate
from assaypipe.study import (
    assign_chunks,
    chunk_count,
    chunk_of,
    discover_plates,
    plate_id_for,
    plate_map_path,
)
from tests.conftest import REPO


def test_discover_skips_hidden_and_readme(tmp_path):
    for name in ["b.csv", "a.txt", ".hidden.csv", "README.md", "~$lock.xlsx"]:
        (tmp_path / name).write_text("x")
    index = discover_plates(tmp_path)
    assert list(index.plates) == ["a", "b"]
    assert index.rejected == []


def test_plate_id_clash_rejects_both_files_naming_the_other(tmp_path):
    for name in ["p1.csv", "p1.txt", "p2.csv"]:
        (tmp_path / name).write_text("x")
    index = discover_plates(tmp_path)
    assert list(index.plates) == ["p2"]
    reasons = {row["source_file"]: row["reason"] for row in index.rejected}
    assert set(reasons) == {str(tmp_path / "p1.csv"), str(tmp_path / "p1.txt")}
    assert "gives plate_id 'p1', as p1.txt does" in reasons[str(tmp_path / "p1.csv")]


def test_plate_id_is_path_safe():
    assert plate_id_for("../../etc/passwd") == "passwd"
    assert plate_id_for("Plate 1 (MCP-1).csv") == "Plate_1_MCP-1"
    assert plate_id_for("...csv") == "plate"


def test_plate_id_keeps_the_letters_of_any_script() -> None:
    # Letters outside ASCII became "_" ("Müller P1" gave M_ller_P1), though the config
    # says letters are kept: a kit file's plates: ["Müller_*"] matched nothing.
    assert plate_id_for("Müller P1.csv") == "Müller_P1"
    # as a Mac writes it, the accent apart from its letter: the same id
    assert plate_id_for("Mu\u0308ller P1.csv") == "Müller_P1"
    assert plate_id_for("日本 プレート1.csv") == "日本_プレート1"
    # a direction mark, a zero-width joiner and a control character are not letters
    assert plate_id_for("P\u202e1\u200d2\x07.csv") == "P_1_2"
    assert plate_id_for("../../über/passwd") == "passwd"


def test_plate_map_lookup(tmp_path):
    (tmp_path / "p1.csv").write_text("well,role\n")
    assert plate_map_path(tmp_path, "p1") == tmp_path / "p1.csv"
    assert plate_map_path(tmp_path, "p2") is None
    # Other file types are found too; a CSV comes first when there are several.
    (tmp_path / "p2.xlsx").write_bytes(b"")
    (tmp_path / "p3.tsv").write_text("well\trole\n")
    (tmp_path / "p3.csv").write_text("well,role\n")
    assert plate_map_path(tmp_path, "p2") == tmp_path / "p2.xlsx"
    assert plate_map_path(tmp_path, "p3") == tmp_path / "p3.csv"


def test_a_folder_named_as_a_plate_map_rejects_its_plate_saying_so(tmp_path):
    # It was passed over, and the plate read without its map, without a word.
    export = REPO / "tests" / "data" / "exports" / "xponent" / "xponent31_2plex_european.csv"
    (tmp_path / "p1.csv").mkdir()
    assert plate_map_path(tmp_path, "p1") == tmp_path / "p1.csv"
    plates, rejected = read_plate(export, plate_map_path(tmp_path, "p1"), "p1")
    assert plates == []
    assert rejected is not None
    assert rejected["reason"].tolist() == [
        f"{tmp_path / 'p1.csv'}: this is a folder, not a plate map file"
    ]


def test_missing_plates_folder(tmp_path):
    with pytest.raises(InputError, match="plates folder does not exist"):
        discover_plates(tmp_path / "nope")


def test_chunk_count_is_a_power_of_two_with_size_to_twice_size_plates_a_chunk():
    sizes = (0, 1, 100, 101, 199, 200, 300, 1000, 1001, 5000)
    assert [chunk_count(n, 100) for n in sizes] == [1, 1, 1, 1, 1, 2, 2, 8, 8, 32]
    for n in range(100, 5000, 37):
        assert 100 <= n / chunk_count(n, 100) < 200
    with pytest.raises(ValueError):
        chunk_count(10, 0)


def test_adding_a_plate_changes_only_its_own_chunk():
    plates = [f"plate{i:04d}" for i in range(1000)]
    before = assign_chunks(plates, 100)
    after = assign_chunks([*plates, "plate_new"], 100)
    changed = [c for c in after if after[c] != before.get(c)]
    assert changed == [chunk_of("plate_new", 8)]
    assert sum(map(len, after.values())) == 1001


def test_adding_a_plate_to_1000_at_the_default_size_changes_only_its_own_chunk():
    # 1,000 plates at 250 a chunk is the edge where the count could double: it must not.
    plates = [f"plate{i:04d}" for i in range(1000)]
    before = assign_chunks(plates, 250)
    after = assign_chunks([*plates, "plate_new"], 250)
    assert len(before) == len(after) == 4
    changed = [c for c in after if after[c] != before.get(c)]
    assert changed == [chunk_of("plate_new", 4)]
    # chunks are reasonably even: none more than twice the mean
    assert max(map(len, before.values())) < 2 * 1000 / len(before)


def test_plates_in_subfolders_are_read_with_the_folder_in_their_id(tmp_path):
    for name in ["a.csv", "run 2/a.csv", "run 2/deeper/b.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    index = discover_plates(tmp_path)
    assert index.plates == {
        "a": tmp_path / "a.csv",
        "run_2_a": tmp_path / "run 2/a.csv",
        "run_2_deeper_b": tmp_path / "run 2/deeper/b.txt",
    }
    assert index.rejected == [] and index.skipped == []


def test_a_subfolder_id_that_clashes_with_a_file_rejects_both(tmp_path):
    (tmp_path / "run2").mkdir()
    for name in ["run2/P1.csv", "run2_P1.csv"]:
        (tmp_path / name).write_text("x")
    index = discover_plates(tmp_path)
    assert index.plates == {}
    reasons = {row["source_file"]: row["reason"] for row in index.rejected}
    assert "gives plate_id 'run2_P1', as run2_P1.csv does" in reasons[str(tmp_path / "run2/P1.csv")]
    assert "as run2/P1.csv does" in reasons[str(tmp_path / "run2_P1.csv")]


def test_refused_subfolders_are_one_rejected_row_naming_the_folder(tmp_path):
    (tmp_path / "old" / "older").mkdir(parents=True)
    for name in ["a.csv", "old/b.csv", "old/older/c.csv"]:
        (tmp_path / name).write_text("x")
    index = discover_plates(tmp_path, subfolders="refuse")
    assert list(index.plates) == ["a"]
    [row] = index.rejected
    assert row["source_file"] == str(tmp_path / "old") and row["where"] == "folder"
    assert row["reason"].startswith(f"{tmp_path / 'old'}: is a folder inside the plates folder")
    assert "(2 files in it)" in row["reason"] and "plates_subfolders: read" in row["reason"]


def test_every_file_not_taken_for_a_plate_is_listed_with_the_reason(tmp_path):
    names = [".x", "..csv", "~$lock.xlsx", "README", "readme.txt", "notes.md", "a.bak"]
    for name in ["p.csv", *names, ".git/config"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "fifo").symlink_to(tmp_path / "nowhere")
    index = discover_plates(tmp_path)
    assert list(index.plates) == ["p"]
    skipped = {Path(row["source_file"]).name: row["reason"] for row in index.skipped}
    assert set(skipped) == {*names, ".git", "fifo"}
    assert skipped["~$lock.xlsx"].startswith("an Office lock file")
    assert skipped["..csv"].startswith("a hidden file")
    assert skipped[".git"].startswith("a hidden folder")
    assert skipped["fifo"] == "not a regular file"
    assert skipped["notes.md"] == "a .md file, never a plate export"


def test_control_characters_in_a_name_give_a_safe_plate_id(tmp_path):
    (tmp_path / "bad\x07name\x1b[31m.csv").write_text("x")
    assert list(discover_plates(tmp_path).plates) == ["bad_name_31m"]


def test_a_plate_id_too_long_for_a_file_name_has_no_plate_map(tmp_path):
    # A 251-character export name is a file; <plate_id>.xlsx would be 256 characters.
    (tmp_path / "plates" / ("s" * 200)).mkdir(parents=True)
    export = tmp_path / "plates" / ("s" * 200) / ("p" * 251 + ".csv")
    export.write_text("x")
    [plate_id] = discover_plates(tmp_path / "plates").plates
    assert len(plate_id) == 452
    assert plate_map_path(tmp_path, plate_id) is None
    assert plate_map_path(tmp_path, "p" * 251) is None
