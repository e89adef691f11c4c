"""What results kept between runs share (the report's figures, `report.figure_cache`;
the exports read, `read_cache`): the digest of the code that made them, and writing
an entry whole."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

__all__ = ["package_source", "source_digest", "write_whole"]


@cache
def package_source() -> bytes:
    """The digest of this package's source (:func:`source_digest`): what a kept
    result depends on besides its inputs."""
    import assaypipe

    return source_digest(Path(str(assaypipe.__file__)).parent)


def source_digest(folder: Path) -> bytes:
    """The SHA-256 of the Python modules under ``folder``, each by its path there and
    its bytes."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.digest()


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` under another name first, then rename it: a run
    stopped halfway leaves no truncated entry under a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(path)
