"""Well roles implied by sample names, the rule of docs/formats.md.

The rule matches the whole name, ignoring case and surrounding spaces:

- ``Background``, ``Background0``, ``Blank``, ``Blank2`` -> ("blank", None)
- ``Standard3``, ``Std3``, ``S3`` -> ("standard", 3)
- ``Control1``, ``C1``, ``QC1`` -> ("control", 1)
- anything else (``Unknown4``, ``S01-BL``, ``Standard 3``) -> ("sample", None)

A sample really called ``S3`` or ``C1`` reads as a standard or control; give such
plates a plate map, which overrides the rule.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["classify_name"]

_BLANK: Final = re.compile(r"(?:background|blank)\d*", re.IGNORECASE)
_STANDARD: Final = re.compile(r"(?:standard|std|s)(\d+)", re.IGNORECASE)
_CONTROL: Final = re.compile(r"(?:control|qc|c)(\d+)", re.IGNORECASE)


def classify_name(name: str) -> tuple[str, int | None]:
    """Role and level (standard or control number) that a sample name implies.

    >>> classify_name("Standard12")
    ('standard', 12)
    >>> classify_name("Background0")
    ('blank', None)
    >>> classify_name("QC2")
    ('control', 2)
    >>> classify_name("B_sid_13_CSP")
    ('sample', None)
    """
    text = name.strip()
    if _BLANK.fullmatch(text):
        return "blank", None
    standard = _STANDARD.fullmatch(text)
    if standard:
        return "standard", int(standard.group(1))
    control = _CONTROL.fullmatch(text)
    if control:
        return "control", int(control.group(1))
    return "sample", None
