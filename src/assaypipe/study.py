"""Finding a study's plate exports and plate maps on disk, and batching them into chunks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from assaypipe.errors import InputError

# Files lab staff may leave beside exports that are not plates.
_IGNORED_SUFFIXES = {".md", ".txt~", ".bak", ".tmp", ".lock"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PlateIndex:
    """The plates of a study by plate_id, and the files that could not be given one."""

    plates: dict[str, Path]
    rejected: list[dict[str, str]] = field(default_factory=list)


def plate_id_for(path: str | Path) -> str:
    """The plate_id of an export: its file name without extension, made path-safe.

    >>> plate_id_for("resources/plates/Plate 1 (MCP-1).csv")
    'Plate_1_MCP-1'
    """
    return _UNSAFE.sub("_", Path(path).stem).strip("_.") or "plate"


def discover_plates(folder: str | Path) -> PlateIndex:
    """Every plate export in ``folder`` (not recursive), by plate_id.

    Hidden files, README files and editor/lock leftovers are skipped. Files that give the
    same plate_id are all rejected, each with a sentence naming the others: which one is
    meant cannot be guessed, and using either would hide the other's wells.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "the plates folder does not exist; put plate exports there")
    by_id: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if (
            not path.is_file()
            or path.name.startswith((".", "~$"))
            or path.suffix.lower() in _IGNORED_SUFFIXES
            or path.stem.upper() == "README"
        ):
            continue
        by_id.setdefault(plate_id_for(path), []).append(path)
    plates: dict[str, Path] = {}
    rejected: list[dict[str, str]] = []
    for plate_id, paths in by_id.items():
        if len(paths) == 1:
            plates[plate_id] = paths[0]
            continue
        for path in paths:
            others = ", ".join(p.name for p in paths if p != path)
            rejected.append(
                {
                    "source_file": str(path),
                    "where": "file",
                    "reason": (
                        f"{path}: gives plate_id {plate_id!r}, as {others} does; "
                        "rename the files so each plate has its own name"
                    ),
                }
            )
    return PlateIndex(plates=plates, rejected=rejected)


# Plate map file types, in the order they are looked for.
PLATE_MAP_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls")


def plate_map_path(folder: str | Path, plate_id: str) -> Path | None:
    """The plate map for ``plate_id``, ``<folder>/<plate_id>`` with the first of
    :data:`PLATE_MAP_SUFFIXES` that exists, or None."""
    for suffix in PLATE_MAP_SUFFIXES:
        candidate = Path(folder) / f"{plate_id}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def chunk_plates(
    plates: dict[str, Path], layouts: str | Path, plate_ids: list[str]
) -> list[dict[str, str | None]]:
    """The plates of one chunk as the read step takes them: id, export, plate map or None."""
    entries: list[dict[str, str | None]] = []
    for plate_id in plate_ids:
        plate_map = plate_map_path(layouts, plate_id)
        entries.append(
            {
                "plate_id": plate_id,
                "export": str(plates[plate_id]),
                "plate_map": str(plate_map) if plate_map is not None else None,
            }
        )
    return entries


def chunk_count(n_plates: int, chunk_size: int) -> int:
    """How many chunks a study of ``n_plates`` is split into: a power of two, the
    largest that still gives every chunk about ``chunk_size`` plates or more (so a
    chunk holds ``chunk_size`` to twice as many).

    A power of two (not n/size itself) keeps every plate in its chunk as plates are
    added, until the study doubles; only then are chunks redrawn. Rounding down makes
    a study of exactly ``chunk_size * 2**k`` plates (1,000 at 250 a chunk) the first of
    its count, not the last, so adding a plate to it redraws nothing.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    wanted = max(1, n_plates // chunk_size)
    return 1 << (wanted.bit_length() - 1)


def chunk_of(plate_id: str, n_chunks: int) -> str:
    """The chunk a plate belongs to, from a hash of its plate_id (stable across runs).

    >>> chunk_of("luminex_4plex_P1", 1)
    'chunk000'
    """
    digest = int.from_bytes(hashlib.sha256(plate_id.encode()).digest()[:8], "big")
    return f"chunk{digest % n_chunks:03d}"


def assign_chunks(plate_ids: list[str] | dict[str, Path], chunk_size: int) -> dict[str, list[str]]:
    """Plates by chunk name; only chunks holding plates are listed, plates sorted."""
    ids = sorted(plate_ids)
    n_chunks = chunk_count(len(ids), chunk_size)
    chunks: dict[str, list[str]] = {}
    for plate_id in ids:
        chunks.setdefault(chunk_of(plate_id, n_chunks), []).append(plate_id)
    return dict(sorted(chunks.items()))
