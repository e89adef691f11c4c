"""vendor_curves: the instruments' curve equations in our letters.

Reference: each software's equation written out as its manual gives it, evaluated
directly and compared with curves.model.predict of the converted parameters.
"""

from __future__ import annotations

import numpy as np

from assaypipe.curves.model import predict
from assaypipe.vendor_curves import ASSUMED_BASIS, bioplex_params, gen5_params, xponent_params
from assaypipe.vocabulary import VendorBasis

X = np.array([0.8, 3.2, 12.8, 51.2, 204.8, 819.2])


def test_xponent_logistic_5p() -> None:
    A, B, C, D, F = 35.0, 24000.0, 180.0, 1.2, 0.8
    xponent = A + (B - A) / (1 + (X / C) ** D) ** F
    np.testing.assert_allclose(predict(xponent_params(A, B, C, D, F), X), xponent, rtol=1e-12)


def test_bioplex_logistic_5pl_is_the_same_equation() -> None:
    A, B, C, D, E = 12.0, 18000.0, 90.0, -1.1, 1.3
    bioplex = A + (B - A) / (1 + (X / C) ** D) ** E
    np.testing.assert_allclose(predict(bioplex_params(A, B, C, D, E), X), bioplex, rtol=1e-12)


def test_gen5_four_parameter() -> None:
    A, B, C, D = 0.05, 1.4, 40.0, 2.9
    gen5 = (A - D) / (1 + (X / C) ** B) + D
    np.testing.assert_allclose(predict(gen5_params(A, B, C, D), X), gen5, rtol=1e-12)


def test_assumed_bases_are_vendor_bases() -> None:
    assert set(ASSUMED_BASIS.values()) <= set(VendorBasis)
