"""What a chunk job's pruning of a cache folder costs (`kept.KeptEntries.prune`).

A folder holds one entry per plate of a study of N plates (N given, 1,000 and 10,000 by
default); a chunk job that used 250 of them prunes it. Prints the CPU time of the prune
(best of ``--repeat``), which removes nothing here: every entry is the one in use.

    .venv/bin/python bench/bench_prune.py [--sizes 1000 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from assaypipe.kept import SUFFIX, KeptEntries

CHUNK = 250


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            prefixes = [hashlib.sha256(str(i).encode()).hexdigest()[:16] for i in range(n)]
            for prefix in prefixes:
                (folder / f"{prefix}-{'0' * 64}{SUFFIX}").write_bytes(b"x")
            used = {prefix: {f"{prefix}-{'0' * 64}"} for prefix in prefixes[:CHUNK]}
            best = float("inf")
            for _ in range(args.repeat):
                start = time.process_time()
                removed = KeptEntries(folder, used=used).prune()
                best = min(best, time.process_time() - start)
            assert removed == 0
            print(f"{n:>7} entries, {CHUNK} plates in the chunk: prune {1000 * best:8.1f} ms CPU")


if __name__ == "__main__":
    main()
