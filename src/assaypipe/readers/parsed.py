"""What a format reader hands back before the plate is finished (plate map, checks),
and the warnings it collects on the way."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from assaypipe import tables
from assaypipe.errors import bounded
from assaypipe.readers.columns import ColumnTable

__all__ = ["ParsedPlate", "Warnings"]


class Warnings:
    """What a reader read past but the lab should know: one sentence each, in the order
    noticed, each once. A reader refuses a file only when its wells' signals cannot be
    placed; anything else odd (counts that disagree, blocks that do not match, a plate
    name used twice) is read and recorded here, and shown in plates.parquet, the report
    and the run's summary. A message quoting a long value from the file is cut to
    `errors.MAX_MESSAGE` characters, as an error is (`errors.bounded`).

    >>> notes = Warnings()
    >>> notes.add("the header's Samples line says 96, the Median block names 4", "line 7")
    >>> notes.add("the header's Samples line says 96, the Median block names 4", "line 7")
    >>> list(notes)
    ["line 7: the header's Samples line says 96, the Median block names 4"]
    """

    def __init__(self, messages: tuple[str, ...] = ()) -> None:
        self._messages: dict[str, None] = dict.fromkeys(bounded(message) for message in messages)

    def add(self, message: str, where: str | None = None) -> None:
        self._messages.setdefault(bounded(f"{where}: {message}" if where else message))

    def extend(self, messages: tuple[str, ...] | list[str] | Warnings) -> None:
        for message in messages:
            self._messages.setdefault(bounded(message))

    def __iter__(self) -> Iterator[str]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def __bool__(self) -> bool:
        return bool(self._messages)

    def as_tuple(self) -> tuple[str, ...]:
        return tuple(self._messages)


@dataclass(frozen=True, eq=False)
class ParsedPlate:
    """One plate as read from an export, before plate map, checks and validation.

    `wells` has the columns of `tables.WELLS`; an export that names no analyte leaves
    `analyte` empty, and a well the export gives no role leaves `sample_name` empty
    (a plate map must place it). `name` is the plate's name in an export holding
    several plates. `warnings` are the reader's (`Warnings`). A reader may give
    `wells` and `vendor` as columns (`columns.ColumnTable`): the plate is finished on
    columns, so for the workflow's chunk step no frame is built per plate.
    """

    wells: pd.DataFrame | ColumnTable
    meta: dict[str, str]
    vendor: pd.DataFrame | ColumnTable = field(
        default_factory=lambda: tables.empty(tables.VENDOR_RESULTS)
    )
    name: str = ""
    warnings: tuple[str, ...] = ()
