"""Exports read once: a folder of exports read as one chunk, without the read cache, filling
it, and taken from it, as a chunk job run again reads them.

Every file under FOLDER (subfolders included) is one plate of the chunk, read by
`pipeline.read_plates` with the demo's sample sheet and analytes; the cache is a fresh
temporary folder. Prints the CPU seconds of each of the three reads (best of
``--repeat``), the ms per export, how many exports were read and kept, and whether the
chunk's four tables are equal (values and dtypes) with and without the cache.

    .venv/bin/python bench/bench_read_cache.py /tmp/study/resources/plates
    .venv/bin/python bench/bench_read_cache.py ../shared/realdata --repeat 3

Files modified in the last 2 seconds are not kept (the reader's check that a file is
not still being written runs on them), so give a folder written before.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from assaypipe.pipeline import ChunkRead, read_plates
from assaypipe.read_cache import ReadCache
from assaypipe.sheets import read_aliases, read_samples

CONFIG = Path(__file__).parents[1] / "config"
TABLES = ("wells", "rejected", "plates", "vendor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of plate exports")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each read (best taken)")
    args = parser.parse_args()
    files = sorted(path for path in args.folder.rglob("*") if path.is_file())
    plates = [
        {"plate_id": f"p{i:05d}", "export": str(path), "plate_map": None}
        for i, path in enumerate(files)
    ]
    sheet = read_samples(CONFIG / "samples.tsv")
    aliases = read_aliases(CONFIG / "analytes.tsv")

    def chunk(cache: ReadCache | None) -> tuple[ChunkRead, float]:
        start = time.process_time()
        read = read_plates(plates, sheet, aliases, chunk="chunk000", cache=cache)
        return read, time.process_time() - start

    with tempfile.TemporaryDirectory() as folder:
        plain = min((chunk(None) for _ in range(args.repeat)), key=lambda run: run[1])
        filled = chunk(ReadCache(Path(folder)))
        kept_runs = []
        for _ in range(args.repeat):
            cache = ReadCache(Path(folder))
            kept_runs.append((*chunk(cache), cache))
        kept_read, kept_cpu, cache = min(kept_runs, key=lambda run: run[1])
    n = max(len(files), 1)
    for label, cpu in (("no cache", plain[1]), ("filling", filled[1]), ("kept", kept_cpu)):
        print(f"{label:>9}: {cpu:6.2f} s CPU, {1000 * cpu / n:6.2f} ms per export")
    same = all(_same(getattr(plain[0], t), getattr(kept_read, t)) for t in TABLES)
    print(
        f"{len(files)} exports: {cache.read} read, {cache.kept} kept; "
        f"tables equal with and without the cache: {same}"
    )


def _same(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    return left.equals(right) and list(left.dtypes) == list(right.dtypes)


if __name__ == "__main__":
    main()
