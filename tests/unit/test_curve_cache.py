"""curve_cache: a plate's curves kept between runs are the rows fitting it again gives."""

from __future__ import annotations

import dataclasses
import pickle
import zlib
from pathlib import Path

import pandas as pd
import pytest

from assaypipe.curve_cache import CurveCache, prune_curves
from assaypipe.vendor_curves import in_wells_terms
from assaypipe.vocabulary import CurvePreset
from tests.unit.test_curves_plate import demo_chunk, fit_chunk


def fitted(cache: CurveCache, wells: pd.DataFrame, preset: CurvePreset) -> pd.DataFrame:
    settings, read = demo_chunk()
    return cache.fit(
        wells.reset_index(drop=True),
        dataclasses.replace(settings.curves, preset=preset),
        plates=read.plates,
        vendor=in_wells_terms(read.vendor, wells),
    )


@pytest.mark.parametrize("preset", [CurvePreset.ASSAYPIPE, CurvePreset.VENDOR])
def test_kept_curves_are_the_rows_a_fit_of_the_whole_chunk_gives(
    tmp_path: Path, preset: CurvePreset
) -> None:
    settings, read = demo_chunk()
    expected = fit_chunk(read.wells, dataclasses.replace(settings.curves, preset=preset), read)
    n_plates = read.wells["plate_id"].nunique()

    first = CurveCache(tmp_path)
    pd.testing.assert_frame_equal(fitted(first, read.wells, preset), expected, check_exact=True)
    assert (first.fitted, first.kept) == (n_plates, 0)
    assert len(list(tmp_path.glob("*.pkl"))) == n_plates

    again = CurveCache(tmp_path)
    pd.testing.assert_frame_equal(fitted(again, read.wells, preset), expected, check_exact=True)
    assert (again.fitted, again.kept, again.prune()) == (0, n_plates, 0)

    # One plate's signals changed: that plate is fitted again, its old entry removed.
    changed = read.wells.copy()
    plate = changed["plate_id"].iloc[0]
    changed.loc[changed["plate_id"] == plate, "signal"] *= 1.01
    changed_expected = fit_chunk(changed, dataclasses.replace(settings.curves, preset=preset), read)
    third = CurveCache(tmp_path)
    got = fitted(third, changed, preset)
    pd.testing.assert_frame_equal(got, changed_expected, check_exact=True)
    assert not got.equals(expected)
    assert (third.fitted, third.kept, third.prune()) == (1, n_plates - 1, 1)


def test_other_settings_are_other_entries(tmp_path: Path) -> None:
    read = demo_chunk()[1]
    wells = read.wells[read.wells["plate_id"] == read.wells["plate_id"].iloc[0]]
    fitted(CurveCache(tmp_path), wells, CurvePreset.ASSAYPIPE)
    other = CurveCache(tmp_path)
    fitted(other, wells, CurvePreset.VENDOR)
    assert (other.fitted, other.kept) == (1, 0)


def test_a_damaged_or_foreign_entry_is_fitted_again_and_never_run(tmp_path: Path) -> None:
    read = demo_chunk()[1]
    wells = read.wells[read.wells["plate_id"] == read.wells["plate_id"].iloc[0]]
    expected = fitted(CurveCache(tmp_path), wells, CurvePreset.ASSAYPIPE)
    (entry,) = tmp_path.glob("*.pkl")
    hacked = tmp_path / "hacked"
    for data in (
        b"not compressed",
        zlib.compress(b"\x80\x05K\x01."),  # a pickled 1, not an entry
        zlib.compress(pickle.dumps(Path("elsewhere"))),  # a class an entry does not hold
        zlib.compress(f"cos\nsystem\n(S'touch {hacked}'\ntR.".encode()),
    ):
        entry.write_bytes(data)
        cache = CurveCache(tmp_path)
        got = fitted(cache, wells, CurvePreset.ASSAYPIPE)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert (cache.fitted, cache.kept) == (1, 0)
        assert not hacked.exists()


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    read = demo_chunk()[1]
    wells = read.wells[read.wells["plate_id"] == read.wells["plate_id"].iloc[0]]
    blocked = tmp_path / "curves"
    blocked.write_text("a file where the folder would be")
    expected = fitted(CurveCache(None), wells, CurvePreset.ASSAYPIPE)
    got = fitted(CurveCache(blocked), wells, CurvePreset.ASSAYPIPE)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_plates_no_longer_in_the_study_lose_their_entries(tmp_path: Path) -> None:
    read = demo_chunk()[1]
    ids = read.wells["plate_id"].unique()[:3]
    fitted(
        CurveCache(tmp_path), read.wells[read.wells["plate_id"].isin(ids)], CurvePreset.ASSAYPIPE
    )
    assert prune_curves(tmp_path, ids[:2]) == 1
    assert prune_curves(tmp_path, ids[:2]) == 0
    assert len(list(tmp_path.glob("*.pkl"))) == 2
    assert prune_curves(tmp_path / "none", ids) == 0
