"""Reading plate exports: milliseconds per plate, as the workflow's chunk step reads them,
against a plain parse of the same file.

For every registered format, each fixture export (tests/data/exports/<format>/) is read
as a chunk of ``--chunk`` plates (the file given that many plate ids) through
`pipeline.read_plates`, the chunk step's read: the format recognised, the plate
finished (roles, checks, warnings), the chunk's tables built and validated once. The
simulator's xPONENT plates (``assaypipe simulate``, 96-well 4-plex and 1-plex) are read
as one chunk of their own, as a study's are. The plain floor is the same bytes decoded
and split by Python's csv module (text exports), parsed by ElementTree (XML), or
walked cell by cell by openpyxl in read-only mode (workbooks). Both are CPU times
(`time.process_time`), the best of ``--repeat`` runs (the least disturbed one, as
``timeit`` takes it), divided by the plates the file holds.

    .venv/bin/python bench/bench_read.py                      # every format
    .venv/bin/python bench/bench_read.py --formats xponent gen5 --repeat 7
    .venv/bin/python bench/bench_read.py --study /tmp/sim     # a simulated study's plates

The machine's load moves both columns; their ratio moves less. Targets: an xPONENT
96-well plate in at most 4 ms, the other formats within twice their plain parse.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from assaypipe.pipeline import read_plates
from assaypipe.readers.registry import FORMATS
from assaypipe.sheets import read_aliases, read_samples
from assaypipe.study import chunk_plates, discover_plates

REPO = Path(__file__).resolve().parents[1]
EXPORTS = REPO / "tests" / "data" / "exports"


def best_ms(run: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in CPU milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best * 1000


def plain_parse(path: Path) -> Callable[[], object]:
    """The plainest full parse of the file in Python: csv, ElementTree or openpyxl."""
    data = path.read_bytes()
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        import openpyxl

        def workbook() -> object:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            cells = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
            book.close()
            return cells

        return workbook
    if data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return lambda: list(ElementTree.fromstring(data).iter())
    text = _decoded(data)
    delimiter = max((",", ";", "\t"), key=text[:4000].count)
    return lambda: list(csv.reader(io.StringIO(_decoded(data)), delimiter=delimiter))


def _decoded(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def chunk_read(
    plates: Sequence[dict[str, str | None]], samples: pd.DataFrame, aliases: pd.DataFrame
) -> Callable[[], int]:
    """The chunk step's read of ``plates``; returns the plates read."""

    def run() -> int:
        read = read_plates(plates, samples, aliases, chunk="bench")
        return int((read.plates["status"] == "read").sum())

    return run


def fixture_rows(
    formats: Sequence[str], chunk: int, repeat: int, samples: pd.DataFrame, aliases: pd.DataFrame
) -> list[tuple[str, str, int, float, float]]:
    rows = []
    for entry in FORMATS:
        if formats and entry.name not in formats:
            continue
        for path in sorted((EXPORTS / entry.name).glob("*")):
            if not path.is_file():
                continue
            plates = [
                {"plate_id": f"p{k:04d}", "export": str(path), "plate_map": None}
                for k in range(chunk)
            ]
            run = chunk_read(plates, samples, aliases)
            n_plates = run()
            ours = best_ms(run, repeat) / max(n_plates, 1)
            per_file = max(n_plates // chunk, 1)
            plain = best_ms(plain_parse(path), repeat * 3) / per_file
            rows.append((entry.name, path.name, per_file, ours, plain))
    return rows


def study_rows(
    study: Path, repeat: int, prefix: str, format_name: str
) -> list[tuple[str, str, int, float, float]]:
    """The simulated study's plates whose file names start with ``prefix`` (with their
    plate maps), as one chunk."""
    index = discover_plates(study / "resources" / "plates", "read")
    ids = sorted(plate for plate in index.plates if plate.startswith(prefix))
    plates = chunk_plates(index.plates, study / "resources" / "layouts", ids)
    samples = read_samples(study / "config" / "samples.tsv")
    aliases = read_aliases(study / "config" / "analytes.tsv")
    run = chunk_read(plates, samples, aliases)
    n_plates = run()
    ours = best_ms(run, repeat) / n_plates
    floors = [plain_parse(Path(str(plate["export"]))) for plate in plates]
    plain = best_ms(lambda: [floor() for floor in floors], repeat) / len(plates)
    return [(format_name, f"simulated {prefix}* ({n_plates} plates)", 1, ours, plain)]


def simulated(out: Path, n_plates: int) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "assaypipe.cli",
            "simulate",
            "--plates",
            str(n_plates),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", nargs="*", default=[], help="formats to time (all)")
    parser.add_argument("--chunk", type=int, default=40, help="plates per timed chunk (40)")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best is kept (5)")
    parser.add_argument("--study", type=Path, help="a simulated study (default: simulate 60)")
    parser.add_argument("--sim-plates", type=int, default=60, help="plates to simulate (60)")
    args = parser.parse_args()
    samples = read_samples(REPO / "config" / "samples.tsv")
    aliases = read_aliases(REPO / "config" / "analytes.tsv")
    rows = fixture_rows(args.formats, args.chunk, args.repeat, samples, aliases)
    wanted = [
        (f, p)
        for f, p in (("xponent", "luminex_"), ("gen5", "elisa_"))
        if not args.formats or f in args.formats
    ]
    if wanted:
        with tempfile.TemporaryDirectory() as tmp:
            study = args.study or simulated(Path(tmp) / "study", args.sim_plates)
            for format_name, prefix in wanted:
                rows += study_rows(study, args.repeat, prefix, format_name)
    print(
        f"{'format':<20} {'file':<44} {'plates':>6} {'ours ms/plate':>13} "
        f"{'plain ms/plate':>14} {'ratio':>6}"
    )
    for name, file, plates, ours, plain in rows:
        print(
            f"{name:<20} {file[:44]:<44} {plates:>6} {ours:>13.2f} {plain:>14.2f} "
            f"{ours / plain:>6.1f}"
        )


if __name__ == "__main__":
    main()
