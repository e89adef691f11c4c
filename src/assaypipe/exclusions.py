"""What is left out of the statistics, and why: failing QC verdicts, analytes whose units
cannot be brought to one (:mod:`assaypipe.units`), plates read from a copy of another
plate's export (:func:`duplicate_exports`), and manual exclusions.

Manual exclusions live in a version-controlled, tab-separated file (by default
``config/exclusions.tsv``), one row per decision:

========== =========================================================================
column     meaning
========== =========================================================================
level      ``well``, ``plate`` or ``analyte``
plate_id   the plate (``well`` and ``plate``); empty for ``analyte``
well       the well (``well`` only), e.g. ``C4``
analyte    the analyte; empty means every analyte of the well or plate
reason     why, in words
who        who decided
when       the date decided, ``YYYY-MM-DD``
========== =========================================================================

All kinds are applied the same way: the matching wells are left out and the sample
values recomputed from the wells that remain (:func:`included_samples`). The table of
exclusions (``tables.EXCLUSIONS``) records each with the wells and samples it touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assaypipe import tables
from assaypipe.exclusion_sheet import COLUMNS, DUPLICATE_SOURCE, KEYS
from assaypipe.samples import combine_replicates
from assaypipe.settings import DEFAULTS, Settings
from assaypipe.sheet_checks import SHEETS_SOURCE, sheet_findings, unknown_analyte_exclusions
from assaypipe.units import UNIT_SOURCE, UnitPlan, plan_units, plate_units
from assaypipe.vocabulary import QcStatus, Role


def qc_exclusions(verdicts: pd.DataFrame) -> pd.DataFrame:
    """One exclusion (level ``plate``, with its analyte) per failing plate x analyte."""
    failing = verdicts[verdicts["verdict"] == QcStatus.FAIL]
    return pd.DataFrame(
        {
            "level": "plate",
            "plate_id": failing["plate_id"].astype(str),
            "well": "",
            "analyte": failing["analyte"].astype(str),
            "reason": "QC fail: " + failing["failed"].astype(str).str.replace(";", ", "),
            "who": "assaypipe QC",
            "when": None,
            "line": pd.NA,
        },
        columns=[*COLUMNS, "line"],
    )


def duplicate_exports(plates: pd.DataFrame) -> pd.DataFrame:
    """One exclusion (level ``plate``, every analyte) per plate read from a file whose
    bytes are those of another plate file: a copy under another name (``P1 (copy).csv``,
    a file dropped in twice) whose wells would count twice. Of the files with the same
    bytes the one with the shortest path is kept (a copy's name is its original's with
    something added), then the first by path; ``plates`` is the plates table."""
    read = plates[(plates["status"] == "read") & plates["source_sha256"].fillna("").ne("")]
    first: dict[str, str] = {}
    files = set(zip(read["source_sha256"], read["source_file"], strict=True))
    for sha, source in sorted(files, key=lambda file: (len(file[1]), file[1])):
        first.setdefault(sha, source)
    rows = []
    for plate_id, sha, source in sorted(
        zip(read["plate_id"], read["source_sha256"], read["source_file"], strict=True),
        key=lambda row: (row[2], row[0]),
    ):
        original = first[sha]
        if source == original:
            continue
        rows.append(
            {
                "level": "plate",
                "plate_id": plate_id,
                "well": "",
                "analyte": "",
                "reason": f"the same file, byte for byte, as {original}: a copy, whose wells "
                "would count twice; remove one of the two files",
                "who": "assaypipe file check",
                "when": None,
                "line": pd.NA,
            }
        )
    return pd.DataFrame(rows, columns=[*COLUMNS, "line"])


def _patterns(exclusions: pd.DataFrame) -> list[tuple[list[str], pd.DataFrame]]:
    """Exclusions grouped by which of plate_id, well, analyte they name.

    Matching a group at once (rather than row by row) keeps a study with thousands of
    failing plates x analytes fast.
    """
    frame = exclusions[list(KEYS)].fillna("").astype(str)
    named = frame != ""
    out = []
    for pattern, group in frame.groupby([named[key] for key in KEYS], sort=True):
        columns = [key for key, used in zip(KEYS, pattern, strict=True) if used]
        out.append((columns, group))
    return out


def excluded_wells(wells: pd.DataFrame, exclusions: pd.DataFrame) -> np.ndarray:
    """Which wells any of the exclusions (columns plate_id, well, analyte) covers."""
    mask = np.zeros(len(wells), dtype=bool)
    for columns, group in _patterns(exclusions):
        if not columns:
            continue
        wanted = pd.MultiIndex.from_frame(group[columns])
        mask |= pd.MultiIndex.from_frame(wells[columns].astype(str)).isin(wanted)
    return mask


def exclusion_table(
    wells: pd.DataFrame,
    verdicts: pd.DataFrame,
    manual: pd.DataFrame,
    exclude_failing: bool = True,
    units: UnitPlan | None = None,
    sheets: pd.DataFrame | None = None,
    plates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every exclusion applied (``tables.EXCLUSIONS``): QC first, then the analytes left
    out for their units (``units``, whatever ``exclude_failing`` says), then the
    analytes config/analytes.tsv does not name (``sheets``, the findings of
    ``sheet_checks.sheet_findings``), then the plates read from a copy of another
    plate's file (``plates``, the plates table: :func:`duplicate_exports`), then manual,
    in file order.

    ``n_wells`` counts the wells a row covers and ``n_samples`` the samples with a
    sample well among them; a manual row that matches nothing has 0 and 0, which the
    report shows so a typo in a plate id does not pass unseen.
    """
    parts = []
    if exclude_failing:
        parts.append(qc_exclusions(verdicts).assign(source="qc"))
    if units is not None:
        parts.append(units.exclusion_rows().assign(source=UNIT_SOURCE))
    if sheets is not None:
        parts.append(unknown_analyte_exclusions(sheets).assign(source=SHEETS_SOURCE))
    if plates is not None:
        parts.append(duplicate_exports(plates).assign(source=DUPLICATE_SOURCE))
    parts.append(manual.assign(source="manual"))
    parts = [part for part in parts if not part.empty]
    if not parts:
        return tables.empty(tables.EXCLUSIONS)
    frame = pd.concat(parts, ignore_index=True)
    frame["n_wells"], frame["n_samples"] = _counts(wells, frame)
    for key in KEYS:
        frame[key] = frame[key].replace("", None)
    return tables.EXCLUSIONS.validate(frame[list(tables.EXCLUSIONS.columns)])


def _counts(wells: pd.DataFrame, exclusions: pd.DataFrame) -> tuple[list[int], list[int]]:
    """Wells and distinct samples each exclusion covers."""
    n_wells = [0] * len(exclusions)
    n_samples = [0] * len(exclusions)
    position = {index: i for i, index in enumerate(exclusions.index)}
    is_sample = (wells["role"] == Role.SAMPLE) & wells["sample_id"].notna()
    # The sample wells' ids alone: a copy of every column of the sample rows cost half a
    # gigabyte at 10,000 plates.
    sample_ids = wells["sample_id"][is_sample]
    for columns, group in _patterns(exclusions):
        if not columns:
            continue
        keyed = wells[columns].astype(str)
        sizes = keyed.groupby(columns).size()
        distinct = sample_ids.groupby([keyed[c][is_sample] for c in columns]).nunique()
        # Looked up by key (a value, or a tuple of values for several columns), as
        # Series.get would, without a Series per exclusion.
        wells_by_key = dict(zip(sizes.index.tolist(), sizes.tolist(), strict=True))
        samples_by_key = dict(zip(distinct.index.tolist(), distinct.tolist(), strict=True))
        wanted = group[columns].to_numpy(dtype=object).tolist()
        for index, values in zip(group.index.tolist(), wanted, strict=True):
            key = tuple(values) if len(values) > 1 else values[0]
            n_wells[position[index]] = int(wells_by_key.get(key, 0))
            n_samples[position[index]] = int(samples_by_key.get(key, 0))
    return n_wells, n_samples


@dataclass(frozen=True)
class StudyExclusions:
    """What a study leaves out after QC: the sample sheets' findings
    (``sheet_checks.sheet_findings``), every exclusion (:func:`exclusion_table`) and the
    sample values kept for the statistics (:func:`included_samples`)."""

    findings: pd.DataFrame
    exclusions: pd.DataFrame
    included: pd.DataFrame


def study_exclusions(
    wells: pd.DataFrame,
    curves: pd.DataFrame,
    verdicts: pd.DataFrame,
    manual: pd.DataFrame,
    sample_sheet: pd.DataFrame,
    subjects: pd.DataFrame,
    units: UnitPlan,
    settings: Settings = DEFAULTS,
    outcomes: pd.DataFrame | None = None,
    plates: pd.DataFrame | None = None,
) -> StudyExclusions:
    """The exclusions of a study from its QC ``verdicts`` and ``manual`` exclusions, as
    the study_tables job makes them (``settings.qc.exclude_failing``,
    ``settings.combine.censored``); ``outcomes``, the outcome sheet, is checked against
    ``subjects`` with the other sheets, and ``plates`` (the plates table) for copies of
    one plate file."""
    findings = sheet_findings(wells, sample_sheet, subjects, outcomes)
    exclusions = exclusion_table(
        wells,
        verdicts,
        manual,
        exclude_failing=settings.qc.exclude_failing,
        units=units,
        sheets=findings,
        plates=plates,
    )
    included = included_samples(
        wells, curves, sample_sheet, exclusions, units, settings.combine.censored
    )
    return StudyExclusions(findings, exclusions, included)


def included_samples(
    wells: pd.DataFrame,
    curves: pd.DataFrame,
    sample_sheet: pd.DataFrame,
    exclusions: pd.DataFrame,
    units: UnitPlan | None = None,
    censored: str = DEFAULTS.combine.censored.value,
) -> pd.DataFrame:
    """The samples table (``tables.SAMPLES``) from the wells no exclusion covers, in each
    analyte's study unit (``units``; by default the plan of all the wells' units), a
    sample's plate readings combined as :func:`combine_replicates` does (``censored``).

    A sample whose every well is excluded has no row, so paired statistics drop its
    subject for that analyte instead of using a value from a failed plate.
    """
    if units is None:
        units = plan_units(plate_units(wells))
    kept = wells[~excluded_wells(wells, exclusions)]
    return combine_replicates(kept, curves, sample_sheet, units, censored)
