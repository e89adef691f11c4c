"""What results kept between runs share (the report's figures, `report.figure_cache`;
the exports read, `read_cache`): the digest of the code that made them, and writing
an entry whole."""

from __future__ import annotations

import contextlib
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


def write_whole(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` under another name first, then rename it: a run
    stopped halfway leaves no truncated entry under a key. Whether it was written: an
    entry that cannot be (a full disk, a folder that cannot be written) is not an
    error, only work the next run does again."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return False
    return True
