"""The BioTek Gen5 plate-reader text export of a simulated ELISA run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assaypipe.simulate.formatting import clock
from assaypipe.simulate.layout import N_COLUMNS, ROWS, Well
from assaypipe.simulate.runs import PlateRun


def gen5_text(
    run: PlateRun, layout: Sequence[Well], reference: np.ndarray, rng: np.random.Generator
) -> str:
    read = run.started
    serial = str(int(rng.integers(1_000_000, 9_999_999)))
    od = {w.well: float(v) for w, v in zip(layout, run.signal[:, 0], strict=True)}
    lines = [
        "",
        "",
        "Software Version\t3.12.08",
        "",
        "",
        "",
        "Experiment File Path:\t",
        "Protocol File Path:\tC:\\Users\\Public\\Documents\\Protocols\\NfL_ELISA_450_630.prt",
        "",
        "",
        "",
        "Plate Number\tPlate 1",
        f"Date\t{read.month}/{read.day}/{read.year}",
        f"Time\t{clock(read, seconds=True)}",
        "Reader Type:\tSynergy H1",
        f"Reader Serial Number:\t{serial}",
        "Reading Type\tReader",
        "",
        "Procedure Details",
        "",
        "Plate Type\t96 WELL PLATE (Use plate lid)",
        "Eject plate on completion\t",
        "Read\tNfL 450/630",
        "\tAbsorbance Endpoint",
        "\tFull Plate",
        "\tWavelengths:  450, 630",
        "\tRead Speed: Normal,  Delay: 100 msec,  Measurements/Data Point: 8",
        "",
        "Results",
        "\t" + "\t".join(str(c) for c in range(1, N_COLUMNS + 1)),
    ]
    for r, row in enumerate(ROWS):
        ref = reference[r]
        od450 = [od[f"{row}{c}"] + float(ref[c - 1]) for c in range(1, N_COLUMNS + 1)]
        lines.append(row + "\t" + "\t".join(f"{v:.3f}" for v in od450) + "\t450")
        lines.append("\t" + "\t".join(f"{float(v):.3f}" for v in ref) + "\t630")
        # Gen5's Delta OD data reduction: the export shows the 630 nm read is a reference.
        delta = [round(v, 3) - round(float(w), 3) for v, w in zip(od450, ref, strict=True)]
        lines.append("\t" + "\t".join(f"{v:.3f}" for v in delta) + "\tDelta OD")
    lines.append("")
    return "\n".join(lines) + "\n"
