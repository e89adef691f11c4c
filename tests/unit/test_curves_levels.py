"""curves.levels: the distinct standard levels of each curve, against pandas groupby."""

import numpy as np
import pandas as pd

from assaypipe.curves.levels import last_level, levels_of, subset_levels

X = np.array(
    [
        [10.0, 1.0, 10.0, 100.0, 1.0, np.nan],
        [5.0, 5.0, 50.0, 50.0, 500.0, 500.0],
    ]
)
Y = np.array(
    [
        [20.0, 2.0, 24.0, 300.0, 4.0, 0.0],
        [7.0, 9.0, 70.0, 76.0, 800.0, 840.0],
    ]
)
USED = np.array(
    [
        [True, True, True, True, True, False],
        [True, True, True, True, True, False],  # the last 500 is left out
    ]
)


def test_levels_match_a_pandas_groupby_of_the_used_points():
    levels = levels_of(X, Y, USED)
    for row in range(2):
        frame = pd.DataFrame({"x": X[row][USED[row]], "y": Y[row][USED[row]]})
        expected = frame.groupby("x")["y"].agg(["mean", "std", "count"])  # std: ddof=1
        k = len(expected)
        assert levels.n[row] == k
        assert np.array_equal(levels.conc[row, :k], expected.index.to_numpy())
        assert np.allclose(levels.mean[row, :k], expected["mean"])
        assert np.allclose(levels.sd[row, :k], expected["std"], equal_nan=True)
        assert np.array_equal(levels.count[row, :k], expected["count"])
        assert np.isnan(levels.conc[row, k:]).all() and (levels.count[row, k:] == 0).all()


def test_every_used_point_knows_its_level_and_unused_points_have_none():
    levels = levels_of(X, Y, USED)
    # row 0: levels 1, 10, 100 (ascending)
    assert levels.of_point[0].tolist() == [1, 0, 1, 2, 0, -1]
    assert levels.of_point[1].tolist() == [0, 0, 1, 1, 2, -1]
    # a single point at a level has no SD: 500 in row 1 is alone once the other is unused
    assert np.isnan(levels.sd[1, 2]) and levels.count[1, 2] == 1
    assert levels.mean[1, 2] == 800.0


def test_subset_and_last_level():
    levels = levels_of(X, Y, USED)
    assert last_level(levels).tolist() == [2, 2]
    only_second = subset_levels(levels, np.array([1]))
    assert only_second.n.tolist() == [3]
    assert np.allclose(only_second.mean[0, :3], [8.0, 73.0, 800.0])
    nothing = levels_of(X[:1], Y[:1], np.zeros((1, 6), dtype=bool))
    assert nothing.n.tolist() == [0] and last_level(nothing).tolist() == [0]
