"""Molecular Devices SoftMax Pro text exports (absorbance endpoint) into wells.

A SoftMax Pro export is `##BLOCKS= n` followed by n blocks, each ending `~End`:

- `Note:` blocks (free text; `Standard Lot #` and `Kit Lot #` lines give the kit lot);
- `Plate:` blocks: a tab-separated header line (name, export version, PlateFormat or
  TimeFormat, read type, read mode, Raw/Reduced/Both, ..., wavelengths, columns,
  wells, rows), then the data: PlateFormat writes each read as a plate grid (the
  wavelengths side by side), TimeFormat writes one line per read with one column per
  well (`A1`, `A2`, ...); a grid without `Temperature` in its header is the reduced data;
- `Group:` blocks: one table per group (`Sample`, `Wells`, values, results,
  `WellPlateName`), which says which wells hold which sample.

Several `Plate:` blocks make several plates; groups name their plate in
`WellPlateName`. Roles come from the group's name: a group called `Standards`, `Std`,
`Standard Curve` or `Calibrators` holds standards (level = the sample's position in
the group, expected concentration from its `Conc`/`Concentration`/`Standard Value`
column); `Control(s)`, `Ctrl`, `QC` controls; `Blank(s)`, `Background` blanks; any
other group samples. A well in no group has no role (a plate map must place it).
The sample id is the group's sample name, prefixed `group/` when that name occurs in
more than one group (SoftMax numbers each group's samples 01, 02, ...).

The signal is the raw read: one wavelength as read, two wavelengths as the first
minus the second (`OD450-650`, `raw_text` `1.234|0.045`). An export that holds only
reduced data uses it (`signal_kind` `OD450-650 (reduced)`), since SoftMax's reduction
is then all there is. `Masked` in a group table flags the well `vendor_masked`;
SoftMax's back-calculated concentrations (`Result`, `BackCalcConc`, `MeanResult`)
go to the vendor results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError
from assaypipe.readers.cells import (
    ROW_LETTERS,
    classify_cells,
    parse_well,
    vendor_frame,
    wells_frame,
)
from assaypipe.readers.parsed import ParsedPlate
from assaypipe.readers.protocol import Format, ReadOptions, Source

__all__ = [
    "SOFTMAX",
    "Block",
    "GroupTable",
    "PlateBlock",
    "looks_like_softmax",
    "read_softmax",
    "split_blocks",
]

_BLOCKS: Final = re.compile(r"^##BLOCKS=\s*(\d+)\s*$")
_STANDARD_GROUP: Final = re.compile(
    r"^(?:std|standard|calibrator|cal)s?(?:[\s_]*curve)?[\s_]*\d*$", re.IGNORECASE
)
_CONTROL_GROUP: Final = re.compile(r"^(?:control|ctrl|ctl|qc)s?[\s_]*\d*$", re.IGNORECASE)
_BLANK_GROUP: Final = re.compile(r"^(?:blank|blk|background|bkg)s?[\s_]*\d*$", re.IGNORECASE)
_CONC_COLUMN: Final = re.compile(r"^(?:conc|concentration|standard value)\b", re.IGNORECASE)
_WELL_COLUMN: Final = re.compile(r"^wells?$", re.IGNORECASE)
_VALUE_COLUMN: Final = re.compile(r"^(?:od|values?|meanvalue|raw)$", re.IGNORECASE)
_DILUTION_COLUMN: Final = re.compile(r"^(?:dilution|dilution factor|dil)$", re.IGNORECASE)
_RESULT_COLUMNS: Final = {
    "result": "concentration",
    "results": "concentration",
    "meanresult": "mean_concentration",
    "meanresults": "mean_concentration",
    "backcalcconc": "mean_concentration",
}


# --- layer 1: split ----------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    kind: str
    lines: tuple[str, ...]
    line: int


def looks_like_softmax(lines: list[str]) -> bool:
    first = next((line for line in lines[:5] if line.strip()), "")
    return bool(_BLOCKS.match(first.strip()))


def split_blocks(lines: list[str], file: str) -> list[Block]:
    """The export's blocks, checked against the count its first line announces."""
    start = next(i for i, line in enumerate(lines) if line.strip())
    declared = int(_BLOCKS.match(lines[start].strip()).group(1))  # type: ignore[union-attr]
    blocks: list[Block] = []
    current: list[str] = []
    first_line = start + 2
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.strip() == "~End":
            kind = current[0].split("\t")[0].strip().rstrip(":").split(":")[0] if current else ""
            blocks.append(Block(kind=kind, lines=tuple(current), line=first_line))
            current = []
            first_line = number + 1
            if len(blocks) == declared:
                break
            continue
        if current or line.strip():
            current.append(line)
    if len(blocks) < declared:
        raise InputError(
            file,
            f"the export announces {declared} blocks but only {len(blocks)} end with `~End`; "
            "the file looks truncated: export it again",
        )
    return blocks


# --- layer 2: structure ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PlateBlock:
    """One `Plate:` block: its header fields and the texts of every well's reads."""

    name: str
    wavelengths: tuple[int, ...]
    wells: tuple[str, ...]
    raw: tuple[np.ndarray, ...]
    reduced: np.ndarray | None
    line: int

    @classmethod
    def create(cls, block: Block, file: str) -> PlateBlock:
        header = [cell.strip() for cell in block.lines[0].split("\t")]
        where = f"line {block.line}"
        if len(header) < 21:
            raise InputError(
                file,
                f"the Plate block's header line has {len(header)} fields, expected at least 21",
                where=where,
            )
        name, export_format, read_type, read_mode = header[1], header[3], header[4], header[5]
        if read_mode != "Absorbance":
            raise InputError(
                file,
                f"plate {name} is a {read_mode or 'unnamed'} read; only absorbance reads "
                "are supported",
                where=where,
            )
        if read_type != "Endpoint" or header[8] not in ("", "1"):
            raise InputError(
                file,
                f"plate {name} is a {read_type} read; {read_type.lower()} reads are not "
                "supported: export the endpoint read",
                where=where,
            )
        wavelengths = tuple(int(float(w)) for w in re.findall(r"\d+(?:\.\d+)?", header[15]))
        n_columns, n_wells, n_rows = (_int(header[i], file, where) for i in (17, 18, 20))
        if (
            not 1 <= n_rows <= 16
            or not 1 <= n_columns <= 24
            or n_rows * n_columns != n_wells
            or len(wavelengths) not in (1, 2)
        ):
            raise InputError(
                file,
                f"plate {name}'s header describes {n_rows} rows x {n_columns} columns, "
                f"{n_wells} wells and wavelengths {header[15]!r}, which do not fit together",
                where=where,
            )
        wells = tuple(
            f"{ROW_LETTERS[r]}{c}" for r in range(n_rows) for c in range(1, n_columns + 1)
        )
        chunks = _chunks(block.lines[1:], block.line + 1)
        if export_format == "PlateFormat":
            raw, reduced = _plate_format(chunks, n_rows, n_columns, len(wavelengths), name, file)
        elif export_format == "TimeFormat":
            raw, reduced = _time_format(chunks, wells, len(wavelengths), name, file)
        else:
            raise InputError(
                file,
                f"plate {name} uses the export format {export_format!r}; expected "
                "PlateFormat or TimeFormat",
                where=where,
            )
        if not raw and reduced is None:
            raise InputError(file, f"plate {name} has no data", where=where)
        return cls(
            name=name,
            wavelengths=wavelengths,
            wells=wells,
            raw=tuple(raw),
            reduced=reduced,
            line=block.line,
        )


def _int(text: str, file: str, where: str) -> int:
    if not text.isdecimal():
        raise InputError(file, f"expected a number in the Plate header, found {text!r}", where)
    return int(text)


def _chunks(lines: tuple[str, ...], first: int) -> list[list[tuple[list[str], int]]]:
    """Blank-line separated runs of tab-split lines, with their line numbers."""
    chunks: list[list[tuple[list[str], int]]] = []
    current: list[tuple[list[str], int]] = []
    for number, line in enumerate(lines, start=first):
        if line.strip():
            current.append((line.split("\t"), number))
        elif current:
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def _plate_format(
    chunks: list[list[tuple[list[str], int]]],
    n_rows: int,
    n_columns: int,
    n_wavelengths: int,
    name: str,
    file: str,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    raw: list[np.ndarray] = []
    reduced: np.ndarray | None = None
    for chunk in chunks:
        (header, line), body = chunk[0], chunk[1:]
        is_raw = "temperature" in header[1].casefold() if len(header) > 1 else False
        n_grids = n_wavelengths if is_raw else 1
        if len(body) != n_rows:
            raise InputError(
                file,
                f"a data grid of plate {name} has {len(body)} rows, expected {n_rows}; "
                "the file looks truncated or edited",
                where=f"line {line}",
            )
        width = 2 + n_grids * (n_columns + 1) - 1
        for cells, number in body:
            extra = cells[width:]
            if len(cells) < width or any(cell.strip() for cell in extra):
                raise InputError(
                    file,
                    f"a row of plate {name}'s grid has {len(cells) - 2} values, expected "
                    f"{n_grids * n_columns}; the line looks damaged",
                    where=f"line {number}",
                )
        grid = np.array([(row + [""] * width)[:width] for row, _ in body], dtype=object)
        grids = [
            grid[:, 2 + k * (n_columns + 1) : 2 + k * (n_columns + 1) + n_columns].ravel()
            for k in range(n_grids)
        ]
        if is_raw:
            raw = grids
        else:
            reduced = grids[0]
    return raw, reduced


def _time_format(
    chunks: list[list[tuple[list[str], int]]],
    wells: tuple[str, ...],
    n_wavelengths: int,
    name: str,
    file: str,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    raw: list[np.ndarray] = []
    reduced: np.ndarray | None = None
    columns: list[str] | None = None
    for chunk in chunks:
        first_cells = [cell.strip() for cell in chunk[0][0]]
        if any(parse_well(cell) for cell in first_cells[2:4]):
            columns, body = first_cells, chunk[1:]
            is_raw = "temperature" in columns[1].casefold() if len(columns) > 1 else False
        else:
            body = chunk
            is_raw = True
        if columns is None:
            raise InputError(
                file,
                f"plate {name}'s data has no header line naming the wells",
                where=f"line {chunk[0][1]}",
            )
        named = [parse_well(cell) for cell in columns[2:]]
        while named and named[-1] is None:
            named.pop()
        if None in named or list(named) != list(wells):
            raise InputError(
                file,
                f"plate {name}'s header line should name the wells A1 to "
                f"{wells[-1]} in order; the line looks damaged",
                where=f"line {chunk[0][1]}",
            )
        for cells, number in body:
            if len(cells) < 2 + len(wells) or any(c.strip() for c in cells[2 + len(wells) :]):
                raise InputError(
                    file,
                    f"a line of plate {name} has {max(len(cells) - 2, 0)} values, expected "
                    f"{len(wells)}; the line looks damaged",
                    where=f"line {number}",
                )
        values = [np.array(cells[2 : 2 + len(wells)], dtype=object) for cells, _ in body]
        if is_raw:
            raw.extend(values)
        elif len(values) != 1:
            raise InputError(
                file,
                f"plate {name}'s reduced data has {len(values)} lines, expected 1",
                where=f"line {chunk[0][1]}",
            )
        else:
            reduced = values[0]
    if raw and len(raw) != n_wavelengths:
        raise InputError(
            file,
            f"plate {name} has {len(raw)} reads for {n_wavelengths} wavelengths; "
            "the file looks truncated or edited",
        )
    return raw, reduced


@dataclass(frozen=True)
class GroupRow:
    sample: str
    well: str
    plate: str
    cells: dict[str, str]
    line: int


@dataclass(frozen=True)
class GroupTable:
    """One `Group:` block's table: which well holds which sample, and its values."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[GroupRow, ...]

    @classmethod
    def create(cls, block: Block, file: str) -> GroupTable | None:
        name = block.lines[0].split(":", 1)[1].strip() if ":" in block.lines[0] else ""
        if len(block.lines) < 2:
            return None
        columns = tuple(cell.strip() for cell in block.lines[1].split("\t"))
        well_column = next((c for c in columns if _WELL_COLUMN.match(c)), None)
        if well_column is None or "Sample" not in columns:
            # Summary-only groups name no wells; nothing to place.
            return None
        rows: list[GroupRow] = []
        sample = ""
        for offset, line in enumerate(block.lines[2:], start=2):
            if not line.strip():
                break
            cells = dict(zip(columns, (c.strip() for c in line.split("\t")), strict=False))
            sample = cells.get("Sample") or sample
            text = cells.get(well_column, "")
            number = block.line + offset
            well = parse_well(text)
            if well is None:
                raise InputError(
                    file,
                    f"group {name} names well {text!r}, which is not a plate well (A1 to P24)",
                    where=f"line {number}",
                )
            if not sample:
                raise InputError(
                    file, f"group {name} lists well {well} before any sample", f"line {number}"
                )
            rows.append(GroupRow(sample, well, cells.get("WellPlateName", ""), cells, number))
        return cls(name=name, columns=columns, rows=tuple(rows))

    @property
    def role(self) -> str:
        if _STANDARD_GROUP.match(self.name):
            return "standard"
        if _CONTROL_GROUP.match(self.name):
            return "control"
        if _BLANK_GROUP.match(self.name):
            return "blank"
        return "sample"


# --- layer 3: compose --------------------------------------------------------------


def read_softmax(text: str, source_file: str) -> list[ParsedPlate]:
    """One ParsedPlate per `Plate:` block of a SoftMax Pro text export."""
    lines = text.splitlines()
    blocks = split_blocks(lines, source_file)
    plates: list[PlateBlock] = []
    groups: list[GroupTable] = []
    kit_lot = ""
    for block in blocks:
        if block.kind == "Plate":
            plates.append(PlateBlock.create(block, source_file))
        elif block.kind == "Group":
            table = GroupTable.create(block, source_file)
            if table is not None:
                groups.append(table)
        elif block.kind == "Note":
            kit_lot = kit_lot or _kit_lot(block)
        elif block.kind:
            raise InputError(
                source_file,
                f"unexpected block {block.kind!r}; a SoftMax Pro export holds Note, Plate "
                "and Group blocks",
                where=f"line {block.line}",
            )
    if not plates:
        raise InputError(source_file, "the export has no Plate block, so no readings")
    names = [plate.name for plate in plates]
    repeated = next((n for n in names if names.count(n) > 1), None)
    if repeated is not None:
        raise InputError(
            source_file, f"two Plate blocks are both named {repeated!r}; plate names must differ"
        )
    placed = _placements(groups, names, source_file)
    return [
        _compose(plate, placed, source_file, kit_lot, several=len(plates) > 1) for plate in plates
    ]


def _kit_lot(block: Block) -> str:
    for line in block.lines:
        cells = [cell.strip() for cell in line.split("\t")]
        if cells[0].rstrip(":").casefold() in ("kit lot #", "kit lot", "standard lot #"):
            value = next((cell for cell in cells[1:] if cell), "")
            if value:
                return value
    return ""


def _placements(groups: list[GroupTable], plate_names: list[str], file: str) -> pd.DataFrame:
    """One row per (plate, well) placed by a group: role, names, level, expected, values."""
    records = []
    all_names: dict[str, set[str]] = {}
    for group in groups:
        for row in group.rows:
            all_names.setdefault(row.sample, set()).add(group.name)
    for group in groups:
        role = group.role
        conc_column = next((c for c in group.columns if _CONC_COLUMN.match(c)), None)
        value_column = next((c for c in group.columns if _VALUE_COLUMN.match(c)), None)
        dilution_column = next((c for c in group.columns if _DILUTION_COLUMN.match(c)), None)
        order = list(dict.fromkeys(row.sample for row in group.rows))
        first_row: dict[str, GroupRow] = {}
        for row in group.rows:
            first_row.setdefault(row.sample, row)
            plate = row.plate or (plate_names[0] if len(plate_names) == 1 else "")
            if plate not in plate_names:
                raise InputError(
                    file,
                    f"group {group.name} places well {row.well} on plate {row.plate!r}, "
                    f"which the export does not hold (plates: {', '.join(plate_names)})",
                    where=f"line {row.line}",
                )
            head = first_row[row.sample]
            sample_id = row.sample
            if len(all_names[row.sample]) > 1 and role in ("sample", "control"):
                sample_id = f"{group.name}/{row.sample}"
            results = {
                quantity: row.cells.get(column, "") or head.cells.get(column, "")
                if quantity == "mean_concentration"
                else row.cells.get(column, "")
                for column in group.columns
                if (quantity := _RESULT_COLUMNS.get(column.replace(" ", "").casefold()))
            }
            records.append(
                {
                    "plate": plate,
                    "well": row.well,
                    "role": role,
                    "sample_name": sample_id if role in ("sample", "control") else row.sample,
                    "sample_id": sample_id if role in ("sample", "control") else None,
                    "level": order.index(row.sample) + 1
                    if role in ("standard", "control")
                    else None,
                    "expected": head.cells.get(conc_column, "") if conc_column else "",
                    "dilution": head.cells.get(dilution_column, "") if dilution_column else "",
                    "masked": (row.cells.get(value_column, "") if value_column else "").casefold()
                    == "masked",
                    "results": results,
                    "line": row.line,
                    "group": group.name,
                }
            )
    table = pd.DataFrame(
        records,
        columns=[
            "plate",
            "well",
            "role",
            "sample_name",
            "sample_id",
            "level",
            "expected",
            "dilution",
            "masked",
            "results",
            "line",
            "group",
        ],
    )
    repeated = table.duplicated(["plate", "well"], keep="first")
    if repeated.any():
        again = table[repeated].iloc[0]
        first = table[(table["plate"] == again["plate"]) & (table["well"] == again["well"])]
        raise InputError(
            file,
            f"well {again['well']} is in group {first['group'].iloc[0]} (line "
            f"{first['line'].iloc[0]}) and again in group {again['group']}; each well should "
            "belong to one group",
            where=f"line {again['line']}",
        )
    return table


def _compose(
    plate: PlateBlock, placed: pd.DataFrame, file: str, kit_lot: str, several: bool
) -> ParsedPlate:
    wavelengths = plate.wavelengths
    if plate.raw:
        first = pd.Series(plate.raw[0], dtype="str").str.strip()
        tokens, signal = classify_cells(first)
        raw_text = first
        kind = f"OD{wavelengths[0]}"
        if len(plate.raw) == 2:
            second = pd.Series(plate.raw[1], dtype="str").str.strip()
            second_tokens, second_values = classify_cells(second)
            tokens = tokens.where(tokens != "numeric", second_tokens)
            signal = signal - second_values
            raw_text = first + "|" + second
            kind = f"OD{wavelengths[0]}-{wavelengths[1]}"
    else:
        reduced = plate.reduced if plate.reduced is not None else np.array([], dtype=object)
        raw_text = pd.Series(reduced, dtype="str").str.strip()
        tokens, signal = classify_cells(raw_text)
        kind = "OD" + "-".join(map(str, wavelengths)) + " (reduced)"
    wells = wells_frame(
        len(plate.wells),
        well=np.array(plate.wells, dtype=object),
        signal=signal.to_numpy(dtype=float),
        signal_kind=kind,
        raw_text=raw_text.to_numpy(dtype=object),
        token=tokens.to_numpy(dtype=object),
    )
    own = placed[placed["plate"] == plate.name].set_index("well")
    stray = sorted(set(own.index) - set(plate.wells))
    if stray:
        raise InputError(
            file,
            f"a group places well {stray[0]} on plate {plate.name}, which has no such well",
            where=f"line {own.loc[stray[0], 'line']}",
        )
    if not own.empty:
        at = wells["well"].isin(own.index).to_numpy()
        rows = own.loc[wells.loc[at, "well"]]
        expected = pd.to_numeric(rows["expected"], errors="coerce").to_numpy(dtype=float)
        dilution = pd.to_numeric(rows["dilution"], errors="coerce").to_numpy(dtype=float)
        dilution = np.where(np.isfinite(dilution) & (dilution > 0), dilution, 1.0)
        wells.loc[at, "role"] = rows["role"].to_numpy(dtype=object)
        wells.loc[at, "sample_name"] = rows["sample_name"].to_numpy(dtype=object)
        wells.loc[at, "sample_id"] = rows["sample_id"].to_numpy(dtype=object)
        wells.loc[at, "level"] = pd.array(rows["level"].to_numpy(), dtype="Int64")
        wells.loc[at, "expected_conc"] = np.where(
            rows["role"].isin(["standard", "control"]), expected, np.nan
        )
        wells.loc[at, "dilution"] = dilution
        wells.loc[at, "flags"] = np.where(rows["masked"], "vendor_masked", "")
    vendor_rows: list[tuple[str, str | None, str, str]] = [
        ("", str(well), str(quantity), str(text))
        for well, results in own["results"].items()
        for quantity, text in results.items()
    ]
    meta = {
        "format": "softmax",
        "software": "SoftMax Pro",
        "batch": plate.name,
        "kit_lot": kit_lot,
    }
    return ParsedPlate(
        wells=wells,
        meta=meta,
        vendor=vendor_frame(vendor_rows),
        name=plate.name if several else "",
    )


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_softmax(source.text, source.file)


def _recognise(source: Source) -> bool:
    return looks_like_softmax(source.lines)


SOFTMAX: Final = Format(
    name="softmax",
    described="a SoftMax Pro text export",
    software="Molecular Devices SoftMax Pro",
    export="text export (PlateFormat or TimeFormat), UTF-16/UTF-8/Latin-1, several plates per file",
    versions="export format 1.3",
    plate_map="for wells in no group",
    recognised_by="first line `##BLOCKS= n`",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
