"""assaypipe: plate exports to standard-curve concentrations, QC and study statistics."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("assaypipe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
