"""Exports read once: what a chunk read from each export is kept in
``results/.cache/reads``, so that a chunk run again because one export was added or
changed rereads that export only, and takes the others' plates from the cache.

An entry's key is the SHA-256 of everything the read depends on: the export's path and
bytes, the plate map's path and bytes, the plate id, the signal and read chosen, the
kit files' standards, this package's source and the versions of Python, NumPy,
pandas, pyarrow, openpyxl and xlrd. The same inputs read by the same code give the
same plates, so a kept entry is what reading the file again would give, warnings
included. An export
that could not be read is not kept (it is read again and refused again, with its
reason), nor is one modified in the last seconds (the reader's check that it is not
still being written then runs as usual).

Entries hold arrays of numbers and texts and the package's vocabulary; they are
loaded by an unpickler that builds nothing else (:func:`kept.load_plain`), and an entry that
does not load is read again from its export. File names are hex digits (a digest of
the export's path, then the key), never text from a plate file. An export's versions
no longer read are removed by the chunk that reads it (:meth:`ReadCache.prune`);
those of exports no longer in the study by :func:`prune_reads`.
"""

from __future__ import annotations

import enum
import hashlib
import os
import stat
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from assaypipe import vocabulary
from assaypipe.kept import KeptEntries, code_key, prune_others

# The readers are imported where a read is kept or read back: a job that only prunes
# the kept reads (study_tables) does not load every reader.
if TYPE_CHECKING:
    from assaypipe.readers import PlateColumns
    from assaypipe.readers.columns import Columns
    from assaypipe.readers.kit_standards import KitStandards

__all__ = ["ReadCache", "prune_reads"]

# Bumped when the layout of an entry changes.
ENTRY_FORMAT = 1

_PLAIN = (str, float, int, bool, type(None))


# The libraries the readers call (workbooks: openpyxl's dates, xlrd for .xls).
_LIBRARIES = ("numpy", "pandas", "pyarrow", "openpyxl", "xlrd")


def export_prefix(export: str | Path) -> str:
    """The start of the names of an export's entries: a digest of its path."""
    return hashlib.sha256(str(export).encode()).hexdigest()[:16]


@dataclass
class ReadCache(KeptEntries):
    """Exports' plates kept in ``folder`` (nothing kept where ``folder`` is None), for
    the reads of one chunk run: :meth:`read_plate` is :func:`pipeline.read_plate`,
    taken from the cache where it can be."""

    read: int = 0

    def read_plate(
        self,
        export: str,
        plate_map: str | None,
        plate_id: str,
        signal: str,
        read_choice: str,
        standards: KitStandards | None,
    ) -> tuple[list[PlateColumns], pd.DataFrame | None]:
        """The plates of ``export`` as :func:`pipeline.read_plate` reads them."""
        from assaypipe.pipeline import read_plate

        digests = self._digests(export, plate_map)
        key = self._key(
            export, digests, str(plate_map), plate_id, signal, read_choice, repr(standards)
        )
        if key is not None:
            self.used.setdefault(export_prefix(export), set()).add(key)
            plates = self._load(key)
            if plates is not None:
                self.kept += 1
                return plates, None
        plates, rejected = read_plate(export, plate_map, plate_id, signal, read_choice, standards)
        self.read += 1
        # Kept only if what was read is what the key names: the export's bytes as the
        # reader hashed them, the plate map unchanged meanwhile.
        if (
            key is not None
            and rejected is None
            and all(plate.meta.get("sha256") == digests[0] for plate in plates)
            and self._digests(export, plate_map) == digests
        ):
            self._store(key, plates)
        return plates, rejected

    def _digests(self, export: str, plate_map: str | None) -> tuple[str | None, str | None]:
        """The export's and the plate map's SHA-256 (None: not kept, see _file_digest)."""
        if self.folder is None:
            return None, None
        return _file_digest(export), _file_digest(plate_map) if plate_map is not None else "none"

    def _key(self, export: str, digests: tuple[str | None, str | None], *read: str) -> str | None:
        """The entry's name: the export's prefix, then the SHA-256 of the code, the
        export's path, both digests and what else the read depends on (``read``)."""
        export_digest, map_digest = digests
        if export_digest is None or map_digest is None:
            return None
        digest = hashlib.sha256(code_key(ENTRY_FORMAT, _LIBRARIES))
        for part in (export, export_digest, map_digest, *read):
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part.encode())
        return f"{export_prefix(export)}-{digest.hexdigest()}"

    def _load(self, key: str) -> list[PlateColumns] | None:
        entry = self.load_entry(key)
        try:
            return None if entry is None else _plates(entry)
        except Exception:
            # Damaged or foreign: the export is read again.
            return None

    def _store(self, key: str, plates: list[PlateColumns]) -> None:
        entry = _entry(plates)
        if entry is not None:
            # Compressed: the texts repeat (about 14 times smaller, 0.15 ms to undo).
            self.store_entry(key, entry)


def prune_reads(folder: Path, exports: Iterable[str]) -> int:
    """Remove the entries of exports not among ``exports`` (no longer in the study);
    how many were removed."""
    return prune_others(folder, {export_prefix(export) for export in exports})


def _file_digest(path: str) -> str | None:
    """The SHA-256 of a file's bytes; None where the reader's own checks must run (not
    a regular file, e.g. a pipe or a device that would never end; missing, empty, too
    large, or modified in the last seconds)."""
    from assaypipe.readers import DEFAULT_MAX_BYTES, RECENT_SECONDS

    try:
        status = os.stat(path)
        if (
            not stat.S_ISREG(status.st_mode)
            or not 0 < status.st_size <= DEFAULT_MAX_BYTES
            or time.time() - status.st_mtime < RECENT_SECONDS
        ):
            return None
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


# -- an entry: plain data only ------------------------------------------------------------


def _entry(plates: list[PlateColumns]) -> list[dict[str, Any]] | None:
    """The plates as plain data, or None if a column holds something else."""
    entry = []
    for plate in plates:
        wells = _columns(plate.wells)
        vendor = _columns(plate.vendor.columns)
        if wells is None or vendor is None:
            return None
        entry.append(
            {
                "wells": wells,
                "n_rows": plate.n_rows,
                "meta": dict(plate.meta),
                "vendor": vendor,
                "vendor_rows": plate.vendor.n_rows,
                "warnings": list(plate.warnings),
            }
        )
    return entry


def _columns(columns: Columns) -> dict[str, Any] | None:
    plain: dict[str, Any] = {}
    for name, values in columns.items():
        if isinstance(values, pd.arrays.IntegerArray) and str(values.dtype) == "Int64":
            mask = values.isna()
            plain[name] = (values.to_numpy(dtype=np.int64, na_value=0), mask)
        elif isinstance(values, np.ndarray) and (
            values.dtype != object or all(map(_plain, set(map(type, values))))
        ):
            plain[name] = values
        else:
            return None
    return plain


def _plain(kind: type) -> bool:
    """Whether values of ``kind`` are kept: texts, numbers, None, the vocabulary."""
    if issubclass(kind, enum.Enum):
        return kind.__module__ == vocabulary.__name__
    return kind in _PLAIN


def _plates(entry: list[dict[str, Any]]) -> list[PlateColumns]:
    from assaypipe.readers import PlateColumns
    from assaypipe.readers.columns import ColumnTable

    return [
        PlateColumns(
            wells=_arrays(plate["wells"]),
            n_rows=plate["n_rows"],
            meta=plate["meta"],
            vendor=ColumnTable(_arrays(plate["vendor"]), plate["vendor_rows"]),
            warnings=tuple(plate["warnings"]),
        )
        for plate in entry
    ]


def _arrays(plain: Mapping[str, Any]) -> Columns:
    return {
        name: pd.arrays.IntegerArray(*values) if isinstance(values, tuple) else values
        for name, values in plain.items()
    }
