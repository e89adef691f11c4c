"""Plate maps: reading, checking, and overriding what an export implies."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe.errors import InputError
from assaypipe.readers import read_export
from assaypipe.readers.platemap import apply_plate_map, read_plate_map, validate_plate_map
from assaypipe.settings import Settings

DOCS_EXAMPLE = """well,role,sample_id,level,expected_conc,dilution,analyte
A1,standard,,1,5000,1,NfL
A3,blank,,,0,1,NfL
A5,control,CTRL1,1,800,1,NfL
A7,sample,S01-BL,,,2,NfL
"""

XPONENT = """Program,xPONENT,,LX200,,
Build,3.1.871.0,,,,
Results,,,,,
DataType:,Median,,,,
Location,Sample,IL6,IL8,Total Events,
"1(1,A1)",Standard1,5000,6000,100,
"2(1,B1)",Background0,20,30,100,
"3(1,C1)",P01,700,800,100,
DataType:,Standard Expected Concentration,,,,
Reagent,IL6,IL8,,,
Standard1,1000,2000,,,
DataType:,Dilution Factor,,,,
Location,Sample,Dilution Factor,,,
"1(1,A1)",Standard1,,,,
"2(1,B1)",Background0,,,,
"3(1,C1)",P01,2,,,
-- CRC --,,,,,
CRC32: 0,,,,,
"""


def write(tmp_path: Path, text: str, name: str = "map.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def row(wells: pd.DataFrame, well: str, analyte: str) -> pd.Series:
    found = wells[(wells["well"] == well) & (wells["analyte"] == analyte)]
    assert len(found) == 1
    return found.iloc[0]


# --- reading -----------------------------------------------------------------------


def test_reads_the_documented_example(tmp_path: Path) -> None:
    plate_map = read_plate_map(write(tmp_path, DOCS_EXAMPLE))
    assert plate_map["well"].tolist() == ["A1", "A3", "A5", "A7"]
    assert plate_map["role"].tolist() == ["standard", "blank", "control", "sample"]
    assert plate_map["sample_id"].tolist()[2:] == ["CTRL1", "S01-BL"]
    assert plate_map["sample_id"].isna().tolist() == [True, True, False, False]
    assert plate_map["level"].tolist()[0] == 1 and pd.isna(plate_map["level"].iloc[1])
    assert str(plate_map["level"].dtype) == "Int64"
    assert plate_map["expected_conc"].tolist()[:3] == [5000.0, 0.0, 800.0]
    assert plate_map["dilution"].tolist() == [1.0, 1.0, 1.0, 2.0]
    assert set(plate_map["analyte"]) == {"NfL"}
    assert plate_map["line"].tolist() == [2, 3, 4, 5]


def test_normalises_wells_roles_and_blank_cells(tmp_path: Path) -> None:
    text = "Well, Role ,Sample_ID\n a01 ,Standard,\n\nh12,SAMPLE, P7 \n"
    plate_map = read_plate_map(write(tmp_path, text))
    assert plate_map["well"].tolist() == ["A1", "H12"]
    assert plate_map["role"].tolist() == ["standard", "sample"]
    assert plate_map["sample_id"].tolist()[1] == "P7"
    assert plate_map["line"].tolist() == [2, 4]  # the blank line 3 still counts
    assert plate_map["analyte"].isna().all() and plate_map["dilution"].isna().all()


def test_excel_bom_padding_and_384_wells(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_bytes("well,role,,\r\nP24,blank,,\r\n,,,\r\nA2,blank\r\n".encode("utf-8-sig"))
    plate_map = read_plate_map(path)
    assert plate_map["well"].tolist() == ["P24", "A2"]
    assert plate_map["line"].tolist() == [2, 4]


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_lines_ending_in_cr_alone_are_lines(tmp_path: Path, newline: str) -> None:
    # Excel for Mac's "CSV (Macintosh)" ends lines in CR alone: csv stopped on it.
    path = tmp_path / "map.csv"
    rows = ["well,role,sample_id", "A1,sample,S1", "B2,blank,", "C3,sample,S2"]
    path.write_bytes(newline.join(rows).encode("utf-8"))
    plate_map = read_plate_map(path)
    assert plate_map["well"].tolist() == ["A1", "B2", "C3"]
    assert plate_map["line"].tolist() == [2, 3, 4]


def test_validate_is_idempotent(tmp_path: Path) -> None:
    once = read_plate_map(write(tmp_path, DOCS_EXAMPLE))
    pd.testing.assert_frame_equal(validate_plate_map(once, "map.csv"), once)


def test_one_row_per_analyte_is_allowed(tmp_path: Path) -> None:
    text = "well,role,level,expected_conc,analyte\nA1,standard,1,5000,IL6\nA1,standard,1,300,IL8\n"
    assert len(read_plate_map(write(tmp_path, text))) == 2


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ("well,role\nA1,standrd\n", "role 'standrd' is not one of standard, blank", "line 2"),
        ("well,role\nA1,blank\nQ1,blank\n", "well 'Q1' is not a plate well", "line 3"),
        ("well,role\nA25,blank\n", "well 'A25' is not a plate well", "line 2"),
        ("well,role\n,blank\n", "well '' is not a plate well", "line 2"),
        ("well,role,level\nA1,standard,1.5\n", "level '1.5' is not a whole number", "line 2"),
        ("well,role,dilution\nA1,sample,0\n", "dilution '0' is not a number above 0", "line 2"),
        ("well,role,dilution\nA1,sample,1:2\n", "dilution '1:2' is not a number above 0", "line 2"),
        (
            "well,role,expected_conc\nA1,standard,-5\n",
            "expected_conc '-5' is neither a number of 0 or more nor a dilution",
            "line 2",
        ),
        ("well,role,dilutoin\nA1,sample,2\n", "unexpected column 'dilutoin'", "line 1"),
        # `line` is the name of the column of source lines the reader adds.
        ("well,role,Line\nA1,sample,2\n", "unexpected column 'Line'", "line 1"),
        ("well,sample_id\nA1,P1\n", "has no 'role' column", "line 1"),
        ("well,role,Role\nA1,blank,blank\n", "the column 'role' appears twice", "line 1"),
        (
            "well,role\nA1,blank\nB1,blank,x\n",
            "the row has 3 cells but the header names 2",
            "line 3",
        ),
        ("well,role,\nA1,blank,x\n", "column 3 has values but no header", "line 1"),
        (
            "well,role\nA1,blank\nB1,blank\na01,sample\n",
            r"well A1 appears twice \(lines 2 and 4\)",
            "line 4",
        ),
        (
            "well,role,analyte\nA1,standard,IL6\nA1,standard,il6\n",
            r"well A1 / analyte il6 appears twice \(lines 2 and 3\)",
            "line 3",
        ),
        (
            "well,role,analyte\nA1,standard,\nA1,standard,IL6\n",
            "well A1 has a row for all analytes and one for IL6",
            "line 3",
        ),
    ],
)
def test_bad_maps_say_line_and_expectation(
    tmp_path: Path, text: str, message: str, where: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as raised:
        read_plate_map(path)
    assert raised.value.file == str(path)
    assert raised.value.where == where


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "the plate map is empty"), ("well,role\n\n", "has a header but no wells")],
)
def test_empty_maps(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_plate_map(write(tmp_path, text))


def test_missing_map(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the plate map does not exist"):
        read_plate_map(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        # /dev/zero was read until memory ran out, a named pipe waited for ever (the same
        # check as the exports': test_readers.py opens neither).
        ("/dev/zero", "this is a named pipe or a device, not a plate map file"),
        ("/tmp", "this is a folder, not a plate map file"),
    ],
)
def test_a_device_or_a_folder_is_refused_unopened(
    tmp_path: Path, target: str, message: str
) -> None:
    path = tmp_path / "plate.csv"
    path.symlink_to(target)
    with pytest.raises(InputError) as raised:
        read_plate_map(path)
    assert raised.value.message == message


# --- applying to an xPONENT export -------------------------------------------------


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write(tmp_path, XPONENT, "plate.csv")


def test_without_a_map_the_names_decide(export: Path) -> None:
    wells = read_export(export).wells
    assert row(wells, "A1", "IL6")["role"] == "standard"
    assert row(wells, "C1", "IL6")["sample_id"] == "P01"


def test_map_overrides_role_sample_level_and_concentration(tmp_path: Path, export: Path) -> None:
    plate_map = write(
        tmp_path,
        "well,role,sample_id,level,expected_conc,dilution\nC1,control,CTRL-A,2,800,\n",
    )
    wells = read_export(export, plate_map=plate_map).wells
    c1 = row(wells, "C1", "IL8")
    assert (c1["role"], c1["sample_name"], c1["sample_id"], c1["level"]) == (
        "control",
        "CTRL-A",
        "CTRL-A",
        2,
    )
    assert c1["expected_conc"] == 800.0
    assert c1["dilution"] == 2.0  # blank in the map: the export's factor stands
    assert c1["signal"] == 800.0  # the measurement is untouched
    # Wells the map does not name keep what the names say.
    assert row(wells, "A1", "IL6")["role"] == "standard"
    assert row(wells, "A1", "IL6")["expected_conc"] == 1000.0
    assert len(wells) == 6


def test_changed_role_drops_the_exports_level_and_concentration(
    tmp_path: Path, export: Path
) -> None:
    plate_map = write(tmp_path, "well,role,dilution\nA1,sample,4\n")
    a1 = row(read_export(export, plate_map=plate_map).wells, "A1", "IL6")
    assert (a1["role"], a1["sample_name"], a1["sample_id"]) == ("sample", "Standard1", "Standard1")
    assert pd.isna(a1["level"]) and math.isnan(a1["expected_conc"])
    assert a1["dilution"] == 4.0


def test_per_analyte_rows(tmp_path: Path, export: Path) -> None:
    plate_map = write(
        tmp_path,
        "well,role,level,expected_conc,analyte\nA1,standard,1,5000,IL6\nA1,standard,1,300,il8\n",
    )
    wells = read_export(export, plate_map=plate_map).wells
    assert row(wells, "A1", "IL6")["expected_conc"] == 5000.0
    assert row(wells, "A1", "IL8")["expected_conc"] == 300.0
    assert row(wells, "A1", "IL8")["analyte"] == "IL8"  # the export's name is kept


def test_analyte_not_in_export(tmp_path: Path, export: Path) -> None:
    plate_map = write(tmp_path, "well,role,analyte\nA1,standard,IL6\nB1,blank,IL-99\n")
    with pytest.raises(
        InputError, match="analyte 'IL-99' is not in the export; known: IL6, IL8"
    ) as raised:
        read_export(export, plate_map=plate_map)
    assert raised.value.where == "line 3"
    assert raised.value.file == str(plate_map)


def test_a_row_naming_a_well_off_the_plate_is_an_error_naming_the_row(
    tmp_path: Path, export: Path
) -> None:
    # The export's wells (A1, B1, C1) lie on a 96-well plate: I13 is not on it.
    plate_map = write(tmp_path, "well,role,sample_id\nB1,sample,P99\nI13,sample,P98\n")
    with pytest.raises(InputError) as raised:
        read_export(export, plate_map=plate_map)
    assert str(raised.value) == (
        f"{plate_map}: line 3: well I13 is not on the plate of {export}: its wells lie in A1 "
        "to H12 (a 96-well plate); correct the row's well or use this plate's own plate map"
    )
    # H12 is on the plate though the export reads only three of its wells.
    plate_map = write(tmp_path, "well,role,sample_id\nB1,sample,P99\nH12,sample,P98\n")
    assert row(read_export(export, plate_map=plate_map).wells, "B1", "IL6")["sample_id"] == "P99"


def test_a_plate_map_beyond_the_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    with path.open("wb") as sparse:
        sparse.truncate(2**30)  # 1 GB of nothing: nothing is written
    with pytest.raises(InputError, match="the plate map is 1,024 MB, larger than the 16 MB"):
        read_plate_map(path)


def test_values_from_the_map_are_quoted_short(tmp_path: Path) -> None:
    path = write(tmp_path, f"well,role\nA1,{'x' * 100_000}\n")
    with pytest.raises(InputError) as raised:
        read_plate_map(path)
    assert str(raised.value) == (
        f"{path}: line 2: role '{'x' * 57}...' is not one of standard, blank, control, sample"
    )


def test_a_cell_longer_than_csv_reads_is_read_as_any_cell(tmp_path: Path) -> None:
    """Python's csv stops on a cell past 131,072 characters, which stopped the map on
    csv.Error: such a cell is read as any other, kept whole where a sample id may be
    anything and refused, quoted short, where it must be a role."""
    long = "x" * 200_000
    path = write(tmp_path, f"well,role,sample_id\nA1,sample,P1\nA2,sample,{long}\n")
    assert read_plate_map(path)["sample_id"].tolist() == ["P1", long]
    path = write(tmp_path, f"well,role,sample_id\nA1,sample,P1\nA2,{long},P2\n")
    with pytest.raises(InputError) as raised:
        read_plate_map(path)
    assert str(raised.value) == (
        f"{path}: line 3: role '{'x' * 57}...' is not one of standard, blank, control, sample"
    )


def test_map_as_frame(tmp_path: Path, export: Path) -> None:
    path = write(tmp_path, "well,role,sample_id\nB1,sample,P99\n")
    from_path = read_export(export, plate_map=path).wells
    from_frame = read_export(export, plate_map=read_plate_map(path)).wells
    pd.testing.assert_frame_equal(from_path, from_frame)
    assert row(from_frame, "B1", "IL6")["sample_id"] == "P99"


def test_apply_keeps_row_order(tmp_path: Path, export: Path) -> None:
    wells = read_export(export).wells
    plate_map = read_plate_map(write(tmp_path, "well,role\nB1,sample\n"))
    applied = apply_plate_map(wells, plate_map)
    assert applied[["well", "analyte"]].equals(wells[["well", "analyte"]])
    assert list(applied.columns) == list(wells.columns)


# --- grid form -----------------------------------------------------------------------

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


def test_grid_form_map_becomes_the_long_form() -> None:
    plate_map = read_plate_map(EXPORTS / "plate_maps/plate_map_grid.csv")
    by_well = plate_map.set_index("well")
    assert len(plate_map) == 90
    assert (by_well.loc["C2", "role"], by_well.loc["C2", "level"]) == ("standard", 3)
    assert by_well.loc["C2", "expected_conc"] == 250.0
    assert pd.isna(by_well.loc["C2", "sample_id"])
    assert (by_well.loc["H11", "role"], by_well.loc["H11", "sample_id"]) == ("sample", "P72")
    assert by_well.loc["H11", "dilution"] == 2.0
    assert (by_well.loc["B12", "role"], pd.isna(by_well.loc["B12", "dilution"])) == (
        "blank",
        True,
    )
    assert by_well.loc["A1", "line"] == 2  # the line of the name cell


def test_grid_form_with_role_and_sample_id_grids(tmp_path: Path) -> None:
    header = "," + ",".join(str(c) for c in range(1, 13))
    rows = ["role" + header]
    rows += [f"{r}," + ",".join(["control"] + [""] * 11) for r in "ABCDEFGH"]
    rows += ["", "sample_id" + header]
    rows += [f"{r}," + ",".join([f"QC-{r}"] + [""] * 11) for r in "ABCDEFGH"]
    rows += ["", "level" + header]
    rows += [f"{r}," + ",".join(["2"] + [""] * 11) for r in "ABCDEFGH"]
    plate_map = read_plate_map(write(tmp_path, "\n".join(rows) + "\n"))
    assert plate_map["well"].tolist() == [f"{r}1" for r in "ABCDEFGH"]
    assert set(plate_map["role"]) == {"control"}
    assert plate_map["sample_id"].tolist()[0] == "QC-A"
    assert set(plate_map["level"]) == {2}


def test_grid_form_semicolons_and_the_role_rule(tmp_path: Path) -> None:
    from assaypipe.roles import RoleRule

    header = "name;" + ";".join(str(c) for c in range(1, 13))
    body = [f"{r};" + ";".join(["Cal1", "S1"] + [""] * 10) for r in "ABCDEFGH"]
    path = write(tmp_path, "\n".join([header, *body]) + "\n")
    default = read_plate_map(path).set_index("well")
    assert (default.loc["A1", "role"], default.loc["A2", "role"]) == ("sample", "standard")
    custom = read_plate_map(path, rule=RoleRule(standard=r"cal(\d+)")).set_index("well")
    assert (custom.loc["A1", "role"], custom.loc["A1", "level"]) == ("standard", 1)
    assert (custom.loc["A2", "role"], custom.loc["A2", "sample_id"]) == ("sample", "S1")


@pytest.mark.parametrize(
    ("edit", "message", "where"),
    [
        (lambda t: t.replace("\nD,", "\nX,", 1), "expected row D of the name grid", "line 5"),
        (lambda t: t.replace("name,", "colour,", 1), "a grid is titled 'colour'", "line 1"),
        (
            lambda t: t.replace("expected_conc,", "name,", 1),
            "two grids are titled 'name'",
            "line 11",
        ),
        (lambda t: t.replace("\n\n", "\nnotes\n", 1), "expected a grid header", "line 10"),
    ],
)
def test_bad_grid_maps(tmp_path: Path, edit, message: str, where: str) -> None:
    text = (EXPORTS / "plate_maps/plate_map_grid.csv").read_text(encoding="utf-8")
    with pytest.raises(InputError, match=message) as raised:
        read_plate_map(write(tmp_path, edit(text)))
    assert raised.value.where == where


def test_a_blank_role_keeps_the_exports_role(tmp_path: Path, export: Path) -> None:
    plate_map = write(tmp_path, "well,role,sample_id\nC1,,P01-renamed\n")
    wells = read_export(export, plate_map=plate_map).wells
    c1 = row(wells, "C1", "IL6")
    assert (c1["role"], c1["sample_id"]) == ("sample", "P01-renamed")


# --- standards as dilutions of a reference -------------------------------------------

REPO = Path(__file__).resolve().parents[2]
NFL = REPO / "resources" / "plates" / "elisa_nfl_P1.txt"
NFL_MAP = REPO / "resources" / "layouts" / "elisa_nfl_P1.csv"
# The demo NfL map's concentrations as dilutions of its top standard (10000): the
# standards 4-fold, the controls 1500 and 150 (3/20 and 3:200), in both spellings.
AS_DILUTION = {
    "10000": "1/1",
    "2500": "1:4",
    "625": "1/16",
    "156.25": "1:64",
    "39.0625": "1/256",
    "9.765625": "1:1024",
    "2.44140625": "1/4096",
    "1500": "3/20",
    "150": "3:200",
}


def dilution_map_long(tmp_path: Path) -> Path:
    lines = NFL_MAP.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index("expected_conc")
    rows = []
    for line in lines[1:]:
        cells = line.split(",")
        cells[at] = AS_DILUTION.get(cells[at], cells[at])
        rows.append(",".join(cells))
    return write(tmp_path, "\n".join([lines[0], *rows]) + "\n", "long.csv")


def dilution_map_grid(tmp_path: Path) -> Path:
    """The same map as one grid per column, as the plate looks."""
    long = pd.read_csv(dilution_map_long(tmp_path), dtype=str, keep_default_na=False)
    cells = long.set_index("well")
    blocks = []
    for field in ("role", "sample_id", "level", "expected_conc", "dilution", "analyte"):
        grid = [f"{field}," + ",".join(str(c) for c in range(1, 13))]
        for letter in "ABCDEFGH":
            row = [cells[field].get(f"{letter}{c}", "") for c in range(1, 13)]
            grid.append(f"{letter}," + ",".join(row))
        blocks.append("\n".join(grid))
    return write(tmp_path, "\n\n".join(blocks) + "\n", "grid.csv")


def test_dilutions_of_a_reference_are_relative_concentrations(tmp_path: Path) -> None:
    plate_map = read_plate_map(dilution_map_long(tmp_path)).set_index("well")
    # 1/1 = 1, 1:4 = 0.25, 1/16 = 0.0625 (by hand); 3/20 = 0.15; blanks stay 0.
    assert plate_map.loc[["B1", "C1", "D1", "A3", "B3", "A1"], "expected_conc"].tolist() == [
        1.0,
        0.25,
        0.0625,
        0.15,
        0.015,
        0.0,
    ]
    assert plate_map.loc[["B1", "C1", "A3"], "relative"].all()
    assert not plate_map.loc[["A1", "A5"], "relative"].any()  # a blank's 0, a sample's blank
    grid = read_plate_map(dilution_map_grid(tmp_path)).set_index("well")
    pd.testing.assert_frame_equal(
        grid.drop(columns="line").sort_index(), plate_map.drop(columns="line").sort_index()
    )


@pytest.mark.parametrize("form", [dilution_map_long, dilution_map_grid])
def test_standards_given_as_dilutions_give_samples_in_relative_units(
    tmp_path: Path, form, no_settle
) -> None:
    import yaml

    from assaypipe.pipeline import process_chunk
    from assaypipe.sheets import read_aliases, read_samples

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    sheets = (
        read_samples(REPO / "config" / "samples.tsv"),
        read_aliases(REPO / "config" / "analytes.tsv"),
    )

    def chunk(plate_map: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
        plates = [{"plate_id": "elisa_nfl_P1", "export": str(NFL), "plate_map": str(plate_map)}]
        result = process_chunk(
            plates, *sheets, chunk="1", settings=Settings.from_config({"curves": config["curves"]})
        )
        return result.wells.set_index("well"), result.curves

    wells, curves = chunk(form(tmp_path))
    assert set(wells["unit"]) == {"relative"}
    assert (curves["status"] == "converged").all()
    # Reference: the same plate with the concentrations in pg/mL; relative units are
    # those divided by the reference's 10000 pg/mL (a 4PL is unchanged by rescaling x).
    absolute, _ = chunk(NFL_MAP)
    assert set(absolute["unit"]) == {""}  # the demo NfL export states no unit
    samples = wells["role"].isin(["sample", "control"]) & wells["concentration"].notna()
    assert samples.sum() == 80  # every sample and control well (76 + 4)
    np.testing.assert_allclose(
        wells.loc[samples, "concentration"],
        absolute.loc[samples[samples].index, "concentration"] / 10000,
        rtol=1e-4,
    )


@pytest.mark.parametrize(
    ("rows", "message", "where"),
    [
        (
            "A1,standard,1,1/50,IL6\nA2,standard,2,20,IL6\n",
            "analyte IL6 gives expected_conc both as concentrations and as dilutions",
            "line 3",
        ),
        (
            "A1,standard,1,1/50,\nA2,standard,2,20,IL8\n",
            "the plate map gives expected_conc both as concentrations and as dilutions",
            "line 3",
        ),
        ("A1,standard,1,1/0,IL6\n", "expected_conc '1/0' is neither a number", "line 2"),
        ("A1,standard,1,1/x,IL6\n", "expected_conc '1/x' is neither a number", "line 2"),
        ("A1,standard,1,-1:2,IL6\n", "expected_conc '-1:2' is neither a number", "line 2"),
    ],
)
def test_mixed_or_bad_dilutions_name_the_line(
    tmp_path: Path, rows: str, message: str, where: str
) -> None:
    path = write(tmp_path, "well,role,level,expected_conc,analyte\n" + rows)
    with pytest.raises(InputError, match=message) as raised:
        read_plate_map(path)
    assert raised.value.where == where


def test_a_zero_calibrator_goes_with_dilutions_and_other_analytes_may_differ(
    tmp_path: Path,
) -> None:
    text = (
        "well,role,level,expected_conc,analyte\n"
        "A1,standard,1,1:100,IL6\nA2,standard,2,0,IL6\nA3,standard,1,500,IL8\n"
    )
    plate_map = read_plate_map(write(tmp_path, text))
    assert plate_map["expected_conc"].tolist() == [0.01, 0.0, 500.0]
    assert plate_map["relative"].tolist() == [True, False, False]
