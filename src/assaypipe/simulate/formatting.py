"""Number, date and file formatting shared by the simulator's writers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np


def round_sig(value: float, digits: int) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - int(np.floor(np.log10(abs(value)))))


def fmt(value: float, decimals: int) -> str:
    """Fixed decimals without trailing zeros, as instruments print: 12, 12.5, -2.75."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def num(value: float) -> str:
    """Shortest text that reads back to the same float; integers without '.0'."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def yes_no(value: bool) -> str:
    return "true" if value else "false"


def clock(moment: datetime, seconds: bool) -> str:
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    tail = f":{moment.second:02d}" if seconds else ""
    return f"{hour}:{moment.minute:02d}{tail} {suffix}"


def long_stamp(moment: datetime) -> str:
    return f"{moment.month}/{moment.day}/{moment.year} {clock(moment, seconds=True)}"


def write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    lines = ["\t".join(header), *("\t".join(r) for r in rows)]
    write_text(path, "\n".join(lines) + "\n", "\n")


def write_text(path: Path, text: str, newline: str) -> None:
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
