"""A simulated reference study: sheets, plate exports and the truth behind them.

``simulate_study`` writes the CSF study of DESIGN.md (20 progressive-MS subjects, CSF
before and after treatment) as a lab would hand it over: config and sheets, two
xPONENT 4.x CSV exports, a Gen5-style plate-reader export with its plate map, and on
request (``msd=True``) an MSD Discovery Workbench table of a 2-plex cytokine plate. The
values used to make them go to a separate truth folder, so every stage of the
pipeline can be checked against known answers.

Choices worth knowing when reading the exports:

- xPONENT ``Result`` cells are ``NaN``: the protocol runs with analysis off
  (``ProtocolAnalysis,Off``), so the pipeline's own fit is the only one.
- ``Median`` is in half-MFI steps like the instrument's; ``Net MFI`` and
  ``Avg Net MFI`` are exact differences and means of those, as xPONENT prints them.
- Dates and times derive from the seed, never from the clock, so one seed gives
  byte-identical files.
- :class:`Difficulty` makes the study harder (noise, plate drift, hooked curves, kit
  unit, effect sizes, samples near the LLOQ, borderline responders, a Luminex reporter
  losing sensitivity on the last repeat runs); each knob draws from a stream of its own
  or none, so at its defaults the files are those of a study without it.
- Repeat runs of a kit (``n_plates`` above 3) share the kit lot of its first plate.
- :func:`simulate_demo` writes the bundled demo study (``make demo``): 12 runs of each
  kit, ``qc.guide_plates: 8``, a 20% reporter loss; its first run of each kit is what
  ``simulate_study`` writes at its defaults.

One module per concern: ``model`` (subjects, concentrations, effects, knobs), ``kits``
(analytes, nominal curves, standards, controls), ``layout`` (the 96-well plate),
``runs`` (what an instrument measures on a plate), one writer per export format
(``xponent``, ``gen5``, ``workbench``, ``plate_map``, ``kit_file``), ``study``
(``simulate_study``, which writes it all with the truth) and ``cli`` (``assaypipe
simulate``).
"""

from assaypipe.simulate.kits import LUMINEX_4PLEX, MSD_ANALYTES
from assaypipe.simulate.model import DEFAULT_SEED, UNITS, Difficulty
from assaypipe.simulate.runs import LUMINEX_SIGMA
from assaypipe.simulate.study import (
    DEMO_DIFFICULTY,
    DEMO_GUIDE_PLATES,
    DEMO_PLATES,
    SimulatedStudy,
    simulate_demo,
    simulate_study,
)

__all__ = [
    "DEFAULT_SEED",
    "DEMO_DIFFICULTY",
    "DEMO_GUIDE_PLATES",
    "DEMO_PLATES",
    "LUMINEX_4PLEX",
    "LUMINEX_SIGMA",
    "MSD_ANALYTES",
    "UNITS",
    "Difficulty",
    "SimulatedStudy",
    "simulate_demo",
    "simulate_study",
]
