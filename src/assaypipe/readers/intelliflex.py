"""Luminex INTELLIFLEX exports into the wells table.

INTELLIFLEX writes xPONENT's export (`Program,xPONENT,,Intelliflex` and `DataType:`
blocks); `readers.xponent` reads it and this format names it `intelliflex`.
"""

from __future__ import annotations

from typing import Final

from assaypipe.readers.parsed import ParsedPlate
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.readers.xponent import instrument_of, looks_like_xponent, read_xponent

__all__ = ["INTELLIFLEX"]


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return read_xponent(
        source.text, source.file, options.signal, options.rule, format_name=INTELLIFLEX.name
    )


def _recognise(source: Source) -> bool:
    return looks_like_xponent(source.lines) and (
        "intelliflex" in instrument_of(source.lines).casefold()
    )


INTELLIFLEX: Final = Format(
    name="intelliflex",
    described="an INTELLIFLEX CSV",
    software="Luminex INTELLIFLEX",
    export="xPONENT-style CSV",
    versions="2.1",
    plate_map="optional",
    recognised_by="a `Program,xPONENT` line naming instrument `Intelliflex`",
    kinds=("text",),
    recognise=_recognise,
    read=_read,
)
