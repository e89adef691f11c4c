"""Stage functions the workflow's scripts call: paths and parameters in, frames out.

They keep the scripts to a few lines and hold the one piece of policy that belongs to
the workflow rather than to any module: a bad plate is recorded in the rejected table
and never stops the other plates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from assaypipe import tables
from assaypipe.errors import InputError
from assaypipe.io import read_table


def read_plate(
    export: str | Path,
    plate_map: str | Path | None,
    plate_id: str,
    signal: str = "median",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one export into wells; on bad input, no wells and one rejected row."""
    from assaypipe.readers import read_export

    try:
        plate = read_export(export, plate_map=plate_map, plate_id=plate_id, signal=signal)
    except InputError as exc:
        rejected = pd.DataFrame(
            [{"source_file": str(export), "where": exc.where or "file", "reason": str(exc)}]
        )
        return tables.empty(tables.WELLS), tables.REJECTED.validate(rejected)
    return plate.wells, plate.rejected


def concat_tables(paths: Sequence[str | Path], schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Concatenate per-plate tables in the given order, keeping the schema when empty."""
    frames = [frame for frame in map(read_table, paths) if not frame.empty]
    if not frames:
        return tables.empty(schema)
    return schema.validate(pd.concat(frames, ignore_index=True))


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
