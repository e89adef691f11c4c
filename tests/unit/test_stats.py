import math

import numpy as np
import pandas as pd
import pytest

from assaypipe.stats import (
    apply_censor_policy,
    hodges_lehmann_paired,
    prepost,
    round_significant,
    signed_rank_null,
    wilcoxon_paired,
)

# Hollander & Wolfe's depression scores, the example of R's ?wilcox.test
X = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
Y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])


def test_exact_signed_rank_matches_r():
    # R 4.2: wilcox.test(y, x, paired = TRUE, exact = TRUE, conf.int = TRUE)
    # V = 5, p = 0.0390625, (pseudo)median -0.46, 95% CI -0.786 .. -0.01
    test = wilcoxon_paired(pre=X, post=Y)
    assert test["statistic"] == 5
    assert test["p"] == pytest.approx(0.0390625, rel=1e-9)
    assert test["method_p"] == "exact"
    estimate, low, high = hodges_lehmann_paired(Y - X)
    assert (estimate, low, high) == pytest.approx((-0.46, -0.786, -0.01), rel=1e-9)


def test_ties_and_zero_fall_back_to_corrected_normal_like_r():
    # R 4.2: wilcox.test(b, a, paired = TRUE, exact = TRUE, correct = TRUE)
    # (a zero and ties: R drops the zero, warns, and uses the normal approximation)
    # V = 28, p = 0.021776707751071
    a = np.array([1, 2, 3, 4, 5, 6, 7, 8], dtype=float)
    b = np.array([2, 4, 4, 7, 5, 9, 9, 9.5])
    test = wilcoxon_paired(pre=a, post=b)
    assert test["statistic"] == 28
    assert test["p"] == pytest.approx(0.021776707751071, rel=1e-9)
    assert test["method_p"].startswith("normal approximation")


def test_float_noise_does_not_break_ties():
    d = np.array([0.1 + 0.2 - 0.3, 0.3 - 0.2, 0.1])
    rounded = round_significant(d)
    assert rounded[1] == rounded[2]
    assert abs(rounded[0]) < 1e-15 or rounded[0] == round_significant(np.array([d[0]]))[0]


def test_null_distribution_sums_to_one_and_is_symmetric():
    for n in (1, 5, 12):
        null = signed_rank_null(n)
        assert null.sum() == pytest.approx(1.0)
        assert np.allclose(null, null[::-1])
    # P(V = 0) for n = 4 is 1/16
    assert signed_rank_null(4)[0] == pytest.approx(1 / 16)


def test_censor_policy():
    samples = pd.DataFrame(
        {
            "concentration": [5.0, 1.0, 500.0, np.nan],
            "censor": [None, "<LLOQ", ">ULOQ", "<LOD"],
            "lloq": [2.0, 2.0, 2.0, 4.0],
            "uloq": [400.0, 400.0, 400.0, 400.0],
        }
    )
    assert apply_censor_policy(samples, "half_lloq").tolist() == [5.0, 1.0, 400.0, 2.0]
    got = apply_censor_policy(samples, "lloq_sqrt2").tolist()
    assert got == pytest.approx([5.0, 2 / math.sqrt(2), 400.0, 4 / math.sqrt(2)])
    excluded = apply_censor_policy(samples, "exclude")
    assert excluded.isna().tolist() == [False, True, False, True]
    with pytest.raises(ValueError, match="below_lloq"):
        apply_censor_policy(samples, "zero")


def test_prepost_table_per_analyte_with_bh():
    rows = []
    for i, (x, y) in enumerate(zip(X, Y, strict=True)):
        for visit, value in (("baseline", x), ("post", y)):
            for analyte, scale in (("CCL2", 1.0), ("HGF", -1.0)):
                rows.append(
                    {
                        "sample_id": f"S{i}-{visit}",
                        "subject_id": f"S{i}",
                        "visit": visit,
                        "analyte": analyte,
                        "concentration": 10 + scale * value,
                        "censor": None,
                        "lloq": 0.1,
                        "uloq": 100.0,
                    }
                )
    samples = pd.DataFrame(rows)
    result = prepost(samples)
    assert result["analyte"].tolist() == ["CCL2", "HGF"]
    assert result["n"].tolist() == [9, 9]
    assert result["statistic"].tolist() == [5, 40]
    assert result["p"].tolist() == pytest.approx([0.0390625, 0.0390625])
    # BH with two equal p-values leaves them unchanged
    assert result["q"].tolist() == pytest.approx([0.0390625, 0.0390625])
    assert result["estimate"].iloc[0] == pytest.approx(-0.46)
