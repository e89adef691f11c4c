"""Pre / post: the paired plot of the values before and after treatment, the
statistics' tables (one per analysis) and the correlation figures."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from assaypipe.qc.checks import records
from assaypipe.report.cells import blank, interval, num, p_value
from assaypipe.report.context import ReportContext
from assaypipe.report.figures import png_bytes, prepost_figure
from assaypipe.report.html import Html, table, tag
from assaypipe.report.page import section
from assaypipe.summary import statistics_losses

STATS_COLUMNS = [
    "analyte",
    "group",
    "n",
    "estimate",
    "CI",
    "unit",
    "p",
    "q",
    "family",
    "method",
    "note",
]


def render(ctx: ReportContext) -> Html:
    return section("prepost", *_figure(ctx), *_stats_tables(ctx))


def _figure(ctx: ReportContext) -> list[Html]:
    """The statistics' own pre/post figure when given, else one drawn here."""
    inputs = ctx.inputs
    path = inputs.prepost_figure
    if path is not None and Path(path).is_file():
        return [
            tag(
                "p",
                "Paired values before and after treatment per analyte, by responder group, "
                f"from the statistics ({Path(path).name}); values from plates left out above "
                "are not in it; values below the LLOQ are open triangles, drawn where the "
                "censoring policy (prepost.below_lloq) puts them.",
                class_="note",
            ),
            tag(
                "figure",
                tag("img", src=_data_uri(Path(path)), alt="Pre/post paired plot per analyte"),
                class_="wide prepost",
            ),
        ]
    pairs = _pairs(inputs.samples, inputs.pre, inputs.post)
    analytes = sorted(set(pairs["analyte"])) if not pairs.empty else []
    if not analytes:
        return [
            tag(
                "p",
                f"No subject has both a {inputs.pre} and a {inputs.post} value.",
                class_="note",
            )
        ]
    figure = prepost_figure(pairs, analytes, inputs.display, _sample_units(inputs.samples))
    image = ctx.image(
        png_bytes(figure), "Pre/post paired plot per analyte", "prepost", "prepost.png"
    )
    return [
        tag(
            "p",
            f"Each subject's value at {inputs.pre} and {inputs.post} (grey), and "
            "the medians (blue), from the samples the statistics use.",
            class_="note",
        ),
        tag("figure", image, class_="wide prepost"),
    ]


def _stats_tables(ctx: ReportContext) -> list[Html]:
    """A table per analysis of the statistics, then the correlation figures."""
    parts: list[Html] = []
    stats = ctx.inputs.stats
    if not stats.empty:
        parts.append(_stats_note(stats))
    for analysis, rows in stats.groupby("analysis", sort=False):
        parts += _analysis(ctx, str(analysis), rows)
    figures = [Path(p) for p in ctx.inputs.correlation_figures if Path(p).is_file()]
    if figures:
        parts.append(tag("h3", "Correlations"))
    parts += [_correlation(path) for path in figures]
    if stats.empty and not figures:
        parts.append(tag("p", "No statistics tables were given to the report.", class_="note"))
    return parts


def _stats_note(stats: pd.DataFrame) -> Html:
    primary = stats[stats["family"] == "primary"]
    declared = sorted({f"{r.analysis} [{r.group}]" for r in primary.itertuples()})
    return tag(
        "p",
        "The statistics' tables (results/stats/, described in docs/statistics.md), "
        "one per analysis; q is p adjusted (Benjamini–Hochberg) within the family "
        "named under each table (q_family). Primary family (stats.primary_family): "
        + (", ".join(declared) if declared else "none matched")
        + "; every other row is exploratory. A row without an estimate says why "
        "in its note.",
        class_="note",
    )


def _analysis(ctx: ReportContext, analysis: str, rows: pd.DataFrame) -> list[Html]:
    """One analysis: its heading, what it lost, its table and its q families."""
    parts = [tag("h3", analysis)]
    losses = statistics_losses(rows)
    if losses:
        parts.append(tag("p", "Lost: " + "; ".join(losses) + ".", class_="note"))
    parts.append(
        table(
            STATS_COLUMNS,
            [
                [
                    ctx.name(str(r["analyte"])),
                    r["group"],
                    r["n"],
                    num(r["estimate"]),
                    interval(r["ci_low"], r["ci_high"]),
                    r["unit"],
                    p_value(r["p"]),
                    p_value(r["q"]),
                    r["family"],
                    r["method"],
                    "" if blank(r["note"]) else r["note"],
                ]
                for r in records(rows)
            ],
            text_columns={9, 10},
        )
    )
    families = list(dict.fromkeys(rows["q_family"].dropna().astype(str)))
    parts.append(
        tag(
            "p",
            "q within: " + "; ".join(families) + "."
            if families
            else "No q: these rows are not adjusted.",
            class_="note",
        )
    )
    return parts


def _correlation(path: Path) -> Html:
    return tag(
        "figure",
        tag("img", src=_data_uri(path), alt=f"Correlation figure {path.stem}"),
        tag(
            "figcaption",
            f"{path.name}: pooled samples of both visits; the p, CI and band are "
            "cluster-robust by subject (ols_slope of the pooled group), the naive p "
            "(every sample independent, ols_slope_naive) beside it",
        ),
        class_="wide correlation",
    )


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _sample_units(samples: pd.DataFrame) -> dict[str, str]:
    """The unit of each analyte's sample values (the first where a table mixes them)."""
    if "unit" not in samples or samples.empty:
        return {}
    first = samples.drop_duplicates("analyte")
    return dict(
        zip(first["analyte"].astype(str), first["unit"].fillna("").astype(str), strict=True)
    )


def _pairs(samples: pd.DataFrame, pre: str, post: str) -> pd.DataFrame:
    """Subjects with a value at both visits, per analyte: analyte, subject_id, pre, post."""
    data = samples[samples["visit"].isin([pre, post]) & samples["subject_id"].notna()]
    data = data[pd.to_numeric(data["concentration"], errors="coerce").notna()]
    wide = data.pivot_table(
        index=["analyte", "subject_id"], columns="visit", values="concentration", aggfunc="mean"
    )
    if pre not in wide or post not in wide:
        return pd.DataFrame(columns=["analyte", "subject_id", "pre", "post"])
    wide = wide[[pre, post]].dropna().reset_index()
    return wide.rename(columns={pre: "pre", post: "post"})[["analyte", "subject_id", "pre", "post"]]
