"""The simulator's difficulty knobs (assaypipe.simulate.Difficulty, `assaypipe simulate`
--noise/--drift/--hook/--unit/--effect/--reporter-loss): the demo settings give the
bundled demo study byte for byte, and each knob does what it says, measured on the files
it writes (read by assaypipe's readers, fitted by its curve engine) against the
simulator's truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from assaypipe.cli import main
from assaypipe.kits import read_kits
from assaypipe.pipeline import ChunkResult, process_chunk
from assaypipe.readers import read_exports
from assaypipe.samples import combine_replicates
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_samples
from assaypipe.simulate import (
    DEFAULT_SEED,
    DEMO_PLATES,
    Difficulty,
    SimulatedStudy,
    simulate_demo,
    simulate_study,
)
from tests.conftest import REPO


def _process(study: SimulatedStudy) -> ChunkResult:
    """Read, fit and interpolate the study's plates as the workflow's chunk job does."""
    config = yaml.safe_load(study.config.read_text(encoding="utf-8"))
    maps = {p.stem: p for p in study.layouts}
    plates = [
        {"plate_id": p.stem, "export": str(p), "plate_map": str(maps[p.stem])}
        if p.stem in maps
        else {"plate_id": p.stem, "export": str(p), "plate_map": None}
        for p in study.plates
    ]
    sheets = read_samples(study.samples), read_aliases(study.analytes)
    return process_chunk(
        plates, *sheets, chunk="00", settings=Settings.from_config({"curves": config["curves"]})
    )


def _standard_cvs(study: SimulatedStudy) -> pd.Series:
    """CV (SD / mean, numpy) of each Luminex standard's duplicate medians, as read."""
    frames = [read_exports(p)[0].wells for p in study.plates if p.stem.startswith("luminex_")]
    wells = pd.concat(frames)
    standards = wells[wells["role"] == "standard"]
    grouped = standards.groupby(["plate_id", "analyte", "level"])["signal"]
    return grouped.std(ddof=1) / grouped.mean()


def _log_changes(study: SimulatedStudy, analyte: str) -> pd.Series:
    truth = pd.read_csv(study.truth_samples, sep="\t")
    truth = truth[truth["analyte"] == analyte]
    wide = truth.pivot(index="subject_id", columns="visit", values="true_conc").dropna()
    return np.log(wide["post"] / wide["baseline"])


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStudy:
    return simulate_study(tmp_path_factory.mktemp("plain"))


# --- defaults ----------------------------------------------------------------------------


def test_the_demo_settings_write_the_bundled_demo_byte_for_byte(tmp_path: Path) -> None:
    study = simulate_demo(tmp_path, truth_dir=tmp_path / "truth")
    written = _files(tmp_path)
    for name, data in written.items():
        if name.startswith("truth/"):
            committed = REPO / "tests" / "data" / "demo_truth" / name.removeprefix("truth/")
        else:
            committed = REPO / name
        assert committed.read_bytes() == data, name
    assert len(study.plates) == DEMO_PLATES == 36
    bundled = {f"resources/{p.parent.name}/{p.name}" for p in REPO.glob("resources/*/*")}
    assert bundled == {name for name in written if name.startswith("resources/")}


def test_default_knobs_write_the_first_runs_of_the_bundled_demo(tmp_path: Path) -> None:
    """Default knobs and three plates: the demo's first run of each kit, byte for byte;
    the demo adds repeat runs (their truth curves after these) and its guide set."""
    study = simulate_study(tmp_path, seed=DEFAULT_SEED, difficulty=Difficulty())
    assert len(study.plates) == 3
    for name, data in _files(tmp_path).items():
        if name.startswith("truth/"):
            committed = REPO / "tests" / "data" / "demo_truth" / name.removeprefix("truth/")
        else:
            committed = REPO / name
        if name == "config/config.yaml":
            text = data.decode("utf-8").replace("guide_plates: 20\n", "guide_plates: 8\n")
            assert committed.read_text(encoding="utf-8") == text
        elif name in ("truth/truth_curves.tsv", "truth/truth_files.tsv"):
            lines = data.decode("utf-8").splitlines()
            demo = committed.read_text(encoding="utf-8").splitlines()
            if name.endswith("curves.tsv"):
                assert demo[: len(lines)] == lines
            else:
                assert set(lines) <= set(demo)
        else:
            assert committed.read_bytes() == data, name


def test_knobs_refuse_values_out_of_range(tmp_path: Path) -> None:
    for bad in (
        {"noise": -1.0},
        {"drift": -0.1},
        {"hook": 1.5},
        {"unit": "mg"},
        {"effect": -2.0},
        {"near_lloq": 2.0},
        {"borderline": -0.5},
        {"reporter_loss": 1.0},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Difficulty(**bad)  # type: ignore[arg-type]
    assert main(["simulate", "--out", str(tmp_path), "--effect", "2"]) == 0
    with pytest.raises(SystemExit) as stop:
        main(["simulate", "--out", str(tmp_path), "--hook", "2"])
    assert stop.value.code == 2
    for flag, value in (("--reporter-loss", "1"), ("--guide-plates", "0")):
        with pytest.raises(SystemExit) as stop:
            main(["simulate", "--out", str(tmp_path), flag, value])
        assert stop.value.code == 2


# --- noise -------------------------------------------------------------------------------


def test_doubled_noise_doubles_the_standards_replicate_cvs(
    plain: SimulatedStudy, tmp_path: Path
) -> None:
    noisy = simulate_study(tmp_path, difficulty=Difficulty(noise=2.0))
    base, doubled = _standard_cvs(plain), _standard_cvs(noisy)
    assert len(base) == len(doubled) == 5 * 7
    # The duplicates differ by lognormal noise of SD 0.06 (and 0.12): the RMS CV of 35
    # pairs estimates it (SD / mean of two values = |log ratio| / sqrt(2) nearly).
    rms_base = float(np.sqrt(np.mean(np.square(base))))
    rms_doubled = float(np.sqrt(np.mean(np.square(doubled))))
    assert 0.04 < rms_base < 0.08
    assert 0.08 < rms_doubled < 0.16
    assert 1.5 < rms_doubled / rms_base < 2.6
    # the truth is the same study: only the plates change
    assert noisy.truth_samples.read_bytes() == plain.truth_samples.read_bytes()


# --- drift -------------------------------------------------------------------------------


def test_drift_shifts_each_plates_curve_tops_and_midpoints(
    plain: SimulatedStudy, tmp_path: Path
) -> None:
    drifted = simulate_study(tmp_path, difficulty=Difficulty(drift=0.3))
    base = pd.read_csv(plain.truth_curves, sep="\t").set_index(["plate_id", "analyte"])
    moved = pd.read_csv(drifted.truth_curves, sep="\t").set_index(["plate_id", "analyte"])
    top = np.log(moved["d"] / base["d"])
    middle = np.log(moved["c"] / base["c"])
    for plate_id in ("luminex_4plex_P1", "luminex_tgfb2_P1", "elisa_nfl_P1"):
        # one shift per plate, shared by its analytes (4 significant digits kept)
        assert np.ptp(top.loc[plate_id]) < 1e-3 and np.ptp(middle.loc[plate_id]) < 1e-3
        assert abs(top.loc[plate_id].iloc[0]) > 1e-3
    assert (moved[["a", "b", "g"]] == base[["a", "b", "g"]]).all().all()
    # Measured: the top standard's median signal moves with the curve's top and
    # midpoint (signal ratio of the 4-plex plate's CCL2 top standard vs the truth curve).
    wells = {
        name: read_exports(study.root / "resources/plates/luminex_4plex_P1.csv")[0].wells
        for name, study in (("base", plain), ("moved", drifted))
    }
    top_standard = {
        name: w[(w["role"] == "standard") & (w["level"] == 1) & (w["analyte"] == "MCP-1")][
            "signal"
        ].mean()
        for name, w in wells.items()
    }

    def curve_at(row: pd.Series, conc: float) -> float:
        return float(
            row["d"] + (row["a"] - row["d"]) / (1 + (conc / row["c"]) ** row["b"]) ** row["g"]
        )

    key = ("luminex_4plex_P1", "CCL2")
    expected = curve_at(moved.loc[key], 10000.0) / curve_at(base.loc[key], 10000.0)
    assert top_standard["moved"] / top_standard["base"] == pytest.approx(expected, rel=0.15)
    assert abs(np.log(expected)) > 0.05


# --- hook --------------------------------------------------------------------------------


def test_hook_makes_the_top_standards_fall_and_the_engine_flags_it(
    plain: SimulatedStudy, tmp_path: Path
) -> None:
    hooked = simulate_study(tmp_path, difficulty=Difficulty(hook=1.0))
    result = _process(hooked)
    wells = result.wells
    standards = wells[(wells["role"] == "standard") & wells["plate_id"].str.startswith("lum")]
    means = standards.groupby(["analyte", "level"])["signal"].mean().unstack()
    # every Luminex analyte: standard 1 below standard 2 (the hook), 2 above 3
    assert (means[1] < means[2]).all() and (means[2] > means[3]).all()
    curves = result.curves[result.curves["selected"]].set_index(["plate_id", "analyte"])
    luminex = curves[curves.index.get_level_values(0).str.startswith("luminex")]
    assert len(luminex) == 5
    assert luminex["reasons"].str.contains("hook").all(), luminex["reasons"].tolist()
    # the plate reader has no hook; without the knob no curve has one
    assert not curves.loc[("elisa_nfl_P1", "NfL"), "reasons"].__contains__("hook")
    assert not _process(plain).curves["reasons"].str.contains("hook").any()


# --- unit --------------------------------------------------------------------------------


def test_ng_per_ml_plates_carry_their_unit_through_assaypipe_read(
    plain: SimulatedStudy, tmp_path: Path
) -> None:
    study = simulate_study(tmp_path / "ng", difficulty=Difficulty(unit="ng/mL"))
    plate = study.root / "resources" / "plates" / "luminex_4plex_P1.csv"
    out = tmp_path / "wells.parquet"
    assert main(["read", str(plate), "-o", str(out)]) == 0
    wells = pd.read_parquet(out)
    assert set(wells["unit"]) == {"ng/mL"}
    standards = wells[(wells["role"] == "standard") & (wells["analyte"] == "MCP-1")]
    assert sorted(set(standards["expected_conc"]), reverse=True) == pytest.approx(
        [10.0 / 4**k for k in range(7)]
    )
    # The same signals as in pg/mL: only the stated concentrations scale.
    pg = read_exports(plain.root / "resources" / "plates" / "luminex_4plex_P1.csv")[0].wells
    assert wells["signal"].tolist() == pg["signal"].tolist()
    truth_ng = pd.read_csv(study.truth_samples, sep="\t")["true_conc"]
    truth_pg = pd.read_csv(plain.truth_samples, sep="\t")["true_conc"]
    assert np.allclose(truth_ng * 1000, truth_pg, rtol=1e-9)
    plate_map = pd.read_csv(study.layouts[0])
    assert plate_map["expected_conc"].max() == 10.0
    assert "threshold: 1\n" in study.config.read_text(encoding="utf-8")
    # Fitted and read off the curves, the concentrations are in ng/mL (curves.unit) and
    # follow the truth (median ratio within 10%).
    result = _process(study)
    lum = result.curves[result.curves["plate_id"].str.startswith("luminex")]
    assert set(lum["unit"]) == {"ng/mL"}
    samples = combine_replicates(result.wells, result.curves, read_samples(study.samples))
    assert set(samples.loc[samples["analyte"] != "NfL", "unit"]) == {"ng/mL"}
    # The ELISA export states no unit: its kit file does, as the Luminex kits'.
    aliases = read_aliases(study.analytes)
    kits = read_kits(sorted((study.root / "config" / "kits").glob("*.yaml")), aliases)
    assert sorted(k.plates[0] for k in kits if k.unit == "ng/mL") == [
        "elisa_nfl_*",
        "luminex_4plex_*",
        "luminex_tgfb2_*",
    ]
    nfl = next(k for k in kits if k.kit == "elisa_nfl")
    assert nfl.ranges["control1", "NfL"] == pytest.approx((1.05, 1.95))
    # with the MSD plate, its kit file states the unit too
    msd = simulate_study(tmp_path / "msd", msd=True, difficulty=Difficulty(unit="ng/mL"))
    msd_kits = read_kits(
        sorted((msd.root / "config/kits").glob("*.yaml")), read_aliases(msd.analytes)
    )
    spots = next(k for k in msd_kits if k.kit == "msd_cytokine")
    assert spots.unit == "ng/mL" and spots.ranges["control1", "IL6"] == pytest.approx(
        (0.0525, 0.0975)
    )
    measured = samples[samples["analyte"] == "CCL2"].set_index("sample_id")["concentration"]
    truth = pd.read_csv(study.truth_samples, sep="\t")
    truth = truth[truth["analyte"] == "CCL2"].set_index("sample_id")["true_conc"]
    ratio = (measured / truth.reindex(measured.index)).dropna()
    assert len(ratio) == 38
    assert abs(float(np.median(np.log(ratio)))) < np.log(1.1)


# --- effect sizes ------------------------------------------------------------------------


def test_effect_zero_centres_the_pre_post_differences_on_zero(tmp_path: Path) -> None:
    none = simulate_study(tmp_path / "none", difficulty=Difficulty(effect=0.0))
    double = simulate_study(tmp_path / "double", difficulty=Difficulty(effect=2.0))
    analytes = ("CCL2", "TGFB2", "HGF", "CXCL12", "IL8", "NfL")
    # Pooled over three seeds and the six analytes (324 subject x analyte changes), the
    # log changes are centred on 0: scipy.stats.wilcoxon finds no shift, and the mean
    # is within 3 standard errors of 0. With the planted effects it is far from it.
    zero = Difficulty(effect=0.0)
    studies = [
        simulate_study(tmp_path / f"s{seed}", seed=seed, difficulty=zero) for seed in (1, 2, 3)
    ]
    changes = [_log_changes(study, a) for study in studies for a in analytes]
    pooled = pd.concat(changes)
    assert len(pooled) == 3 * 6 * 18
    assert stats.wilcoxon(pooled).pvalue > 0.05
    assert abs(pooled.mean()) < 3 * pooled.std(ddof=1) / np.sqrt(len(pooled))
    for analyte in analytes:
        assert abs(float(_log_changes(none, analyte).median())) < 0.15, analyte
    # The planted effects scale, subject by subject (the same draws, the effect's log
    # multiplied): CCL2 x0.75 becomes x0.5625 at effect 2, TGF-b2 x1.2 becomes x1.44.
    for analyte, fold in (("CCL2", 0.75), ("TGFB2", 1.2)):
        shift = _log_changes(double, analyte) - _log_changes(none, analyte)
        assert np.allclose(shift, 2 * np.log(fold), atol=1e-3), analyte
    # baseline samples do not change
    for study in (none, double):
        truth = pd.read_csv(study.truth_samples, sep="\t")
        plain = pd.read_csv(REPO / "tests/data/demo_truth/truth_samples.tsv", sep="\t")
        baseline = truth["visit"] == "baseline"
        assert truth[baseline].equals(plain[baseline])


# --- kit lots ----------------------------------------------------------------------------


def test_repeat_runs_of_a_kit_share_its_lot(tmp_path: Path) -> None:
    study = simulate_study(tmp_path, n_plates=9, bad_share=0.0)
    lots: dict[str, set[str]] = {}
    for path in study.plates:
        if path.stem.startswith("luminex_"):
            kit = path.stem.rsplit("_P", 1)[0]
            lots.setdefault(kit, set()).add(str(read_exports(path)[0].meta["kit_lot"]))
    assert {kit: len(found) for kit, found in lots.items()} == {
        "luminex_4plex": 1,
        "luminex_tgfb2": 1,
    }
    assert lots["luminex_4plex"] != lots["luminex_tgfb2"]


# --- samples near the LLOQ ---------------------------------------------------------------


def test_near_lloq_puts_that_share_of_samples_at_the_lowest_standard(
    plain: SimulatedStudy, tmp_path: Path
) -> None:
    near = simulate_study(tmp_path, difficulty=Difficulty(near_lloq=0.25))
    keys = ["sample_id", "analyte"]
    base = pd.read_csv(plain.truth_samples, sep="\t").set_index(keys)["true_conc"]
    moved = pd.read_csv(near.truth_samples, sep="\t").set_index(keys)["true_conc"]
    changed = moved[moved != base]
    # round(0.25 * 38) = 10 samples per analyte, each within 2-fold of the lowest
    # standard in the well (NfL is diluted 1:2 on its plate)
    assert changed.groupby(level="analyte").size().to_dict() == dict.fromkeys(
        ["CCL2", "CXCL12", "HGF", "IL8", "NfL", "TGFB2"], 10
    )
    lowest = {"CCL2": 10000, "HGF": 20000, "CXCL12": 40000, "IL8": 2000, "TGFB2": 10000}
    lowest = {name: top / 4**6 for name, top in lowest.items()} | {"NfL": 2 * 10000 / 4**6}
    ratio = changed / changed.index.get_level_values("analyte").map(lowest).to_numpy()
    assert ratio.between(0.5 - 1e-3, 2 + 1e-3).all()

    # Measured: more sample values below or just above the plates' LLOQ (censored, or
    # under twice the LLOQ) than in the plain study, for every analyte.
    def low_values(study: SimulatedStudy) -> pd.Series:
        result = _process(study)
        samples = combine_replicates(result.wells, result.curves, read_samples(study.samples))
        low = samples["censor"].notna() | (samples["concentration"] < 2 * samples["lloq"])
        return low.groupby(samples["analyte"]).sum()

    before, after = low_values(plain), low_values(near)
    assert (after >= before + 6).all(), (before.to_dict(), after.to_dict())


# --- borderline responders ---------------------------------------------------------------


def test_borderline_subjects_sit_at_the_responder_threshold(
    plain: SimulatedStudy, tmp_path: Path
) -> None:
    from assaypipe.responders import classify_responders
    from assaypipe.sheets import read_outcomes, read_subjects

    edge = simulate_study(tmp_path, difficulty=Difficulty(borderline=0.5))
    outcomes = pd.read_csv(edge.outcomes, sep="\t")
    edss = outcomes.pivot(index="subject_id", columns="month", values="edss")
    at_12, at_30 = edss[0] - edss[12], edss[0] - edss[30]
    truth = pd.read_csv(edge.truth_subjects, sep="\t").set_index("subject_id")["responder"]
    # the truth's responders are the plain study's: only the outcomes move
    plain_truth = pd.read_csv(plain.truth_subjects, sep="\t").set_index("subject_id")
    assert truth.equals(plain_truth["responder"])
    on_edge = (at_12 == 0.5) & (at_30 == np.where(truth.reindex(edss.index), 0.5, 0.0))
    assert on_edge.sum() >= 10  # the 10 chosen, and any the plain draws put there
    plain_edss = pd.read_csv(plain.outcomes, sep="\t").pivot(
        index="subject_id", columns="month", values="edss"
    )
    assert (edss != plain_edss).any(axis=1).sum() <= 10
    assert (edss[0] == plain_edss[0]).all()
    # The package's responder rule (EDSS 0.5 better at month 12, sustained at 30) gives
    # the truth back.
    table = classify_responders(read_subjects(edge.subjects), read_outcomes(edge.outcomes))
    primary = table[table["primary"]].set_index("subject_id")["responder"]
    assert primary.reindex(truth.index).astype(bool).tolist() == truth.tolist()


@pytest.mark.slow
def test_the_workflow_reports_an_ng_per_ml_study_in_ng_per_ml(tmp_path: Path) -> None:
    from tests.conftest import run_workflow

    simulate_study(tmp_path, seed=1, difficulty=Difficulty(unit="ng/mL"))
    result = run_workflow(tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    results = tmp_path / "results"
    included = pd.read_parquet(results / "samples_included.parquet")
    # NfL too: its export states no unit, its kit file does
    assert set(included["unit"]) == {"ng/mL"}
    assert set(included["analyte"]) == {"CCL2", "TGFB2", "HGF", "CXCL12", "IL8", "NfL"}
    # the kit files' control ranges are in ng/mL like the plates: every QC check passes
    assert set(pd.read_parquet(results / "qc.parquet")["status"]) == {"pass"}
    prepost = pd.read_parquet(results / "stats" / "prepost.parquet").set_index("analyte")
    # CCL2 falls by about 100 pg/mL (x0.75 of about 400): -0.1 ng/mL
    assert -0.2 < prepost.loc["CCL2", "estimate"] < -0.05 and prepost.loc["CCL2", "q"] < 0.05
    # the NfL subgroup threshold (1000 pg/mL) became 1 ng/mL, so the subgroup has members
    subgroup = pd.read_parquet(results / "stats" / "prepost_subgroup.parquet")
    assert (subgroup["n"] > 0).any()


@pytest.mark.slow
def test_levey_jennings_guide_sets_form_per_kit_lot(tmp_path: Path) -> None:
    from tests.conftest import run_workflow

    # 15 plates: each kit run 5 times; guide sets of 3 plates per lot, so the last 2
    # runs of each Luminex kit are judged (the ELISA export states no lot).
    study = simulate_study(tmp_path, seed=3, n_plates=15, bad_share=0.0)
    config = study.config.read_text(encoding="utf-8")
    assert config.count("guide_plates: 20\n") == 1
    study.config.write_text(config.replace("guide_plates: 20\n", "guide_plates: 3\n"))
    result = run_workflow(tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    plates = pd.read_parquet(tmp_path / "results" / "plates.parquet")
    luminex = plates[plates["plate_id"].str.startswith("luminex_")]
    assert luminex.groupby(luminex["plate_id"].str[:13])["kit_lot"].nunique().tolist() == [1, 1]
    chart = pd.read_parquet(tmp_path / "results" / "levey_jennings.parquet")
    control = chart[(chart["series"] == "Control1") & chart["plate_id"].isin(luminex["plate_id"])]
    judged = control[control["judged"]].groupby("analyte")["plate_id"].nunique()
    assert judged.to_dict() == dict.fromkeys(["CCL2", "CXCL12", "HGF", "IL8", "TGFB2"], 2)
    assert control["mean"].notna().all()


# --- reporter loss -----------------------------------------------------------------------


def test_reporter_loss_lowers_the_last_third_of_the_luminex_repeat_runs(tmp_path: Path) -> None:
    # 15 plates: 12 repeat runs, the last third (runs 9 to 12) read with the loss; of
    # those, runs 10 and 11 are Luminex (4-plex P0005, TGF-b2 P0005).
    base = simulate_study(tmp_path / "base", seed=5, n_plates=15, bad_share=0.0)
    lost = simulate_study(
        tmp_path / "lost",
        seed=5,
        n_plates=15,
        bad_share=0.0,
        difficulty=Difficulty(reporter_loss=0.25),
    )
    before, after = _files(base.root), _files(lost.root)
    assert before.keys() == after.keys()
    changed = {name for name in before if before[name] != after[name]}
    late = {"resources/plates/luminex_4plex_P0005.csv", "resources/plates/luminex_tgfb2_P0005.csv"}
    assert changed == late | {"truth/truth_curves.tsv"}
    keys = ["plate_id", "analyte"]
    curves = pd.read_csv(base.truth_curves, sep="\t").merge(
        pd.read_csv(lost.truth_curves, sep="\t"), on=keys, suffixes=("", "_lost")
    )
    curves = curves.set_index("plate_id")
    moved = curves[curves["d"] != curves["d_lost"]]
    assert set(moved.index) == {"luminex_4plex_P0005", "luminex_tgfb2_P0005"}
    np.testing.assert_allclose(moved["d_lost"] / moved["d"], 0.75, rtol=1e-3)
    np.testing.assert_allclose(moved["a_lost"] / moved["a"], 0.75, rtol=1e-3)
    assert (moved["c_lost"] == moved["c"]).all()
    # The signals as read back: the standards' median fell by the loss (noise draws are
    # the same in both files, so only rounding to half-MFI steps differs).
    for path in sorted(late):
        plain = read_exports(base.root / path)[0].wells
        faded = read_exports(lost.root / path)[0].wells
        top = (plain["role"] == "standard") & (plain["level"] == 1)
        ratio = faded.loc[top, "signal"].to_numpy() / plain.loc[top, "signal"].to_numpy()
        np.testing.assert_allclose(ratio, 0.75, rtol=2e-3)
