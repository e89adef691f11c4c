"""The manual exclusions sheet (``qc.exclusions``, by default ``config/exclusions.tsv``):
read and checked row by row.

Kept apart from :mod:`assaypipe.exclusions` (which applies them and imports the tables'
schemas) so that the checks before a run can read it without pandera.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from assaypipe.errors import InputError, excerpt, not_a_file
from assaypipe.sheets import alias_lookup, canonical_analyte, read_sheet

__all__ = ["COLUMNS", "KEYS", "LEVELS", "read_exclusions"]

COLUMNS = ("level", "plate_id", "well", "analyte", "reason", "who", "when")
LEVELS = ("well", "plate", "analyte")
KEYS = ("plate_id", "well", "analyte")
# The exclusions table's source of a plate read from a copy of another plate's file
# (`exclusions.duplicate_exports`): here, where the run summary finds it without the
# tables' schemas.
DUPLICATE_SOURCE = "duplicate"
_WELL = re.compile(r"^[A-P]([1-9]|1[0-9]|2[0-4])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_exclusions(path: str | Path | None, aliases: pd.DataFrame | None = None) -> pd.DataFrame:
    """The manual exclusions, checked; an absent file (or None) means none. A folder,
    named pipe or device in its place is refused (not opened), not taken for none.

    Each row gets its ``line`` in the file, so the report can point back to it.
    ``aliases`` (the analyte alias table) lets a row name an analyte as exported.
    """
    columns = [*COLUMNS, "line"]
    if path is None or not Path(path).exists():
        return pd.DataFrame(columns=columns)
    problem = not_a_file(path, "sheet")
    if problem is not None:
        raise InputError(path, problem)
    sheet = read_sheet(path, COLUMNS)
    lookup = alias_lookup(aliases) if aliases is not None else {}
    rows = []
    for index, record in zip(sheet.index, sheet.to_dict("records"), strict=True):
        line = index + 2
        values = {key: str(record.get(key, "")).strip() for key in COLUMNS}
        if not any(values.values()):
            continue
        _check_row(path, line, values)
        if values["analyte"]:
            values["analyte"] = canonical_analyte(values["analyte"], lookup) or values["analyte"]
        values["well"] = values["well"].upper()
        rows.append({**values, "line": line})
    return pd.DataFrame(rows, columns=columns)


def _check_row(path: str | Path, line: int, values: dict[str, str]) -> None:
    where = f"line {line}"
    level = values["level"]
    if level not in LEVELS:
        raise InputError(
            path, f"level must be one of {', '.join(LEVELS)}, found {excerpt(level)}", where
        )
    for key in ("reason", "who", "when"):
        if not values[key]:
            raise InputError(
                path, f"{key} is empty; every exclusion needs a reason, who, when", where
            )
    if not _DATE.match(values["when"]):
        raise InputError(
            path, f"when must be a date YYYY-MM-DD, found {excerpt(values['when'])}", where
        )
    if level == "analyte":
        if not values["analyte"]:
            raise InputError(path, "level analyte needs the analyte", where)
        if values["plate_id"] or values["well"]:
            raise InputError(
                path,
                "level analyte takes no plate_id or well; to leave out one analyte of one "
                "plate use level plate with that analyte",
                where,
            )
    if level in ("plate", "well") and not values["plate_id"]:
        raise InputError(path, f"level {level} needs the plate_id", where)
    if level == "plate" and values["well"]:
        raise InputError(path, "level plate takes no well; use level well for one well", where)
    if level == "well" and not _WELL.match(values["well"].upper()):
        raise InputError(
            path, f"level well needs a well A1..P24, found {excerpt(values['well'])}", where
        )
