"""How closely assaypipe reproduces the instrument software's own concentrations.

Every export of a real-data folder (default ``../shared/realdata``; a file present
twice is taken once) goes through the workflow's chunk step (``process_chunk``: read,
annotate with the shipped analyte table, fit, interpolate) with the shipped curve
settings, once with ``curves.preset: assaypipe`` and once with ``vendor``. Every well
for which the export gives the software's own concentration in range is compared,
per sample, with assaypipe's (``vendor_curves.compare_concentrations``). Prints, per
format and preset, the curves and wells compared and the median and 95th percentile
|relative difference| (docs/curves.md quotes them).

    .venv/bin/python bench/vendor_reproduction.py [folder]
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pandas as pd
import yaml

from assaypipe import readers
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases
from assaypipe.vendor_curves import reproduction, reproduction_figures

REPO = Path(__file__).resolve().parents[1]


def exports(folder: Path) -> list[Path]:
    """The files of ``folder`` that are not documentation, each content once."""
    seen: set[str] = set()
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in (".md", ".json") or path.name.startswith("LICENSE"):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            out.append(path)
    return out


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "realdata"
    readers.SETTLE_SECONDS = 0.0
    files = exports(folder)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    aliases = read_aliases(REPO / "config" / "analytes.tsv")
    tables = []
    for preset in ("assaypipe", "vendor"):
        curves = {**config["curves"], "preset": preset}
        settings = Settings.from_config({**config, "curves": curves})
        comparison, plates = reproduction(files, settings, aliases)
        tables.append(reproduction_figures(comparison, plates).assign(preset=preset))
    figures = pd.concat(tables).set_index(["format", "preset"]).sort_index()
    print(f"{len(files)} exports in {folder}")
    print(figures.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
