"""Standard curves for every plate x analyte of a wells table, in one batch per model."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from assaypipe import tables
from assaypipe.curves.excluded import excluded_wells_text
from assaypipe.curves.fit import (
    MODELS,
    POINT_BROKEN_SERIES,
    POINT_HOOK,
    POINT_NO_CONC,
    POINT_NO_SIGNAL,
    POINT_NON_POSITIVE,
    POINT_OUTLIER,
    POINT_USED,
    STATUS_CONVERGED,
    STATUS_NO_STANDARDS,
    BatchFit,
    CurveFit,
    fit_curves,
)
from assaypipe.curves.limits import (
    StandardsVerdict,
    ep17_limits,
    ich_m10_range,
    level_columns,
    limit_of_detection,
    precision_profile_range,
    quantification_range,
)
from assaypipe.curves.model import PARAM_NAMES, FloatArray
from assaypipe.curves.vendor import (
    VendorFit,
    plate_models,
    reflected_params,
    reflected_vcov,
    vendor_fit,
)
from assaypipe.layout import MASKED_REASON, has_flag, masked_by_lab
from assaypipe.settings import DEFAULTS, CurveSettings
from assaypipe.units import pair_units, plate_units
from assaypipe.vocabulary import (
    CurvePreset,
    Extrapolation,
    LimitsRule,
    LodMethod,
    Role,
    WellFlag,
    values,
)

LIMIT_RULES = values(LimitsRule)
# The rules under which a standard level failing its limits inside the range is left out
# of the fit.
EXCLUDING_RULES = (LimitsRule.ICH_M10, LimitsRule.BOTH)
LOD_METHODS = values(LodMethod)
EXTRAPOLATION = values(Extrapolation)
# Fits whose AIC differ by less than this are equally supported (Burnham & Anderson's
# rule of thumb); the back-fit recovery of the standards decides between them.
AIC_TIE = 2.0


@dataclass(frozen=True)
class _Group:
    plate_id: str
    analyte: str
    wells: npt.NDArray[np.str_]
    conc: FloatArray
    signal: FloatArray
    blanks: FloatArray
    n_standards: int
    placed: bool  # a well of the group has a role (not every well unassigned)
    reasons: tuple[str, ...]
    # Standard wells left out before the fit, with why (the ``excluded_wells`` column).
    excluded: tuple[tuple[str, str], ...] = ()
    # Levels fitted but never judged (ICH M10's anchor points).
    anchors: tuple[float, ...] = ()
    # Levels left out of the fit for failing their limits, with why.
    failed: tuple[tuple[float, str], ...] = ()


def _groups(wells: pd.DataFrame, software: Mapping[str, str]) -> list[_Group]:
    """One :class:`_Group` per plate x analyte, sorted by plate_id and analyte.

    The columns are converted once for the whole table; each group takes its rows by
    position. ``software`` names each plate's instrument software (for the reason of
    a well the lab masked in it)."""
    role = wells["role"].astype(str).to_numpy()
    # The lab's decision in its software comes first: such a well is not a candidate
    # whatever else it is.
    masked = masked_by_lab(wells["flags"], wells.get("token"))
    low_beads = has_flag(wells["flags"], WellFlag.LOW_BEADS) & ~masked
    # A bead count the reader could not take as a count (text, negative, beyond any
    # instrument's): the bead check cannot vouch for the well either.
    bad_beads = has_flag(wells["flags"], WellFlag.BAD_BEAD_COUNT) & ~masked & ~low_beads
    unusable = low_beads | bad_beads
    # The reader flags a standard level whose expected concentration cannot belong
    # to the dilution series (a lost decimal point, say): it cannot be fitted.
    implausible = has_flag(wells["flags"], WellFlag.IMPLAUSIBLE_EXPECTED_CONC)
    conc = pd.to_numeric(wells["expected_conc"], errors="coerce").to_numpy(dtype=float)
    signal = pd.to_numeric(wells["signal"], errors="coerce").to_numpy(dtype=float)
    well = wells["well"].astype(str).to_numpy()
    is_standard = role == Role.STANDARD
    lab_masked = is_standard & masked
    placed = role != tables.UNASSIGNED
    excluded_low = is_standard & low_beads
    excluded_bad = is_standard & bad_beads
    off_series = is_standard & ~masked & ~unusable & implausible
    candidate = is_standard & ~masked & ~unusable & ~implausible
    blank = (role == Role.BLANK) & ~masked & ~unusable & np.isfinite(signal)
    positions = wells.groupby(["plate_id", "analyte"], sort=True).indices
    groups = []
    for key, positions_of_key in positions.items():
        plate_id, analyte = cast(tuple[object, object], key)
        rows = np.sort(positions_of_key)
        reasons = []
        excluded: list[tuple[str, str]] = []
        masked_in = MASKED_REASON + (software.get(str(plate_id)) or "the instrument software")
        for mask, why in (
            (lab_masked, masked_in),
            (excluded_low, WellFlag.LOW_BEADS.value),
            (excluded_bad, WellFlag.BAD_BEAD_COUNT.value),
            (off_series, WellFlag.IMPLAUSIBLE_EXPECTED_CONC.value),
        ):
            hit = rows[mask[rows]]
            if hit.size:
                reasons.append(f"excluded standard well(s) {','.join(well[hit])}: {why}")
                excluded.extend((str(w), why) for w in well[hit])
        take = rows[candidate[rows]]
        groups.append(
            _Group(
                plate_id=str(plate_id),
                analyte=str(analyte),
                wells=well[take],
                conc=conc[take],
                signal=signal[take],
                blanks=signal[rows[blank[rows]]],
                n_standards=int(is_standard[rows].sum()),
                placed=bool(placed[rows].any()),
                reasons=tuple(reasons),
                excluded=tuple(excluded),
            )
        )
    return groups


_WELL_TEXT: dict[int, Callable[[str], str]] = {
    POINT_NO_CONC: lambda w: "concentration <= 0 or missing",
    POINT_NO_SIGNAL: lambda w: "no finite signal",
    POINT_NON_POSITIVE: lambda w: f"signal <= 0 under {w} weights",
    POINT_BROKEN_SERIES: lambda w: "level off the dilution series",
    POINT_HOOK: lambda w: "above the hook",
    POINT_OUTLIER: lambda w: "masked outlier",
}


def _point_reasons(group: _Group, code: npt.NDArray[np.int8], weighting: str) -> list[str]:
    return [
        f"excluded standard well(s) {','.join(wells)}: {why}"
        for wells, why in _point_exclusions(group, code, weighting)
    ]


def _point_exclusions(
    group: _Group, code: npt.NDArray[np.int8], weighting: str
) -> list[tuple[list[str], str]]:
    """The group's standard wells the fit left out, by reason (in ``_WELL_TEXT`` order)."""
    out = []
    n = group.wells.size
    for value, text in _WELL_TEXT.items():
        hit = code[:n] == value
        if hit.any():
            out.append(([str(w) for w in group.wells[hit]], text(weighting)))
    return out


def _no_standards(group: _Group) -> str:
    if group.placed:
        return "no standard wells for this analyte"
    # A plate reader's export names no roles: the plate map gives them.
    return "no standard wells: every well is unassigned (a plate map gives the wells their roles)"


def _median_recovery_error(recovery: Mapping[str, npt.ArrayLike]) -> float:
    error = np.abs(np.asarray(recovery["recovery"], dtype=float) - 1.0)
    error = error[np.isfinite(error)]
    return float(np.median(error)) if error.size else math.inf


def _select(fits: Sequence[CurveFit], selection: str, recovery_error: Sequence[float]) -> int:
    """Index of the selected fit.

    With "aic": among clean fits (status "converged"), else converged fits, else fits
    with a finite objective, the lowest AIC; fits within ``AIC_TIE`` of it are equally
    supported and the best back-fit recovery (median |recovery - 1| of the standard
    levels) wins, then the fewer parameters.
    """
    if selection != "aic":
        return [f.model for f in fits].index(selection)
    tiers: list[Callable[[CurveFit], bool]] = [
        lambda f: f.status == STATUS_CONVERGED,
        lambda f: f.usable,
        lambda f: math.isfinite(f.rss),
    ]
    for tier in tiers:
        candidates = [i for i, f in enumerate(fits) if tier(f) and not math.isnan(f.aic)]
        if candidates:
            best = min(fits[i].aic for i in candidates)
            tied = [i for i in candidates if fits[i].aic <= best + AIC_TIE]
            return min(tied, key=lambda i: (recovery_error[i], MODELS[fits[i].model]))
    return 0


def _row(
    group: _Group,
    fit: CurveFit,
    code: npt.NDArray[np.int8],
    fit_reasons: Sequence[str],
    settings: CurveSettings,
) -> tuple[dict[str, object], float]:
    """One CURVES row and the fit's median recovery error."""
    reasons = [*group.reasons, *_point_reasons(group, code, fit.weighting), *fit_reasons]
    excluded = [
        *group.excluded,
        *(
            (well, why)
            for wells, why in _point_exclusions(group, code, fit.weighting)
            for well in wells
        ),
    ]
    n = group.wells.size
    # A zero standard fitted as the response at zero dose (vendor preset) is no level
    # of the range: the limits and the recovery come from the dosed standards.
    used = (code[:n] == POINT_USED) & (group.conc > 0)
    x_used, y_used = group.conc[used], group.signal[used]
    lloq = uloq = lod = lob = lloq_profile = uloq_profile = math.nan
    std_low = float(x_used.min()) if x_used.size else math.nan
    std_high = float(x_used.max()) if x_used.size else math.nan
    recovery_error = math.inf
    if group.blanks.size < 2:
        reasons.append(f"LOD not estimated: {group.blanks.size} usable blank(s), need 2")
    if fit.usable:
        table = level_columns(fit.params, x_used, y_used)
        recovery_error = _median_recovery_error(table)
        lloq_rec, uloq_rec, why_not = _recovery_range(group, table, settings)
        lloq_profile, uloq_profile = precision_profile_range(
            fit.params,
            fit.vcov,
            fit.sigma2,
            fit.weight_power,
            std_low,
            std_high,
            settings.profile_cv,
        )
        rule = settings.limits
        if rule in (LimitsRule.ICH_M10, LimitsRule.LONGEST_RUN):
            lloq, uloq = lloq_rec, uloq_rec
        elif rule == LimitsRule.PROFILE:
            lloq, uloq = lloq_profile, uloq_profile
        else:
            lloq, uloq = max(lloq_rec, lloq_profile), min(uloq_rec, uloq_profile)
            if not lloq <= uloq:
                lloq = uloq = math.nan
        if math.isnan(lloq):
            why = f": {why_not}" if why_not and rule != LimitsRule.PROFILE else ""
            reasons.append(f"no standard range meets the {rule} limits{why}")
        low_replicates = _lowest_replicated_level(x_used, y_used)
        lob, lod_ep17 = ep17_limits(fit.params, group.blanks, low_replicates)
        if settings.lod_method == LodMethod.EP17:
            lod = lod_ep17
        else:
            lod = limit_of_detection(fit.params, group.blanks, settings.lod_k)
    vcov = fit.vcov.ravel().tolist() if np.all(np.isfinite(fit.vcov)) else None
    row: dict[str, object] = {
        "plate_id": group.plate_id,
        "analyte": group.analyte,
        "model": fit.model,
        "weighting": fit.weighting,
        "weight_power": fit.weight_power if fit.usable else math.nan,
        "selected": False,
        **fit.params,
        "rss": fit.rss,
        "aic": fit.aic,
        "vcov": vcov,
        "n_points": fit.n_points,
        "n_excluded": group.n_standards - fit.n_points,
        "std_low": std_low,
        "std_high": std_high,
        "lloq": lloq,
        "uloq": uloq,
        "lloq_profile": lloq_profile,
        "uloq_profile": uloq_profile,
        "lod": lod,
        "lob": lob,
        "extrapolation": settings.extrapolation.value,
        "converged": fit.converged,
        "status": fit.status,
        "reasons": ";".join(reasons),
        "excluded_wells": excluded_wells_text(excluded),
    }
    return row, recovery_error


def _judged(group: _Group, table: Mapping[str, npt.ArrayLike]) -> dict[str, FloatArray]:
    """The rows of a level table that are judged: every level but the anchors."""
    expected = np.asarray(table["expected"], dtype=float)
    keep = ~np.isin(expected, group.anchors)
    names = ("expected", "recovery", "cv")
    return {name: np.asarray(table[name], dtype=float)[keep] for name in names}


def _verdict(
    group: _Group, table: Mapping[str, npt.ArrayLike], settings: CurveSettings
) -> StandardsVerdict:
    return ich_m10_range(
        _judged(group, table),
        settings.recovery_limit,
        settings.recovery_limit_edge,
        settings.cv_limit,
        settings.min_passing_share,
        settings.min_passing_levels,
        dict(group.failed),
    )


def _recovery_range(
    group: _Group, table: Mapping[str, npt.ArrayLike], settings: CurveSettings
) -> tuple[float, float, str]:
    """LLOQ, ULOQ and (where there is none) why, from the standards' recovery and CV."""
    if settings.limits == LimitsRule.LONGEST_RUN:
        lloq, uloq = quantification_range(
            _judged(group, table),
            settings.recovery_limit,
            settings.recovery_limit_edge,
            settings.cv_limit,
        )
        return lloq, uloq, ""
    verdict = _verdict(group, table, settings)
    return verdict.lloq, verdict.uloq, verdict.reason


def _without_failing(
    group: _Group, fit: CurveFit, code: npt.NDArray[np.int8], settings: CurveSettings
) -> _Group | None:
    """The group less the standard levels between LLOQ and ULOQ that fail their limits
    on ``fit`` (ICH M10: a failing calibrator is rejected and the curve fitted again
    without it), or None when none is to be left out: no failing level inside the
    range, a rule that excludes none, or a curve whose standards do not meet the share
    (that curve has no range at all). Failing levels beyond the range stay in the fit,
    as anchor points do: they shape the asymptotes, as in the instruments' software."""
    if settings.limits not in EXCLUDING_RULES or not fit.usable:
        return None
    n = group.wells.size
    used = (code[:n] == POINT_USED) & (group.conc > 0)
    table = level_columns(fit.params, group.conc[used], group.signal[used])
    verdict = _verdict(group, table, settings)
    if math.isnan(verdict.lloq):
        return None
    known = dict(group.failed)
    new = [
        (level, why)
        for level, why in verdict.failing
        if level not in known and verdict.lloq < level < verdict.uloq
    ]
    drop = used & np.isin(group.conc, [level for level, _ in new])
    if not drop.any():
        return None
    reasons = [
        f"excluded standard well(s) {','.join(group.wells[drop & (group.conc == level)])}: {why}"
        for level, why in new
    ]
    excluded = [
        (str(well), why) for level, why in new for well in group.wells[drop & (group.conc == level)]
    ]
    keep = ~drop
    return dataclasses.replace(
        group,
        wells=group.wells[keep],
        conc=group.conc[keep],
        signal=group.signal[keep],
        reasons=(*group.reasons, *reasons),
        excluded=(*group.excluded, *excluded),
        failed=(*group.failed, *new),
    )


def _anchored(group: _Group, low: int, high: int) -> _Group:
    """The group with its ``low`` lowest and ``high`` highest dosed levels as anchors."""
    levels = np.unique(group.conc[np.isfinite(group.conc) & (group.conc > 0)]).tolist()
    anchors = {*levels[:low], *levels[max(len(levels) - high, 0) :]} if high else set(levels[:low])
    return dataclasses.replace(group, anchors=tuple(sorted(float(a) for a in anchors)))


def _lowest_replicated_level(conc: FloatArray, signal: FloatArray) -> FloatArray:
    if conc.size == 0:
        return np.array([], dtype=float)
    levels, counts = np.unique(conc, return_counts=True)
    replicated = levels[counts >= 2]
    if replicated.size == 0:
        return np.array([], dtype=float)
    return np.asarray(signal[conc == replicated[0]], dtype=float)


def fit_plate_curves(
    wells: pd.DataFrame,
    settings: CurveSettings = DEFAULTS.curves,
    *,
    plates: pd.DataFrame | None = None,
    vendor: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Fit every model to every plate x analyte of a wells table (``tables.WELLS``).

    ``settings`` is the config's ``curves`` section (:class:`assaypipe.settings.CurveSettings`);
    the names below are its fields.

    All plate x analyte curves of one model go through :func:`fit_curves` together.
    Standards are the ``role == "standard"`` wells with ``expected_conc > 0``, a finite
    (and, under weights, positive) signal and no ``low_beads`` or ``bad_bead_count``
    flag, less an end level off the dilution series, the levels beyond a hook and
    (``outliers="studentized"``) masked outliers; every other standard well counts in
    ``n_excluded`` and is named in ``reasons``. Blanks without either flag and with a
    finite signal give the LOD
    (``lod_method``: ``"blank_sd"``, mean + ``lod_k`` SD, or ``"ep17"``) and the EP17
    LoB. LLOQ and ULOQ follow ``limits``: ``"ich_m10"`` (each standard level judged on
    its own by recovery and replicate CV, :func:`ich_m10_range`: the lowest and highest
    passing levels, with at least ``min_passing_share`` and ``min_passing_levels`` of
    the levels between them passing; a failing level between them is left out of the
    fit, which is repeated without it, and named in ``reasons``), ``"longest_run"`` (the longest
    unbroken run of passing levels, :func:`quantification_range`; nothing left out),
    ``"profile"`` (the precision profile: CV of one well's concentration at most
    ``profile_cv``) or ``"both"`` (``"ich_m10"``'s range within the profile's); all
    limits are in-well concentrations. The ``anchors_low`` lowest and ``anchors_high``
    highest dosed levels are anchor points: fitted, never judged, never limits.

    ``selection`` is ``"aic"`` (lowest AIC among clean fits, then converged ones, then
    any with a finite objective; within 2 AIC units the better back-fit recovery) or a
    model name. Exactly one row per plate x analyte is ``selected``. ``extrapolation``
    is recorded for :func:`assaypipe.interpolate.interpolate_wells`. A plate x analyte
    without standard wells gets NaN parameters and status ``"no_standards"``, with a
    reason that says so (and, where every well is unassigned, that a plate map gives the
    wells their roles).

    A standard the lab masked in its instrument software (``layout.MASKED_FLAGS`` or
    ``MASKED_TOKENS``) is left out with the reason "masked in <software>", the
    software named by ``plates`` (a ``tables.PLATES`` frame: plate_id, format,
    software). ``preset="vendor"`` fits each plate x analyte as its software did
    (:mod:`assaypipe.curves.vendor`, from the plate's format and the model its export
    names in ``vendor``, a ``tables.VENDOR_RESULTS`` frame whose analytes are the wells'):
    one row, the vendor's model, with the recipe in ``reasons``; assaypipe's own
    exclusions of points (hooks, off-series end levels, outliers) do not apply. Where
    the export does not tell how, that plate x analyte gets assaypipe's fit and the
    reason why.

    Returns a ``tables.CURVES`` frame sorted by plate_id, analyte and model.
    """
    _check(settings)
    if wells.empty:
        return tables.empty(tables.CURVES)
    plate_info = _plate_info(plates)
    groups = [
        _anchored(group, settings.anchors_low, settings.anchors_high)
        for group in _groups(wells, {plate_id: info[1] for plate_id, info in plate_info.items()})
    ]
    rows: list[dict[str, object]] = []
    if settings.preset == CurvePreset.VENDOR:
        recipes = _recipes(groups, plate_info, plate_models(vendor) if vendor is not None else {})
        known = [(g, r) for g, r in zip(groups, recipes, strict=True) if isinstance(r, VendorFit)]
        rows += _vendor_rows([g for g, _ in known], [r for _, r in known], settings)
        groups = [
            dataclasses.replace(
                g, reasons=(*g.reasons, f"vendor preset: {r}; assaypipe's fit used")
            )
            for g, r in zip(groups, recipes, strict=True)
            if isinstance(r, str)
        ]
    rows += _assaypipe_rows(groups, settings)
    frame = pd.DataFrame(rows, columns=list(tables.CURVES.columns))
    # The unit of c and the limits is the standards' (assaypipe.units.plate_units).
    frame["unit"] = pair_units(frame, plate_units(wells))
    frame = frame.sort_values(["plate_id", "analyte", "model"], kind="stable")
    return tables.CURVES.validate(frame.reset_index(drop=True))


def _batch(
    conc: Sequence[FloatArray], signal: Sequence[FloatArray], model: str, settings: CurveSettings
) -> tuple[BatchFit, BatchFit]:
    """The 4PL fit of every curve, and ``model``'s (the 5PL starts from the 4PL)."""

    def fit(model: str, base: BatchFit | None = None) -> BatchFit:
        return fit_curves(
            conc,
            signal,
            model,
            settings.weighting.value,
            outliers=settings.outliers.value,
            outlier_limit=settings.outlier_limit,
            mask_edge_levels=settings.mask_edge_levels,
            base=base,
        )

    four = fit("4PL")
    return four, fit("5PL", base=four) if model == "5PL" else four


def _assaypipe_rows(groups: Sequence[_Group], settings: CurveSettings) -> list[dict[str, object]]:
    """assaypipe's own fit: every model, one selected per plate x analyte."""
    if not groups:
        return []
    models = [model.value for model in settings.models]
    weighting = settings.weighting.value
    conc = [g.conc for g in groups]
    signal = [g.signal for g in groups]
    batches: dict[str, BatchFit] = {}
    four, five = _batch(conc, signal, "5PL" if "5PL" in models else "4PL", settings)
    if "4PL" in models:
        batches["4PL"] = four
    if "5PL" in models:
        batches["5PL"] = five

    states = {model: _refitted(groups, batches[model], model, settings) for model in models}
    rows: list[dict[str, object]] = []
    for index, group in enumerate(groups):
        fits: list[CurveFit] = []
        group_rows: list[dict[str, object]] = []
        errors: list[float] = []
        for model in models:
            fitted_group, fit, code, fit_reasons = states[model][index]
            if group.n_standards == 0:
                fit = _no_standards_fit(group, model, weighting)
                fit_reasons = fit.reasons
            row, error = _row(fitted_group, fit, code, fit_reasons, settings)
            fits.append(fit)
            group_rows.append(row)
            errors.append(error)
        chosen = _select(fits, settings.selection, errors)
        group_rows[chosen]["selected"] = True
        rows.extend(group_rows)
    return rows


_State = tuple[_Group, CurveFit, npt.NDArray[np.int8], Sequence[str]]


def _refitted(
    groups: Sequence[_Group], batch: BatchFit, model: str, settings: CurveSettings
) -> list[_State]:
    """Each group's fit of ``model`` after leaving out the standard levels that fail
    their limits (:func:`_without_failing`), refitting until none is left to drop.

    Every round leaves out at least one level of each group it refits, so it ends."""
    states: list[_State] = [
        (group, batch.curve(i), batch.point_code[i], batch.fit_reasons[i])
        for i, group in enumerate(groups)
    ]
    pending = [i for i, group in enumerate(groups) if group.n_standards > 0]
    while pending:
        redo: dict[int, _Group] = {}
        for i in pending:
            fewer = _without_failing(*states[i][:3], settings)
            if fewer is not None:
                redo[i] = fewer
        if not redo:
            break
        conc = [g.conc for g in redo.values()]
        signal = [g.signal for g in redo.values()]
        _, again = _batch(conc, signal, model, settings)
        for j, (i, group) in enumerate(redo.items()):
            states[i] = (group, again.curve(j), again.point_code[j], again.fit_reasons[j])
        pending = list(redo)
    return states


def _check(settings: CurveSettings) -> None:
    """Refuse settings the fit cannot honour (the enum-valued ones are valid by type)."""
    models = [model.value for model in settings.models]
    if not models:
        raise ValueError("models must be a non-empty subset of ['4PL', '5PL'], got []")
    if len(set(models)) != len(models):
        raise ValueError(f"models are repeated: {models}")
    if settings.selection != "aic" and settings.selection not in models:
        raise ValueError(f"selection must be 'aic' or one of {models}, got {settings.selection!r}")
    if not 0 <= settings.min_passing_share <= 1:
        raise ValueError(
            f"min_passing_share must be within 0 and 1, got {settings.min_passing_share}"
        )
    if settings.min_passing_levels < 1 or settings.anchors_low < 0 or settings.anchors_high < 0:
        raise ValueError(
            "min_passing_levels must be at least 1 and anchors_low, anchors_high at least 0, "
            f"got {settings.min_passing_levels}, {settings.anchors_low}, {settings.anchors_high}"
        )


def _plate_info(plates: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """plate_id -> (format, software) from a plates table."""
    if plates is None or plates.empty:
        return {}
    frame = plates.drop_duplicates("plate_id")
    return {
        str(row["plate_id"]): (str(row.get("format") or ""), str(row.get("software") or ""))
        for row in frame.to_dict("records")
    }


def _recipes(
    groups: Sequence[_Group],
    plate_info: Mapping[str, tuple[str, str]],
    models: Mapping[tuple[str, str], str],
) -> list[VendorFit | str]:
    out: list[VendorFit | str] = []
    for group in groups:
        fmt, software = plate_info.get(group.plate_id, ("", ""))
        out.append(vendor_fit(fmt, software, models.get((group.plate_id, group.analyte), "")))
    return out


def _vendor_rows(
    groups: Sequence[_Group], recipes: Sequence[VendorFit], settings: CurveSettings
) -> list[dict[str, object]]:
    """The vendor's fit of each group: one batch per recipe, one selected row each."""
    rows: list[dict[str, object]] = []
    by_recipe: dict[VendorFit, list[int]] = {}
    for index, recipe in enumerate(recipes):
        by_recipe.setdefault(recipe, []).append(index)
    for recipe, members in by_recipe.items():
        own = [groups[i] for i in members]
        # A negative slope is assaypipe's family in 1 / x (see curves.vendor).
        conc = [1.0 / g.conc if recipe.negative_slope else g.conc for g in own]
        with np.errstate(divide="ignore"):
            batch = fit_curves(
                conc,
                [g.signal for g in own],
                recipe.model,
                recipe.weighting,
                weights=[recipe.weights(g.signal) for g in own],
                zero_dose=recipe.zero_dose,
                series_checks=False,
                polish=True,
            )
        for j, group in enumerate(own):
            if group.n_standards == 0:
                fit = _no_standards_fit(group, recipe.model, recipe.weighting)
                fit_reasons = fit.reasons
            else:
                fit = batch.curve(j)
                fit_reasons = (*batch.fit_reasons[j], recipe.reason())
                if recipe.negative_slope:
                    fit = dataclasses.replace(
                        fit,
                        params=reflected_params(fit.params),
                        vcov=reflected_vcov(fit.vcov, fit.params["c"]),
                    )
            row, _ = _row(group, fit, batch.point_code[j], fit_reasons, settings)
            row["selected"] = True
            rows.append(row)
    return rows


def _no_standards_fit(group: _Group, model: str, weighting: str) -> CurveFit:
    return CurveFit(
        model=model,
        weighting=weighting,
        params=dict.fromkeys(PARAM_NAMES, math.nan),
        rss=math.nan,
        aic=math.nan,
        n_points=0,
        converged=False,
        status=STATUS_NO_STANDARDS,
        reasons=(_no_standards(group),),
    )
