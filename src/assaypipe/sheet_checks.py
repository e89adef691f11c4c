"""The study's sheets checked against the plates, before any statistics.

A misspelt analyte in a copied plate, a sample missing from config/samples.tsv or a
subject missing from config/subjects.tsv changes the statistics without an error, so
each is listed (``results/sheet_checks.parquet``, the report, the run summary):

- ``unknown_analyte``: an analyte on a plate that config/analytes.tsv does not name (as
  an analyte or an alias); its wells stay out of the statistics until it is listed;
- ``sample_not_in_sheet``: a sample id on a plate that config/samples.tsv does not list
  (its wells have no subject or visit, so no statistics use them);
- ``subject_not_in_sheet``: a sample whose subject config/subjects.tsv does not list (it
  has no responder group);
- ``subject_without_samples``: a subject of config/subjects.tsv with no sample;
- ``sample_on_no_plate``: a sample of config/samples.tsv that no plate holds;
- ``outcome_subject_not_in_sheet``: a subject of config/outcomes.tsv that
  config/subjects.tsv does not list (its outcomes label no one: a misspelt id leaves
  the subject it meant without a responder group).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import pandas as pd

from assaypipe import tables
from assaypipe.layout import has_flag
from assaypipe.vocabulary import WellFlag

__all__ = ["CHECKS", "SHEETS_SOURCE", "sheet_findings", "unknown_analyte_exclusions"]

SHEETS_SOURCE: Final = "sheets"
CHECKS: Final = (
    "unknown_analyte",
    "sample_not_in_sheet",
    "subject_not_in_sheet",
    "subject_without_samples",
    "sample_on_no_plate",
    "outcome_subject_not_in_sheet",
)
# Plates named in a finding before the rest are counted.
_MOST_NAMED: Final = 5


def sheet_findings(
    wells: pd.DataFrame,
    sample_sheet: pd.DataFrame,
    subjects: pd.DataFrame,
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every mismatch between the annotated wells and the sheets (``tables.SHEET_CHECKS``);
    ``outcomes`` (the outcome sheet, in its order) adds its subjects the subject sheet
    does not list."""
    unknown = wells[has_flag(wells["flags"], WellFlag.UNKNOWN_ANALYTE.value)]
    rows = _on_plates(
        unknown,
        "analyte",
        "unknown_analyte",
        "not in config/analytes.tsv (as an analyte or an alias): its wells stay out of the "
        "statistics; add it, or an alias of the analyte it is",
    )
    strangers = wells[
        has_flag(wells["flags"], WellFlag.UNKNOWN_SAMPLE.value) & wells["sample_id"].notna()
    ]
    rows += _on_plates(
        strangers,
        "sample_id",
        "sample_not_in_sheet",
        "not in config/samples.tsv: its wells have no subject or visit, so no statistics "
        "use them; add it with its subject and visit",
    )
    listed_subjects = set(subjects["subject_id"])
    with_subject = sample_sheet[sample_sheet["subject_id"].fillna("") != ""]
    for sample in with_subject[~with_subject["subject_id"].isin(listed_subjects)].itertuples():
        rows.append(
            _row(
                "subject_not_in_sheet",
                str(sample.subject_id),
                f"config/samples.tsv, sample {sample.sample_id}",
                "not in config/subjects.tsv: the sample has no responder group; add the subject",
                0,
            )
        )
    sampled = set(sample_sheet["subject_id"])
    for subject in sorted(listed_subjects - sampled):
        rows.append(
            _row(
                "subject_without_samples",
                str(subject),
                "config/subjects.tsv",
                "no sample of config/samples.tsv belongs to this subject",
                0,
            )
        )
    on_plates = set(wells["sample_id"].dropna().unique().tolist())
    for sample_id in sample_sheet.loc[~sample_sheet["sample_id"].isin(on_plates), "sample_id"]:
        rows.append(
            _row(
                "sample_on_no_plate",
                str(sample_id),
                "config/samples.tsv",
                "no plate holds this sample (or its id is written differently on the plate)",
                0,
            )
        )
    if outcomes is not None:
        rows += _outcome_strangers(outcomes, listed_subjects)
    if not rows:
        return tables.empty(tables.SHEET_CHECKS)
    return tables.SHEET_CHECKS.validate(pd.DataFrame(rows))


def _outcome_strangers(outcomes: pd.DataFrame, listed: set[object]) -> list[dict[str, object]]:
    """One finding per subject of the outcome sheet that the subject sheet does not list,
    naming its lines (``outcomes`` as `sheets.read_outcomes` gives it: line index + 2)."""
    lines: dict[str, list[int]] = {}
    for index, subject in zip(outcomes.index, outcomes["subject_id"].astype(str), strict=True):
        if subject not in listed:
            lines.setdefault(subject, []).append(int(index) + 2)
    rows = []
    for subject, at in sorted(lines.items()):
        shown = ", ".join(str(line) for line in at[:_MOST_NAMED])
        more = f" and {len(at) - _MOST_NAMED} more" if len(at) > _MOST_NAMED else ""
        where = f"config/outcomes.tsv, line{'s' if len(at) > 1 else ''} {shown}{more}"
        detail = (
            f"not in config/subjects.tsv: its {len(at)} outcome row{'s' if len(at) > 1 else ''}"
            " label no one; add the subject, or correct the id to the subject meant"
        )
        rows.append(_row("outcome_subject_not_in_sheet", subject, where, detail, 0))
    return rows


def _on_plates(wells: pd.DataFrame, key: str, check: str, detail: str) -> list[dict[str, object]]:
    """One finding per distinct ``key`` of ``wells``, naming its plates."""
    return [
        _row(check, str(name), _plates(group["plate_id"]), detail, len(group))
        for name, group in wells.groupby(key, sort=True)
    ]


def _row(check: str, name: str, where: str, detail: str, n_wells: int) -> dict[str, object]:
    return {"check": check, "name": name, "where": where, "detail": detail, "n_wells": n_wells}


def _plates(plate_ids: Iterable[object]) -> str:
    names = sorted({str(p) for p in plate_ids})
    more = f" and {len(names) - _MOST_NAMED} more" if len(names) > _MOST_NAMED else ""
    return ("plate " if len(names) == 1 else "plates ") + ", ".join(names[:_MOST_NAMED]) + more


def unknown_analyte_exclusions(findings: pd.DataFrame) -> pd.DataFrame:
    """One exclusion (level ``analyte``) per analyte not in config/analytes.tsv, in the
    columns of ``exclusions.exclusion_table``'s parts."""
    unknown = findings[findings["check"] == "unknown_analyte"]
    return pd.DataFrame(
        {
            "level": "analyte",
            "plate_id": "",
            "well": "",
            "analyte": unknown["name"].astype(str),
            "reason": "not in config/analytes.tsv (as an analyte or an alias)",
            "who": "assaypipe sheet checks",
            "when": None,
            "line": pd.NA,
        }
    )
