"""Open report.html in headless Chromium as a person would, and look at what they'd see.

Chromium is driven over its DevTools protocol through a pipe (``--remote-debugging-pipe``:
JSON messages ending in NUL on file descriptors 3 and 4), with nothing but the standard
library: console errors, uncaught exceptions, failed loads and any request leaving the
file are collected while the page loads, then the page is queried and photographed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from assaypipe.report import SECTIONS, build_report, write_report
from assaypipe.simulate import simulate_study
from tests.conftest import quick_classification, run_workflow
from tests.unit.test_qc import make_plate
from tests.unit.test_qc import study as joined
from tests.unit.test_report import inputs_for

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not found, but CI installs it in .ci/run")
        pytest.skip("Chromium is not installed; apt-get install chromium")
    return found


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def use_pipe_fds() -> None:
            # Chromium reads commands on fd 3 and answers on fd 4; copy the pipe ends
            # above 10 first so placing one cannot overwrite the other.
            commands = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            answers = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(commands, 3)
            os.dup2(answers, 4)

        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            preexec_fn=use_pipe_fds,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: bool = False
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(timeout=60)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply["result"])
            self.events.append(reply)

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from Chromium")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed its DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(raw))

    def open(self, url: str, settle: float = 1.0) -> None:
        """Load ``url``, wait for its load event, then collect late messages a while."""
        self.call("Page.navigate", {"url": url}, session=True)
        deadline = time.monotonic() + 120
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._receive(timeout=deadline - time.monotonic()))
        end = time.monotonic() + settle
        while time.monotonic() < end:
            try:
                self.events.append(self._receive(timeout=end - time.monotonic()))
            except TimeoutError:
                break

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def resize(self, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    def screenshot(self, path: Path, width: int = 1400, height: int = 3000) -> None:
        """The viewport, ``width`` x ``height`` CSS pixels, as PNG."""
        self.resize(width, height)
        shot = self.call("Page.captureScreenshot", {"format": "png"}, session=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def problems(self, page_url: str) -> list[str]:
        """Console errors, exceptions, failed loads, and requests other than the page."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                found.append(f"console.{params['type']}: {args}")
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                text = details.get("exception", {}).get("description", details.get("text"))
                found.append(f"exception: {text}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if url != page_url and not url.startswith("data:"):
                    found.append(f"request: {url}")
            elif method == "Network.loadingFailed":
                found.append(f"failed load: {params.get('errorText')}")
        return found

    def close(self) -> None:
        # The browser may already be gone; closing is then done.
        with contextlib.suppress(EOFError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture
def browser(chromium: str, tmp_path: Path):
    opened = Browser(chromium, tmp_path / "profile")
    yield opened
    opened.close()


def test_the_harness_catches_what_it_must(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><title>t</title><script>console.error('boom'); missing();</script>"
        '<img src="https://example.invalid/x.png">',
        encoding="utf-8",
    )
    url = page.as_uri()
    browser.open(url)
    problems = "\n".join(browser.problems(url))
    assert "console.error: boom" in problems
    assert "exception: ReferenceError: missing is not defined" in problems
    assert "request: https://example.invalid/x.png" in problems


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report_study")
    simulate_study(root, seed=20261121, n_plates=9, bad_share=0.0)
    quick_classification(root)
    (root / "resources" / "plates" / "notes.csv").write_text("who,what\nanna,wash\n")
    (root / "config" / "exclusions.tsv").write_text(
        "level\tplate_id\twell\tanalyte\treason\twho\twhen\n"
        f"well\tluminex_4plex_P1\tC5\t\t{XSS}\t<b>lab</b>\t2025-06-20\n"
        "plate\tno_such_plate\t\t\ttypo\tlab\t2025-06-21\n",
        encoding="utf-8",
    )
    result = run_workflow(root, "results/report.html")
    assert result.returncode == 0, result.stderr[-4000:]
    return root


@pytest.mark.slow
def test_report_reads_well_in_a_browser(study: Path, browser: Browser) -> None:
    report = study / "results" / "report.html"
    url = report.as_uri()
    browser.open(url)

    assert browser.problems(url) == []
    sections = browser.evaluate("[...document.querySelectorAll('section')].map(s => s.id)")
    assert sections == [key for key, _ in SECTIONS]
    for key, title in SECTIONS:
        heading = browser.evaluate(f"document.querySelector('#{key} h2').textContent")
        assert heading == title

    verdicts = pd.read_parquet(study / "results" / "qc_verdicts.parquet")
    wells = pd.read_parquet(study / "results" / "wells.parquet")
    pairs = browser.evaluate(
        "[...document.querySelectorAll('figure.curve')]"
        ".map(f => f.dataset.plate + '|' + f.dataset.analyte)"
    )
    expected = {f"{p}|{a}" for p, a in wells[["plate_id", "analyte"]].drop_duplicates().values}
    assert len(pairs) == len(expected) == len(verdicts)
    assert set(pairs) == expected
    # every figure decoded and drawn: a broken data URI has no natural width
    widths = browser.evaluate("[...document.images].map(i => i.naturalWidth)")
    assert len(widths) >= len(expected) and min(widths) > 100

    # a plate map per plate read (the demo has fewer than report.plate_maps), decoded
    maps = browser.evaluate(
        "[...document.querySelectorAll('#plates figure.platemap img')].map(i => i.naturalWidth)"
    )
    assert len(maps) == wells["plate_id"].nunique() and min(maps) > 200
    assert browser.evaluate("document.querySelector('nav a[href=\"#plates\"]') !== null")

    assert browser.evaluate("document.scripts.length") == 0
    exclusions = browser.evaluate("document.querySelector('#exclusions').textContent")
    assert XSS in exclusions and "<b>lab</b>" in exclusions
    assert "match no well" in exclusions
    rejected = browser.evaluate("document.querySelector('#summary').textContent")
    assert "notes.csv" in rejected
    # The statistics: a table per analysis given to the report, and the correlation figures.
    headings = browser.evaluate(
        "[...document.querySelectorAll('#prepost h3')].map(h => h.textContent)"
    )
    given = ["prepost", "prepost_groups", "response_change", "correlations_pairs"]
    stats = pd.concat(pd.read_parquet(study / "results" / "stats" / f"{g}.parquet") for g in given)
    assert headings == [*dict.fromkeys(stats["analysis"]), "Correlations"]
    tables = browser.evaluate("document.querySelectorAll('#prepost tbody tr').length")
    assert tables == len(stats)
    correlations = browser.evaluate(
        "[...document.querySelectorAll('#prepost figure.correlation img')].map(i => i.naturalWidth)"
    )
    figures = sorted((study / "results" / "figures").glob("correlation_*.png"))
    assert len(correlations) == len(figures) >= 1 and min(correlations) > 100

    shot = study / "results" / "report_screenshot.png"
    browser.screenshot(shot)
    assert shot.stat().st_size > 50_000
    keep = os.environ.get("ASSAYPIPE_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)


def test_snakemake_report_has_the_qc_figures_with_captions(study: Path) -> None:
    # Snakemake's own report of the same run: the QC page and every curve figure under
    # the categories the rules declare, with no reStructuredText warnings.
    archive = study / "results" / "snakemake_report.zip"
    finished = run_workflow(study)  # the fixture made report.html; the report needs all
    assert finished.returncode == 0, finished.stderr[-4000:]
    result = run_workflow(study, "--report", str(archive))
    assert result.returncode == 0, result.stderr[-4000:]
    # docutils' messages about the captions, e.g. "(WARNING/2) Duplicate explicit target"
    assert "(WARNING/" not in result.stderr and "(ERROR/" not in result.stderr
    with zipfile.ZipFile(archive) as bundle:
        page = bundle.read(f"{archive.stem}/report.html").decode()
    found = re.search(r"var categories = (\{.*?\});?\n", page)
    assert found is not None
    categories = json.loads(found.group(1))
    wells = pd.read_parquet(study / "results" / "wells.parquet")
    pairs = wells[["plate_id", "analyte"]].drop_duplicates()
    curves = categories["Quality control"]["Standard curves"]
    assert len(curves) == len(pairs)
    assert "results/report.html" in categories["Quality control"]["Other"]
    assert categories["Quality control"]["Levey-Jennings"]
    assert len(categories["Quality control"]["Plate maps"]) == wells["plate_id"].nunique()
    assert "results/figures/prepost_by_response.png" in categories["Study statistics"]["Other"]


# The lines an element's text takes: its text and boxes' rectangles, grouped into lines
# (a rectangle starting below half the height of the line before starts a new one). A
# badge or a name on one line gives 1; one broken mid-word gives 2 or more.
LINES_OF = """
(el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0)
    .sort((a, b) => a.top - b.top);
  let lines = 0, top = -Infinity, height = 0;
  for (const r of rects) {
    if (r.top >= top + height / 2) { lines += 1; top = r.top; height = r.height; }
  }
  return lines;
})
"""

LONG_PLATES = (
    "luminex_4plex_2025-06-20_batch_A_rerun_after_bead_clumping",
    "luminex_4plex_2025-06-21_batch_B",
)


@pytest.fixture(scope="module")
def wide_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of 61 analytes on two plates with long names, one of them failing."""
    analytes = [f"analyte_{i:02d}_{'x' * (i % 7)}" for i in range(61)]
    parts = [
        make_plate(plate, analyte=analyte, run_time=f"2025-06-2{k}", bead_count=90 if k else 20)
        for k, plate in enumerate(LONG_PLATES)
        for analyte in analytes
    ]
    inputs = inputs_for(*joined(*parts), curve_figures=4)
    root = tmp_path_factory.mktemp("wide_report")
    return write_report(root / "report.html", build_report(inputs))


@pytest.mark.slow
def test_a_wide_report_keeps_badges_and_names_whole(
    wide_report: Path, browser: Browser, tmp_path: Path
) -> None:
    url = wide_report.as_uri()
    browser.resize(1280, 900)
    browser.open(url)
    assert browser.problems(url) == []

    badges = browser.evaluate(
        f"[...document.querySelectorAll('.badge')].map(b => [b.textContent, ({LINES_OF})(b)])"
    )
    assert len(badges) > 2 * 61, len(badges)
    broken = [text for text, lines in badges if lines != 1]
    assert broken == []
    # Every table cell but long free text (names, numbers, statuses, a matrix cell's
    # badges) and every plate heading is on one line.
    broken_cells = browser.evaluate(
        "[...document.querySelectorAll('td:not(.text), article.plate h3')]"
        f".filter(e => ({LINES_OF})(e) > 1).map(e => e.textContent)"
    )
    assert broken_cells == []
    plates = browser.evaluate(
        "[...document.querySelectorAll('table.matrix td:first-child')].map(e => e.textContent)"
    )
    assert plates == list(LONG_PLATES)

    # The matrix scrolls inside its wrapper; the page itself is no wider than the window.
    matrix = browser.evaluate(
        "(() => { const w = document.querySelector('#verdicts div.scroll');"
        " return [w.scrollWidth, w.clientWidth, document.documentElement.scrollWidth,"
        " window.innerWidth]; })()"
    )
    assert matrix[0] > matrix[1] and matrix[2] <= matrix[3], matrix
    # a badge is as wide as its text: not squeezed to a letter per line
    narrowest = browser.evaluate(
        "Math.min(...[...document.querySelectorAll('table.matrix .badge')]"
        ".map(b => b.getBoundingClientRect().width))"
    )
    assert narrowest >= 30, narrowest

    top = tmp_path / "wide_report_top.png"
    browser.screenshot(top, 1280, 900)
    # Scrolled to the last section, the navigation is still at the top of the window.
    browser.evaluate("document.querySelector('#rules').scrollIntoView()")
    nav = browser.evaluate(
        "(() => { const r = document.querySelector('nav').getBoundingClientRect();"
        " return [window.scrollY, r.top, r.height]; })()"
    )
    assert nav[0] > 1000 and nav[1] == 0 and nav[2] > 10, nav
    scrolled = tmp_path / "wide_report_scrolled.png"
    shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=True)
    scrolled.write_bytes(base64.b64decode(shot["data"]))

    # Printed: no navigation, the tables whole (no scrolling box), rows and figures
    # kept on one page each.
    browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=True)
    printed = browser.evaluate(
        "(() => { const s = e => getComputedStyle(document.querySelector(e));"
        " return [s('nav').display, s('div.scroll').overflowX, s('tr').breakInside,"
        " s('figure.curve').breakInside]; })()"
    )
    assert printed == ["none", "visible", "avoid", "avoid"], printed
    pdf = browser.call("Page.printToPDF", {"printBackground": True}, session=True)
    printout = tmp_path / "wide_report.pdf"
    printout.write_bytes(base64.b64decode(pdf["data"]))
    for path in (top, scrolled, printout):
        assert path.stat().st_size > 20_000, path
    print("screenshots:", top, scrolled, printout)
