"""Finding a study's plate exports and plate maps on disk."""

from __future__ import annotations

import re
from pathlib import Path

from assaypipe.errors import InputError

# Files lab staff may leave beside exports that are not plates.
_IGNORED_SUFFIXES = {".md", ".txt~", ".bak", ".tmp", ".lock"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def plate_id_for(path: str | Path) -> str:
    """The plate_id of an export: its file name without extension, made path-safe.

    >>> plate_id_for("resources/plates/Plate 1 (MCP-1).csv")
    'Plate_1_MCP-1'
    """
    return _UNSAFE.sub("_", Path(path).stem).strip("_.") or "plate"


def discover_plates(folder: str | Path) -> dict[str, Path]:
    """Every plate export in ``folder`` (not recursive), by plate_id.

    Hidden files, README files and editor/lock leftovers are skipped. Two files that give
    the same plate_id are an error naming both.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "the plates folder does not exist; put plate exports there")
    plates: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if (
            not path.is_file()
            or path.name.startswith((".", "~$"))
            or path.suffix.lower() in _IGNORED_SUFFIXES
            or path.stem.upper() == "README"
        ):
            continue
        plate_id = plate_id_for(path)
        if plate_id in plates:
            raise InputError(
                path,
                f"gives plate_id {plate_id!r}, which {plates[plate_id].name} already has; "
                "rename one of the two files",
            )
        plates[plate_id] = path
    return plates


def plate_map_path(folder: str | Path, plate_id: str) -> Path | None:
    """The plate map for ``plate_id`` (``<folder>/<plate_id>.csv``), if there is one."""
    candidate = Path(folder) / f"{plate_id}.csv"
    return candidate if candidate.is_file() else None
