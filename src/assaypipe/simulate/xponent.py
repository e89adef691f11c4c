"""The Luminex xPONENT 4.x CSV export of a simulated plate run."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import timedelta

import numpy as np

from assaypipe.simulate.formatting import clock, fmt, long_stamp, num
from assaypipe.simulate.kits import CONTROL_FRACTIONS, N_STANDARDS
from assaypipe.simulate.layout import Well
from assaypipe.simulate.model import Difficulty
from assaypipe.simulate.runs import PlateRun
from assaypipe.vocabulary import Role

PER_BEAD = 50

# xPONENT 4.3 calibration records; they set the row width every other row is padded to.
CLASSIFICATION_CALIBRATOR_HEADER = (
    "Lot", "ExpirationDate", "CalibrationTime", "DDTemp", "CL1Temp", "CL2Temp", "CL3Temp",
    "DDVolts", "CL1Volts", "CL2Volts", "CL3Volts", "DDRVal", "CL1RVal", "CL2RVal", "CL3RVal",
    "Result", "MachineSerialNo",
)  # fmt: skip
CLASSIFICATION_CALIBRATOR_VALUES = (
    "24.5", "24.5", "24.6", "24.6", "80", "110", "120", "115", "550", "1200", "1300", "1300",
    "Pass",
)  # fmt: skip
REPORTER_CALIBRATOR_HEADER = (
    "Lot", "ExpirationDate", "CalibrationTime", "RP1Volts", "RP1Val", "Result", "MachineSerialNo",
)  # fmt: skip


def xponent_csv(
    run: PlateRun,
    layout: Sequence[Well],
    serial: str,
    rng: np.random.Generator,
    unit: str = "pg/mL",
    kit_lot: int | None = None,
) -> tuple[str, int]:
    """The export's text and its kit lot (``kit_lot``, else one drawn for the plate)."""
    knobs = Difficulty(unit=unit)
    names = [an.export_name for an in run.analytes]
    n = len(names)
    start = run.started
    stop = start + timedelta(minutes=int(rng.integers(55, 80)), seconds=int(rng.integers(0, 60)))
    calibrated = start - timedelta(days=int(rng.integers(1, 20)), hours=int(rng.integers(0, 8)))
    stamp = long_stamp(calibrated)
    expiry = start + timedelta(days=300)
    expires = f"{expiry.month:02d}/28/{expiry.year}"
    lot = int(rng.integers(1_000_000, 9_999_999))
    lot = kit_lot if kit_lot is not None else lot  # drawn all the same: the rest stays put
    background = np.array([w.role == Role.BLANK for w in layout])
    net = run.signal - run.signal[background].mean(axis=0)
    total_events = run.counts.sum(axis=1) + rng.poisson(0.4 * run.counts.sum(axis=1))

    rows: list[list[str]] = [
        ["Program", "xPONENT", "", "FlexMAP 3D"],
        ["Build", "4.3.309.1"],
        ["Date", f"{start.month:02d}/{start.day:02d}/{start.year}", clock(start, seconds=False)],
        [],
        ["SN", serial],
        ["Batch", run.plate_id],
        ["Version", "1"],
        ["Operator", "lab"],
        ["ComputerName", "LUMINEX-PC"],
        ["Country Code", "409"],
        ["ProtocolName", f"CSF {run.plate_id.split('_')[1]} undiluted"],
        ["ProtocolVersion", "1"],
        ["ProtocolDescription", "<None>"],
        ["ProtocolDevelopingCompany", "N/A"],
        ["SampleVolume", "50 uL"],
        ["DDGate", "7500 to 15000"],
        ["SampleTimeout", "60 sec"],
        ["BatchStartTime", long_stamp(start)],
        ["BatchStopTime", long_stamp(stop)],
        ["BatchDescription", "<None>"],
        ["ProtocolPlate", "Name", "plate", "Type", "96", "Plates", "1"],
        ["ProtocolMicrosphere", "Map", "FlexMAP 3D Map", "Type", "MagPlex", "Count", str(n)],
        ["ProtocolReporterGain", "Standard PMT"],
        ["ProtocolAnalysis", "Off"],
        ["NormBead", "None"],
        ["ProtocolHeater", "Off"],
        [],
        ["Most Recent Calibration and Verification Results:"],
        ["Last F3DeCAL1 Calibration", stamp],
        ["Last F3DCAL2 Calibration", stamp],
        ["Last F3DeVER1 Verification", stamp],
        ["Last F3DVER2 Verification", stamp],
        ["Last Fluidics Test", stamp],
        [],
        ["CALInfo:"],
        ["Classification Calibrator Extended"],
        list(CLASSIFICATION_CALIBRATOR_HEADER),
        [f"B{lot % 100000}", expires, stamp, *CLASSIFICATION_CALIBRATOR_VALUES, serial],
        ["Reporter Calibrator"],
        list(REPORTER_CALIBRATOR_HEADER),
        [f"B{(lot + 17) % 100000}", expires, stamp, "750", "15750", "Pass", serial],
        [],
        ["AssayLotInfo:"],
        ["KitName", "LotNumber", "ExpirationDate", "Manufacturer"],
        [f"CSF {n}-plex magnetic bead kit", str(lot), expires, "Simulated"],
        [],
        ["Reagent", "LotName", "LotNumber", "ExpirationDate", "Manufacturer"],
    ]
    reagents = [f"Standard{k}" for k in range(1, N_STANDARDS + 1)] + ["Control1", "Control2"]
    rows += [[r, r, str(lot + 1 + k), expires, "Simulated"] for k, r in enumerate(reagents)]
    rows += [[], ["Samples", str(len(layout)), "Min Events", str(PER_BEAD), "Per Bead"]]
    rows += [[], ["Results"]]

    locations = [f'"{i + 1}(1,{w.well})"' for i, w in enumerate(layout)]

    def per_well(kind: str, cells: Iterable[Sequence[str]], with_total: bool = True) -> None:
        header = ["Location", "Sample", *names] + (["Total Events"] if with_total else [])
        rows.extend([[], ["DataType:", kind], header])
        for i, (loc, w, values) in enumerate(zip(locations, layout, cells, strict=True)):
            rows.append([loc, w.name, *values] + ([str(total_events[i])] if with_total else []))

    per_well("Median", ([fmt(v, 1) for v in r] for r in run.signal))
    per_well("Net MFI", ([fmt(v, 2) for v in r] for r in net))
    per_well("Count", ([str(int(v)) for v in r] for r in run.counts))
    per_well("Result", (["NaN"] * n for _ in layout))

    rows.extend([[], ["DataType:", "Avg Net MFI"], ["Sample", *names]])
    for group in replicate_groups(layout):
        members = [i for i, w in enumerate(layout) if w.name == group]
        rows.append([group, *(fmt(v, 3) for v in net[members].mean(axis=0))])

    per_well("Comments", ([""] * n for _ in layout), with_total=False)

    rows.extend([[], ["DataType:", "Units"], ["Analyte:", *names]])
    rows.append(["BeadID:", *(str(an.bead_id) for an in run.analytes)])
    rows.append(["Units:", *([unit] * n)])

    rows.extend([[], ["DataType:", "Standard Expected Concentration"], ["Reagent", *names]])
    for k in range(N_STANDARDS):
        standards = (num(knobs.conc(an.standards()[k])) for an in run.analytes)
        rows.append([f"Standard{k + 1}", *standards])
    for block, factor in (
        ("Control Expected Concentration", 1.0),
        ("Control Range - Low", 0.7),
        ("Control Range - High", 1.3),
    ):
        rows.extend([[], ["DataType:", block], ["Reagent", *names]])
        for k in range(len(CONTROL_FRACTIONS)):
            values = (num(knobs.conc(round(an.controls()[k] * factor, 3))) for an in run.analytes)
            rows.append([f"Control{k + 1}", *values])

    rows.extend([[], ["DataType:", "Per Bead Count"], ["Analyte:", *names]])
    rows.append(["BeadID:", *(str(an.bead_id) for an in run.analytes)])
    rows.append(["Per Bead:", *([str(PER_BEAD)] * n)])

    rows.extend([[], ["DataType:", "Dilution Factor"], ["Location", "Sample", "Dilution Factor"]])
    rows.extend([loc, w.name, "1"] for loc, w in zip(locations, layout, strict=True))

    rows.extend([[], ["DataType:", "Analysis Types"], ["Analyte:", *names]])
    rows.append(["AnalysisType", *(["None"] * n)])
    rows.extend([[], ["DataType:", "Audit Logs"], ["UserId", "Date", "Message"]])
    rows.extend([[], ["DataType:", "Warnings/Errors"], ["Location", "Status", "Message"]])
    if run.bad_well is not None:
        where = f'"1,{layout[run.bad_well].well}"'
        for message in (
            "The acquisition had at least one region that did not reach the specified count.",
            "The sample timed out before reaching the specified count.",
        ):
            rows.append([where, "Warning", message])
    rows.append([])

    width = max(len(r) for r in rows)
    lines = [",".join(r + [""] * (width - len(r))) for r in rows]
    body = "".join(line + "\r\n" for line in lines)
    crc = zlib.crc32(body.encode("utf-8"))
    lines += [",".join(["-- CRC --"] + [""] * (width - 1))]
    lines += [",".join([f"CRC32: {crc:08X}"] + [""] * (width - 1))]
    return "\n".join(lines) + "\n", lot


def replicate_groups(layout: Sequence[Well]) -> list[str]:
    """Replicate groups in xPONENT's order: controls, standards, then samples."""
    order: dict[str, int] = {Role.CONTROL: 0, Role.STANDARD: 1, Role.SAMPLE: 2}
    seen: dict[str, tuple[int, int]] = {}
    for i, w in enumerate(layout):
        if w.role in order and w.name not in seen:
            seen[w.name] = (order[w.role], w.level if w.level is not None else i)
    return sorted(seen, key=lambda name: seen[name])
