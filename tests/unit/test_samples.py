import numpy as np
import pandas as pd
import pytest

from assaypipe import tables
from assaypipe.curves import predict
from assaypipe.samples import combine_replicates
from tests.conftest import wells_frame
from tests.oddities import odd_plate, odd_sample_ids, run_stages

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


def test_several_plates_average_every_reading_censored_ones_as_their_substitute():
    curves = pd.concat(
        [curves_frame().assign(plate_id=plate) for plate in ("P1", "P2", "P3")]
        + [curves_frame(converged=False).assign(plate_id="P4")],
        ignore_index=True,
    )
    wells = wells_frame(
        [
            # S1: 100 on P1, <LLOQ on P2 (LLOQ 10: counts 5)
            {"plate_id": "P1", "sample_id": "S1", "signal": signal_at(100.0)},
            {"plate_id": "P2", "sample_id": "S1", "signal": signal_at(5.0)},
            # S2: censored everywhere, one each of <LOD, <LLOQ and >ULOQ: 5, 5 and 5000
            {"plate_id": "P1", "sample_id": "S2", "signal": signal_at(1.0)},
            {"plate_id": "P2", "sample_id": "S2", "signal": signal_at(5.0)},
            {"plate_id": "P3", "sample_id": "S2", "signal": signal_at(9000.0)},
            # S3: no usable well on P1, no converged curve on P4, missing curve on P5
            {"plate_id": "P1", "sample_id": "S3", "signal": signal_at(50.0), "flags": "low_beads"},
            {"plate_id": "P4", "sample_id": "S3", "signal": signal_at(50.0)},
            {"plate_id": "P5", "sample_id": "S3", "signal": signal_at(50.0)},
            # S1 again on P3 with mixed dilutions (the first, 2, applies), censored <LOD:
            # LLOQ 2 x 10 = 20 counts 10
            {"plate_id": "P3", "sample_id": "S1", "signal": signal_at(0.5), "dilution": 2.0},
            {"plate_id": "P3", "sample_id": "S1", "signal": signal_at(0.5), "dilution": 4.0},
        ]
    )
    samples = combine_replicates(wells, curves, SHEET).set_index("sample_id")
    assert samples.index.tolist() == ["S1", "S2", "S3"]
    s1 = samples.loc["S1"]
    # (100 + 5 + 10) / 3 = 38.3, above the highest LLOQ (20): uncensored
    assert s1["concentration"] == pytest.approx(115.0 / 3, rel=1e-9)
    assert pd.isna(s1["censor"])
    assert pd.isna(s1["cv"])
    assert (s1["lloq"], s1["uloq"]) == (20.0, 5000.0)
    assert s1["n_replicates"] == 4
    assert s1["flags"] == "mixed_dilutions;several_plates"
    assert s1["plate_ids"] == "P1;P2;P3"
    s2 = samples.loc["S2"]
    # (5 + 5 + 5000) / 3 = 1670, within 10-5000: the stated rule leaves it uncensored
    assert pd.isna(s2["censor"])
    assert s2["concentration"] == pytest.approx(5010.0 / 3, rel=1e-9)
    assert s2["flags"] == "several_plates"
    s3 = samples.loc["S3"]
    assert pd.isna(s3["concentration"]) and pd.isna(s3["censor"])
    assert s3["n_replicates"] == 2
    assert s3["flags"] == "no_curve;no_usable_wells;replicate_excluded;several_plates"
    assert s3["plate_ids"] == "P1;P4;P5"


def plates_of(
    readings: list[float], lloq: list[float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wells of sample S1 on plates Q01.. (one reading each, true concentration given)
    and those plates' curves, with the plates' LLOQs (default 10) and ULOQ 5000."""
    lloq = lloq or [10.0] * len(readings)
    plates = [f"Q{i + 1:02d}" for i in range(len(readings))]
    curves = pd.concat(
        [curves_frame().assign(plate_id=p, lloq=q) for p, q in zip(plates, lloq, strict=True)],
        ignore_index=True,
    )
    wells = wells_frame(
        [
            {"plate_id": p, "sample_id": "S1", "signal": signal_at(c)}
            for p, c in zip(plates, readings, strict=True)
        ]
    )
    return wells, curves


def test_a_sample_below_lloq_on_nine_of_ten_plates_is_below_lloq():
    # nine plates read 4 (<LLOQ 10), one reads 40: the former rule reported 40
    # uncensored; every reading counts: (9 x 10 / 2 + 40) / 10 = 8.5 < 10
    wells, curves = plates_of([4.0] * 9 + [40.0])
    s1 = combine_replicates(wells, curves, SHEET).set_index("sample_id").loc["S1"]
    assert s1["censor"] == "<LLOQ"
    assert s1["concentration"] == pytest.approx(8.5, rel=1e-9)
    assert s1["lloq"] == 10.0 and s1["n_replicates"] == 10
    # with LLOQ/sqrt2: (9 x 7.071 + 40) / 10 = 10.36, no longer below the LLOQ
    s1 = combine_replicates(wells, curves, SHEET, censored="lloq_sqrt2").iloc[0]
    assert pd.isna(s1["censor"])
    assert s1["concentration"] == pytest.approx((9 * 10 / np.sqrt(2) + 40) / 10, rel=1e-9)


def test_several_plates_average_censored_readings_as_read():
    # Reference: the stated rule by hand. Readings 2.5 and 6 (<LLOQ 10) count as read:
    # (2.5 + 6 + 14) / 3 = 7.5, <LLOQ; as LLOQ/2 they give (5 + 5 + 14) / 3 = 8.
    wells, curves = plates_of([2.5, 6.0, 14.0])
    s1 = combine_replicates(wells, curves, SHEET, censored="as_read").iloc[0]
    assert s1["concentration"] == pytest.approx(22.5 / 3, rel=1e-9)
    assert s1["censor"] == "<LLOQ"
    s1 = combine_replicates(wells, curves, SHEET).iloc[0]
    assert s1["concentration"] == pytest.approx(24.0 / 3, rel=1e-9)
    # A signal the curve never reaches (below a = 30) has no reading: left out of the mean.
    wells.loc[wells["plate_id"] == "Q01", "signal"] = 20.0
    s1 = combine_replicates(wells, curves, SHEET, censored="as_read").iloc[0]
    assert s1["concentration"] == pytest.approx(20.0 / 2, rel=1e-9)
    assert pd.isna(s1["censor"])
    with pytest.raises(ValueError, match="censored must be one of"):
        combine_replicates(wells, curves, SHEET, censored="zero")


@pytest.mark.parametrize(
    ("readings", "lloq", "expected", "censor"),
    [
        # all uncensored: the plain mean
        ([20.0, 40.0], [10.0, 10.0], 30.0, None),
        # one of two below: (5 + 40) / 2 = 22.5, above the LLOQ
        ([4.0, 40.0], [10.0, 10.0], 22.5, None),
        # the highest LLOQ involved decides: 22.5 < 30
        ([4.0, 40.0], [10.0, 30.0], 22.5, "<LLOQ"),
        # every reading <LOD (LOD 2): the mean is <LOD
        ([1.0, 1.0, 1.0], [10.0] * 3, 5.0, "<LOD"),
        # <LOD and <LLOQ mixed: <LLOQ
        ([1.0, 4.0], [10.0, 10.0], 5.0, "<LLOQ"),
        # above the ULOQ (5000) twice, within once: (5000 + 5000 + 4000) / 3 = 4667
        ([9000.0, 8000.0, 4000.0], [10.0] * 3, 14000.0 / 3, None),
        # three of four >ULOQ: (3 x 5000 + 4900) / 4 = 4975, still within the ULOQ
        ([9000.0, 9000.0, 9000.0, 4900.0], [10.0] * 4, 19900.0 / 4, None),
    ],
)
def test_mixed_readings_across_plates(readings, lloq, expected, censor):
    # Reference: the stated rule by hand (substitute, average, censor the mean)
    wells, curves = plates_of(readings, lloq)
    s1 = combine_replicates(wells, curves, SHEET).iloc[0]
    assert s1["concentration"] == pytest.approx(expected, rel=1e-9)
    assert (None if pd.isna(s1["censor"]) else s1["censor"]) == censor
    assert s1["lloq"] == max(lloq) and s1["uloq"] == 5000.0


def test_a_mean_above_the_lowest_uloq_is_above_uloq():
    wells, curves = plates_of([9000.0, 4500.0])
    curves.loc[1, "uloq"] = 4000.0
    # 4500 is >ULOQ on the second plate too: (5000 + 4000) / 2 = 4500 > 4000
    s1 = combine_replicates(wells, curves, SHEET).iloc[0]
    assert s1["censor"] == ">ULOQ" and s1["uloq"] == 4000.0
    assert s1["concentration"] == pytest.approx(4500.0, rel=1e-9)
    with pytest.raises(ValueError, match="censored must be one of"):
        combine_replicates(wells, curves, SHEET, censored="exclude")


# -- what real files bring (tests/oddities.py) ---------------------------------------------


@pytest.mark.parametrize("case", ["no_standards", "no_signal", "no_positive_signal"])
def test_samples_of_a_plate_without_a_curve_are_kept_without_a_value(case):
    stages = run_stages(odd_plate(case))
    samples = stages.samples
    assert samples["sample_id"].tolist() == [f"S{i:02d}" for i in range(1, 11)]
    assert samples["concentration"].isna().all() and samples["censor"].isna().all()
    # the one reason, not its consequences (no replicate was left out for its own sake)
    assert (samples["flags"] == "no_curve").all()
    assert (samples["n_replicates"] == 0).all()
    assert samples["subject_id"].tolist() == [f"P{i}" for i in range(1, 6) for _ in (0, 1)]


def test_a_single_sample_well_gives_one_row_without_a_value():
    samples = run_stages(odd_plate("single_well")).samples
    assert samples[["sample_id", "flags"]].values.tolist() == [["S01", "no_curve"]]
    assert tables.SAMPLES.validate(samples) is not None


def test_a_plate_without_placed_wells_gives_no_sample_and_a_well_formed_table():
    samples = run_stages(odd_plate("unassigned")).samples
    assert samples.empty and list(samples.columns) == list(tables.SAMPLES.columns)
    both = run_stages(pd.concat([odd_plate("clean", "P1"), odd_plate("unassigned", "P2")]))
    assert len(both.samples) == 10 and (both.samples["plate_ids"] == "P1").all()


def test_sample_ids_as_plates_write_them_are_matched_to_the_sheet():
    stages = run_stages(odd_sample_ids(odd_plate("clean")))
    samples = stages.samples.set_index("sample_id")
    assert {"Sample 1", "Samples/01"} <= set(samples.index)
    # sorted after S03 .. S10, they are the last subject's pair
    assert samples.loc["Sample 1", ["subject_id", "visit"]].tolist() == ["P5", "baseline"]
    assert samples.loc["Samples/01", ["subject_id", "visit"]].tolist() == ["P5", "post"]
    assert samples["concentration"].notna().all()


def test_samples_no_sheet_knows_keep_their_value_without_subject():
    stages = run_stages(odd_plate("clean"), sheet=SHEET.iloc[0:0])
    assert len(stages.samples) == 10
    assert stages.samples["subject_id"].isna().all() and stages.samples["visit"].isna().all()
    assert stages.samples["concentration"].notna().all()
