"""Reading plate exports: milliseconds per plate, per file.

Reads each file (by default the demo study's plates, with their plate maps) many times
in this process and prints the best time per read (the least disturbed run, as
``timeit`` takes it) in CPU milliseconds, so two checkouts can be compared on a busy
machine: run it in each with the same arguments. Two figures per file: `read_exports`
as a caller of the package gets it (every table validated against its schema, about
15-20 ms a file), and as the workflow's chunk step reads it (tables validated once
per chunk of up to 500 plates, so that cost is shared).

    .venv/bin/python bench/bench_read.py                 # the demo's three plates
    .venv/bin/python bench/bench_read.py FILE [FILE ...] --repeat 50
    .venv/bin/python bench/bench_read.py ../shared/realdata/allotropy/bmg_mars/* --repeat 10

A file that is refused is timed to its refusal and marked so.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from assaypipe.errors import InputError
from assaypipe.readers import read_exports

REPO = Path(__file__).resolve().parents[1]


def best_ms(
    path: Path, plate_map: Path | None, repeat: int, validate: bool = True
) -> tuple[float, int | None]:
    """The fastest of ``repeat`` reads in CPU ms, and the plates the file holds (None:
    refused)."""
    best = float("inf")
    plates: int | None = 0
    for _ in range(repeat):
        start = time.process_time()
        try:
            plates = len(
                read_exports(path, plate_map=plate_map, settle_seconds=0, validate=validate)
            )
        except InputError:
            plates = None
        best = min(best, time.process_time() - start)
    return best * 1000, plates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    files = args.files or sorted((REPO / "resources" / "plates").iterdir())
    layouts = REPO / "resources" / "layouts"
    total = [0.0, 0.0]
    print("validated  in a chunk  plates")
    for path in files:
        if not path.is_file() or path.name.startswith("."):
            continue
        plate_map = layouts / f"{path.stem}.csv"
        layout = plate_map if plate_map.is_file() else None
        ms, plates = best_ms(path, layout, args.repeat)
        chunk_ms, _ = best_ms(path, layout, args.repeat, validate=False)
        total = [total[0] + ms, total[1] + chunk_ms]
        read = "refused   " if plates is None else f"{plates} plate(s)"
        print(f"{ms:6.1f} ms  {chunk_ms:7.1f} ms  {read}  {path.name}")
    print(f"{total[0]:6.1f} ms  {total[1]:7.1f} ms  in all")


if __name__ == "__main__":
    main()
