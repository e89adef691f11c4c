"""The long-form plate map CSV (resources/layouts/) of a simulated plate."""

from __future__ import annotations

from collections.abc import Sequence

from assaypipe.simulate.formatting import num
from assaypipe.simulate.kits import Analyte
from assaypipe.simulate.layout import N_COLUMNS, ROWS, Well, expected_conc
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
            expected = expected_conc(w, analyte, knobs)
            level = "" if w.level is None else str(w.level)
            factor = num(dilution) if w.role == Role.SAMPLE else "1"
            lines.append(
                ",".join([w.well, w.role, w.sample_id, level, expected, factor, analyte.name])
            )
    return "\n".join(lines) + "\n"
