"""Read one instrument export into the tidy wells table (see docs/formats.md).

`read_export` recognises the format from the file's content, never from its name,
because lab exports are routinely renamed (`plate7.csv` may be a Gen5 text file).

Every cell keeps its text (`raw_text`) and a token (`TOKENS`) saying what it is;
the signal is a number only where the token says the text holds one:

- numeric: a finite number (signal: the number)
- nan: ``NaN``
- not_reported: an empty cell, where the software reported nothing
- oor_low: ``< 0.105``, ``<0.000``, ``OOR <``
- oor_high: ``> 5850``, ``>40.000``, ``OOR >``
- extrapolated: ``*12.3`` (signal: the number)
- masked: ``Masked``
- overflow: ``OVRFLW``, ``Overflow``, ``Saturated``
- error: anything else, such as ``?????``, ``MISSED``, ``Error``, ``Range?``, ``Inf``

A bound such as ``< 0.105`` is not a measurement, so its number stays in
`raw_text` only; QC decides what to do with censored cells.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pandera.errors

from assaypipe import tables
from assaypipe.errors import AssaypipeBugError, InputError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SIGNALS",
    "TOKENS",
    "PlateRead",
    "classify_cells",
    "decode_text",
    "read_export",
]

TOKENS: Final = (
    "numeric",
    "nan",
    "not_reported",
    "oor_low",
    "oor_high",
    "extrapolated",
    "masked",
    "overflow",
    "error",
)
SIGNALS: Final = ("median", "net_mfi")
DEFAULT_MAX_BYTES: Final = 50 * 1024 * 1024

META_KEYS: Final = (
    "format",
    "instrument",
    "software",
    "software_version",
    "serial_number",
    "batch",
    "run_time",
    "sha256",
    "source_file",
)

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
# Order matters: the first pattern that matches names the token.
_TOKEN_PATTERNS: Final = (
    ("not_reported", r"^$"),
    ("nan", r"^nan$"),
    ("oor_low", r"^(?:oor\s*)?<"),
    ("oor_high", r"^(?:oor\s*)?>"),
    ("extrapolated", rf"^\*\s*{_NUMBER}$"),
    ("masked", r"^masked$"),
    ("overflow", r"^(?:ovrflw|overflow|saturated|sat)$"),
)

_EXCEL_SIGNATURES: Final = (b"\xd0\xcf\x11\xe0", b"PK\x03\x04")
_PLATEREADER_GRID = re.compile(r"^\t\s*1\s*\t\s*2\b")


@dataclass(frozen=True, eq=False)
class PlateRead:
    """One plate's wells (`tables.WELLS`), what the export says about its run, and the
    wells it read but could not place (`tables.REJECTED`)."""

    wells: pd.DataFrame
    meta: dict[str, str] = field(default_factory=dict)
    rejected: pd.DataFrame = field(default_factory=lambda: tables.empty(tables.REJECTED))


def classify_cells(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Token and numeric value of each cell text, vectorised over a column.

    >>> tokens, values = classify_cells(pd.Series(["21", "NaN", "", "< 0.1", "*3.5", "?????"]))
    >>> tokens.tolist()
    ['numeric', 'nan', 'not_reported', 'oor_low', 'extrapolated', 'error']
    >>> values.tolist()[4]
    3.5
    """
    text = raw.astype("str").fillna("").str.strip()
    parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    # to_numeric also accepts "inf" and "nan"; only finite numbers are measurements.
    is_number = np.isfinite(parsed)
    tokens = np.full(len(text), "numeric", dtype=object)
    values = np.where(is_number, parsed, np.nan)
    if not is_number.all():
        # Exports are mostly numbers: only the other cells go through the patterns.
        other = text[~is_number]
        conditions = [
            other.str.contains(pattern, case=False, regex=True).to_numpy(dtype=bool)
            for _, pattern in _TOKEN_PATTERNS
        ]
        names = [name for name, _ in _TOKEN_PATTERNS]
        tokens[~is_number] = np.select(conditions, names, default="error")
        extrapolated = tokens == "extrapolated"
        if extrapolated.any():
            stars = text[extrapolated].str.lstrip("*").str.strip()
            values[extrapolated] = pd.to_numeric(stars, errors="coerce").to_numpy(dtype=float)
    return (
        pd.Series(tokens, index=raw.index, dtype="str"),
        pd.Series(values, index=raw.index, dtype=float),
    )


def decode_text(data: bytes, file: str | Path) -> str:
    """The text of an export, whatever encoding the instrument PC used.

    Raises InputError for binary files, which would otherwise decode to noise.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if b"\x00" in data:
        head = data[:400]
        # UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
        if len(head) >= 4 and head[1::2].count(0) == len(head[1::2]):
            return data.decode("utf-16-le", errors="replace")
        if len(head) >= 4 and head[0::2].count(0) == len(head[0::2]):
            return data.decode("utf-16-be", errors="replace")
        if data.startswith(_EXCEL_SIGNATURES):
            raise InputError(
                file, "this is an Excel workbook, not a text export; save or export it as CSV"
            )
        raise InputError(file, "this is a binary file, not a text export (it contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Windows instrument PCs write cp1252; latin-1 decodes any byte as a last resort.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def read_export(
    path: str | Path,
    plate_map: str | Path | pd.DataFrame | None = None,
    plate_id: str | None = None,
    signal: str = "median",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PlateRead:
    """Read one plate export (xPONENT CSV or plate-reader text) into `tables.WELLS`.

    `plate_map` (a CSV path or a frame from `platemap.read_plate_map`) overrides the
    roles the export implies and is required for plate-reader exports. `plate_id`
    defaults to the file name without its extension. `signal` picks the xPONENT
    block used as signal: "median" (Median MFI) or "net_mfi" (Net MFI).
    """
    # The format modules import the helpers above from this package, so they are
    # imported here rather than at the top to keep the import order acyclic.
    from assaypipe.readers import platemap, platereader, xponent

    if signal not in SIGNALS:
        raise ValueError(f"signal must be one of {SIGNALS}, not {signal!r}")
    source_file = str(path)
    data = _read_bytes(Path(path), source_file, max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    text = decode_text(data, source_file)
    if not text.strip():
        raise InputError(source_file, "the file is empty (only blank lines)")
    lines = text.splitlines()
    plate_id = plate_id if plate_id is not None else Path(path).stem

    if plate_map is None:
        layout = None
    elif isinstance(plate_map, pd.DataFrame):
        layout = platemap.validate_plate_map(plate_map, plate_map.attrs.get("source_file", ""))
    else:
        layout = platemap.read_plate_map(plate_map)

    if xponent.looks_like_xponent(lines):
        wells, meta = xponent.read_xponent(text, source_file, sha256, plate_id, signal)
        rejected = tables.empty(tables.REJECTED)
        if layout is not None:
            wells = platemap.apply_plate_map(wells, layout)
    elif looks_like_platereader(lines):
        wells, meta, rejected = platereader.read_platereader(
            text, source_file, sha256, plate_id, layout
        )
    else:
        if any(line.startswith("Program;xPONENT") for line in lines[:50]):
            raise InputError(
                source_file,
                "this xPONENT export was re-saved with semicolons; "
                "export it again as a comma-separated CSV",
            )
        raise InputError(
            source_file,
            "not a supported plate export (expected an xPONENT CSV or a plate-reader text export)",
        )
    _require_names(wells, source_file)
    meta = {key: meta.get(key, "") for key in META_KEYS}
    meta.update(sha256=sha256, source_file=source_file)
    try:
        checked = tables.WELLS.validate(wells)
    except (pandera.errors.SchemaError, pandera.errors.SchemaErrors) as error:
        raise AssaypipeBugError(
            f"{source_file}: reader built an invalid wells table: {error}"
        ) from error
    return PlateRead(
        wells=checked.reset_index(drop=True),
        meta=meta,
        rejected=tables.REJECTED.validate(rejected),
    )


def looks_like_platereader(lines: list[str]) -> bool:
    """A Gen5-style text export: a `Software Version` line and a `Results` grid."""
    has_version = any(line.startswith("Software Version") for line in lines[:40])
    for index, line in enumerate(lines):
        if line.strip() == "Results":
            following = (other for other in lines[index + 1 :] if other.strip())
            if _PLATEREADER_GRID.match(next(following, "")):
                return has_version
    return False


def _read_bytes(path: Path, source_file: str, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(source_file, "the file does not exist") from None
    if path.is_dir():
        raise InputError(source_file, "this is a folder, not a plate export file")
    if size > max_bytes:
        raise InputError(
            source_file,
            f"the file is {_size(size)}, larger than the {_size(max_bytes)} "
            "a plate export can be; check it is the right file",
        )
    if size == 0:
        raise InputError(source_file, "the file is empty (0 bytes)")
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(source_file, f"the file cannot be read ({error.strerror})") from None


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1024**2:.1f} MB" if n_bytes >= 1024**2 else f"{n_bytes} bytes"


def _require_names(wells: pd.DataFrame, source_file: str) -> None:
    # A sample or control without a name would silently pool with every other nameless well.
    nameless = wells["role"].isin(["sample", "control"]) & (wells["sample_name"] == "")
    if nameless.any():
        row = wells[nameless].iloc[0]
        raise InputError(
            source_file,
            f"this {row['role']} well has no name in the export and no sample_id in the "
            "plate map; add its sample_id to the plate map",
            where=f"well {row['well']}",
        )
