"""Stage functions the workflow's scripts call: paths and parameters in, frames out.

They keep the scripts to a few lines and hold the one piece of policy that belongs to
the workflow rather than to any module: a bad plate is recorded in the rejected table
and never stops the other plates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.io import read_table
from assaypipe.layout import annotate_wells


def read_plate(
    export: str | Path,
    plate_map: str | Path | None,
    plate_id: str,
    signal: str = "median",
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Read one export into wells; on bad input, no wells and one rejected row.

    Returns the wells, the rejected rows and the run metadata the export gives.
    """
    from assaypipe.readers import read_export

    try:
        plate = read_export(export, plate_map=plate_map, plate_id=plate_id, signal=signal)
    except InputError as exc:
        rejected = pd.DataFrame(
            [{"source_file": str(export), "where": exc.where or "file", "reason": str(exc)}]
        )
        return tables.empty(tables.WELLS), tables.REJECTED.validate(rejected), {}
    return plate.wells, plate.rejected, plate.meta


def read_plates(
    plates: Sequence[Mapping[str, str | None]],
    sample_sheet: pd.DataFrame,
    aliases: pd.DataFrame,
    *,
    chunk: str,
    signal: str = "median",
    min_bead_count: int = 35,
    on_plate: Callable[[int], object] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read and annotate a chunk of plates: wells, rejected rows, and one row per plate.

    ``plates`` holds mappings with ``plate_id``, ``export`` and ``plate_map`` (or None).
    A plate that cannot be read is a rejected row and a ``rejected`` plate row; the
    others are read as usual. ``on_plate`` is called with the number of plates done
    after each plate (progress reporting).
    """
    wells_parts: list[pd.DataFrame] = []
    rejected_parts: list[pd.DataFrame] = []
    runs: list[dict[str, object]] = []
    for done, plate in enumerate(plates, start=1):
        plate_id = str(plate["plate_id"])
        export = str(plate["export"])
        wells, rejected, meta = read_plate(export, plate.get("plate_map"), plate_id, signal)
        wells_parts.append(wells)
        rejected_parts.append(rejected)
        runs.append(
            {
                **{key: meta.get(key) or None for key in _RUN_KEYS},
                "plate_id": plate_id,
                "source_file": export,
                "source_sha256": meta.get("sha256") or None,
                "status": "read" if meta else "rejected",
                "n_wells": wells["well"].nunique(),
                "n_analytes": wells["analyte_raw"].nunique(),
                "chunk": chunk,
            }
        )
        if on_plate is not None:
            on_plate(done)
    wells = _concat(wells_parts, tables.WELLS)
    if not wells.empty:
        wells = annotate_wells(wells, sample_sheet, aliases, min_bead_count=min_bead_count)
    plates_table = tables.PLATES.validate(pd.DataFrame(runs, columns=list(tables.PLATES.columns)))
    return wells, _concat(rejected_parts, tables.REJECTED), plates_table


_RUN_KEYS = (
    "format",
    "instrument",
    "software",
    "software_version",
    "serial_number",
    "batch",
    "run_time",
)


def _concat(frames: Sequence[pd.DataFrame], schema: pa.DataFrameSchema) -> pd.DataFrame:
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return tables.empty(schema)
    return schema.validate(pd.concat(frames, ignore_index=True))


def concat_tables(
    paths: Sequence[str | Path],
    schema: pa.DataFrameSchema,
    first_rows: Sequence[Mapping[str, object]] = (),
) -> pd.DataFrame:
    """Concatenate per-chunk tables in the given order, keeping the schema when empty.

    ``first_rows`` go before the tables' rows (the files rejected before any chunk ran).
    """
    frames = [pd.DataFrame(list(first_rows))] if first_rows else []
    return _concat(frames + [read_table(path) for path in paths], schema)


@contextmanager
def logged(log_path: str | Path) -> Iterator[logging.Logger]:
    """Send this step's log messages and warnings to ``log_path`` (the rule's log)."""
    logger = logging.getLogger("assaypipe")
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").addHandler(handler)
    try:
        yield logger
    except Exception:
        logger.exception("step failed")
        raise
    finally:
        logger.removeHandler(handler)
        logging.getLogger("py.warnings").removeHandler(handler)
        handler.close()
