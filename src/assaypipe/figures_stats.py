"""Figures of the study statistics, like the published ones (matplotlib).

- :func:`plot_prepost`: one panel per analyte x responder group, a line per subject
  from pre to post, the group median in bold, the test result in the title; values
  below the LLOQ (drawn where the censoring policy puts them) are open triangles.
- :func:`plot_correlation`: y against x over the pooled pre and post samples, with the
  OLS line and its 95% confidence band; the axes span the data, not the band.

Each figure is written to every path given; the format follows the suffix (.png,
.svg). Files are reproducible: no dates in the metadata, fixed SVG ids. Analyte names
are drawn as text (never as math markup) and shortened when long; a figure with
nothing to draw says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from assaypipe.figure_text import shown
from assaypipe.settings import DEFAULTS, PrepostSettings
from assaypipe.stats.correlations import pooled_values
from assaypipe.stats.frames import ALL, BELOW_LLOQ_TEXT, analyte_units, paired_values
from assaypipe.stats.regression import ols, spearman
from assaypipe.units import label
from assaypipe.vocabulary import Censor

# Longest analyte name a panel shows (it heads a panel a few centimetres wide).
_NAME_LIMIT = 32
_COLOURS = {"responder": "#1b7837", "nonresponder": "#762a83", ALL: "#4d4d4d"}
_VISIT_MARKERS = ("o", "^")


def display_names(aliases: pd.DataFrame) -> dict[str, str]:
    """Canonical analyte -> display name, from the alias table (first spelling wins)."""
    first = aliases.drop_duplicates("analyte")
    return dict(zip(first["analyte"].astype(str), first["display"].astype(str), strict=True))


def _save(figure: Figure, outputs: Sequence[str | Path]) -> None:
    with matplotlib.rc_context({"svg.hashsalt": "assaypipe", "svg.fonttype": "none"}):
        for output in outputs:
            path = Path(output)
            path.parent.mkdir(parents=True, exist_ok=True)
            suffix = path.suffix.lower().lstrip(".")
            metadata = {"Date": None} if suffix in ("svg", "pdf") else {"Software": None}
            figure.savefig(path, dpi=150, metadata=metadata)


def _laid_out(figure: Figure) -> None:
    """Place the panels once (tight_layout), then leave them there: a figure that keeps
    a layout engine is laid out again, with every text measured, before each save."""
    figure.tight_layout()
    figure.set_layout_engine(None)


def _title(stats: pd.DataFrame | None, analyte: str, group: str) -> str:
    text = f"{analyte} — {group}"
    if stats is None or stats.empty:
        return text
    match = stats[
        (stats["analysis"] == "prepost") & (stats["analyte"] == analyte) & (stats["group"] == group)
    ]
    if match.empty or not np.isfinite(match["p"].iloc[0]):
        return text
    found = match.iloc[0]
    return f"{text}\nn={int(found['n'])}, V={found['statistic']:g}, p={found['p']:.2g}"


def plot_prepost(
    samples: pd.DataFrame,
    groups: pd.Series | None,
    outputs: Sequence[str | Path],
    settings: PrepostSettings = DEFAULTS.prepost,
    stats: pd.DataFrame | None = None,
    display: dict[str, str] | None = None,
) -> None:
    """Paired pre/post lines per analyte (rows) split by responder group (columns),
    with the visits and below-LLOQ policy of ``settings`` (the ``prepost`` section).

    ``groups`` maps subject_id to a label (all subjects in one column if None);
    ``stats`` (prepost rows, e.g. prepost.parquet and prepost_groups.parquet
    concatenated) adds n, V and p to each panel; ``display`` maps analyte names to the
    names shown.
    """
    below_lloq = settings.below_lloq.value
    figure = prepost_groups_figure(
        samples, groups, settings.pre, settings.post, below_lloq, stats, display
    )
    _save(figure, outputs)


def prepost_groups_figure(
    samples: pd.DataFrame,
    groups: pd.Series | None,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
    stats: pd.DataFrame | None = None,
    display: dict[str, str] | None = None,
) -> Figure:
    """The figure :func:`plot_prepost` writes."""
    pairs = paired_values(samples, pre, post, below_lloq)
    below = {analyte: _censored(samples, analyte, {"pre": pre, "post": post}) for analyte in pairs}
    units = analyte_units(samples)
    labels = (
        groups.dropna().astype(str)
        if groups is not None
        else pd.Series(dtype=str, index=pd.Index([], dtype=str))
    )
    labels.index = labels.index.astype(str)
    columns = sorted(labels.unique(), reverse=True) if len(labels) else [ALL]
    analytes = list(pairs)
    # Figure without pyplot: no global figure registry, no backend to choose
    figure = Figure(figsize=(3.2 * len(columns), 2.6 * max(len(analytes), 1)))
    axes = figure.subplots(len(analytes) or 1, len(columns), squeeze=False)
    if not analytes:
        _note(axes[0, 0], f"No subject has both\na {pre} and a {post} value.")
    for i, analyte in enumerate(analytes):
        both = pairs[analyte]
        shown_name = shown((display or {}).get(analyte, analyte), _NAME_LIMIT)
        for j, column in enumerate(columns):
            axis = axes[i, j]
            subset = (
                both if column == ALL else both[labels.reindex(both.index.astype(str)) == column]
            )
            colour = _COLOURS.get(column, "#4d4d4d")
            # Every subject's line in one artist: its segments apart (NaN between them).
            values = subset[["pre", "post"]].to_numpy(dtype=float)
            if len(values):
                gaps = np.full((len(values), 1), np.nan)
                x = np.tile([0.0, 1.0, np.nan], len(values))
                y = np.hstack([values, gaps]).ravel()
                axis.plot(x, y, color=colour, alpha=0.45, lw=1, marker="o", ms=3)
            _mark_censored(axis, subset, below[analyte], colour, BELOW_LLOQ_TEXT[below_lloq])
            if len(subset):
                axis.plot(
                    [0, 1],
                    [subset["pre"].median(), subset["post"].median()],
                    color=colour,
                    lw=3,
                    label="median",
                )
            axis.set_xticks([0, 1], [pre, post])
            axis.set_xlim(-0.25, 1.25)
            axis.set_title(
                _title(stats, analyte, column).replace(analyte, shown_name, 1), fontsize=8
            )
            if j == 0:
                axis.set_ylabel(f"{shown_name} ({label(units.get(analyte, ''))})")
    figure.suptitle(f"{post} vs {pre} per subject, by responder group", fontsize=10)
    _laid_out(figure)
    return figure


def _censored(samples: pd.DataFrame, analyte: str, visits: dict[str, str]) -> pd.DataFrame:
    """Per subject, whether its value of ``analyte`` at each visit (columns pre, post)
    comes from a sample below the LLOQ or LOD."""
    data = samples[samples["analyte"] == analyte]
    below = data["censor"].isin([Censor.BELOW_LLOQ, Censor.BELOW_LOD])
    out = {}
    for key, visit in visits.items():
        at = data["visit"] == visit
        out[key] = below[at].groupby(data.loc[at, "subject_id"]).any()
    return pd.DataFrame(out).fillna(False).astype(bool)


def _mark_censored(
    axis: Axes, subset: pd.DataFrame, below: pd.DataFrame, colour: str, policy: str
) -> None:
    """Open triangles over the values below the LLOQ, with a legend entry naming how
    they were set (``policy``)."""
    flags = below.reindex(subset.index).fillna(False).astype(bool)
    x: list[float] = []
    y: list[float] = []
    for position, visit in enumerate(("pre", "post")):
        hit = flags[visit].to_numpy(dtype=bool)
        x += [float(position)] * int(hit.sum())
        y += subset[visit].to_numpy(dtype=float)[hit].tolist()
    if not x:
        return
    axis.scatter(
        x, y, marker="v", s=40, facecolors="white", edgecolors=colour, linewidths=1.3,
        zorder=4, label=policy,
    )  # fmt: skip
    axis.legend(fontsize=7, loc="best")


def _data_limits(values: pd.Series) -> tuple[float, float]:
    """An axis range around the values (5% margin), not below 0 when none is."""
    low, high = float(values.min()), float(values.max())
    margin = 0.05 * (high - low) if high > low else 0.05 * abs(high) or 1.0
    bottom = low - margin
    if low >= 0:
        bottom = max(bottom, 0.0)
    return bottom, high + margin


def _note(axis: Axes, text: str) -> None:
    """Say in an empty panel why it is empty."""
    axis.text(
        0.5,
        0.5,
        shown(text, limit=200),
        transform=axis.transAxes,
        ha="center",
        va="center",
        fontsize=8,
    )
    axis.set_xticks([])
    axis.set_yticks([])


def plot_correlation(
    samples: pd.DataFrame,
    x: str,
    y: str,
    outputs: Sequence[str | Path],
    settings: PrepostSettings = DEFAULTS.prepost,
    display: dict[str, str] | None = None,
) -> None:
    """y against x over the pooled pre and post samples (``settings``: the ``prepost``
    section), OLS line and 95% band.

    The title's CI, band and first p are cluster-robust by subject (a subject gives
    up to two points), as the ``ols_slope`` row of the pooled group; the naive p (every
    point independent, ``ols_slope_naive``) is beside it.
    """
    below_lloq = settings.below_lloq.value
    figure = correlation_figure(samples, x, y, settings.pre, settings.post, below_lloq, display)
    _save(figure, outputs)


def correlation_figure(
    samples: pd.DataFrame,
    x: str,
    y: str,
    pre: str = DEFAULTS.prepost.pre,
    post: str = DEFAULTS.prepost.post,
    below_lloq: str = DEFAULTS.prepost.below_lloq.value,
    display: dict[str, str] | None = None,
) -> Figure:
    """The figure :func:`plot_correlation` writes."""
    # statsmodels takes about a second to import: only the correlation figure needs it.
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    pooled = pooled_values(samples, [pre, post], below_lloq)
    units = analyte_units(samples)
    names = {name: shown((display or {}).get(name, name), _NAME_LIMIT) for name in (x, y)}
    figure = Figure(figsize=(4.8, 4.2))
    axis = figure.subplots()
    both = pooled[[x, y]].dropna() if x in pooled and y in pooled else pd.DataFrame()
    if both.empty:
        _note(axis, f"No sample at {pre} or {post}\nhas values of both analytes.")
    else:
        for visit, marker in zip((pre, post), _VISIT_MARKERS, strict=True):
            part = both[both.index.get_level_values("visit") == visit]
            axis.scatter(part[x], part[y], marker=marker, s=28, alpha=0.8, label=visit)
        subjects = both.index.get_level_values(0).astype(str).to_numpy()
        fit = ols(both[x].to_numpy(), both[y].to_numpy(), groups=subjects)
        naive = ols(both[x].to_numpy(), both[y].to_numpy())
        rank = spearman(both[x].to_numpy(), both[y].to_numpy())
        if np.isfinite(fit.slope):
            grid = np.linspace(both[x].min(), both[x].max(), 100)
            codes = np.unique(subjects, return_inverse=True)[1]
            model = OLS(both[y].to_numpy(), add_constant(both[x].to_numpy())).fit(
                cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
            )
            band = model.get_prediction(add_constant(grid)).summary_frame(alpha=0.05)
            axis.plot(grid, band["mean"], color="black", lw=1.5, label="OLS fit")
            axis.fill_between(
                grid,
                band["mean_ci_lower"],
                band["mean_ci_upper"],
                color="grey",
                alpha=0.3,
                label="95% CI of the line (cluster-robust)",
            )
            axis.set_title(
                f"slope {fit.slope:.3g} (95% CI {fit.slope_ci[0]:.3g} to {fit.slope_ci[1]:.3g})\n"
                f"p={fit.slope_p:.2g} cluster-robust by subject ({fit.clusters} subjects), "
                f"naive p={naive.slope_p:.2g}\n"
                f"R²={fit.r_squared:.2f}, n={fit.n}; Spearman ρ={rank.rho:.2f}",
                fontsize=8,
            )
        axis.legend(fontsize=7)
        # The band widens past the data: the axes keep to the data's range (no axis
        # running to -200 pg/mL under concentrations that are all positive).
        axis.set_xlim(*_data_limits(both[x]))
        axis.set_ylim(*_data_limits(both[y]))
    axis.set_xlabel(f"{names.get(x, x)} ({label(units.get(x, ''))})")
    axis.set_ylabel(f"{names.get(y, y)} ({label(units.get(y, ''))})")
    _laid_out(figure)
    return figure
