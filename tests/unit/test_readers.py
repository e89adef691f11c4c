"""What every export goes through: the file guards, format detection, the standards
check, and the finishing of a plate (roles, rejected wells)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import read_export, read_exports
from assaypipe.readers.protocol import KINDS, Format, Source
from assaypipe.readers.registry import FORMATS, format_of, unsupported
from assaypipe.readers.standards import check_standards, implausible_levels
from tests import hostile
from tests.conftest import wells_frame

# Test exports are read at once (tests/conftest.py: no_settle); the tests of the
# still-being-written guard set their own settle time.
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
XPONENT = EXPORTS / "xponent/xponent31_2plex_resaved.csv"


def write(tmp_path: Path, data: bytes | str, name: str = "plate.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --- file guards ---------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"the file is empty \(0 bytes\)") as raised:
        read_export(write(tmp_path, ""))
    assert raised.value.file == str(tmp_path / "plate.csv")


def test_blank_lines_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"the file is empty \(only blank lines\)"):
        read_export(write(tmp_path, "\r\n\r\n  \n"))


def test_binary_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="this is a binary file, not a text export"):
        read_export(write(tmp_path, bytes(range(256)) * 4))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the plate export does not exist"):
        read_export(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="this is a folder, not a plate export file"):
        read_export(tmp_path)


@pytest.mark.parametrize("kind", ["named pipe", "device"])
def test_a_named_pipe_or_a_device_is_refused_unopened(tmp_path: Path, kind: str) -> None:
    # Both have size 0: they were refused as "empty (0 bytes)", which is not what they are.
    path = tmp_path / "plate.csv"
    if kind == "named pipe":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    with pytest.raises(InputError) as raised:
        read_export(path)
    assert raised.value.message == "this is a named pipe or a device, not a plate export file"


def test_size_cap() -> None:
    with pytest.raises(InputError, match="larger than the 100 bytes a plate export can be"):
        read_export(XPONENT, max_bytes=100)


@pytest.mark.parametrize(
    "text",
    ["well,od\nA1,0.1\n", "Sample\tResult\nP1\t12\n", "just some notes about the run\n"],
)
def test_unknown_format(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError) as raised:
        read_export(write(tmp_path, text))
    assert str(raised.value) == (
        f"{tmp_path / 'plate.csv'}: not a supported plate export: expected an xPONENT CSV, "
        "an INTELLIFLEX CSV, a SoftMax Pro text export, a Gen5 text export, a MARS CSV "
        "export, an EnVision CSV export, an MSD plate-reader text export, an MSD Discovery "
        "Workbench data table or a plain 8 x 12 or 16 x 24 grid"
    )


def test_a_file_still_being_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("assaypipe.readers.SETTLE_SECONDS", 0.2)
    path = write(tmp_path, XPONENT.read_bytes()[:2000])
    rest = XPONENT.read_bytes()[2000:]
    stop = threading.Event()

    def keep_writing() -> None:
        # An instrument PC copying over the network: a chunk every few milliseconds.
        with path.open("ab") as handle:
            for start in range(0, len(rest), 64):
                if stop.is_set():
                    return
                handle.write(rest[start : start + 64])
                handle.flush()
                time.sleep(0.005)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        with pytest.raises(InputError, match="the file is still being written") as raised:
            read_export(path)
    finally:
        stop.set()
        writer.join()
    assert "wait until the instrument software has finished saving it" in str(raised.value)


def test_a_finished_recent_file_is_read_after_the_second_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assaypipe.readers.SETTLE_SECONDS", 0.05)
    path = write(tmp_path, XPONENT.read_bytes())
    started = time.perf_counter()
    assert len(read_export(path).wells) == 24
    assert time.perf_counter() - started >= 0.05


@pytest.mark.parametrize(
    ("source", "name", "plate_format"),
    [
        ("xponent/xponent31_2plex_resaved.csv", "plate.txt", "xponent"),
        ("gen5/gen5_endpoint_layout_4pl.txt", "plate.csv", "gen5"),
        ("softmax/softmax_timeformat_latin1.txt", "plate.xls", "softmax"),
    ],
)
def test_detected_by_content_not_by_name(
    tmp_path: Path, source: str, name: str, plate_format: str
) -> None:
    path = tmp_path / name
    shutil.copyfile(EXPORTS / source, path)
    assert read_exports(path)[0].meta["format"] == plate_format


def test_meta_holds_every_key_for_every_format() -> None:
    from assaypipe.readers import META_KEYS

    for source in ("xponent/xponent31_2plex_resaved.csv", "gen5/gen5_endpoint_layout_4pl.txt"):
        meta = read_export(EXPORTS / source).meta
        assert tuple(meta) == META_KEYS
        assert len(meta["sha256"]) == 64


# --- the standards check -------------------------------------------------------------


@pytest.mark.parametrize(
    ("concentrations", "bad"),
    [
        ([3450, 1725, 862.5, 431.25, 215625, 107.8125, 53.90625], [4]),  # drLumi, point lost
        ([1000, 250, 62.5, 15.625, 3.90625], []),  # 1:4
        ([100, 40, 12, 3, 1], []),  # uneven but plausible
        ([40, 35, 30, 25, 20, 16, 12, 8, 4, 2, 1], []),  # Gen5's linear series
        ([0.1, 0.5, 2.5, 12.5, 62.5], []),  # rising with the level
        ([1000, 500, 125, 250, 62.5], [2]),  # two levels swapped
        ([1000, 500, 500, 125], [2]),  # one concentration twice
        ([1000, 1, 500], [1]),  # three levels are enough to see one far off
        ([1000, 1], []),  # two are not
        # an end level 20-fold below its neighbour in a 1:4 series: only 5-fold off the
        # line, but its step is 5 times the series' (the curve fit's rule, now shared)
        ([1000, 250, 62.5, 15.625, 0.78125], [4]),
        ([1000 * 4.0**-k for k in range(5)] + [0.3], []),  # last step 13x: 3.3 times the 4x
    ],
)
def test_implausible_levels(concentrations: list[float], bad: list[int]) -> None:
    levels = np.arange(1, len(concentrations) + 1, dtype=float)
    assert implausible_levels(levels, np.array(concentrations, dtype=float)) == bad


def test_a_missing_level_number_is_no_larger_step() -> None:
    # A 1:5 series with level 4 not given: by level number every step is 5x; taken by
    # rank the last step would be 25x, five times the others.
    conc = np.array([1000, 200, 40, 1.6])
    assert implausible_levels(np.array([1.0, 2, 3, 5]), conc) == []
    assert implausible_levels(np.array([1.0, 2, 3, 4]), conc) == [3]


def standards(concs: list[float], analyte: str = "CCL2", levels: bool = True) -> pd.DataFrame:
    return wells_frame(
        [
            {
                "well": f"A{i + 1}",
                "analyte": analyte,
                "analyte_raw": analyte,
                "role": "standard",
                "sample_name": f"Standard{i + 1}",
                "level": i + 1 if levels else None,
                "expected_conc": conc,
            }
            for i, conc in enumerate(concs)
        ]
        + [{"well": "H12", "analyte": analyte, "analyte_raw": analyte, "sample_name": "P1"}]
    )


def test_a_broken_series_flags_the_analyte_and_names_the_level() -> None:
    wells, problems = check_standards(
        standards([1000, 500, 250, 125000, 62.5, 31.25]), "plate1.csv"
    )
    flags = dict(zip(wells["well"], wells["flags"], strict=True))
    assert flags["A4"] == "broken_dilution_series;implausible_expected_conc"
    assert flags["A1"] == "broken_dilution_series"
    assert flags["H12"] == ""
    assert len(problems) == 1
    assert problems[0].where == "analyte CCL2, standard level 4"
    assert str(problems[0]).startswith(
        "plate1.csv: analyte CCL2, standard level 4: the expected concentration 125000 of "
        "standard level 4 does not fit the dilution series of the other standards "
        "(standard level 3: 250; standard level 5: 62.5), about 1000-fold off"
    )


def test_a_series_without_levels_is_ordered_by_concentration() -> None:
    wells, problems = check_standards(
        standards([1000, 500, 250, 125, 62.5, 31.25], levels=False), "map.csv"
    )
    assert problems == [] and (wells["flags"] == "").all()
    wells, problems = check_standards(
        standards([1000, 500, 250, 125, 0.000625, 31.25], levels=False), "map.csv"
    )
    assert len(problems) == 1 and problems[0].where == "analyte CCL2, a standard"


def test_expected_concentrations_all_zero() -> None:
    wells, problems = check_standards(standards([0, 0, 0, 0]), "plate1.csv")
    assert [str(p) for p in problems] == [
        "plate1.csv: analyte CCL2: the standards' expected concentrations are all missing "
        "or 0, so no curve can be fitted; enter the standard concentrations in the "
        "instrument protocol and export again, or give them in a kit file (standards) or a "
        "plate map"
    ]
    assert (wells.loc[wells["role"] == "standard", "flags"] == "broken_dilution_series").all()
    both = pd.concat([standards([0, 0, 0]), standards([0, 0, 0], analyte="HGF")])
    _, problems = check_standards(both.reset_index(drop=True), "plate1.csv")
    assert len(problems) == 1 and problems[0].where == "standards"
    assert "every analyte has standards but" in str(problems[0])


def test_zero_expected_in_an_export_is_a_plate_warning(tmp_path: Path) -> None:
    text = XPONENT.read_text(encoding="utf-8")
    for conc in ("1000,2000", "250,500", "62.5,125", "15.625,31.25", "3.90625,7.8125"):
        text = text.replace(f",{conc},", ",0,0,", 1)
    plate = read_export(write(tmp_path, text))
    assert [w.split(":")[0] for w in plate.warnings] == ["standards"]
    assert "every analyte has standards but" in plate.warnings[0]
    assert len(plate.wells) == 24  # the plate is still read


def test_a_map_fixing_the_concentrations_clears_the_flag(tmp_path: Path) -> None:
    text = XPONENT.read_text(encoding="utf-8").replace(
        "Standard3,62.5,125,", "Standard3,62500,125,"
    )
    export = write(tmp_path, text)
    broken = read_export(export)
    assert [w.split(":")[0] for w in broken.warnings] == ["analyte CCL2, standard level 3"]
    plate_map = write(
        tmp_path, "well,role,expected_conc,analyte\nE1,standard,62.5,CCL2\n", "map.csv"
    )
    fixed = read_export(export, plate_map=plate_map)
    assert fixed.warnings == () and (fixed.wells["flags"] == "").all()


# --- `assaypipe read` on every format --------------------------------------------------


@pytest.mark.parametrize(
    ("export", "plate_map", "rows", "placed"),
    [
        # every well read; `placed`: those the export or plate map gives a role
        ("xponent/xponent31_2plex_resaved.csv", None, 24, 24),
        ("xponent/xponent31_2plex_european.csv", None, 24, 24),
        ("gen5/gen5_endpoint_layout_4pl.txt", None, 96, 94),
        ("softmax/softmax_two_plates_dual.txt", None, 192, 24),
        ("softmax/softmax_timeformat_latin1.txt", None, 96, 6),
        ("grid/grid_8x12.csv", "plate_maps/plate_map_grid.csv", 96, 90),
    ],
)
def test_cli_reads_every_format(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    export: str,
    plate_map: str | None,
    rows: int,
    placed: int,
) -> None:
    from assaypipe.cli import main

    out = tmp_path / "wells.parquet"
    args = ["read", str(EXPORTS / export), "-o", str(out)]
    if plate_map:
        args += ["--plate-map", str(EXPORTS / plate_map)]
    assert main(args) == 0
    wells = pd.read_parquet(out)
    assert len(wells) == rows
    assert (wells["role"] != "unassigned").sum() == placed
    printed = capsys.readouterr().out
    assert "wells" in printed
    assert ("warning: " in printed) == (placed < rows)


def test_cli_says_why_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assaypipe.cli import main

    bad = write(tmp_path, "")
    assert main(["read", str(bad), "-o", str(tmp_path / "x.parquet")]) == 2
    assert capsys.readouterr().err == f"error: {bad}: the file is empty (0 bytes)\n"


@pytest.mark.parametrize(
    ("export", "rows"),
    [
        # wells x analytes as the files hold them (read by eye; see the reader tests)
        ("bioplex/bioplex41_summary_27plex_5pl.xls", 2592),
        ("xponent/intelliflex_long_example.csv", 60),
        ("xponent/xponent43_nan_not_reported.csv", 288),
        ("softmax/softmax_elisa_std8_utf16.txt", 96),
    ],
)
def test_cli_reads_the_real_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], realdata: Path, export: str, rows: int
) -> None:
    from assaypipe.cli import main

    out = tmp_path / "wells.parquet"
    assert main(["read", str(realdata / export), "-o", str(out)]) == 0
    assert len(pd.read_parquet(out)) == rows
    assert "wells" in capsys.readouterr().out


# --- the format registry ---------------------------------------------------------------


@pytest.mark.parametrize("entry", FORMATS, ids=lambda entry: entry.name)
def test_every_format_has_a_fixture_folder_read_as_itself(entry: Format) -> None:
    folder = EXPORTS / entry.name
    files = sorted(path for path in folder.glob("*") if path.is_file())
    assert files, f"tests/data/exports/{entry.name}/ holds no fixture export"
    for path in files:
        source = Source(path.read_bytes(), str(path))
        assert format_of(source) is entry, path.name
        assert read_exports(path, settle_seconds=0), path.name


def test_the_unsupported_message_names_every_format_of_its_kind() -> None:
    for kind in KINDS:
        message = unsupported(kind)
        for entry in FORMATS:
            assert (entry.described in message) == (kind in entry.kinds), (kind, entry.name)


@pytest.mark.parametrize(
    "name", ["softmax/softmax_two_plates_dual.txt", "msd_workbench/workbench_two_plates.csv"]
)
def test_plates_of_one_file_validated_together_as_one_by_one(name: str) -> None:
    # Reference: pandera's validation of each plate's tables on its own.
    path = Path(__file__).resolve().parents[1] / "data" / "exports" / name
    together = read_exports(path, settle_seconds=0)
    unchecked = read_exports(path, settle_seconds=0, validate=False)
    assert len(together) == 2 and all(len(plate.vendor) for plate in together)
    for plate, raw in zip(together, unchecked, strict=True):
        pd.testing.assert_frame_equal(plate.wells, tables.WELLS.validate(raw.wells))
        pd.testing.assert_frame_equal(plate.vendor, tables.VENDOR_RESULTS.validate(raw.vendor))
        assert plate.meta == raw.meta and plate.warnings == raw.warnings


def test_an_xml_export_of_more_tags_than_a_plate_export_is_refused_before_parsing(
    tmp_path: Path,
) -> None:
    # 4.1 million empty elements in 16 MB: parsed, the tree alone took about 1 GB.
    path = tmp_path / "plate.xml"
    path.write_bytes(b"<?xml version='1.0'?><Root>" + b"<a/>" * 4_100_000 + b"</Root>")
    run = hostile.read_within_budget(path)
    assert run.error == (
        f"InputError: {path}: the file holds 4,100,003 XML tags, more than the 4,000,000 a "
        "plate export can hold; check it is the right file"
    )


def test_names_with_control_characters_are_read_with_a_warning(tmp_path: Path) -> None:
    # A damaged byte in a name (a mutated Bio-Plex workbook gave '\x00Hu IL-9 (77)'; text
    # exports lose NUL bytes when decoded, so another control character here).
    source = Path(__file__).resolve().parents[1] / "data" / "exports" / "xponent"
    export = sorted(source.glob("*.csv"))[0]
    text = export.read_text(encoding="utf-8")
    analyte = read_export(export, settle_seconds=0).wells["analyte_raw"].iloc[0]
    damaged = tmp_path / "damaged.csv"
    for sep in ",;":
        text = text.replace(f"{sep}{analyte}{sep}", f"{sep}\x07{analyte}{sep}")
    damaged.write_text(text, encoding="utf-8")
    plate = read_export(damaged, settle_seconds=0)
    assert f"\x07{analyte}" in set(plate.wells["analyte_raw"])
    assert (
        f"analyte name `\\x07{analyte}` holds control characters no export writes: the file "
        "may be damaged; check the names"
    ) in plate.warnings
    assert not any(
        "control characters" in w for w in read_export(export, settle_seconds=0).warnings
    )
