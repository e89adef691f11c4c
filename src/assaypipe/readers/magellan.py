"""Tecan Magellan Excel exports (the list of wells) into wells (docs/formats.md, "Tecan
Magellan").

Magellan exports a plate as a list, one line per well, on `Magellan Sheet 1`: a header
line naming the columns (`Well positions`, one column per measurement label such as
`Raw data` or `Label1`, `Label2`, maybe `Plate`, and whatever else the export settings
add), maybe a line of times (`0s`) and one of temperatures (`24.8 °C`) per label, the
wells, then the run's description, one item per line:

```
Date of measurement: 2021-07-08/Time of measurement: 14:34:46
210325_384ELISA.mth            the method (name, then path)
08072021-005.wsp               the workspace (name, then path)
485nm / 560nm                  the wavelengths
Unknown user / ULTRA           the user and the instrument
Instrument serial number: 12901000069
Measurement 1: / Measurement mode: Absorbance / Measurement wavelength: 485 nm / ...
Meas. temperature: Label1: 24.8 °C      (one per label, in the measurements' order)
Date: 2021-07-08, Time: 14:34:46
```

Three layers, as for Gen5:

1. `split_sheet` cuts the sheet into the header, the lines above the wells, the well
   lines and the description.
2. `RunDescription` (with its `Measurement`s) and `WellList` are frozen records whose
   `create` checks one part each.
3. `compose` picks the read (`ReadOptions.read`, else the first measurement), places
   each value in its well and keeps the other columns as vendor results.

The signal is the label's value as measured. Without `Well positions` the values
cannot be placed (Magellan lists them in the order its method sets): the file is
refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from assaypipe import units
from assaypipe.errors import InputError
from assaypipe.readers.cells import classify_texts, parse_well, vendor_rows, wells_columns
from assaypipe.readers.columns import ColumnTable
from assaypipe.readers.excel import Sheet
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.roles import RoleRule
from assaypipe.vocabulary import Role

__all__ = [
    "MAGELLAN",
    "Measurement",
    "RawSheet",
    "RunDescription",
    "WellList",
    "compose",
    "looks_like_magellan",
    "read_magellan",
    "split_sheet",
]

_DATE_LINE: Final = "Date of measurement:"
_WELLS: Final = "well positions"
_PLATE: Final = "plate"
# Columns naming the wells' contents, as Magellan's well names (`Std1`, `Blank`, `Smp3`).
_NAME_COLUMNS: Final = frozenset(
    # their words
    {"well names", "well name", "names", "name", "sample", "samples", "sample id", "sample ids",
     "sample names", "identifier", "id"}
)  # fmt: skip
_TIME: Final = re.compile(r"^\d+(?:\.\d+)?\s*s$")
_TEMPERATURE: Final = re.compile(r"°\s*C$|^\d+(?:\.\d+)?\s*C$")
_MEAS_TEMPERATURE: Final = re.compile(r"^Meas\. temperature:\s*(.+?):\s*([-\d.]+)\s*°?\s*C")
_MEASUREMENT: Final = re.compile(r"^Measurement\s+\d+\s*:?$", re.IGNORECASE)
_RUN_DATE: Final = re.compile(
    r"Date of measurement:\s*(\S+)\s*/\s*Time of measurement:\s*(\S+)", re.IGNORECASE
)
_WAVELENGTH_ONLY: Final = re.compile(r"^\d+\s*nm$", re.IGNORECASE)
_NUMBER: Final = re.compile(r"([\d.]+)")
# The unit is the shortest text ending in a non-space before the closing bracket (runs of
# space taken whole: a lazy unit before `\s*` was quadratic in a long run of spaces).
_UNIT_IN_HEADER: Final = re.compile(r"[\[(]\s*+((?:\s*+[^\s\])])+?)\s*[\])]")
# Magellan's control names beyond the role rule's `Ctrl<n>`: a lone `Ctrl`, NC and PC.
_CONTROL: Final = re.compile(r"^(?:ctrl|control|nc|pc|neg|pos)\w*$", re.IGNORECASE)
_MOST_LISTED: Final = 12


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class RawSheet:
    """A Magellan sheet in parts: the header line, the lines between it and the first
    well, the well lines and the description lines (with their sheet rows)."""

    name: str
    header: tuple[str, ...]
    header_row: int
    above: tuple[tuple[tuple[str, ...], int], ...]
    body: tuple[tuple[tuple[str, ...], int], ...]
    description: tuple[tuple[str, int], ...]


def _description_start(sheet: Sheet) -> int | None:
    for index, row in enumerate(sheet.rows):
        if row and row[0].strip().startswith(_DATE_LINE):
            return index
    return None


def looks_like_magellan(sheets: Sequence[Sheet]) -> bool:
    """A Magellan export: a `Date of measurement:` line followed by the method (`.mth`)
    or workspace (`.wsp`) file."""
    for sheet in sheets:
        start = _description_start(sheet)
        if start is None:
            continue
        following = [row[0].strip().casefold() for row in sheet.rows[start : start + 8] if row]
        if any(text.endswith((".mth", ".wsp")) for text in following):
            return True
    return False


def split_sheet(sheets: Sequence[Sheet]) -> RawSheet:
    """The first sheet holding a Magellan description, in parts."""
    sheet, start = next(
        (sheet, start) for sheet in sheets if (start := _description_start(sheet)) is not None
    )
    rows = sheet.rows[:start]
    header_index = next(
        (i for i, row in enumerate(rows[:5]) if _WELLS in (c.strip().casefold() for c in row)),
        0,
    )
    header = rows[header_index] if rows else ()
    first_well = next(
        (
            i
            for i in range(header_index + 1, len(rows))
            if any(parse_well(cell) for cell in rows[i])
        ),
        len(rows),
    )
    description = tuple(
        (" ".join(cell.strip() for cell in row if cell.strip()), index + 1)
        for index, row in enumerate(sheet.rows[start:], start=start)
        if any(cell.strip() for cell in row)
    )
    return RawSheet(
        name=sheet.name,
        header=header,
        header_row=header_index + 1,
        above=tuple((rows[i], i + 1) for i in range(header_index + 1, first_well)),
        body=tuple((rows[i], i + 1) for i in range(first_well, len(rows))),
        description=description,
    )


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One measurement of the run: its label (the column it fills), mode and settings."""

    label: str
    mode: str
    wavelength: str
    excitation: str
    emission: str
    plate_definition: str
    unit: str

    @property
    def signal_kind(self) -> str:
        """`OD485`, `Fluorescence 485/535`, `Lum`."""
        mode = self.mode.casefold()
        if mode.startswith("absorbance"):
            return f"OD{self.wavelength}" if self.wavelength else "OD"
        if mode.startswith("fluorescence"):
            pair = "/".join(w for w in (self.excitation, self.emission) if w)
            return f"Fluorescence {pair}".strip()
        if mode.startswith("luminescence"):
            return "Lum"
        return self.mode or self.label


@dataclass(frozen=True)
class RunDescription:
    run_time: str
    method: str
    workspace: str
    instrument: str
    serial_number: str
    measurements: tuple[Measurement, ...]

    @classmethod
    def create(cls, lines: tuple[tuple[str, int], ...]) -> RunDescription:
        texts = [text for text, _ in lines]
        found = _RUN_DATE.search(texts[0]) if texts else None
        run_time = f"{found.group(1)} {found.group(2)}" if found else ""
        method = next((t for t in texts if t.casefold().endswith(".mth")), "")
        workspace = next((t for t in texts if t.casefold().endswith(".wsp")), "")
        serial_at = next(
            (i for i, t in enumerate(texts) if t.startswith("Instrument serial number")), None
        )
        serial = texts[serial_at].partition(":")[2].strip() if serial_at is not None else ""
        instrument = ""
        if serial_at:
            # The instrument's name is the line before its serial number.
            before = texts[serial_at - 1]
            instrument = "" if ":" in before or _WAVELENGTH_ONLY.match(before) else before
        blocks: list[dict[str, str]] = []
        labels: list[str] = []
        current: dict[str, str] | None = None
        for text in texts[(serial_at or 0) + 1 :]:
            if (temperature := _MEAS_TEMPERATURE.match(text)) is not None:
                labels.append(temperature.group(1).strip())
                continue
            if _MEASUREMENT.match(text):
                current = None
                continue
            key, colon, value = text.partition(":")
            if not colon or key.strip() in ("Date",):
                continue
            if current is None:
                current = {}
                blocks.append(current)
            current.setdefault(key.strip().casefold(), value.strip())
            if key.strip().casefold() == "unit":
                current = None
        measurements = tuple(
            Measurement(
                label=labels[i] if i < len(labels) else "",
                mode=block.get("measurement mode", ""),
                wavelength=_first_number(block.get("measurement wavelength", "")),
                excitation=_first_number(block.get("excitation wavelength", "")),
                emission=_first_number(block.get("emission wavelength", "")),
                plate_definition=block.get("plate definition file", ""),
                unit=block.get("unit", ""),
            )
            for i, block in enumerate(blocks)
            if "measurement mode" in block
        )
        return cls(
            run_time=run_time,
            method=_stem(method, ".mth"),
            workspace=_stem(workspace, ".wsp"),
            instrument=instrument,
            serial_number=serial,
            measurements=measurements,
        )


def _first_number(text: str) -> str:
    found = _NUMBER.search(text)
    return found.group(1) if found else ""


def _stem(name: str, suffix: str) -> str:
    return name[: -len(suffix)] if name.casefold().endswith(suffix) else name


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    kind: str  # wells, plate, names, read, concentration, other, empty


@dataclass(frozen=True)
class WellList:
    """The well lines: per line its sheet row, well and the cells of every column."""

    columns: tuple[Column, ...]
    rows: np.ndarray
    wells: np.ndarray
    cells: dict[int, np.ndarray]
    skipped: tuple[tuple[str, int], ...]

    @classmethod
    def create(cls, raw: RawSheet, labels: Sequence[str], file: str) -> WellList:
        folded = [cell.strip().casefold() for cell in raw.header]
        if _WELLS not in folded:
            n_values = sum(1 for row, _ in (*raw.above, *raw.body) if _holds_number(row))
            raise InputError(
                file,
                f"the Magellan list has no `Well positions` column, so its {n_values} values "
                "cannot be placed on wells (Magellan lists them in the order its method "
                "sets, by rows or by columns): export it again with the well positions",
                where=f"sheet `{raw.name}`, row {raw.header_row}",
            )
        well_column = folded.index(_WELLS)
        rows: list[int] = []
        wells: list[str] = []
        lines: list[tuple[str, ...]] = []
        skipped: list[tuple[str, int]] = []
        for row, number in raw.body:
            text = row[well_column].strip() if well_column < len(row) else ""
            well = parse_well(text)
            if well is None:
                if any(cell.strip() for cell in row):
                    skipped.append((text, number))
                continue
            rows.append(number)
            wells.append(well)
            lines.append(row)
        width = max([len(raw.header), *(len(line) for line in lines)], default=0)
        cells = {
            c: np.array([line[c].strip() if c < len(line) else "" for line in lines], dtype=object)
            for c in range(width)
        }
        columns = tuple(
            _column(c, raw.header[c].strip() if c < len(raw.header) else "", cells[c], labels)
            for c in range(width)
        )
        return cls(
            columns=columns,
            rows=np.array(rows, dtype=int),
            wells=np.array(wells, dtype=object),
            cells=cells,
            skipped=tuple(skipped),
        )

    def of_kind(self, kind: str) -> list[Column]:
        return [column for column in self.columns if column.kind == kind]


def _holds_number(row: tuple[str, ...]) -> bool:
    tokens, _ = classify_texts(list(row))
    return bool((tokens == "numeric").any())


def _column(index: int, header: str, cells: np.ndarray, labels: Sequence[str]) -> Column:
    folded = header.casefold()
    if folded == _WELLS:
        kind = "wells"
    elif folded == _PLATE:
        kind = "plate"
    elif folded in _NAME_COLUMNS:
        kind = "names"
    elif not any(cells.tolist()):
        kind = "empty"
    elif "conc" in folded:
        kind = "concentration"
    elif header in labels or not labels:
        kind = "read"
    else:
        kind = "other"
    return Column(index, header, kind)


# --- layer 3: compose --------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    column: Column
    measurement: Measurement | None

    @property
    def signal_kind(self) -> str:
        return self.measurement.signal_kind if self.measurement else self.column.header

    @property
    def names(self) -> tuple[str, ...]:
        """What wells.read may call it: its label, wavelength, signal_kind."""
        own = (self.column.header, self.signal_kind)
        if self.measurement is None:
            return own
        return (*own, self.measurement.wavelength)


def compose(sheets: Sequence[Sheet], options: ReadOptions, file: str) -> list[ParsedPlate]:
    """Every plate of a Magellan list: wells, run facts, other columns, warnings."""
    raw = split_sheet(sheets)
    run = RunDescription.create(raw.description)
    labels = [m.label for m in run.measurements if m.label]
    listed = WellList.create(raw, labels, file)
    if not len(listed.wells):
        raise InputError(
            file,
            "the Magellan list holds no well line (a `Well positions` cell such as `A1`) "
            "before its `Date of measurement:` line: there is no value to read",
            where=f"sheet `{raw.name}`, row {raw.header_row}",
        )
    reads = _reads(listed, run)
    if not reads:
        raise InputError(
            file,
            "the Magellan list has no column of measured values beside `Well positions`",
            where=f"sheet `{raw.name}`, row {raw.header_row}",
        )
    _refuse_kinetic(raw, reads, file)
    read, why = _choose(reads, options, file)
    notes = Warnings()
    _note_unused(read, why, reads, notes)
    _note_oddities(raw, listed, notes)
    meta = {
        "format": "magellan",
        "instrument": run.instrument,
        "software": "Magellan",
        "software_version": "",
        "serial_number": run.serial_number,
        "batch": run.workspace,
        "run_time": run.run_time,
    }
    parts = _plates(listed, notes)
    plates = []
    for name, rows in parts:
        frame = _wells(listed, rows, read, options.rule, file)
        vendor = _vendor(listed, rows, reads, read)
        unit = _concentration_unit(listed)
        if "concentration" in vendor.columns["quantity"].tolist():
            notes.add(
                "Magellan's concentrations do not say whether they include the wells' "
                "dilution; they are kept with no basis"
            )
        plates.append(
            ParsedPlate(
                wells=frame,
                meta={**meta, "unit": unit},
                vendor=vendor,
                name=name,
                warnings=notes.as_tuple(),
            )
        )
    return plates


def _reads(listed: WellList, run: RunDescription) -> list[Read]:
    by_label = {m.label: m for m in run.measurements if m.label}
    columns = listed.of_kind("read")
    reads = []
    for position, column in enumerate(columns):
        measurement = by_label.get(column.header)
        if measurement is None and not by_label and position < len(run.measurements):
            measurement = run.measurements[position]
        reads.append(Read(column, measurement))
    return reads


def _refuse_kinetic(raw: RawSheet, reads: list[Read], file: str) -> None:
    """A label in several columns is a kinetic measurement (one column per cycle, its
    time above the wells): no single endpoint value per well."""
    headers = [read.column.header for read in reads]
    repeated = next((h for h in dict.fromkeys(headers) if headers.count(h) > 1), None)
    if repeated is None:
        return
    columns = [r.column.index for r in reads if r.column.header == repeated]
    times = [
        row[c].strip()
        for row, _ in raw.above
        for c in columns
        if c < len(row) and _TIME.match(row[c].strip())
    ]
    shown = f" (times {', '.join(times[:4])}{', ...' if len(times) > 4 else ''})" if times else ""
    raise InputError(
        file,
        f"the Magellan list holds the label `{repeated}` in {len(columns)} columns{shown}: "
        "a kinetic measurement, with no single endpoint value per well; export an endpoint "
        "measurement, or a reduction of the kinetic (such as its slope) as its own label",
        where=f"sheet `{raw.name}`, row {raw.header_row}",
    )


def _choose(reads: list[Read], options: ReadOptions, file: str) -> tuple[Read, str]:
    wanted = options.read.strip()
    if not wanted:
        return reads[0], "the first measurement"
    folded = re.sub(r"\s*nm$", "", wanted, flags=re.IGNORECASE).casefold()
    keys: list[Callable[[Read], tuple[str, ...]]] = [lambda r: r.names]
    for key in keys:
        matches = [r for r in reads if folded in (name.casefold() for name in key(r))]
        if matches:
            return matches[0], f"wells.read `{wanted}`"
    held = ", ".join(f"`{r.column.header}` ({r.signal_kind})" for r in reads)
    raise InputError(
        file,
        f"wells.read asks for the read `{wanted}`, which this export does not hold; it holds "
        f"{held} (name one of them, or leave wells.read empty for the first measurement)",
    )


def _plates(listed: WellList, notes: Warnings) -> list[tuple[str, np.ndarray]]:
    """The plates of the list, each with the positions of its lines: a new plate
    starts where the `Plate` column names another plate or a well comes again."""
    plate_columns = listed.of_kind("plate")
    names = listed.cells[plate_columns[0].index] if plate_columns else None
    parts: list[tuple[str, list[int]]] = []
    seen: set[str] = set()
    current = ""
    for position, well in enumerate(listed.wells.tolist()):
        given = str(names[position]) if names is not None else ""
        if not parts or (given and given != current) or well in seen:
            current = given or current
            parts.append((current, []))
            seen = set()
        seen.add(well)
        parts[-1][1].append(position)
    if names is not None:
        filled = int(np.count_nonzero(names != ""))
        if 0 < filled < len(names):
            first_empty = int(np.flatnonzero(names == "")[0])
            notes.add(
                f"the Plate column names a plate for {filled} of the {len(names)} wells and "
                f"is empty from {listed.wells[first_empty]} (row {listed.rows[first_empty]}) "
                "on; those wells are read with the plate above them"
            )
    named: list[tuple[str, np.ndarray]] = []
    for number, (name, positions) in enumerate(parts, start=1):
        # One plate keeps the name its Plate column gives (plate_name), or none.
        label = name or (f"Plate {number}" if len(parts) > 1 else "")
        while label in (n for n, _ in named):
            label = f"{label} ({number})"
        named.append((label, np.array(positions, dtype=int)))
    return named


def _wells(
    listed: WellList, rows: np.ndarray, read: Read, rule: RoleRule, file: str
) -> ColumnTable:
    texts = listed.cells[read.column.index][rows]
    tokens, values = classify_texts(texts.tolist())
    name_columns = listed.of_kind("names")
    names = (
        listed.cells[name_columns[0].index][rows]
        if name_columns
        else np.full(len(rows), "", dtype=object)
    )
    classified = [_role(name, rule) if name else (Role.SAMPLE, None) for name in names.tolist()]
    role = np.array([r for r, _ in classified], dtype=object)
    sample_id = np.array(names, dtype=object)
    sample_id[~(np.isin(role, [Role.SAMPLE, Role.CONTROL]) & (names != ""))] = None
    return wells_columns(
        len(rows),
        well=listed.wells[rows],
        role=role,
        sample_name=names,
        sample_id=sample_id,
        level=pd.array([level for _, level in classified], dtype="Int64"),
        signal=values,
        signal_kind=read.signal_kind,
        raw_text=texts,
        token=tokens,
        source_file=file,
    )


def _role(name: str, rule: RoleRule) -> tuple[str, int | None]:
    role, level = rule.classify(name)
    if role == Role.SAMPLE and _CONTROL.match(name):
        return Role.CONTROL, None
    return role, level


def _vendor(listed: WellList, rows: np.ndarray, reads: list[Read], read: Read) -> ColumnTable:
    wells = listed.wells[rows]
    records: list[tuple[str, str | None, str, str]] = []
    unit_of: list[str | None] = []
    kept = [c for c in listed.columns if c.kind in ("concentration", "other")]
    for column in kept:
        texts = listed.cells[column.index][rows]
        quantity = "concentration" if column.kind == "concentration" else column.header
        unit = _unit_of(column.header) if column.kind == "concentration" else ""
        records += [("", str(w), quantity, str(t)) for w, t in zip(wells, texts, strict=True)]
        unit_of += [unit or None] * len(wells)
    vendor = vendor_rows(records)
    vendor.columns["unit"] = np.array(unit_of, dtype=object)
    return vendor


def _unit_of(header: str) -> str:
    found = _UNIT_IN_HEADER.search(header)
    return units.canonical(found.group(1)) if found else ""


def _concentration_unit(listed: WellList) -> str:
    found = {_unit_of(c.header) for c in listed.of_kind("concentration")} - {""}
    return ";".join(sorted(found))


def _note_unused(read: Read, why: str, reads: list[Read], notes: Warnings) -> None:
    others = [r for r in reads if r is not read]
    if not others:
        return
    listed = ", ".join(f"`{r.column.header}` ({r.signal_kind})" for r in others[:_MOST_LISTED])
    notes.add(
        f"the export holds {len(reads)} reads; the signal is `{read.column.header}` "
        f"({read.signal_kind}, {why}), not {listed}; name another in wells.read"
    )


def _note_oddities(raw: RawSheet, listed: WellList, notes: Warnings) -> None:
    for column in listed.of_kind("empty"):
        if column.header:
            notes.add(
                f"column {_letters(column.index)} (`{column.header}`) holds no value in the "
                "well lines; it is not read",
                f"sheet `{raw.name}`, row {raw.header_row}",
            )
    above = [
        (cell.strip(), f"{_letters(c)}{number}")
        for row, number in raw.above
        for c, cell in enumerate(row)
        if cell.strip() and not (_TIME.match(cell.strip()) or _TEMPERATURE.search(cell.strip()))
    ]
    if above:
        shown = ", ".join(f"`{text}` ({where})" for text, where in above[:_MOST_LISTED])
        notes.add(
            f"cells above the wells that are neither a time nor a temperature: {shown}; not read",
            f"sheet `{raw.name}`",
        )
    if listed.skipped:
        shown = ", ".join(f"row {number} (`{text}`)" for text, number in listed.skipped[:5])
        notes.add(
            f"{len(listed.skipped)} lines among the wells name no well in `Well positions`: "
            f"{shown}; they are not read",
            f"sheet `{raw.name}`",
        )


def _letters(index: int) -> str:
    letters = ""
    column = index + 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def read_magellan(
    sheets: Sequence[Sheet], source_file: str, options: ReadOptions | None = None
) -> list[ParsedPlate]:
    """Every plate of a Magellan list export (unvalidated wells, run facts, warnings)."""
    return compose(sheets, options or ReadOptions(), source_file)


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_magellan(source.sheets, source.file, options)


def _recognise(source: Source) -> bool:
    return looks_like_magellan(source.sheets)


MAGELLAN: Final = Format(
    name="magellan",
    described="a Magellan list export",
    software="Tecan Magellan",
    export=(
        "Excel list export (one line per well, `Well positions`): absorbance reads, "
        "several labels, 96/384 wells"
    ),
    versions="not stated in its exports",
    plate_map="without a well-names column",
    recognised_by="a `Date of measurement:` line followed by the method (`.mth`) or "
    "workspace (`.wsp`) file",
    kinds=("workbook",),
    recognise=_recognise,
    read=_read,
)
