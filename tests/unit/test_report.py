"""The report page: sections, one curve per plate x analyte, self-contained, escaped."""

from __future__ import annotations

import base64
import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from assaypipe import tables
from assaypipe.curves import predict
from assaypipe.exclusions import exclusion_table, included_samples
from assaypipe.figure_text import file_stem
from assaypipe.figures_stats import plot_correlation
from assaypipe.qc import run_qc
from assaypipe.qc.levey_jennings import levey_jennings
from assaypipe.report import (
    SECTIONS,
    FigureCache,
    ReportInputs,
    build_report,
    load_inputs,
    statistics_inputs,
)
from assaypipe.report.figure_cache import FigureRequest, figure_key
from assaypipe.report.figures import (
    CURVE_DPI,
    CURVE_SIZE,
    MAX_LJ_LABELS,
    curve_figure,
    levey_jennings_figure,
    png_bytes,
    prepost_figure,
)
from assaypipe.report.html import Html, anchor, escape, table, tag
from assaypipe.report.plate_maps import PlateMaps
from assaypipe.report.sections.plates import _map_png
from assaypipe.settings import Settings
from assaypipe.stats import prepost
from tests import oddities
from tests.unit.test_qc import PARAMS, QC, SETTINGS, WELL_NAMES, make_plate, study
from tests.unit.test_stats import GROUPS, SMALL

XSS = "<script>alert(1)</script>"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


def inputs_for(wells, curves, plates, manual=None, **options) -> ReportInputs:
    result = run_qc(wells, curves, plates, SETTINGS)
    manual = (
        manual
        if manual is not None
        else pd.DataFrame(
            columns=["level", "plate_id", "well", "analyte", "reason", "who", "when", "line"]
        )
    )
    exclusions = exclusion_table(wells, result.verdicts, manual)
    sheet = pd.DataFrame(
        {
            "sample_id": sorted(set(wells["sample_id"].dropna())),
        }
    ).assign(subject_id=lambda f: f["sample_id"], visit="baseline", matrix="CSF")
    rejected = pd.DataFrame(
        [
            {
                "source_file": "resources/plates/bad.csv",
                "where": "line 3",
                "reason": "resources/plates/bad.csv: line 3: expected a Median block",
            }
        ]
    )
    return ReportInputs(
        wells=wells,
        curves=curves,
        plates=plates,
        rejected=tables.REJECTED.validate(rejected),
        qc=result.qc,
        verdicts=result.verdicts,
        levey_jennings=result.levey_jennings,
        exclusions=exclusions,
        samples=included_samples(wells, curves, sheet, exclusions),
        settings=Settings.from_config(
            {"qc": {**QC, "exclude_failing": True, "westgard": ["1-2s", "1-3s"]}}
        ),
        display={"TGFB2": "TGF-β2"},
        **options,
    )


@pytest.fixture(scope="module")
def three_plates():
    return study(
        make_plate("P1", run_time="2025-01-01"),
        make_plate("P1", analyte="TGFB2", run_time="2025-01-01"),
        make_plate("P2", run_time="2025-01-02"),
        make_plate("P3", run_time="2025-01-03", control_factor=1.02),
    )


def test_every_section_in_order_and_one_curve_per_plate_x_analyte(three_plates, tmp_path):
    page = build_report(
        inputs_for(*three_plates),
        {"curves": tmp_path / "curves", "levey_jennings": tmp_path / "lj"},
    )
    elements = parse(page)
    ids = [attrs.get("id") for name, attrs in elements.tags if name == "section"]
    assert ids == [key for key, _ in SECTIONS]
    curves = [attrs for name, attrs in elements.tags if name == "figure"]
    curves = [a for a in curves if "curve" in str(a.get("class"))]
    pairs = {(a["data-plate"], a["data-analyte"]) for a in curves}
    assert len(curves) == 4
    assert pairs == {("P1", "CCL2"), ("P1", "TGFB2"), ("P2", "CCL2"), ("P3", "CCL2")}
    assert len(list((tmp_path / "curves").glob("*.png"))) == 4
    # three CCL2 plates make a chart; TGF-β2 has one plate, listed without a chart
    assert [p.name for p in (tmp_path / "lj").glob("*.png")] == [file_stem("CCL2") + ".png"]
    assert "TGF-β2" in page


def test_the_page_loads_nothing_and_runs_nothing(three_plates):
    page = build_report(inputs_for(*three_plates))
    elements = parse(page)
    names = [name for name, _ in elements.tags]
    assert "script" not in names
    assert "iframe" not in names
    for name, attrs in elements.tags:
        for key in ("src", "href"):
            value = attrs.get(key)
            if value is not None and not (name == "a" and value.startswith("#")):
                assert value.startswith("data:"), (name, key, value[:40])
    assert not re.search(r"https?://", page)
    assert "Content-Security-Policy" in page


def test_text_from_inputs_is_escaped_wherever_it_is_shown(three_plates, tmp_path):
    wells, curves, plates = (frame.copy() for frame in three_plates)
    # A sample named like a script, with replicates far apart so the replicate CV
    # check names it; the same text as a manual exclusion's reason and who.
    s01 = wells["sample_id"] == "S01"
    wells.loc[s01, ["sample_id", "sample_name"]] = XSS
    noisy = wells.index[s01 & (wells["plate_id"] == "P1") & (wells["analyte"] == "CCL2")][1]
    wells.loc[noisy, "concentration"] = wells.loc[noisy, "concentration"] * 3
    manual = pd.DataFrame(
        [
            {
                "level": "plate",
                "plate_id": "P2",
                "well": "",
                "analyte": "",
                "reason": XSS,
                "who": '"><img src=x onerror=alert(2)>',
                "when": "2025-01-05",
                "line": 2,
            }
        ]
    )
    plates.at[plates.index[0], "warnings"] = [f"line 3: the header names {XSS}"]
    # Text of a rejected file, a skipped file and a sheet check, as their readers give it.
    inputs = inputs_for(wells, curves, plates, manual=manual)
    inputs.rejected = tables.REJECTED.validate(
        pd.DataFrame([{"source_file": "bad.csv", "where": "line 3", "reason": f"found {XSS}"}])
    )
    inputs.skipped = tables.SKIPPED.validate(
        pd.DataFrame([{"source_file": "notes.txt", "reason": f"starts with {XSS}"}])
    )
    inputs.sheet_checks = tables.SHEET_CHECKS.validate(
        pd.DataFrame(
            [
                {
                    "check": "unknown_analyte",
                    "name": XSS,
                    "where": "plate P2",
                    "detail": "not in config/analytes.tsv",
                    "n_wells": 96,
                }
            ]
        )
    )
    page = build_report(inputs)
    assert XSS not in page
    assert "<img src=x" not in page
    text = "".join(parse(page).text)
    assert XSS in text  # shown to the reader as written
    assert "script" not in [name for name, _ in parse(page).tags]
    # escaped in every section that shows it (each section is its own module)
    for key in ("summary", "plates", "curves", "exclusions", "sheets"):
        section = page.split(f'<section id="{key}">', 1)[1].split("</section>", 1)[0]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section, key


def test_plate_warnings_are_listed_with_their_plate(three_plates):
    wells, curves, plates = (frame.copy() for frame in three_plates)
    odd = ["line 7: the Samples line says 96, the block names 4"]
    plates = plates.drop_duplicates("plate_id").reset_index(drop=True)  # one row per plate
    plates["warnings"] = [odd if p == "P2" else [] for p in plates["plate_id"]]
    page = build_report(inputs_for(wells, curves, plates))
    section = page.split('<section id="plates">', 1)[1].split("</section>", 1)[0]
    assert "3 plates read, 1 with warnings" in section
    row = next(r for r in section.split("<tr") if "the Samples line says 96" in r)
    assert "<td>P2</td>" in row and 'class="warn"' in row
    summary = page.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert "1 with warnings; 1 files rejected" in summary
    # the rejected file's row: its file, then each reason alone with its places
    assert (
        "<td>resources/plates/bad.csv</td><td>file rejected</td>"
        '<td class="text"><ul><li>expected a Median block (1: line 3)</li></ul></td>' in summary
    )


def test_prepost_uses_the_statistics_figure_when_given(three_plates, tmp_path):
    figure = tmp_path / "prepost_by_response.png"
    figure.write_bytes(
        png_bytes(prepost_figure(pd.DataFrame(columns=["analyte", "pre", "post"]), [], {}))
    )
    page = build_report(inputs_for(*three_plates, prepost_figure=figure))
    section = page.split('id="prepost"', 1)[1].split("</section>", 1)[0]
    assert "prepost_by_response.png" in section
    assert section.count("<img") == 1


def test_prepost_draws_its_own_paired_plot_otherwise(three_plates):
    inputs = inputs_for(*three_plates)
    samples = inputs.samples.copy()
    post = samples.assign(
        sample_id=samples["sample_id"] + "-post",
        visit="post",
        concentration=samples["concentration"] * 0.8,
    )
    inputs.samples = pd.concat([samples, post], ignore_index=True)
    section = build_report(inputs).split('id="prepost"', 1)[1].split("</section>", 1)[0]
    assert section.count("<img") == 1
    assert "medians" in section
    inputs.samples = samples
    section = build_report(inputs).split('id="prepost"', 1)[1].split("</section>", 1)[0]
    assert "No subject has both" in section


def test_failing_and_excluded_pairs_are_marked(three_plates):
    wells, curves, plates = (frame.copy() for frame in three_plates)
    broken = (
        (wells["plate_id"] == "P2") & (wells["role"] == "standard") & wells["level"].isin([2, 3])
    )
    wells.loc[broken, "signal"] = wells.loc[broken, "signal"] * 1.8
    page = build_report(inputs_for(wells, curves, plates))
    matrix = page.split('id="verdicts"', 1)[1].split("</section>", 1)[0]
    assert matrix.count('class="badge fail"') == 1
    assert matrix.count("excluded") >= 2  # the note and the P2 cell
    exclusions = page.split('id="exclusions"', 1)[1].split("</section>", 1)[0]
    assert "QC fail: calibrators_passing" in exclusions
    findings = page.split('id="findings"', 1)[1].split("</section>", 1)[0]
    assert "calibrators_passing" in findings


def test_html_helpers_escape_and_keep_markup():
    assert escape(XSS) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert escape(Html("<b>x</b>")) == "<b>x</b>"
    assert tag("a", "x", href='"><b>', data_plate="P 1") == (
        '<a href="&quot;&gt;&lt;b&gt;" data-plate="P 1">x</a>'
    )
    assert "<td>&lt;i&gt;</td>" in table(["c"], [["<i>"]])
    assert escape(float("nan")) == ""
    assert anchor("curve", "P 1", "<x>") == "curve-P_20_1-_3c_x_3e_"


def test_figure_bytes_are_reproducible(three_plates):
    pairs = pd.DataFrame({"analyte": ["CCL2"], "subject_id": ["A"], "pre": [1.0], "post": [2.0]})
    first = png_bytes(prepost_figure(pairs, ["CCL2"], {}))
    assert first == png_bytes(prepost_figure(pairs, ["CCL2"], {}))
    assert first[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_page_is_written(tmp_path, three_plates):
    from assaypipe.report import write_report

    path = write_report(tmp_path / "out" / "report.html", build_report(inputs_for(*three_plates)))
    assert Path(path).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_past_the_figure_budget_the_pairs_needing_a_look_are_drawn_first(three_plates, tmp_path):
    wells, curves, plates = (frame.copy() for frame in three_plates)
    broken = (
        (wells["plate_id"] == "P2") & (wells["role"] == "standard") & wells["level"].isin([2, 3])
    )
    wells.loc[broken, "signal"] = wells.loc[broken, "signal"] * 1.8  # P2 CCL2 fails QC
    inputs = inputs_for(wells, curves, plates, curve_figures=2)
    page = build_report(inputs, {"curves": tmp_path / "curves", "levey_jennings": tmp_path / "lj"})
    drawn = sorted(p.name for p in (tmp_path / "curves").glob("*.png"))
    assert len(drawn) == 2
    # the failing pair first, then the first passing one in run order
    assert any("P2" in name and "CCL2" in name for name in drawn)
    assert any("P1" in name and "CCL2" in name for name in drawn)
    assert "2 of 4 plate × analyte curves are drawn" in page
    assert page.count("figure not drawn (report.curve_figures)") == 2
    # every pair still has its entry with its facts
    figures = [attrs for name, attrs in parse(page).tags if name == "figure"]
    assert len([a for a in figures if "curve" in str(a.get("class"))]) == 4
    # only the drawn pairs carry the table of all their checks (the rest are in qc.parquet)
    assert page.count("<summary>all ") == 2


def test_plate_and_analyte_exclusions_mark_every_pair_they_cover(three_plates):
    # a plate-level exclusion (any analyte) and an analyte-level one (any plate)
    manual = pd.DataFrame(
        [
            {"level": "plate", "plate_id": "P2", "well": "", "analyte": "", "reason": "spill",
             "who": "lab", "when": "2025-01-05", "line": 2},
            {"level": "analyte", "plate_id": "", "well": "", "analyte": "TGFB2",
             "reason": "kit recall", "who": "lab", "when": "2025-01-06", "line": 3},
        ]
    )  # fmt: skip
    page = build_report(inputs_for(*three_plates, manual=manual))
    curves = page.split('id="curves"', 1)[1].split("</section>", 1)[0]
    marked = sorted(
        (attrs["data-plate"], attrs["data-analyte"])
        for figure in curves.split("<figure")[1:]
        if 'class="badge excluded"' in figure
        for name, attrs in parse("<figure" + figure.split(">", 1)[0] + ">").tags
    )
    assert marked == [("P1", "TGFB2"), ("P2", "CCL2")]


@pytest.mark.parametrize("flagged", [3, MAX_LJ_LABELS + 20])
def test_levey_jennings_names_the_rules_of_a_few_flagged_points_and_counts_many(flagged):
    n = 200
    status = ["fail" if i % 3 == 0 and i // 3 < flagged else "pass" for i in range(n)]
    series = pd.DataFrame(
        {
            "series": "Control1",
            "kind": "control",
            "plate_id": [f"P{i}" for i in range(n)],
            "run_index": range(n),
            "value": [10.0 + (5 if s == "fail" else 0) for s in status],
            "guide": [i < 20 for i in range(n)],
            "mean": 10.0,
            "sd": 1.0,
            "rules": ["1-3s" if s == "fail" else "" for s in status],
            "status": status,
        }
    )
    figure = levey_jennings_figure(series, [f"P{i}" for i in range(n)])
    texts = [text.get_text() for text in figure.axes[0].texts]
    if flagged <= MAX_LJ_LABELS:
        assert texts == ["1-3s"] * flagged
    else:
        # beyond the limit the points stay marked and one line says where the rules are
        assert texts == [f"{flagged} points flagged: their rules are in the table below"]
        assert len(figure.axes[0].collections[-1].get_offsets()) == flagged


def test_curves_show_the_vendors_concentrations_beside_ours(no_settle):
    # The fixture's Result block (set by hand): CCL2 of A2 (S01-BL, dilution 2) is
    # 121.2, per sample as xPONENT writes it
    from assaypipe.pipeline import process_chunk
    from assaypipe.sheets import read_aliases
    from tests.conftest import REPO

    export = REPO / "tests" / "data" / "exports" / "xponent/xponent31_2plex_resaved.csv"
    result = process_chunk(
        [{"plate_id": "P1", "export": str(export), "plate_map": None}],
        pd.DataFrame(columns=["sample_id", "subject_id", "visit", "matrix"]),
        read_aliases(REPO / "config" / "analytes.tsv"),
        chunk="chunk0",
    )
    page = build_report(
        inputs_for(result.wells, result.curves, result.plates, vendor=result.vendor)
    )
    text = "".join(parse(page).text)
    assert "vs xPONENT's own concentrations: 8 wells" in text
    assert "assaypipe vs xPONENT, per sample (pg/mL)" in text
    ours = result.wells.set_index(["analyte", "well"]).loc[("CCL2", "A2"), "concentration"]
    row = re.search(r"<td>A2</td><td>sample</td><td>([^<]+)</td><td>([^<]+)</td>", page)
    assert row is not None and row.groups() == (f"{ours:.4g}", "121.2")
    # without the vendor's table the page has no comparison
    plain = build_report(inputs_for(result.wells, result.curves, result.plates))
    assert "vs xPONENT's own" not in plain


# -- what real files bring (tests/oddities.py) ---------------------------------------------


def report_of(stages, tmp_path: Path | None = None) -> str:
    inputs = ReportInputs(
        wells=stages.wells,
        curves=stages.curves,
        plates=stages.plates,
        rejected=tables.empty(tables.REJECTED),
        qc=stages.qc.qc,
        verdicts=stages.qc.verdicts,
        levey_jennings=stages.qc.levey_jennings,
        exclusions=stages.exclusions,
        samples=stages.included,
        settings=SETTINGS,
    )
    folders = None
    if tmp_path is not None:
        folders = {kind: tmp_path / kind for kind in ("curves", "levey_jennings", "prepost")}
    return build_report(inputs, folders)


def curve_texts(standards: pd.DataFrame, others: pd.DataFrame | None = None):
    others = (
        others if others is not None else pd.DataFrame(columns=["role", "concentration", "signal"])
    )
    figure = curve_figure(standards, None, {}, others, "OD450")
    png_bytes(figure)  # draws it: a scale that cannot be drawn raises here
    ax = figure.axes[0]
    return [t.get_text() for t in ax.texts], ax.get_yscale()


def standards(conc, signal) -> pd.DataFrame:
    return pd.DataFrame({"expected_conc": conc, "signal": signal, "fitted": False})


@pytest.mark.parametrize(
    ("conc", "signal", "note"),
    [
        ([], [], "No standard wells for this analyte on this plate:\nno curve to draw."),
        (
            [100.0, 10.0],
            [np.nan, np.nan],
            "2 standard well(s), but no standard well has a signal:\nno curve to draw.",
        ),
        (
            [0.0, np.nan],
            [1.0, 2.0],
            "2 standard well(s), but no standard well has an expected concentration above 0:"
            "\nno curve to draw.",
        ),
    ],
)
def test_a_curve_figure_with_no_standard_to_draw_says_why(conc, signal, note):
    texts, yscale = curve_texts(standards(conc, signal))
    assert texts == [note]
    assert yscale == "linear"


def test_a_curve_figure_with_no_positive_signal_draws_a_linear_signal_axis():
    texts, yscale = curve_texts(standards([100.0, 10.0], [-0.2, 0.0]))
    assert texts == [] and yscale == "linear"
    texts, yscale = curve_texts(standards([100.0, 10.0], [0.9, 0.2]))
    assert texts == [] and yscale == "log"


# -- what a curve figure shows --------------------------------------------------------

LEVELS = np.array([5.0, 15.0, 45.0, 135.0, 405.0, 1215.0, 3645.0])


def curve_with(limits, recovery_ok=None, fitted=None):
    """A curve figure of seven standards on PARAMS, drawn (so its texts have a place)."""
    points = pd.DataFrame(
        {
            "expected_conc": LEVELS,
            "signal": predict(PARAMS, LEVELS),
            "fitted": fitted if fitted is not None else True,
            "recovery_ok": recovery_ok if recovery_ok is not None else True,
        }
    )
    others = pd.DataFrame(columns=["role", "concentration", "signal"])
    figure = curve_figure(points, PARAMS, limits, others, "MFI", "pg/mL")
    png = png_bytes(figure)
    return figure, png


def test_standards_out_of_recovery_and_left_out_have_their_own_marker_and_legend_entry():
    figure, _ = curve_with(
        {"lloq": 5.0, "uloq": 3645.0},
        recovery_ok=[True, False, True, True, True, True, True],
        fitted=[True, True, True, False, True, True, True],
    )
    ax = figure.axes[0]
    scatters = {c.get_label(): c for c in ax.collections}
    kinds = ["standard", "recovery out of limits", "left out (masked, flagged)"]
    assert set(kinds) <= set(scatters)
    offsets = {k: scatters[k].get_offsets()[:, 0].tolist() for k in kinds}
    assert offsets == {
        "standard": [5.0, 45.0, 405.0, 1215.0, 3645.0],
        "recovery out of limits": [15.0],
        "left out (masked, flagged)": [135.0],
    }
    # three different marker shapes (the path each point is drawn with)
    shapes = [scatters[k].get_paths()[0].vertices.round(3).tobytes() for k in kinds]
    assert len(set(shapes)) == 3
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(kinds) <= set(legend)


@pytest.mark.parametrize(
    "limits",
    [
        {"lod": 4.0, "lloq": 5.0, "uloq": 6.0},  # all three within a label's width
        {"lod": 2.0, "lloq": 5.0, "uloq": 3645.0},
        {"lod": 5.0, "lloq": 5.0, "uloq": 3645.0},  # LOD at the LLOQ
    ],
)
def test_limit_labels_never_overlap_and_stay_in_the_figure(limits):
    figure, _ = curve_with(limits)
    renderer = FigureCanvasAgg(figure).get_renderer()
    labels = {t.get_text(): t.get_window_extent(renderer) for t in figure.axes[0].texts}
    assert set(labels) == {"LOD", "LLOQ", "ULOQ"}
    boxes = list(labels.values())
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            assert not first.overlaps(second), labels
    page = figure.bbox
    for box in boxes:
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1


def shown_width() -> float:
    """The width (CSS px) the page shows a curve figure at: figure.curve's width less its
    padding and border (box-sizing: border-box)."""
    css = (Path(__file__).parents[2] / "src/assaypipe/report/templates/report.css").read_text()
    rule = re.search(r"figure\.curve \{([^}]*)\}", css).group(1)
    width = float(re.search(r"(?<![-\w])width: (\d+)px", rule).group(1))
    padding = float(re.search(r"padding: (\d+)px", rule).group(1))
    border = float(re.search(r"border: (\d+)px", rule).group(1))
    return width - 2 * padding - 2 * border


def test_curve_figure_text_is_at_least_10_px_at_the_size_the_page_shows_it():
    figure, png = curve_with({"lod": 2.0, "lloq": 5.0, "uloq": 3645.0})
    # The PNG's own width, from its header (IHDR), against the width it is shown at.
    natural = int.from_bytes(png[16:20], "big")
    assert natural == round(CURVE_SIZE[0] * CURVE_DPI)
    scale = shown_width() / natural
    assert 0.95 <= scale <= 1.05  # shown at about its own size, neither blurred nor shrunk
    texts = [
        t
        for t in figure.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
        if t.get_visible() and t.get_text().strip()
    ]
    assert len(texts) > 10  # ticks, axis labels, legend, limits
    smallest = min(t.get_fontsize() for t in texts) * CURVE_DPI / 72 * scale
    assert smallest >= 10, smallest


# Every figure file the report writes: a short safe name and a hash, inside its folder.
SAFE_FIGURE = re.compile(r"^[A-Za-z0-9_-]{1,90}-[0-9a-f]{10}\.png$")


@pytest.mark.parametrize(
    "case", ["no_standards", "no_signal", "no_positive_signal", "single_well", "unassigned"]
)
def test_the_report_shows_a_plate_without_a_usable_curve_with_its_reasons(case, tmp_path):
    stages = oddities.run_stages(
        pd.concat([oddities.odd_plate("clean", "P1"), oddities.odd_plate(case, "P2")])
    )
    page = report_of(stages, tmp_path)
    figures = [a for n, a in parse(page).tags if n == "figure" and "curve" in str(a.get("class"))]
    assert [(a["data-plate"], a["data-analyte"]) for a in figures] == [
        ("P1", "CCL2"),
        ("P2", "CCL2"),
    ]
    reasons = stages.curves.loc[stages.curves["selected"], "reasons"].iloc[1]
    assert escape(f"{oddities.NO_CURVE_CASES[case]}: {reasons}") in page
    assert len(list((tmp_path / "curves").iterdir())) == 2


@pytest.mark.parametrize("label", list(oddities.ODD_NAMES))
def test_odd_names_are_escaped_on_the_page_and_never_a_figure_path(label, tmp_path):
    name = oddities.ODD_NAMES[label]
    plates = [oddities.odd_plate("clean", f"P{i}") for i in range(1, 4)]  # Levey-Jennings
    wells = pd.concat(
        [oddities.renamed(p, analyte=name) for p in plates]
        + [oddities.renamed(plates[0], plate_id=name)]
    )
    page = report_of(oddities.run_stages(oddities.odd_sample_ids(wells)), tmp_path / "out")
    assert escape(name) in page
    if name != escape(name):
        assert name not in page
    written = sorted((tmp_path / "out").rglob("*.png"))
    assert tmp_path / "out" / "prepost" / "prepost.png" in written  # a fixed name
    written = [p for p in written if p.parent.name != "prepost"]
    assert len(written) == 5  # four curves, one Levey-Jennings chart
    for path in written:
        assert path.parent.parent == tmp_path / "out"
        assert SAFE_FIGURE.match(path.name), path.name
    assert len({p.name for p in written}) == 5


def test_sheet_checks_are_listed_with_their_places(three_plates):
    findings = tables.SHEET_CHECKS.validate(
        pd.DataFrame(
            {
                "check": ["unknown_analyte", "sample_on_no_plate"],
                "name": ["<b>MPC-1</b>", "S9-BL"],
                "where": ["plate P2", "config/samples.tsv"],
                "detail": ["not in config/analytes.tsv", "no plate holds this sample"],
                "n_wells": [96, 0],
            }
        )
    )
    page = build_report(inputs_for(*three_plates, sheet_checks=findings))
    section = page.split('<section id="sheets">', 1)[1].split("</section>", 1)[0]
    assert "1 unknown analyte, 1 sample on no plate" in section
    assert '<td>&lt;b&gt;MPC-1&lt;/b&gt;</td><td class="text">plate P2</td>' in section
    clean = build_report(inputs_for(*three_plates))
    assert "The sheets and the plates agree." in clean


def test_the_statistics_section_has_a_table_per_analysis_and_the_correlation_figures(
    three_plates, tmp_path
):

    from assaypipe.stats.frames import mark_primary, note_lost

    lost = {"GONE": "all plates failed QC"}
    stats = prepost(SMALL, groups=GROUPS, expected=list(lost))
    stats = mark_primary(note_lost(stats, lost), "prepost", "all")
    stats.loc[0, "analyte"] = XSS  # text from a plate, shown as text
    figure = tmp_path / "correlation_CCL2_vs_IL8.png"
    plot_correlation(SMALL, "CCL2", "IL8", [figure])
    page = build_report(inputs_for(*three_plates, stats=stats, correlation_figures=[str(figure)]))
    section = page.split('<section id="prepost">', 1)[1].split("</section>", 1)[0]
    analyses = list(dict.fromkeys(stats["analysis"]))
    headings = re.findall(r"<h3>([^<]*)</h3>", section)
    assert headings == [*analyses, "Correlations"]
    header = "".join(
        f"<th>{c}</th>"
        for c in [
            "analyte",
            "group",
            "n",
            "estimate",
            "CI",
            "unit",
            "p",
            "q",
            "family",
            "method",
            "note",
        ]
    )
    assert section.count(header) == len(analyses)
    # the declared family, what was lost and why, and which p the figure shows
    assert "Primary family (stats.primary_family): prepost [all];" in section
    assert "Lost: no estimate for GONE (GONE: all plates failed QC)." in section
    assert "<td>GONE: all plates failed QC</td>" in section or (
        ">GONE: all plates failed QC</td>" in section
    )
    assert "cluster-robust by subject" in section
    assert (
        "q within: prepost [all]: 3 tests; prepost [nonresponder]: 3 tests; "
        "prepost [responder]: 3 tests." in section
    )
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1])
    assert len(section.split("<tbody>")) - 1 == len(analyses)
    first = stats.iloc[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0])
    assert cells[0] == escape(XSS)
    assert cells[2] == str(first["n"])
    assert cells[3] == f"{first['estimate']:.4g}"
    assert cells[4] == f"{first['ci_low']:.4g} to {first['ci_high']:.4g}"
    assert cells[6] == f"{first['p']:.2g}" and cells[7] == f"{first['q']:.2g}"
    assert cells[8] == "primary" and cells[10] == ""
    assert XSS not in page
    # the correlation figure embedded, the file's bytes as they are
    embedded = base64.b64encode(figure.read_bytes()).decode("ascii")
    assert f'src="data:image/png;base64,{embedded}"' in section


def test_load_inputs_reads_the_optional_statistics_and_figures(three_plates, tmp_path):

    base = inputs_for(*three_plates)
    paths = {}
    for key in ("wells", "curves", "plates", "rejected", "qc", "verdicts"):
        paths[key] = tmp_path / f"{key}.parquet"
        getattr(base, key).to_parquet(paths[key])
    for key in ("levey_jennings", "exclusions", "samples"):
        paths[key] = tmp_path / f"{key}.parquet"
        getattr(base, key).to_parquet(paths[key])
    without = load_inputs(paths)
    assert without.stats.empty and list(without.correlation_figures) == []
    stats = prepost(SMALL, groups=GROUPS)
    halves = [stats.iloc[:2], stats.iloc[2:]]
    paths["stats"] = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    for half, path in zip(halves, paths["stats"], strict=True):
        half.to_parquet(path)
    paths["correlations"] = str(tmp_path / "correlation_x_vs_y.png")
    given = load_inputs(paths)
    assert len(given.stats) == len(stats)
    assert given.stats["analyte"].tolist() == stats["analyte"].tolist()
    assert given.correlation_figures == [paths["correlations"]]


def test_statistics_given_late_make_the_same_page_asked_for_once_after_the_curves(
    three_plates, tmp_path
):
    stats = prepost(SMALL, groups=GROUPS)
    figure = tmp_path / "correlation_CCL2_vs_IL8.png"
    plot_correlation(SMALL, "CCL2", "IL8", [figure])
    at_once = build_report(inputs_for(*three_plates, stats=stats, correlation_figures=[figure]))
    events: list[str] = []

    def statistics() -> dict[str, object]:
        events.append("statistics")
        return {"stats": stats, "correlation_figures": [figure]}

    late = build_report(
        inputs_for(*three_plates),
        progress=lambda done, total: events.append("curves"),
        statistics=statistics,
    )
    assert late == at_once
    # the sections before the pre/post one were built before the statistics were asked for
    assert events.count("statistics") == 1
    assert events[-1] == "statistics" and events.count("curves") == 3


def test_statistics_inputs_reads_the_tables_and_names_the_figures(tmp_path):
    stats = prepost(SMALL, groups=GROUPS)
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    stats.iloc[:2].to_parquet(paths[0])
    stats.iloc[2:].to_parquet(paths[1])
    fields = statistics_inputs(paths, str(tmp_path / "c.png"), tmp_path / "p.png")
    assert fields["stats"]["analyte"].tolist() == stats["analyte"].tolist()
    assert fields["correlation_figures"] == [str(tmp_path / "c.png")]
    assert fields["prepost_figure"] == tmp_path / "p.png"
    assert statistics_inputs() == {}


def test_rejections_are_one_row_per_file_with_their_reasons_grouped(three_plates):
    wells, curves, plates = three_plates
    read_file = str(plates["source_file"].iloc[0])
    rows = [
        {
            "source_file": read_file,
            "where": f"well {w}",
            "reason": f"{read_file}: well {w}: the plate map does not place this well",
        }
        for w in WELL_NAMES[200:230]
    ] + [
        {
            "source_file": "resources/plates/empty.csv",
            "where": "file",
            "reason": "resources/plates/empty.csv: the file is empty (0 bytes)",
        }
    ]
    inputs = inputs_for(wells, curves, plates)
    inputs.rejected = tables.REJECTED.validate(pd.DataFrame(rows))
    page = build_report(inputs)
    summary = page.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    body = summary.split("<tbody>", 1)[1]
    assert body.count("<tr") == 2
    assert "1 files rejected, 1 read with wells rejected" in summary
    assert "Rejected files (1) and files read with wells rejected (1)" in summary
    assert "read; 30 rejected" in body
    # 30 places under one reason: the first twelve named, then how many more
    assert body.count("the plate map does not place this well") == 1
    assert f"(30: well {WELL_NAMES[200]}, " in body and " and 18 more)" in body
    assert "the file is empty (0 bytes)</li>" in body


def test_an_unfitted_curve_shows_its_points_sample_signals_and_why():
    points = standards([100.0, 25.0, 6.25], [900.0, 300.0, 90.0])
    others = pd.DataFrame(
        {
            "role": ["sample", "sample", "blank"],
            "concentration": np.nan,
            "signal": [450.0, 120.0, 20.0],
        }
    )
    note = "too_few_points: 3 distinct concentration(s) usable; the 5PL needs at least 6;b;c;d"
    figure = curve_figure(points, None, {}, others, "OD450", "pg/mL", note)
    png_bytes(figure)
    scatters = {c.get_label(): c.get_offsets() for c in figure.axes[0].collections}
    assert scatters["left out (masked, flagged)"][:, 0].tolist() == [100.0, 25.0, 6.25]
    # the samples have no concentration without a curve: their signals alone, at the edge
    assert scatters["sample signals (no curve)"][:, 1].tolist() == [450.0, 120.0]
    [text] = [t.get_text() for t in figure.texts]
    assert text.splitlines() == [
        "no curve: too_few_points",
        "3 distinct concentration(s) usable",
        "the 5PL needs at least 6",
        "b",
        "and 2 more reason(s)",
    ]


def test_without_standards_the_wells_are_drawn_in_plate_order():
    others = pd.DataFrame(
        {"role": [None, None, None], "concentration": np.nan, "signal": [5.0, 50.0, 500.0]}
    )
    figure = curve_figure(standards([], []), None, {}, others, "OD450", "", "no_standards: x")
    png_bytes(figure)
    ax = figure.axes[0]
    [(label, offsets)] = [(c.get_label(), c.get_offsets()) for c in ax.collections]
    assert label == "unassigned" and offsets.tolist() == [[0, 5.0], [1, 50.0], [2, 500.0]]
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in figure.texts] == ["no curve: no_standards\nx"]


def test_levey_jennings_chart_draws_each_lots_limits_and_says_which_lot_has_none():
    values = pd.DataFrame(
        {
            "analyte": "CCL2",
            "series": "Control1",
            "kind": "control",
            "plate_id": [f"P{i}" for i in range(10)],
            "value": [100, 102, 98, 101, 99, 100, 101, 150, 151, 149],
            "unit": "pg/mL",
        }
    )
    order = pd.Series(range(10), index=values["plate_id"])
    lots = {f"P{i}": ("A" if i < 7 else "B") for i in range(10)}
    lj = levey_jennings(values, order, guide_plates=4, lots=lots)
    figure = levey_jennings_figure(lj, list(order.index), guide_plates=4)
    png_bytes(figure)
    ax = figure.axes[0]
    assert ax.get_ylabel() == "Control1\n(pg/mL)"
    texts = [t.get_text() for t in ax.texts]
    assert "lot B: 3 plate(s), a guide set needs 4: no limits, not judged" in texts
    assert {"lot A", "lot B"} <= set(texts)
    # lot A's mean line spans its seven plates only; lot B has none
    mean_line = ax.collections[0].get_segments()
    assert [segment[:, 0].tolist() for segment in mean_line] == [[-0.4, 6.4]]


def test_a_report_built_again_reuses_its_kept_figures_and_is_the_same_page(three_plates, tmp_path):
    inputs = inputs_for(*three_plates)
    plain = build_report(inputs)
    first = FigureCache(tmp_path / "kept", workers=2)
    assert build_report(inputs, figures=first) == plain
    # 3 plate maps (each names its plate), CCL2's Levey-Jennings chart and 2 distinct
    # curve figures of 4: P1's CCL2 and TGF-beta2 and P2's CCL2 are drawn from the same
    # values (a figure does not name its plate or analyte, its caption does)
    assert (first.drawn, first.reused) == (6, 0)
    again = FigureCache(tmp_path / "kept")
    assert build_report(inputs, figures=again) == plain
    assert (again.drawn, again.reused) == (0, 6)
    # P3's samples read higher: its curve figure and its map are drawn again; the chart
    # (controls and curve parameters) and the other plates' figures are kept
    wells, curves, plates = (frame.copy() for frame in three_plates)
    wells.loc[(wells["plate_id"] == "P3") & (wells["role"] == "sample"), "signal"] *= 1.1
    changed = FigureCache(tmp_path / "kept")
    page = build_report(inputs_for(wells, curves, plates), figures=changed)
    assert (changed.drawn, changed.reused, changed.removed) == (2, 4, 2)
    assert page == build_report(inputs_for(wells, curves, plates))


def test_a_plate_map_drawn_by_a_worker_is_the_map_plate_maps_draws(three_plates):
    wells = three_plates[0]
    plate = wells[wells["plate_id"] == "P2"][["plate_id", "well", "analyte", "signal"]]
    plate = plate.reset_index(drop=True)
    expected = PlateMaps(35, 50).png("P2", plate)
    assert _map_png((35, 50), "P2", plate) == expected
    # the same through the report's workers (a forked process, its own templates)
    request = FigureRequest(figure_key("plate_map", "P2"), _map_png, ((35, 50), "P2", plate))
    cache = FigureCache(None, workers=2)
    try:
        drawn = cache.later([request, dataclasses.replace(request, key="again")])
        assert [figure.result() for figure in drawn.values()] == [expected, expected]
    finally:
        cache.close()
