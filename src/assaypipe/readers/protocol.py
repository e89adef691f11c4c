"""The contract of a format reader: what it is given (`Source`, `ReadOptions`) and what
it declares (`Format`).

A format is one module holding a `Format`: how to recognise an export from its content,
how to read it into `ParsedPlate`s, and the facts the README and docs/formats.md list
about it. `assaypipe.readers.registry.FORMATS` lists the formats in the order they are
tried; adding one is a module, a line there and a fixture folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Final, Literal

from assaypipe.errors import InputError
from assaypipe.readers.cells import decode_text_noting
from assaypipe.readers.excel import Sheet, Workbook, is_workbook, read_workbook
from assaypipe.readers.parsed import ParsedPlate
from assaypipe.roles import DEFAULT_RULE, RoleRule

__all__ = ["KINDS", "MAX_CELLS", "MAX_LINES", "MAX_TAGS", "Format", "ReadOptions", "Source"]

Kind = Literal["text", "workbook", "xml"]
KINDS: Final[tuple[Kind, ...]] = ("text", "workbook", "xml")
_BOMS: Final = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# Bounds on a text export, checked before any format splits it, so that reading one
# stays within a few hundred MB (docs/formats.md). The largest export seen has 30,000
# lines and 100,000 cells.
MAX_LINES: Final = 1_000_000
MAX_CELLS: Final = 2_000_000
# An XML export's tags: each costs about 150 bytes once parsed.
MAX_TAGS: Final = 4_000_000


def _starts_like_xml(data: bytes) -> bool:
    """Whether the bytes begin (after a byte-order mark and white space) with `<`."""
    head = data[:512]
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="ignore").lstrip().startswith("<")
    return head.lstrip().startswith(b"<")


class Source:
    """One export's bytes. Its text, lines and workbook sheets are worked out once, when
    a format first asks for them, so recognising a format costs one decoding at most.

    >>> Source(b"a,b\\r\\n1,2", "x.csv").lines
    ['a,b', '1,2']
    """

    def __init__(self, data: bytes, file: str) -> None:
        self.data = data
        self.file = file
        self._text_notes: tuple[str, ...] = ()

    @cached_property
    def kind(self) -> Kind:
        if is_workbook(self.data):
            return "workbook"
        # No text format read begins with `<`: an XML document is asked only of the
        # XML formats, and told so when none reads it.
        return "xml" if _starts_like_xml(self.data) else "text"

    @cached_property
    def text(self) -> str:
        """The decoded text (InputError for a binary file that is not a workbook, or one
        beyond `MAX_LINES`, `MAX_CELLS` or, for XML, `MAX_TAGS`)."""
        text, self._text_notes = decode_text_noting(self.data, self.file)
        _check_size(text, self.file, self.kind)
        return text

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def workbook(self) -> Workbook:
        """The workbook (InputError when it cannot be opened)."""
        return read_workbook(self.data, self.file)

    @property
    def sheets(self) -> list[Sheet]:
        """The workbook's sheets as text (InputError when it cannot be opened)."""
        return self.workbook.sheets

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the file shows amiss as a whole, for each of its plates' warnings: its
        workbook's, or what decoding its text found."""
        if "workbook" in self.__dict__:
            return self.workbook.warnings
        return self._text_notes if "text" in self.__dict__ else ()


def _check_size(text: str, file: str, kind: Kind) -> None:
    """Refuse a text longer than any plate export, by counts the C string methods make
    in milliseconds: a split text costs ten times its size."""
    if kind == "xml":
        counted = [(text.count("<"), MAX_TAGS, "XML tags")]
    else:
        lines = max(text.count("\n"), text.count("\r"))
        fields = lines + sum(text.count(delimiter) for delimiter in (",", ";", "\t"))
        counted = [(lines, MAX_LINES, "lines"), (fields, MAX_CELLS, "cells")]
    for found, most, what in counted:
        if found > most:
            raise InputError(
                file,
                f"the file holds {found:,} {what}, more than the {most:,} a plate export "
                "can hold; check it is the right file",
            )


@dataclass(frozen=True)
class ReadOptions:
    """How to read what an export leaves open.

    `signal`: the Luminex signal, "median" (Median MFI, Bio-Plex FI) or "net_mfi"
    (Net MFI, Bio-Plex FI - Bkgd). `rule`: the sample-name rule for roles. `read`: for
    plate readers holding several reads, the read to use (its name or wavelength as the
    export writes it, e.g. `450` or `Read 2`); empty for the format's default.
    """

    signal: str = "median"
    rule: RoleRule = DEFAULT_RULE
    read: str = ""


@dataclass(frozen=True)
class Format:
    """One export format: how it is recognised and read, and what the docs say of it.

    `name` is `meta["format"]` (plates.parquet `format`); `described` completes "expected
    ..." in the message for a file no format recognises; `software`, `export`,
    `versions`, `plate_map` and `recognised_by` are the cells of the format tables in
    the README and docs/formats.md. `kinds` says which sources it is asked about.
    """

    name: str
    described: str
    software: str
    export: str
    versions: str
    plate_map: str
    recognised_by: str
    kinds: tuple[Kind, ...]
    recognise: Callable[[Source], bool]
    read: Callable[[Source, ReadOptions], list[ParsedPlate]]
