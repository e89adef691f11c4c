"""Study sheets: sample sheet, subjects, outcomes, analyte aliases.

Sheets are tab-separated with a header row. Every cell is read as text and checked
here, so a typo gets one sentence naming the sheet, the line and what was expected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError, excerpt, shortened
from assaypipe.units import canonical

SAMPLE_COLUMNS = ("sample_id", "subject_id", "visit", "matrix")
SUBJECT_COLUMNS = ("subject_id", "course", "sex", "age", "disease_duration", "ambulatory")
OUTCOME_COLUMNS = ("subject_id", "month", "edss", "t25fw")
ALIAS_COLUMNS = ("alias", "analyte", "display")

# Starting only where no space precedes (the start of a run of spaces): searched from
# every place of a long run of spaces it was quadratic in the run's length.
_BEAD_REGION = re.compile(r"(?<!\s)\s*\(\s*\d+\s*\)\s*$")
# A sheet of 100,000 samples is about 6 MB; reading one of this size as text takes
# about 400 MB, within what any job or the workflow's start has.
MAX_SHEET_BYTES: Final = 16 * 1024 * 1024

# A month from baseline beyond a century is a typing error (and beyond 2**63 it would
# not fit an integer).
MAX_MONTH = 1200


def check_sheet_size(path: str | Path) -> None:
    """Refuse a sheet larger than `MAX_SHEET_BYTES` before it is read (a missing one is
    left to the reader to report)."""
    try:
        size = Path(path).stat().st_size
    except OSError:
        return
    if size > MAX_SHEET_BYTES:
        raise InputError(
            path,
            f"the sheet is {size / 1024**2:,.0f} MB, larger than the "
            f"{MAX_SHEET_BYTES // 1024**2} MB a study sheet can be; check it is the right file",
        )


def read_text_table(path: str | Path) -> pd.DataFrame:
    """A tab-separated sheet as it is written: every cell text, nothing read as missing.

    Read as sheets are saved, not only as they are typed: UTF-8 with or without a
    byte-order mark, or UTF-16 with one (Excel's "Unicode Text"); a cell wrapped in
    double quotes (R's ``write.table``, some LIMS exports) read without them; blank
    lines, and lines of nothing but tabs, passed over; columns with no header and no
    cell filled (Excel's trailing tabs) dropped. The frame's index is each row's place
    in the file, so that line ``index + 2`` is the row's line (line 1 is the header).

    A first row with more cells than the header is refused (pandas would take its
    first cell for a row name and shift the others), and so is a file in another
    encoding, naming the line of its first byte that is not UTF-8.
    """
    data = Path(path).read_bytes()
    text = _decoded(path, data)
    table = pd.read_csv(
        io.StringIO(text),
        sep="\t",
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_NONE,
        skip_blank_lines=False,
    )
    if not isinstance(table.index, pd.RangeIndex):
        raise InputError(
            path,
            f"the row has more cells than the header's {len(table.columns)}; remove the "
            "extra cells or name their column in the header",
            where="line 2",
        )
    table = table.fillna("")
    if text.count('"') >= 2:
        table = _unquoted(table)
    blank = np.ones(len(table), dtype=bool)
    for column in table.columns:
        blank &= (table[column].str.strip() == "").to_numpy(dtype=bool)
    if blank.any():
        table = table[~blank]
    unnamed = [
        column
        for column in table.columns
        if _UNNAMED.fullmatch(str(column)) and not table[column].str.strip().ne("").any()
    ]
    return table.drop(columns=unnamed) if unnamed else table


# pandas' name for a column whose header cell is empty.
_UNNAMED = re.compile(r"Unnamed: \d+")


def _decoded(path: str | Path, data: bytes) -> str:
    """The sheet's text: UTF-16 by its byte-order mark, else UTF-8 (a mark dropped)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(path, "is not readable UTF-16 text, as its first bytes say") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            path,
            f"is not UTF-8 text (byte {data[exc.start]:#04x} here: saved in a Windows or Mac "
            "encoding?); save it as UTF-8 (in Excel: CSV UTF-8, or Unicode Text)",
            where=f"line {line}",
        ) from None


def _unquoted(table: pd.DataFrame) -> pd.DataFrame:
    """Cells and header names wrapped in double quotes, without them (a doubled quote
    inside stands for one)."""

    def strip(cells: pd.Series) -> pd.Series:
        text = cells.str.strip()
        wrapped = (text.str.len() >= 2) & text.str.startswith('"') & text.str.endswith('"')
        if not wrapped.any():
            return cells
        return cells.where(~wrapped, text.str.slice(1, -1).str.replace('""', '"', regex=False))

    out = pd.DataFrame({column: strip(table[column]) for column in table.columns})
    out.columns = strip(pd.Series([str(c) for c in table.columns], dtype=str)).tolist()
    return out


def read_sheet(path: str | Path, required: Sequence[str], key: str | None = None) -> pd.DataFrame:
    """Read a tab-separated sheet as text; check its columns and, if given, a unique key."""
    path = Path(path)
    check_sheet_size(path)
    try:
        frame = read_text_table(path)
    except FileNotFoundError:
        raise InputError(path, "the sheet does not exist") from None
    except pd.errors.EmptyDataError:
        raise InputError(
            path, f"the sheet is empty; expected a header with {', '.join(required)}"
        ) from None
    except pd.errors.ParserError as exc:
        raise InputError(
            path, f"is not a readable tab-separated sheet ({excerpt(str(exc), 200)})"
        ) from None
    except OSError as exc:
        raise InputError(path, f"the sheet cannot be read ({exc.strerror})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(missing)}; expected a header with {', '.join(required)}",
            where="line 1",
        )
    frame = pd.DataFrame({column: frame[column].str.strip() for column in frame.columns})
    if key is not None:
        empty = frame.index[frame[key] == ""]
        if len(empty):
            raise InputError(path, f"{key} is empty", where=f"line {empty[0] + 2}")
        dup = frame.index[frame[key].duplicated()]
        if len(dup):
            value = frame.at[dup[0], key]
            raise InputError(
                path,
                f"{key} {excerpt(value)} appears twice; each must be unique",
                where=f"line {dup[0] + 2}",
            )
    return frame


def read_samples(path: str | Path) -> pd.DataFrame:
    """The sample sheet: sample_id, subject_id, visit, matrix."""
    return read_sheet(path, SAMPLE_COLUMNS, key="sample_id").reset_index(drop=True)


def read_aliases(path: str | Path) -> pd.DataFrame:
    """The analyte alias table: alias, analyte (canonical name), display (for reports)
    and, optionally, unit (the unit the analyte's values are reported in; the rows of
    one analyte that give one must agree)."""
    aliases = read_sheet(path, ALIAS_COLUMNS, key="alias")
    if "unit" in aliases:
        first: dict[str, tuple[str, int]] = {}
        for index, analyte, unit in zip(
            aliases.index, aliases["analyte"], aliases["unit"], strict=True
        ):
            spelled = canonical(unit)
            if not spelled:
                continue
            seen = first.setdefault(analyte, (spelled, index))
            if seen[0] != spelled:
                raise InputError(
                    path,
                    f"unit {excerpt(unit)} for {shortened(analyte)} differs from {seen[0]!r} "
                    f"on line {seen[1] + 2}; give one unit per analyte (or leave the others "
                    "empty)",
                    where=f"line {index + 2}",
                )
    return aliases.reset_index(drop=True)


def alias_lookup(aliases: pd.DataFrame) -> dict[str, str]:
    """Map a normalised alias (case-folded, spaces collapsed) to its canonical analyte."""
    lookup = {_normalise(a): c for a, c in zip(aliases["alias"], aliases["analyte"], strict=True)}
    lookup.update({_normalise(c): c for c in aliases["analyte"]})
    return lookup


def canonical_analyte(raw: str, lookup: dict[str, str]) -> str | None:
    """The canonical name of an exported analyte name, or None if the table does not know it.

    A Luminex bead-region suffix such as ``IL-8 (27)`` is ignored.

    >>> canonical_analyte("MCP-1 (53)", {"mcp-1": "CCL2"})
    'CCL2'
    """
    return lookup.get(analyte_key(raw))


def analyte_key(raw: str) -> str:
    """An exported analyte name as the alias table looks it up: without a Luminex
    bead-region suffix (``IL-8 (27)``), case-folded, spaces collapsed.

    >>> analyte_key("  IL-8   (27) ")
    'il-8'
    """
    return _normalise(_BEAD_REGION.sub("", raw))


def _normalise(name: str) -> str:
    return " ".join(name.casefold().split())


def _first_line(rows: pd.Series) -> int:
    """The sheet line of the first row marked in ``rows`` (line 1 is the header; the
    index is each row's place in the file, see :func:`read_text_table`)."""
    return int(rows.index[rows.to_numpy(dtype=bool)][0]) + 2


def _numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    text = frame[column].astype(str).str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = values.isna() & (text != "")
    if bad.any():
        raise InputError(
            path,
            f"{column} {excerpt(text[bad].iloc[0])} is not a number",
            f"line {_first_line(bad)}",
        )
    return values.astype(float)


def read_subjects(path: str | Path) -> pd.DataFrame:
    """The subject sheet with numbers as numbers and ``ambulatory`` as a nullable bool."""
    path = Path(path)
    sheet = read_sheet(path, SUBJECT_COLUMNS, key="subject_id")
    out = sheet[list(SUBJECT_COLUMNS)].copy()
    for column in ("age", "disease_duration"):
        out[column] = _numbers(sheet, column, path)
    ambulatory = sheet["ambulatory"].str.lower().map({"true": True, "false": False})
    out["ambulatory"] = ambulatory.astype("boolean")
    return out.reset_index(drop=True)


def read_outcomes(path: str | Path) -> pd.DataFrame:
    """The outcome sheet: subject_id, month (int), edss and t25fw (float, NaN if empty);
    the index is each row's place in the file (line ``index + 2``)."""
    path = Path(path)
    sheet = read_sheet(path, OUTCOME_COLUMNS)
    out = pd.DataFrame({"subject_id": sheet["subject_id"]})
    out["month"] = _numbers(sheet, "month", path)
    if out["month"].isna().any():
        raise InputError(path, "month is empty", f"line {_first_line(out['month'].isna())}")
    beyond = out["month"] > MAX_MONTH
    if beyond.any():
        raise InputError(
            path,
            f"month {excerpt(sheet['month'][beyond].iloc[0])} is beyond {MAX_MONTH}; expected "
            "the months from baseline",
            f"line {_first_line(beyond)}",
        )
    out["month"] = out["month"].astype(int)
    out["edss"] = _numbers(sheet, "edss", path)
    out["t25fw"] = _numbers(sheet, "t25fw", path)
    twice = out.duplicated(["subject_id", "month"])
    if twice.any():
        first = int(np.flatnonzero(twice.to_numpy())[0])
        raise InputError(
            path,
            f"subject {out['subject_id'].iloc[first]} has month "
            f"{out['month'].iloc[first]} twice; one row per subject and month",
            f"line {_first_line(twice)}",
        )
    return out
