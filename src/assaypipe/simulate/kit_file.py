"""The kit file (docs/qc.md) of a simulated kit: its unit and control ranges."""

from __future__ import annotations

from collections.abc import Sequence

from assaypipe.simulate.formatting import num
from assaypipe.simulate.kits import CONTROL_FRACTIONS, Analyte
from assaypipe.simulate.model import Difficulty


def kit_yaml(kit: str, lot: str, analytes: Sequence[Analyte], knobs: Difficulty) -> str:
    """A kit file (docs/qc.md) of a simulated kit: its unit and control ranges."""
    lines = [
        f"# Certificate of the simulated {kit} kit: control ranges in the kit unit.",
        f"kit: {kit}",
        f'lot: "{lot}"',
        f"unit: {knobs.unit}",
        f'plates: ["{kit}_*"]',
        "controls:",
    ]
    for k in range(len(CONTROL_FRACTIONS)):
        lines.append(f"  Control{k + 1}:")
        for an in analytes:
            low, high = (num(knobs.conc(round(an.controls()[k] * f, 3))) for f in (0.7, 1.3))
            lines.append(f"    {an.name}: [{low}, {high}]")
    return "\n".join(lines) + "\n"
