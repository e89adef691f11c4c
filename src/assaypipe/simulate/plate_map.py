"""The long-form plate map CSV (resources/layouts/) of a simulated plate."""

from __future__ import annotations

from collections.abc import Sequence

from assaypipe.simulate.formatting import num
from assaypipe.simulate.kits import Analyte
from assaypipe.simulate.layout import N_COLUMNS, ROWS, Well
from assaypipe.simulate.model import Difficulty
from assaypipe.vocabulary import Role


def plate_map_csv(
    layout: Sequence[Well], analyte: Analyte, dilution: float, knobs: Difficulty
) -> str:
    by_well = {w.well: w for w in layout}
    lines = ["well,role,sample_id,level,expected_conc,dilution,analyte"]
    for row in ROWS:
        for col in range(1, N_COLUMNS + 1):
            w = by_well[f"{row}{col}"]
            expected = ""
            if w.role == Role.STANDARD and w.level is not None:
                expected = num(knobs.conc(analyte.standards()[w.level - 1]))
            elif w.role == Role.CONTROL and w.level is not None:
                expected = num(knobs.conc(analyte.controls()[w.level - 1]))
            elif w.role == Role.BLANK:
                expected = "0"
            level = "" if w.level is None else str(w.level)
            factor = num(dilution) if w.role == Role.SAMPLE else "1"
            lines.append(
                ",".join([w.well, w.role, w.sample_id, level, expected, factor, analyte.name])
            )
    return "\n".join(lines) + "\n"
