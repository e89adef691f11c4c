"""Small SkanIt and Magellan Excel exports, built with openpyxl in the structure of the
real ones (../shared/realdata/allotropy/thermo_skanit and tecan_magellan).

The workbooks in tests/data/exports/skanit/ and tests/data/exports/magellan/ are written
by this module (`python -m tests.platereader_workbooks`); the tests also build variants
of them in a temporary folder.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

Row = Sequence[Any]
ROWS = "ABCDEFGHIJKLMNOP"
EXPORTS = Path(__file__).resolve().parent / "data" / "exports"

# The standard curve of the SkanIt ELISA fixture: y = d + (a - d) / (1 + (x / c)^b).
CURVE = {"a": 0.05, "b": 1.2, "c": 300.0, "d": 3.0}
BLANK_OD = 0.045
STANDARDS = [1000 / 2**level for level in range(7)]  # pg/mL, Std0001..Std0007
CONTROL = 250.0
SAMPLES = {  # well: (name, dilution, in-well concentration)
    "B3": ("Un0001", 2, 40.0),
    "B4": ("Un0001", 2, 42.0),
    "C3": ("Un0002", 1, 120.0),
    "C4": ("Un0002", 1, 118.0),
    "D3": ("Un0003", 25, 610.0),
    "D4": ("Un0003", 25, 2000.0),  # above the top standard: `> Max`
    "E3": ("Un0004", 2, 3.0),  # below the lowest standard: `< Min`
}


def book_bytes(sheets: Mapping[str, Iterable[Row]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def four(value: float) -> float:
    """A number as SkanIt writes it: four significant digits."""
    return float(f"{value:.4g}")


def od(conc: float) -> float:
    a, b, c, d = (CURVE[k] for k in "abcd")
    return d + (a - d) / (1 + (conc / c) ** b)


def conc_of(signal: float) -> float:
    a, b, c, d = (CURVE[k] for k in "abcd")
    return c * ((a - d) / (signal - d) - 1) ** (1 / b)


# --- SkanIt ------------------------------------------------------------------------


def grid(label: str, values: Mapping[str, Any], rows: int = 8, columns: int = 12) -> list[Row]:
    """A SkanIt plate grid: `label 1 2 ... n`, then one line per plate row."""
    body = [
        [letter, *(values.get(f"{letter}{c}") for c in range(1, columns + 1))]
        for letter in ROWS[:rows]
    ]
    return [[label, *range(1, columns + 1)], *body]


def results(
    step: str,
    blocks: Sequence[Sequence[Row]],
    settings: Sequence[Row] = (),
    session: str = "NfL ELISA plate 3.skax",
    run_time: str = "6/5/2023 6:09:56 PM",
) -> list[Row]:
    """A results sheet: its header lines, settings, then the blocks with a blank line
    between them, then the autoloading line."""
    rows: list[Row] = [["Measurement results"], [session], [run_time], [], [step], []]
    rows += [*settings, []] if settings else []
    for block in blocks:
        rows += [*block, []]
    rows.append(["Autoloading range A1 - M40"])
    return rows


def plate_block(
    plate: str, grids: Sequence[Sequence[Row]], wavelength: str | None = None
) -> list[Row]:
    rows: list[Row] = [[f"Wavelength: {wavelength} nm"], []] if wavelength is not None else []
    rows += [[plate], []]
    for one in grids:
        rows += [*one, []]
    return rows[:-1]


def info_sheets(
    version: str = "7.0.0.50", serial: str = "3020-81776", steps: Mapping[str, Sequence[int]] = {}
) -> dict[str, list[Row]]:
    protocol: list[Row] = [["Protocol parameters"], [], [None, "Measurement order", None, None, 3]]
    for step, wavelengths in steps.items():
        protocol += [[], [step], []]
        protocol += [[None, "Wavelength [nm]", None, None, w] for w in wavelengths]
        protocol += [[None, "Measurement Time [ms]", None, None, 100]]
    return {
        "General information": [
            ["General information"],
            [],
            [None, "Report generated with SW version", None, None,
             f"SkanIt Software 7.0 RE for Microplate Readers RE, ver. {version}"],
        ],
        "Session information": [
            ["Session information"],
            [],
            [None, "Session name", None, None, "NfL ELISA plate 3.skax"],
            [None, "Executed with", None, None,
             f"SkanIt Software for Microplate Readers  RE, ver {version}"],
            [None, "Execution time", None, None, "6/5/2023 6:09:56 PM"],
        ],
        "Instrument information": [
            ["Instrument information"],
            [],
            [None, "Name", None, None, "Varioskan LUX"],
            [None, "ESW version", None, None, "1.00.38"],
            [None, "Serial number", None, None, serial],
            [],
            [None, "Instrument modules"],
            [None, None, "Module's serial number", None, "LL2214801"],
        ],
        "Protocol parameters": protocol,
    }  # fmt: skip


def layout_sheet(
    plates: Mapping[str, Mapping[str, tuple[str, str, str]]], rows: int = 8, columns: int = 12
) -> list[Row]:
    """`Layout definitions`: per plate its name, template and per row three lines (the
    sample names, their groups, their concentrations or dilutions)."""
    out: list[Row] = []
    for plate, wells in plates.items():
        out += [["Name", plate], ["Plate template", f"ANSI/SBS Standard, {rows * columns}-well"]]
        out += [[], [None, *range(1, columns + 1)]]
        for letter in ROWS[:rows]:
            entries = [wells.get(f"{letter}{c}", ("", "", "")) for c in range(1, columns + 1)]
            out.append([letter, *(e[0] or None for e in entries)])
            out.append([None, *(e[1] or None for e in entries)])
            out.append([None, *(e[2] or None for e in entries)])
        out += [[], []]
    return out


def elisa_layout() -> dict[str, tuple[str, str, str]]:
    wells: dict[str, tuple[str, str, str]] = {}
    for level, conc in enumerate(STANDARDS, start=1):
        for column in (1, 2):
            wells[f"{ROWS[level - 1]}{column}"] = (f"Std{level:04d}", "Group 1", f"{conc:g} pg/ml")
    wells["H1"] = wells["H2"] = ("Blank1", "Group 1", "")
    wells["A3"] = wells["A4"] = ("Ctrl0001", "Group 1", f"{CONTROL:g} pg/ml")
    for well, (name, dilution, _) in SAMPLES.items():
        wells[well] = (name, "Group 1", f"1:{dilution}")
    return wells


def skanit_elisa() -> bytes:
    """A 96-well NfL ELISA: a 450 nm read, SkanIt's blank subtraction, standard curve
    (4PL) and dilution factor, information sheets and layout definitions."""
    layout = elisa_layout()
    in_well: dict[str, float] = {}
    for well, (name, _, amount) in layout.items():
        if name.startswith(("Std", "Ctrl")):
            in_well[well] = float(amount.split()[0])
    in_well.update({well: conc for well, (_, _, conc) in SAMPLES.items()})
    absorbance = {well: four(od(conc) + BLANK_OD) for well, conc in in_well.items()}
    absorbance["H1"], absorbance["H2"] = 0.0441, 0.0459
    blank = (absorbance["H1"] + absorbance["H2"]) / 2
    subtracted = {well: four(value - blank) for well, value in absorbance.items()}
    signal = {w: v for w, v in subtracted.items() if not layout[w][0].startswith("Blank")}
    top, bottom = od(STANDARDS[0]) - 0.02, od(STANDARDS[-1])
    conc: dict[str, Any] = {}
    for well, value in signal.items():
        conc[well] = "> Max" if value > top else "< Min" if value < bottom else four(conc_of(value))
    dilution = {w: float(layout[w][2].split(":")[1]) for w in SAMPLES}
    product = {
        w: four(v * dilution.get(w, 1)) if isinstance(v, float) else "NaN" for w, v in conc.items()
    }
    names = {well: entry[0] for well, entry in layout.items()}
    names_without_blanks = {w: n for w, n in names.items() if not n.startswith("Blank")}
    curve_settings: list[Row] = [
        ["Fit type: 4PL"],
        ["Concentration transformation: Logarithmic"],
        ["Signal transformation: Linear"],
        ["Wavelength: 450 nm"],
        ["Saved curve: No"],
        ["Sample group: Group 1"],
        [],
        ["y = 3 + ( (0.05 - 3) / ( 1 + (x/300)^1.2) )"],
        [],
        ["y = d + ( (a - d) / ( 1 + (x/c)^b) )"],
        ["Where:"],
        *[[f"{k} =", v] for k, v in CURVE.items()],
        [],
        ["R²: 0.999"],
        [],
        ["Well", "Sample", "Conc. [pg/ml]", "Original signal", "CV%", "Fitted signal", "Residual"],
        ["A01", "Std0001", 1000, signal["A1"], None, four(od(1000)), 0.0],
    ]
    sheets: dict[str, list[Row]] = {
        "Absorbance 1_01": results(
            "Absorbance 1",
            [plate_block("Plate 1", [grid("Abs", absorbance), grid("Sample", names)], "450")],
        ),
        "Blank Subtraction 1_02": results(
            "Blank Subtraction 1",
            [
                plate_block(
                    "Plate 1", [grid("Blank subtracted", subtracted), grid("Sample", names)], "450"
                )
            ],
        ),
        "Standard Curve 1_03": results(
            "Standard Curve 1",
            [
                plate_block(
                    "Plate 1",
                    [
                        grid("Signal", signal),
                        grid("Conc. [pg/ml]", conc),
                        grid("Sample", names_without_blanks),
                    ],
                )
            ],
            settings=curve_settings,
        ),
        "Dilution Factor 1_04": results(
            "Dilution Factor 1",
            [
                plate_block(
                    "Plate 1",
                    [
                        grid("Value", product),
                        grid("Dilution factor", dilution),
                        grid("Sample", names),
                    ],
                    "450",
                )
            ],
        ),
        **info_sheets(steps={"Absorbance 1": [450]}),
        "Layout definitions": layout_sheet({"Plate 1": layout}),
    }
    return book_bytes(sheets)


def skanit_two_plates_384() -> bytes:
    """Two 384-well plates, each read at 450 and 620 nm in one step, with a partial
    layout (standards in column 1, samples in row P)."""
    layouts: dict[str, dict[str, tuple[str, str, str]]] = {}
    blocks = []
    for number, plate in enumerate(("Plate A", "Plate B")):
        wells: dict[str, tuple[str, str, str]] = {}
        for level in range(1, 5):
            wells[f"{ROWS[level - 1]}1"] = (f"Std{level:04d}", "Group 1", f"{10 / level:g} ng/ml")
        wells["E1"] = ("Blank1", "Group 1", "")
        for column in (23, 24):
            wells[f"P{column}"] = (f"Un{column + number:04d}", "Group 1", "1:1")
        layouts[plate] = wells
        read450 = {well: round(0.1 + 0.01 * i + number, 3) for i, well in enumerate(wells)}
        read620 = {well: 0.04 for well in wells}
        names = {well: entry[0] for well, entry in wells.items()}
        blocks.append(plate_block(plate, [grid("Abs", read450, 16, 24)], "450"))
        blocks.append(
            plate_block(plate, [grid("Abs", read620, 16, 24), grid("Sample", names, 16, 24)], "620")
        )
    sheets = {
        "Absorbance 1_01": results("Absorbance 1", blocks, session="two plates.skax"),
        **info_sheets(version="7.0.2.5", steps={"Absorbance 1": [450, 620]}),
        "Layout definitions": layout_sheet(layouts, 16, 24),
    }
    return book_bytes(sheets)


def skanit_luminescence() -> bytes:
    """A luminescence read of a full plate and nothing else (no layout, no run sheets)."""
    rlu = {f"{row}{column}": 100.0 * (i + 1) for i, (row, column) in enumerate(
        (r, c) for r in ROWS[:8] for c in range(1, 13))}  # fmt: skip
    sheet = results(
        "Luminescence 1",
        [plate_block("Plate 1", [grid("RLU", rlu)], "0")],
        session="experiment.skax",
        run_time="8/23/2024 3:02:30 PM",
    )
    return book_bytes({"Luminescence 1_01": sheet})


# --- Magellan ----------------------------------------------------------------------


def magellan_description(
    measurements: Sequence[tuple[str, int]], plate_file: str = "COS384ft.pdf"
) -> list[Row]:
    """The lines after the wells: date, method, workspace, wavelengths, user, instrument,
    serial number, each measurement's settings, each label's temperature."""
    rows: list[Row] = [
        ["Date of measurement: 2021-07-08/Time of measurement: 14:34:46"],
        ["210325_384ELISA.mth"],
        ["C:\\Users\\Public\\Documents\\Tecan\\Magellan\\mth\\210325_384ELISA.mth"],
        ["08072021-005.wsp"],
        ["C:\\Users\\Public\\Documents\\Tecan\\Magellan\\wsp\\08072021-005.wsp"],
        *[[f"{wavelength}nm"] for _, wavelength in measurements],
        ["Unknown user"],
        ["Sunrise"],
        ["Instrument serial number: 12901000069"],
    ]
    for number, (_, wavelength) in enumerate(measurements, start=1):
        if len(measurements) > 1:
            rows.append([f"Measurement {number}:"])
        rows += [
            ["Measurement mode: Absorbance"],
            [f"Measurement wavelength: {wavelength} nm"],
            ["Number of flashes: 1"],
            [f"Plate definition file: {plate_file}"],
            ["Unit: OD"],
        ]
    rows += [[f"Meas. temperature: {label}: 24.8 °C"] for label, _ in measurements]
    rows.append(["Date: 2021-07-08, Time: 14:34:46"])
    return rows


def magellan_two_labels_384() -> bytes:
    """A 384-well list with two labels (450 and 620 nm), their times and temperatures,
    wells listed by rows; only rows A and P are read."""
    wells = [f"{row}{column}" for row in "AP" for column in range(1, 25)]
    rows: list[Row] = [["Label1", "Label2", "Well positions"], ["0s", "0s"], ["24.8 °C", "25.1 °C"]]
    for i, well in enumerate(wells):
        rows.append([round(0.05 + 0.01 * i, 4), 0.041, well])
    rows[3][0] = "OVER"  # a well Magellan could not measure
    description = magellan_description([("Label1", 450), ("Label2", 620)])
    return book_bytes({"Magellan Sheet 1": [*rows, *description]})


def magellan_names_96(plates: Sequence[str] = ("96WEL008",)) -> bytes:
    """A 96-well list by columns with well names (Std1.., Blank, Ctrl, Smp..),
    concentrations in ng/ml and a Plate column (one plate, or several one after
    another)."""
    names = {"A1": "Std1", "B1": "Std2", "C1": "Std3", "D1": "Std4", "E1": "Blank",
             "F1": "Ctrl", "G1": "NC", "H1": "Smp1"}  # fmt: skip
    rows: list[Row] = [
        ["Raw data", "Well positions", "Well names", "Concentration [ng/ml]", "Plate"]
    ]
    for number, plate in enumerate(plates):
        for column in range(1, 13):
            for row in "ABCDEFGH":
                well = f"{row}{column}"
                name = names.get(well, f"Smp{column * 8 + ROWS.index(row)}")
                value = round(0.1 + 0.001 * (column * 8 + ROWS.index(row)) + number, 4)
                rows.append([value, well, name, round(value * 10, 3), plate])
    description = magellan_description([("Raw data", 595)], "GRE96ft.pdf")
    return book_bytes({"Magellan Sheet 1": [*rows, *description]})


FIXTURES = {
    "skanit/elisa_96_standard_curve.xlsx": skanit_elisa,
    "skanit/two_plates_384_two_wavelengths.xlsx": skanit_two_plates_384,
    "skanit/luminescence_no_layout.xlsx": skanit_luminescence,
    "magellan/two_labels_384.xlsx": magellan_two_labels_384,
    "magellan/names_concentrations_96.xlsx": magellan_names_96,
}


def main() -> None:
    for relative, build in FIXTURES.items():
        path = EXPORTS / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build())
        print(path)


if __name__ == "__main__":
    main()
