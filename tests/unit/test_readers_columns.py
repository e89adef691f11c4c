"""Tables as plain columns (readers.columns): the chunk step's plates put together from
columns must give the tables pandas gives from the plates' frames.

Reference throughout: pandas itself (`pd.concat` of the frames, `Series.nunique`,
`astype(str)`, `pd.array(..., dtype="Int64")`) and the package's frame path
(`wells_frame`, `read_exports`), each validated by the tables' pandera schemas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.readers import read_columns, read_exports
from assaypipe.readers.cells import wells_columns, wells_frame, whole_numbers
from assaypipe.readers.columns import columns_of, frame_of, nunique, stacked, texts
from assaypipe.readers.registry import FORMATS

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
FIXTURES = sorted(
    path for entry in FORMATS for path in (EXPORTS / entry.name).glob("*") if path.is_file()
)


def _plate(n: int, analyte: str, censor: object = None) -> pd.DataFrame:
    return wells_frame(
        n,
        well=np.array([f"A{i + 1}" for i in range(n)], dtype=object),
        analyte=analyte,
        sample_name=np.array(["S1", ""] * (n // 2), dtype=object),
        sample_id=np.array(["S1", None] * (n // 2), dtype=object),
        level=pd.array([1, None] * (n // 2), dtype="Int64"),
        signal=np.linspace(1, 2, n),
        censor=censor,
        plate_id="P",
    )


def test_columns_of_a_frame_give_the_same_frame_back() -> None:
    frame = _plate(4, "IL6")
    rebuilt = frame_of(columns_of(frame), len(frame))
    pd.testing.assert_frame_equal(rebuilt, frame)


def test_stacked_columns_validate_as_the_concatenated_frames() -> None:
    frames = [_plate(4, "IL6"), _plate(6, "IL8", censor="<LLOQ"), _plate(2, "")]
    expected = tables.WELLS.validate(pd.concat(frames, ignore_index=True))
    names = list(frames[0].columns)
    got = frame_of(stacked([columns_of(f) for f in frames], names), sum(map(len, frames)))
    pd.testing.assert_frame_equal(tables.WELLS.validate(got), expected)


def test_wells_columns_build_the_frame_wells_frame_builds() -> None:
    given = {
        "well": np.array(["A1", "B2"], dtype=object),
        "analyte": "IL6",
        "signal": np.array([1.5, np.nan]),
        "bead_count": pd.array([50, None], dtype="Int64"),
        "censor": None,
    }
    pd.testing.assert_frame_equal(wells_columns(2, **given).frame(), wells_frame(2, **given))


def test_whole_numbers_are_pandas_int64() -> None:
    values = np.array([0.0, 7.0, np.nan, 2.0**40])
    pd.testing.assert_extension_array_equal(whole_numbers(values), pd.array(values, dtype="Int64"))


@pytest.mark.parametrize(
    "values", [["a", "b", "a"], ["a", np.nan, None, "a"], [np.nan, None], [1, "1", 2.5]]
)
def test_nunique_and_texts_as_pandas(values: list[object]) -> None:
    series = pd.Series(values, dtype=object)
    assert nunique(np.array(values, dtype=object)) == series.nunique()
    pd.testing.assert_series_equal(
        pd.Series(texts(np.array(values, dtype=object)), dtype="str"),
        series.astype(str),
        check_dtype=False,
    )


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_fixture_read_as_columns_gives_the_validated_tables(path: Path) -> None:
    alone = read_exports(path, settle_seconds=0)
    plates = read_columns(path, settle_seconds=0)
    assert len(plates) == len(alone)
    for plate, reference in zip(plates, alone, strict=True):
        read = plate.read()
        pd.testing.assert_frame_equal(tables.WELLS.validate(read.wells), reference.wells)
        if len(reference.vendor):
            pd.testing.assert_frame_equal(
                tables.VENDOR_RESULTS.validate(read.vendor), reference.vendor
            )
        assert read.warnings == reference.warnings
        assert read.meta == reference.meta
