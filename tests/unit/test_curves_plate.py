"""curves.plate: every plate x analyte's curves, their selection and the limits.

Reference: the curve the standards were made from (noise-free 4PL standards: the fit
must give it back) and the blank mean + 3 SD computed here with numpy.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from assaypipe import pipeline
from assaypipe.curves.plate import EXTRAPOLATION, LIMIT_RULES, LOD_METHODS, fit_plate_curves
from assaypipe.kits import read_kits
from assaypipe.settings import CurveSettings, Settings
from assaypipe.sheets import read_aliases, read_samples
from assaypipe.study import assign_chunks, chunk_plates, discover_plates
from assaypipe.vendor_curves import in_wells_terms
from assaypipe.vocabulary import (
    CurvePreset,
    CurveStatus,
    Extrapolation,
    LimitsRule,
    LodMethod,
    Role,
    values,
)
from tests.conftest import wells_frame

CONC = [2.0, 6.0, 18.0, 54.0, 162.0, 486.0, 1458.0]
BLANKS = [30.0, 34.0, 32.0, 36.0]
FOUR_PL_ONLY = Settings.from_config({"curves": {"models": ["4PL"], "selection": "4PL"}}).curves


def _signal(x: float) -> float:
    a, b, c, d = 30.0, 1.1, 120.0, 21000.0
    return d + (a - d) / (1.0 + (x / c) ** b)


def _wells():  # type: ignore[no-untyped-def]
    rows = [
        {
            "well": f"{'ABCDEFGH'[i]}{rep + 1}",
            "role": Role.STANDARD,
            "sample_name": f"S{i + 1}",
            "level": i + 1,
            "expected_conc": conc,
            "signal": _signal(conc),
        }
        for i, conc in enumerate(CONC)
        for rep in range(2)
    ]
    rows += [
        {"well": f"H{3 + k}", "role": Role.BLANK, "sample_name": "Blank", "signal": s}
        for k, s in enumerate(BLANKS)
    ]
    return wells_frame(rows)


def test_the_selected_4pl_gives_back_the_curve_of_its_standards() -> None:
    curves = fit_plate_curves(_wells(), FOUR_PL_ONLY)
    curve = curves.iloc[0]
    assert curve["status"] == CurveStatus.CONVERGED
    assert [curve[p] for p in "abcd"] == pytest.approx([30.0, 1.1, 120.0, 21000.0], rel=1e-4)
    assert bool(curve["selected"])


def test_the_lod_is_the_concentration_at_blank_mean_plus_three_sd() -> None:
    curve = fit_plate_curves(_wells(), FOUR_PL_ONLY).iloc[0]
    level = np.mean(BLANKS) + 3.0 * np.std(BLANKS, ddof=1)
    a, b, c, d = 30.0, 1.1, 120.0, 21000.0
    by_hand = c * ((a - d) / (level - d) - 1.0) ** (1.0 / b)
    assert curve["lod"] == pytest.approx(by_hand, rel=1e-3)


def test_the_choices_are_the_vocabularys() -> None:
    assert values(LimitsRule) == LIMIT_RULES
    assert values(LodMethod) == LOD_METHODS
    assert values(Extrapolation) == EXTRAPOLATION


@functools.cache
def demo_chunk() -> tuple[Settings, pipeline.ChunkRead]:
    """The bundled demo's 36 plates (three kits) read as one chunk, and its settings."""
    repo = Path(__file__).parents[2]
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    config["plates"] = str(repo / config["plates"])
    config["layouts"] = str(repo / config["layouts"])
    settings = Settings.from_config(config)
    index = discover_plates(settings.plates, settings.plates_subfolders.value)
    plates = [
        plate
        for members in assign_chunks(index.plates, settings.chunks.size).values()
        for plate in chunk_plates(index.plates, settings.layouts, members)
    ]
    aliases = read_aliases(repo / config["analytes"])
    kits = read_kits(sorted(str(p) for p in (repo / settings.qc.kits).glob("*.y*ml")), aliases)
    samples = read_samples(repo / config["samples"])
    read = pipeline.read_plates(plates, samples, aliases, chunk="c", kits=kits)
    assert read.plates["plate_id"].nunique() == len(plates) >= 30
    return settings, read


def fit_chunk(
    wells: pd.DataFrame, settings: CurveSettings, read: pipeline.ChunkRead
) -> pd.DataFrame:
    """fit_plate_curves of these wells, with their plates' rows of the other tables."""
    ids = wells["plate_id"].unique()
    return fit_plate_curves(
        wells.reset_index(drop=True),
        settings,
        plates=read.plates[read.plates["plate_id"].isin(ids)],
        vendor=in_wells_terms(read.vendor[read.vendor["plate_id"].isin(ids)], wells),
    )


@pytest.mark.parametrize("preset", [CurvePreset.ASSAYPIPE, CurvePreset.VENDOR])
def test_a_plates_curves_are_the_same_bits_whatever_plates_share_its_batch(
    preset: CurvePreset,
) -> None:
    # The demo's plates fitted as one chunk and one plate at a time: every value of
    # every row the same to the bit, so a study's curves do not move when plates are
    # added or its chunks change (and a plate's curves can be kept, curve_cache).
    settings, read = demo_chunk()
    curves = dataclasses.replace(settings.curves, preset=preset)
    # Curves of other lengths beside them: one standard well lost on every third plate.
    standards = read.wells.index[read.wells["role"] == Role.STANDARD]
    lost = read.wells.loc[standards].groupby("plate_id").head(1).index[::3]
    wells = read.wells.drop(index=lost)
    together = fit_chunk(wells, curves, read)
    alone = pd.concat(
        [fit_chunk(own, curves, read) for _, own in wells.groupby("plate_id")],
        ignore_index=True,
    ).sort_values(["plate_id", "analyte", "model"], kind="stable", ignore_index=True)
    assert (together["n_points"] + together["n_excluded"]).nunique() > 1
    pd.testing.assert_frame_equal(together, alone, check_exact=True)
