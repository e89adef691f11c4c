"""Names from plate files and sheets as figures show them and as figure files are named.

Such names are data: matplotlib reads ``$...$`` in a text as math markup (and fails on
some, like ``$\\frac{a}{$``), a name of thousands of characters outgrows any figure, and
used as a file name a name could leave its folder (``../x``) or pass the file system's
limit on a name's length.

>>> print(shown("$x$"))
\\$x\\$
>>> shown("plate_of_the_first_run_01", limit=12)
'plate_…un_01'
>>> file_stem("P1", "IL-8 (27)")
'P1--IL-8_27-016f5e61e5'
"""

from __future__ import annotations

import hashlib
import re

# Longest name a figure shows; longer ones are cut and end in an ellipsis.
MAX_SHOWN = 60
# Longest part of a figure file name taken from one name.
MAX_FILE_PART = 40
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def shown(label: object, limit: int = MAX_SHOWN) -> str:
    """``label`` as matplotlib text: math markup off, and at most ``limit`` characters
    (a longer one keeps its start and its end, where names of a series differ)."""
    text = str(label)
    if len(text) > limit:
        head = (limit - 1) // 2 + (limit - 1) % 2
        text = text[:head] + "…" + text[len(text) - (limit - 1 - head) :]
    return text.replace("$", r"\$")


def file_stem(*parts: object) -> str:
    """A file name (without suffix) for a figure of the named things: a short form of
    each name in letters, digits, ``_`` and ``-``, joined by ``--``, then a hash of the
    names as given, so two names that shorten alike still get two files."""
    raw = "\x1f".join(str(part) for part in parts)
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    short = [_short_part(_UNSAFE.sub("_", str(part)).strip("_")) for part in parts]
    return "--".join(short).strip("-") + f"-{digest}" if any(short) else f"figure-{digest}"


def _short_part(part: str) -> str:
    """At most MAX_FILE_PART characters: a long part keeps its start and its end."""
    if len(part) <= MAX_FILE_PART:
        return part
    head = MAX_FILE_PART // 2
    return f"{part[:head].rstrip('_')}_{part[len(part) - (MAX_FILE_PART - head - 1) :].lstrip('_')}"
