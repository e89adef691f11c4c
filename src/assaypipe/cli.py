"""The ``assaypipe`` command line.

    assaypipe simulate --seed N --out DIR [--msd] [--noise X] [--drift SD] [--hook SHARE]
                       [--unit pg/mL|ng/mL] [--effect X] [--near-lloq SHARE]
                       [--borderline SHARE]
    assaypipe read FILE [--plate-map MAP] [--read READ] [--kit KIT.yaml] -o OUT.parquet
    assaypipe formats [--markdown readme|docs]

Bad input prints one line, ``error: FILE: reason``, and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from assaypipe import __version__
from assaypipe.errors import InputError, visible
from assaypipe.simulate.cli import add_simulate_command

EXIT_INPUT_ERROR = 2


def check_output(path: str | Path) -> None:
    """Refuse an output path that cannot be written, before any work: a folder, a file
    in a folder that does not exist, or in one that is not writable."""
    out = Path(path)
    if out.is_dir():
        raise InputError(out, "is a folder; give a file name for the output, e.g. wells.parquet")
    folder = out.parent
    if not folder.is_dir():
        raise InputError(
            out, f"the folder {folder} does not exist; create it or give another output path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(out, f"the folder {folder} is not writable; give another output path")


def _read(args: argparse.Namespace) -> int:
    import pandas as pd

    from assaypipe.io import write_table
    from assaypipe.readers import read_exports
    from assaypipe.readers.kit_standards import KitStandards

    check_output(args.output)
    standards = None
    if args.kit:
        from assaypipe.kits import read_kits
        from assaypipe.sheets import read_aliases

        aliases = read_aliases(args.analytes) if args.analytes else None
        standards = KitStandards.of(read_kits(args.kit, aliases), aliases)
    plates = read_exports(
        args.file,
        plate_map=args.plate_map,
        plate_id=args.plate_id,
        signal=args.signal,
        read=args.read,
        kit_standards=standards,
    )
    wells = pd.concat([plate.wells for plate in plates], ignore_index=True)
    try:
        write_table(wells, args.output, command="assaypipe read")
    except OSError as exc:
        raise InputError(args.output, f"cannot be written ({exc.strerror})") from None
    for plate in plates:
        n_wells = plate.wells["well"].nunique()
        print(
            f"{args.file}: plate {plate.meta['plate_id']} ({plate.meta['format']}): "
            f"{n_wells} wells, {len(plate.wells)} rows, {len(plate.warnings)} warnings -> "
            f"{args.output}"
        )
        for warning in plate.warnings:
            print(f"  warning: {warning}")
    return 0


def _formats(args: argparse.Namespace) -> int:
    from assaypipe.readers.registry import FORMATS, markdown_table

    if args.markdown:
        print(markdown_table(args.markdown), end="")
        return 0
    for entry in FORMATS:
        print(f"{entry.name:<12} {entry.software} ({entry.export}); plate map: {entry.plate_map}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assaypipe",
        description="Luminex and ELISA plate exports to concentrations, QC and statistics.",
    )
    parser.add_argument("--version", action="version", version=f"assaypipe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    add_simulate_command(commands)

    read = commands.add_parser("read", help="read one plate export into the tidy wells table")
    read.add_argument("file", help="plate export (any format of docs/formats.md)")
    read.add_argument("--plate-map", help="plate map CSV, long or grid form (docs/formats.md)")
    read.add_argument(
        "--signal", choices=["median", "net_mfi"], default="median", help="Luminex signal"
    )
    read.add_argument(
        "--read",
        default="",
        help="plate readers holding several reads: the read to use (e.g. 450, 'Read 2')",
    )
    read.add_argument(
        "--kit",
        action="append",
        default=[],
        help="kit file whose standards apply (repeatable; docs/qc.md); its plates patterns "
        "are matched against the plate id",
    )
    read.add_argument(
        "--analytes", help="analyte alias table (config/analytes.tsv) to match kit analytes"
    )
    read.add_argument("--plate-id", help="plate id (default: the file name without extension)")
    read.add_argument("-o", "--output", required=True, help="output parquet file")
    read.set_defaults(run=_read)

    formats = commands.add_parser("formats", help="list the plate export formats read")
    formats.add_argument(
        "--markdown",
        choices=["readme", "docs"],
        help="print the format table of the README or of docs/formats.md",
    )
    formats.set_defaults(run=_formats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except InputError as exc:
        print(f"error: {visible(str(exc))}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    return status


if __name__ == "__main__":
    sys.exit(main())
