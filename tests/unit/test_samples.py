import numpy as np
import pandas as pd
import pytest

from assaypipe.curves import predict
from assaypipe.samples import combine_replicates
from tests.conftest import wells_frame

PARAMS = {"a": 30.0, "b": 1.2, "c": 800.0, "d": 20000.0, "g": 0.8}
SHEET = pd.DataFrame(
    {
        "sample_id": ["S1", "S2", "S3"],
        "subject_id": ["P1", "P2", "P3"],
        "visit": ["baseline", "post", "baseline"],
    }
)


def curves_frame(converged=True):
    return pd.DataFrame(
        [
            {
                "plate_id": "P1",
                "analyte": "CCL2",
                "model": "5PL",
                "selected": True,
                "converged": converged,
                "lloq": 10.0,
                "uloq": 5000.0,
                "lod": 2.0,
                **PARAMS,
            }
        ]
    )


def signal_at(conc):
    return float(predict(PARAMS, np.array([conc]))[0])


def test_replicates_averaged_in_signal_space_and_diluted():
    s1 = [signal_at(95.0), signal_at(105.0)]
    wells = wells_frame(
        [
            {
                "well": "A1",
                "sample_id": "S1",
                "signal": s1[0],
                "dilution": 2.0,
                "concentration": 190.0,
            },
            {
                "well": "A2",
                "sample_id": "S1",
                "signal": s1[1],
                "dilution": 2.0,
                "concentration": 210.0,
            },
            # a low-bead well is left out of the mean
            {"well": "A3", "sample_id": "S2", "signal": signal_at(300.0), "concentration": 300.0},
            {"well": "A4", "sample_id": "S2", "signal": signal_at(9000.0), "flags": "low_beads"},
            {"well": "A5", "sample_id": "S3", "signal": signal_at(5.0), "concentration": 5.0},
            {"well": "A6", "sample_id": "S3", "signal": signal_at(5.0), "concentration": 5.0},
            # standards are not samples
            {"well": "B1", "role": "standard", "sample_id": None, "signal": 1000.0},
        ]
    )
    samples = combine_replicates(wells, curves_frame(), SHEET).set_index("sample_id")
    expected_s1 = 2.0 * float(np.exp(np.log([95.0, 105.0]).mean()))  # not used: signal mean
    mean_signal = np.mean(s1)
    from assaypipe.curves import inverse

    assert samples.loc["S1", "concentration"] == pytest.approx(
        2.0 * inverse(PARAMS, np.array([mean_signal]))[0], rel=1e-12
    )
    assert samples.loc["S1", "concentration"] != pytest.approx(expected_s1, rel=1e-9)
    assert samples.loc["S1", "cv"] == pytest.approx(np.std([190, 210], ddof=1) / 200)
    assert samples.loc["S1", "lloq"] == 20.0
    assert samples.loc["S1", "subject_id"] == "P1"
    assert samples.loc["S2", "concentration"] == pytest.approx(300.0, rel=1e-9)
    assert samples.loc["S2", "n_replicates"] == 1
    assert samples.loc["S2", "flags"] == "replicate_excluded"
    assert samples.loc["S3", "censor"] == "<LLOQ"
    assert samples.loc["S3", "concentration"] == pytest.approx(5.0, rel=1e-9)
    assert set(samples.index) == {"S1", "S2", "S3"}


def test_no_curve_leaves_value_missing_and_flags_it():
    wells = wells_frame([{"well": "A1", "sample_id": "S1", "signal": 500.0}])
    samples = combine_replicates(wells, curves_frame(converged=False), SHEET)
    assert samples["concentration"].isna().all()
    assert samples["flags"].tolist() == ["no_curve"]


def test_several_plates_prefer_uncensored_and_censor_ties_go_to_the_smallest_label():
    curves = pd.concat(
        [curves_frame().assign(plate_id=plate) for plate in ("P1", "P2", "P3")]
        + [curves_frame(converged=False).assign(plate_id="P4")],
        ignore_index=True,
    )
    wells = wells_frame(
        [
            # S1: uncensored on P1, <LLOQ on P2: the value and limits come from P1
            {"plate_id": "P1", "sample_id": "S1", "signal": signal_at(100.0)},
            {"plate_id": "P2", "sample_id": "S1", "signal": signal_at(5.0)},
            # S2: censored everywhere, one each of <LOD, <LLOQ and >ULOQ: "<LLOQ" sorts first
            {"plate_id": "P1", "sample_id": "S2", "signal": signal_at(1.0)},
            {"plate_id": "P2", "sample_id": "S2", "signal": signal_at(5.0)},
            {"plate_id": "P3", "sample_id": "S2", "signal": signal_at(9000.0)},
            # S3: no usable well on P1, no converged curve on P4, missing curve on P5
            {"plate_id": "P1", "sample_id": "S3", "signal": signal_at(50.0), "flags": "low_beads"},
            {"plate_id": "P4", "sample_id": "S3", "signal": signal_at(50.0)},
            {"plate_id": "P5", "sample_id": "S3", "signal": signal_at(50.0)},
            # S1 again on P3 with mixed dilutions, censored <LOD
            {"plate_id": "P3", "sample_id": "S1", "signal": signal_at(0.5), "dilution": 2.0},
            {"plate_id": "P3", "sample_id": "S1", "signal": signal_at(0.5), "dilution": 4.0},
        ]
    )
    samples = combine_replicates(wells, curves, SHEET).set_index("sample_id")
    assert samples.index.tolist() == ["S1", "S2", "S3"]
    s1 = samples.loc["S1"]
    assert s1["concentration"] == pytest.approx(100.0, rel=1e-9)
    assert pd.isna(s1["censor"])
    assert pd.isna(s1["cv"])
    assert (s1["lloq"], s1["uloq"]) == (10.0, 5000.0)
    assert s1["n_replicates"] == 4
    assert s1["flags"] == "mixed_dilutions;several_plates"
    assert s1["plate_ids"] == "P1;P2;P3"
    s2 = samples.loc["S2"]
    assert s2["censor"] == "<LLOQ"
    assert s2["concentration"] == pytest.approx((1.0 + 5.0 + 9000.0) / 3, rel=1e-9)
    assert s2["flags"] == "several_plates"
    s3 = samples.loc["S3"]
    assert pd.isna(s3["concentration"]) and pd.isna(s3["censor"])
    assert s3["n_replicates"] == 2
    assert s3["flags"] == "no_curve;no_usable_wells;replicate_excluded;several_plates"
    assert s3["plate_ids"] == "P1;P4;P5"
