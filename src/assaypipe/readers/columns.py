"""A table as plain columns (name -> equally long array), the form a plate is finished
in and a chunk's plates are put together in: one frame is built per chunk, not one per
plate and step (a pandas frame costs about a millisecond to build, each text column
being converted to pandas' string type).

The arrays are NumPy arrays (object for texts, float) and pandas' `Int64` arrays, as
`columns_of` takes them out of a frame; `frame_of` builds the frame back, with the
same dtypes.

>>> frame = pd.DataFrame({"well": ["A1", "A2"], "signal": [1.0, 2.0]})
>>> columns = columns_of(frame)
>>> frame_of(stacked([columns, columns], ["well", "signal"]), 4)["well"].tolist()
['A1', 'A2', 'A1', 'A2']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ColumnTable",
    "Columns",
    "columns_of",
    "frame_of",
    "nunique",
    "objects",
    "stacked",
    "table_columns",
    "table_of",
    "texts",
]

Columns = dict[str, Any]


@dataclass(frozen=True, eq=False)
class ColumnTable:
    """A table as columns, with its number of rows: what a reader may hand over instead
    of a frame (`cells.wells_columns`, `cells.vendor_table`)."""

    columns: Columns
    n_rows: int

    def frame(self) -> pd.DataFrame:
        return frame_of(self.columns, self.n_rows)

    def __len__(self) -> int:
        return self.n_rows


def table_of(n_rows: int, values: Mapping[str, Any]) -> ColumnTable:
    """Columns of ``n_rows`` values: arrays as they are, a single value (text, a number,
    None) repeated, as a frame built from the same values would repeat it."""
    arrays: Columns = {}
    for name, value in values.items():
        if isinstance(value, (np.ndarray, pd.api.extensions.ExtensionArray)):
            if len(value) != n_rows:
                raise ValueError(f"column {name} has {len(value)} values, not {n_rows}")
            arrays[name] = value
        elif value is None or isinstance(value, str):
            arrays[name] = np.full(n_rows, value, dtype=object)
        elif isinstance(value, (float, int)):
            arrays[name] = np.full(n_rows, value)
        else:
            raise TypeError(f"column {name}: give an array or a single value")
    return ColumnTable(arrays, n_rows)


def table_columns(table: pd.DataFrame | ColumnTable) -> tuple[Columns, int]:
    """A frame's or a column table's columns (a copy of the mapping) and row count."""
    if isinstance(table, ColumnTable):
        return dict(table.columns), table.n_rows
    return columns_of(table), len(table)


def columns_of(frame: pd.DataFrame) -> Columns:
    """The frame's columns as arrays: extension arrays (`Int64`) as they are, texts as
    object arrays (missing as NaN), numbers as NumPy arrays."""
    columns: Columns = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.StringDtype):
            columns[str(name)] = column.to_numpy(dtype=object)
        elif isinstance(column.dtype, np.dtype):
            columns[str(name)] = column.to_numpy()
        else:
            columns[str(name)] = column.array
    return columns


def frame_of(
    columns: Mapping[str, Any], n_rows: int, names: Iterable[str] | None = None
) -> pd.DataFrame:
    """The frame of ``columns`` (those named in ``names``, in that order, by default all)."""
    chosen = list(columns) if names is None else list(names)
    return pd.DataFrame({name: columns[name] for name in chosen}, index=range(n_rows))


def stacked(parts: Sequence[Mapping[str, Any]], names: Iterable[str]) -> Columns:
    """The named columns of ``parts``, one after the other."""
    out: Columns = {}
    for name in names:
        arrays = [part[name] for part in parts]
        if all(isinstance(array, np.ndarray) for array in arrays):
            kinds = {array.dtype for array in arrays}
            dtype = kinds.pop() if len(kinds) == 1 else np.dtype(object)
            out[name] = np.concatenate(arrays).astype(dtype, copy=False)
        elif all(isinstance(array, pd.arrays.IntegerArray) for array in arrays):
            out[name] = pd.concat(
                [pd.Series(array, copy=False) for array in arrays], ignore_index=True
            ).array
        else:
            # Anything else as pandas would put the columns of frames together.
            series = [pd.Series(array, copy=False) for array in arrays]
            out[name] = pd.concat(series, ignore_index=True).array
    return out


def objects(values: Sequence[Any]) -> np.ndarray:
    """An object column of ``values``, one entry each (an empty list gives an empty
    column).

    >>> objects(["A1", None]).tolist()
    ['A1', None]
    """
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def texts(values: Any) -> np.ndarray:
    """Values as pandas' ``astype(str)`` gives them: missing stays missing (NaN)."""
    array = np.asarray(values, dtype=object)
    if all(type(value) is str for value in array.tolist()):
        return array
    return pd.Series(array, dtype=object).astype(str).to_numpy(dtype=object)


def nunique(values: Any) -> int:
    """Distinct values, not counting missing ones (as ``Series.nunique``)."""
    listed = np.asarray(values, dtype=object).tolist()
    if all(type(value) is str for value in listed):
        return len(set(listed))
    return int(pd.Series(np.asarray(values, dtype=object), dtype=object).nunique())
