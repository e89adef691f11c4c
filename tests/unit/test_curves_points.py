"""curves.points: the padded standard matrices and why a point is not fitted."""

import numpy as np

from assaypipe.curves.points import (
    POINT_NO_CONC,
    POINT_NO_SIGNAL,
    POINT_NON_POSITIVE,
    POINT_OUTLIER,
    POINT_PADDING,
    POINT_USED,
    as_matrix,
    point_codes,
    point_summaries,
    usable_points,
)


def test_ragged_rows_are_padded_with_nan_and_masked():
    matrix, present = as_matrix([[1.0, 2.0, 3.0], [4.0]])
    assert matrix.shape == (2, 3)
    assert present.tolist() == [[True, True, True], [True, False, False]]
    assert np.isnan(matrix[1, 1:]).all() and matrix[1, 0] == 4.0
    square, full = as_matrix(np.arange(6).reshape(2, 3))
    assert square.dtype == float and full.all()


def test_each_point_gets_the_code_of_its_first_problem():
    x = np.array([[0.0, -1.0, np.nan, 1.0, 2.0, 3.0, 4.0]])
    y = np.array([[5.0, 5.0, 5.0, np.inf, -2.0, 0.0, 6.0]])
    present = np.array([[True] * 6 + [False]])
    code = point_codes(x, y, present, "1/y^2")
    expected = [POINT_NO_CONC] * 3 + [POINT_NO_SIGNAL, POINT_NON_POSITIVE, POINT_NON_POSITIVE]
    assert code[0].tolist() == [*expected, POINT_PADDING]
    # unweighted fits take a signal <= 0; a zero dose is a dose when zero_dose is set
    code = point_codes(x, y, present, "none", zero_dose=True)
    assert code[0, :4].tolist() == [POINT_USED, POINT_NO_CONC, POINT_NO_CONC, POINT_NO_SIGNAL]
    assert code[0, 4:6].tolist() == [POINT_USED, POINT_USED]


def test_given_weights_decide_alone():
    x = np.array([[1.0, 2.0, 3.0]])
    y = np.array([[-1.0, 2.0, 3.0]])
    weights = np.array([[1.0, 0.0, 2.0]])
    code = point_codes(x, y, np.ones_like(x, dtype=bool), "1/y", weights=weights)
    assert code[0].tolist() == [POINT_USED, POINT_NON_POSITIVE, POINT_USED]


def test_usable_points_say_how_many_of_each_kind_were_left_out():
    used, why = usable_points([0.0, 1.0, 2.0, 3.0], [1.0, np.nan, -1.0, 4.0], "1/y^2")
    assert used.tolist() == [False, False, False, True]
    assert why == [
        "1 point(s) with concentration <= 0 not fitted",
        "1 point(s) with non-finite signal not fitted",
        "1 point(s) with signal <= 0 not fitted (weights 1/y^2 need a positive signal)",
    ]
    code = np.array([[POINT_USED, POINT_OUTLIER, POINT_OUTLIER], [POINT_USED] * 3], np.int8)
    assert point_summaries(code, "none") == [("2 point(s) masked as outliers",), ()]
