"""Finding a study's plate exports and plate maps on disk, and batching them into chunks."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assaypipe.errors import InputError
from assaypipe.vocabulary import SubfolderPolicy, values

# Files lab staff may leave beside exports that are not plates.
_IGNORED_SUFFIXES = {".md", ".txt~", ".bak", ".tmp", ".lock"}
# Letters and digits of any script, `.`, `_` and `-` are kept; anything else (spaces,
# slashes, quotes, shell and control characters, direction marks) becomes `_`.
_UNSAFE = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class PlateIndex:
    """The plates of a study by plate_id, the files that could not be given one, and the
    files and folders not taken for plates (each with the reason: they are listed in the
    run summary, so that nothing in the plates folder goes unmentioned)."""

    plates: dict[str, Path]
    rejected: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


# How subfolders of the plates folder are taken (config `plates_subfolders`).
SUBFOLDER_CHOICES = values(SubfolderPolicy)


def path_safe(text: str) -> str:
    """``text`` as part of a file name: letters and digits of any script, ``.``, ``_``
    and ``-`` kept, every run of other characters one ``_``. Accented letters are
    composed first (NFC), so a name a Mac wrote with its accents apart is the one typed.

    >>> path_safe("Müller P1 (MCP-1)")
    'Müller_P1_MCP-1_'
    """
    return _UNSAFE.sub("_", unicodedata.normalize("NFC", text))


def plate_id_for(path: str | Path, folder: str | Path | None = None) -> str:
    """The plate_id of an export: its file name without extension, made path-safe; for
    a file in a subfolder of ``folder``, the subfolders' names and its own joined by
    ``_``.

    >>> plate_id_for("resources/plates/Plate 1 (MCP-1).csv")
    'Plate_1_MCP-1'
    >>> plate_id_for("resources/plates/run 2/P1.csv", "resources/plates")
    'run_2_P1'
    """
    path = Path(path)
    parts = [path.stem]
    if folder is not None:
        parts = [*path.parent.relative_to(folder).parts, path.stem]
    return path_safe("_".join(parts)).strip("_.") or "plate"


def _skip_reason(path: Path) -> str | None:
    """Why a file of the plates folder is not taken for a plate export, or None."""
    name = path.name
    if name.startswith("~$"):
        return "an Office lock file (~$...), left while a workbook is open"
    if name.startswith("."):
        return "a hidden file (its name starts with '.')"
    if path.suffix.lower() in _IGNORED_SUFFIXES:
        return f"a {path.suffix.lower()} file, never a plate export"
    if path.stem.upper() == "README":
        return "a README"
    if not path.is_file():
        return "not a regular file"
    return None


def discover_plates(folder: str | Path, subfolders: str = "read") -> PlateIndex:
    """Every plate export in ``folder`` and, with ``subfolders="read"``, its subfolders
    (with ``"refuse"``, each subfolder is one rejected row naming it), by plate_id.

    Hidden files and folders, README files and editor/lock leftovers are skipped, each
    listed in ``skipped`` with the reason. Files that give the same plate_id are all
    rejected, each with a sentence naming the others: which one is meant cannot be
    guessed, and using either would hide the other's wells.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "the plates folder does not exist; put plate exports there")
    if subfolders not in SUBFOLDER_CHOICES:
        raise ValueError(f"subfolders must be one of {SUBFOLDER_CHOICES}, not {subfolders!r}")
    by_id: dict[str, list[Path]] = {}
    rejected: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    pending = [folder]
    while pending:
        current = pending.pop(0)
        for path in sorted(current.iterdir()):
            if path.is_dir() and not path.is_symlink():
                if path.name.startswith("."):
                    skipped.append(_row(path, "a hidden folder (its name starts with '.')"))
                elif subfolders == "read":
                    pending.append(path)
                else:
                    rejected.append(_refused_folder(path, folder))
                continue
            reason = _skip_reason(path)
            if reason is not None:
                skipped.append(_row(path, reason))
                continue
            by_id.setdefault(plate_id_for(path, folder), []).append(path)
    plates: dict[str, Path] = {}
    for plate_id, paths in sorted(by_id.items()):
        if len(paths) == 1:
            plates[plate_id] = paths[0]
            continue
        for path in paths:
            others = ", ".join(str(p.relative_to(folder)) for p in paths if p != path)
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
    return PlateIndex(plates=plates, rejected=rejected, skipped=skipped)


def _row(path: Path, reason: str) -> dict[str, str]:
    return {"source_file": str(path), "reason": reason}


def _refused_folder(path: Path, folder: Path) -> dict[str, str]:
    n_files = sum(1 for p in path.rglob("*") if p.is_file())
    return {
        "source_file": str(path),
        "where": "folder",
        "reason": (
            f"{path}: is a folder inside the plates folder ({n_files} files in it), and "
            "plates_subfolders is refuse: none of its files is read; move its exports into "
            f"{folder} or set plates_subfolders: read"
        ),
    }


# Plate map file types, in the order they are looked for.
PLATE_MAP_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls")


def plate_map_path(folder: str | Path, plate_id: str) -> Path | None:
    """The plate map for ``plate_id``, ``<folder>/<plate_id>`` with the first of
    :data:`PLATE_MAP_SUFFIXES` that exists, or None. A folder, named pipe or device of
    that name counts too: the plate map reader refuses it, saying what it is, rather
    than the plate being read without its map and without a word."""
    for suffix in PLATE_MAP_SUFFIXES:
        candidate = Path(folder) / f"{plate_id}{suffix}"
        try:
            if candidate.exists():
                return candidate
        except OSError:
            # A name longer than the file system allows (a 255-character export name
            # and a longer suffix, or a subfolder's): no plate map can have it.
            continue
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
