"""Well roles implied by sample names, the rule of docs/formats.md.

The default rule matches the whole name, ignoring case and surrounding spaces:

- ``Background``, ``Background0``, ``Blank``, ``Blank2``, ``BLK`` -> ("blank", None)
- ``Standard3``, ``Std3``, ``STD3``, ``S3`` -> ("standard", 3)
- ``Control1``, ``Ctrl1``, ``CTL1``, ``C1``, ``QC1`` -> ("control", 1)
- anything else (``Unknown4``, ``S01-BL``, ``Standard 3``, ``SPL1``) -> ("sample", None)

A sample really called ``S3`` or ``C1`` reads as a standard or control. Two ways to
override it for one plate: a plate map (it overrides the roles of the wells it names),
or a `RoleRule` with other patterns passed to `read_export(..., role_rule=...)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from assaypipe.vocabulary import Role

__all__ = ["DEFAULT_RULE", "MAX_LEVEL_DIGITS", "RoleRule", "classify_name", "level_number"]


# A level number has at most this many digits (leading zeros aside): no series comes near
# a billion levels, and a longer number does not fit the wells table's level column
# (nor, beyond 4,300 digits, Python's int).
MAX_LEVEL_DIGITS: Final = 9


def level_number(digits: str) -> int | None:
    """The level number that decimal `digits` write; None when they are not decimal
    digits or write a number of more than `MAX_LEVEL_DIGITS` digits.

    >>> level_number("03"), level_number("9" * 20), level_number("x")
    (3, None, None)
    """
    significant = digits.lstrip("0") or "0"
    if not digits.isdecimal() or len(significant) > MAX_LEVEL_DIGITS:
        return None
    return int(significant)


_KNOWN_NAMES: Final = 100_000  # names a rule remembers; more are classified each time


@dataclass(frozen=True)
class RoleRule:
    """Whole-name patterns (case-insensitive) for blanks, standards and controls.

    The standard and control patterns capture the level number in their first group.

    >>> RoleRule(standard=r"cal(\\d+)").classify("Cal2")
    (<Role.STANDARD: 'standard'>, 2)
    >>> RoleRule(standard=r"cal(\\d+)").classify("S2")
    (<Role.SAMPLE: 'sample'>, None)
    """

    blank: str = r"(?:background|blank|blk)\d*"
    standard: str = r"(?:standard|std|s)(\d+)"
    control: str = r"(?:control|ctrl|ctl|qc|c)(\d+)"
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    # Names already classified: every plate repeats the same standard and blank names.
    _known: dict[str, tuple[str, int | None]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        compiled = tuple(
            re.compile(pattern, re.IGNORECASE)
            for pattern in (self.blank, self.standard, self.control)
        )
        for name, pattern in zip((Role.STANDARD, Role.CONTROL), compiled[1:], strict=True):
            if pattern.groups < 1:
                raise ValueError(f"the {name} pattern needs a group capturing the level number")
        object.__setattr__(self, "_compiled", compiled)

    def classify(self, name: str) -> tuple[str, int | None]:
        """Role and level (standard or control number) that a sample name implies."""
        known = self._known.get(name)
        if known is None:
            known = self._classify(name)
            if len(self._known) < _KNOWN_NAMES:
                self._known[name] = known
        return known

    def _classify(self, name: str) -> tuple[str, int | None]:
        text = name.strip()
        blank, standard, control = self._compiled
        if blank.fullmatch(text):
            return Role.BLANK, None
        for role, pattern in ((Role.STANDARD, standard), (Role.CONTROL, control)):
            match = pattern.fullmatch(text)
            level = level_number(match.group(1)) if match and match.group(1) is not None else None
            if level is not None:
                return role, level
        return Role.SAMPLE, None


DEFAULT_RULE: Final = RoleRule()


def classify_name(name: str, rule: RoleRule = DEFAULT_RULE) -> tuple[str, int | None]:
    """Role and level (standard or control number) that a sample name implies.

    >>> classify_name("Standard12")
    (<Role.STANDARD: 'standard'>, 12)
    >>> classify_name("Background0")
    (<Role.BLANK: 'blank'>, None)
    >>> classify_name("QC2")
    (<Role.CONTROL: 'control'>, 2)
    >>> classify_name("B_sid_13_CSP")
    (<Role.SAMPLE: 'sample'>, None)
    """
    return rule.classify(name)
