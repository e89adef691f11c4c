"""The formats assaypipe reads, in the order they are tried, and what follows from the list:
which format an export is, the message for one no format recognises, and the format
tables of the README and docs/formats.md (`assaypipe formats --markdown`).

Adding a format: a module with a `protocol.Format`, its line in `FORMATS`, and a folder
of fixture exports, tests/data/exports/<format name>/.
"""

from __future__ import annotations

from typing import Final

from assaypipe.errors import InputError
from assaypipe.readers import (
    bioplex,
    bioplex_xml,
    envision,
    gen5,
    grid,
    intelliflex,
    magellan,
    mars,
    msd_methodical_mind,
    msd_workbench,
    skanit,
    softmax,
    xponent,
)
from assaypipe.readers.protocol import Format, Kind, Source

__all__ = ["FORMATS", "format_of", "markdown_table", "unsupported"]

# The plain grid comes last: it is what is left when no instrument's own format matches.
FORMATS: Final[tuple[Format, ...]] = (
    xponent.XPONENT,
    intelliflex.INTELLIFLEX,
    bioplex.BIOPLEX,
    bioplex_xml.BIOPLEX_XML,
    softmax.SOFTMAX,
    gen5.GEN5,
    mars.MARS,
    envision.ENVISION,
    msd_methodical_mind.MSD_METHODICAL_MIND,
    msd_workbench.MSD_WORKBENCH,
    skanit.SKANIT,
    magellan.MAGELLAN,
    grid.GRID,
)

_KIND_WORDS: Final = {
    "text": "",
    "workbook": "this Excel workbook is ",
    "xml": "this XML document is ",
}


def format_of(source: Source) -> Format:
    """The first format that recognises the source; InputError when none does."""
    kind = source.kind
    if kind == "text" and not source.text.strip():
        raise InputError(source.file, "the file is empty (only blank lines)")
    for candidate in FORMATS:
        if kind in candidate.kinds and candidate.recognise(source):
            return candidate
    raise InputError(source.file, unsupported(kind))


def unsupported(kind: Kind = "text") -> str:
    """The sentence for an export no format recognises, naming what was expected.

    >>> unsupported("workbook")  # doctest: +ELLIPSIS
    'this Excel workbook is not a supported plate export: expected a Bio-Plex Manager ...'
    """
    described = [f.described for f in FORMATS if kind in f.kinds]
    expected = ", ".join(described[:-1]) + f" or {described[-1]}" if len(described) > 1 else ""
    return f"{_KIND_WORDS[kind]}not a supported plate export: expected {expected or described[0]}"


def markdown_table(columns: str = "readme") -> str:
    """The format table of the README (`readme`) or of docs/formats.md (`docs`)."""
    if columns == "readme":
        header = ("instrument software", "export", "versions seen", "plate map")
        rows = [(f.software, f.export, f.versions, f.plate_map) for f in FORMATS]
    elif columns == "docs":
        header = ("format", "recognised by", '`meta["format"]`', "plate map")
        rows = [(f.software, f.recognised_by, f"`{f.name}`", f.plate_map) for f in FORMATS]
    else:
        raise ValueError(f"columns must be 'readme' or 'docs', not {columns!r}")
    lines = [_row(header), _row(tuple("---" for _ in header))]
    lines += [_row(row) for row in rows]
    return "\n".join(lines) + "\n"


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
