"""Instrument software's own standard curves, in assaypipe's parametrisation.

Each vendor writes its logistic with its own letters; all of them are the curve
``y = d + (a - d) / (1 + (x / c)**b)**g`` of :mod:`assaypipe.curves`, so once the
letters are mapped :func:`assaypipe.curves.predict` and
:func:`assaypipe.curves.inverse` evaluate them. The slope may be negative there:
xPONENT and Bio-Plex Manager write an increasing curve with a negative exponent and
the zero-dose response in their ``A`` (our ``d``). Such a 5PL is not in the family
assaypipe fits (b > 0, whose asymmetry sits at the other end), but it evaluates and
inverts in closed form all the same.

>>> params = xponent_params(A=-0.23, B=4042.4, C=435.96, D=-2.2466, F=0.6073)
>>> round(float(inverse(params, predict(params, 100.0))), 9)
100.0
"""

from __future__ import annotations

import math

import pandas as pd

from assaypipe.curves import inverse, predict

__all__ = ["bioplex_params", "gen5_params", "inverse", "predict", "vendor_params", "xponent_params"]


def xponent_params(A: float, B: float, C: float, D: float, F: float = 1.0) -> dict[str, float]:
    """xPONENT's ``Logistic 5P``: ``y = A + (B - A) / (1 + (x / C)**D)**F``, from its
    Analysis Coefficients (``F = 1`` for ``Logistic 4P``)."""
    return {"a": float(B), "b": float(D), "c": float(C), "d": float(A), "g": float(F)}


def bioplex_params(A: float, B: float, C: float, D: float, E: float = 1.0) -> dict[str, float]:
    """Bio-Plex Manager's ``Logistic - 5PL`` as its summary footer writes it:
    ``FI = A + (B - A) / ((1 + (Conc / C)**D))**E``."""
    return xponent_params(A, B, C, D, E)


def gen5_params(A: float, B: float, C: float, D: float) -> dict[str, float]:
    """Gen5's ``4-Parameter``: ``Y = (A - D) / (1 + (X / C)**B) + D``."""
    return {"a": float(A), "b": float(B), "c": float(C), "d": float(D), "g": 1.0}


def vendor_params(vendor: pd.DataFrame, analyte: str) -> dict[str, float] | None:
    """The vendor's curve of ``analyte`` from a reader's ``vendor`` table
    (``tables.VENDOR_RESULTS``, already in our letters), or None when the export has no
    complete set of coefficients for it."""
    rows = vendor[
        (vendor["analyte"] == analyte)
        & vendor["well"].isna()
        & vendor["quantity"].isin(["a", "b", "c", "d", "g"])
    ]
    values = dict(zip(rows["quantity"].astype(str), rows["value"].astype(float), strict=True))
    if not {"a", "b", "c", "d"} <= values.keys():
        return None
    values.setdefault("g", 1.0)
    if not all(math.isfinite(v) for v in values.values()):
        return None
    return {k: float(values[k]) for k in ("a", "b", "c", "d", "g")}
