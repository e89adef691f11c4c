import pytest

from assaypipe.errors import InputError
from assaypipe.study import (
    assign_chunks,
    chunk_count,
    chunk_of,
    discover_plates,
    plate_id_for,
    plate_map_path,
)


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
