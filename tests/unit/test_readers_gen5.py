"""BioTek (Agilent) Gen5 text exports (assaypipe.readers.gen5)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.readers import read_export, read_exports
from tests.conftest import by_well, placed

# Test exports are read at once (see tests/conftest.py: no_settle).
pytestmark = pytest.mark.usefixtures("no_settle")

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
ROWS = "ABCDEFGH"


HEADER = """\r
Software Version\t3.11.19\r
\r
Experiment File Path:\tC:\\Users\\lab\\nfl_plate3.xpt\r
\r
Plate Number\tPlate 1\r
Date\t3/14/2024\r
Time\t10:02:11 AM\r
Reader Type:\tSynergy HTX\r
Reader Serial Number:\t21051712\r
Reading Type\tReader\r
\r
Procedure Details\r
\r
Plate Type\t{plate_type} WELL PLATE\r
Read\tAbsorbance Endpoint\r
\tFull Plate\r
\tWavelengths:  {wavelengths}\r
\tRead Speed: Normal\r
\r
Results\r
"""

# Cells that are not plain numbers, by (well, wavelength index).
SPECIAL = {
    ("A1", 0): "0.812",
    ("A1", 1): "0.044",
    ("B2", 0): "?????",
    ("B3", 0): "<0.000",
    ("B4", 0): ">4.000",
    ("B5", 1): "OVRFLW",
    ("B6", 0): "MISSED",
}


def od(row: int, column: int, wavelength: int) -> str:
    return f"{0.05 * (wavelength + 1) + 0.1 * row + 0.01 * column:.3f}"


def gen5_text(
    wavelengths: tuple[int, ...] = (450, 630),
    rows: str = ROWS,
    columns: int = 12,
    skip: tuple[str, int] | None = None,
    delta: bool = False,
) -> str:
    """A Gen5 endpoint export; `skip` leaves out one (row, wavelength index) line;
    `delta` adds Gen5's Delta OD reduction (first minus second wavelength)."""
    plate_type = 384 if columns > 12 else 96
    lines = [HEADER.format(wavelengths=", ".join(map(str, wavelengths)), plate_type=plate_type)]
    lines.append("\t" + "\t".join(str(c) for c in range(1, columns + 1)) + "\r\n")
    for r, row in enumerate(rows):
        for w, wavelength in enumerate(wavelengths):
            if skip == (row, w):
                continue
            cells = [SPECIAL.get((f"{row}{c}", w), od(r, c, w)) for c in range(1, columns + 1)]
            letter = row if w == 0 else ""
            lines.append("\t".join([letter, *cells, str(wavelength)]) + "\r\n")
        if delta:
            firsts, seconds = (
                [SPECIAL.get((f"{row}{c}", w), od(r, c, w)) for c in range(1, columns + 1)]
                for w in (0, 1)
            )
            cells = [_difference(a, b) for a, b in zip(firsts, seconds, strict=True)]
            lines.append("\t".join(["", *cells, "Delta OD"]) + "\r\n")
    lines.append("\r\n")
    return "".join(lines)


def _difference(first: str, second: str) -> str:
    try:
        return f"{float(first) - float(second):.3f}"
    except ValueError:
        return "?????"


PLATE_MAP = """well,role,sample_id,level,expected_conc,dilution,analyte
A1,standard,,1,5000,1,NfL
A2,standard,,2,2500,1,NfL
A3,blank,,,0,1,NfL
A4,control,CTRL1,1,800,1,NfL
A5,sample,S01-BL,,,2,NfL
A6,sample,S01-W12,,,,NfL
B2,sample,S02-BL,,,2,NfL
B3,sample,S03-BL,,,2,NfL
B4,sample,S04-BL,,,2,NfL
B5,sample,S05-BL,,,2,NfL
B6,sample,S06-BL,,,2,NfL
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


@pytest.fixture
def dual(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path, "plate3.txt", gen5_text()), write(tmp_path, "map.csv", PLATE_MAP)


def test_two_wavelengths_without_gen5_reduction_read_the_first(dual: tuple[Path, Path]) -> None:
    export, plate_map = dual
    plate = read_export(export, plate_map=plate_map)
    wells = by_well(plate.wells)
    # Gen5 did not subtract 630 nm (no reduction of it in the export): nor does assaypipe.
    assert (wells["signal_kind"] == "OD450").all()
    assert wells.loc["A1", "signal"] == 0.812 and wells.loc["A1", "raw_text"] == "0.812"
    assert wells.loc["A6", "signal"] == pytest.approx(float(od(0, 6, 0)))
    assert plate.warnings[0] == (
        "the export holds 2 reads; the signal is `450` (OD450, the first endpoint read), "
        "not `630` (OD630); name another in wells.read"
    )
    # A12 is not in the map: it has no role, so it is read as unassigned, not lost.
    assert wells.loc["A12", "role"] == "unassigned"
    assert set(wells.index) == {f"{r}{c}" for r in ROWS for c in range(1, 13)}


def test_gen5_reference_reduction_gives_the_difference(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text(delta=True))
    plate = read_export(export, plate_map=write(tmp_path, "map.csv", PLATE_MAP))
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "OD450-630").all()
    assert wells.loc["A1", "signal"] == pytest.approx(0.812 - 0.044)
    assert wells.loc["A1", "raw_text"] == "0.812|0.044"
    assert not any("reads" in warning for warning in plate.warnings)
    delta = plate.vendor[plate.vendor["quantity"] == "Delta OD"].set_index("well")
    assert delta.loc["A6", "value"] == pytest.approx(wells.loc["A6", "signal"], abs=1e-9)
    assert delta["basis"].isna().all()


def test_a_reference_asked_for_in_wells_read(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text(skip=("C", 1)))
    plate = read_export(export, read="450-630")
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "OD450-630").all()
    assert wells.loc["A6", "signal"] == pytest.approx(float(od(0, 6, 0)) - float(od(0, 6, 1)))
    # Row C has no 630 nm line: its wells have no signal, and say why.
    assert math.isnan(wells.loc["C1", "signal"]) and wells.loc["C1", "token"] == "not_reported"
    assert wells.loc["C1", "raw_text"] == f"{od(2, 1, 0)}|"


def test_tokens(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text(delta=True))
    wells = by_well(read_export(export, plate_map=write(tmp_path, "m.csv", PLATE_MAP)).wells)
    expected = {
        "B2": ("error", f"?????|{od(1, 2, 1)}"),
        "B3": ("oor_low", f"<0.000|{od(1, 3, 1)}"),
        "B4": ("oor_high", f">4.000|{od(1, 4, 1)}"),
        "B5": ("overflow", f"{od(1, 5, 0)}|OVRFLW"),  # the reference reading overflowed
        "B6": ("error", f"MISSED|{od(1, 6, 1)}"),
    }
    for well, (token, raw_text) in expected.items():
        assert (wells.loc[well, "token"], wells.loc[well, "raw_text"]) == (token, raw_text)
        assert math.isnan(wells.loc[well, "signal"]), well


def test_roles_and_analyte_come_from_the_map(dual: tuple[Path, Path]) -> None:
    export, plate_map = dual
    plate = read_export(export, plate_map=plate_map)
    tables.WELLS.validate(plate.wells)
    wells = by_well(placed(plate.wells))
    assert len(wells) == 11
    assert set(wells["analyte"]) == {"NfL"} and set(wells["analyte_raw"]) == {"NfL"}
    assert (wells.loc["A1", "role"], wells.loc["A1", "level"]) == ("standard", 1)
    assert wells.loc["A2", "expected_conc"] == 2500.0
    assert wells.loc["A1", "sample_name"] == "Standard1" and pd.isna(wells.loc["A1", "sample_id"])
    assert wells.loc["A3", "role"] == "blank"
    assert (wells.loc["A4", "role"], wells.loc["A4", "sample_id"]) == ("control", "CTRL1")
    assert (wells.loc["A5", "sample_id"], wells.loc["A5", "dilution"]) == ("S01-BL", 2.0)
    assert wells.loc["A6", "dilution"] == 1.0  # blank in the map: the default
    assert wells["bead_count"].isna().all()
    assert (wells["plate_id"] == "plate3").all()
    assert plate.meta == {
        "format": "gen5",
        "instrument": "Synergy HTX",
        "software": "Gen5",
        "software_version": "3.11.19",
        "serial_number": "21051712",
        "batch": "Plate 1",
        "run_time": "3/14/2024 10:02:11 AM",
        "kit_lot": "",
        "unit": "",
        "plate_name": "",
        "plate_id": "plate3",
        "sha256": plate.wells["source_sha256"].iloc[0],
        "source_file": str(export),
    }


def test_map_without_analyte_column_gives_od(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text())
    plate_map = write(tmp_path, "map.csv", "well,role,sample_id\nA1,blank,\nC7,sample,P1\n")
    wells = placed(read_export(export, plate_map=plate_map).wells)
    assert wells["well"].tolist() == ["A1", "C7"]
    assert set(wells["analyte"]) == {"OD"}
    assert wells["sample_name"].tolist() == ["Blank", "P1"]


def test_without_a_plate_map_every_well_is_unassigned(dual: tuple[Path, Path]) -> None:
    export, _ = dual
    plate = read_export(export)
    assert len(plate.wells) == 96 and (plate.wells["role"] == "unassigned").all()
    assert "the export names no well roles and there is no plate map" in plate.warnings[1]


def test_detected_by_content_not_name(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.csv", gen5_text())
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    assert len(placed(read_export(export, plate_map=plate_map).wells)) == 11


def test_single_wavelength_384_well_grid(tmp_path: Path) -> None:
    rows = "ABCDEFGHIJKLMNOP"
    export = write(tmp_path, "p384.txt", gen5_text((450,), rows=rows, columns=24))
    wells = [f"{r}{c}" for r in rows for c in range(1, 25)]
    layout = "well,role,sample_id\n" + "".join(f"{w},sample,X{w}\n" for w in wells)
    plate = read_export(export, plate_map=write(tmp_path, "map.csv", layout))
    got = by_well(plate.wells)
    assert len(got) == 384
    assert (got["signal_kind"] == "OD450").all()
    assert got.loc["P24", "signal"] == pytest.approx(float(od(15, 24, 0)))
    assert got.loc["P24", "raw_text"] == od(15, 24, 0)
    assert got.loc["B2", "token"] == "error"
    assert plate.warnings == ()


def test_three_wavelengths_read_the_first_and_name_the_others(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text((450, 570, 630)))
    plate = read_export(export, plate_map=write(tmp_path, "map.csv", PLATE_MAP))
    assert (plate.wells["signal_kind"] == "OD450").all()
    assert "not `570` (OD570), `630` (OD630)" in plate.warnings[0]
    second = read_export(export, read="570")
    assert by_well(second.wells).loc["A6", "signal"] == pytest.approx(float(od(0, 6, 1)))
    assert "the signal is `570` (OD570, wells.read `570`)" in second.warnings[0]


def test_a_read_the_export_does_not_hold_is_refused(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text())
    with pytest.raises(InputError) as raised:
        read_export(export, read="405")
    assert raised.value.message == (
        "wells.read asks for the read `405`, which this export does not hold; it holds "
        "`450`, `630` (name one of them, or leave wells.read empty for the first read)"
    )


def test_two_plates_in_one_export(tmp_path: Path) -> None:
    second = gen5_text().replace("Plate Number\tPlate 1", "Plate Number\tPlate 2")
    export = write(tmp_path, "run.txt", gen5_text() + second)
    plates = read_exports(export)
    assert [p.meta["plate_name"] for p in plates] == ["Plate 1", "Plate 2"]
    assert [p.meta["plate_id"] for p in plates] == ["run_Plate_1", "run_Plate_2"]
    assert all(len(p.wells) == 96 for p in plates)
    # The same plate name twice: each plate keeps its own, made unique.
    twice = read_exports(write(tmp_path, "twice.txt", gen5_text() + gen5_text()))
    assert [p.meta["plate_name"] for p in twice] == ["Plate 1", "Plate 1 (2)"]


def test_a_plate_that_cannot_be_read_leaves_the_others(tmp_path: Path) -> None:
    broken = gen5_text().replace("Plate Number\tPlate 1", "Plate Number\tPlate 2")
    broken = broken[: broken.index("Results")]
    plates = read_exports(write(tmp_path, "run.txt", gen5_text() + broken))
    assert [p.meta["plate_name"] for p in plates] == ["Plate 1"]
    assert any(
        warning.startswith("not read: Plate 2 (line 52): the export holds no plate data")
        for warning in plates[0].warnings
    )


def test_row_letter_beyond_p(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text().replace("\nH\t", "\nQ\t"))
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(
        InputError, match="expected a plate row letter A to P in the Results grid, found 'Q'"
    ):
        read_export(export, plate_map=plate_map)


def test_duplicate_row_names_row_and_lines(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text().replace("\nC\t", "\nB\t"))
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(InputError, match=r"row B appears twice .*lines 25 and 27") as raised:
        read_export(export, plate_map=plate_map)
    assert raised.value.where == "line 27"


def test_map_naming_no_export_well(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text())
    plate_map = write(tmp_path, "map.csv", "well,role\nP24,blank\n")
    with pytest.raises(InputError, match="names none of the wells"):
        read_export(export, plate_map=plate_map)


def test_sample_without_sample_id(tmp_path: Path) -> None:
    export = write(tmp_path, "plate.txt", gen5_text())
    plate_map = write(tmp_path, "map.csv", "well,role,sample_id\nA1,blank,\nA7,sample,\n")
    plate = read_export(export, plate_map=plate_map)
    a7 = by_well(plate.wells).loc["A7"]
    assert (a7["role"], a7["sample_name"]) == ("sample", "") and pd.isna(a7["sample_id"])
    assert any(
        w.startswith("A7: sample or control wells with no name in the export")
        for w in plate.warnings
    )


def test_a_grid_smaller_than_the_full_plate_is_read_with_a_warning(tmp_path: Path) -> None:
    text = gen5_text((450,))
    cut = text[: text.index("\nG\t")] + "\r\n\r\n"
    plate = read_export(write(tmp_path, "plate.txt", cut))
    assert len(plate.wells) == 72 and plate.wells["well"].iloc[-1] == "F12"
    assert plate.warnings[0] == (
        "line 21: the procedure reads the full 96-well plate but the Results grid holds "
        "6 rows (A, B, C, D, E, F) x 12 columns: its wells are read where they are; check "
        "the export is complete"
    )


def test_sparse_rows_and_columns_place_each_value_in_its_well(tmp_path: Path) -> None:
    text = gen5_text((450,), rows="ADHLP", columns=24)
    # Columns 1, 2, 5 of the 24 only, as a read of some wells writes them.
    lines = []
    for line in text.split("\r\n"):
        cells = line.split("\t")
        if len(cells) == 26:  # a row: its letter, 24 cells, the label
            cells = [cells[0], cells[1], cells[2], cells[5], cells[25]]
        elif len(cells) == 25:  # the column numbers
            cells = [*cells[:3], cells[5]]
        lines.append("\t".join(cells))
    plate = read_export(write(tmp_path, "plate.txt", "\r\n".join(lines)))
    wells = by_well(plate.wells)
    assert wells.index.tolist()[:6] == ["A1", "A2", "A5", "D1", "D2", "D5"]
    assert len(wells) == 15
    # od(row index, column, 0): row P is the fifth row of the grid, column 5 the third.
    assert wells.loc["P5", "signal"] == pytest.approx(float(od(4, 5, 0)))
    assert "holds 5 rows (A, D, H, L, P) x 3 columns" in plate.warnings[0]


def test_a_row_whose_label_is_damaged_is_named_not_dropped_silently(tmp_path: Path) -> None:
    text = gen5_text((450,))
    last = text.rindex("\t450\r\n")
    damaged = text[:last] + "\ta\r\n" + text[last + len("\t450\r\n") :]
    plate = read_export(write(tmp_path, "plate.txt", damaged))
    assert len(plate.wells) == 84 and "H1" not in set(plate.wells["well"])
    assert any(
        "row H of the Results grid has no `450` line (labelled `a` there): its wells are not "
        "read" in warning
        for warning in plate.warnings
    ), plate.warnings


def test_a_damaged_grid_line(tmp_path: Path) -> None:
    text = gen5_text().replace("\nC\t", "\nC\t0.1\t", 1)
    plate_map = write(tmp_path, "map.csv", PLATE_MAP)
    with pytest.raises(InputError, match="row C of the Results grid has 14 cells for 12 columns"):
        read_export(write(tmp_path, "plate.txt", text), plate_map=plate_map)


def test_unlabelled_lines_are_the_declared_reads_in_order(tmp_path: Path) -> None:
    text = "\r\n".join(
        "\t".join([*cells[:-1], ""]) if (cells := line.split("\t"))[-1] in ("450", "630") else line
        for line in gen5_text().split("\r\n")
    )
    plate = read_export(write(tmp_path, "plate.txt", text), read="630")
    assert by_well(plate.wells).loc["A1", "signal"] == 0.044
    assert (plate.wells["signal_kind"] == "OD630").all()


# --- other reads: fluorescence, luminescence, Alpha, several steps ------------------


def export(procedure: str, *blocks: str, plate_type: str = "96 WELL PLATE") -> str:
    """A Gen5 export: the header, `procedure` (its lines after Plate Type) and blocks."""
    head = HEADER[: HEADER.index("Plate Type")].replace("\r\n", "\n")
    lines = [head + f"Plate Type\t{plate_type}\n" + procedure.strip("\n") + "\n"]
    lines += ["\n" + block.strip("\n") + "\n" for block in blocks]
    return "".join(lines)


def grid(title: str, labels: list[str], value: str = "{row}{column}", columns: int = 12) -> str:
    """A titled grid, one line per label per row; values count up per line."""
    lines = [title, "\t" + "\t".join(str(c) for c in range(1, columns + 1))]
    for r, row in enumerate(ROWS):
        for k, label in enumerate(labels):
            cells = [str(1000 * (k + 1) + 10 * r + c) for c in range(1, columns + 1)]
            lines.append("\t".join([row if k == 0 else "", *cells, label]))
    return "\n".join(lines)


FLUORESCENCE = """
Read\tFluorReadStepLabel
\tFluorescence Endpoint
\tFull Plate
\tFilter Set 1 (Blue)
\t    Excitation: 360/40,  Emission: 460/40
\t    Mirror: Top 400 nm,  Gain: 35
\tFilter Set 2 (Green)
\t    Excitation: 485/20,  Emission: 528/20
\t    Mirror: Top 510 nm,  Gain: 35
"""


def test_fluorescence_filter_sets_are_two_reads(tmp_path: Path) -> None:
    labels = ["FluorReadStepLabel:360/40,460/40", "FluorReadStepLabel:485/20,528/20"]
    path = write(tmp_path, "fl.txt", export(FLUORESCENCE, grid("Results", labels)))
    plate = read_export(path)
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "Fluorescence 360/460").all()
    assert wells.loc["B3", "signal"] == 1013.0  # first line of row B, column 3
    assert "not `FluorReadStepLabel:485/20,528/20` (Fluorescence 485/528)" in plate.warnings[0]
    for asked in (
        "FluorReadStepLabel:485/20,528/20",
        "485/20,528/20",
        "485,528",
        "fluorescence 485/528",
    ):
        second = by_well(read_export(path, read=asked).wells)
        assert second.loc["B3", "signal"] == 2013.0, asked
        assert (second["signal_kind"] == "Fluorescence 485/528").all()


def test_fluorescence_without_step_label_and_monochromator(tmp_path: Path) -> None:
    procedure = """
Read\tFluorescence Endpoint
\tFull Plate
\tFilter Set 1
\t    Excitation: 485,  Emission: 528
\t    Optics: Top,  Gain: 100
"""
    plate = read_export(write(tmp_path, "m.txt", export(procedure, grid("Results", ["485,528"]))))
    assert (plate.wells["signal_kind"] == "Fluorescence 485/528").all()
    assert plate.warnings[0].startswith("the export names no well roles")


def test_luminescence_reads(tmp_path: Path) -> None:
    full_light = """
Read\tLUM
\tLuminescence Endpoint
\tFull Plate
\tFilter Set 1
\t    Emission: Full light
\t    Optics: Top,  Gain: 135
"""
    path = write(tmp_path, "lum.txt", export(full_light, grid("Results", ["LUM:Lum", "NormLum"])))
    plate = read_export(path)
    assert (plate.wells["signal_kind"] == "Lum").all()
    assert by_well(plate.wells).loc["H12", "signal"] == 1082.0
    norm = plate.vendor[plate.vendor["quantity"] == "NormLum"].set_index("well")
    assert norm.loc["H12", "value"] == 2082.0 and norm["unit"].isna().all()
    # A read of one emission filter: `Lum 460`; its data set is named by the filter.
    filtered = full_light.replace("Full light", "460/40").replace("Read\tLUM", "Read\tFilter Lum")
    path = write(tmp_path, "f.txt", export(filtered, grid("Results", ["Filter Lum:460/40"])))
    assert (read_export(path).wells["signal_kind"] == "Lum 460").all()


def test_alpha_read(tmp_path: Path) -> None:
    procedure = "Read\tAlpha Endpoint\n\tFull Plate\n\tGain: 100\n"
    text = export(procedure, grid("Results", ["Alpha", "Blank Alpha", "[Concentration]"]))
    plate = read_export(write(tmp_path, "alpha.txt", text))
    assert (plate.wells["signal_kind"] == "Alpha").all()
    vendor = plate.vendor.set_index("quantity")
    assert set(vendor.index) == {"Blank Alpha", "concentration"}
    assert vendor.loc["Blank Alpha", "basis"].isna().all()
    assert set(vendor.loc["concentration", "basis"]) == {"in_well"}


MULTI = """
Read\tod
\tAbsorbance Endpoint
\tFull Plate
\tWavelengths:  600
Read\tfluor
\tFluorescence Endpoint
\tFull Plate
\tFilter Set 1
\t    Excitation: 579,  Emission: 616
\tFilter Set 2
\t    Excitation: 479,  Emission: 520
"""


def test_several_read_steps(tmp_path: Path) -> None:
    labels = ["od:600", "fluor:579,616", "fluor:479,520"]
    path = write(tmp_path, "multi.txt", export(MULTI, grid("Results", labels)))
    plate = read_export(path)
    assert (plate.wells["signal_kind"] == "OD600").all()
    assert plate.warnings[0] == (
        "the export holds 3 reads; the signal is `od:600` (OD600, the first endpoint read), "
        "not `fluor:579,616` (Fluorescence 579/616), `fluor:479,520` (Fluorescence 479/520); "
        "name another in wells.read"
    )
    by_step = by_well(read_export(path, read="fluor").wells)  # the step's first read
    assert (by_step.loc["A1", "signal"], by_step.loc["A1", "signal_kind"]) == (
        2001.0,
        "Fluorescence 579/616",
    )
    assert by_well(read_export(path, read="fluor:479,520").wells).loc["A1", "signal"] == 3001.0


def test_unlabelled_steps_are_gen5s_read_n(tmp_path: Path) -> None:
    procedure = MULTI.replace("Read\tod\n\tAbsorbance", "Read\tAbsorbance").replace(
        "Read\tfluor\n\tFluorescence", "Read\tFluorescence"
    )
    blocks = [grid("Read 1:600", ["Read 1:600"]), grid("Read 2:479,520", ["Read 2:479,520"])]
    plate = read_export(write(tmp_path, "r.txt", export(procedure, *blocks)), read="Read 2")
    assert (plate.wells["signal_kind"] == "Fluorescence 479/520").all()


# --- exports without a results matrix, kinetic and scan reads ------------------------

LOWRY = EXPORTS / "gen5" / "no_results_matrix.txt"


def test_an_export_without_a_results_matrix_is_read_as_gen5() -> None:
    plate = read_export(LOWRY)
    wells = by_well(plate.wells)
    assert plate.meta["format"] == "gen5" and len(wells) == 96
    assert (wells["signal_kind"] == "OD660").all()
    assert (wells.loc["A2", "role"], wells.loc["A2", "expected_conc"]) == ("standard", 10.0)
    assert wells.loc["A2", "signal"] == 0.076
    # `*0.170*`: a well masked in Gen5 (no concentration); its value is kept, the well flagged.
    assert (wells.loc["H3", "raw_text"], wells.loc["H3", "signal"]) == ("*0.170*", 0.17)
    assert (wells.loc["H3", "token"], wells.loc["H3", "flags"]) == ("numeric", "vendor_masked")
    conc = plate.vendor[plate.vendor["quantity"] == "concentration"].set_index("well")
    assert (conc.loc["A2", "value"], conc.loc["A2", "basis"]) == (9.091, "in_well")
    assert (conc.loc["A1", "raw_text"], conc.loc["A1", "token"]) == ("<0.000", "oor_low")
    assert conc.loc["H3", "raw_text"] == "?????"


KINETIC = """
Start Kinetic\tRuntime 0:30:00 (HH:MM:SS), Interval 0:00:30, 61 Reads
    Read\tAbsorbance Endpoint
\tFull Plate
\tWavelengths:  420
End Kinetic
"""
TIME_TABLE = "420\n\nTime\tT\u00b0 420\tA1\tA2\n0:00:00\t\t0.069\t0.062\n0:00:30\t\t0.140\t0.146"


def test_a_kinetic_read_gives_its_per_well_reduction(tmp_path: Path) -> None:
    results = grid("Results", ["Mean V [420]", "R-Squared [420]", "[Concentration]"])
    plate = read_export(write(tmp_path, "k.txt", export(KINETIC, TIME_TABLE, results)))
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "Mean V [420]").all()
    assert wells.loc["C4", "signal"] == 1024.0
    assert set(plate.vendor["quantity"]) == {"R-Squared [420]", "concentration"}
    assert plate.warnings[0].startswith("the export names no well roles")


def test_a_kinetic_read_without_reduction_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        read_export(write(tmp_path, "k.txt", export(KINETIC, TIME_TABLE)))
    assert raised.value.message == (
        "this is a kinetic absorbance endpoint read (Runtime 0:30:00 (HH:MM:SS), Interval "
        "0:00:30, 61 Reads) and the export holds no per-well endpoint or reduced value (only "
        "the `420` table): export it with a kinetic or scan data reduction (such as `Mean V` "
        "or `Max V`), or its endpoint read"
    )


def test_a_spectrum_read_with_an_empty_reduction_is_refused(tmp_path: Path) -> None:
    procedure = "Read\tLuminescence Spectrum\n\tFull Plate\n\tEmission Start: 300 nm\n"
    results = "Results\n\t1\t2\n" + "".join(
        f"{row}\t\t\tMean Max RLU/Sec [EM Spectrum]\n" for row in ROWS
    )
    with pytest.raises(InputError) as raised:
        read_export(write(tmp_path, "s.txt", export(procedure, results)))
    assert raised.value.message == (
        "this is a luminescence spectrum read and its per-well value `Mean Max RLU/Sec "
        "[EM Spectrum]` is empty in every well: there is no endpoint value to read"
    )


def test_wells_outside_the_read_are_left_out(tmp_path: Path) -> None:
    procedure = "Read\tAlpha Endpoint\n\tD1..E12\n\tGain: 150\n"
    results = grid("Results", ["Alpha"]).splitlines()
    emptied = [
        "\t".join([c[0], *([""] * 12), c[-1]]) if (c := line.split("\t"))[0] not in "DE" else line
        for line in results[2:]
    ]
    text = export(procedure, "\n".join(results[:2] + emptied))
    plate = read_export(write(tmp_path, "partial.txt", text))
    assert sorted(plate.wells["well"].str[0].unique()) == ["D", "E"] and len(plate.wells) == 24
    assert not any("left out" in warning for warning in plate.warnings)
    # In a full-plate read, wells with neither a value nor a Layout entry are named.
    full = read_export(write(tmp_path, "full.txt", text.replace("D1..E12", "Full Plate")))
    assert full.warnings[0].startswith(
        "72 wells of the full-plate read have no value in `Alpha` and no Layout entry (A1, A2, A3"
    )


# --- error files --------------------------------------------------------------------


def test_an_export_with_no_results_is_refused_as_gen5(tmp_path: Path) -> None:
    text = export("Read\tod\n\tAbsorbance Endpoint\n\tFull Plate\n\tWavelengths:  600\n")
    text += "\n\nActual Temperature:\t22.8\n"
    with pytest.raises(InputError) as raised:
        read_export(write(tmp_path, "none.txt", text))
    assert raised.value.message == (
        "the export holds no plate data: no `Results` grid and no data-set grid after the "
        "procedure; export the plate with its results"
    )
    assert raised.value.where == "line 13"  # the procedure, after which data should be


def test_an_export_of_calculated_values_only_is_refused(tmp_path: Path) -> None:
    procedure = "Read\tabs450\n\tAbsorbance Endpoint\n\tFull Plate\n\tWavelengths:  450\n"
    text = export(procedure, grid("Results", ["Blank abs450:450"]))
    with pytest.raises(InputError, match=r"only values Gen5 calculated \(`Blank abs450:450`\)"):
        read_export(write(tmp_path, "calc.txt", text))
    # Asked for by name, a calculated data set is read.
    plate = read_export(write(tmp_path, "calc.txt", text), read="Blank abs450:450")
    assert (plate.wells["signal_kind"] == "Blank abs450:450").all()


def test_an_empty_read_is_refused_and_a_repeated_line_warned_of(tmp_path: Path) -> None:
    procedure = "Read\tAbsorbance Endpoint\n\tFull Plate\n\tWavelengths:  450\n"
    empty = "Results\n\t1\t2\n" + "".join(f"{row}\t\t\t450\n" for row in "AB")
    with pytest.raises(InputError) as raised:
        read_export(write(tmp_path, "empty.txt", export(procedure, empty)))
    assert (
        raised.value.message
        == "the data set `450` is empty in every well: there is no value to read"
    )
    twice = "Results\n\t1\t2\nA\t0.1\t0.2\t450\n\t0.3\t0.4\t450\n"
    plate = read_export(write(tmp_path, "twice.txt", export(procedure, twice)))
    assert plate.wells["signal"].tolist() == [0.1, 0.2]
    assert "line 23: row A has two `450` lines; the first is read" in plate.warnings


# --- Gen5 with its own layout, concentrations and curve ----------------------------

LAYOUT_EXPORT = EXPORTS / "gen5/gen5_endpoint_layout_4pl.txt"


def test_layout_gives_roles_without_a_plate_map() -> None:
    plate = read_export(LAYOUT_EXPORT)
    wells = by_well(plate.wells)
    assert len(wells) == 96
    # G12 and H12 have no Well ID: read but not placed, so unassigned and named.
    assert wells.index[wells["role"] == "unassigned"].tolist() == ["G12", "H12"]
    assert any(": G12, H12; they are kept with the role unassigned" in w for w in plate.warnings)
    assert (wells.loc["C1", "role"], wells.loc["C1", "level"]) == ("standard", 3)
    assert wells.loc["C1", "expected_conc"] == 250.0
    assert (wells.loc["H1", "role"], wells.loc["H1", "sample_name"]) == ("blank", "BLK")
    assert (wells.loc["B3", "role"], wells.loc["B3", "sample_id"]) == ("control", "CTL1")
    assert wells.loc["B3", "expected_conc"] == 300.0
    # SPL<n>:<k> is sample SPL<n> at its k-th dilution; Conc/Dil 0.5 means 1:2.
    assert (wells.loc["A4", "sample_name"], wells.loc["A4", "sample_id"]) == ("SPL7:1", "SPL7")
    assert (wells.loc["A5", "sample_name"], wells.loc["A5", "sample_id"]) == ("SPL15:2", "SPL15")
    assert (wells.loc["A5", "dilution"], wells.loc["A4", "dilution"]) == (2.0, 1.0)
    assert set(wells["analyte"]) == {"OD"}
    # Gen5 blank-subtracted 450 nm alone (`Blank NfL:450`): the 630 nm read is not used.
    assert (wells["signal_kind"] == "OD450").all()
    assert (wells.loc["B5", "raw_text"], wells.loc["B5", "token"]) == ("OVRFLW", "overflow")
    assert (wells.loc["C6", "token"], wells.loc["D7", "token"]) == ("error", "error")
    assert (wells.loc["E8", "raw_text"], wells.loc["E8", "signal"]) == ("0.234", 0.234)
    assert wells.loc["A1", "signal"] == 0.063
    assert "not `NfL:630` (OD630)" in plate.warnings[0]


def test_gen5_concentrations_and_curve_go_to_the_vendor_table() -> None:
    vendor = read_export(LAYOUT_EXPORT).vendor
    per_well = vendor[vendor["quantity"] == "concentration"].set_index("well")
    assert len(per_well) == 96 and set(per_well["basis"]) == {"in_well"}
    assert (per_well.loc["A1", "raw_text"], per_well.loc["A1", "token"]) == (
        ">1000.000",
        "oor_high",
    )
    assert (per_well.loc["H2", "raw_text"], per_well.loc["H2", "token"]) == ("<0.000", "oor_low")
    assert (per_well.loc["B5", "raw_text"], per_well.loc["B5", "token"]) == ("?????", "error")
    assert per_well.loc["C3", "value"] == 33.0
    assert per_well.loc["C3", "analyte"] == "OD"
    blank = vendor[vendor["quantity"] == "Blank NfL:450"].set_index("well")
    assert blank.loc["A1", "value"] == 0.013 and blank["basis"].isna().all()
    curve = vendor[vendor["well"].isna()].set_index("quantity")
    assert curve.loc["model", "raw_text"] == "Y = (A-D)/(1+(X/C)^B) + D"
    # Gen5's 4PL is DESIGN.md's model letter for letter, with g = 1.
    assert [curve.loc[q, "value"] for q in "abcdg"] == [0.052, 1.21, 412.5, 3.41, 1.0]
    assert curve.loc["r_squared", "value"] == 0.998
    assert (curve.loc["fit_prob", "raw_text"], curve.loc["fit_prob", "token"]) == ("?????", "error")


def test_a_map_without_roles_names_the_analyte(tmp_path: Path) -> None:
    layout = "well,role,analyte\n" + "".join(f"{r}{c},,NfL\n" for r in ROWS for c in range(1, 13))
    plate = read_export(LAYOUT_EXPORT, plate_map=write(tmp_path, "map.csv", layout))
    assert set(plate.wells["analyte"]) == {"NfL"}
    assert by_well(plate.wells).loc["C1", "role"] == "standard"  # the layout's role stands
    assert len(placed(plate.wells)) == 94 and len(plate.wells) == 96
    # G12 and H12 have no role, but the plate has one analyte, so their results name it.
    assert set(plate.vendor["analyte"]) == {"NfL"}


def test_a_layout_that_does_not_match_the_results(tmp_path: Path) -> None:
    text = LAYOUT_EXPORT.read_text(encoding="utf-8")
    start = text.index("H\tBLK")
    end = text.index("Conc/Dil", start) + len("Conc/Dil")
    shorter = text[:start] + text[end + 2 :]
    plate = read_export(write(tmp_path, "plate.txt", shorter))
    # The Layout has no row H: its wells are read without a role.
    assert by_well(plate.wells).loc["H1", "role"] == "unassigned"
    assert any("H1, H2" in warning for warning in plate.warnings)
    # A Layout naming wells the read does not hold: read, and those wells named.
    layout = "Layout\n\t1\t2\nA\tSTD1\tSTD2\tWell ID\nB\tSPL1\tSPL2\tWell ID"
    results = "Results\n\t1\t2\nA\t0.9\t0.5\t450"
    procedure = "Read\tAbsorbance Endpoint\n\tA1..B2\n\tWavelengths:  450\n"
    plate = read_export(write(tmp_path, "cut.txt", export(procedure, layout, results)))
    assert plate.wells["well"].tolist() == ["A1", "A2"]
    assert plate.warnings[0] == (
        "the Layout names 2 wells the read does not hold: B1 (SPL1), B2 (SPL2); they have "
        "no reading and are left out"
    )


def test_assay_controls_names_and_units_from_the_layout(tmp_path: Path) -> None:
    layout = "\n".join(
        [
            "Layout",
            "\t1\t2\t3\t4",
            "A\tPOSCON\tNEG\tSTD1\tSPL1:2\tWell ID",
            "\t\t\t100\t0.5\tConc/Dil (ng/mL)",
            "\t\t\t\tP-017\tName",
        ]
    )
    results = "Results\n\t1\t2\t3\t4\nA\t9\t8\t7\t6\t450\n"
    procedure = "Read\tAbsorbance Endpoint\n\tA1..A4\n\tWavelengths:  450\n"
    plate = read_export(write(tmp_path, "ctl.txt", export(procedure, layout, results)))
    wells = by_well(plate.wells)
    # Gen5 names samples SPL<n>: any other Well ID is an assay control of the lab's.
    assert wells.loc[["A1", "A2"], "role"].tolist() == ["control", "control"]
    assert wells.loc[["A1", "A2"], "sample_id"].tolist() == ["POSCON", "NEG"]
    assert (wells.loc["A4", "sample_id"], wells.loc["A4", "dilution"]) == ("P-017", 2.0)
    assert plate.meta["unit"] == "ng/mL" and set(wells["unit"]) == {"ng/mL"}
    assert wells.loc["A3", "expected_conc"] == 100.0


def test_a_concentration_data_set_keeps_its_unit(tmp_path: Path) -> None:
    procedure = "Read\t260\n\tAbsorbance Endpoint\n\tFull Plate\n\tWavelengths:  260\n"
    text = export(procedure, grid("Results", ["260:260", "DNA concentration ng/uL"]))
    vendor = read_export(write(tmp_path, "dna.txt", text)).vendor.set_index("well")
    assert (vendor.loc["A1", "quantity"], vendor.loc["A1", "value"]) == ("concentration", 2001.0)
    assert (vendor.loc["A1", "unit"], vendor.loc["A1", "basis"]) == ("ng/uL", "in_well")


# --- real exports ------------------------------------------------------------------


@pytest.mark.realdata
def test_gen5_abs450_overflow_and_missed(tmp_path: Path, realdata: Path) -> None:
    export = realdata / "gen5/gen5_abs450_overflow_missed.txt"
    alone = read_export(export)
    assert (alone.wells["role"] == "unassigned").all() and len(alone.wells) == 96
    layout = "well,role,sample_id\n" + "".join(
        f"{r}{c},sample,S{r}{c}\n" for r in ROWS for c in range(1, 13)
    )
    plate = read_export(export, plate_map=write(tmp_path, "map.csv", layout))
    wells = by_well(plate.wells)
    assert len(wells) == 96
    assert (wells["signal_kind"] == "OD450").all()
    assert wells["token"].value_counts().to_dict() == {"numeric": 83, "overflow": 8, "error": 5}
    # Read by eye from the file.
    assert wells.loc["A1", "signal"] == 2.1 and wells.loc["A1", "raw_text"] == "2.100"
    assert wells.loc["H12", "signal"] == 2.5
    assert (wells.loc["A8", "token"], wells.loc["A8", "raw_text"]) == ("overflow", "OVRFLW")
    assert (wells.loc["H1", "token"], wells.loc["D12", "token"]) == ("overflow", "error")
    assert wells.loc["D12", "raw_text"] == "MISSED" and math.isnan(wells.loc["D12", "signal"])
    assert plate.meta["format"] == "gen5"
    assert plate.meta["instrument"] == "Synergy H1"
    assert plate.meta["software_version"] == "3.12.08"
    assert plate.meta["serial_number"] == "Unknown"
    assert plate.meta["run_time"] == "4/11/2024 5:27:15 PM"
    assert plate.vendor.empty and plate.warnings == ()


@pytest.mark.realdata
def test_gen5_kinetic_export_reads_gen5s_mean_v(realdata: Path) -> None:
    plate = read_export(realdata / "gen5/gen5_kinetic_stdcurve_4pl.txt")
    wells = by_well(plate.wells)
    assert (wells["signal_kind"] == "Mean V [420]").all()
    # Read by eye from the file: A1 is STD12 (40), B12 STD1 (0).
    assert (wells.loc["A1", "signal"], wells.loc["A1", "expected_conc"]) == (31.303, 40.0)
    assert (wells.loc["B12", "signal"], wells.loc["B12", "expected_conc"]) == (0.230, 0.0)
    assert wells["role"].value_counts().to_dict() == {"sample": 72, "standard": 24}
    conc = plate.vendor[plate.vendor["quantity"] == "concentration"].set_index("well")
    assert (conc.loc["A2", "raw_text"], conc.loc["A2", "token"]) == (">40.000", "oor_high")
    assert conc.loc["A1", "value"] == 27.131
    curve = plate.vendor[plate.vendor["well"].isna()].set_index("quantity")["value"]
    assert [curve[q] for q in "abcd"] == [1.23, 3.52, 14.8, 34.9]


# Values read by eye from the files: (file, wells.read, well, signal, signal_kind).
REAL_SIGNALS = [
    ("absorbance/endpoint_stdcurve_singleplate.txt", "", "B4", 0.999, "OD630"),
    ("absorbance/Lowry_Protein_Assay_no_results_matrix.txt", "", "H12", 0.526, "OD660"),
    ("absorbance/endpoint_pathlength_correct_singleplate.txt", "", "A1", 0.626, "OD260"),
    ("absorbance/endpoint_pathlength_correct_singleplate.txt", "280", "A1", 0.345, "OD280"),
    ("absorbance/endpoint_wavelength_measurement_labels.txt", "", "B1", 1.0033, "OD280"),
    ("absorbance/kinetic_helper_gene_growth_curve.txt", "", "B4", -4.55, "Max V [600]"),
    ("absorbance/spectrum_data.txt", "", "A3", 1.43, "Mean Max OD [Spectral_Scan_Test:Spectrum]"),
    ("absorbance/exclude/kinetic_singleplate.txt", "", "H12", 261.7, "Max V [Blank OD600:450]"),
    ("fluorescence/endpoint_singleplate.txt", "", "A1", 8940.0, "Fluorescence 360/460"),
    (
        "fluorescence/endpoint_singleplate.txt",
        "485/20,528/20",
        "A1",
        8605.0,
        "Fluorescence 485/528",
    ),
    ("fluorescence/endpoint_singleplate_filter.txt", "", "P24", 86.0, "Fluorescence 504/531"),
    (
        "fluorescence/endpoint_fluorescence_polarization.txt",
        "",
        "A1",
        523.0,
        "Fluorescence 485/528 [Parallel]",
    ),
    (
        "fluorescence/endpoint_fluorescence_polarization.txt",
        "Polarization",
        "A1",
        145.0,
        "Polarization",
    ),
    ("fluorescence/alphalisa_endpoint_singleplate.txt", "", "D12", 3.0, "Alpha"),
    ("fluorescence/alphalisa_test_2.txt", "", "E24", 340.0, "Alpha"),
    (
        "fluorescence/Fluorescamine_Protein_Quantitation_no_results_matrix.txt",
        "",
        "H1",
        70217.0,
        "Fluorescence 400/460",
    ),
    ("luminescence/endpoint_singleplate.txt", "", "E1", 215.0, "Lum"),
    (
        "luminescence/endpoint_singleplate_withFilter_withStepLabel.txt",
        "",
        "H12",
        250360.0,
        "Lum 460",
    ),
    ("luminescence/endpoint_singleplate_without_bandwidth.txt", "", "B6", 226150.0, "Lum 620"),
    ("luminescence/luminescence_no_results_table.txt", "", "P24", 329.0, "Lum"),
    (
        "luminescence/exclude/neo_kinetic_titration_gen5_2_06_column.txt",
        "",
        "D11",
        2215.29,
        "Integral [Lum]",
    ),
    (
        "multi_read_modes/multiple_read_modes.txt",
        "fluor:479,520",
        "H10",
        852.0,
        "Fluorescence 479/520",
    ),
    ("multi_read_modes/two_same_read_modes.txt", "280", "A1", 418.0, "OD280"),
    (
        "Synergy instrument datafile (Fibrillation data) - TXT format.txt",
        "",
        "A2",
        1636.0,
        "Fluorescence 450/490",
    ),
    (
        "Synergy instrument datafile (Fibrillation data) - TXT format.txt",
        "Read 1:295,350",
        "A1",
        17455.0,
        "Fluorescence 295/350",
    ),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("relative", "read", "well", "signal", "kind"), REAL_SIGNALS)
def test_real_gen5_signals_by_eye(
    realdata: Path, relative: str, read: str, well: str, signal: float, kind: str
) -> None:
    plate = read_exports(realdata / "allotropy/agilent_gen5" / relative, read=read)[0]
    wells = by_well(plate.wells)
    assert wells.loc[well, "signal"] == pytest.approx(signal)
    assert (wells["signal_kind"] == kind).all()


@pytest.mark.realdata
def test_gen5_concentrations_are_of_the_well_as_measured(realdata: Path) -> None:
    export = realdata / "allotropy/agilent_gen5/absorbance/endpoint_stdcurve_singleplate.txt"
    plate = read_export(export)
    wells = by_well(plate.wells)
    conc = plate.vendor[plate.vendor["quantity"] == "concentration"].set_index("well")
    # SPL1:1 (A4, Conc/Dil 1) and SPL1:2 (B4, Conc/Dil 0.5, a 1:2 dilution): Gen5's
    # concentration of B4 is half that of A4, as its OD is: not multiplied by 2.
    assert wells.loc["B4", "dilution"] == 2.0
    assert conc.loc["B4", "value"] / conc.loc["A4", "value"] == pytest.approx(0.5, abs=0.005)
    # Gen5's line Y = 0.00168 X - 0.000723 on the blank-subtracted OD (0.998) gives B4's
    # concentration within the rounding of the exported coefficients.
    from_curve = (0.998 + 0.000723) / 0.00168
    assert conc.loc["B4", "value"] == pytest.approx(from_curve, rel=0.005)
    assert set(conc["basis"]) == {"in_well"} and conc["unit"].isna().all()
    blank = plate.vendor[plate.vendor["quantity"] == "Blank 630nmAbsRead:630"].set_index("well")
    assert blank.loc["B4", "value"] == 0.998


@pytest.mark.realdata
def test_real_gen5_roles_vendor_values_and_plates(realdata: Path) -> None:
    folder = realdata / "allotropy/agilent_gen5"
    lum = read_export(folder / "luminescence/endpoint_singleplate.txt")
    wells = by_well(lum.wells)
    # POSCON and NEGCON are Gen5 assay controls.
    assert (wells.loc["A1", "role"], wells.loc["A1", "sample_id"]) == ("control", "POSCON")
    assert (wells.loc["E1", "role"], wells.loc["A2", "role"]) == ("control", "sample")
    norm = lum.vendor[lum.vendor["quantity"] == "NormLum"].set_index("well")
    assert norm.loc["A1", "value"] == 99.846
    plates = read_exports(folder / "luminescence/exclude/endpoint_multiplate.txt")
    assert [p.meta["plate_name"] for p in plates] == ["Plate 1", "Plate 2", "Plate 3"]
    assert by_well(plates[1].wells).loc["A1", "signal"] == 9067.0
    assert by_well(plates[2].wells).loc["H12", "signal"] == 8344.0
    dna = read_export(folder / "absorbance/endpoint_pathlength_correct_singleplate.txt").vendor
    dna = dna[dna["quantity"] == "concentration"].set_index("well")
    assert (dna.loc["A1", "value"], dna.loc["A1", "unit"]) == (249.278, "ng/uL")
    fibrillation = read_export(
        folder / "Synergy instrument datafile (Fibrillation data) - TXT format.txt"
    ).vendor
    max_v = fibrillation[fibrillation["quantity"] == "Max V [Read 2:450,490]"].set_index("well")
    assert max_v.loc["A6", "value"] == 64460.0
    alpha = read_export(folder / "fluorescence/alphalisa_endpoint_singleplate.txt")
    conc = alpha.vendor[alpha.vendor["quantity"] == "concentration"].set_index("well")
    assert (conc.loc["B6", "raw_text"], conc.loc["B6", "token"]) == (">3141492.000", "oor_high")
    assert by_well(alpha.wells).loc["A1", "expected_conc"] == 1e7


@pytest.mark.realdata
def test_real_gen5_refusals(realdata: Path) -> None:
    folder = realdata / "allotropy/agilent_gen5"
    expected = {
        "luminescence/spectral_scan.txt": "is empty in every well: there is no endpoint value",
        "missing_results_error.txt": "the export holds no plate data",
        "calculated_data_with_no_measurements_error.txt": "only values Gen5 calculated",
        "garbage_error.txt": "not a supported plate export",
    }
    for relative, reason in expected.items():
        with pytest.raises(InputError, match=reason):
            read_exports(folder / relative)


def test_a_column_number_of_thousands_of_digits_is_refused(tmp_path: Path) -> None:
    # Python's int refuses a text of more than 4,300 digits; it stopped the chunk.
    text = LAYOUT_EXPORT.read_bytes().decode("utf-8")
    path = write(tmp_path, "long_column.txt", text.replace("\t1\t2\t3", f"\t1\t{'9' * 5000}\t3", 1))
    with pytest.raises(InputError) as raised:
        read_exports(path)
    assert str(raised.value) == (
        f"{path}: line 30: the Layout grid should start with a line of column numbers 1 to 12 "
        f"(or 24), found '1|{'9' * 54}..."
    )


def test_a_standard_numbered_far_off_its_series(tmp_path: Path) -> None:
    text = LAYOUT_EXPORT.read_bytes().decode("utf-8")
    # STD100000: the level lies 10^30112 off the line of the others, which raised
    # OverflowError; STD and 20 digits made that 10^(10^18) (the read never ended).
    far = write(tmp_path, "far.txt", text.replace("C\tSTD3\tSTD3", "C\tSTD100000\tSTD100000", 1))
    plate = read_export(far)
    assert by_well(plate.wells).loc["C1", "level"] == 100000
    assert any(
        w.startswith(
            "analyte OD, standard level 100000: the expected concentration 250 of "
            "standard level 100000 does not fit the dilution series"
        )
        for w in plate.warnings
    )
    # A number of more than 9 digits is no level: the name is Gen5's ID of an assay control.
    for digits in ("9" * 20, "9" * 5000):
        named = text.replace("C\tSTD3\tSTD3", f"C\tSTD{digits}\tSTD{digits}", 1)
        wells = by_well(read_export(write(tmp_path, "long.txt", named)).wells)
        assert wells.loc["C1", "role"] == "control" and wells["level"].isna()["C1"]
