"""What the report is built from: the study's tables and the report's settings
(:class:`ReportInputs`), read from the workflow's parquet files by :func:`load_inputs`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from assaypipe import tables
from assaypipe.io import read_table
from assaypipe.settings import DEFAULTS, Settings


@dataclasses.dataclass
class ReportInputs:
    """Everything the report shows; tables follow ``assaypipe.tables``."""

    wells: pd.DataFrame
    curves: pd.DataFrame
    plates: pd.DataFrame
    rejected: pd.DataFrame
    qc: pd.DataFrame
    verdicts: pd.DataFrame
    levey_jennings: pd.DataFrame
    exclusions: pd.DataFrame
    samples: pd.DataFrame
    # The study's settings (its qc section, wells.min_bead_count for the rule sets).
    settings: Settings = DEFAULTS
    display: Mapping[str, str] = dataclasses.field(default_factory=dict)
    pre: str = DEFAULTS.prepost.pre
    post: str = DEFAULTS.prepost.post
    prepost_figure: str | Path | None = None
    exclusions_file: str = DEFAULTS.qc.exclusions
    title: str = "Plate QC report"
    config_hash: str = ""
    # Most curve figures drawn; past it, those needing a look come first (see curves()).
    curve_figures: int = DEFAULTS.report.curve_figures
    # Most plate maps drawn; past it, plates needing a look come first (see plate_maps()).
    plate_maps: int = DEFAULTS.report.plate_maps
    # What the instrument software computed itself (tables.VENDOR_RESULTS); its
    # per-well concentrations are shown beside assaypipe's.
    vendor: pd.DataFrame = dataclasses.field(
        default_factory=lambda: tables.empty(tables.VENDOR_RESULTS)
    )
    # Files of the plates folder not taken for plates, with the reason (tables.SKIPPED).
    skipped: pd.DataFrame = dataclasses.field(default_factory=lambda: tables.empty(tables.SKIPPED))
    # Mismatches between the plates and the study's sheets (tables.SHEET_CHECKS).
    sheet_checks: pd.DataFrame = dataclasses.field(
        default_factory=lambda: tables.empty(tables.SHEET_CHECKS)
    )
    # Study statistics (tables.STATS rows of any analyses), shown as a table per analysis.
    stats: pd.DataFrame = dataclasses.field(default_factory=lambda: tables.empty(tables.STATS))
    # The statistics' correlation figures (PNG), shown in the pre/post section.
    correlation_figures: Sequence[str | Path] = ()


TABLE_INPUTS = (
    "wells",
    "curves",
    "plates",
    "rejected",
    "qc",
    "verdicts",
    "levey_jennings",
    "exclusions",
    "samples",
)


def load_inputs(
    paths: Mapping[str, Any],
    aliases: pd.DataFrame | None = None,
    prepost_figure: str | Path | None = None,
    settings: Settings = DEFAULTS,
    **options: Any,
) -> ReportInputs:
    """Read the report's tables from parquet files named by :data:`TABLE_INPUTS` keys
    (or take them as given: a table the caller has read already).

    ``aliases`` (the analyte alias table) gives the display names; ``settings`` the
    study's settings (QC rules, the pre and post visits, the exclusions file, the figure
    budgets); ``options`` are the other :class:`ReportInputs` fields.
    """
    for name, value in (
        ("pre", settings.prepost.pre),
        ("post", settings.prepost.post),
        ("exclusions_file", settings.qc.exclusions),
        ("curve_figures", settings.report.curve_figures),
        ("plate_maps", settings.report.plate_maps),
    ):
        options.setdefault(name, value)
    frames = {
        key: paths[key] if isinstance(paths[key], pd.DataFrame) else read_table(paths[key])
        for key in TABLE_INPUTS
    }
    # Optional: a report built without the vendor's results shows no comparison.
    vendor_path = paths.get("vendor")
    if vendor_path:
        options.setdefault("vendor", read_table(vendor_path))
    skipped_path = paths.get("skipped")
    if skipped_path:
        options.setdefault("skipped", read_table(skipped_path))
    sheets_path = paths.get("sheet_checks")
    if sheets_path:
        options.setdefault("sheet_checks", read_table(sheets_path))
    # Optional: the statistics tables and correlation figures (one path or a list).
    for name, value in statistics_inputs(paths.get("stats"), paths.get("correlations")).items():
        options.setdefault(name, value)
    display: dict[str, str] = {}
    if aliases is not None:
        first = aliases.drop_duplicates("analyte")
        display = dict(zip(first["analyte"].astype(str), first["display"].astype(str), strict=True))
    return ReportInputs(
        wells=frames["wells"],
        curves=frames["curves"],
        plates=frames["plates"],
        rejected=frames["rejected"],
        qc=frames["qc"],
        verdicts=frames["verdicts"],
        levey_jennings=frames["levey_jennings"],
        exclusions=frames["exclusions"],
        samples=frames["samples"],
        display=display,
        prepost_figure=prepost_figure or None,
        settings=settings,
        **options,
    )


def statistics_inputs(
    stats: object = None, correlations: object = None, prepost_figure: str | Path | None = None
) -> dict[str, Any]:
    """The :class:`ReportInputs` fields the study statistics fill: ``stats`` from their
    tables, ``correlation_figures`` and ``prepost_figure`` (one path or a list each;
    what is not given is left out)."""
    fields: dict[str, Any] = {}
    stats_paths = _path_list(stats)
    if stats_paths:
        frame = pd.concat([read_table(p) for p in stats_paths], ignore_index=True)
        fields["stats"] = tables.STATS.validate(frame)
    correlation_paths = _path_list(correlations)
    if correlation_paths:
        fields["correlation_figures"] = correlation_paths
    if prepost_figure:
        fields["prepost_figure"] = prepost_figure
    return fields


def _path_list(value: object) -> list[str]:
    """Paths given as one string or a list of them (as snakemake's named inputs are)."""
    if not value:
        return []
    if isinstance(value, str | Path):
        return [str(value)]
    return [str(item) for item in value]  # type: ignore[attr-defined]
