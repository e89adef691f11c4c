"""Four- and five-parameter logistic standard curves (see docs/curves.md).

The model is ``y = d + (a - d) / (1 + (x / c)**b)**g`` with ``g = 1`` for the 4PL:
``a`` is the response at zero dose, ``d`` the response at infinite dose, ``c`` the
inflection dose (the 4PL mid point) and ``b > 0`` the slope. An increasing curve has
``a < d``; a decreasing (competitive) one has ``a > d``, with ``b`` still positive.

Curves are fitted in log-dose by weighted least squares, over ``(a, b, log c, d)`` for
the 4PL and ``(a, b, log c, d, log g)`` for the 5PL. The objective is
``sum(w * (y - yhat)**2)`` with ``w`` from the observed signal (``"none"``: 1,
``"1/y"``: 1/y, ``"1/y^2"``: 1/y**2, as R's ``nls(weights = 1 / y^2)``), from the
fitted values (``"1/yhat"``, ``"1/yhat^2"``, iteratively reweighted) or from a power
of the mean estimated from replicate standards (``"power"``).

Modules: :mod:`~assaypipe.curves.model` (the curve, its inverse and derivatives),
:mod:`~assaypipe.curves.engine` (batched Levenberg-Marquardt),
:mod:`~assaypipe.curves.fit` (:func:`fit_curve`, :func:`fit_curves`; the steps of a fit
in :mod:`~assaypipe.curves.points`, :mod:`~assaypipe.curves.levels`,
:mod:`~assaypipe.curves.series`, :mod:`~assaypipe.curves.starts`,
:mod:`~assaypipe.curves.weights`, :mod:`~assaypipe.curves.cascade`,
:mod:`~assaypipe.curves.batch` and :mod:`~assaypipe.curves.result`),
:mod:`~assaypipe.curves.limits` (recovery, LLOQ/ULOQ, LOD, uncertainty),
:mod:`~assaypipe.curves.vendor` (how each instrument software fits, for
``curves.preset: vendor``) and :mod:`~assaypipe.curves.plate` (:func:`fit_plate_curves`).

>>> params = {"a": 10.0, "b": 1.2, "c": 100.0, "d": 20000.0, "g": 1.0}
>>> conc = [1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0]
>>> fit = fit_curve(conc, predict(params, conc), model="4PL")
>>> fit.status, round(fit.params["c"], 6)
('converged', 100.0)
>>> round(float(inverse(params, predict(params, 50.0))), 9)
50.0
"""

from assaypipe.curves.fit import (
    B_BOUNDS,
    G_BOUNDS,
    MODELS,
    OUTLIER_RULES,
    STATUS_ASYMMETRY,
    STATUS_AT_BOUND,
    STATUS_BROKEN_SERIES,
    STATUS_CONVERGED,
    STATUS_FLAT,
    STATUS_HOOK,
    STATUS_NO_STANDARDS,
    STATUS_NON_MONOTONIC,
    STATUS_NOT_CONVERGED,
    STATUS_TOO_FEW,
    WEIGHTINGS,
    BatchFit,
    CurveFit,
    fit_curve,
    fit_curves,
    studentized_residuals,
    usable_points,
)
from assaypipe.curves.limits import (
    StandardsVerdict,
    ep17_limits,
    ich_m10_range,
    inverse_interval,
    level_recovery,
    limit_of_detection,
    log_conc_se,
    precision_profile_range,
    quantification_range,
)
from assaypipe.curves.model import PARAM_NAMES, asymptotes, inverse, inverse_log_gradient, predict
from assaypipe.curves.plate import EXTRAPOLATION, LIMIT_RULES, LOD_METHODS, fit_plate_curves

__all__ = [
    "B_BOUNDS",
    "EXTRAPOLATION",
    "G_BOUNDS",
    "LIMIT_RULES",
    "LOD_METHODS",
    "MODELS",
    "OUTLIER_RULES",
    "PARAM_NAMES",
    "STATUS_ASYMMETRY",
    "STATUS_AT_BOUND",
    "STATUS_BROKEN_SERIES",
    "STATUS_CONVERGED",
    "STATUS_FLAT",
    "STATUS_HOOK",
    "STATUS_NON_MONOTONIC",
    "STATUS_NOT_CONVERGED",
    "STATUS_NO_STANDARDS",
    "STATUS_TOO_FEW",
    "WEIGHTINGS",
    "BatchFit",
    "CurveFit",
    "StandardsVerdict",
    "asymptotes",
    "ep17_limits",
    "fit_curve",
    "fit_curves",
    "fit_plate_curves",
    "ich_m10_range",
    "inverse",
    "inverse_interval",
    "inverse_log_gradient",
    "level_recovery",
    "limit_of_detection",
    "log_conc_se",
    "precision_profile_range",
    "predict",
    "quantification_range",
    "studentized_residuals",
    "usable_points",
]
