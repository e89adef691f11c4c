"""Tests for assaypipe.simulate: determinism, file shapes, and the planted effects."""

from __future__ import annotations

import csv
import io
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assaypipe.simulate import SimulatedStudy, simulate_study

EXPORT_NAMES = {"MCP-1": "CCL2", "HGF": "HGF", "SDF-1a": "CXCL12", "IL-8": "IL8"}
LOWEST_STANDARD = {"IL8": 2000 / 4**6, "TGFB2": 10000 / 4**6}


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStudy:
    return simulate_study(tmp_path_factory.mktemp("study"))


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def _truth_samples(study: SimulatedStudy) -> pd.DataFrame:
    table = pd.read_csv(study.truth_samples, sep="\t")
    subjects = _tsv(study.truth_subjects)[["subject_id", "responder"]]
    subjects["responder"] = subjects["responder"] == "true"
    return table.merge(subjects, on="subject_id")


def _log_change(study: SimulatedStudy, analyte: str) -> pd.DataFrame:
    """One row per complete pair: log(post / baseline) and responder status."""
    table = _truth_samples(study)
    table = table[table["analyte"] == analyte]
    wide = table.pivot_table(
        index=["subject_id", "responder"], columns="visit", values="true_conc"
    ).dropna()
    wide["change"] = np.log(wide["post"] / wide["baseline"])
    return wide.reset_index()


def _xponent_block(path: Path, data_type: str) -> pd.DataFrame:
    """The rows of one ``DataType:`` block, trailing padding dropped."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    start = next(i for i, r in enumerate(rows) if r[:2] == ["DataType:", data_type])
    header = [c for c in rows[start + 1] if c]
    body = []
    for row in rows[start + 2 :]:
        if not any(row):
            break
        body.append(row[: len(header)])
    return pd.DataFrame(body, columns=header)


def _invert(signal: np.ndarray, curve: pd.Series) -> np.ndarray:
    a, b, c, d, g = (float(curve[k]) for k in "abcdg")
    with np.errstate(invalid="ignore", divide="ignore"):
        conc: np.ndarray = c * (((a - d) / (signal - d)) ** (1 / g) - 1) ** (1 / b)
    return conc


def _truth_wells(study: SimulatedStudy, plate_id: str, analyte: str) -> pd.DataFrame:
    wells = _tsv(study.truth_wells)
    wells = wells[(wells["plate_id"] == plate_id) & (wells["analyte"] == analyte)]
    return wells.set_index("well")


def _curve(study: SimulatedStudy, plate_id: str, analyte: str) -> pd.Series:
    curves = pd.read_csv(study.truth_curves, sep="\t")
    return curves[(curves["plate_id"] == plate_id) & (curves["analyte"] == analyte)].iloc[0]


# --- determinism -------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(study: SimulatedStudy, tmp_path: Path) -> None:
    again = simulate_study(tmp_path / "again")
    assert _files(again.root) == _files(study.root)


def test_different_seeds_give_different_plates(study: SimulatedStudy, tmp_path: Path) -> None:
    other = simulate_study(tmp_path / "other", seed=7)
    for mine, theirs in zip(study.plates, other.plates, strict=True):
        assert mine.read_bytes() != theirs.read_bytes()
    assert other.truth_samples.read_bytes() != study.truth_samples.read_bytes()


# --- config and sheets -------------------------------------------------------------------


def test_config_and_alias_table_are_the_package_resources(study: SimulatedStudy) -> None:
    data = resources.files("assaypipe") / "data"
    assert study.config.read_bytes() == (data / "default_config.yaml").read_bytes()
    assert study.analytes.read_bytes() == (data / "analytes.tsv").read_bytes()


def test_twenty_subjects_thirty_eight_samples_eighteen_pairs(study: SimulatedStudy) -> None:
    subjects = _tsv(study.subjects)
    samples = _tsv(study.samples)
    assert list(subjects.columns) == [
        "subject_id",
        "course",
        "sex",
        "age",
        "disease_duration",
        "ambulatory",
    ]
    assert list(subjects["subject_id"]) == [f"P{i:02d}" for i in range(1, 21)]
    assert set(subjects["course"]) <= {"SPMS", "PPMS"}
    assert set(subjects["sex"]) <= {"F", "M"}
    assert subjects["age"].astype(int).between(35, 65).all()
    assert subjects["disease_duration"].str.fullmatch(r"\d+\.\d").all()
    assert set(subjects["ambulatory"]) <= {"true", "false"}

    assert list(samples.columns) == ["sample_id", "subject_id", "visit", "matrix"]
    assert len(samples) == 38
    assert (
        samples["sample_id"]
        == samples["subject_id"] + "-" + samples["visit"].map({"baseline": "BL", "post": "POST"})
    ).all()
    assert set(samples["matrix"]) == {"CSF"}
    visits = samples.groupby("subject_id")["visit"].apply(frozenset)
    assert (visits == frozenset({"baseline", "post"})).sum() == 18
    assert (visits == frozenset({"baseline"})).sum() == 2


def test_outcomes_are_on_the_edss_scale(study: SimulatedStudy) -> None:
    outcomes = _tsv(study.outcomes)
    subjects = _tsv(study.subjects).set_index("subject_id")
    assert list(outcomes.columns) == ["subject_id", "month", "edss", "t25fw"]
    assert len(outcomes) == 80
    assert set(outcomes["month"].astype(int)) == {0, 9, 12, 30}
    edss = outcomes["edss"].astype(float)
    assert edss.between(3.0, 8.0).all()
    assert ((edss * 2) % 1 == 0).all()
    walks = outcomes["subject_id"].map(subjects["ambulatory"]) == "true"
    assert (outcomes.loc[~walks, "t25fw"] == "").all()
    assert outcomes.loc[walks, "t25fw"].str.fullmatch(r"\d+\.\d").all()


def test_responders_follow_the_sustained_edss_rule(study: SimulatedStudy) -> None:
    outcomes = _tsv(study.outcomes)
    edss = outcomes.pivot(index="subject_id", columns="month", values="edss").astype(float)
    edss.columns = edss.columns.astype(int)
    responder = _tsv(study.truth_subjects).set_index("subject_id")["responder"] == "true"
    improved = (edss[12] <= edss[0] - 0.5) & (edss[30] <= edss[0] - 0.5)
    assert (improved == responder.reindex(edss.index)).all()
    nonresponders = edss[~responder.reindex(edss.index)]
    assert (nonresponders[[9, 12, 30]].ge(nonresponders[0], axis=0)).all().all()
    assert 7 <= responder.sum() <= 13


# --- truth: the planted effects ----------------------------------------------------------


def test_ccl2_down_and_tgfb2_up_after_treatment(study: SimulatedStudy) -> None:
    ccl2 = _log_change(study, "CCL2")
    tgfb2 = _log_change(study, "TGFB2")
    assert len(ccl2) == 18
    assert np.exp(ccl2["change"].median()) < 1
    assert np.exp(tgfb2["change"].median()) > 1
    # scipy.stats.wilcoxon(post, baseline), two-sided exact at n = 18
    assert stats.wilcoxon(ccl2["post"], ccl2["baseline"]).pvalue < 0.01


def test_ccl2_and_tgfb2_are_inversely_related(study: SimulatedStudy) -> None:
    table = pd.read_csv(study.truth_samples, sep="\t")
    wide = table.pivot(index="sample_id", columns="analyte", values="true_conc")
    assert stats.spearmanr(wide["CCL2"], wide["TGFB2"]).statistic < 0


@pytest.mark.parametrize("analyte", ["HGF", "CXCL12", "IL8"])
def test_nonresponders_rise_more_than_responders(study: SimulatedStudy, analyte: str) -> None:
    change = _log_change(study, analyte)
    by_group = change.groupby("responder")["change"].median()
    assert by_group[False] > by_group[True]


def test_hgf_rises_with_age_and_disease_duration(study: SimulatedStudy) -> None:
    table = pd.read_csv(study.truth_samples, sep="\t")
    baseline = table[(table["visit"] == "baseline") & (table["analyte"] == "HGF")]
    subjects = pd.read_csv(study.subjects, sep="\t")
    joined = baseline.merge(subjects, on="subject_id")
    assert stats.spearmanr(joined["true_conc"], joined["age"]).statistic > 0.3
    assert stats.spearmanr(joined["true_conc"], joined["disease_duration"]).statistic > 0


def test_nfl_flat_overall_and_split_by_response_above_1000(study: SimulatedStudy) -> None:
    change = _log_change(study, "NfL")
    assert abs(change["change"].median()) < np.log(1.15)
    high = change[change["baseline"] > 1000]
    assert len(high) >= 3
    by_group = high.groupby("responder")["change"].median()
    assert by_group[True] < np.log(0.85)
    assert by_group[False] > np.log(1.15)
    assert change["baseline"].between(300, 5000).all()


def test_some_samples_fall_below_the_lowest_standard(study: SimulatedStudy) -> None:
    table = pd.read_csv(study.truth_samples, sep="\t")
    for analyte, lowest in LOWEST_STANDARD.items():
        values = table.loc[table["analyte"] == analyte, "true_conc"]
        assert 1 <= (values < lowest).sum() <= 8, analyte


def test_truth_curves_are_increasing_5pl(study: SimulatedStudy) -> None:
    curves = pd.read_csv(study.truth_curves, sep="\t")
    assert list(curves.columns) == ["plate_id", "analyte", "a", "b", "c", "d", "g"]
    assert len(curves) == 6
    assert (curves["a"] < curves["d"]).all()
    assert (curves[["b", "c", "g"]] > 0).all().all()


def test_truth_wells_cover_every_well_and_dilution(study: SimulatedStudy) -> None:
    wells = _tsv(study.truth_wells)
    assert list(wells.columns) == [
        "plate_id",
        "well",
        "analyte",
        "role",
        "sample_id",
        "true_conc_in_well",
        "bad_well",
    ]
    assert (wells.groupby(["plate_id", "analyte"]).size() == 96).all()
    assert set(wells["plate_id"]) == {p.stem for p in study.plates}
    truth = pd.read_csv(study.truth_samples, sep="\t").set_index(["sample_id", "analyte"])
    elisa = wells[(wells["plate_id"] == "elisa_nfl_P1") & (wells["role"] == "sample")]
    expected = truth.loc[list(zip(elisa["sample_id"], elisa["analyte"], strict=True)), "true_conc"]
    assert np.allclose(elisa["true_conc_in_well"].astype(float), expected.to_numpy() / 2)


# --- plate exports -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "names"),
    [("luminex_4plex_P1", ["MCP-1", "HGF", "SDF-1a", "IL-8"]), ("luminex_tgfb2_P1", ["TGF-beta2"])],
)
def test_xponent_export_shape(study: SimulatedStudy, stem: str, names: list[str]) -> None:
    path = study.root / "resources" / "plates" / f"{stem}.csv"
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")
    text = raw.decode("utf-8")
    for marker in (
        "Program,xPONENT",
        "\r\nBuild,",
        "\r\nDate,",
        "\r\nSN,",
        "\r\nBatch,",
        "\r\nProtocolName,",
        "\r\nBatchStartTime,",
        "\r\nBatchStopTime,",
        "\r\nProtocolPlate,",
        "\r\nProtocolMicrosphere,",
        "\r\nProtocolAnalysis,",
        "\r\nAssayLotInfo:",
        "\r\nSamples,96,Min Events,",
        "\r\nResults,",
        "DataType:,Median",
        "DataType:,Net MFI",
        "DataType:,Count",
        "DataType:,Result",
        "DataType:,Avg Net MFI",
        "DataType:,Comments",
        "DataType:,Units",
        "DataType:,Per Bead Count",
        "DataType:,Standard Expected Concentration",
        "DataType:,Control Expected Concentration",
        "DataType:,Dilution Factor",
        "DataType:,Audit Logs",
        "DataType:,Warnings/Errors",
        "\r\n-- CRC --",
    ):
        assert marker in text, marker

    lines = text.splitlines()
    widths = {len(next(csv.reader([line]))) for line in lines}
    assert len(widths) == 1, "rows are padded to one width"
    quoted = re.findall(r'"[^"]*"', text)
    assert all(re.fullmatch(r'"(\d+\(1,[A-H]\d+\)|1,[A-H]\d+)"', q) for q in quoted)

    median = _xponent_block(path, "Median")
    assert list(median.columns) == ["Location", "Sample", *names, "Total Events"]
    assert len(median) == 96
    assert median["Location"].iloc[0] == "1(1,A1)"
    assert median["Location"].iloc[-1] == "96(1,H12)"
    assert set(median["Sample"]) >= {"Background0", "Control1", "Control2"}
    assert {f"Standard{k}" for k in range(1, 8)} <= set(median["Sample"])
    assert median[names].apply(lambda c: c.str.fullmatch(r"\d+(\.5)?")).all().all()
    assert (median["Sample"].value_counts() == 2).all()

    counts = _xponent_block(path, "Count")[names].astype(int)
    assert counts.to_numpy().mean() == pytest.approx(90, abs=5)
    expected = _xponent_block(path, "Standard Expected Concentration")
    assert list(expected["Reagent"]) == [f"Standard{k}" for k in range(1, 8)]


def test_each_luminex_plate_has_one_bad_well(study: SimulatedStudy) -> None:
    wells = _tsv(study.truth_wells)
    for path in [p for p in study.plates if p.stem.startswith("luminex_")]:
        bad = wells[(wells["plate_id"] == path.stem) & (wells["bad_well"] == "true")]
        assert bad["well"].nunique() == 1
        assert set(bad["role"]) == {"sample"}
        well = bad["well"].iloc[0]
        counts = _xponent_block(path, "Count")
        row = counts[counts["Location"].str.endswith(f",{well})")]
        values = row.drop(columns=["Location", "Sample", "Total Events"]).astype(int)
        assert values.to_numpy().max() <= 25
        good = counts[~counts["Location"].str.endswith(f",{well})")]
        assert (
            good.drop(columns=["Location", "Sample", "Total Events"]).astype(int).min().min() > 35
        )
        assert f'"1,{well}",Warning' in path.read_text()


def test_luminex_medians_follow_the_truth_curves(study: SimulatedStudy) -> None:
    path = study.root / "resources" / "plates" / "luminex_4plex_P1.csv"
    median = _xponent_block(path, "Median")
    wells = median["Location"].str.extract(r",(\w+)\)")[0]
    for export, analyte in EXPORT_NAMES.items():
        truth = _truth_wells(study, path.stem, analyte).loc[wells]
        conc = _invert(median[export].astype(float).to_numpy(), _curve(study, path.stem, analyte))
        true_conc = truth["true_conc_in_well"].astype(float).to_numpy()
        usable = (
            (truth["role"] == "sample").to_numpy()
            & (truth["bad_well"] == "false").to_numpy()
            & (true_conc > 10)
        )
        ratio = conc[usable] / true_conc[usable]
        assert np.all(np.abs(np.log(ratio)) < np.log(1.4)), analyte


def test_measured_ccl2_decrease_is_significant(study: SimulatedStudy) -> None:
    path = next(p for p in study.plates if p.stem == "luminex_4plex_P1")
    median = _xponent_block(path, "Median")
    median["conc"] = _invert(
        median["MCP-1"].astype(float).to_numpy(), _curve(study, path.stem, "CCL2")
    )
    bad = _truth_wells(study, path.stem, "CCL2")["bad_well"] == "true"
    median = median[~median["Location"].str.extract(r",(\w+)\)")[0].map(bad).to_numpy()]
    per_sample = median.groupby("Sample")["conc"].mean()
    samples = _tsv(study.samples)
    paired = samples.groupby("subject_id").filter(lambda g: len(g) == 2)
    wide = paired.assign(conc=paired["sample_id"].map(per_sample)).pivot(
        index="subject_id", columns="visit", values="conc"
    )
    assert len(wide) == 18
    assert stats.wilcoxon(wide["post"], wide["baseline"]).pvalue < 0.01


def test_plate_reader_export_and_plate_map(study: SimulatedStudy) -> None:
    path = study.root / "resources" / "plates" / "elisa_nfl_P1.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    for header in ("Software Version", "Plate Number", "Date", "Time", "Reader Type:"):
        assert any(line.startswith(header + "\t") for line in lines), header
    assert any(line.startswith("Reader Serial Number:\t") for line in lines)
    assert "Procedure Details" in lines
    assert "\tWavelengths:  450, 630" in lines
    start = lines.index("Results")
    assert lines[start + 1] == "\t" + "\t".join(str(c) for c in range(1, 13))
    grid = lines[start + 2 : start + 26]
    od450: dict[str, float] = {}
    for r, row in enumerate("ABCDEFGH"):
        first = grid[3 * r].split("\t")
        second = grid[3 * r + 1].split("\t")
        delta = grid[3 * r + 2].split("\t")
        assert first[0] == row and first[-1] == "450"
        assert second[0] == "" and second[-1] == "630"
        # Gen5's Delta OD reduction: the reference subtraction the export shows it used
        assert delta[0] == "" and delta[-1] == "Delta OD"
        assert all(re.fullmatch(r"\d\.\d{3}", v) for v in first[1:-1] + second[1:-1])
        for c in range(1, 13):
            od450[f"{row}{c}"] = float(first[c]) - float(second[c])
            assert float(delta[c]) == pytest.approx(od450[f"{row}{c}"], abs=1e-9)
    assert not any(line.strip() for line in lines[start + 26 :])

    plate_map = pd.read_csv(study.layouts[0], dtype=str, keep_default_na=False)
    assert list(plate_map.columns) == [
        "well",
        "role",
        "sample_id",
        "level",
        "expected_conc",
        "dilution",
        "analyte",
    ]
    assert len(plate_map) == 96 and plate_map["well"].is_unique
    assert set(plate_map["analyte"]) == {"NfL"}
    assert plate_map["role"].value_counts().to_dict() == {
        "sample": 76,
        "standard": 14,
        "control": 4,
        "blank": 2,
    }
    assert set(plate_map.loc[plate_map["role"] == "sample", "dilution"]) == {"2"}
    assert set(plate_map.loc[plate_map["role"] != "sample", "dilution"]) == {"1"}
    standards = plate_map[plate_map["role"] == "standard"]
    assert set(standards["expected_conc"].astype(float)) == {10000 / 4**k for k in range(7)}

    truth = _truth_wells(study, "elisa_nfl_P1", "NfL").loc[plate_map["well"]]
    assert list(truth["role"]) == list(plate_map["role"])
    conc = _invert(np.array([od450[w] for w in plate_map["well"]]), _curve(study, path.stem, "NfL"))
    true_conc = truth["true_conc_in_well"].astype(float).to_numpy()
    usable = (plate_map["role"] == "sample").to_numpy()
    assert np.all(np.abs(np.log(conc[usable] / true_conc[usable])) < np.log(1.4))


# --- where the truth goes ----------------------------------------------------------------


def test_nothing_of_the_truth_is_among_the_inputs(study: SimulatedStudy) -> None:
    inputs = [p for p in (study.root / "resources").rglob("*") if p.is_file()]
    assert sorted(p.name for p in inputs) == [
        "elisa_nfl_P1.csv",
        "elisa_nfl_P1.txt",
        "luminex_4plex_P1.csv",
        "luminex_tgfb2_P1.csv",
    ]
    assert not study.truth_dir.resolve().is_relative_to((study.root / "resources").resolve())
    for path in inputs:
        text = path.read_text(encoding="utf-8").lower()
        assert "truth" not in text and "responder" not in text


# --- the MSD plate (msd=True) ------------------------------------------------------------


@pytest.fixture(scope="module")
def msd_study(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStudy:
    return simulate_study(tmp_path_factory.mktemp("msd_study"), msd=True)


def test_the_msd_plate_leaves_the_default_study_as_it_is(
    study: SimulatedStudy, msd_study: SimulatedStudy
) -> None:
    mine, theirs = _files(study.root), _files(msd_study.root)
    added = {"resources/plates/msd_cytokine_P1.csv"}
    # Everything but the new plate, the alias rows and the truth of the new plate.
    changed = {
        "config/analytes.tsv",
        *(f"truth/truth_{t}.tsv" for t in ("samples", "curves", "wells", "files")),
    }
    assert set(theirs) == set(mine) | added
    assert {name for name in mine if mine[name] != theirs[name]} == changed
    assert theirs["config/analytes.tsv"].startswith(mine["config/analytes.tsv"])
    truth = _tsv(msd_study.truth_samples)
    others = truth[~truth["analyte"].isin(["IL6", "TNFA"])].reset_index(drop=True)
    assert others.equals(_tsv(study.truth_samples))


def test_the_workbench_table_holds_the_plate_as_simulated(msd_study: SimulatedStudy) -> None:
    path = msd_study.root / "resources" / "plates" / "msd_cytokine_P1.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Plate_MSD_CYTOKINE_P1"
    table = pd.read_csv(io.StringIO("\n".join(lines[1:])), dtype=str, keep_default_na=False)
    assert len(table) == 96 * 2 and set(table["Assay"]) == {"IL-6", "TNF-alpha"}
    il6 = table[table["Assay"] == "IL-6"].set_index("Well")
    truth = _truth_wells(msd_study, "msd_cytokine_P1", "IL6")
    curve = _curve(msd_study, "msd_cytokine_P1", "IL6")
    samples = il6[il6["Sample"].str.startswith("P")]
    assert (samples["Dilution"] == "2").all()
    # The signals follow the truth curve (5% noise): inverted, they give the truth back.
    signal = samples["Signal"].astype(float).to_numpy()
    wells = [f"{w[0]}{int(w[1:])}" for w in samples.index]
    true = truth.loc[wells, "true_conc_in_well"].astype(float).to_numpy()
    error = np.abs(_invert(signal, curve) / true - 1)
    assert np.median(error) < 0.06
    calibrators = il6[il6["Sample"].str.match(r"^S00[1-7]$")]
    assert sorted(set(calibrators["Concentration"].astype(float)), reverse=True) == [
        500 / 4**k for k in range(7)
    ]
    assert set(il6.loc[il6["Sample"] == "S008", "Concentration"]) == {"0"}
