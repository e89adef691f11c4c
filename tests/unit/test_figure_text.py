"""figure_text: labels and file names of figures made from the lab's names."""

from __future__ import annotations

import re

from assaypipe.figure_text import file_stem, shown


def test_a_label_is_literal_text_not_math() -> None:
    assert shown("$x$") == r"\$x\$"


def test_a_long_label_keeps_its_start_and_end() -> None:
    label = "a" * 50 + "MIDDLE" + "b" * 50
    text = shown(label, limit=21)
    assert len(text) == 21
    assert text.startswith("a" * 10) and text.endswith("b" * 10) and "…" in text


def test_file_stems_are_safe_and_distinct_for_names_that_shorten_alike() -> None:
    one, two = file_stem("IL/6", "plate 1"), file_stem("IL:6", "plate 1")
    for stem in (one, two):
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", stem)
    assert one != two
    assert file_stem("IL-6") == file_stem("IL-6")
    assert file_stem("", "").startswith("figure-")
