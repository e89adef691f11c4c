"""report.figures: the report's figures as reproducible PNGs, in the vocabulary's colours."""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from PIL import Image

from assaypipe.report.figures import CURVE_DPI, ROLE_COLOURS, STATUS_COLOURS, png_bytes
from assaypipe.vocabulary import QcStatus, Role


def _figure() -> Figure:
    figure = Figure(figsize=(2.0, 1.5))
    figure.add_subplot().plot([1, 2, 3], [3, 1, 2])
    return figure


def test_the_same_figure_gives_the_same_png_bytes() -> None:
    first, second = png_bytes(_figure()), png_bytes(_figure())
    assert first == second
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG"
    assert image.size == (round(2.0 * CURVE_DPI), round(1.5 * CURVE_DPI))


def test_every_placed_role_and_every_status_but_pass_has_a_colour() -> None:
    assert set(ROLE_COLOURS) == {Role.STANDARD, Role.BLANK, Role.CONTROL, Role.SAMPLE}
    assert set(STATUS_COLOURS) == {QcStatus.WARN, QcStatus.FAIL}
