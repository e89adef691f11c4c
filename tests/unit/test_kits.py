"""Kit files: the standards a kit lot gives per analyte, and files that must fail cleanly
(a typo, a huge file, YAML aliases that expand without bound)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe.errors import InputError
from assaypipe.kits import (
    MAX_KIT_BYTES,
    StandardSeries,
    plate_spots,
    plate_standards,
    read_kit,
    read_kits,
)

HEAD = 'kit: Test kit\nlot: "L1"\nunit: pg/mL\nplates: ["P*"]\n'


def aliases() -> pd.DataFrame:
    return pd.DataFrame({"alias": ["MCP-1"], "analyte": ["CCL2"], "display": ["CCL2"]})


def write(tmp_path: Path, body: str, name: str = "kit.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def kit_file(tmp_path: Path, kit: str = "K", lot: str = "L", plates: str = "[P1]") -> Path:
    """A kit file with one standard series, its head keys written as given."""
    path = tmp_path / "kit.yaml"
    path.write_text(
        f"kit: {kit}\nlot: {lot}\nunit: pg/mL\nplates: {plates}\nstandards: {{FGF: [1, 2]}}\n"
    )
    return path


def test_standards_by_top_and_dilution_or_by_level(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "standards:\n  MCP-1: {top: 10000, dilution: 4}\n  HGF: [20000, 5000, 1250, 312.5, 0]\n",
    )
    kit = read_kit(path, aliases())
    assert kit.ranges == {}  # a kit file may give standards only
    assert set(kit.standards) == {"CCL2", "HGF"}  # MCP-1 is CCL2 through the alias table
    # Level n = top / dilution^(n-1); by hand: 10000, 2500, 625, 156.25, 39.0625.
    np.testing.assert_allclose(
        kit.standards["CCL2"].at(np.array([1, 2, 3, 4, 5])), [10000, 2500, 625, 156.25, 39.0625]
    )
    hgf = kit.standards["HGF"].at(np.array([1, 4, 5, 6, np.nan, 0]))
    np.testing.assert_array_equal(hgf[:3], [20000, 312.5, 0])
    assert np.isnan(hgf[3:]).all()  # beyond the list, no level number, level 0


def test_a_kit_file_needs_controls_standards_or_conversions(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"kit\.yaml: gives no controls, standards, conversions or spots"
    ):
        read_kit(write(tmp_path, ""))


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ("standards: [1, 2]\n", "standards", "standards must map each analyte"),
        ("standards:\n  FGF: {top: 3450}\n", "standards, analyte FGF", "expected {top:"),
        (
            "standards:\n  FGF: {top: 3450, dilution: 2, levels: 8}\n",
            "standards, analyte FGF",
            "expected {top:",
        ),
        (
            "standards:\n  FGF: {top: 3450, dilution: 1}\n",
            "standards, analyte FGF",
            "dilution must be the factor between levels, above 1",
        ),
        (
            "standards:\n  FGF: {top: -5, dilution: 2}\n",
            "standards, analyte FGF",
            "top must be a concentration above 0, found -5",
        ),
        (
            "standards:\n  FGF: {top: '3450', dilution: 2}\n",
            "standards, analyte FGF",
            "top must be a concentration above 0, found '3450'",
        ),
        (
            "standards:\n  FGF: {top: .inf, dilution: 2}\n",
            "standards, analyte FGF",
            "top must be a concentration above 0",
        ),
        (
            "standards:\n  FGF: [3450, 1725, '862.5']\n",
            "standards, analyte FGF",
            "level 3: expected a concentration of 0 or more, found '862.5'",
        ),
        (
            "standards:\n  FGF: [3450, -1725]\n",
            "standards, analyte FGF",
            "level 2: expected a concentration of 0 or more",
        ),
        ("standards:\n  FGF: [true, 2]\n", "standards, analyte FGF", "level 1"),
        ("standards:\n  FGF: 3450\n", "standards, analyte FGF", "found 3450"),
        (
            "standards:\n  CCL2: [1, 2]\n  MCP-1: [1, 2]\n",
            "standards, analyte MCP-1",
            "gives the standards of CCL2 twice (CCL2 and MCP-1)",
        ),
    ],
)
def test_a_bad_standards_entry_is_one_sentence_naming_the_file_and_the_key(
    tmp_path: Path, body: str, where: str, message: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(InputError) as raised:
        read_kit(path, aliases())
    error = raised.value
    assert error.file == str(path)
    assert error.where == where
    assert message in error.message
    text = str(error)
    assert text.startswith(f"{path}: {where}: ") and "\n" not in text


def test_the_unit_must_be_text(tmp_path: Path) -> None:
    path = tmp_path / "kit.yaml"
    path.write_text('kit: K\nlot: "1"\nunit: 5\nplates: [P1]\nstandards: {FGF: [1, 2]}\n')
    with pytest.raises(InputError, match="unit must be a unit such as pg/mL, found 5"):
        read_kit(path)


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        # YAML itself reads these as the numbers 5349 (octal), 1000, 90 and 1.1.
        ("0012345", "0012345"),
        ("1_000", "1_000"),
        ("1:30", "1:30"),
        ("1.10", "1.10"),
        ("8073024", "8073024"),
        ('"2025A"', "2025A"),
        ("  L 7  ", "L 7"),
    ],
)
def test_the_kit_and_lot_are_kept_as_written(tmp_path: Path, written: str, kept: str) -> None:
    kit = read_kit(kit_file(tmp_path, kit=written, lot=written))
    assert (kit.kit, kit.lot) == (kept, kept)


@pytest.mark.parametrize(
    ("key", "written", "said"),
    [
        (key, written, f"{message}; found {found}")
        for key, message in [
            ("lot", "must be one word or line, e.g. lot: '0012345'"),
            ("plates", "plates must be a list of plate_id patterns, e.g. [P1, 'lum_*']"),
        ]
        for written, found in [("", "nothing"), ("null", "nothing"), ("{a: 1}", "{'a': 1}")]
    ]
    + [
        ("lot", "[1, 2]", "must be one word or line, e.g. lot: '0012345'; found [1, 2]"),
        (
            "plates",
            "[]",
            "plates must be a list of plate_id patterns, e.g. [P1, 'lum_*']; found []",
        ),
        (
            "plates",
            "[P1, ~]",
            "plates must be a list of plate_id patterns, e.g. [P1, 'lum_*']; found ['P1', None]",
        ),
    ],
)
def test_a_lot_or_plates_not_of_their_form_are_refused_saying_what_was_found(
    tmp_path: Path, key: str, written: str, said: str
) -> None:
    with pytest.raises(InputError) as raised:
        read_kit(kit_file(tmp_path, **{key: written}))
    assert raised.value.message == said
    if key == "lot":
        assert raised.value.where == "lot"


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("[2024001]", ("2024001",)),
        ("[0012, 1_000]", ("0012", "1_000")),
        ("[P1, 'lum_*']", ("P1", "lum_*")),
        ("lum_*", ("lum_*",)),
        ("2024001", ("2024001",)),
    ],
)
def test_plate_patterns_are_kept_as_written(
    tmp_path: Path, written: str, kept: tuple[str, ...]
) -> None:
    # A bare number was refused ("plates must be a list of plate_id patterns"), and
    # kept as its number it would have missed 0012 (octal 10) for good.
    kit = read_kit(kit_file(tmp_path, plates=written))
    assert kit.plates == kept
    assert kit.used_on(kept[0].replace("*", "x"))


def test_a_control_range_bound_of_true_is_refused_not_read_as_1(tmp_path: Path) -> None:
    path = write(tmp_path, "controls:\n  C1:\n    IL6: [true, 2000]\n")
    with pytest.raises(InputError, match=r"expected two numbers, found \[True, 2000\]"):
        read_kit(path)


def test_aliases_that_would_expand_a_billion_fold_are_refused(tmp_path: Path) -> None:
    # The "billion laughs": nine levels of ten aliases each stand for 10^9 strings.
    lines = ['a0: &a0 "lol"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = tmp_path / "laughs.yaml"
    path.write_text(HEAD + "\n".join(lines) + "\nstandards: {FGF: *a9}\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_kit(path)
    assert raised.value.where == "line 6"  # the first alias, in a1 (after 4 lines of HEAD)
    assert "may not use anchors and aliases" in raised.value.message


def test_a_merge_key_is_an_alias_too(tmp_path: Path) -> None:
    path = write(tmp_path, "base: &base {top: 10, dilution: 2}\nstandards:\n  FGF: {<<: *base}\n")
    with pytest.raises(InputError, match="line 7: uses a YAML alias"):
        read_kit(path)


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = write(tmp_path, "standards:\n  FGF: [" + "1, " * MAX_KIT_BYTES + "1]\n")
    with pytest.raises(InputError, match="larger than 256 KB; a kit file is a few lines"):
        read_kit(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"standards: " + b"[" * 100_000 + b"]" * 100_000, "is not readable YAML"),
        (HEAD.encode() + b"standards: !!python/object/apply:os.system [ls]\n", "not readable YAML"),
        (HEAD.encode() + b"standards:\n  FGF: [1, 2]\n  caf\xe9: [1]\n", "is not UTF-8 text"),
        (HEAD.encode() + b"standards: {FGF: [1, 2}\n", "is not readable YAML"),
        (b"- just\n- a list\n", "expected a mapping with keys kit, lot, unit, plates"),
    ],
)
def test_malformed_files_fail_with_one_sentence(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "kit.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as raised:
        read_kit(path)
    assert str(raised.value).startswith(str(path))


def test_a_folder_or_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the kit file does not exist"):
        read_kit(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="the kit file cannot be read"):
        read_kit(tmp_path)


def test_two_lots_giving_one_analytes_standards_on_a_plate_is_an_error(tmp_path: Path) -> None:
    first = write(tmp_path, "standards: {MCP-1: [100, 50, 25]}\n", "a.yaml")
    second = write(tmp_path, "standards: {CCL2: [100, 50, 25]}\n", "b.yaml")
    kits = read_kits([second, first], aliases())
    with pytest.raises(InputError, match="both give the standards of CCL2 on plate P1"):
        plate_standards(kits, "P1")
    assert plate_standards(kits, "Q1") == {}  # the plates patterns say which plates
    one = plate_standards(kits[:1], "P1")
    assert one["CCL2"][0] == StandardSeries(values=(100.0, 50.0, 25.0))


def test_the_demo_kit_files_still_read() -> None:
    from tests.conftest import REPO

    kits = read_kits(sorted((REPO / "config" / "kits").glob("*.yaml")))
    assert len(kits) == 3
    assert all(kit.ranges for kit in kits)


def test_spots_name_the_analytes_of_a_multi_spot_plate(tmp_path: Path) -> None:
    kit = read_kit(write(tmp_path, "spots:\n  1: IL-6\n  '2': TNF-alpha\n  10: MCP-1\n"))
    # Names as written: the alias table maps them when the wells are annotated.
    assert kit.spots == {1: "IL-6", 2: "TNF-alpha", 10: "MCP-1"}
    assert plate_spots([kit], "P7") == ({1: "IL-6", 2: "TNF-alpha", 10: "MCP-1"}, kit)
    assert plate_spots([kit], "Q7") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "spots: [IL-6]\n",
            "spots: spots must map each spot number to its analyte, e.g. {1: IL-6}",
        ),
        ("spots:\n  0: IL-6\n", "spots: expected a spot number 1 to 100, found 0"),
        ("spots:\n  one: IL-6\n", "spots: expected a spot number 1 to 100, found 'one'"),
        ("spots:\n  3: ''\n", "spots, spot 3: the analyte name is empty"),
        ("spots:\n  3: [a]\n", "spots, spot 3: expected an analyte name, found ['a']"),
        ("spots:\n  3: IL-6\n  '3': IL-8\n", "spots: names spot 3 twice"),
    ],
)
def test_malformed_spots_fail_with_one_sentence(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read_kit(write(tmp_path, body))
    assert str(caught.value).endswith(message)


def test_two_lots_naming_one_plate_s_spots_is_an_error(tmp_path: Path) -> None:
    kits = read_kits(
        [
            write(tmp_path, "spots: {1: IL-6}\n", "a.yaml"),
            write(tmp_path, "spots: {1: X}\n", "b.yaml"),
        ]
    )
    with pytest.raises(InputError, match="both name the spots of plate P1"):
        plate_spots(kits, "P1")
