"""The ``excluded_wells`` column of the curves table: which standard wells a curve
left out of its fit, and why, as data.

The value is ``;``-separated ``well=reason`` entries in the order the curve stage
left the wells out (the lab's masking, bead counts and implausible concentrations
first, then the fit's own exclusions); empty when every standard was fitted. A
reason is the text the curve's ``reasons`` gives for the well (``masked in
xPONENT``, ``low_beads``, ``masked outlier``, ...), with any ``;`` in it written as
``,``. QC reads this column, never the ``reasons`` text.

>>> text = excluded_wells_text([("B1", "masked outlier"), ("B2", "low_beads")])
>>> text
'B1=masked outlier;B2=low_beads'
>>> parse_excluded_wells(text)
{'B1': 'masked outlier', 'B2': 'low_beads'}
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["excluded_wells_text", "parse_excluded_wells"]


def excluded_wells_text(entries: Iterable[tuple[str, str]]) -> str:
    """The column value of ``(well, reason)`` pairs."""
    return ";".join(f"{well}={reason.replace(';', ',').strip()}" for well, reason in entries)


def parse_excluded_wells(text: object) -> dict[str, str]:
    """Well -> reason of a column value (a later entry for the same well wins); empty
    for an empty or missing value."""
    out: dict[str, str] = {}
    if not isinstance(text, str):
        return out
    for entry in text.split(";"):
        well, sep, reason = entry.partition("=")
        if sep and well.strip():
            out[well.strip()] = reason.strip()
    return out
