"""What results kept between runs share (the report's figures, `report.figure_cache`;
the exports read, `read_cache`; the curves fitted, `curve_cache`): the digest of the
code that made them, writing an entry whole, and entries of plain data loaded by an
unpickler that builds nothing else."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import io
import os
import pickle
import zlib
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["dump_plain", "load_plain", "package_source", "source_digest", "write_whole"]

# What an entry may hold besides plain values: arrays, their dtypes, and the
# package's vocabulary (enums).
_NUMPY_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
    }
)


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


def dump_plain(entry: Any) -> bytes:
    """``entry`` pickled and compressed (level 1: the texts repeat)."""
    return zlib.compress(pickle.dumps(entry, protocol=5), 1)


def load_plain(data: bytes) -> Any:
    """What :func:`dump_plain` made, built by :class:`_Loader`: raises on anything that
    is not plain data, numpy arrays or the vocabulary's enums."""
    return _Loader(io.BytesIO(zlib.decompress(data))).load()


class _Loader(pickle.Unpickler):
    """Builds arrays, their dtypes and the vocabulary's enums; refuses anything else."""

    def find_class(self, module: str, name: str) -> Any:
        from assaypipe import vocabulary

        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        if module == vocabulary.__name__:
            found = getattr(vocabulary, name, None)
            if isinstance(found, type) and issubclass(found, enum.Enum):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not kept in an entry")
