"""The instrument software's own curves, evaluated by assaypipe, against its own results.

References: the exports themselves. xPONENT's Result column and Bio-Plex Manager's Obs
Conc are the vendor software evaluating its curve; SoftMax Pro's standard-group
concentrations and Gen5's per-well concentrations are their back-fits. Our recoveries
are the median |recovery - 100%| of the standards; docs/curves.md tabulates them.
"""

from __future__ import annotations

import csv
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from assaypipe.curves import fit_plate_curves, inverse, level_recovery
from assaypipe.interpolate import interpolate_wells
from assaypipe.settings import CurveSettings
from assaypipe.vendor_curves import compare_concentrations, vendor_params, xponent_params
from tests.conftest import REALDATA

pytestmark = pytest.mark.realdata

DRLUMI = REALDATA / "xponent" / "xponent31_quant_30plex_drLumi.csv"
BIOPLEX = REALDATA / "bioplex" / "bioplex41_summary_27plex_5pl.xls"
SOFTMAX = REALDATA / "softmax" / "softmax_elisa_std8_utf16.txt"


def read(path, signal="median"):  # type: ignore[no-untyped-def]
    from assaypipe.readers import read_export

    if not path.is_file():
        pytest.skip(f"{path} not found (only in the dev setup)")
    return read_export(path, signal=signal)


def analysis_coefficients(path) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    """The Analysis Coefficients block of an xPONENT CSV, read here straight from the
    file (not through the reader): {analyte: {"A": ..., ..., "F": ...}}."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    start = next(
        i for i, row in enumerate(rows) if row[:2] == ["DataType:", "Analysis Coefficients"]
    )
    analytes = [a for a in rows[start + 1][1:] if a]
    out: dict[str, dict[str, float]] = {a: {} for a in analytes}
    for row in rows[start + 2 :]:
        if not row or not row[0].startswith("Coefficient "):
            break
        letter = row[0].removeprefix("Coefficient ").strip()
        for analyte, text in zip(analytes, row[1:], strict=False):
            out[analyte][letter] = float(text)
    return out


def drlumi_wells(signal: str) -> pd.DataFrame:
    """drLumi's wells with the standards' expected concentrations repaired.

    The export's Standard Expected Concentration block lost the decimal point of values
    with exactly three decimals (Standard5 of FGF: 215625 for 215.625, and the like); the
    series is a clean 2-fold dilution of Standard1, so every level is set to
    Standard1 / 2**(level - 1) after checking the exported value is that or 1000x that.
    The readers' flags for it are cleared, since the value is now right.
    """
    wells = read(DRLUMI, signal).wells.copy()
    standard = wells["role"] == "standard"
    level = wells.loc[standard, "level"].astype(int).to_numpy()
    top = wells[standard & (wells["level"] == 1)].groupby("analyte")["expected_conc"].first()
    series = wells.loc[standard, "analyte"].map(top).to_numpy(dtype=float) / 2.0 ** (level - 1)
    exported = wells.loc[standard, "expected_conc"].to_numpy(dtype=float)
    assert np.all(np.isclose(exported, series) | np.isclose(exported, 1000.0 * series))
    wells.loc[standard, "expected_conc"] = series
    cleared = {"implausible_expected_conc", "broken_dilution_series"}
    wells["flags"] = [
        ";".join(f for f in str(flags).split(";") if f and f not in cleared)
        for flags in wells["flags"]
    ]
    return wells


def recovery_errors(params: dict[str, float], conc: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """|recovery - 1| of each standard; a signal the curve cannot read counts as infinite."""
    recovery = inverse(params, signal) / conc
    return np.where(np.isfinite(recovery), np.abs(recovery - 1.0), np.inf)


def compare_recoveries(wells: pd.DataFrame, vendor: pd.DataFrame, weighting: str) -> pd.DataFrame:
    curves = fit_plate_curves(wells, CurveSettings.from_mapping({"weighting": weighting}))
    selected = curves[curves["selected"]].set_index("analyte")
    standards = wells[(wells["role"] == "standard") & np.isfinite(wells["signal"])]
    rows = []
    for analyte, group in standards.groupby("analyte"):
        theirs = vendor_params(vendor, str(analyte))
        assert theirs is not None, analyte
        ours = selected.loc[analyte, ["a", "b", "c", "d", "g"]].astype(float).to_dict()
        conc = group["expected_conc"].to_numpy(dtype=float)
        signal = group["signal"].to_numpy(dtype=float)
        rows.append(
            pd.DataFrame(
                {
                    "analyte": analyte,
                    "ours": recovery_errors(ours, conc, signal),
                    "vendor": recovery_errors(theirs, conc, signal),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


# ------------------------------------------------------------------------ xPONENT


def test_xponent_coefficients_reproduce_the_result_column() -> None:
    # Reference: xPONENT 3.1's own Result block (its 5PL inverted on Net MFI, x dilution)
    plate = read(DRLUMI, "net_mfi")
    coefficients = analysis_coefficients(DRLUMI)
    results = plate.vendor[
        (plate.vendor["quantity"] == "concentration") & (plate.vendor["token"] == "numeric")
    ]
    merged = plate.wells.merge(
        results[["analyte", "well", "value"]],
        left_on=["analyte_raw", "well"],
        right_on=["analyte", "well"],
        suffixes=("", "_vendor"),
    )
    assert len(merged) == 2580
    for analyte, group in merged.groupby("analyte_raw"):
        params = xponent_params(**coefficients[str(analyte)])
        # the reader's vendor table carries the same curve in our letters
        assert vendor_params(plate.vendor, str(analyte)) == pytest.approx(params, rel=1e-12)
        ours = inverse(params, group["signal"].to_numpy(dtype=float)) * group["dilution"]
        np.testing.assert_allclose(ours, group["value"], rtol=1e-7, err_msg=str(analyte))


@pytest.mark.parametrize("weighting", ["1/y^2", "1/y"])
def test_our_fit_recovers_the_standards_at_least_as_well_as_xponent(weighting: str) -> None:
    # Reference: xPONENT's Analysis Coefficients (its 5PL on Net MFI) read off the same wells
    wells = drlumi_wells("net_mfi")
    errors = compare_recoveries(wells, read(DRLUMI, "net_mfi").vendor, weighting)
    assert len(errors) == 30 * 17
    assert errors["ours"].median() <= errors["vendor"].median(), errors.median(numeric_only=True)
    per_analyte = errors.groupby("analyte")[["ours", "vendor"]].median()
    assert (per_analyte["ours"] <= per_analyte["vendor"]).sum() >= 15


# ------------------------------------------------------------------------ Bio-Plex


def test_bioplex_equation_reproduces_obs_conc_to_its_rounding() -> None:
    # Reference: Bio-Plex Manager 4.1's Obs Conc (its 5PL inverted on FI - Bkgd, x dilution).
    # The export rounds FI - Bkgd to 0.1, Obs Conc to 0.01 and the equation's
    # coefficients to 6 digits: every Obs Conc must lie in the range those roundings
    # allow around our evaluation of the equation.
    plate = read(BIOPLEX, "net_mfi")
    results = plate.vendor[
        (plate.vendor["quantity"] == "concentration") & (plate.vendor["token"] == "numeric")
    ]
    merged = plate.wells.merge(results[["analyte", "well", "value"]], on=["analyte", "well"])
    merged = merged[np.isfinite(merged["signal"].astype(float))]
    assert len(merged) == 1240
    inside = []
    for analyte, group in merged.groupby("analyte"):
        params = vendor_params(plate.vendor, str(analyte))
        assert params is not None
        signal = group["signal"].to_numpy(dtype=float)
        dilution = group["dilution"].to_numpy(dtype=float)
        value = group["value"].to_numpy(dtype=float)
        ends = []
        for shift, *factors in itertools.product((-0.05, 0.05), *[(1 - 1e-5, 1 + 1e-5)] * 5):
            varied = {k: v * f for (k, v), f in zip(params.items(), factors, strict=True)}
            ends.append(inverse(varied, signal + shift) * dilution)
        low, high = np.nanmin(ends, axis=0), np.nanmax(ends, axis=0)
        slack = 0.005 * dilution + 1e-5 * np.abs(value)
        inside.append((value >= low - slack) & (value <= high + slack))
    assert np.concatenate(inside).all()


def test_our_fit_recovers_the_standards_at_least_as_well_as_bioplex() -> None:
    # Reference: Bio-Plex Manager's 5PL (summary footer equation) read off the same wells;
    # with 1/y weights (the default 1/y^2 is 0.1 point behind here: docs/curves.md)
    plate = read(BIOPLEX, "net_mfi")
    errors = compare_recoveries(plate.wells, plate.vendor, "1/y")
    assert errors["ours"].median() <= errors["vendor"].median(), errors.median(numeric_only=True)


# ------------------------------------------------------------------------ SoftMax


def test_softmax_comparison_worst_level_is_ours_median_is_theirs() -> None:
    # Reference: SoftMax Pro's back-calculated mean concentration of each standard group
    # (the export gives no coefficients); the well SoftMax masked is left out of ours too.
    # SoftMax's fit sits almost exactly on its top standards (as an unweighted fit does)
    # and misses the lowest by 14%; ours spreads the error. By the median of the seven
    # levels SoftMax is ahead (1.1% against 1.3%), by the worst level we are (3.9% against
    # 14%): both recorded here so that a change to either shows.
    plate = read(SOFTMAX)
    wells = plate.wells[~plate.wells["flags"].str.contains("vendor_masked")]
    curves = fit_plate_curves(wells)
    params = curves[curves["selected"]].iloc[0][["a", "b", "c", "d", "g"]].astype(float)
    standards = wells[(wells["role"] == "standard") & (wells["expected_conc"] > 0)]
    ours = level_recovery(params.to_dict(), standards["expected_conc"], standards["signal"])
    theirs = plate.vendor[plate.vendor["quantity"] == "mean_concentration"].merge(
        standards[["well", "expected_conc"]], on="well"
    )
    theirs = theirs.groupby("expected_conc")["value"].first()
    vendor_error = np.abs(theirs.to_numpy() / theirs.index.to_numpy() - 1.0)
    our_error = np.abs(ours["recovery"].to_numpy() - 1.0)
    assert len(our_error) == len(vendor_error) == 7
    assert our_error.max() < 0.5 * vendor_error.max()
    assert np.median(our_error) == pytest.approx(0.0128, abs=0.001)
    assert np.median(vendor_error) == pytest.approx(0.0111, abs=0.0005)


# ------------------------------------------------------------------------ Gen5

GEN5_KINETIC = REALDATA / "gen5" / "gen5_kinetic_stdcurve_4pl.txt"


def gen5_kinetic_standards() -> pd.DataFrame:
    """The standard wells of the Gen5 kinetic export, read here straight from the file
    (independently of the Gen5 reader): expected concentration (Layout, Conc/Dil), the
    Mean V that Gen5 fitted its 4PL to, and Gen5's own concentration of each well
    (NaN for its '>40.000' and '<0.000')."""
    if not GEN5_KINETIC.is_file():
        pytest.skip(f"{GEN5_KINETIC} not found (only in the dev setup)")
    lines = GEN5_KINETIC.read_text(encoding="utf-8", errors="replace").splitlines()
    layout = lines.index("Layout")
    results = lines.index("Results")
    rows = []
    for offset, letter in enumerate("AB"):
        ids = lines[layout + 2 + 2 * offset].split("\t")
        conc = lines[layout + 3 + 2 * offset].split("\t")
        mean_v = lines[results + 2 + 2 * offset].split("\t")
        gen5 = lines[results + 3 + 2 * offset].split("\t")
        assert ids[0] == mean_v[0] == letter and mean_v[13] == "Mean V [420]"
        for column in range(1, 13):
            text = gen5[column].strip()
            rows.append(
                {
                    "plate_id": "gen5",
                    "analyte": "beta-galactosidase",
                    "well": f"{letter}{column}",
                    "role": "standard" if ids[column].startswith("STD") else "sample",
                    "expected_conc": float(conc[column]),
                    "signal": float(mean_v[column]),
                    "flags": "",
                    "gen5": math.nan if text[0] in "<>" else float(text),
                }
            )
    return pd.DataFrame(rows)


def test_our_fit_recovers_the_gen5_standards_at_least_as_well_as_gen5() -> None:
    # Reference: Gen5's own concentration of every standard well (its 4PL, exported per
    # well); a well it reports as '>40.000' or '<0.000' counts as infinitely wrong, as
    # a signal our curve cannot read does. The zero standard has no recovery.
    wells = gen5_kinetic_standards()
    assert len(wells) == 24 and (wells["role"] == "standard").all()
    first = wells.loc[wells["well"] == "A1", ["expected_conc", "signal", "gen5"]].iloc[0]
    assert first.tolist() == [40.0, 31.303, 27.131]
    curves = fit_plate_curves(wells)
    ours = curves[curves["selected"]].iloc[0][["a", "b", "c", "d", "g"]].astype(float).to_dict()
    standards = wells[wells["expected_conc"] > 0]
    conc = standards["expected_conc"].to_numpy(dtype=float)
    our_error = recovery_errors(ours, conc, standards["signal"].to_numpy(dtype=float))
    gen5_recovery = standards["gen5"].to_numpy(dtype=float) / conc
    gen5_error = np.where(np.isfinite(gen5_recovery), np.abs(gen5_recovery - 1.0), np.inf)
    assert len(our_error) == 22
    assert np.median(our_error) <= np.median(gen5_error), (
        np.median(our_error), np.median(gen5_error)
    )  # fmt: skip
    # Gen5 reads 5 of the 22 standard wells as '>40.000' or '<0.000'; ours reads them all
    assert int(np.isinf(gen5_error).sum()) == 5
    assert np.isfinite(our_error).all()


# ------------------------------------------------------------ curves.preset: vendor


def plates_of(plate, fmt: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The plates-table columns fit_plate_curves reads, for one plate read."""
    return pd.DataFrame(
        [{"plate_id": plate.meta["plate_id"], "format": fmt, "software": plate.meta["software"]}]
    )


def vendor_mode(wells: pd.DataFrame, plates: pd.DataFrame, vendor: pd.DataFrame) -> pd.DataFrame:
    """compare_concentrations of the wells interpolated through the vendor preset's curves."""
    curves = fit_plate_curves(
        wells, CurveSettings.from_mapping({"preset": "vendor"}), plates=plates, vendor=vendor
    )
    assert curves["selected"].all()
    return compare_concentrations(interpolate_wells(wells, curves), vendor, plates)


def test_vendor_preset_refits_xponent_to_its_own_results() -> None:
    # Reference: xPONENT 3.1's Result block (its own Logistic 5P, inverted on Net MFI,
    # x dilution), every in-range well of the 30 analytes. The series is repaired as a
    # kit file would (drlumi_wells); as exported, one level per analyte is left out.
    plate = read(DRLUMI, "net_mfi")
    plates = plates_of(plate, "xponent")
    repaired = vendor_mode(drlumi_wells("net_mfi"), plates, plate.vendor)
    assert len(repaired) == 2580
    error = repaired["relative_difference"].abs()
    assert error.median() < 1e-6 and error.quantile(0.95) < 1e-4, error.describe()
    as_read = vendor_mode(plate.wells, plates, plate.vendor)["relative_difference"].abs()
    assert 0.001 < as_read.median() < 0.004  # docs/curves.md: 0.23%


def test_vendor_preset_reproduces_softmax_results() -> None:
    # Reference: SoftMax Pro's Result of every sample well (InterpX on its standard curve)
    for path in (
        REALDATA / "softmax" / "softmax_elisa_reduced_ascii.txt",
        REALDATA / "allotropy" / "moldev_softmax_pro" / "group_with_partial_rows.txt",
    ):
        plate = read(path)
        compared = vendor_mode(plate.wells, plates_of(plate, "softmax"), plate.vendor)
        error = compared["relative_difference"].abs()
        assert len(compared) >= 60 and error.median() < 5e-5 and error.max() < 0.003, path


def test_softmax_computed_its_results_with_the_well_it_shows_masked() -> None:
    # Reference: SoftMax Pro's Result of the 67 sample wells in range. The group table
    # shows A2 (an St1 replicate) and St4's %Diff as `Masked`, yet SoftMax's AvgOD of
    # St1 (1.728) is the mean of A1 and A2, and its Results are reproduced to 0.002%
    # with A2 in the fit and missed by 1.9% without: the marks were added after SoftMax
    # calculated. assaypipe honours them all the same (the lab's decision as exported).
    plate = read(SOFTMAX)
    plates = plates_of(plate, "softmax")
    curves = fit_plate_curves(
        plate.wells,
        CurveSettings.from_mapping({"preset": "vendor"}),
        plates=plates,
        vendor=plate.vendor,
    )
    assert "excluded standard well(s) A2: masked in SoftMax Pro" in curves["reasons"].iloc[0]
    honoured = vendor_mode(plate.wells, plates, plate.vendor)["relative_difference"].abs()
    ignored = vendor_mode(plate.wells.assign(flags=""), plates, plate.vendor)
    assert len(ignored) == 67
    assert ignored["relative_difference"].abs().median() < 5e-5
    assert 0.015 < honoured.median() < 0.025


def test_vendor_preset_reproduces_gen5_concentrations() -> None:
    # Reference: Gen5's own concentration of each standard well of the kinetic export
    # (its 4PL "Y = (A-D)/(1+(X/C)^B) + D"; 17 wells in its range)
    wells = gen5_kinetic_standards().assign(
        token="numeric", dilution=1.0, concentration=np.nan, censor=None
    )
    plates = pd.DataFrame([{"plate_id": "gen5", "format": "gen5", "software": "Gen5"}])
    vendor = pd.DataFrame(
        {
            "plate_id": ["gen5"],
            "analyte": ["beta-galactosidase"],
            "well": [None],
            "quantity": ["model"],
            "raw_text": ["Y = (A-D)/(1+(X/C)^B) + D"],
        }
    )
    curves = fit_plate_curves(
        wells, CurveSettings.from_mapping({"preset": "vendor"}), plates=plates, vendor=vendor
    )
    params = curves.iloc[0][["a", "b", "c", "d", "g"]].astype(float).to_dict()
    assert curves["reasons"].iloc[0].startswith("fitted as Gen5 does")
    # Gen5's coefficients as it prints them (3 significant digits)
    assert [round(params[k], 2) for k in "abd"] == [1.23, 3.52, 34.87]
    assert round(params["c"], 1) == 14.8
    theirs = wells["gen5"].to_numpy(dtype=float)
    ours = inverse(params, wells["signal"].to_numpy(dtype=float))
    error = np.abs(ours / theirs - 1.0)[np.isfinite(theirs)]
    assert error.size == 17 and np.median(error) < 5e-5 and error.max() < 0.003


def test_vendor_preset_comes_close_to_bioplex() -> None:
    # Reference: Bio-Plex Manager's Obs Conc of every well in range. Its objective is
    # not fully recovered from a summary export (replicate means only): docs/curves.md.
    plate = read(BIOPLEX)
    plates = plates_of(plate, "bioplex")
    error = vendor_mode(plate.wells, plates, plate.vendor)["relative_difference"].abs()
    default = compare_concentrations(
        interpolate_wells(plate.wells, fit_plate_curves(plate.wells, plates=plates)),
        plate.vendor,
        plates,
    )["relative_difference"].abs()
    assert len(error) == 1240
    assert error.median() < 0.007 and error.quantile(0.95) < 0.025
    assert error.median() < default.median()


def corpus() -> list[str]:
    """The real exports whose software exported its own concentrations, each content
    once: read from their golden summaries (tests/golden/realdata), so the list grows
    with the readers."""
    from tests.unit.test_realdata_golden import GOLDEN

    seen: set[str] = set()
    files = []
    for path in sorted(GOLDEN.rglob("*.json")):
        summary = json.loads(path.read_text(encoding="utf-8"))
        quantities = {
            name.split()[0] for plate in summary.get("plates", []) for name in plate["vendor"]
        }
        if quantities & {"concentration", "mean_concentration"} and summary["sha256"] not in seen:
            seen.add(summary["sha256"])
            files.append(summary["file"])
    return files


# docs/curves.md's table (bench/vendor_reproduction.py prints it): per format and
# preset, curves and wells compared, median and 95th percentile |difference| in %.
FIGURES = {
    ("bioplex", "assaypipe"): (27, 1238, 1.323, 6.201),
    ("bioplex", "vendor"): (27, 1240, 0.673, 2.383),
    ("gen5", "assaypipe"): (12, 926, 0.348, 29.727),
    ("gen5", "vendor"): (11, 913, 0.197, 6.987),
    ("msd_workbench", "assaypipe"): (2, 50, 1.001, 40.475),
    ("msd_workbench", "vendor"): (2, 50, 1.001, 40.475),
    ("skanit", "assaypipe"): (1, 118, 1.325, 2.046),
    ("skanit", "vendor"): (1, 118, 1.325, 2.046),
    ("softmax", "assaypipe"): (10, 880, 1.889, 100.0),
    ("softmax", "vendor"): (10, 806, 0.566, 20.455),
    ("xponent", "assaypipe"): (30, 2506, 5.761, 36.132),
    ("xponent", "vendor"): (30, 2579, 0.227, 2.766),
}


@pytest.mark.parametrize("preset", ["assaypipe", "vendor"])
def test_reproduction_figures_of_the_corpus(realdata, no_settle, preset: str) -> None:  # type: ignore[no-untyped-def]
    # Reference: each software's own in-range concentrations in the same exports,
    # through the workflow's chunk step with the shipped settings
    from assaypipe.settings import Settings
    from assaypipe.sheets import read_aliases
    from assaypipe.vendor_curves import reproduction, reproduction_figures
    from tests.conftest import REPO

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    comparison, plates = reproduction(
        [realdata / name for name in corpus()],
        Settings.from_config({**config, "curves": {**config["curves"], "preset": preset}}),
        read_aliases(REPO / "config" / "analytes.tsv"),
    )
    figures = reproduction_figures(comparison, plates).set_index("format")
    print(figures.to_string())
    for fmt, row in figures.iterrows():
        n_curves, n_wells, median, p95 = FIGURES[(str(fmt), preset)]
        assert (row["n_curves"], row["n_wells"]) == (n_curves, n_wells), fmt
        # The 4PL fits of standards the software fitted with a straight line are
        # ill-conditioned: their concentrations move by ~1e-4 relative with the BLAS
        # kernel of the machine (Gen5's median 0.333% with OPENBLAS_CORETYPE=SkylakeX,
        # 0.345% Sandybridge, 0.348% Zen).
        assert row["median_pct"] == pytest.approx(median, abs=0.03), fmt
        assert row["p95_pct"] == pytest.approx(p95, rel=0.02), fmt
    assert sorted(figures.index) == [
        "bioplex",
        "gen5",
        "msd_workbench",
        "skanit",
        "softmax",
        "xponent",
    ]
