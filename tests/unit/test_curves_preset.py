"""curves.preset: vendor (curves.vendor, fit_curves' vendor options) and masked wells.

References: SciPy's least_squares on the vendor's objective written out in its own
letters (an independent fit), and values set by hand in the test data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import least_squares

from assaypipe.curves import fit_curves, fit_plate_curves, inverse, predict
from assaypipe.curves.vendor import reflected_params, reflected_vcov, vendor_fit
from assaypipe.interpolate import classify_censor, interpolate_wells
from assaypipe.layout import is_usable, masked_by_lab
from assaypipe.pipeline import process_chunk
from assaypipe.samples import combine_replicates
from assaypipe.settings import CurveSettings, Settings
from assaypipe.sheets import read_aliases
from tests.conftest import REPO, wells_frame

EXPORTS = REPO / "tests" / "data" / "exports"
LEVELS = 320.0 / 2.0 ** np.arange(7)


def scipy_fit(model, x, y, w, start):  # type: ignore[no-untyped-def]
    """The weighted least-squares optimum of the curve in its own letters (SciPy's
    Levenberg-Marquardt from ``start``), independent of assaypipe's engine."""

    def residuals(p: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray((model(p, x) - y) * np.sqrt(w))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = least_squares(residuals, start, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return result.x, float(np.sum(result.fun**2))


def four_pl(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    a, b, c, d = p
    return np.asarray(d + (a - d) / (1.0 + (x / c) ** b))


def xponent_5p(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    big_a, big_b, big_c, big_d, big_f = p  # xPONENT's letters, D < 0
    return np.asarray(big_a + (big_b - big_a) / (1.0 + (x / big_c) ** big_d) ** big_f)


def test_zero_dose_fits_the_zero_standard_as_the_response_at_zero() -> None:
    # An ELISA series with its zero standard, in duplicate, unweighted (SoftMax, Gen5)
    rng = np.random.default_rng(7)
    conc = np.repeat(np.append(LEVELS, 0.0), 2)
    truth = {"a": 0.055, "b": 1.08, "c": 360.0, "d": 3.6, "g": 1.0}
    signal = predict(truth, conc) * (1.0 + 0.03 * rng.standard_normal(conc.size))
    fit = fit_curves([conc], [signal], "4PL", "none", zero_dose=True, series_checks=False)
    ours = fit.params[0, :4]
    theirs, rss = scipy_fit(four_pl, conc, signal, np.ones(conc.size), [0.05, 1.0, 300.0, 3.0])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert fit.n_points[0] == 16 and fit.rss[0] == pytest.approx(rss, rel=1e-9)
    # without zero_dose the zero standard is left out, as assaypipe's own fit does
    assert fit_curves([conc], [signal], "4PL", "none").n_points[0] == 14


def test_given_weights_fit_signals_at_and_below_zero() -> None:
    # xPONENT's weights: 1/y^2 of the observed Net MFI, 1 where it is exactly 0
    conc = np.repeat(LEVELS, 2)
    signal = np.array([9000, 9100, 6100, 6000, 3200, 3300, 1300, 1250, 420, 400, 90, 0, -2, 3.0])
    weights = np.where(signal == 0, 1.0, 1.0 / np.where(signal == 0, 1.0, signal) ** 2)
    fit = fit_curves([conc], [signal], "4PL", "1/y^2", weights=[weights], polish=True)
    assert fit.n_points[0] == 14  # the 0 and the -2 are fitted
    theirs, rss = scipy_fit(four_pl, conc, signal, weights, fit.params[0, :4] * 1.01)
    np.testing.assert_allclose(fit.params[0, :4], theirs, rtol=1e-5, atol=1e-4)
    assert fit.rss[0] == pytest.approx(rss, rel=1e-9)
    # with its own 1/y^2 weighting assaypipe leaves them out
    assert fit_curves([conc], [signal], "4PL", "1/y^2").n_points[0] == 12


def test_given_weights_of_curves_without_a_point() -> None:
    # A batch of plates whose standards have no usable point (a real xPONENT export with
    # a vendor fit but no standard wells): nothing is fitted, nothing raises.
    empty = np.array([], dtype=float)
    fit = fit_curves([empty, empty], [empty, empty], "5PL", "1/y^2", weights=[empty, empty])
    assert list(fit.n_points) == [0, 0]
    assert list(fit.status) == ["too_few_points", "too_few_points"]


def test_series_checks_off_fits_the_levels_beyond_a_hook() -> None:
    conc = np.repeat(LEVELS, 2)
    truth = {"a": 20.0, "b": 1.2, "c": 80.0, "d": 20000.0, "g": 1.0}
    signal = predict(truth, conc)
    signal[:2] = 0.5 * signal[2]  # the top level falls back: a hook
    checked = fit_curves([conc], [signal], "4PL", "1/y^2")
    unchecked = fit_curves([conc], [signal], "4PL", "1/y^2", series_checks=False)
    assert checked.status[0] == "hook" and checked.n_points[0] == 12
    assert unchecked.n_points[0] == 14 and "hook" not in " ".join(unchecked.fit_reasons[0])


def test_vendor_fit_recipes_and_their_fallbacks() -> None:
    xponent = vendor_fit("xponent", "xPONENT", "Logistic 5P")
    assert not isinstance(xponent, str)
    assert (xponent.model, xponent.weighting, xponent.negative_slope) == ("5PL", "1/y^2", True)
    assert xponent.weights([4.0, 0.0, -2.0]).tolist() == [1 / 16, 1.0, 1 / 4]
    gen5 = vendor_fit("gen5", "Gen5", "Y = (A-D)/(1+(X/C)^B) + D")
    assert not isinstance(gen5, str) and (gen5.model, gen5.zero_dose) == ("4PL", True)
    softmax = vendor_fit("softmax", "SoftMax Pro", "")
    assert not isinstance(softmax, str) and "names no curve fit" in softmax.reason()
    assert vendor_fit("xponent", "xPONENT", "Logistic 4P") == (
        "xPONENT's curve Logistic 4P is not a fit assaypipe reproduces"
    )
    assert vendor_fit("xponent", "xPONENT", "") == (
        "the export does not say how xPONENT fitted this analyte"
    )
    assert vendor_fit("grid", "", "") == "how grid fits its standards is not known to assaypipe"


def test_a_negative_slope_is_the_same_curve_in_one_over_x() -> None:
    fitted = {"a": 25000.0, "b": 1.12, "c": 1.0 / 850.0, "d": -1.5, "g": 0.91}
    written = reflected_params(fitted)
    x = np.geomspace(0.1, 5000.0, 9)
    np.testing.assert_allclose(predict(written, x), predict(fitted, 1.0 / x), rtol=1e-12)
    # xPONENT's own letters give the same curve
    np.testing.assert_allclose(
        predict(written, x), xponent_5p(np.array([-1.5, 25000.0, 850.0, -1.12, 0.91]), x)
    )
    assert reflected_params(written) == pytest.approx(fitted)
    vcov = np.diag([1.0, 0.01, 1e-8, 4.0, 0.0025])
    assert np.diag(reflected_vcov(vcov, fitted["c"]))[2] == pytest.approx(1e-8 * 850.0**4)


def luminex_plate(signal_of: dict[str, float], flags: dict[str, str] | None = None) -> pd.DataFrame:
    """One analyte's standards (7 levels in duplicate) and two samples in duplicate."""
    rows = []
    for i, conc in enumerate(LEVELS):
        for column in (1, 2):
            well = f"{'ABCDEFG'[i]}{column}"
            rows.append(
                {
                    "well": well,
                    "role": "standard",
                    "level": i + 1,
                    "expected_conc": conc,
                    "signal": signal_of[well],
                    "flags": (flags or {}).get(well, ""),
                }
            )
    for well, signal, name in (("A3", 2000.0, "S1"), ("B3", 2100.0, "S1"), ("C3", 9.0, "S2")):
        rows.append(
            {
                "well": well,
                "role": "sample",
                "sample_name": name,
                "sample_id": name,
                "signal": signal,
                "flags": (flags or {}).get(well, ""),
            }
        )
    return wells_frame(rows)


def xponent_signals() -> dict[str, float]:
    curve = reflected_params({"a": 24000.0, "b": 1.3, "c": 1.0 / 120.0, "d": 2.0, "g": 0.6})
    rng = np.random.default_rng(3)
    return {
        f"{'ABCDEFG'[i]}{column}": float(predict(curve, conc)[()]) * (1 + 0.04 * rng.normal())
        for i, conc in enumerate(LEVELS)
        for column in (1, 2)
    }


def test_vendor_preset_fits_xponent_5p_with_negative_slope() -> None:
    signals = xponent_signals()
    wells = luminex_plate(signals)
    plates = pd.DataFrame([{"plate_id": "P1", "format": "xponent", "software": "xPONENT"}])
    vendor = pd.DataFrame(
        [
            {
                "plate_id": "P1",
                "analyte": "CCL2",
                "well": None,
                "quantity": "model",
                "raw_text": "Logistic 5P",
            }
        ]
    )
    curves = fit_plate_curves(
        wells, CurveSettings.from_mapping({"preset": "vendor"}), plates=plates, vendor=vendor
    )
    assert len(curves) == 1 and bool(curves["selected"].iloc[0])
    row = curves.iloc[0]
    assert (row["model"], row["weighting"], row["n_points"]) == ("5PL", "1/y^2", 14)
    assert row["b"] < 0 and row["reasons"].startswith("fitted as xPONENT does: Logistic 5P")
    standards = wells[wells["role"] == "standard"]
    x = standards["expected_conc"].to_numpy(float)
    y = standards["signal"].to_numpy(float)
    ours = np.array([row["d"], row["a"], row["c"], row["b"], row["g"]])
    theirs, rss = scipy_fit(xponent_5p, x, y, 1.0 / y**2, ours * 1.001)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert row["rss"] == pytest.approx(rss, rel=1e-9)
    # interpolation reads the curve the right way round: a signal above the
    # infinite-dose response is >ULOQ, one below the zero-dose response <LOD
    params = row[["a", "b", "c", "d", "g"]].astype(float).to_dict()
    censor = classify_censor(
        [np.nan, np.nan], [row["a"] + 1.0, row["d"] - 1.0], params, 1, 100, 0.5
    )
    assert censor.tolist() == [">ULOQ", "<LOD"]
    out = interpolate_wells(wells, curves)
    s1 = out[out["well"] == "A3"].iloc[0]
    assert s1["concentration"] == pytest.approx(float(inverse(params, 2000.0)[()]))


def test_vendor_preset_falls_back_to_assaypipe_with_the_reason() -> None:
    wells = luminex_plate(xponent_signals())
    plates = pd.DataFrame([{"plate_id": "P1", "format": "xponent", "software": "xPONENT"}])
    curves = fit_plate_curves(
        wells, CurveSettings.from_mapping({"preset": "vendor"}), plates=plates
    )
    assert sorted(curves["model"]) == ["4PL", "5PL"] and curves["selected"].sum() == 1
    assert (
        curves["reasons"]
        .str.startswith(
            "vendor preset: the export does not say how xPONENT fitted this analyte; "
            "assaypipe's fit used"
        )
        .all()
    )
    default = fit_plate_curves(wells, plates=plates)
    pd.testing.assert_frame_equal(
        default.drop(columns="reasons"), curves.drop(columns="reasons"), check_exact=False
    )


def test_masked_wells_are_left_out_of_the_fit_and_the_means() -> None:
    signals = xponent_signals()
    flags = {"B2": "vendor_masked", "B3": "vendor_masked"}
    wells = luminex_plate(signals, flags)
    plates = pd.DataFrame([{"plate_id": "P1", "format": "softmax", "software": "SoftMax Pro"}])
    for preset in ("assaypipe", "vendor"):
        curves = fit_plate_curves(
            wells, CurveSettings.from_mapping({"preset": preset}), plates=plates
        )
        chosen = curves[curves["selected"]].iloc[0]
        assert chosen["reasons"].startswith("excluded standard well(s) B2: masked in SoftMax Pro")
        assert chosen["n_excluded"] == 1
    unnamed = fit_plate_curves(wells)
    assert "B2: masked in the instrument software" in unnamed["reasons"].iloc[0]
    # the same fit as with the well gone
    kept = fit_plate_curves(wells[wells["well"] != "B2"])
    np.testing.assert_allclose(unnamed["c"], kept["c"], rtol=1e-12)
    assert is_usable(wells["flags"]).sum() == len(wells) - 2
    # Bio-Plex's `---` cell masks a well by its token alone
    assert masked_by_lab(pd.Series(["", ""]), pd.Series(["masked", "numeric"])).tolist() == [
        True,
        False,
    ]
    interpolated = interpolate_wells(wells, unnamed)
    sheet = pd.DataFrame({"sample_id": ["S1", "S2"], "subject_id": ["1", "2"], "visit": "v"})
    samples = combine_replicates(interpolated, unnamed, sheet).set_index("sample_id")
    a3 = interpolated.set_index("well").loc["A3", "concentration"]
    assert samples.loc["S1", "n_replicates"] == 1
    assert samples.loc["S1", "concentration"] == pytest.approx(a3)


@pytest.mark.parametrize("preset", ["assaypipe", "vendor"])
def test_vendor_preset_reads_xponent_as_net_mfi(no_settle, preset: str) -> None:  # type: ignore[no-untyped-def]
    # The fixture's Analysis Types: CCL2 Logistic 5P (fitted as xPONENT does), HGF
    # Logistic 4P (assaypipe's fit, with the reason)
    result = process_chunk(
        [
            {
                "plate_id": "P1",
                "export": str(EXPORTS / "xponent/xponent31_2plex_resaved.csv"),
                "plate_map": None,
            }
        ],
        pd.DataFrame(columns=["sample_id", "subject_id", "visit", "matrix"]),
        read_aliases(REPO / "config" / "analytes.tsv"),
        chunk="chunk0",
        settings=Settings.from_config({"curves": {"preset": preset}}),
    )
    kinds = set(result.wells["signal_kind"])
    selected = result.curves[result.curves["selected"]].set_index("analyte")
    if preset == "assaypipe":
        assert kinds == {"Median MFI"}
        assert not selected["reasons"].str.contains("xPONENT").any()
        return
    assert kinds == {"Net MFI"}
    # 5 standards cannot identify a 5PL with assaypipe's engine (it needs 6 levels)
    assert selected.loc["CCL2", "status"] == "too_few_points"
    assert "fitted as xPONENT does: Logistic 5P" in selected.loc["CCL2", "reasons"]
    assert "Logistic 4P is not a fit assaypipe reproduces" in selected.loc["HGF", "reasons"]


def test_vendor_preset_names_gen5_curve_from_its_export(no_settle) -> None:  # type: ignore[no-untyped-def]
    result = process_chunk(
        [
            {
                "plate_id": "P1",
                "export": str(EXPORTS / "gen5/gen5_endpoint_layout_4pl.txt"),
                "plate_map": None,
            }
        ],
        pd.DataFrame(columns=["sample_id", "subject_id", "visit", "matrix"]),
        read_aliases(REPO / "config" / "analytes.tsv"),
        chunk="chunk0",
        settings=Settings.from_config({"curves": {"preset": "vendor"}}),
    )
    curve = result.curves.iloc[0]
    assert len(result.curves) == 1 and curve["model"] == "4PL" and curve["weighting"] == "none"
    assert "fitted as Gen5 does: 4-parameter logistic, unweighted" in curve["reasons"]


def test_vendor_results_take_the_wells_analyte_names() -> None:
    from assaypipe.vendor_curves import in_wells_terms

    wells = pd.DataFrame(
        {"plate_id": ["P1", "P1", "P2"], "analyte_raw": ["MCP-1", "HGF", "MCP1"]}
    ).assign(analyte=["CCL2", "HGF", "CCL2"])
    vendor = pd.DataFrame(
        {"plate_id": ["P1", "P2", "P2", "P1"], "analyte": ["MCP-1", "MCP1", "MCP-1", "IL-99"]}
    )
    assert in_wells_terms(vendor, wells)["analyte"].tolist() == ["CCL2", "CCL2", "MCP-1", "IL-99"]
