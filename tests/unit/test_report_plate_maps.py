"""Plate maps: wells placed in their layout, bead counts as the median over analytes,
names escaped, the same wells giving the same PNG, and the report's Plates section."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image

from assaypipe.figure_text import file_stem
from assaypipe.report import build_report
from assaypipe.report.plate_maps import PlateMaps, grid_of, well_grid
from tests.unit.test_qc import make_plate, study
from tests.unit.test_report import inputs_for, parse


def two_analytes() -> pd.DataFrame:
    wells = study(make_plate("P1", analyte="CCL2"), make_plate("P1", analyte="IL8"))[0]
    low = wells["well"] == "A3"
    # A3: 10 beads for CCL2 and 20 for IL8, so a median of 15
    wells.loc[low, "bead_count"] = np.where(wells.loc[low, "analyte"] == "CCL2", 10, 20)
    return wells


def test_values_land_on_their_wells_and_a_384_plate_is_16_by_24():
    grid = well_grid(["A1", "H12", "c5"], np.array([1.0, 2.0, 3.0]), (8, 12))
    assert (grid[0, 0], grid[7, 11], grid[2, 4]) == (1.0, 2.0, 3.0)
    assert np.isnan(grid).sum() == 96 - 3
    assert grid_of(["A1", "H12"]) == (8, 12) and grid_of(["A1", "I1"]) == (16, 24)


def test_a_plate_map_has_a_signal_panel_per_analyte_and_the_median_bead_count():
    wells = two_analytes()
    maps = PlateMaps(bead_fail=35, bead_warn=50)
    figure = maps.figure("P1", wells)
    images = [ax.images[0] for ax in figure.axes if ax.get_visible()]
    assert len(images) == 3  # CCL2, IL8, beads
    beads = np.ma.filled(images[2].get_array(), np.nan)
    assert beads[0, 2] == 15.0 and beads[0, 0] == 100.0
    # the signal panels hold each analyte's own signals, at their wells
    ccl2 = wells[(wells["analyte"] == "CCL2") & (wells["well"] == "B7")]["signal"].iloc[0]
    assert np.ma.filled(images[0].get_array(), np.nan)[1, 6] == ccl2
    titles = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert titles[0].startswith("CCL2: Median MFI") and titles[0].endswith("(log)")
    assert titles[2] == "beads, median over analytes: 1 well(s) < 35"


def test_plate_map_png_is_reproducible_and_names_are_escaped():
    wells = two_analytes().assign(analyte=lambda f: f["analyte"].replace({"IL8": "$x$"}))
    first = PlateMaps().png("P$1", wells)
    again = PlateMaps().png("P$1", wells)
    assert first == again
    maps = PlateMaps()
    maps.png("P$1", wells)
    # drawn twice from one template: the same bytes as the first time
    assert maps.png("P$1", wells) == first
    figure = maps.figure("P$1", wells)
    texts = [t.get_text() for t in figure.texts] + [
        t.get_text() for ax in figure.axes for t in ax.texts
    ]
    assert "P\\$1" in texts and any(t.startswith("\\$x\\$") for t in texts)
    width, height = Image.open(io.BytesIO(first)).size
    assert width > 500 and height > 150


def test_the_plates_section_draws_plate_maps_within_the_budget(tmp_path):
    plates = study(
        make_plate("P1", run_time="2025-01-01"),
        make_plate("P2", run_time="2025-01-02", bead_count=20),  # fails its bead counts
        make_plate("P3", run_time="2025-01-03"),
    )
    inputs = inputs_for(*plates, plate_maps=1)
    page = build_report(inputs, {"plates": tmp_path / "plates"})
    section = page.split('<section id="plates">', 1)[1].split("</section>", 1)[0]
    maps = [a for n, a in parse(section).tags if n == "figure" and a.get("class") == "platemap"]
    # one map allowed: the failing plate's comes first
    assert [a["data-plate"] for a in maps] == ["P2"]
    assert "1 of 3 plates are drawn (report.plate_maps = 1)" in section
    assert [p.name for p in (tmp_path / "plates").iterdir()] == [file_stem("P2") + ".png"]
    everything = build_report(inputs_for(*plates))
    drawn = [a for n, a in parse(everything).tags if n == "figure" and a.get("class") == "platemap"]
    assert [a["data-plate"] for a in drawn] == ["P1", "P2", "P3"]
    assert 'href="#plates"' in everything


def test_each_well_in_the_png_has_its_colour_maps_colour():
    """Wells are coloured into the template's pixels without matplotlib's image artists:
    the pixel at each well's centre is the colour matplotlib's colour map (and the
    panel's norm, log here) gives its signal, and the median bead count's colour."""
    wells = two_analytes()
    maps = PlateMaps(bead_fail=35, bead_warn=50)
    pixels = np.asarray(Image.open(io.BytesIO(maps.png("P1", wells))).convert("RGB"))
    figure = maps.figure("P1", wells)  # the same template: its axes give the panels' places
    height = pixels.shape[0]
    panels = [ax for ax in figure.axes if ax.get_visible()]
    checked = 0
    for ax in panels:
        image = ax.images[0]
        grid = np.ma.filled(image.get_array(), np.nan)
        box = ax.get_window_extent()
        rows, columns = grid.shape
        for r in range(rows):
            for c in range(columns):
                x = box.x0 + (c + 0.5) * box.width / columns
                y = height - (box.y1 - (r + 0.5) * box.height / rows)
                want = np.asarray(image.get_cmap()(image.norm(grid[r, c]), bytes=True))[:3]
                assert pixels[int(y), int(x)].tolist() == want.tolist(), (ax, r, c)
                checked += 1
    assert checked == 3 * rows * columns
    # A3's median of 15 beads is below the fail limit: red
    beads = panels[2].get_window_extent()
    x = beads.x0 + 2.5 * beads.width / columns
    y = height - (beads.y1 - 0.5 * beads.height / rows)
    assert pixels[int(y), int(x)].tolist() == [0xC0, 0x39, 0x2B]
