"""Tecan Magellan Excel list exports (assaypipe.readers.magellan).

The fixtures are built by tests/platereader_workbooks.py in the structure of the real
exports; the real ones (../shared/realdata/allotropy/tecan_magellan) are read where the
folder exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assaypipe.errors import InputError
from assaypipe.readers import read_export, read_exports
from assaypipe.readers.magellan import RunDescription, split_sheet
from assaypipe.readers.protocol import Source
from assaypipe.readers.registry import format_of
from tests import platereader_workbooks as books
from tests.conftest import by_well

pytestmark = pytest.mark.usefixtures("no_settle")

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "exports" / "magellan"
REAL = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "allotropy" / "tecan_magellan"


def write(tmp_path: Path, data: bytes, name: str = "export.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_committed_fixtures_are_what_the_builders_write() -> None:
    for relative, build in books.FIXTURES.items():
        if not relative.startswith("magellan/"):
            continue
        committed = Source((FIXTURES.parent / relative).read_bytes(), relative).sheets
        assert committed == Source(build(), relative).sheets, relative


def test_run_description() -> None:
    sheets = Source(books.magellan_two_labels_384(), "x.xlsx").sheets
    run = RunDescription.create(split_sheet(sheets).description)
    assert (run.run_time, run.method, run.workspace, run.instrument, run.serial_number) == (
        "2021-07-08 14:34:46", "210325_384ELISA", "08072021-005", "Sunrise", "12901000069"
    )  # fmt: skip
    assert [(m.label, m.mode, m.wavelength, m.unit) for m in run.measurements] == [
        ("Label1", "Absorbance", "450", "OD"),
        ("Label2", "Absorbance", "620", "OD"),
    ]
    assert [m.signal_kind for m in run.measurements] == ["OD450", "OD620"]


def test_two_labels_on_a_384_well_plate() -> None:
    plate = read_export(FIXTURES / "two_labels_384.xlsx")
    assert {k: plate.meta[k] for k in ("format", "instrument", "software", "serial_number",
                                       "batch", "run_time")} == {
        "format": "magellan",
        "instrument": "Sunrise",
        "software": "Magellan",
        "serial_number": "12901000069",
        "batch": "08072021-005",
        "run_time": "2021-07-08 14:34:46",
    }  # fmt: skip
    wells = by_well(plate.wells)
    # Rows A and P of a 384-well plate, placed by their Well positions.
    assert len(wells) == 48 and {"A1", "A24", "P1", "P24"} <= set(wells.index)
    assert wells.loc["P24", "signal"] == pytest.approx(0.05 + 0.01 * 47)
    assert wells.loc["A1", ["raw_text", "token"]].tolist() == ["OVER", "overflow"]
    assert set(wells["signal_kind"]) == {"OD450"} and set(wells["role"]) == {"unassigned"}
    assert plate.warnings[0] == (
        "the export holds 2 reads; the signal is `Label1` (OD450, the first measurement), "
        "not `Label2` (OD620); name another in wells.read"
    )


@pytest.mark.parametrize("read", ["Label2", "620", "620 nm", "OD620"])
def test_the_read_named_in_wells_read(read: str) -> None:
    plate = read_export(FIXTURES / "two_labels_384.xlsx", read=read)
    assert set(plate.wells["signal"]) == {0.041}
    assert set(plate.wells["signal_kind"]) == {"OD620"}


def test_a_read_the_export_does_not_hold_is_refused() -> None:
    with pytest.raises(
        InputError,
        match=r"wells.read asks for the read `405`.*holds `Label1` \(OD450\), `Label2` \(OD620\)",
    ):
        read_export(FIXTURES / "two_labels_384.xlsx", read="405")


def test_well_names_give_roles_and_concentrations_go_to_the_vendor_table() -> None:
    plate = read_export(FIXTURES / "names_concentrations_96.xlsx")
    wells = by_well(plate.wells)
    roles = {w: wells.loc[w, "role"] for w in ("A1", "D1", "E1", "F1", "G1", "H1")}
    assert roles == {"A1": "standard", "D1": "standard", "E1": "blank", "F1": "control",
                     "G1": "control", "H1": "sample"}  # fmt: skip
    assert wells.loc["B1", "level"] == 2
    assert wells.loc["H1", "sample_id"] == "Smp1"
    assert (
        plate.meta["plate_name"] == "96WEL008"
        and plate.meta["plate_id"] == "names_concentrations_96"
    )
    conc = plate.vendor.set_index("well")
    assert set(conc["quantity"]) == {"concentration"} and set(conc["unit"]) == {"ng/mL"}
    assert conc["basis"].isna().all()
    assert conc.loc["A1", "value"] == pytest.approx(wells.loc["A1", "signal"] * 10, rel=1e-3)
    assert (
        "Magellan's concentrations do not say whether they include the wells' dilution"
        in plate.warnings[0]
    )


def test_a_plate_column_naming_two_plates_gives_two_plates(tmp_path: Path) -> None:
    path = write(tmp_path, books.magellan_names_96(("Plate 7", "Plate 8")))
    plates = read_exports(path)
    assert [(p.meta["plate_name"], len(p.wells)) for p in plates] == [
        ("Plate 7", 96),
        ("Plate 8", 96),
    ]
    assert by_well(plates[1].wells).loc["A1", "signal"] == pytest.approx(1.108)


def test_a_plate_column_filled_for_part_of_the_wells_is_one_plate(tmp_path: Path) -> None:
    sheets = {
        s.name: [list(r) for r in s.rows] for s in Source(books.magellan_names_96(), "x").sheets
    }
    rows = sheets["Magellan Sheet 1"]
    for row in rows[46:97]:
        row[4] = None
    plates = read_exports(write(tmp_path, books.book_bytes(sheets)))
    assert len(plates) == 1 and len(plates[0].wells) == 96
    assert any(
        w.startswith(
            "the Plate column names a plate for 45 of the 96 wells and is empty from F6 (row 47)"
        )
        for w in plates[0].warnings
    )


def test_a_list_without_well_positions_is_refused(tmp_path: Path) -> None:
    sheets = {
        s.name: [list(r) for r in s.rows] for s in Source(books.magellan_names_96(), "x").sheets
    }
    for row in sheets["Magellan Sheet 1"][:97]:
        del row[1]
    with pytest.raises(
        InputError,
        match=r"sheet `Magellan Sheet 1`, row 1: the Magellan list has no `Well positions` "
        r"column, so its 96 values cannot be placed",
    ):
        read_export(write(tmp_path, books.book_bytes(sheets)))


def test_a_list_without_wells_is_refused(tmp_path: Path) -> None:
    rows = [["Raw data", "Well positions"], *books.magellan_description([("Raw data", 450)])]
    with pytest.raises(InputError, match="holds no well line"):
        read_export(write(tmp_path, books.book_bytes({"Magellan Sheet 1": rows})))


def test_recognised_by_content(tmp_path: Path) -> None:
    assert format_of(Source(books.magellan_two_labels_384(), "plate.csv")).name == "magellan"
    # A list without Magellan's description is not Magellan's.
    rows = [["Raw data", "Well positions"], [0.1, "A1"], ["Date of measurement: 2021-07-08"]]
    with pytest.raises(InputError, match="not a supported plate export"):
        format_of(Source(books.book_bytes({"Sheet": rows}), "x.xlsx"))


# --- the real exports --------------------------------------------------------------


def test_real_magellan_exports(realdata: Path) -> None:
    elisa = read_export(REAL / "SLA01P01_ELISA.xlsx")
    wells = by_well(elisa.wells)
    # Read by eye: A1 0.0557 (Label1, 485 nm), P24 0.0356; Label2 A1 0.0509.
    assert len(wells) == 384 and wells.loc["A1", "signal"] == 0.0557
    assert wells.loc["P24", "signal"] == 0.0356
    assert set(wells["signal_kind"]) == {"OD485"}
    assert (
        by_well(read_export(REAL / "SLA01P01_ELISA.xlsx", read="560").wells).loc["A1", "signal"]
        == 0.0509
    )
    od = read_export(REAL / "SLA01P01_OD.xlsx")
    # Listed by columns (A1, B1, ...): B1 is 0.2118, H12 0.0461.
    assert by_well(od.wells).loc["B1", "signal"] == 0.2118
    assert by_well(od.wells).loc["H12", "signal"] == 0.0461
    assert od.meta["plate_name"] == "96WEL008" and od.meta["run_time"] == "2021-07-06 09:43:07"
    assay = read_export(REAL / "SLA01P01_assay.xlsx")
    assert any("column E (`Label1=535`) holds no value" in w for w in assay.warnings)
    with pytest.raises(
        InputError, match=r"no `Well positions` column, so its 96 values cannot be placed"
    ):
        read_export(REAL / "errors" / "no_well_positions.xlsx")


def test_a_kinetic_list_is_refused(tmp_path: Path) -> None:
    rows: list[books.Row] = [
        ["Label1", "Label1", "Label1", "Well positions"],
        ["0s", "60s", "120s"],
    ]
    rows += [[0.1, 0.2, 0.3, well] for well in ("A1", "A2")]
    rows += books.magellan_description([("Label1", 450)])
    with pytest.raises(
        InputError,
        match=r"row 1: the Magellan list holds the label `Label1` in 3 columns \(times 0s, 60s, "
        r"120s\): a kinetic measurement",
    ):
        read_export(write(tmp_path, books.book_bytes({"Magellan Sheet 1": rows})))
