"""Read instrument exports into the tidy wells table (see docs/formats.md).

`read_export` recognises the format from the file's content, never from its name,
because lab exports are routinely renamed (`plate7.csv` may be a Gen5 text file):

- Luminex xPONENT CSV (3.x, 4.x; comma or semicolon) and INTELLIFLEX CSV: `xponent`
- Bio-Plex Manager workbooks (.xls, .xlsx): `bioplex`
- SoftMax Pro text exports (`##BLOCKS=`): `softmax`, possibly several plates per file
- BioTek Gen5 text exports (endpoint reads): `platereader`
- a plain 8 x 12 or 16 x 24 grid (CSV, TSV, Excel): `grid`

Every reader hands back the same `ParsedPlate`; the plate is then finished here the
same way for all: plate map, role check, standards check, validation.

Cell tokens are described in `cells`; what a reader recorded about the run is in
`PlateRead.meta` (`META_KEYS`), and what the instrument software computed itself in
`PlateRead.vendor` (`tables.VENDOR_RESULTS`).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from assaypipe import tables
from assaypipe.errors import AssaypipeBugError, InputError
from assaypipe.readers import bioplex, grid, platemap, platereader, softmax, xponent
from assaypipe.readers.cells import TOKENS, classify_cells, decode_text, well_order
from assaypipe.readers.excel import is_workbook, read_workbook
from assaypipe.readers.parsed import ParsedPlate
from assaypipe.readers.standards import check_standards
from assaypipe.roles import DEFAULT_RULE, RoleRule

__all__ = [
    "DEFAULT_MAX_BYTES",
    "META_KEYS",
    "SETTLE_SECONDS",
    "SIGNALS",
    "TOKENS",
    "PlateRead",
    "classify_cells",
    "decode_text",
    "read_export",
    "read_exports",
]

SIGNALS: Final = ("median", "net_mfi")
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

_UNSUPPORTED: Final = (
    "not a supported plate export: expected an xPONENT or INTELLIFLEX CSV, a Bio-Plex "
    "Manager workbook, a SoftMax Pro or Gen5 text export, or a plain 8 x 12 or 16 x 24 grid"
)


@dataclass(frozen=True, eq=False)
class PlateRead:
    """One plate's wells (`tables.WELLS`), what the export says about its run, the
    wells it read but could not place and the problems that did not stop the plate
    (`tables.REJECTED`), and the instrument software's own results
    (`tables.VENDOR_RESULTS`)."""

    wells: pd.DataFrame
    meta: dict[str, str] = field(default_factory=dict)
    rejected: pd.DataFrame = field(default_factory=lambda: tables.empty(tables.REJECTED))
    vendor: pd.DataFrame = field(default_factory=lambda: tables.empty(tables.VENDOR_RESULTS))


def read_export(
    path: str | Path,
    plate_map: str | Path | pd.DataFrame | None = None,
    plate_id: str | None = None,
    signal: str = "median",
    max_bytes: int = DEFAULT_MAX_BYTES,
    role_rule: RoleRule | None = None,
    settle_seconds: float | None = None,
    validate: bool = True,
) -> PlateRead:
    """Read a one-plate export into `tables.WELLS` (see `read_exports` for the rest).

    An export holding several plates is an InputError here, naming them.
    """
    plates = read_exports(
        path, plate_map, plate_id, signal, max_bytes, role_rule, settle_seconds, validate
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
) -> list[PlateRead]:
    """Read an export into one `PlateRead` per plate it holds.

    `plate_map` (a CSV path, or a frame from `platemap.read_plate_map`) overrides the
    roles the export implies and is required for exports that name none (a Gen5 read
    without layout, a plain grid); with several plates it applies to each. `plate_id`
    defaults to the file name without its extension; several plates get
    `<plate_id>_<plate name>`. `signal` picks the Luminex signal: "median" (Median
    MFI, Bio-Plex FI) or "net_mfi" (Net MFI, Bio-Plex FI - Bkgd). `role_rule`
    replaces the sample-name rule of `roles`.

    A file modified in the last `RECENT_SECONDS` is looked at twice, `settle_seconds`
    (default `SETTLE_SECONDS`) apart; if its size or modification time changed, or
    changes while it is read, it is still being written and is an InputError.

    With `validate=False` the tables are not checked against their schemas (their
    columns are): for callers that validate many plates' tables at once.
    """
    if signal not in SIGNALS:
        raise ValueError(f"signal must be one of {SIGNALS}, not {signal!r}")
    source_file = str(path)
    settle = SETTLE_SECONDS if settle_seconds is None else settle_seconds
    data = _read_bytes(Path(path), source_file, max_bytes, settle)
    sha256 = hashlib.sha256(data).hexdigest()
    rule = role_rule or DEFAULT_RULE
    layout = _layout(plate_map, rule)
    parsed = _parse(data, source_file, signal, rule)
    base = plate_id if plate_id is not None else Path(path).stem
    return [
        _finish(
            plate,
            plate_id=_plate_id(base, plate.name) if len(parsed) > 1 else base,
            layout=layout,
            source_file=source_file,
            sha256=sha256,
            validate=validate,
        )
        for plate in parsed
    ]


def _layout(plate_map: str | Path | pd.DataFrame | None, rule: RoleRule) -> pd.DataFrame | None:
    if plate_map is None:
        return None
    if isinstance(plate_map, pd.DataFrame):
        return platemap.validate_plate_map(plate_map, plate_map.attrs.get("source_file", ""))
    return platemap.read_plate_map(plate_map, rule=rule)


def _parse(data: bytes, source_file: str, signal: str, rule: RoleRule) -> list[ParsedPlate]:
    if is_workbook(data):
        sheets = read_workbook(data, source_file)
        if bioplex.looks_like_bioplex(sheets):
            return [bioplex.read_bioplex(sheets, source_file, signal)]
        for sheet in sheets:
            found = grid.find_grid(list(sheet.rows), source_file)
            if found is not None:
                return [grid.read_grid(found)]
        raise InputError(
            source_file,
            "this Excel workbook is neither a Bio-Plex Manager export (no sheet with Type, "
            "Well and FI columns) nor a plain 8 x 12 or 16 x 24 grid",
        )
    text = decode_text(data, source_file)
    if not text.strip():
        raise InputError(source_file, "the file is empty (only blank lines)")
    lines = text.splitlines()
    if xponent.looks_like_xponent(lines):
        return [xponent.read_xponent(text, source_file, signal, rule)]
    if softmax.looks_like_softmax(lines):
        return softmax.read_softmax(text, source_file)
    if platereader.looks_like_gen5(lines):
        return [platereader.read_gen5(text, source_file, rule)]
    rows = grid.text_rows(text)
    if rows is not None:
        found = grid.find_grid(rows[0], source_file)
        if found is not None:
            return [grid.read_grid(found, decimal_comma=rows[1])]
    raise InputError(source_file, _UNSUPPORTED)


def _plate_id(base: str, name: str) -> str:
    return f"{base}_{re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('_') or 'plate'}"


def _finish(
    parsed: ParsedPlate,
    *,
    plate_id: str,
    layout: pd.DataFrame | None,
    source_file: str,
    sha256: str,
    validate: bool = True,
) -> PlateRead:
    wells = parsed.wells.assign(plate_id=plate_id, source_file=source_file, source_sha256=sha256)
    read_wells = list(dict.fromkeys(wells["well"].tolist()))
    unnamed = bool((wells["analyte"].to_numpy(dtype=object) == "").any())
    if layout is not None:
        wells = platemap.apply_plate_map(wells, layout)
    elif unnamed:
        placed = wells["sample_name"] != ""
        if not placed.any():
            raise InputError(
                source_file,
                "this is a plate-reader export that does not name well roles; give it a plate map",
            )
        wells = wells[placed].assign(analyte=platemap.DEFAULT_ANALYTE)
        wells = wells.assign(analyte_raw=wells["analyte"])
    _require_names(wells, source_file)
    wells, problems = check_standards(wells.reset_index(drop=True), source_file)
    unplaced = sorted(set(read_wells) - set(wells["well"].tolist()), key=well_order)
    rejected = pd.DataFrame(
        [
            {
                "source_file": source_file,
                "where": f"well {well}",
                "reason": str(
                    InputError(
                        source_file,
                        "has a reading but no role: the export names none for it and there "
                        "is no row in the plate map; add it to the plate map if it holds "
                        "anything",
                        where=f"well {well}",
                    )
                ),
            }
            for well in unplaced
        ]
        + [
            {"source_file": source_file, "where": error.where or "file", "reason": str(error)}
            for error in problems
        ],
        columns=list(tables.REJECTED.columns),
    )
    meta = {key: parsed.meta.get(key, "") for key in META_KEYS}
    meta.update(sha256=sha256, source_file=source_file, plate_name=parsed.name, plate_id=plate_id)
    check = _validated if validate else _conformed
    try:
        checked = check(wells, tables.WELLS)
        vendor = check(
            _vendor_analytes(parsed.vendor, checked).assign(
                plate_id=plate_id, source_file=source_file
            ),
            tables.VENDOR_RESULTS,
        )
        rejected = check(rejected, tables.REJECTED)
    except (pandera.errors.SchemaError, pandera.errors.SchemaErrors) as error:
        raise AssaypipeBugError(f"{source_file}: reader built an invalid table: {error}") from error
    return PlateRead(
        wells=checked.reset_index(drop=True),
        meta=meta,
        rejected=rejected.reset_index(drop=True),
        vendor=vendor.reset_index(drop=True),
    )


def _validated(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    return schema.validate(frame)


def _conformed(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """`tables.conform`, without its copy when the columns are already the schema's."""
    if list(frame.columns) == list(schema.columns):
        return frame
    return tables.conform(frame, schema)


def _vendor_analytes(vendor: pd.DataFrame, wells: pd.DataFrame) -> pd.DataFrame:
    """Plate-reader results name no analyte: they take the one their well was given."""
    if vendor.empty or not (vendor["analyte"].to_numpy(dtype=object) == "").any():
        return vendor
    missing = vendor["analyte"].astype(str) == ""
    of_well = wells.drop_duplicates("well").set_index("well")["analyte"]
    analytes = wells["analyte"].drop_duplicates()
    whole_plate = str(analytes.iloc[0]) if len(analytes) == 1 else ""
    filled = vendor["well"].map(of_well).fillna(whole_plate).astype(object)
    return vendor.assign(analyte=vendor["analyte"].where(~missing, filled))


def _read_bytes(path: Path, source_file: str, max_bytes: int, settle_seconds: float) -> bytes:
    try:
        first = path.stat()
    except FileNotFoundError:
        raise InputError(source_file, "the file does not exist") from None
    if path.is_dir():
        raise InputError(source_file, "this is a folder, not a plate export file")
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


def _require_names(wells: pd.DataFrame, source_file: str) -> None:
    # A sample or control without a name would silently pool with every other nameless well.
    roles = wells["role"].to_numpy(dtype=object)
    nameless = np.isin(roles, ["sample", "control"]) & (
        wells["sample_name"].to_numpy(dtype=object) == ""
    )
    if nameless.any():
        row = wells.iloc[int(np.flatnonzero(nameless)[0])]
        raise InputError(
            source_file,
            f"this {row['role']} well has no name in the export and no sample_id in the "
            "plate map; add its sample_id to the plate map",
            where=f"well {row['well']}",
        )
