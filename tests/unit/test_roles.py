"""The sample-name rule of docs/formats.md, and overriding it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assaypipe.readers import read_export
from assaypipe.roles import RoleRule, classify_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Background0", ("blank", None)),
        ("Background", ("blank", None)),
        ("BLANK", ("blank", None)),
        ("Blank12", ("blank", None)),
        ("Standard1", ("standard", 1)),
        ("standard16", ("standard", 16)),
        ("Std3", ("standard", 3)),
        ("S7", ("standard", 7)),
        ("s07", ("standard", 7)),
        ("Control1", ("control", 1)),
        ("C2", ("control", 2)),
        ("qc3", ("control", 3)),
        (" Standard2 ", ("standard", 2)),
        ("BLK", ("blank", None)),
        ("STD12", ("standard", 12)),
        ("Ctrl2", ("control", 2)),
        ("CTL1", ("control", 1)),
    ],
)
def test_reserved_names(name: str, expected: tuple[str, int | None]) -> None:
    assert classify_name(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Unknown1",
        "B_sid_13_CSP",
        "S01-BL",
        "Standard",  # no level: not a standard
        "Standard 3",  # the rule has no space between word and number
        "StandardA",
        "Std1x",
        "Controls1",
        "BlankA",
        "Background0_rep",
        "QC",
        "",
        "SPL1",
        "X1",
        "BLKA",
    ],
)
def test_everything_else_is_a_sample(name: str) -> None:
    assert classify_name(name) == ("sample", None)


def test_a_rule_for_one_plate() -> None:
    rule = RoleRule(standard=r"cal(\d+)", control=r"(?:ref|qc)-(\d+)", blank=r"zero")
    assert rule.classify("Cal3") == ("standard", 3)
    assert rule.classify("REF-2") == ("control", 2)
    assert rule.classify("Zero") == ("blank", None)
    # With this rule S3 and Blank are ordinary sample names.
    assert rule.classify("S3") == ("sample", None)
    assert classify_name("Blank", rule) == ("sample", None)


def test_a_rule_needs_the_level_group() -> None:
    with pytest.raises(ValueError, match="the standard pattern needs a group"):
        RoleRule(standard=r"cal\d+")


def test_the_rule_applies_to_an_export() -> None:
    path = (
        Path(__file__).resolve().parents[1]
        / "data"
        / "exports"
        / "xponent/xponent31_2plex_resaved.csv"
    )
    rule = RoleRule(control=r"(?:control|s0)(\d+)-BL")
    wells = read_export(path, role_rule=rule, settle_seconds=0).wells.set_index(["well", "analyte"])
    assert wells.loc[("A2", "CCL2"), "role"] == "control"  # S01-BL
    assert wells.loc[("B2", "CCL2"), "role"] == "sample"  # S01-M3


def test_a_rule_remembers_names_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names are classified once and then looked up; past the bound they are classified
    each time, with the same answers, and the rules still compare by their patterns."""
    import assaypipe.roles as roles

    monkeypatch.setattr(roles, "_KNOWN_NAMES", 3)
    rule = RoleRule(standard=r"cal(\d+)")
    names = ["Cal2", "Blank", "S2", "Cal2", "qc1", "x", "Cal10", "Blank"]
    expected = [RoleRule(standard=r"cal(\d+)")._classify(name) for name in names]
    assert [rule.classify(name) for name in names] == expected
    assert [rule.classify(name) for name in names] == expected
    assert list(rule._known) == ["Cal2", "Blank", "S2"]
    assert rule == RoleRule(standard=r"cal(\d+)")
    assert rule != RoleRule()
