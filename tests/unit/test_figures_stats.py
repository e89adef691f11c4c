"""Figures of the study statistics: files written, reproducible, right layout."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from assaypipe.figures_stats import (
    correlation_figure,
    display_names,
    plot_correlation,
    plot_prepost,
    prepost_groups_figure,
)
from assaypipe.stats import prepost
from tests.unit.test_stats import GROUPS, SMALL, long_samples


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


# -- what real files bring -------------------------------------------------------------

ODD = {
    "CCL2": r"$\frac{a}{$",  # math markup matplotlib cannot typeset
    "IL8": "<b>x</b>",
    "NfL": "../x" + "H/" * 5000,  # a path, and 10,000 characters
}


def svg_texts(path: Path) -> list[str]:
    """The texts an SVG figure draws (with svg.fonttype none they are <text> elements)."""
    root = ElementTree.parse(path).getroot()
    return ["".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")]


def test_prepost_figure_draws_odd_analyte_names_as_plain_short_text(tmp_path: Path) -> None:
    samples = SMALL.assign(analyte=SMALL["analyte"].map(ODD))
    stats = prepost(samples, groups=GROUPS)
    out = tmp_path / "prepost.svg"
    plot_prepost(samples, GROUPS, [out, tmp_path / "prepost.png"], stats=stats)
    texts = svg_texts(out)
    # as written, not typeset (matplotlib shows an escaped \$ as $)
    assert r"$\frac{a}{$ (pg/mL)" in texts
    assert "<b>x</b> (pg/mL)" in texts
    long = [t for t in texts if t.startswith("../xH/") and t.endswith(" (pg/mL)")]
    # 32 characters: the first 16, an ellipsis, the last 15
    assert long == ["../xH/H/H/H/H/H/…/H/H/H/H/H/H/H/ (pg/mL)"]
    assert any(t.startswith("<b>x</b> — responder") for t in texts)


def test_correlation_figure_draws_odd_display_names_as_plain_text(tmp_path: Path) -> None:
    out = tmp_path / "corr.svg"
    plot_correlation(SMALL, "CCL2", "IL8", [out], display={"CCL2": ODD["CCL2"], "IL8": "<i>"})
    texts = svg_texts(out)
    assert r"$\frac{a}{$ (pg/mL)" in texts and "<i> (pg/mL)" in texts


def test_figures_with_nothing_to_draw_say_so(tmp_path: Path) -> None:
    nothing = SMALL.iloc[0:0]
    plot_prepost(nothing, GROUPS, [tmp_path / "prepost.svg", tmp_path / "prepost.png"])
    assert "No subject has botha baseline and a post value." in "".join(
        svg_texts(tmp_path / "prepost.svg")
    )
    # no sample has both analytes: CCL2 only at baseline, IL8 only at post
    apart = SMALL[
        ((SMALL["analyte"] == "CCL2") & (SMALL["visit"] == "baseline"))
        | ((SMALL["analyte"] == "IL8") & (SMALL["visit"] == "post"))
    ].assign(sample_id=lambda f: f["sample_id"] + "-" + f["analyte"])
    for samples, name in ((nothing, "none"), (apart, "apart")):
        out = tmp_path / f"corr_{name}.svg"
        plot_correlation(samples, "CCL2", "IL8", [out, out.with_suffix(".png")])
        assert "No sample at baseline or posthas values of both analytes." in "".join(
            svg_texts(out)
        )
        assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- censored values and axis ranges ---------------------------------------------------


def test_values_below_the_lloq_are_marked_with_their_own_marker_and_legend_entry() -> None:
    # In SMALL, subject P6 (a nonresponder) has IL8 below the LLOQ (1.0) at both visits:
    # drawn at LLOQ/2 = 0.5 by the half_lloq policy.
    figure = prepost_groups_figure(SMALL, GROUPS)
    axes = [a for a in figure.axes if a.get_title().startswith("IL8 — nonresponder")]
    assert len(axes) == 1
    marked = [c for c in axes[0].collections if c.get_label() == "below LLOQ set to LLOQ/2"]
    assert len(marked) == 1
    assert marked[0].get_offsets().tolist() == [[0.0, 0.5], [1.0, 0.5]]
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert "below LLOQ set to LLOQ/2" in legend
    # the same subject under LLOQ/sqrt(2), and no mark where nothing is censored
    figure = prepost_groups_figure(SMALL, GROUPS, below_lloq="lloq_sqrt2")
    labels = [c.get_label() for a in figure.axes for c in a.collections]
    assert labels == ["below LLOQ set to LLOQ/√2"]


def test_correlation_axes_span_the_data_not_the_confidence_band() -> None:
    # Few, scattered, positive values: the OLS band reaches far below zero at the ends.
    ys = [1.0, 60.0, 3.0, 90.0, 4.0, 70.0]
    samples = long_samples(
        {
            "A": {f"P{i}": (float(1 + i), float(2 + i)) for i in range(6)},
            "B": {f"P{i}": (y, y * 1.1) for i, y in enumerate(ys)},
        }
    )
    figure = correlation_figure(samples, "A", "B")
    axis = figure.axes[0]
    band = axis.collections[-1].get_paths()[0].vertices[:, 1]
    assert band.min() < 0  # what the axis used to follow
    bottom, top = axis.get_ylim()
    assert bottom >= 0 and bottom <= min(ys) and top >= max(ys) * 1.1
    left, right = axis.get_xlim()
    assert 0 <= left <= 1.0 and right >= 7.0
