"""The readers' text patterns that once backtracked over long runs of spaces.

Each was a lazy group before `\\s*` (`(.*?)\\s*\\(`): on a cell of a damaged file with a
long run of spaces where the rest did not follow, the match took time quadratic in the
run's length (50,000 spaces: 2 to 40 s a pattern; 64,000 spaces in a MARS header key,
23 s). Each is now written so that a run of spaces is
taken whole. Two properties:

- on short random texts the new pattern gives what the old one gave (the groups, or no
  match), for the way the reader calls it (`match`, `search`, `sub`; a header key with
  its spaces collapsed, as the MARS and Methodical Mind readers read it);
- on texts of 200,000 characters every pattern ends within a time a quadratic one
  cannot (checked in a child process, which a timeout can stop: a regular expression
  cannot be interrupted in the process that runs it).
"""

from __future__ import annotations

import importlib
import random
import re
import subprocess
import sys
from typing import Any

import pytest

# The patterns as they were (the reference), the module and name of each new one, the
# call the reader makes, and an alphabet that exercises it.
CASES: list[tuple[str, re.Pattern[str], str, str, list[str]]] = [
    (
        "assaypipe.readers.bioplex._WITH_UNIT",
        re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)$"),
        "match",
        "",
        ["a", " ", "\t", "\n", "(", ")", "u", "\u00a0"],
    ),
    (
        "assaypipe.readers.envision._CALC",
        re.compile(r"^\s*(?P<id>Calc\s*\d+)\s*:\s*(?P<name>[^=]*?)\s*(?:=.*)?$", re.I),
        "match",
        "Calc 1:",
        ["a", " ", "\t", "\n", "=", "b", "1", ":"],
    ),
    (
        "assaypipe.readers.envision._LEGEND",
        re.compile(r"^\s*(?P<code>\S+)\s+-\s+(?P<meaning>.+?)\s*$"),
        "match",
        "",
        ["a", " ", "\t", "\n", "-", "b", "S1"],
    ),
    (
        "assaypipe.readers.gen5._REDUCTION",
        re.compile(r"^(?P<stat>.+?)\s*\[(?P<source>.+)\]$"),
        "match",
        "",
        ["a", " ", "\t", "\n", "[", "]", "b"],
    ),
    (
        "assaypipe.sheets._BEAD_REGION",
        re.compile(r"\s*\(\s*\d+\s*\)\s*$"),
        "sub",
        "",
        ["a", " ", "\t", "\n", "(", ")", "1", "2"],
    ),
    (
        "assaypipe.readers.magellan._UNIT_IN_HEADER",
        re.compile(r"[\[(]\s*([^\])]+?)\s*[\])]"),
        "search",
        "",
        ["a", " ", "\n", "(", ")", "[", "]", "u"],
    ),
    (
        "assaypipe.readers.mars._FIELD",
        re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9 .#]*?)\s*(?P<sep>:|=)\s*(?P<value>.*)$"),
        "key",
        "",
        ["a", "B", " ", "\t", ":", "=", "1", ".", "#", "-"],
    ),
    (
        "assaypipe.readers.msd_methodical_mind._HEADER_LINE",
        re.compile(r"^([A-Za-z][^:\t]*?)\s*:\s*(?:\\t)?\s*(.*)$"),
        "key",
        "",
        ["a", " ", "\t", ":", "\\", "t", "1", "\u00a0"],
    ),
    (
        "assaypipe.readers.mars._TRAILING_NUMBER",
        re.compile(r"^(?P<spec>.*?)\s+(?P<number>\d{1,2})$"),
        "match",
        "",
        ["a", " ", "\t", "\n", "1", "2", "x"],
    ),
    (
        "assaypipe.readers.skanit._WAVELENGTH",
        re.compile(r"^Wavelength:\s*(.*?)\s*(?:nm)?\s*$", re.IGNORECASE),
        "match",
        "Wavelength:",
        ["4", " ", "\t", "\n", "n", "m", "N", "x"],
    ),
]


def _new(name: str) -> re.Pattern[str]:
    module, attribute = name.rsplit(".", 1)
    pattern: re.Pattern[str] = getattr(importlib.import_module(module), attribute)
    return pattern


def _outcome(pattern: re.Pattern[str], call: str, text: str) -> Any:
    if call == "sub":
        return pattern.sub("", text)
    if call == "key":
        # A header line: its key as the reader reads it (spaces collapsed), and the rest.
        found = pattern.match(text)
        if found is None:
            return None
        key, *rest = found.groups()
        return " ".join(key.split()), rest
    found = pattern.match(text) if call == "match" else pattern.search(text)
    return None if found is None else (found.span(), found.groups())


@pytest.mark.parametrize(
    ("name", "old", "call", "prefix", "alphabet"), CASES, ids=[c[0] for c in CASES]
)
def test_the_pattern_reads_what_it_read(
    name: str, old: re.Pattern[str], call: str, prefix: str, alphabet: list[str]
) -> None:
    new = _new(name)
    draw = random.Random(name)
    for _ in range(20_000):
        text = prefix + "".join(draw.choice(alphabet) for _ in range(draw.randrange(0, 12)))
        if name.endswith("._UNIT_IN_HEADER") and re.search(r"[\[(]\s+[\])]", text):
            # A bracket holding only spaces gave one space as its unit; now none (no unit).
            continue
        assert _outcome(new, call, text) == _outcome(old, call, text), repr(text)


_LONG = r"""
import importlib, sys
for name, call in zip(sys.argv[1::2], sys.argv[2::2]):
    module, attribute = name.rsplit(".", 1)
    pattern = getattr(importlib.import_module(module), attribute)
    for head in ("a", "Calc 1: a", "Wavelength: a", "x (", "( a", "[ a", "a [", "x - a"):
        for run in (" ", "\t", " 1"):
            for tail in ("", "!", "\n!", ")", "]"):
                text = head + run * (200_000 // len(run)) + tail
                if call == "sub":
                    pattern.sub("", text)
                else:
                    getattr(pattern, "match" if call == "key" else call)(text)
"""


def test_long_runs_of_spaces_are_read_in_linear_time() -> None:
    # Linear, all of them take well under a second; quadratic, one took 40 s on 50,000
    # spaces and would take some ten minutes here.
    calls = [part for name, _, call, _, _ in CASES for part in (name, call)]
    run = subprocess.run(
        [sys.executable, "-c", _LONG, *calls], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
