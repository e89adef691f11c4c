"""Westgard rules on z-scores (value minus the guide-set mean, over its SD).

A rule is reported at the run that completes its pattern: the run a lab would hold.
Comparisons are strict ("exceeds 2 SD" is ``|z| > 2``), as in Westgard's own wording.

Across runs of one series (a control level, a curve parameter):

- ``1-2s`` (warning): one run beyond 2 SD;
- ``1-3s``: one run beyond 3 SD;
- ``2-2s``: two consecutive runs beyond 2 SD on the same side;
- ``R-4s``: two consecutive runs beyond 2 SD on opposite sides (a range above 4 SD);
- ``4-1s``: four consecutive runs beyond 1 SD on the same side;
- ``10-x``: ten consecutive runs on the same side of the mean.

Within one run, across the control levels of an analyte, ``2-2s`` (two levels beyond
2 SD on the same side) and ``R-4s`` (one level above +2 SD, another below -2 SD) are
checked by :func:`within_run`.

>>> westgard([0.5, 2.4, 2.2, -0.1])
[(), ('1-2s',), ('1-2s', '2-2s'), ()]
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

from assaypipe.vocabulary import QcStatus, WestgardRule, values

WARN_RULES = (WestgardRule.WARN_1_2S.value,)
REJECT_RULES = tuple(rule for rule in values(WestgardRule) if rule not in WARN_RULES)
RULES = WARN_RULES + REJECT_RULES


def check_rules(rules: Collection[str]) -> None:
    """Raise ValueError naming a rule that is not one of :data:`RULES`."""
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise ValueError(f"unknown Westgard rule(s) {unknown}; known: {list(RULES)}")


def westgard(z: Sequence[float], rules: Collection[str] = RULES) -> list[tuple[str, ...]]:
    """The rules each run of a series violates, in the order of :data:`RULES`.

    A NaN z (a run without this series) is skipped: the runs before and after it count
    as consecutive, since the question is whether the series drifted, not whether a
    plate happened to lack it.
    """
    check_rules(rules)
    present = [i for i, value in enumerate(z) if math.isfinite(value)]
    values = [float(z[i]) for i in present]
    out: list[tuple[str, ...]] = [() for _ in z]
    for position, index in enumerate(present):
        # Only the last ten runs can complete a rule, so the history need go no further.
        hits = _violations(values[max(0, position - 9) : position + 1])
        out[index] = tuple(rule for rule in RULES if rule in hits and rule in rules)
    return out


def _violations(history: Sequence[float]) -> set[str]:
    """Rules completed by the last value of ``history``."""
    z = history[-1]
    hits: set[str] = set()
    if abs(z) > 2:
        hits.add("1-2s")
    if abs(z) > 3:
        hits.add("1-3s")
    if len(history) >= 2:
        previous = history[-2]
        if (z > 2 and previous > 2) or (z < -2 and previous < -2):
            hits.add("2-2s")
        if (z > 2 and previous < -2) or (z < -2 and previous > 2):
            hits.add("R-4s")
    if _same_side(history[-4:], 4, 1.0):
        hits.add("4-1s")
    if _same_side(history[-10:], 10, 0.0):
        hits.add("10-x")
    return hits


def _same_side(window: Sequence[float], length: int, limit: float) -> bool:
    if len(window) < length:
        return False
    return all(v > limit for v in window) or all(v < -limit for v in window)


def within_run(
    z: Mapping[str, float], rules: Collection[str] = RULES
) -> dict[str, tuple[str, ...]]:
    """Within-run rules across the control levels of one analyte on one plate.

    Returns, for each level that takes part in a violation, the rules it takes part in.

    >>> within_run({"Control1": 2.5, "Control2": -2.1})
    {'Control1': ('R-4s',), 'Control2': ('R-4s',)}
    """
    check_rules(rules)
    finite = {name: value for name, value in z.items() if math.isfinite(value)}
    above = [name for name, value in finite.items() if value > 2]
    below = [name for name, value in finite.items() if value < -2]
    hits: dict[str, set[str]] = {}
    if "2-2s" in rules:
        for side in (above, below):
            if len(side) >= 2:
                for name in side:
                    hits.setdefault(name, set()).add("2-2s")
    if "R-4s" in rules and above and below:
        for name in above + below:
            hits.setdefault(name, set()).add("R-4s")
    return {
        name: tuple(rule for rule in RULES if rule in found) for name, found in sorted(hits.items())
    }


def rule_status(rules: Collection[str]) -> str:
    """``fail`` when a rejection rule is among ``rules``, ``warn`` for 1-2s alone, else ``pass``."""
    if any(rule in REJECT_RULES for rule in rules):
        return QcStatus.FAIL
    if any(rule in WARN_RULES for rule in rules):
        return QcStatus.WARN
    return QcStatus.PASS
