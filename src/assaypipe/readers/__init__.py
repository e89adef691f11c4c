"""Read instrument exports into the tidy wells table (see docs/formats.md).

`read_export` recognises the format from the file's content, never from its name,
because lab exports are routinely renamed (`plate7.csv` may be a Gen5 text file): the
first of `registry.FORMATS` that recognises it reads it (`assaypipe formats` lists them).

Every reader hands back the same `ParsedPlate`; the plate is then finished here the
same way for all: plate map, roles, standards check, validation. A file is refused (an
InputError) only when its wells' signals cannot be placed; everything else odd is a
warning on the plate (`PlateRead.warnings`).

Cell tokens are described in `cells`; what a reader recorded about the run is in
`PlateRead.meta` (`META_KEYS`), and what the instrument software computed itself in
`PlateRead.vendor` (`tables.VENDOR_RESULTS`).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from assaypipe import tables
from assaypipe.errors import AssaypipeBugError, InputError, escaped, not_a_file
from assaypipe.readers import platemap
from assaypipe.readers.cells import (
    CONCENTRATION_QUANTITIES,
    TOKENS,
    checked_bead_counts,
    classify_cells,
    decode_text,
    listed,
    well_order,
)
from assaypipe.readers.columns import (
    Columns,
    ColumnTable,
    columns_of,
    frame_of,
    nunique,
    table_columns,
    texts,
)
from assaypipe.readers.kit_spots import name_spots
from assaypipe.readers.kit_standards import KitStandards, apply_kit_standards
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import ReadOptions, Source
from assaypipe.readers.registry import FORMATS, format_of
from assaypipe.readers.standards import checked_standards
from assaypipe.roles import DEFAULT_RULE, RoleRule
from assaypipe.study import path_safe
from assaypipe.tables import UNASSIGNED
from assaypipe.vocabulary import LuminexSignal, Role, values

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "META_KEYS",
    "SETTLE_SECONDS",
    "SIGNALS",
    "TOKENS",
    "PlateColumns",
    "PlateRead",
    "classify_cells",
    "decode_text",
    "read_columns",
    "read_export",
    "read_exports",
]

SIGNALS: Final = values(LuminexSignal)
DEFAULT_MAX_BYTES: Final = 50 * 1024 * 1024
# A file modified this recently may still be being written: it is looked at twice.
RECENT_SECONDS: Final = 2.0
SETTLE_SECONDS: Final = 0.05

META_KEYS: Final = (
    "format",
    "instrument",
    "software",
    "software_version",
    "serial_number",
    "batch",
    "run_time",
    "kit_lot",
    "unit",
    "plate_name",
    "plate_id",
    "sha256",
    "source_file",
)


@dataclass(frozen=True, eq=False)
class PlateRead:
    """One plate's wells (`tables.WELLS`), what the export says about its run, the
    instrument software's own results (`tables.VENDOR_RESULTS`), and the warnings:
    what looked odd but did not stop the plate (`parsed.Warnings`)."""

    wells: pd.DataFrame
    meta: dict[str, str] = field(default_factory=dict)
    vendor: pd.DataFrame = field(default_factory=lambda: tables.empty(tables.VENDOR_RESULTS))
    warnings: tuple[str, ...] = ()


def read_export(
    path: str | Path,
    plate_map: str | Path | pd.DataFrame | None = None,
    plate_id: str | None = None,
    signal: str = "median",
    max_bytes: int = DEFAULT_MAX_BYTES,
    role_rule: RoleRule | None = None,
    settle_seconds: float | None = None,
    validate: bool = True,
    read: str = "",
    kit_standards: KitStandards | None = None,
) -> PlateRead:
    """Read a one-plate export into `tables.WELLS` (see `read_exports` for the rest).

    An export holding several plates is an InputError here, naming them.
    """
    plates = read_exports(
        path,
        plate_map,
        plate_id,
        signal,
        max_bytes,
        role_rule,
        settle_seconds,
        validate,
        read,
        kit_standards,
    )
    if len(plates) > 1:
        names = ", ".join(plate.meta["plate_name"] for plate in plates)
        raise InputError(
            path,
            f"this export holds {len(plates)} plates ({names}) and this step reads one plate "
            "per file; export each plate to its own file",
        )
    return plates[0]


def read_exports(
    path: str | Path,
    plate_map: str | Path | pd.DataFrame | None = None,
    plate_id: str | None = None,
    signal: str = "median",
    max_bytes: int = DEFAULT_MAX_BYTES,
    role_rule: RoleRule | None = None,
    settle_seconds: float | None = None,
    validate: bool = True,
    read: str = "",
    kit_standards: KitStandards | None = None,
) -> list[PlateRead]:
    """Read an export into one `PlateRead` per plate it holds.

    The format is the first of `registry.FORMATS` that recognises the file's content.
    `plate_map` (a CSV path, or a frame from `platemap.read_plate_map`) overrides the
    roles the export implies; wells neither names are read with the role `unassigned`
    (a plate reader without a layout). With several plates it applies to each.
    `plate_id` defaults to the file name without its extension; several plates get
    `<plate_id>_<plate name>`. `signal` picks the Luminex signal: "median" (Median
    MFI, Bio-Plex FI) or "net_mfi" (Net MFI, Bio-Plex FI - Bkgd). `role_rule`
    replaces the sample-name rule of `roles`. `read` picks the read of a plate-reader
    export holding several (`ReadOptions`). `kit_standards` (kit files giving the
    standards' expected concentrations) override the export's where the plate map
    gives none (`kit_standards`).

    A file modified in the last `RECENT_SECONDS` is looked at twice, `settle_seconds`
    (default `SETTLE_SECONDS`) apart; if its size or modification time changed, or
    changes while it is read, it is still being written and is an InputError.

    With `validate=False` the tables are not checked against their schemas (their
    columns are): for callers that validate many plates' tables at once.
    """
    plates = read_columns(
        path, plate_map, plate_id, signal, max_bytes, role_rule, settle_seconds, read, kit_standards
    )
    reads = [plate.read() for plate in plates]
    # The plates of one file are validated together: a schema check costs about the
    # same for 1 plate's rows as for 10 plates'.
    return _validated_together(reads, str(path)) if validate else reads


def read_columns(
    path: str | Path,
    plate_map: str | Path | pd.DataFrame | None = None,
    plate_id: str | None = None,
    signal: str = "median",
    max_bytes: int = DEFAULT_MAX_BYTES,
    role_rule: RoleRule | None = None,
    settle_seconds: float | None = None,
    read: str = "",
    kit_standards: KitStandards | None = None,
) -> list[PlateColumns]:
    """`read_exports` without building the plates' wells tables: their columns, for a
    caller that puts many plates' together (the workflow's chunk step, `PlateColumns`)."""
    if signal not in SIGNALS:
        raise ValueError(f"signal must be one of {SIGNALS}, not {signal!r}")
    source_file = str(path)
    settle = SETTLE_SECONDS if settle_seconds is None else settle_seconds
    source = Source(_read_bytes(Path(path), source_file, max_bytes, settle), source_file)
    sha256 = hashlib.sha256(source.data).hexdigest()
    options = ReadOptions(signal=signal, rule=role_rule or DEFAULT_RULE, read=read)
    layout = _layout(plate_map, options.rule)
    parsed = format_of(source).read(source, options)
    if source.warnings:
        parsed = [replace(plate, warnings=(*source.warnings, *plate.warnings)) for plate in parsed]
    base = plate_id if plate_id is not None else Path(path).stem
    return [
        _finish(
            plate,
            plate_id=_plate_id(base, plate.name) if len(parsed) > 1 else base,
            layout=layout,
            source_file=source_file,
            sha256=sha256,
            kit_standards=kit_standards,
        )
        for plate in parsed
    ]


def _validated_together(plates: list[PlateRead], source_file: str) -> list[PlateRead]:
    """The plates with their wells and vendor results validated in one call per table."""
    try:
        wells = _split(_validated(_stacked(plates, "wells"), tables.WELLS), plates, "wells")
        vendor = [plate.vendor for plate in plates]
        if any(not frame.empty for frame in vendor):
            checked = _validated(_stacked(plates, "vendor"), tables.VENDOR_RESULTS)
            vendor = _split(checked, plates, "vendor")
    except (pandera.errors.SchemaError, pandera.errors.SchemaErrors) as error:
        raise AssaypipeBugError(f"{source_file}: reader built an invalid table: {error}") from error
    return [
        replace(plate, wells=w, vendor=v) for plate, w, v in zip(plates, wells, vendor, strict=True)
    ]


def _stacked(plates: list[PlateRead], table: str) -> pd.DataFrame:
    frames: list[pd.DataFrame] = [getattr(plate, table) for plate in plates]
    return pd.concat(
        [frame for frame in frames if not frame.empty] or frames[:1], ignore_index=True
    )


def _split(frame: pd.DataFrame, plates: list[PlateRead], table: str) -> list[pd.DataFrame]:
    """`frame` cut back into the plates' parts, in order (each indexed from 0)."""
    sizes: list[int] = [len(getattr(plate, table)) for plate in plates]
    ends = np.cumsum(sizes)
    starts = np.concatenate([[0], ends[:-1]])
    return [
        frame.iloc[start:end].reset_index(drop=True)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
    ]


def _layout(
    plate_map: str | Path | pd.DataFrame | None, rule: RoleRule
) -> platemap.PlateMap | None:
    if plate_map is None:
        return None
    if isinstance(plate_map, pd.DataFrame):
        return platemap.validated_map(plate_map, plate_map.attrs.get("source_file", ""))
    return platemap.read_map(plate_map, rule=rule)


def _plate_id(base: str, name: str) -> str:
    return f"{base}_{path_safe(name).strip('_') or 'plate'}"


@dataclass(frozen=True, eq=False)
class PlateColumns:
    """One plate read, its wells table as columns (`columns.Columns`, the names of
    `tables.WELLS` a reader gives, in its order) not yet a frame; the rest as in
    `PlateRead`."""

    wells: Columns
    n_rows: int
    meta: dict[str, str]
    vendor: ColumnTable
    warnings: tuple[str, ...]

    def read(self) -> PlateRead:
        """The plate as `PlateRead`, its tables not validated."""
        return PlateRead(
            wells=frame_of(self.wells, self.n_rows),
            meta=self.meta,
            # A plate reader's export often holds no results of its software.
            vendor=self.vendor.frame()
            if self.vendor.n_rows
            else tables.empty(tables.VENDOR_RESULTS),
            warnings=self.warnings,
        )


def _finish(
    parsed: ParsedPlate,
    *,
    plate_id: str,
    layout: platemap.PlateMap | None,
    source_file: str,
    sha256: str,
    kit_standards: KitStandards | None = None,
) -> PlateColumns:
    """The plate finished as every format's is (plate map, roles, checks), on its
    columns: a frame is built only for the steps that join tables (plate map, kit)."""
    notes = Warnings(parsed.warnings)
    wells, n_rows = table_columns(parsed.wells)
    for name, value in (
        ("plate_id", plate_id),
        ("source_file", source_file),
        ("source_sha256", sha256),
    ):
        wells[name] = np.full(n_rows, value, dtype=object)
    cleaned, bead_warning = checked_bead_counts(
        wells["well"], wells["analyte"], wells["bead_count"], wells["flags"]
    )
    if cleaned is not None:
        wells["bead_count"], wells["flags"] = cleaned
    if bead_warning is not None:
        notes.add(bead_warning)
    # Most plate readers' exports hold no results of their software: nothing to take apart.
    vendor, n_vendor = table_columns(parsed.vendor) if len(parsed.vendor) else ({}, 0)
    if kit_standards is not None:
        # Before the plate map, so that it can name a spot's wells by the kit's analyte.
        given = parsed.vendor
        frame, vendor_frame = name_spots(
            frame_of(wells, n_rows),
            given.frame() if isinstance(given, ColumnTable) else given,
            kit_standards,
            plate_id,
            notes,
        )
        wells, n_rows = columns_of(frame), len(frame)
        vendor, n_vendor = columns_of(vendor_frame), len(vendor_frame)
    unit = _plate_unit(parsed.meta.get("unit", ""))
    if unit:
        wells["unit"] = np.where(_objects(wells["unit"]) != "", wells["unit"], unit)
    # A well of an export that names no analyte and no role (a plate reader's grid)
    # has no role until a plate map gives it one.
    unnamed_analyte = _objects(wells["analyte"]) == ""
    no_role = unnamed_analyte & (_objects(wells["sample_name"]) == "")
    if no_role.any():
        wells["role"] = np.where(no_role, UNASSIGNED, _objects(wells["role"]))
    if layout is not None:
        wells, n_rows = platemap.apply_map(wells, n_rows, layout)
    elif unnamed_analyte.any():
        for name in ("analyte", "analyte_raw"):
            wells[name] = np.where(unnamed_analyte, platemap.DEFAULT_ANALYTE, wells[name])
    _note_unassigned(wells, layout is not None, notes)
    _note_control_characters(wells, notes)
    _nameless_to_no_sample(wells, notes)
    if kit_standards is not None:
        map_frame = layout.frame if layout is not None else None
        frame = apply_kit_standards(
            frame_of(wells, n_rows), kit_standards, plate_id, map_frame, notes
        )
        wells, n_rows = columns_of(frame), len(frame)
    flags, problems = checked_standards(wells, source_file)
    if flags is not None:
        wells["flags"] = flags
    notes.extend([_without_file(problem) for problem in problems])
    meta = {key: parsed.meta.get(key, "") for key in META_KEYS}
    meta.update(sha256=sha256, source_file=source_file, plate_name=parsed.name, plate_id=plate_id)
    wells = _conformed_columns(wells, tables.WELLS)
    # A plate reader's export often holds no results of its software.
    if n_vendor:
        vendor = _vendor_analytes(vendor, wells)
        _vendor_units(vendor, unit)
        vendor["plate_id"] = np.full(n_vendor, plate_id, dtype=object)
        vendor["source_file"] = np.full(n_vendor, source_file, dtype=object)
        vendor = _conformed_columns(vendor, tables.VENDOR_RESULTS)
    return PlateColumns(
        wells=wells,
        n_rows=n_rows,
        meta=meta,
        vendor=ColumnTable(vendor, n_vendor),
        warnings=notes.as_tuple(),
    )


def _objects(column: Any) -> np.ndarray:
    return np.asarray(column, dtype=object)


def _plate_unit(unit: str) -> str:
    """The one unit a plate states for all its analytes, or "" (none, or several)."""
    return "" if ";" in unit else unit.strip()


def _vendor_units(vendor: Columns, unit: str) -> None:
    """A vendor concentration the reader gave no unit takes the plate's (in place)."""
    if not unit:
        return
    units = _objects(vendor["unit"])
    quantity = _objects(vendor["quantity"]).tolist()
    is_conc = pd.isna(units) & np.array(
        [q in CONCENTRATION_QUANTITIES for q in quantity], dtype=bool
    )
    if is_conc.any():
        vendor["unit"] = np.where(is_conc, unit, units)


def _without_file(problem: InputError) -> str:
    """A problem's sentence as a plate warning: the plate already names its file."""
    return f"{problem.where}: {problem.message}" if problem.where else problem.message


# C0 control characters and DEL: no export writes them in a name; a damaged file may.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _note_control_characters(wells: Columns, notes: Warnings) -> None:
    """Analyte and sample names holding control characters (shown as ``\\x00``)."""
    # their word: a noun of the message
    for column, what in (("analyte_raw", "analyte"), ("sample_name", "sample")):
        distinct = set(_objects(wells[column]).tolist())
        if not any(isinstance(name, str) and _CONTROL.search(name) for name in distinct):
            continue  # the usual case, decided without converting the column
        names = pd.unique(pd.Series(wells[column]).astype(str))
        odd = [name for name in names if _CONTROL.search(name)]
        if not odd:
            continue
        shown = listed([f"`{_visible(name)}`" for name in odd], 5)
        several = len(odd) > 1
        notes.add(
            f"{what} name{'s' if several else ''} {shown} "
            f"hold{'' if several else 's'} control characters no export writes: the file may "
            "be damaged; check the names"
        )


def _visible(name: str) -> str:
    return escaped(name[:60], _CONTROL)


def _note_unassigned(wells: Columns, has_map: bool, notes: Warnings) -> None:
    well = _objects(wells["well"])
    is_unassigned = _objects(wells["role"]) == UNASSIGNED
    if not is_unassigned.any():
        return
    unassigned = list(dict.fromkeys(well[is_unassigned].tolist()))
    listed = _well_list(unassigned)
    if len(unassigned) == nunique(well):
        why = "the plate map places none of them" if has_map else "there is no plate map"
        notes.add(
            f"the export names no well roles and {why}: its {len(unassigned)} wells are "
            "read without a role and no curve is fitted; "
            "give the plate a plate map (resources/layouts/<plate_id>.csv)"
        )
    else:
        notes.add(
            f"{len(unassigned)} wells have a reading but no role (the export names none and "
            f"the plate map has no row for them): {listed}; they are kept with the role "
            "unassigned; add them to the plate map if they hold anything"
        )


def _nameless_to_no_sample(wells: Columns, notes: Warnings) -> None:
    # A sample or control without a name would pool with every other nameless well: it
    # is read, but belongs to no sample.
    unnamed = _objects(wells["sample_name"]) == ""
    if not unnamed.any():
        return
    nameless = unnamed & np.isin(_objects(wells["role"]), [Role.SAMPLE.value, Role.CONTROL.value])
    if not nameless.any():
        return
    listed = _well_list(
        pd.Series(_objects(wells["well"])[nameless], dtype=object).drop_duplicates().tolist()
    )
    notes.add(
        f"{listed}: sample or control wells with no name in the export and no sample_id "
        "in the plate map; they are read but belong to no sample: add their sample_id "
        "to the plate map"
    )
    sample_id = _objects(wells["sample_id"]).copy()
    sample_id[nameless] = None
    wells["sample_id"] = sample_id


def _well_list(wells: list[str], most: int = 12) -> str:
    return listed(sorted(wells, key=well_order), most)


def _validated(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    return schema.validate(frame)


def _conformed(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """`tables.conform`, without its copy when the columns are already the schema's
    (all of them, or the required ones: a reader's table lacks the later stages')."""
    if list(frame.columns) in (list(schema.columns), _required(schema)):
        return frame
    return tables.conform(frame, schema)


_REQUIRED: dict[str, list[str]] = {}


def _required(schema: pa.DataFrameSchema) -> list[str]:
    """The schema's required columns, in its order."""
    name = str(schema.name)
    if name not in _REQUIRED:
        _REQUIRED[name] = [c for c, column in schema.columns.items() if column.required]
    return _REQUIRED[name]


def _conformed_columns(columns: Columns, schema: pa.DataFrameSchema) -> Columns:
    """`tables.conform` for columns: the schema's, in its order."""
    required = _required(schema)
    if list(columns) == required:
        return columns
    missing = sorted(set(required) - set(columns))
    extra = sorted(set(columns) - set(schema.columns))
    if missing or extra:
        raise AssaypipeBugError(
            f"{schema.name} table built with missing columns {missing} or extra columns {extra}"
        )
    return {name: columns[name] for name in schema.columns if name in columns}


def _vendor_analytes(vendor: Columns, wells: Columns) -> Columns:
    """Plate-reader results name no analyte: they take the one their well was given
    (its first row's), or the plate's when it has one analyte."""
    analyte = _objects(vendor["analyte"])
    missing = texts(analyte) == ""
    if not missing.any():
        return vendor
    of_well: dict[object, object] = {}
    names = _objects(wells["analyte"]).tolist()
    for well, name in zip(_objects(wells["well"]).tolist(), names, strict=True):
        of_well.setdefault(well, name)
    analytes = pd.unique(_objects(wells["analyte"]))
    whole_plate = str(analytes[0]) if len(analytes) == 1 else ""
    filled = analyte.copy()
    for index in np.flatnonzero(missing).tolist():
        name = of_well.get(vendor["well"][index])
        filled[index] = name if isinstance(name, str) else whole_plate
    return {**vendor, "analyte": filled}


def _read_bytes(path: Path, source_file: str, max_bytes: int, settle_seconds: float) -> bytes:
    problem = not_a_file(path, "plate export")
    if problem is not None:
        raise InputError(source_file, problem)
    try:
        first = path.stat()
    except OSError as error:
        raise InputError(source_file, f"the file cannot be read ({error.strerror})") from None
    if first.st_size > max_bytes:
        raise InputError(
            source_file,
            f"the file is {_size(first.st_size)}, larger than the {_size(max_bytes)} "
            "a plate export can be; check it is the right file",
        )
    if first.st_size == 0:
        raise InputError(source_file, "the file is empty (0 bytes)")
    if settle_seconds > 0 and time.time() - first.st_mtime < RECENT_SECONDS:
        # Just written: if it is still growing, a second look a moment later shows it.
        time.sleep(settle_seconds)
    try:
        data = path.read_bytes()
        last = path.stat()
    except OSError as error:
        raise InputError(source_file, f"the file cannot be read ({error.strerror})") from None
    if (first.st_size, first.st_mtime_ns) != (last.st_size, last.st_mtime_ns) or len(
        data
    ) != last.st_size:
        raise InputError(
            source_file,
            "the file is still being written (its size changed while it was read); "
            "wait until the instrument software has finished saving it, then run again",
        )
    return data


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1024**2:.1f} MB" if n_bytes >= 1024**2 else f"{n_bytes} bytes"
