"""The MSD Discovery Workbench data table of a simulated plate run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assaypipe.simulate.formatting import fmt, num
from assaypipe.simulate.kits import MSD_DILUTION, N_STANDARDS
from assaypipe.simulate.layout import Well, expected_conc
from assaypipe.simulate.model import Difficulty
from assaypipe.simulate.runs import PlateRun
from assaypipe.vocabulary import Role


def workbench_csv(run: PlateRun, layout: Sequence[Well], knobs: Difficulty) -> str:
    """An MSD Discovery Workbench data table of the run: one row per well and spot.

    Calibrators are S001..S007 with their concentrations, the blank wells the zero
    calibrator S008, controls C001/C002 with theirs; samples carry their id and the
    dilution. Workbench's own concentrations are left out (the lab exported signals).
    """
    header = [
        "Sample", "Assay", "Well", "Spot", "Dilution", "Concentration", "Signal",
        "Adjusted Signal", "Mean", "Adj. Sig. Mean", "CV",
    ]  # fmt: skip
    lines = [f"Plate_{run.plate_id.upper()}", ",".join(header)]
    names = [workbench_name(w) for w in layout]
    for j, analyte in enumerate(run.analytes):
        signal = run.signal[:, j]
        for i, w in enumerate(layout):
            group = [k for k, name in enumerate(names) if name == names[i]]
            mean = float(np.mean(signal[group]))
            cv = 100 * float(np.std(signal[group], ddof=1)) / mean if len(group) > 1 else 0.0
            expected = expected_conc(w, analyte, knobs)
            dilution = num(MSD_DILUTION) if w.role == Role.SAMPLE else ""
            well = f"{w.well[0]}{int(w.well[1:]):02d}"
            value = str(int(signal[i]))  # ECL counts are whole numbers
            cells = [
                names[i], analyte.export_name, well, str(analyte.bead_id), dilution, expected,
                value, value, fmt(mean, 1), fmt(mean, 1), fmt(cv, 2),
            ]  # fmt: skip
            lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def workbench_name(well: Well) -> str:
    """Workbench's sample names: S001.. calibrators (S008 the zero calibrator), C001..
    controls, the sample's id for samples."""
    if well.role == Role.STANDARD and well.level is not None:
        return f"S{well.level:03d}"
    if well.role == Role.BLANK:
        return f"S{N_STANDARDS + 1:03d}"
    if well.role == Role.CONTROL and well.level is not None:
        return f"C{well.level:03d}"
    return well.sample_id
