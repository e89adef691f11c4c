"""The plate layout: 96 wells of blank, standards, controls and samples in duplicate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assaypipe.simulate.formatting import num
from assaypipe.simulate.kits import N_STANDARDS, Analyte
from assaypipe.simulate.model import Difficulty, Sample
from assaypipe.vocabulary import Role

ROWS = "ABCDEFGH"
N_COLUMNS = 12


@dataclass(frozen=True)
class Well:
    well: str
    role: str
    name: str  # xPONENT Sample name
    sample_id: str
    level: int | None


def plate_layout(samples: Sequence[Sample]) -> list[Well]:
    """96 wells in acquisition order (A1, B1, ..., H12), duplicates side by side.

    Columns 1-2: blank and standards 1-7; columns 3-4: two controls, then samples
    fill the rest down the columns, pairs of columns holding the two replicates.
    """
    first = [Well("", Role.BLANK, "Background0", "", None)]
    first += [Well("", Role.STANDARD, f"Standard{k}", "", k) for k in range(1, N_STANDARDS + 1)]
    rest = [Well("", Role.CONTROL, f"Control{k}", f"Control{k}", k) for k in (1, 2)]
    rest += [Well("", Role.SAMPLE, s.sample_id, s.sample_id, None) for s in samples]
    if len(first) + len(rest) != len(ROWS) * N_COLUMNS // 2:
        raise ValueError(f"{len(samples)} samples do not fill a 96-well plate in duplicate")
    contents = first + rest

    wells: list[Well] = []
    for col in range(1, N_COLUMNS + 1):
        pair = (col - 1) // 2
        for r, row in enumerate(ROWS):
            c = contents[pair * len(ROWS) + r]
            wells.append(Well(f"{row}{col}", c.role, c.name, c.sample_id, c.level))
    return wells


def expected_conc(well: Well, analyte: Analyte, knobs: Difficulty) -> str:
    """The concentration a plate map or an export states for a well: a standard's or a
    control's (in the kit's unit), 0 for a blank, none for a sample."""
    if well.role == Role.STANDARD and well.level is not None:
        return num(knobs.conc(analyte.standards()[well.level - 1]))
    if well.role == Role.CONTROL and well.level is not None:
        return num(knobs.conc(analyte.controls()[well.level - 1]))
    return "0" if well.role == Role.BLANK else ""
