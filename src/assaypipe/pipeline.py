"""Stage functions the workflow's scripts call: paths and parameters in, frames out.

They keep the scripts to a few lines and hold the one piece of policy that belongs to
the workflow rather than to any module: a bad plate is recorded in the rejected table
and never stops the other plates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa

from assaypipe import tables
from assaypipe.errors import InputError, excerpt
from assaypipe.io import read_table
from assaypipe.layout import annotate_wells
from assaypipe.settings import DEFAULTS, Settings
from assaypipe.vocabulary import CurvePreset

if TYPE_CHECKING:
    from assaypipe.curve_cache import CurveCache
    from assaypipe.kits import KitLot
    from assaypipe.read_cache import ReadCache
    from assaypipe.readers import PlateColumns
    from assaypipe.readers.columns import Columns
    from assaypipe.readers.kit_standards import KitStandards


def read_plate(
    export: str | Path,
    plate_map: str | Path | None,
    plate_id: str,
    signal: str = DEFAULTS.wells.luminex_signal.value,
    read_choice: str = DEFAULTS.wells.read,
    kit_standards: KitStandards | None = None,
) -> tuple[list[PlateColumns], pd.DataFrame | None]:
    """Read one export (one plate, or several for a multi-plate SoftMax file).

    ``read_choice`` is the read to use of a plate-reader export holding several
    (``wells.read``); ``kit_standards`` the kit files' standards. Returns what was
    read (each plate's wells as columns, put together with the chunk's others into one
    table) and, on bad input, no plates and one rejected row naming the file and the
    reason (None when the file was read).
    """
    from assaypipe.readers import read_columns

    try:
        # Validated once for the whole chunk (read_plates), not plate by plate.
        plates = read_columns(
            export,
            plate_map=plate_map,
            plate_id=plate_id,
            signal=signal,
            read=read_choice,
            kit_standards=kit_standards,
        )
        return plates, None
    except InputError as exc:
        rejected = pd.DataFrame(
            [{"source_file": str(export), "where": exc.where or "file", "reason": str(exc)}]
        )
        return [], tables.REJECTED.validate(rejected)
    except MemoryError:
        raise
    except Exception as exc:
        # A file that makes a reader fail in a way it does not foresee is a fault of
        # assaypipe's, not of the file; the chunk's other plates are still read, and the
        # file is rejected, saying so.
        reason = (
            f"{export}: assaypipe could not read this file: its reader stopped with "
            f"{type(exc).__name__} ({excerpt(str(exc))}), a fault in assaypipe; the other "
            "plates are read. Please report it with the file"
        )
        logging.getLogger(__name__).warning("%s", reason)
        rejected = pd.DataFrame([{"source_file": str(export), "where": "file", "reason": reason}])
        return [], tables.REJECTED.validate(rejected)


@dataclass(frozen=True)
class ChunkRead:
    """A chunk's plates read: wells, rejected rows, one row per plate, vendor results."""

    wells: pd.DataFrame
    rejected: pd.DataFrame
    plates: pd.DataFrame
    vendor: pd.DataFrame


def read_plates(
    plates: Sequence[Mapping[str, str | None]],
    sample_sheet: pd.DataFrame,
    aliases: pd.DataFrame,
    *,
    chunk: str,
    signal: str = DEFAULTS.wells.luminex_signal.value,
    read_choice: str = DEFAULTS.wells.read,
    min_bead_count: int = DEFAULTS.wells.min_bead_count,
    kits: Sequence[KitLot] = (),
    on_plate: Callable[[int], object] | None = None,
    vendor_signals: Mapping[str, str] | None = None,
    cache: ReadCache | None = None,
) -> ChunkRead:
    """Read and annotate a chunk of plate exports.

    ``plates`` holds mappings with ``plate_id``, ``export`` and ``plate_map`` (or None).
    ``kits`` are the kit lots (``kits.read_kits``): those giving standards set the
    standards' expected concentrations of the plates they cover, where the plate map
    gives none.
    An export that cannot be read is a rejected row and a ``rejected`` plate row; one
    holding several plates gives a plate row each (``<plate_id>_<plate name>``). The
    others are read as usual, each plate row carrying its reader's warnings.
    ``on_plate`` is called with the number of exports done after each (progress
    reporting). ``vendor_signals`` (format -> signal, ``curves.vendor.VENDOR_SIGNALS``)
    reads an export whose software's curve fit is named in it with the signal that
    software fits instead of ``signal`` (``curves.preset: vendor``). ``cache`` keeps
    what each export gave for the next run (:class:`read_cache.ReadCache`).
    """
    from assaypipe.readers.columns import nunique

    read_one = cache.read_plate if cache is not None else read_plate

    wells_parts: list[PlateColumns] = []
    rejected_parts: list[pd.DataFrame] = []
    runs: list[dict[str, object]] = []
    standards = _kit_standards(kits, aliases)
    for done, plate in enumerate(plates, start=1):
        export = str(plate["export"])
        reads, rejected = read_one(
            export, plate.get("plate_map"), str(plate["plate_id"]), signal, read_choice, standards
        )
        wanted = _vendor_signal(reads, vendor_signals or {})
        if wanted not in ("", signal):
            reads, rejected = read_one(
                export,
                plate.get("plate_map"),
                str(plate["plate_id"]),
                wanted,
                read_choice,
                standards,
            )
        if rejected is not None:
            rejected_parts.append(rejected)
        if not reads:
            runs.append(
                {
                    "plate_id": plate["plate_id"],
                    "source_file": export,
                    "status": "rejected",
                    "n_wells": 0,
                    "n_analytes": 0,
                    "warnings": [],
                }
            )
        for read in reads:
            wells_parts.append(read)
            runs.append(
                {
                    **{key: read.meta.get(key) or None for key in _RUN_KEYS},
                    "plate_id": read.meta["plate_id"],
                    "source_file": export,
                    "source_sha256": read.meta["sha256"],
                    "status": "read",
                    "n_wells": nunique(read.wells["well"]),
                    "n_analytes": nunique(read.wells["analyte_raw"]),
                    "warnings": list(read.warnings),
                }
            )
        if on_plate is not None:
            on_plate(done)
    runs_frame = pd.DataFrame(runs, columns=list(tables.PLATES.columns)).assign(chunk=chunk)
    # Two exports of the chunk giving one plate_id (a multi-plate file's plate named as
    # another file): both rejected before anything is fitted.
    clash = reject_plate_id_clashes(
        tables.PLATES.validate(runs_frame),
        {str(plate["export"]): str(plate["plate_id"]) for plate in plates},
    )
    wells = clash.keep(_wells_table(wells_parts))
    vendor = _vendor_table(wells_parts)
    if not wells.empty:
        wells = annotate_wells(wells, sample_sheet, aliases, min_bead_count=min_bead_count)
    return ChunkRead(
        wells=wells,
        rejected=_concat([*rejected_parts, clash.rejected], tables.REJECTED),
        plates=clash.plates,
        vendor=clash.keep(vendor),
    )


def _wells_table(plates: Sequence[PlateColumns]) -> pd.DataFrame:
    """The plates' wells as one validated table, built once from their columns."""
    return _table([(plate.wells, plate.n_rows) for plate in plates], tables.WELLS)


def _vendor_table(plates: Sequence[PlateColumns]) -> pd.DataFrame:
    """The plates' vendor results as one validated table."""
    parts = [(plate.vendor.columns, plate.vendor.n_rows) for plate in plates]
    return _table(parts, tables.VENDOR_RESULTS)


def _table(parts: Sequence[tuple[Columns, int]], schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Tables given as columns (and their row counts) as one validated frame."""
    from assaypipe.readers.columns import frame_of, stacked

    parts = [part for part in parts if part[1]]
    if not parts:
        return tables.empty(schema)
    names = list(parts[0][0])
    if any(list(columns) != names for columns, _ in parts):
        # Tables with different columns, as pandas joins them.
        return _concat([frame_of(columns, n_rows) for columns, n_rows in parts], schema)
    n_rows = sum(n for _, n in parts)
    return schema.validate(frame_of(stacked([columns for columns, _ in parts], names), n_rows))


@dataclass(frozen=True)
class PlateIdClash:
    """Exports rejected for giving a plate_id another export gives too: the plates table
    with each such export as one rejected row, their rejected rows, and the plate_ids
    their rows in the other tables carry (`keep` drops them)."""

    plates: pd.DataFrame
    rejected: pd.DataFrame
    dropped: frozenset[str]

    def keep(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` without the rows of the rejected exports' plates."""
        if not self.dropped or frame.empty:
            return frame
        return frame[~frame["plate_id"].isin(self.dropped)].reset_index(drop=True)


def reject_plate_id_clashes(
    plates: pd.DataFrame, file_ids: Mapping[str, str] | None = None
) -> PlateIdClash:
    """Reject every export that gives a plate_id another export gives too, each rejection
    naming the other files (a multi-plate export's plates are ``<plate_id>_<plate name>``,
    which may be another file's plate_id: using either would hide the other's wells).

    ``plates`` is a plates table (`tables.PLATES`); ``file_ids`` the plate_id each export
    was given from its file name, which its rejected plate row carries (by default the
    plate_id of its first plate).
    """
    read = plates[plates["status"] == "read"]
    files_of = read.groupby("plate_id", sort=True)["source_file"].agg(lambda s: sorted(set(s)))
    clashing = files_of[files_of.map(len) > 1]
    if clashing.empty:
        return PlateIdClash(plates, tables.empty(tables.REJECTED), frozenset())
    reasons: dict[str, list[str]] = {}
    for plate_id, files in clashing.items():
        for file in files:
            others = ", ".join(other for other in files if other != file)
            reasons.setdefault(file, []).append(f"plate_id {plate_id!r}, as {others} does")
    rejected = pd.DataFrame(
        [
            {
                "source_file": file,
                "where": "file",
                "reason": f"{file}: gives {'; and '.join(found)}; rename the files so each "
                "plate has its own name (a file of several plates gives <file name>_<plate "
                "name>)",
            }
            for file, found in sorted(reasons.items())
        ]
    )
    is_rejected = plates["source_file"].isin(set(reasons)) & (plates["status"] == "read")
    dropped = frozenset(plates.loc[is_rejected, "plate_id"].astype(str))
    ids = dict(file_ids or {})
    rows = plates[is_rejected].drop_duplicates("source_file")
    replaced = pd.DataFrame(
        {
            "plate_id": [
                ids.get(f, p) for f, p in zip(rows["source_file"], rows["plate_id"], strict=True)
            ],
            "source_file": rows["source_file"].to_numpy(),
            "status": "rejected",
            "n_wells": 0,
            "n_analytes": 0,
            "warnings": [[] for _ in range(len(rows))],
            "chunk": rows["chunk"].to_numpy(),
        },
        columns=list(tables.PLATES.columns),
    )
    kept = pd.concat([plates[~is_rejected], replaced], ignore_index=True)
    return PlateIdClash(tables.PLATES.validate(kept), tables.REJECTED.validate(rejected), dropped)


def _kit_standards(kits: Sequence[KitLot], aliases: pd.DataFrame) -> KitStandards | None:
    if not kits:
        return None
    from assaypipe.readers.kit_standards import KitStandards

    return KitStandards.of(kits, aliases)


def _vendor_signal(reads: Sequence[PlateColumns], signals: Mapping[str, str]) -> str:
    """The signal the export's software fits, where it names its fit; else ""."""
    if not reads or not signals:
        return ""
    wanted = signals.get(str(reads[0].meta.get("format") or ""), "")
    names_fit = any(
        "model" in np.asarray(read.vendor.columns["quantity"], dtype=object).tolist()
        for read in reads
        if read.vendor.n_rows
    )
    return wanted if names_fit else ""


@dataclass(frozen=True)
class ChunkResult:
    """A chunk processed: its plates read, curves fitted and every well interpolated."""

    wells: pd.DataFrame
    curves: pd.DataFrame
    rejected: pd.DataFrame
    plates: pd.DataFrame
    vendor: pd.DataFrame


def process_chunk(
    plates: Sequence[Mapping[str, str | None]],
    sample_sheet: pd.DataFrame,
    aliases: pd.DataFrame,
    *,
    chunk: str,
    settings: Settings = DEFAULTS,
    kits: Sequence[KitLot] = (),
    on_plate: Callable[[int], object] | None = None,
    cache: ReadCache | None = None,
    curve_cache: CurveCache | None = None,
) -> ChunkResult:
    """Read a chunk's plates (:func:`read_plates`, as ``settings.wells`` says, the
    exports read by an earlier run taken from ``cache``), fit every curve of the chunk
    in one batch (``settings.curves``; the plates fitted by an earlier run taken from
    ``curve_cache``) and interpolate its wells.

    One job does all three: each job of a workflow pays for starting Python and its
    libraries, which would cost more than the work on a chunk of a few hundred plates.
    """
    from assaypipe.curve_cache import CurveCache
    from assaypipe.curves.vendor import VENDOR_SIGNALS
    from assaypipe.interpolate import interpolate_wells
    from assaypipe.vendor_curves import in_wells_terms

    vendor_mode = settings.curves.preset == CurvePreset.VENDOR
    read = read_plates(
        plates,
        sample_sheet,
        aliases,
        chunk=chunk,
        signal=settings.wells.luminex_signal.value,
        read_choice=settings.wells.read,
        min_bead_count=settings.wells.min_bead_count,
        kits=kits,
        on_plate=on_plate,
        vendor_signals=VENDOR_SIGNALS if vendor_mode else None,
        cache=cache,
    )
    fitted = (curve_cache or CurveCache(None)).fit(
        read.wells,
        settings.curves,
        plates=read.plates,
        vendor=in_wells_terms(read.vendor, read.wells),
    )
    return ChunkResult(
        wells=interpolate_wells(read.wells, fitted),
        curves=fitted,
        rejected=read.rejected,
        plates=read.plates,
        vendor=read.vendor,
    )


_RUN_KEYS = (
    "format",
    "instrument",
    "software",
    "software_version",
    "serial_number",
    "batch",
    "run_time",
    "kit_lot",
    "unit",
    "plate_name",
)


def _concat(frames: Sequence[pd.DataFrame], schema: pa.DataFrameSchema) -> pd.DataFrame:
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return tables.empty(schema)
    return schema.validate(pd.concat(frames, ignore_index=True))


def concat_tables(
    paths: Sequence[str | Path],
    schema: pa.DataFrameSchema,
    first_rows: Sequence[Mapping[str, object]] = (),
) -> pd.DataFrame:
    """Concatenate per-chunk tables in the given order, keeping the schema when empty.

    ``first_rows`` go before the tables' rows (the files rejected before any chunk ran).
    """
    frames = [pd.DataFrame(list(first_rows))] if first_rows else []
    return _concat(frames + [read_table(path) for path in paths], schema)


_STUDY_TABLES = {
    "wells": tables.WELLS,
    "curves": tables.CURVES,
    "plates": tables.PLATES,
    "vendor": tables.VENDOR_RESULTS,
    "rejected": tables.REJECTED,
}


def collect_study(
    paths: Mapping[str, Sequence[str | Path]],
    rejected_files: Sequence[Mapping[str, object]] = (),
    file_ids: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The study-wide wells, curves, plates, vendor and rejected tables from the chunks'
    (``paths``: name -> the chunks' files), the files rejected before any chunk ran
    first among the rejected. Exports of different chunks that give one plate_id are
    rejected here (:func:`reject_plate_id_clashes`; ``file_ids``: export -> plate_id):
    their rows leave the study tables (a chunk's partition of ``results/dataset`` keeps
    what the chunk read)."""
    frames = {
        name: concat_tables(paths[name], schema, rejected_files if name == "rejected" else ())
        for name, schema in _STUDY_TABLES.items()
    }
    clash = reject_plate_id_clashes(frames["plates"], file_ids)
    for name in ("wells", "curves", "vendor"):
        frames[name] = clash.keep(frames[name])
    frames["plates"] = clash.plates
    frames["rejected"] = _concat([frames["rejected"], clash.rejected], tables.REJECTED)
    return frames
