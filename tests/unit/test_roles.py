"""The sample-name rule of docs/formats.md."""

from __future__ import annotations

import pytest

from assaypipe.roles import classify_name


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
    ],
)
def test_everything_else_is_a_sample(name: str) -> None:
    assert classify_name(name) == ("sample", None)
