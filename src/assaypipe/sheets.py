"""Study sheets: sample sheet, subjects, outcomes, analyte aliases.

Sheets are tab-separated with a header row. Every cell is read as text and checked
here, so a typo gets one sentence naming the sheet, the line and what was expected.
"""

from __future__ import annotations

import csv
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

_BEAD_REGION = re.compile(r"\s*\(\s*\d+\s*\)\s*$")
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
    """A tab-separated sheet as it is written: every cell text, nothing read as missing,
    quotes kept, a byte-order mark dropped. A first row with more cells than the header
    is refused (pandas would take its first cell for a row name and shift the others)."""
    table = pd.read_csv(
        path,
        sep="\t",
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_NONE,
        encoding="utf-8-sig",
    )
    if not isinstance(table.index, pd.RangeIndex):
        raise InputError(
            path,
            f"the row has more cells than the header's {len(table.columns)}; remove the "
            "extra cells or name their column in the header",
            where="line 2",
        )
    return table


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
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(
            path, f"is not a readable tab-separated sheet ({excerpt(str(exc), 200)})"
        ) from None
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
    return read_sheet(path, SAMPLE_COLUMNS, key="sample_id")


def read_aliases(path: str | Path) -> pd.DataFrame:
    """The analyte alias table: alias, analyte (canonical name), display (for reports)
    and, optionally, unit (the unit the analyte's values are reported in; the rows of
    one analyte that give one must agree)."""
    aliases = read_sheet(path, ALIAS_COLUMNS, key="alias")
    if "unit" in aliases:
        first: dict[str, tuple[str, int]] = {}
        for index, (analyte, unit) in enumerate(
            zip(aliases["analyte"], aliases["unit"], strict=True)
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
    return aliases


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
    return lookup.get(_normalise(_BEAD_REGION.sub("", raw)))


def _normalise(name: str) -> str:
    return " ".join(name.casefold().split())


def _first_line(rows: pd.Series) -> int:
    """The sheet line of the first row marked in ``rows`` (line 1 is the header)."""
    return int(np.flatnonzero(rows.to_numpy())[0]) + 2


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
    return out


def read_outcomes(path: str | Path) -> pd.DataFrame:
    """The outcome sheet: subject_id, month (int), edss and t25fw (float, NaN if empty)."""
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
            f"line {first + 2}",
        )
    return out
