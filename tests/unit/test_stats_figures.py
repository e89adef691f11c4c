"""Figures of the study statistics: files written, reproducible, right layout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assaypipe.figures_stats import display_names, plot_correlation, plot_prepost
from assaypipe.stats import prepost
from tests.unit.test_stats import GROUPS, SMALL


def test_prepost_figure_png_and_svg_reproducible(tmp_path: Path) -> None:
    stats = prepost(SMALL, groups=GROUPS)
    outputs = [tmp_path / "a" / "prepost.png", tmp_path / "a" / "prepost.svg"]
    plot_prepost(SMALL, GROUPS, outputs, stats=stats, display={"IL8": "IL-8"})
    again = [tmp_path / "b" / "prepost.png", tmp_path / "b" / "prepost.svg"]
    plot_prepost(SMALL, GROUPS, again, stats=stats, display={"IL8": "IL-8"})
    assert outputs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = outputs[1].read_text(encoding="utf-8")
    assert "<svg" in svg and "IL-8" in svg and "responder" in svg and "nonresponder" in svg
    assert "p=" in svg  # the test result is in the panel titles
    for first, second in zip(outputs, again, strict=True):
        assert first.read_bytes() == second.read_bytes()


def test_correlation_figure_has_line_and_band(tmp_path: Path) -> None:
    out = tmp_path / "corr.svg"
    plot_correlation(SMALL, "CCL2", "IL8", [out], display={"IL8": "IL-8"})
    svg = out.read_text(encoding="utf-8")
    assert "OLS fit" in svg and "95% CI of the line" in svg and "Spearman" in svg
    assert "IL-8 (pg/mL)" in svg


def test_display_names_from_the_alias_table() -> None:
    aliases = pd.DataFrame(
        {"alias": ["TGF-b2", "TGFB2", "IL-8"], "analyte": ["TGFB2", "TGFB2", "IL8"],
         "display": ["TGF-β2", "TGF-β2", "IL-8"]}
    )  # fmt: skip
    assert display_names(aliases) == {"TGFB2": "TGF-β2", "IL8": "IL-8"}
