"""report.build: the report page written, and the progress it logs.

The page itself is built and checked end to end in test_report.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assaypipe.report.build import log_progress, write_report


def test_the_page_is_written_as_utf8_in_a_new_folder(tmp_path: Path) -> None:
    path = write_report(tmp_path / "results" / "report.html", "<p>µg/mL – CCL2</p>")
    assert path.read_bytes() == "<p>µg/mL – CCL2</p>".encode()


def test_progress_logs_about_twenty_lines_however_many_plates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("assaypipe.test_report_build")
    progress = log_progress(logger)
    with caplog.at_level(logging.INFO, logger=logger.name):
        for done in range(1, 1001):
            progress(done, 1000)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 20
    assert lines[-1] == "report: curves drawn for 1000/1000 plates"
