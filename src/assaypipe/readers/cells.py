"""What every format reader shares: cell tokens, text decoding, well names, frames.

Every cell keeps its text (`raw_text`) and a token (`TOKENS`) saying what it is;
the signal is a number only where the token says the text holds one:

- numeric: a finite number (signal: the number)
- nan: ``NaN``
- not_reported: an empty cell, or Bio-Plex ``***`` ("value not available")
- oor_low: ``< 0.105``, ``<0.000``, ``OOR <``
- oor_high: ``> 5850``, ``>40.000``, ``OOR >``
- extrapolated: ``*12.3`` (signal: the number), xPONENT ``Extrapolated``
- masked: ``Masked``, Bio-Plex ``---`` ("designated as an outlier")
- overflow: ``OVRFLW``, ``Overflow``, Tecan ``OVER``, ``Saturated``
- error: anything else, such as ``?????``, ``MISSED``, ``Error``, ``Range?``, ``Inf``

A bound such as ``< 0.105`` is not a measurement, so its number stays in
`raw_text` only; QC decides what to do with censored cells.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from assaypipe import tables
from assaypipe.errors import InputError, shortened
from assaypipe.readers.columns import ColumnTable, table_of
from assaypipe.vocabulary import Role, WellFlag

__all__ = [
    "BAD_BEAD_COUNT",
    "CONCENTRATION_QUANTITIES",
    "EXCEL_SIGNATURES",
    "MAX_BEAD_COUNT",
    "ROW_LETTERS",
    "TOKENS",
    "bad_bead_flags",
    "check_bead_counts",
    "checked_bead_counts",
    "classify_cells",
    "classify_texts",
    "decode_text",
    "decode_text_noting",
    "is_whole",
    "line_cells",
    "listed",
    "number_text",
    "parse_well",
    "parsed_numbers",
    "stray_quotes",
    "unreadable_counts",
    "vendor_columns",
    "vendor_frame",
    "vendor_rows",
    "vendor_table",
    "well_order",
    "wells_columns",
    "wells_frame",
    "whole_numbers",
]

# Python's csv module stops on a cell longer than 131,072 characters. Every file read
# here is held to a size bound before it is read (an export's `max_bytes`, a plate map's
# MAX_PLATE_MAP_BYTES), which bounds its cells too: a damaged line with one long cell is
# split like any other line and meets the checks every line meets.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

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
ROW_LETTERS: Final = "ABCDEFGHIJKLMNOP"
# The flag of a well whose bead count is not a count the instrument could make; such a
# well is left out of curve fits and replicate means (`layout.UNUSABLE_FLAGS`).
BAD_BEAD_COUNT: Final = WellFlag.BAD_BEAD_COUNT.value
# A Luminex kit puts a few thousand beads of a region in a well, and acquisition stops
# at a target of 50 to a few hundred: a count above this was not counted.
MAX_BEAD_COUNT: Final = 100_000
# Vendor results that are descriptions, not values: their token is "text".
TEXT_QUANTITIES: Final = frozenset({"model", "equation"})
# Vendor results that are concentrations: they carry a unit and a basis (in_well, sample).
CONCENTRATION_QUANTITIES: Final = frozenset({"concentration", "mean_concentration"})
EXCEL_SIGNATURES: Final = (b"\xd0\xcf\x11\xe0", b"PK\x03\x04")

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
# Order matters: the first pattern that matches names the token.
_TOKEN_PATTERNS: Final = (
    ("not_reported", r"^(?:|\*\*\*)$"),
    ("nan", r"^nan$"),
    ("oor_low", r"^(?:oor\s*)?<"),
    ("oor_high", r"^(?:oor\s*)?>"),
    ("extrapolated", rf"^(?:\*\s*{_NUMBER}|extrapolated)$"),
    ("masked", r"^(?:masked|---)$"),
    ("overflow", r"^(?:ovrflw|overflow|over|saturated|sat)$"),
)
_COMPILED_PATTERNS: Final = tuple(
    (name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _TOKEN_PATTERNS
)
_WELL: Final = re.compile(r"^\s*([A-Pa-p])\s*0?([1-9]|1[0-9]|2[0-4])\s*$")
# European exports write 1234,5; only a comma between digits is a decimal mark.
_DECIMAL_COMMA: Final = re.compile(r"(?<=\d),(?=\d)")


def classify_cells(raw: pd.Series, decimal_comma: bool = False) -> tuple[pd.Series, pd.Series]:
    """Token and numeric value of each cell text, vectorised over a column.

    With `decimal_comma` (semicolon-delimited exports from European locales) a comma
    between digits reads as the decimal mark; the text itself is not changed.

    >>> tokens, values = classify_cells(pd.Series(["21", "NaN", "", "< 0.1", "*3.5", "?????"]))
    >>> tokens.tolist()
    ['numeric', 'nan', 'not_reported', 'oor_low', 'extrapolated', 'error']
    >>> values.tolist()[4]
    3.5
    >>> classify_cells(pd.Series(["1234,5"]), decimal_comma=True)[1].tolist()
    [1234.5]
    """
    tokens, values = classify_texts(raw.astype("str").fillna("").tolist(), decimal_comma)
    return (
        pd.Series(tokens, index=raw.index, dtype="str"),
        pd.Series(values, index=raw.index, dtype=float),
    )


def classify_texts(
    texts: Sequence[str], decimal_comma: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """`classify_cells` over plain strings: tokens (an object array) and values."""
    plain = [text.strip() for text in texts]
    if decimal_comma:
        plain = [_DECIMAL_COMMA.sub(".", text) if "," in text else text for text in plain]
    parsed = np.asarray(pd.to_numeric(np.array(plain, dtype=object), errors="coerce"), dtype=float)
    # to_numeric also accepts "inf" and "nan"; only finite numbers are measurements.
    is_number = np.isfinite(parsed)
    tokens = np.full(len(plain), "numeric", dtype=object)
    values = np.where(is_number, parsed, np.nan)
    if not is_number.all():
        # Exports are mostly numbers, and their other texts repeat (NaN, OOR <, ***):
        # each distinct text is classified once.
        classified: dict[str, tuple[str, float]] = {}
        for index in np.flatnonzero(~is_number).tolist():
            text = plain[index]
            found = classified.get(text)
            if found is None:
                found = classified[text] = _classify_text(text)
            tokens[index], values[index] = found
    return tokens, values


def _classify_text(text: str) -> tuple[str, float]:
    """Token and number of one cell text that is not a plain finite number."""
    for name, pattern in _COMPILED_PATTERNS:
        if pattern.search(text):
            if name == "extrapolated" and text.startswith("*"):
                number = pd.to_numeric(text.lstrip("*").strip(), errors="coerce")
                return name, float(number)
            return name, float("nan")
    return "error", float("nan")


def decode_text(data: bytes, file: str | Path) -> str:
    """The text of an export or a plate map, whatever encoding the instrument PC used,
    its lines ending in LF whatever ended them (see :func:`_unix_newlines`).

    Raises InputError for binary files, which would otherwise decode to noise.
    """
    return decode_text_noting(data, file)[0]


def decode_text_noting(data: bytes, file: str | Path) -> tuple[str, tuple[str, ...]]:
    """:func:`decode_text`, and what the decoding found amiss in the file (a UTF-16 text
    out of step, see :func:`_utf16`), one sentence each."""
    text, notes = _decoded(data, file)
    return _unix_newlines(text), notes


# A UTF-16 line break (LF, or the CR of CR LF) read one byte out of step: the code
# point of its byte and the zero byte of the next or previous character.
_OUT_OF_STEP: Final = re.compile("[\u0a00\u0d00]")
# Out-of-step places read in step again in one file, at most.
_MOST_RESTEPS: Final = 20


def _utf16(data: bytes, codec: str, start: int) -> tuple[str, tuple[str, ...]]:
    """``data[start:]`` decoded; a file that lost (or gained) a byte reads one byte out
    of step from there on, every character a noise character (``S`` ``o`` becomes U+5300
    U+6F00), its line breaks U+0A00. From each such line break the rest is decoded again
    in step, and a note names the line: the characters from the lost byte to that line
    break stay noise, the rest of the file reads as written.

    >>> _utf16("a\\nb\\nc".encode("utf-16-le")[1:], "utf-16-le", 0)[0][-4:]
    '\\nb\\nc'
    """
    parts: list[str] = []
    notes: list[str] = []
    at = start
    for _ in range(_MOST_RESTEPS):
        text = data[at:].decode(codec, errors="replace")
        hit = _OUT_OF_STEP.search(text)
        if hit is None:
            parts.append(text)
            break
        parts.append(text[: hit.start()])
        line = "".join(parts).count("\n") + 2
        notes.append(
            f"the UTF-16 text runs one byte out of step before line {line} (a byte of the "
            f"file lost or added) and is read in step again from line {line}; check the "
            "lines before it"
        )
        # The line break's own byte: the second of the pair little-endian, the first
        # big-endian (whose character began one byte before it, if within the text).
        step = 2 * hit.start() + (1 if codec.endswith("le") else -1)
        at += step if step > 0 else 1
    else:
        parts.append(data[at:].decode(codec, errors="replace"))
    return "".join(parts), tuple(notes)


def _decoded(data: bytes, file: str | Path) -> tuple[str, tuple[str, ...]]:
    if data.startswith(b"\xff\xfe"):
        return _utf16(data, "utf-16-le", 2)
    if data.startswith(b"\xfe\xff"):
        return _utf16(data, "utf-16-be", 2)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), ()
    if b"\x00" in data:
        head = data[:400]
        # UTF-16 without a byte-order mark: every other byte of ASCII text is zero, in
        # the first line at least (a byte lost after it puts the rest out of step, the
        # zeros in the other places), and about half the bytes are.
        text_like = len(head) >= 4 and head.count(0) >= 0.4 * len(head)
        if text_like and head[1:40:2].count(0) == len(head[1:40:2]):
            return _utf16(data, "utf-16-le", 0)
        if text_like and head[0:40:2].count(0) == len(head[0:40:2]):
            return _utf16(data, "utf-16-be", 0)
        if data.startswith(EXCEL_SIGNATURES):
            raise InputError(
                file, "this is an Excel workbook, not a text export; save or export it as CSV"
            )
        raise InputError(file, "this is a binary file, not a text export (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        # Windows instrument PCs write cp1252; latin-1 decodes any byte as a last resort.
        try:
            return data.decode("cp1252"), ()
        except UnicodeDecodeError:
            return data.decode("latin-1"), ()


def listed(items: Sequence[str], most: int = 12) -> str:
    """The first ``most`` items, then how many more, as a warning names places.

    >>> listed(["line 3", "line 4", "line 9"], 2)
    'line 3, line 4 and 1 more'
    """
    more = len(items) - most
    return ", ".join(items[:most]) + (f" and {more} more" if more > 0 else "")


def line_cells(line: str, delimiter: str) -> tuple[str, ...]:
    """One line's cells, the line split on its own: a stray double quote takes the rest
    of this line into one cell, never the lines after it.

    >>> line_cells('a;"b;c', ";")
    ('a', 'b;c')
    """
    return tuple(next(csv.reader([line], delimiter=delimiter), ()))


def stray_quotes(text: str, most: int = 12) -> str | None:
    """A warning naming the lines with an odd number of double quotes, if any: a reader
    that splits each line on its own reads the rest of such a line as one cell.

    >>> stray_quotes('a,b\\n"c,d\\ne,f').split(";")[0]
    'line 2: a double quote opens a cell that does not close on its line'
    """
    odd = [str(n) for n, line in enumerate(text.splitlines(), start=1) if line.count('"') % 2]
    if not odd:
        return None
    return (
        f"line{'s' if len(odd) > 1 else ''} {listed(odd, most)}: a double quote opens a cell "
        "that does not close on its line; the rest of the line is read as that one cell"
    )


def _unix_newlines(text: str) -> str:
    """``text`` with its lines ending in LF, whether they ended in CR LF (Windows), LF or
    CR alone (Excel for Mac's "CSV (Macintosh)", the classic Mac OS).

    >>> _unix_newlines("a\\r\\nb\\rc\\n")
    'a\\nb\\nc\\n'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_well(text: str) -> str | None:
    """`A1` for `a01`, ` A1 `; None for anything that is not a well of a 384-well plate.

    >>> parse_well("b03"), parse_well("Q1")
    ('B3', None)
    """
    match = _WELL.match(text)
    return f"{match.group(1).upper()}{int(match.group(2))}" if match else None


def is_whole(text: str) -> bool:
    """Whether `text` is a whole number `int` reads: decimal digits, no more of them than
    `int` converts under any setting of Python's limit (640; a cell of 5,000 nines is
    text here, where `int` raised ValueError).

    >>> is_whole("12"), is_whole("1.5"), is_whole("9" * 5000)
    (True, False, False)
    """
    return text.isdecimal() and len(text) <= sys.int_info.str_digits_check_threshold


def well_order(well: str) -> tuple[int, int]:
    """Sort key: by row, then column (A2 before A10)."""
    return ROW_LETTERS.index(well[0]), int(well[1:])


def number_text(value: Any) -> str:
    """Text of a spreadsheet cell as a person reads it: 14115, 41.3, OOR <.

    >>> number_text(14115.0), number_text(41.3), number_text(""), number_text(True)
    ('14115', '41.3', '', 'TRUE')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def unreadable_counts(texts: Iterable[object], counts: np.ndarray) -> np.ndarray:
    """Count cells holding text that gave no count (`abc`, `-5` where a reader keeps only
    counts of 0 or more): a reader flags their wells `BAD_BEAD_COUNT`. A blank cell or a
    "not reported" one (Bio-Plex `***`) is no count, as when the export has none.

    >>> unreadable_counts(["12", "abc", "", "***"], np.array([12.0, np.nan, np.nan, np.nan]))
    array([False,  True, False, False])
    """
    missing: np.ndarray = ~np.isfinite(np.asarray(counts, dtype=float))
    if not missing.any():
        return missing
    tokens, _ = classify_texts([str(text) for text in texts])
    given = tokens != "not_reported"
    unread: np.ndarray = given & missing
    return unread


def bad_bead_flags(flags: Iterable[object], bad: np.ndarray) -> np.ndarray:
    """`flags` (';'-joined) with `BAD_BEAD_COUNT` added where `bad`."""
    out = np.array([flag if isinstance(flag, str) else "" for flag in flags], dtype=object)
    for index in np.flatnonzero(bad).tolist():
        tokens = {token for token in out[index].split(";") if token} | {BAD_BEAD_COUNT}
        out[index] = ";".join(sorted(tokens))
    return out


def check_bead_counts(wells: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Bead counts that are not whole numbers from 0 to `MAX_BEAD_COUNT` made missing and
    their wells flagged `BAD_BEAD_COUNT`, with the plate warning naming every flagged
    well (those a reader flagged for a count cell it could not read, too).

    A well without a count is left as it is: Bio-Plex XML, say, records the acquisition
    of only some wells, and an export without counts (a plate reader) has none.
    """
    cleaned, warning = checked_bead_counts(
        wells["well"], wells["analyte"], wells["bead_count"].array, wells["flags"]
    )
    if cleaned is None:
        return wells, warning
    bead_count, flags = cleaned
    return wells.assign(bead_count=bead_count, flags=flags), warning


def checked_bead_counts(
    well: Any, analyte: Any, bead_count: Any, flags: Any
) -> tuple[tuple[pd.arrays.IntegerArray, np.ndarray] | None, str | None]:
    """`check_bead_counts` over a plate's columns: the cleaned bead counts and flags
    (None when none is flagged), and the warning."""
    if isinstance(bead_count, pd.arrays.IntegerArray):  # as every reader gives it
        counts = bead_count.to_numpy(dtype=float, na_value=np.nan)
    else:
        numbers = pd.to_numeric(pd.Series(bead_count), errors="coerce").astype("Float64")
        counts = numbers.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        out_of_range = (counts < 0) | (counts > MAX_BEAD_COUNT) | (counts != np.round(counts))
    out_of_range &= np.isfinite(counts)
    flag_list = list(flags)
    flagged = out_of_range | np.array(
        [isinstance(flag, str) and BAD_BEAD_COUNT in flag for flag in flag_list], dtype=bool
    )
    if not flagged.any():
        return None, None
    wells_at = np.asarray(well, dtype=object)[flagged]
    analytes_at = np.asarray(analyte, dtype=object)[flagged]
    places = [
        f"{well} {shortened(str(analyte))} ({_count_text(count)})"
        for well, analyte, count in zip(wells_at, analytes_at, counts[flagged], strict=True)
    ]
    shown = listed(places, 6)
    warning = (
        f"{len(places)} bead count(s) are not whole numbers from 0 to {MAX_BEAD_COUNT:,}: "
        f"{shown}; the count is left empty, the well flagged {BAD_BEAD_COUNT} and left out "
        "of curve fits and replicate means"
    )
    cleaned = pd.array(np.where(out_of_range, np.nan, counts), dtype="Int64")
    return (cleaned, bad_bead_flags(flag_list, flagged)), warning


def _count_text(count: float) -> str:
    return "not a count" if np.isnan(count) else f"{count:g}"


def parsed_numbers(texts: Sequence[str]) -> np.ndarray:
    """The texts as numbers, as `pd.to_numeric` reads them (NaN where it reads none).

    >>> parsed_numbers(["1.5", "x", ""]).tolist()
    [1.5, nan, nan]
    """
    parsed = pd.to_numeric(np.array(texts, dtype=object), errors="coerce")
    return np.asarray(parsed, dtype=float)


def whole_numbers(values: np.ndarray) -> pd.arrays.IntegerArray:
    """An `Int64` array of whole numbers given as floats (NaN: missing), as
    ``pd.array(values, dtype="Int64")`` makes it, without its checks.

    >>> whole_numbers(np.array([3.0, np.nan])).tolist()
    [3, <NA>]
    """
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def wells_frame(n: int, **columns: Any) -> pd.DataFrame:
    """A wells table of `n` rows: the given columns, neutral values for the others.

    Readers build their rows with this so a new column needs one change, here.
    """
    return pd.DataFrame(_wells_values(n, columns), index=range(n))


def wells_columns(n: int, **columns: Any) -> ColumnTable:
    """`wells_frame` as columns (`columns.ColumnTable`), for a reader that hands its
    wells over so: the given columns are arrays of `n` values or single values (text,
    a number or None), which are repeated."""
    return table_of(n, _wells_values(n, columns))


# The default of the integer columns, made for `n` rows when no reader gives them.
_NA_INTEGERS: Final = object()


def _wells_values(n: int, columns: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "plate_id": "",
        "analyte": "",
        "analyte_raw": None,
        "role": Role.SAMPLE,
        "sample_name": "",
        "sample_id": None,
        "level": _NA_INTEGERS,
        "expected_conc": np.nan,
        "unit": "",
        "dilution": 1.0,
        "signal": np.nan,
        "signal_kind": "",
        "bead_count": _NA_INTEGERS,
        "raw_text": "",
        "token": "",
        "concentration": np.nan,
        "censor": None,
        "flags": "",
        "source_file": "",
        "source_sha256": "",
    }
    unknown = set(columns) - set(tables.WELLS.columns)
    if unknown:
        raise ValueError(f"not columns of the wells table: {sorted(unknown)}")
    merged = {**defaults, **columns}
    for name in ("level", "bead_count"):
        if merged[name] is _NA_INTEGERS:
            # As pd.array([pd.NA] * n, dtype="Int64") makes it (masked values 1).
            merged[name] = pd.arrays.IntegerArray(np.ones(n, np.int64), np.ones(n, bool))
    if merged["analyte_raw"] is None:
        merged["analyte_raw"] = merged["analyte"]
    # Columns a later stage adds (interpolation's) are not the readers' to write.
    names = [name for name, column in tables.WELLS.columns.items() if column.required]
    return {name: merged[name] for name in names}


def vendor_frame(
    rows: Iterable[tuple[str, str | None, str, str]], decimal_comma: bool = False
) -> pd.DataFrame:
    """Vendor results from (analyte, well, quantity, raw text) rows; plate_id and
    source_file are filled in when the plate is finished."""
    return vendor_rows(rows, decimal_comma).frame()


def vendor_rows(
    rows: Iterable[tuple[str, str | None, str, str]], decimal_comma: bool = False
) -> ColumnTable:
    """`vendor_frame` as columns (`columns.ColumnTable`)."""
    listed = list(rows)
    analyte, well, quantity, raw_text = (
        np.array([row[k] for row in listed], dtype=object) for k in range(4)
    )
    return vendor_table(analyte, well, quantity, raw_text, decimal_comma)


def vendor_columns(
    analyte: np.ndarray,
    well: np.ndarray,
    quantity: np.ndarray,
    raw_text: np.ndarray,
    decimal_comma: bool = False,
) -> pd.DataFrame:
    """Vendor results from equally long columns (the vectorised form of `vendor_frame`)."""
    return vendor_table(analyte, well, quantity, raw_text, decimal_comma).frame()


def vendor_table(
    analyte: np.ndarray,
    well: np.ndarray,
    quantity: np.ndarray,
    raw_text: np.ndarray,
    decimal_comma: bool = False,
) -> ColumnTable:
    """`vendor_columns` as columns (`columns.ColumnTable`)."""
    texts = raw_text.tolist()
    if all(type(text) is str for text in texts):
        stripped = np.array([text.strip() for text in texts], dtype=object)
        tokens, values = classify_texts(stripped.tolist(), decimal_comma=decimal_comma)
    else:
        # Missing texts (NaN) stay missing in raw_text and are not_reported cells.
        series = pd.Series(raw_text, dtype="str").str.strip()
        stripped = series.to_numpy(dtype=object)
        tokens, values = classify_texts(series.fillna("").tolist(), decimal_comma=decimal_comma)
    # A model name or an equation is text by nature, not a value that failed to parse.
    is_text = np.array([str(name) in TEXT_QUANTITIES for name in quantity], dtype=bool)
    tokens[is_text] = "text"
    values[is_text] = np.nan
    return table_of(
        len(texts),
        {
            "plate_id": "",
            "analyte": analyte,
            "well": well,
            "quantity": quantity,
            "value": values,
            "unit": None,
            "basis": None,
            "raw_text": stripped,
            "token": tokens,
            "source_file": "",
        },
    )
