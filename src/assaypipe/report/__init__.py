"""The HTML report (``results/report.html``): QC verdicts, standard curves,
Levey-Jennings charts, exclusions and the pre/post plot in one offline file."""

from assaypipe.report.build import (
    SECTIONS,
    FigureCache,
    ReportInputs,
    build_report,
    load_inputs,
    log_progress,
    statistics_inputs,
    write_report,
)

__all__ = [
    "SECTIONS",
    "FigureCache",
    "ReportInputs",
    "build_report",
    "load_inputs",
    "log_progress",
    "statistics_inputs",
    "write_report",
]
