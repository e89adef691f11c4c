"""How each instrument software fits its standards (``curves.preset: vendor``).

Each recipe was worked out against the software's own results in real exports (see
docs/curves.md for the figures):

- xPONENT ``Logistic 5P``: ``y = A + (B - A) / (1 + (x / C)**D)**F`` on Net MFI with
  ``D < 0``, least squares weighted by ``1 / y**2`` of the observed signal (a signal
  of exactly 0 weighs 1), every standard well, negative signals included. Refitted
  so, the exported coefficients come back to 1e-7.
- Bio-Plex Manager ``Logistic - 5PL``: the same family on FI, weighted ``1 / y**2``.
  Its equation is written on FI - Bkgd, which shifts only the asymptote; the export
  keeps only the replicates' mean, so this is close to, not exactly, its fit.
- Gen5 ``Y = (A-D)/(1+(X/C)^B) + D`` (and the 5PL with ``^E``): unweighted least
  squares on every standard well, the zero standard included (as the response at
  zero dose).
- SoftMax Pro: its exports do not name the curve fit; its default for standards, an
  unweighted 4-parameter logistic on every standard well with the zero standard, is
  used (and said so in the curve's reasons).

A negative slope is fitted as assaypipe's own family in ``1 / x`` (the curves are the
same), then written back with ``b < 0`` and ``c`` inverted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe.curves.model import FloatArray
from assaypipe.vocabulary import CurvePreset, values

PRESETS: Final = values(CurvePreset)

# The signal each software fits, by the reader's format name (plates.format), as the
# readers' ``signal`` option names it: in vendor mode a plate is read with it.
VENDOR_SIGNALS: Final[Mapping[str, str]] = {"xponent": "net_mfi", "bioplex": "median"}


@dataclass(frozen=True)
class VendorFit:
    """One software's curve fit: the model, the weights, which points it fits."""

    software: str
    model: str
    weighting: str
    negative_slope: bool
    zero_dose: bool
    described: str

    def weights(self, signal: npt.ArrayLike) -> FloatArray:
        """Each point's weight: 1 (``none``), or ``1 / y**2`` with 1 where y = 0."""
        y = np.asarray(signal, dtype=float)
        if self.weighting == "none":
            return np.ones_like(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y == 0, 1.0, 1.0 / y**2)

    def reason(self) -> str:
        return f"fitted as {self.software} does: {self.described}"


_XPONENT_5P = VendorFit(
    "xPONENT",
    "5PL",
    "1/y^2",
    negative_slope=True,
    zero_dose=False,
    described="Logistic 5P on Net MFI, weights 1/y^2, every standard well",
)
_BIOPLEX_5PL = VendorFit(
    "Bio-Plex Manager",
    "5PL",
    "1/y^2",
    negative_slope=True,
    zero_dose=False,
    described="Logistic - 5PL on FI, weights 1/y^2, every standard well",
)
_GEN5_4PL = VendorFit(
    "Gen5",
    "4PL",
    "none",
    negative_slope=False,
    zero_dose=True,
    described="4-parameter logistic, unweighted, every standard well with the zero standard",
)
_GEN5_5PL = VendorFit(
    "Gen5",
    "5PL",
    "none",
    negative_slope=False,
    zero_dose=True,
    described="5-parameter logistic, unweighted, every standard well with the zero standard",
)
_SOFTMAX_4PL = VendorFit(
    "SoftMax Pro",
    "4PL",
    "none",
    negative_slope=False,
    zero_dose=True,
    described=(
        "its export names no curve fit, so its default for standards: a 4-parameter "
        "logistic, unweighted, every standard well with the zero standard"
    ),
)

# Vendor model texts, compacted (no spaces, upper case), by format.
_MODELS: Final[Mapping[str, Mapping[str, VendorFit]]] = {
    "xponent": {"LOGISTIC5P": _XPONENT_5P},
    "bioplex": {"LOGISTIC-5PL": _BIOPLEX_5PL},
    "gen5": {"Y=(A-D)/(1+(X/C)^B)+D": _GEN5_4PL, "Y=D+(A-D)/(1+(X/C)^B)^E": _GEN5_5PL},
}


def vendor_fit(fmt: str, software: str, model: str) -> VendorFit | str:
    """The recipe of a plate x analyte, from its plate's format and software and the
    model text its export gives (vendor_results quantity ``model``; "" when none); or
    the reason vendor mode falls back to assaypipe's fit.

    >>> vendor_fit("xponent", "xPONENT", "Logistic 5P").model
    '5PL'
    >>> vendor_fit("gen5", "Gen5", "Y=A*X+B")
    "Gen5's curve Y=A*X+B is not a fit assaypipe reproduces"
    """
    name = software or fmt or "the instrument software"
    if fmt == "softmax":
        return _SOFTMAX_4PL
    known = _MODELS.get(fmt)
    if known is None:
        return f"how {name} fits its standards is not known to assaypipe"
    if not model:
        return f"the export does not say how {name} fitted this analyte"
    recipe = known.get(model.replace(" ", "").upper())
    if recipe is None:
        return f"{name}'s curve {model} is not a fit assaypipe reproduces"
    return recipe


def plate_models(vendor: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The model text of each plate x analyte of a vendor results table."""
    rows = vendor[(vendor["quantity"] == "model") & vendor["well"].isna()]
    keys = zip(rows["plate_id"].astype(str), rows["analyte"].astype(str), strict=True)
    return dict(zip(keys, rows["raw_text"].astype(str), strict=True))


def reflected_params(params: Mapping[str, float]) -> dict[str, float]:
    """A curve fitted in ``1 / x`` as the same curve in ``x``: ``b`` negated, ``c``
    inverted (and back: the map is its own inverse)."""
    c = float(params["c"])
    return {
        "a": float(params["a"]),
        "b": -float(params["b"]),
        "c": 1.0 / c if c != 0 else math.nan,
        "d": float(params["d"]),
        "g": float(params["g"]),
    }


def reflected_vcov(vcov: FloatArray, c_fitted: float) -> FloatArray:
    """The covariance of (a, b, c, d, g) after :func:`reflected_params`, from the one of
    the fit in ``1 / x`` whose ``c`` was ``c_fitted`` (delta method)."""
    jacobian = np.diag([1.0, -1.0, -1.0 / c_fitted**2, 1.0, 1.0])
    return np.asarray(jacobian @ vcov @ jacobian.T, dtype=float)
