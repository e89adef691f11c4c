"""Every supported format, truncated, mutated and re-encoded.

Two properties, for every reader:

- nothing raises anything but InputError (a traceback never reaches a lab person);
- a file that still reads yields exactly the original plates, wells and analytes
  (mutations: cut short, a byte changed, a line deleted, repeated or run into the next,
  a separator or quote inserted):
  every well is either in the wells table or listed as rejected, and no mutation
  makes a reader silently gain or lose wells or analytes.

Re-encodings (UTF-16 with BOM, UTF-8 with BOM, cp1252; lines ending CR LF, LF or CR
alone, as Excel for Mac's "CSV (Macintosh)" ends them) must read to the very same wells.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assaypipe.errors import MAX_MESSAGE, InputError
from assaypipe.readers import PlateRead, read_exports
from tests import platereader_workbooks

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
ROWS = "ABCDEFGH"


def _grid_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["OD450", *range(1, 13)])
    for r, row in enumerate(ROWS):
        sheet.append([row, *(round(0.1 * r + 0.01 * c, 3) for c in range(1, 13))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ALL_WELLS_MAP = "well,role,sample_id\n" + "".join(
    f"{r}{c},sample,S{r}{c}\n" for r in ROWS for c in range(1, 13)
)


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    plate_map: str | None = None
    text: bool = True


def _cases() -> list[Case]:
    cases = [
        Case("xponent", (EXPORTS / "xponent/xponent31_2plex_resaved.csv").read_bytes()),
        Case("xponent_european", (EXPORTS / "xponent/xponent31_2plex_european.csv").read_bytes()),
        Case("gen5_layout", (EXPORTS / "gen5/gen5_endpoint_layout_4pl.txt").read_bytes()),
        Case("softmax_plates", (EXPORTS / "softmax/softmax_two_plates_dual.txt").read_bytes()),
        Case("softmax_time", (EXPORTS / "softmax/softmax_timeformat_latin1.txt").read_bytes()),
        Case("grid_csv", (EXPORTS / "grid/grid_8x12.csv").read_bytes(), ALL_WELLS_MAP),
        Case("bioplex_xml", (EXPORTS / "bioplex_xml" / "two_analytes_12_wells.xml").read_bytes()),
        # a two-analyte Bio-Plex summary workbook, made with openpyxl
        Case("bioplex_xlsx", (EXPORTS / "bioplex" / "summary_2plex.xlsx").read_bytes(), text=False),
        Case("grid_xlsx", _grid_xlsx(), ALL_WELLS_MAP, text=False),
        Case("skanit_xlsx", platereader_workbooks.skanit_elisa(), text=False),
        Case("magellan_xlsx", platereader_workbooks.magellan_two_labels_384(), text=False),
        Case("envision_htrf", (EXPORTS / "envision" / "htrf_ratio_platemap.csv").read_bytes()),
        Case(
            "envision_bare", (EXPORTS / "envision" / "two_plates_bare_semicolon.csv").read_bytes()
        ),
        Case(
            "mars_plate_view", (EXPORTS / "mars" / "plate_view_layout_two_reads.csv").read_bytes()
        ),
        Case("mars_table_view", (EXPORTS / "mars" / "table_view_fp_semicolon.csv").read_bytes()),
    ]
    real = [
        ("real_intelliflex", "xponent/intelliflex_long_example.csv", None),
        ("real_gen5", "gen5/gen5_abs450_overflow_missed.txt", ALL_WELLS_MAP),
        ("real_softmax_utf16", "softmax/softmax_elisa_std8_utf16.txt", None),
    ]
    for name, relative, plate_map in real:
        if (REALDATA / relative).exists():
            cases.append(Case(name, (REALDATA / relative).read_bytes(), plate_map))
    return cases


CASES = _cases()


def _read(tmp_path: Path, data: bytes, plate_map: str | None) -> list[PlateRead]:
    path = tmp_path / "export.dat"
    path.write_bytes(data)
    map_path = None
    if plate_map is not None:
        map_path = tmp_path / "map.csv"
        map_path.write_text(plate_map, encoding="utf-8")
    return read_exports(path, plate_map=map_path, plate_id="P", settle_seconds=0)


def _shape(plates: list[PlateRead]) -> list[tuple[frozenset[str], frozenset[str], int]]:
    """Per plate: every well read (placed or unassigned), the analytes, the row count."""
    return [
        (frozenset(plate.wells["well"]), frozenset(plate.wells["analyte"]), len(plate.wells))
        for plate in plates
    ]


_ORIGINAL: dict[str, list[tuple[frozenset[str], frozenset[str], int]]] = {}


def _original(case: Case, tmp_path: Path) -> list[tuple[frozenset[str], frozenset[str], int]]:
    if case.name not in _ORIGINAL:
        _ORIGINAL[case.name] = _shape(_read(tmp_path, case.data, case.plate_map))
    return _ORIGINAL[case.name]


def _check(
    case: Case, tmp_path: Path, mutated: bytes, note: Callable[[str], object] = event
) -> None:
    """The properties of the module's docstring; ``note`` records which way a case went
    (hypothesis' ``event`` inside a hypothesis test)."""
    expected = _original(case, tmp_path)
    try:
        plates = _read(tmp_path, mutated, case.plate_map)
    except InputError:
        note("refused with InputError")
        return
    got = _shape(plates)
    if got != expected and len(got) == len(expected):
        # Read leniently: a damaged file may be read with other wells or analytes, but
        # never without a word on the plate that changed.
        note("read with a difference")
        for plate, shape, shape0 in zip(plates, got, expected, strict=True):
            if shape[:2] != shape0[:2]:
                assert plate.warnings, f"wells or analytes changed without a warning: {shape}"
    elif len(got) < len(expected):
        # A file cut short may hold fewer plates, never without a word on those it holds.
        note("read with fewer plates")
        assert any(plate.warnings for plate in plates), "plates lost without a warning"
    else:
        note("read")
        assert len(got) == len(expected), "a different number of plates"
    for plate, (_, analytes, rows) in zip(plates, got, strict=True):
        placed = rows // max(len(analytes), 1)
        if rows != placed * len(analytes):
            # A format listing each analyte's wells apart (Bio-Plex's sheets) may lose
            # some of one analyte's wells to the damage: never without a word.
            note("read with an analyte lacking wells")
            assert plate.warnings, "not one row per well and analyte, without a warning"


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    kinds = ["truncate", "byte", "delete_line", "repeat_line", "insert", "join_lines"]
    kind = draw(st.sampled_from(kinds))
    if kind == "truncate":
        return data[: draw(st.integers(1, len(data) - 1))]
    if kind == "byte":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        piece = draw(st.sampled_from([b"\t", b",", b";", b"\n", b"\r\n", b'"', b"0"]))
        return data[:at] + piece + data[at:]
    lines = data.splitlines(keepends=True)
    at = draw(st.integers(0, len(lines) - 1))
    if kind == "delete_line":
        return b"".join(lines[:at] + lines[at + 1 :])
    if kind == "join_lines":
        # A lost line break: the line runs on into the next.
        return b"".join([*lines[:at], lines[at].rstrip(b"\r\n"), *lines[at + 1 :]])
    return b"".join(lines[: at + 1] + lines[at:])


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
@SETTINGS
@given(data=st.data())
def test_mutated_exports_read_right_or_fail_cleanly(
    case: Case, tmp_path: Path, data: st.DataObject
) -> None:
    _check(case, tmp_path, data.draw(mutations(case.data)))


def _decoded(case: Case) -> str:
    data = case.data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


TEXT_CASES = [case for case in CASES if case.text]


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252", "utf-8"])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_re_encoded_exports_read_the_same(
    case: Case, encoding: str, newline: str, tmp_path: Path
) -> None:
    text = newline.join(_decoded(case).splitlines()) + newline
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        pytest.skip(f"{case.name} holds characters {encoding} cannot write")
    original = _read(tmp_path, case.data, case.plate_map)
    again = _read(tmp_path, data, case.plate_map)
    columns = ["well", "analyte", "role", "sample_name", "signal", "raw_text", "token", "flags"]
    assert len(again) == len(original)
    for plate, first in zip(again, original, strict=True):
        pd.testing.assert_frame_equal(plate.wells[columns], first.wells[columns])
        pd.testing.assert_frame_equal(
            plate.vendor.drop(columns="source_file"), first.vendor.drop(columns="source_file")
        )


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("filler", ["x" * 200_000, "A1," + "7" * 200_000, '"' + "y" * 200_000])
def test_a_line_longer_than_csv_reads_is_met_like_any_damaged_line(
    case: Case, filler: str, tmp_path: Path
) -> None:
    """A line with one cell past Python's csv field limit (131,072 characters) in the
    middle of an export: read with the damage said, or refused, in a message of
    bounded length, never stopped on csv.Error (EnVision, MARS and MSD Workbench
    stopped so)."""
    text = _decoded(case)
    lines = text.splitlines()
    lines.insert(len(lines) // 2, filler)
    encoding = "utf-16" if case.data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    mutated = "\n".join(lines).encode(encoding)
    _check(case, tmp_path, mutated, note=lambda _: None)
    try:
        plates = _read(tmp_path, mutated, case.plate_map)
    except InputError as error:
        assert len(error.message) <= MAX_MESSAGE
        return
    assert all(len(warning) <= MAX_MESSAGE for plate in plates for warning in plate.warnings)


BIOPLEX_XLS = REALDATA / "bioplex" / "bioplex41_summary_27plex_5pl.xls"


@pytest.mark.realdata
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_bioplex_xls_reads_right_or_fails_cleanly(
    tmp_path: Path, data: st.DataObject
) -> None:
    if not BIOPLEX_XLS.exists():
        pytest.skip(f"real export not found at {BIOPLEX_XLS} (only in the dev setup)")
    case = Case("real_bioplex_xls", BIOPLEX_XLS.read_bytes(), text=False)
    _check(case, tmp_path, data.draw(mutations(case.data)))


@pytest.mark.realdata
def test_a_changed_byte_losing_one_analytes_wells_is_said(tmp_path: Path) -> None:
    """One byte of the real workbook changed (found by the test above, random seed):
    sheet 'Hu IL-2 (38)' lists two wells fewer, so that analyte lacks H11 and H12."""
    if not BIOPLEX_XLS.exists():
        pytest.skip(f"real export not found at {BIOPLEX_XLS} (only in the dev setup)")
    data = bytearray(BIOPLEX_XLS.read_bytes())
    data[44396] = 68
    (plate,) = _read(tmp_path, bytes(data), None)
    il2 = plate.wells[plate.wells["analyte"].str.startswith("Hu IL-2 ")]
    assert len(plate.wells) == 96 * 27 - 2
    assert len(il2) == 94 and {"H11", "H12"}.isdisjoint(il2["well"])
    assert any("lacks 2 well(s)" in warning and "H11, H12" in warning for warning in plate.warnings)
