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
import platform
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "SUFFIX",
    "KeptEntries",
    "code_key",
    "dump_plain",
    "load_plain",
    "package_source",
    "prune_others",
    "source_digest",
    "write_whole",
]

# The file name ending of the entries of the reads and the curves kept.
SUFFIX = ".pkl"

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


def prune_others(folder: Path, prefixes: Iterable[str]) -> int:
    """Remove the entries whose prefix (before the first ``-``) is not among
    ``prefixes`` (of what is no longer in the study); how many were removed."""
    if not folder.is_dir():
        return 0
    keep = set(prefixes)
    removed = 0
    for path in folder.glob(f"*{SUFFIX}"):
        if path.stem.partition("-")[0] not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@dataclass
class KeptEntries:
    """One run's use of the entries kept in ``folder`` (nothing kept where ``folder`` is
    None): how many it took from there, and the names it used under each prefix."""

    folder: Path | None
    kept: int = 0
    used: dict[str, set[str]] = field(default_factory=dict)

    def prune(self) -> int:
        """Remove the entries under this run's prefixes that it did not use (versions
        of a file or plate since changed); how many were removed."""
        if self.folder is None or not self.used or not self.folder.is_dir():
            return 0
        removed = 0
        # One listing of the folder (it holds the whole study's entries), each entry
        # looked up by its prefix: not a listing per prefix of this run.
        for path in self.folder.glob(f"*{SUFFIX}"):
            prefix, dash, _ = path.stem.partition("-")
            keys = self.used.get(prefix)
            if dash and keys is not None and path.stem not in keys:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def load_entry(self, key: str) -> Any:
        """The entry ``key`` (:func:`load_plain`); None where it is missing, damaged or
        holds anything but plain data."""
        if self.folder is None:
            return None
        try:
            return load_plain((self.folder / f"{key}{SUFFIX}").read_bytes())
        except Exception:
            return None

    def store_entry(self, key: str, entry: Any) -> None:
        """Keep ``entry`` under ``key`` (:func:`dump_plain`, written whole; nothing
        where no folder is set or it cannot be written)."""
        if self.folder is not None:
            write_whole(self.folder / f"{key}{SUFFIX}", dump_plain(entry))


@cache
def code_key(entry_format: int, libraries: tuple[str, ...], *extra: str) -> bytes:
    """What a kept entry depends on besides its inputs: the package's source, the
    layout of the entry, and the versions of Python and of ``libraries`` (and
    ``extra``, such as the processor's instruction sets)."""
    versions = [f"entry {entry_format}", f"python {platform.python_version()}", *extra]
    for library in libraries:
        try:
            versions.append(f"{library} {metadata.version(library)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{library} absent")
    return package_source() + " ".join(versions).encode()
