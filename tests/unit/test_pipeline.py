"""The read stage of a chunk: every export becomes plate rows, wells, vendor results,
or a rejected row, and one bad file does not stop the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from assaypipe import tables
from assaypipe.io import write_table
from assaypipe.pipeline import ChunkRead, collect_study, read_plates
from assaypipe.readers import read_exports
from assaypipe.settings import Settings
from assaypipe.sheets import read_aliases, read_samples
from tests.conftest import REPO

EXPORTS = REPO / "tests" / "data" / "exports"


def test_a_chunk_of_good_multi_plate_and_bad_exports(tmp_path: Path) -> None:
    luminex = REPO / "resources" / "plates" / "luminex_4plex_P1.csv"
    softmax = shutil.copy(EXPORTS / "softmax/softmax_two_plates_dual.txt", tmp_path / "nfl_run.txt")
    broken = tmp_path / "broken.csv"
    broken.write_text("who,what\nanna,wash\n", encoding="utf-8")
    plates = [
        {"plate_id": "lum", "export": str(luminex), "plate_map": None},
        {"plate_id": "nfl_run", "export": str(softmax), "plate_map": None},
        {"plate_id": "broken", "export": str(broken), "plate_map": None},
    ]
    done: list[int] = []
    read = read_plates(
        plates,
        read_samples(REPO / "config" / "samples.tsv"),
        read_aliases(REPO / "config" / "analytes.tsv"),
        chunk="07",
        on_plate=done.append,
    )
    assert done == [1, 2, 3]
    rows = read.plates.set_index("plate_id")
    # The two-plate SoftMax file is two plates named after its plate sections.
    assert list(rows.index) == ["lum", "nfl_run_Plate1", "nfl_run_Plate2", "broken"]
    assert list(rows["status"]) == ["read", "read", "read", "rejected"]
    assert set(rows["chunk"]) == {"07"}
    # Run facts as the files state them (read by eye: xPONENT AssayLotInfo 8073024,
    # pg/mL; SoftMax note "Kit lot NFL-2291").
    assert rows.loc["lum", "kit_lot"] == "8073024"
    assert rows.loc["lum", "unit"] == "pg/mL"
    assert rows.loc["nfl_run_Plate2", "kit_lot"] == "NFL-2291"
    assert rows.loc["nfl_run_Plate1", "plate_name"] == "Plate1"
    assert pd.isna(rows.loc["broken", "source_sha256"])
    # Wells and vendor results are those of each plate read alone.
    alone = {p.meta["plate_id"]: p for p in read_exports(softmax, plate_id="nfl_run")}
    alone["lum"] = read_exports(luminex, plate_id="lum")[0]
    for plate_id, plate in alone.items():
        assert (read.wells["plate_id"] == plate_id).sum() == len(plate.wells)
        assert (read.vendor["plate_id"] == plate_id).sum() == len(plate.vendor)
        assert rows.loc[plate_id, "n_wells"] == plate.wells["well"].nunique()
    assert len(read.vendor) > 0
    tables.VENDOR_RESULTS.validate(read.vendor)
    # The unreadable file is the one rejected row, with its reason; the plates' own
    # problems (the reads it holds, unmapped SoftMax wells) are their warnings.
    assert read.rejected["source_file"].tolist() == [str(broken)]
    assert "not a supported plate export" in read.rejected["reason"].iloc[0]
    for plate_id, plate in alone.items():
        assert list(rows.loc[plate_id, "warnings"]) == list(plate.warnings)
    assert len(rows.loc["nfl_run_Plate1", "warnings"]) == 2
    assert list(rows.loc["broken", "warnings"]) == []


def test_a_chunk_is_read_fitted_and_interpolated_in_one_call() -> None:
    import yaml

    from assaypipe.curves import fit_plate_curves
    from assaypipe.interpolate import interpolate_wells
    from assaypipe.pipeline import process_chunk

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    plates = [
        {"plate_id": path.stem, "export": str(path), "plate_map": None}
        for path in sorted((REPO / "resources" / "plates").glob("luminex_*_P1.csv"))
    ]
    sheets = (
        read_samples(REPO / "config" / "samples.tsv"),
        read_aliases(REPO / "config" / "analytes.tsv"),
    )
    result = process_chunk(
        plates, *sheets, chunk="00", settings=Settings.from_config({"curves": config["curves"]})
    )
    read = read_plates(plates, *sheets, chunk="00")
    curves = fit_plate_curves(read.wells, Settings.from_config(config).curves)
    pd.testing.assert_frame_equal(result.curves, curves)
    pd.testing.assert_frame_equal(result.wells, interpolate_wells(read.wells, curves))
    # every (plate, well, analyte) read is in the interpolated wells, once
    keys = ["plate_id", "well", "analyte"]
    assert len(result.wells) == len(read.wells)
    assert not result.wells.duplicated(keys).any()
    assert set(result.curves["plate_id"]) == {"luminex_4plex_P1", "luminex_tgfb2_P1"}


def _clash_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A two-plate SoftMax file `sm.txt` (plates sm_Plate1, sm_Plate2), a file whose own
    name is sm_Plate1, and a plate that clashes with neither."""
    multi = Path(shutil.copy(EXPORTS / "softmax/softmax_two_plates_dual.txt", tmp_path / "sm.txt"))
    single = Path(shutil.copy(REPO / "resources/plates/luminex_4plex_P1.csv", tmp_path / "x.csv"))
    single = single.rename(tmp_path / "sm_Plate1.csv")
    other = Path(shutil.copy(REPO / "resources/plates/luminex_tgfb2_P1.csv", tmp_path / "t.csv"))
    return multi, single, other


def _chunk(entries: list[tuple[str, Path]], chunk: str) -> ChunkRead:
    return read_plates(
        [
            {"plate_id": plate_id, "export": str(path), "plate_map": None}
            for plate_id, path in entries
        ],
        read_samples(REPO / "config" / "samples.tsv"),
        read_aliases(REPO / "config" / "analytes.tsv"),
        chunk=chunk,
    )


def _check_clash_rejected(
    wells: pd.DataFrame, plates: pd.DataFrame, rejected: pd.DataFrame, files: tuple[Path, ...]
) -> None:
    multi, single, other = (str(f) for f in files)
    reasons = rejected.set_index("source_file")["reason"].to_dict()
    assert set(reasons) == {multi, single}
    assert reasons[multi].startswith(f"{multi}: gives plate_id 'sm_Plate1', as {single} does")
    assert reasons[single].startswith(f"{single}: gives plate_id 'sm_Plate1', as {multi} does")
    assert set(wells["source_file"]) == {other}
    status = plates.set_index("plate_id")["status"].to_dict()
    assert status == {"sm": "rejected", "sm_Plate1": "rejected", "t": "read"}


def test_a_multi_plate_file_giving_another_files_plate_id_rejects_both_in_a_chunk(
    tmp_path: Path,
) -> None:
    files = _clash_files(tmp_path)
    read = _chunk(list(zip(["sm", "sm_Plate1", "t"], files, strict=True)), "chunk000")
    _check_clash_rejected(read.wells, read.plates, read.rejected, files)
    assert read.vendor.empty or set(read.vendor["plate_id"]) <= {"t"}


def test_a_plate_id_clash_across_chunks_is_found_when_the_tables_are_collected(
    tmp_path: Path,
) -> None:
    files = _clash_files(tmp_path)
    ids = ["sm", "sm_Plate1", "t"]
    paths: dict[str, list[Path]] = {name: [] for name in ("wells", "curves", "plates", "vendor")}
    paths["rejected"] = []
    for n, (plate_id, path) in enumerate(zip(ids, files, strict=True)):
        read = _chunk([(plate_id, path)], f"chunk00{n}")
        assert read.rejected.empty  # each chunk alone sees no clash
        curves = pd.DataFrame({"plate_id": read.plates["plate_id"]}).reindex(
            columns=list(tables.CURVES.columns)
        )
        for name, frame in [
            ("wells", read.wells),
            ("plates", read.plates),
            ("vendor", read.vendor),
            ("rejected", read.rejected),
            ("curves", tables.CURVES.validate(curves.iloc[:0])),
        ]:
            paths[name].append(write_table(frame, tmp_path / f"{name}{n}.parquet", command="t"))
    before = [{"source_file": "z.csv", "where": "file", "reason": "z.csv: empty"}]
    collected = collect_study(paths, before, dict(zip(map(str, files), ids, strict=True)))
    assert collected["rejected"]["source_file"].iloc[0] == "z.csv"
    _check_clash_rejected(
        collected["wells"], collected["plates"], collected["rejected"].iloc[1:], files
    )


def test_a_reader_failing_unforeseen_rejects_its_file_and_reads_the_others(
    tmp_path: Path, monkeypatch
) -> None:
    # A reader that stops with an error it does not foresee (a fault in assaypipe, as the
    # numbers too long for int were) loses its file only, not the chunk.
    import assaypipe.readers as readers
    from assaypipe.errors import excerpt

    bad = Path(shutil.copy(REPO / "resources/plates/luminex_4plex_P1.csv", tmp_path / "bad.csv"))
    good = Path(shutil.copy(REPO / "resources/plates/luminex_tgfb2_P1.csv", tmp_path / "ok.csv"))
    real = readers.read_columns

    def failing(export, **options):
        if Path(export).name == "bad.csv":
            raise ValueError("x" * 100)
        return real(export, **options)

    monkeypatch.setattr(readers, "read_columns", failing)
    read = _chunk([("bad", bad), ("ok", good)], "00")
    assert set(read.wells["plate_id"]) == {"ok"}
    assert read.rejected["reason"].tolist() == [
        f"{bad}: assaypipe could not read this file: its reader stopped with ValueError "
        f"({excerpt('x' * 100)}), a fault in assaypipe; the other plates are read. Please "
        "report it with the file"
    ]
    assert read.plates.set_index("plate_id")["status"].to_dict() == {
        "bad": "rejected",
        "ok": "read",
    }
