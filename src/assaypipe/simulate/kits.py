"""The simulated kits: analytes, nominal curves, standards and controls."""

from __future__ import annotations

from dataclasses import dataclass

from assaypipe.simulate.formatting import round_sig

N_STANDARDS = 7
DILUTION_STEP = 4.0
CONTROL_FRACTIONS = (0.15, 0.015)  # of the top standard: both well inside the curve
ELISA_DILUTION = 2.0


@dataclass(frozen=True)
class Analyte:
    name: str
    export_name: str
    bead_id: int
    top: float
    nominal: tuple[float, float, float, float, float]  # a, b, c, d, g

    def standards(self) -> list[float]:
        return [self.top / DILUTION_STEP**i for i in range(N_STANDARDS)]

    def controls(self) -> list[float]:
        return [round_sig(self.top * f, 2) for f in CONTROL_FRACTIONS]


# Nominal curves in the well's concentration (pg/mL); each plate draws its own around them.
LUMINEX_4PLEX = (
    Analyte("CCL2", "MCP-1", 29, 10000.0, (35.0, 1.05, 4000.0, 22000.0, 0.9)),
    Analyte("HGF", "HGF", 35, 20000.0, (30.0, 1.0, 9000.0, 18000.0, 1.0)),
    Analyte("CXCL12", "SDF-1a", 62, 40000.0, (45.0, 1.1, 15000.0, 16000.0, 1.0)),
    Analyte("IL8", "IL-8", 78, 2000.0, (25.0, 1.0, 700.0, 25000.0, 1.1)),
)
LUMINEX_TGFB2 = (Analyte("TGFB2", "TGF-beta2", 45, 10000.0, (50.0, 0.95, 3500.0, 20000.0, 1.0)),)
ELISA_NFL = Analyte("NfL", "NfL", 0, 10000.0, (0.05, 1.1, 2500.0, 3.0, 1.0))
ANALYTES = ("CCL2", "TGFB2", "HGF", "CXCL12", "IL8", "NfL")
# The MSD plate's 2-plex (spot 1 and 2): nominal ECL curves in the well's concentration.
MSD_2PLEX = (
    Analyte("IL6", "IL-6", 1, 500.0, (180.0, 1.0, 900.0, 2.0e6, 1.0)),
    Analyte("TNFA", "TNF-alpha", 2, 250.0, (150.0, 1.05, 600.0, 1.5e6, 1.0)),
)
MSD_ANALYTES = tuple(an.name for an in MSD_2PLEX)
MSD_DILUTION = 2.0
# Alias rows the study's analyte table gets with the MSD plate.
MSD_ALIASES = (
    ("IL6", "IL6", "IL-6"),
    ("IL-6", "IL6", "IL-6"),
    ("TNFA", "TNFA", "TNF-α"),
    ("TNF-alpha", "TNFA", "TNF-α"),
)


def kit_of(plate_id: str) -> str:
    """The kit a simulated plate ran with: its id without the run (``luminex_4plex``)."""
    return plate_id.rsplit("_P", 1)[0]
