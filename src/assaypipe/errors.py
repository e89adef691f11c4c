"""The two kinds of failure: bad input (the user can fix it) and bugs (we must)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path


class InputError(Exception):
    """A file or sheet that cannot be used as it is.

    The message is one sentence a lab person can act on: which file, where in it
    (line or well), what was expected and what was found.

    >>> str(InputError("plate7.csv", "no Median block was found", where="line 53"))
    'plate7.csv: line 53: no Median block was found'
    """

    def __init__(self, file: str | Path, message: str, where: str | None = None) -> None:
        self.file = str(file)
        self.where = where
        self.message = bounded(message)
        super().__init__(str(self))

    def __str__(self) -> str:
        location = f"{self.file}: {self.where}: " if self.where else f"{self.file}: "
        return location + self.message


def not_a_file(path: str | Path, what: str) -> str | None:
    """Why the `what` at `path` cannot be read as a file, without opening it: it does not
    exist, is a folder, or is a named pipe or a device (reading one would wait forever
    or never end); None for a regular file (a symbolic link counts as what it points to).

    >>> not_a_file("/", "plate map")
    'this is a folder, not a plate map file'
    >>> not_a_file("/dev/null", "plate map")
    'this is a named pipe or a device, not a plate map file'
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"the {what} does not exist"
    except OSError as error:
        return f"the {what} cannot be read ({error.strerror})"
    if stat.S_ISDIR(mode):
        return f"this is a folder, not a {what} file"
    if not stat.S_ISREG(mode):
        return f"this is a named pipe or a device, not a {what} file"
    return None


# Messages quote values from a file cut short (`excerpt`, `shortened`); a message that
# quotes one whole is cut to this, so that no error prints megabytes of a bad file.
MAX_MESSAGE = 800


def bounded(message: str) -> str:
    """The message, its middle left out when it is longer than `MAX_MESSAGE`: the start
    says what is wrong, the end what to do.

    >>> len(bounded("x" * 10_000)) <= MAX_MESSAGE
    True
    """
    if len(message) <= MAX_MESSAGE:
        return message
    cut = len(message) - MAX_MESSAGE + 5
    return f"{message[: MAX_MESSAGE - 200]} ... {message[MAX_MESSAGE - 200 + cut :]}"


def excerpt(value: object, most: int = 60) -> str:
    """A value from a file as a message shows it (it may be megabytes long): its repr, cut short.

    >>> excerpt("x" * 100, most=10)
    "'xxxxxx..."
    """
    text = repr(value)
    return text if len(text) <= most else text[: most - 3] + "..."


def shortened(text: str, most: int = 60) -> str:
    """A name from a file as a message shows it, unquoted, cut short.

    >>> shortened("CCL2"), shortened("x" * 100, most=10)
    ('CCL2', 'xxxxxxx...')
    """
    return text if len(text) <= most else text[: most - 3] + "..."


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    r"""``text`` with control characters (not line breaks) written as escapes, for a
    terminal: a file name or value from a lab's file may hold an escape sequence.

    >>> visible("ctrl\x07name.csv: \x1b[31mred")
    'ctrl\\x07name.csv: \\x1b[31mred'
    """
    return escaped(text)


def escaped(text: str, characters: re.Pattern[str] = _CONTROL) -> str:
    r"""``text`` with each of ``characters`` (by default the control characters but line
    breaks) written as an escape, ``\x01``: for a page, a workbook or a terminal, which
    would show nothing or choke on it."""
    return characters.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


class AssaypipeBugError(RuntimeError):
    """An internal inconsistency: never caused by input, always worth a bug report."""
