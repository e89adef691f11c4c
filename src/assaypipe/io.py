"""Parquet in and out, the same way everywhere.

Tables are written with zstd compression and key-value metadata (package version,
config hash, the command that made them), to a temporary name first and renamed into
place, so a half-written file is never taken for a finished one. The same frame and
metadata always give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from assaypipe import __version__


def config_hash(config: Mapping[str, Any]) -> str:
    """A short, stable hash of a configuration mapping (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    command: str,
    config: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``frame`` to ``path`` as parquet, atomically, with assaypipe metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = _typed_lists(pa.Table.from_pandas(frame, preserve_index=False))
    metadata = dict(table.schema.metadata or {})
    metadata.update(
        {
            b"assaypipe_version": __version__.encode(),
            b"assaypipe_config_hash": config_hash(config or {}).encode(),
            b"assaypipe_command": command.encode(),
        }
    )
    table = table.replace_schema_metadata(metadata)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        pq.write_table(table, tmp_name, compression="zstd")
        # mkstemp makes the file private; outputs get the usual permissions instead.
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return path


def _typed_lists(table: pa.Table) -> pa.Table:
    """List columns holding only empty lists (no warnings on any plate) have no element
    type to infer; they are written as lists of strings, so the schema does not change
    with the data."""
    empty_lists = pa.list_(pa.null())
    if not any(field.type == empty_lists for field in table.schema):
        return table
    schema = pa.schema(
        [
            field.with_type(pa.list_(pa.string())) if field.type == empty_lists else field
            for field in table.schema
        ],
        metadata=table.schema.metadata,
    )
    return table.cast(schema)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a parquet table written by :func:`write_table`."""
    return pd.read_parquet(path)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The assaypipe key-value metadata of a parquet file."""
    raw = pq.read_schema(path).metadata or {}
    return {
        key.decode(): value.decode() for key, value in raw.items() if key.startswith(b"assaypipe_")
    }
