"""readers.registry: which format reads an export, and the message when none does."""

from __future__ import annotations

from pathlib import Path

import pytest

from assaypipe.errors import InputError
from assaypipe.readers.protocol import Source
from assaypipe.readers.registry import FORMATS, format_of, unsupported

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


def test_the_plain_grid_is_asked_last() -> None:
    names = [f.name for f in FORMATS]
    assert len(set(names)) == len(names)
    assert names[-1] == "grid"


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("xponent/xponent31_2plex_resaved.csv", "xponent"),
        ("softmax/softmax_two_plates_dual.txt", "softmax"),
        ("grid/grid_8x12.csv", "grid"),
        ("bioplex_xml/two_analytes_12_wells.xml", "bioplex_xml"),
    ],
)
def test_each_fixture_is_recognised_as_its_format(fixture: str, name: str) -> None:
    path = EXPORTS / fixture
    assert format_of(Source(path.read_bytes(), path.name)).name == name


def test_an_unknown_export_is_refused_naming_what_was_expected() -> None:
    with pytest.raises(InputError, match="not a supported plate export: expected"):
        format_of(Source(b"hello\nworld\n", "notes.txt"))
    with pytest.raises(InputError, match="empty"):
        format_of(Source(b"\n\n", "blank.csv"))
    # the workbook formats only, Bio-Plex Manager first
    assert unsupported("workbook").startswith(
        "this Excel workbook is not a supported plate export: expected a Bio-Plex Manager"
    )
