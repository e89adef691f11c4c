"""Curves fitted once: the curves a chunk fitted for each plate are kept in
``results/.cache/curves``, so that a chunk run again because one plate was added or
changed fits that plate's curves only, and takes the others' from the cache.

A curve's fit is the same to the last bit whatever else shares its batch
(:func:`assaypipe.curves.fit_curves`), so a plate's curves fitted on their own are the
rows the whole chunk's fit gives it. An entry's key is the SHA-256 of everything they
depend on: the plate's rows of the wells, plates and vendor tables (every column, by
pandas' row hashes), the ``curves`` settings, this package's source, the versions of
Python, NumPy, pandas and SciPy, and the processor's instruction sets (numpy's vector
loops round by them). Entries hold the plate's rows of the curves table as arrays and
plain values, loaded by :func:`assaypipe.kept.load_plain`; one that does not load is
fitted again. File names are hex digits (a digest of the plate id, then the key). A
plate's versions no longer used are removed by the chunk that fits it
(:meth:`CurveCache.prune`); those of plates no longer in the study by
:func:`prune_curves`.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from assaypipe import tables
from assaypipe.kept import KeptEntries, code_key, prune_others
from assaypipe.settings import CurveSettings

__all__ = ["CurveCache", "prune_curves"]

# Bumped when the layout of an entry changes.
ENTRY_FORMAT = 1
_LIBRARIES = ("numpy", "pandas", "scipy")
_ORDER = ["plate_id", "analyte", "model"]


@cache
def _fitting_code() -> bytes:
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # pragma: no cover - a numpy that moved it
        __cpu_features__ = {}
    features = ",".join(sorted(name for name, found in __cpu_features__.items() if found))
    return code_key(ENTRY_FORMAT, _LIBRARIES, f"machine {platform.machine()} {features}")


def plate_prefix(plate_id: str) -> str:
    """The start of the names of a plate's entries: a digest of its id."""
    return hashlib.sha256(plate_id.encode()).hexdigest()[:16]


@dataclass
class CurveCache(KeptEntries):
    """Plates' curves kept in ``folder`` (nothing kept where ``folder`` is None), for
    the fit of one chunk run: :meth:`fit` is :func:`assaypipe.curves.fit_plate_curves`,
    taken from the cache where it can be."""

    fitted: int = 0

    def fit(
        self,
        wells: pd.DataFrame,
        settings: CurveSettings,
        *,
        plates: pd.DataFrame,
        vendor: pd.DataFrame,
    ) -> pd.DataFrame:
        """``fit_plate_curves(wells, settings, plates=plates, vendor=vendor)``."""
        from assaypipe.curves import fit_plate_curves

        if self.folder is None or wells.empty:
            self.fitted += wells["plate_id"].nunique()
            return fit_plate_curves(wells, settings, plates=plates, vendor=vendor)
        keys = self._keys(wells, settings, plates, vendor)
        entries: list[dict[str, Any]] = []
        missing: list[str] = []
        for plate_id, key in keys.items():
            self.used.setdefault(plate_prefix(plate_id), set()).add(key)
            entry = self._load(key)
            if entry is None:
                missing.append(plate_id)
            else:
                entries.append(entry)
        self.kept += len(entries)
        self.fitted += len(missing)
        # One frame of every kept plate's rows (one per plate costs ~4 ms each).
        frames = [_frame(entries)] if entries else []
        if missing:
            fitted = fit_plate_curves(
                wells[wells["plate_id"].isin(missing)].reset_index(drop=True),
                settings,
                plates=plates[plates["plate_id"].isin(missing)],
                vendor=vendor[vendor["plate_id"].isin(missing)],
            )
            frames.append(fitted)
            for name, own in fitted.groupby("plate_id", sort=False):
                self._store(keys[str(name)], own)
        curves = pd.concat(frames, ignore_index=True)
        curves = curves.sort_values(_ORDER, kind="stable", ignore_index=True)
        return tables.CURVES.validate(curves)

    def _keys(
        self,
        wells: pd.DataFrame,
        settings: CurveSettings,
        plates: pd.DataFrame,
        vendor: pd.DataFrame,
    ) -> dict[str, str]:
        """Each plate's entry name: its prefix, then the SHA-256 of the code, the
        settings and its rows of the three tables."""
        common = hashlib.sha256(_fitting_code())
        common.update(repr(settings).encode())
        # The chunk a plate falls in is no input of its fit.
        plates = plates.drop(columns=["chunk"], errors="ignore")
        parts = [_row_hashes(frame) for frame in (wells, plates, vendor)]
        empty = np.empty(0, dtype=np.uint64)
        keys: dict[str, str] = {}
        for plate_id in pd.unique(wells["plate_id"]):
            digest = common.copy()
            digest.update(str(plate_id).encode())
            for columns, hashes in parts:
                digest.update(columns)
                own = hashes.get(str(plate_id), empty)
                digest.update(len(own).to_bytes(8, "little"))
                digest.update(own.tobytes())
            keys[str(plate_id)] = f"{plate_prefix(str(plate_id))}-{digest.hexdigest()}"
        return keys

    def _load(self, key: str) -> dict[str, Any] | None:
        entry = self.load_entry(key)
        try:
            _check(entry)
        except Exception:
            # Missing, damaged or foreign: the plate is fitted again.
            return None
        return dict(entry)

    def _store(self, key: str, curves: pd.DataFrame) -> None:
        entry = _entry(curves)
        if entry is not None:
            self.store_entry(key, entry)


def prune_curves(folder: Path, plate_ids: Iterable[str]) -> int:
    """Remove the entries of plates not among ``plate_ids`` (no longer in the study);
    how many were removed."""
    return prune_others(folder, {plate_prefix(str(plate_id)) for plate_id in plate_ids})


def _row_hashes(frame: pd.DataFrame) -> tuple[bytes, dict[str, np.ndarray]]:
    """The frame's column names and dtypes, and per plate a 64-bit hash of each of its
    rows' values, in the frame's order."""
    columns = repr([(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]).encode()
    # A column of Python objects (a plate's warnings, a list) is hashed as their reprs.
    plain = frame.assign(
        **{
            str(name): [repr(value) for value in frame[name]]
            for name in frame.columns
            if frame[name].dtype == object
        }
    )
    hashes = pd.util.hash_pandas_object(plain, index=False).to_numpy(dtype=np.uint64)
    rows = frame.groupby("plate_id", sort=False).indices
    return columns, {str(plate_id): hashes[at] for plate_id, at in rows.items()}


# -- an entry: plain data only ------------------------------------------------------------


def _entry(curves: pd.DataFrame) -> dict[str, Any] | None:
    """A plate's curves as plain data: per column its dtype and values."""
    columns: list[tuple[str, str, Any]] = []
    for name in curves.columns:
        values = curves[name]
        dtype = str(values.dtype)
        if dtype == "Int64":
            data: Any = (
                values.to_numpy(dtype=np.int64, na_value=0),
                values.isna().to_numpy(dtype=bool),
            )
        elif dtype in ("float64", "bool"):
            data = values.to_numpy(copy=True)
        elif dtype in ("str", "object"):
            data = values.to_numpy(dtype=object)
            if not all(_plain(value) for value in data):
                return None
        else:
            return None
        columns.append((str(name), dtype, data))
    return {"columns": columns}


def _plain(value: object) -> bool:
    if isinstance(value, list):
        return all(type(item) is float for item in value)
    return value is None or type(value) in (str, float)


def _check(entry: Any) -> None:
    """Raises unless ``entry`` is laid out as :func:`_entry` lays one out, with the
    curves table's columns."""
    columns = entry["columns"]
    if [name for name, _, _ in columns] != list(tables.CURVES.columns):
        raise ValueError("not an entry of the curves table's columns")
    for _, dtype, values in columns:
        parts = values if dtype == "Int64" else (values,)
        if not all(isinstance(part, np.ndarray) for part in parts):
            raise ValueError("an entry's column is not an array")


def _frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """The kept plates' rows as one frame, their columns joined."""
    data: dict[str, Any] = {}
    for at, (name, dtype, _) in enumerate(entries[0]["columns"]):
        parts = [entry["columns"][at] for entry in entries]
        if any(part[1] != dtype for part in parts):
            raise ValueError(f"column {name} kept with different dtypes")
        if dtype == "Int64":
            data[name] = pd.arrays.IntegerArray(
                np.concatenate([values[0] for _, _, values in parts]),
                np.concatenate([values[1] for _, _, values in parts]),
            )
        else:
            values = np.concatenate([values for _, _, values in parts])
            data[name] = pd.array(values, dtype="str") if dtype == "str" else values
    return pd.DataFrame(data)
