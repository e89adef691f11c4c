import pytest

from assaypipe.errors import InputError
from assaypipe.study import discover_plates, plate_id_for, plate_map_path


def test_discover_skips_hidden_and_readme(tmp_path):
    for name in ["b.csv", "a.txt", ".hidden.csv", "README.md", "~$lock.xlsx"]:
        (tmp_path / name).write_text("x")
    assert list(discover_plates(tmp_path)) == ["a", "b"]


def test_plate_id_clash_names_both_files(tmp_path):
    (tmp_path / "p1.csv").write_text("x")
    (tmp_path / "p1.txt").write_text("x")
    with pytest.raises(InputError, match=r"p1.txt: gives plate_id 'p1', which p1.csv already has"):
        discover_plates(tmp_path)


def test_plate_id_is_path_safe():
    assert plate_id_for("../../etc/passwd") == "passwd"
    assert plate_id_for("Plate 1 (MCP-1).csv") == "Plate_1_MCP-1"
    assert plate_id_for("...csv") == "plate"


def test_plate_map_lookup(tmp_path):
    (tmp_path / "p1.csv").write_text("well,role\n")
    assert plate_map_path(tmp_path, "p1") == tmp_path / "p1.csv"
    assert plate_map_path(tmp_path, "p2") is None


def test_missing_plates_folder(tmp_path):
    with pytest.raises(InputError, match="plates folder does not exist"):
        discover_plates(tmp_path / "nope")
