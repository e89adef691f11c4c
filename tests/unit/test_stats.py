import math
import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from assaypipe.stats import (
    apply_censor_policy,
    hodges_lehmann_paired,
    prepost,
    round_significant,
    signed_rank_null,
    wilcoxon_paired,
)
from tests.paired_samples import paired_samples

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
    # as read: the curve's reading below the LLOQ kept, none where the curve gave none
    as_read = apply_censor_policy(samples, "as_read").tolist()
    assert as_read[:3] == [5.0, 1.0, 400.0] and math.isnan(as_read[3])
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


# Two subjects below the LLOQ (1) at both visits: as LLOQ/2 their differences are zero
# and dropped (R then gives the normal approximation); as read they keep their signs.
_PRE = [0.40, 0.62, 3.1, 4.0, 5.2, 6.0, 7.3, 8.1]
_POST = [0.55, 0.71, 3.9, 3.8, 6.1, 7.2, 8.0, 9.4]


def _censored_pairs(pre: list[float], post: list[float]) -> pd.DataFrame:
    rows = [
        {
            "sample_id": f"S{i}-{visit}",
            "subject_id": f"S{i}",
            "visit": visit,
            "analyte": "TGFB2",
            "concentration": value,
            "censor": "<LLOQ" if value < 1 else None,
            "lloq": 1.0,
            "uloq": 100.0,
        }
        for i, pair in enumerate(zip(pre, post, strict=True))
        for visit, value in zip(("baseline", "post"), pair, strict=True)
    ]
    return pd.DataFrame(rows)


def test_prepost_as_read_keeps_the_readings_below_the_lloq():
    # Reference: SciPy's exact signed-rank test on the readings (no ties, no zeros).
    samples = _censored_pairs(_PRE, _POST)
    as_read = prepost(samples, below_lloq="as_read").iloc[0]
    reference = stats.wilcoxon(np.subtract(_POST, _PRE), method="exact")
    assert as_read["n"] == 8
    assert as_read["p"] == pytest.approx(reference.pvalue, rel=1e-12)
    assert "below LLOQ as read off the curve" in as_read["method"]
    substituted = prepost(samples).iloc[0]
    assert substituted["n"] == 8 and "zero differences" in substituted["method"]
    assert substituted["p"] > as_read["p"]
    # A censored value without a reading (below the curve) leaves its pair out.
    samples.loc[0, "concentration"] = np.nan
    assert prepost(samples, below_lloq="as_read").iloc[0]["n"] == 7


def test_prepost_as_read_and_half_lloq_match_r(rscript: str) -> None:
    # R: wilcox.test(post, pre, paired = TRUE, exact = TRUE, conf.int = TRUE) on the
    # readings (as_read) and on the readings below the LLOQ set to LLOQ/2 (half_lloq).
    half = [v if v >= 1 else 0.5 for v in _PRE], [v if v >= 1 else 0.5 for v in _POST]
    code = "".join(
        f"t <- suppressWarnings(wilcox.test(c({', '.join(map(str, post))}), "
        f"c({', '.join(map(str, pre))}), paired = TRUE, exact = TRUE, conf.int = TRUE)); "
        "cat(sprintf('%.17g', c(t$statistic, t$p.value, t$conf.int)), '\\n'); "
        for pre, post in ((_PRE, _POST), half)
    )
    result = subprocess.run(
        [rscript, "--vanilla", "-e", code], capture_output=True, text=True, check=True
    )
    expected = [[float(v) for v in line.split()] for line in result.stdout.splitlines()]
    samples = _censored_pairs(_PRE, _POST)
    for policy, (v, p, low, high) in zip(("as_read", "half_lloq"), expected, strict=True):
        ours = prepost(samples, below_lloq=policy).iloc[0]
        assert ours["statistic"] == pytest.approx(v, rel=1e-12)
        assert ours["p"] == pytest.approx(p, rel=1e-9)
        assert (ours["ci_low"], ours["ci_high"]) == pytest.approx((low, high), rel=1e-6)


# --- the study tables -----------------------------------------------------------------


def long_samples(values: dict[str, dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """Samples table from {analyte: {subject: (pre, post)}}; NaN leaves a sample out."""
    return paired_samples(values)


SMALL = long_samples(
    {
        "CCL2": {f"P{i}": (100.0 + 10 * i, 80.0 + 9 * i) for i in range(8)},
        "NfL": {
            **{f"P{i}": (1500.0 + i, 1200.0 + 3 * i) for i in range(4)},
            **{f"P{i}": (500.0 + i, 600.0 + 2 * i) for i in range(4, 7)},
            "P7": (2000.0, np.nan),
        },
        "IL8": {**{f"P{i}": (5.0 + i, 7.0 + 2 * i) for i in range(6)}, "P6": (0.5, 0.2)},
    }
)
GROUPS = pd.Series({f"P{i}": ("responder" if i % 2 else "nonresponder") for i in range(8)})


def test_prepost_by_group_keeps_all_first_and_adjusts_within_group():
    from assaypipe.stats import prepost

    both = prepost(SMALL, groups=GROUPS)
    assert both["group"].unique().tolist() == ["all", "nonresponder", "responder"]
    only = prepost(SMALL, groups=GROUPS, include_all=False)
    assert only["group"].unique().tolist() == ["nonresponder", "responder"]
    counts = only.set_index(["group", "analyte"])["n"]
    assert counts[("responder", "CCL2")] == 4 and counts[("nonresponder", "NfL")] == 4
    for _, part in both.groupby("group"):
        q = multipletests(part["p"], method="fdr_bh")[1]
        assert part["q"].to_numpy() == pytest.approx(q)


def test_summary_rows_give_medians_and_effect_size():
    from assaypipe.stats import prepost_summary

    summary = prepost_summary(SMALL).set_index(["analysis", "analyte"])
    assert summary.loc[("prepost_median_pre", "CCL2"), "estimate"] == 135.0
    assert summary.loc[("prepost_median_post", "CCL2"), "estimate"] == 111.5
    assert summary.loc[("prepost_median_difference", "CCL2"), "estimate"] == -23.5
    effect = summary.loc[("prepost_effect_size", "CCL2")]
    # all 8 differences negative: V = 0, z = -(36 - 18)/sqrt(51), r = z / sqrt(8)
    assert effect["statistic"] == pytest.approx(-18 / math.sqrt(51))
    assert effect["estimate"] == pytest.approx(-18 / math.sqrt(51) / math.sqrt(8))
    assert summary["p"].isna().all() and summary["q"].isna().all()


def test_sensitivity_reruns_each_policy():
    from assaypipe.stats import prepost_sensitivity

    table = prepost_sensitivity(SMALL)
    assert table["analysis"].unique().tolist() == [
        "sensitivity_half_lloq",
        "sensitivity_lloq_sqrt2",
        "sensitivity_exclude",
    ]
    il8 = table[table["analyte"] == "IL8"].set_index("analysis")["n"]
    assert il8.tolist() == [7, 7, 6]  # P6 is below the LLOQ at both visits
    assert table["method"].str.contains("2 samples below LLOQ/LOD").sum() == 3


def test_subgroup_takes_subjects_above_the_threshold_at_baseline():
    from assaypipe.stats import prepost_subgroup

    table = prepost_subgroup(SMALL, analyte="NfL", threshold=1000, groups=GROUPS)
    tests = table[table["analysis"] == "subgroup_prepost"].set_index(["group", "analyte"])
    # P0..P3 and P7 are above 1000; P7 has no post sample
    assert tests.loc[("all", "NfL"), "n"] == 4
    assert tests.loc[("responder", "NfL"), "n"] == 2
    assert tests.loc[("all", "CCL2"), "n"] == 5
    assert "subgroup: baseline NfL > 1000" in tests.loc[("all", "NfL"), "method"]


def test_change_by_response_compares_nonresponders_with_responders():
    from assaypipe.stats import change_by_response

    table = change_by_response(SMALL, GROUPS)
    tests = table[table["group"] == "nonresponder vs responder"]
    assert tests["analysis"].unique().tolist() == ["change_difference", "change_log2_ratio"]
    medians = table[table["analysis"] == "change_difference_median"].set_index(["analyte", "group"])
    # CCL2 change is -20 - i: nonresponders (even i) -21.. vs responders (odd i)
    assert medians.loc[("CCL2", "nonresponder"), "estimate"] == -23.0
    assert medians.loc[("CCL2", "responder"), "estimate"] == -24.0
    ccl2 = tests[(tests["analysis"] == "change_difference") & (tests["analyte"] == "CCL2")]
    assert ccl2["estimate"].iloc[0] == pytest.approx(1.0)
    assert ccl2["n"].iloc[0] == 8


def test_covariate_must_exist():
    from assaypipe.stats import covariate_correlations

    subjects = pd.DataFrame({"subject_id": [f"P{i}" for i in range(8)], "age": range(40, 48)})
    table = covariate_correlations(SMALL, subjects, covariates=["age"])
    assert set(table["group"]) == {"age | baseline"}
    with pytest.raises(ValueError, match="covariate 'height'"):
        covariate_correlations(SMALL, subjects, covariates=["height"])


def test_pratt_ranks_zeros_before_dropping_them():
    from assaypipe.stats import signed_rank

    d = np.array([0.0, 1.0, -2.0, 3.0, 4.0, 5.0])
    pratt = signed_rank(d, zero_method="pratt")
    wilcox = signed_rank(d, zero_method="wilcox")
    # Pratt: ranks 2..6 for the nonzero values, V = 2 + 4 + 5 + 6 = 17,
    # E = (21 - 1) / 2 = 10, var = (546 - 6) / 24 = 22.5;
    # R 4.2: 2 * pnorm(-(17 - 10 - 0.5) / sqrt(22.5)) = 0.17058693287144136
    assert pratt.statistic == 17
    assert pratt.p == pytest.approx(0.17058693287144136, rel=1e-9)
    assert wilcox.statistic == 13 and wilcox.n_ranked == 5 and pratt.n_ranked == 6
    assert "Pratt" in pratt.describe() and "1 zero differences" in wilcox.describe()
    with pytest.raises(ValueError, match="zero_method"):
        signed_rank(d, zero_method="zsplit")


def test_no_nonzero_difference_gives_missing_test():
    from assaypipe.stats import signed_rank

    result = signed_rank(np.zeros(4))
    assert math.isnan(result.p) and math.isnan(result.interval.estimate)
    assert result.n == 4 and result.n_zero == 4


# --- a row without an estimate says why ------------------------------------------------


def _no_estimate_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["estimate"].isna()]


def test_every_row_without_an_estimate_says_why() -> None:
    from assaypipe.stats import change_by_response, pair_correlations, prepost_subgroup
    from tests.unit.test_stats_reference import _fixture

    samples, _, groups = _fixture()
    # Z: A's baseline values again at post, so every difference is zero
    pre = samples[(samples["analyte"] == "A") & (samples["visit"] == "baseline")]
    same = pd.concat([pre, pre.assign(visit="post", sample_id=pre["sample_id"] + "-post")])
    samples = pd.concat([samples, same.assign(analyte="Z")], ignore_index=True)
    one_group = groups[groups == "responder"]
    tables = {
        "prepost": prepost(samples, groups=groups),
        "subgroup_empty": prepost_subgroup(samples, analyte="D", threshold=1e9, groups=groups),
        "response_one_group": change_by_response(samples, one_group),
        "pairs_absent": pair_correlations(samples[samples["visit"] == "post"], [["A", "D"]]),
    }
    for name, table in tables.items():
        empty = _no_estimate_rows(table)
        assert len(empty), name  # each case has rows without an estimate
        assert empty["note"].notna().all() and (empty["note"].str.len() > 0).all(), name
        assert table.loc[table["estimate"].notna(), "note"].isna().all(), name
    zero = _no_estimate_rows(tables["prepost"])
    assert set(zero["analyte"]) == {"Z"}
    assert zero["note"].str.fullmatch(r"all \d+ differences are zero").all()
    subgroup = tables["subgroup_empty"]
    assert (subgroup["n"] == 0).all()
    assert (
        subgroup["note"]
        .str.fullmatch(
            "n = 0 in the subgroup(?:, in group [a-z]+)?: no subject has baseline D > 1e\\+09"
        )
        .all()
    )
    response = _no_estimate_rows(tables["response_one_group"])
    assert (response["note"] == "n = 0 in group nonresponder").all()
    # only post samples: no change to regress, no baseline fit; pooled and post have estimates
    pairs = _no_estimate_rows(tables["pairs_absent"])
    assert set(pairs["group"]) == {"A | change", "A | baseline"}
    assert (pairs["note"] == "n = 0: no point with both values").all()
