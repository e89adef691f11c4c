"""Exports read once (assaypipe.read_cache): a kept read is what reading the file again
gives, for every bundled format; changed, recent, refused and damaged files are read."""

from __future__ import annotations

import ast
import os
import pickle
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pandas as pd
import pytest

from assaypipe.pipeline import read_plate, read_plates
from assaypipe.read_cache import ReadCache, export_prefix, prune_reads
from assaypipe.readers import PlateColumns
from assaypipe.readers.columns import frame_of
from assaypipe.sheets import read_aliases, read_samples
from tests.unit.test_realdata_golden import exports as real_exports

EXPORTS = Path(__file__).parents[1] / "data" / "exports"
CONFIG = Path(__file__).parents[2] / "config"
LONG_AGO = time.time() - 3600


def settled(source: Path, folder: Path) -> Path:
    """A copy of ``source`` last modified an hour ago (not still being written)."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / source.name
    shutil.copyfile(source, copy)
    os.utime(copy, (LONG_AGO, LONG_AGO))
    return copy


def bundled_exports(tmp_path: Path) -> list[Path]:
    return [
        settled(path, tmp_path / "plates" / path.parent.name / str(i))
        for i, path in enumerate(sorted(EXPORTS.rglob("*")))
        if path.is_file() and "plate_maps" not in path.parts
    ]


def same_plates(left: list[PlateColumns], right: list[PlateColumns]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert list(a.wells) == list(b.wells)
        wells_a, wells_b = frame_of(a.wells, a.n_rows), frame_of(b.wells, b.n_rows)
        assert wells_a.equals(wells_b)
        assert (wells_a.dtypes == wells_b.dtypes).all()
        for name in wells_a.columns:
            # texts and the vocabulary's members alike: same values, same types
            assert [type(v) for v in wells_a[name]] == [type(v) for v in wells_b[name]], name
        assert a.vendor.frame().equals(b.vendor.frame())
        assert (a.meta, a.warnings) == (b.meta, b.warnings)


def read(cache: ReadCache, export: Path) -> tuple[list[PlateColumns], pd.DataFrame | None]:
    return cache.read_plate(str(export), None, export.stem, "median", "", None)


def test_every_bundled_format_kept_is_what_reading_it_again_gives(tmp_path: Path) -> None:
    exports = bundled_exports(tmp_path)
    assert len(exports) >= 20
    folder = tmp_path / "cache"
    filling, reusing = ReadCache(folder), ReadCache(folder)
    refused = 0
    for export in exports:
        fresh, fresh_rejected = read_plate(str(export), None, export.stem)
        first, first_rejected = read(filling, export)
        again, again_rejected = read(reusing, export)
        if fresh_rejected is not None:
            refused += 1
            # refused every time, with the same reason; never kept
            assert first_rejected is not None and again_rejected is not None
            assert fresh_rejected.equals(first_rejected) and fresh_rejected.equals(again_rejected)
            continue
        same_plates(fresh, first)
        same_plates(fresh, again)
    assert (filling.read, filling.kept) == (len(exports), 0)
    assert (reusing.read, reusing.kept) == (refused, len(exports) - refused)
    assert len(list(folder.glob("*.pkl"))) == len(exports) - refused


def test_a_chunk_read_from_the_cache_gives_the_same_tables(tmp_path: Path) -> None:
    exports = bundled_exports(tmp_path)
    plates = [
        {"plate_id": f"p{i}", "export": str(e), "plate_map": None} for i, e in enumerate(exports)
    ]
    sheet, aliases = read_samples(CONFIG / "samples.tsv"), read_aliases(CONFIG / "analytes.tsv")

    def chunk(cache: ReadCache | None) -> dict[str, pd.DataFrame]:
        read = read_plates(plates, sheet, aliases, chunk="chunk000", cache=cache)
        return {name: getattr(read, name) for name in ("wells", "rejected", "plates", "vendor")}

    fresh = chunk(None)
    chunk(ReadCache(tmp_path / "cache"))
    cache = ReadCache(tmp_path / "cache")
    kept = chunk(cache)
    assert cache.kept > 0
    for name, table in fresh.items():
        assert table.equals(kept[name]), name
        assert (table.dtypes == kept[name].dtypes).all(), name


def test_a_changed_export_is_read_again_and_its_old_read_removed(tmp_path: Path) -> None:
    export = settled(next(EXPORTS.glob("xponent/*.csv")), tmp_path)
    folder = tmp_path / "cache"
    read(ReadCache(folder), export)
    (old,) = folder.glob("*.pkl")
    export.write_bytes(export.read_bytes().replace(b"\n", b"\r\n"))
    os.utime(export, (LONG_AGO, LONG_AGO))
    cache = ReadCache(folder)
    plates, _ = read(cache, export)
    assert (cache.read, cache.kept) == (1, 0)
    same_plates(plates, read_plate(str(export), None, export.stem)[0])
    assert cache.prune() == 1
    (new,) = folder.glob("*.pkl")
    assert new != old and new.name.startswith(export_prefix(export))


def test_an_export_changed_while_it_is_read_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = settled(next(EXPORTS.glob("xponent/*.csv")), tmp_path)
    import assaypipe.pipeline

    def read_after_an_edit(*args: object) -> tuple[list[PlateColumns], pd.DataFrame | None]:
        # the file is saved again between the cache's look and the reader's
        export.write_bytes(export.read_bytes().replace(b"\n", b"\r\n"))
        os.utime(export, (LONG_AGO, LONG_AGO))
        return read_plate(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(assaypipe.pipeline, "read_plate", read_after_an_edit)
    cache = ReadCache(tmp_path / "cache")
    plates, rejected = read(cache, export)
    assert rejected is None and plates and cache.read == 1
    assert not list((tmp_path / "cache").glob("*.pkl"))


def test_a_file_just_written_is_read_as_usual_not_kept(tmp_path: Path) -> None:
    export = tmp_path / "fresh.csv"
    shutil.copyfile(next(EXPORTS.glob("xponent/*.csv")), export)
    cache = ReadCache(tmp_path / "cache")
    plates, rejected = read(cache, export)
    assert rejected is None and plates
    assert cache.read == 1
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "damage",
    [
        b"not an entry",
        zlib.compress(b"\x80\x05K\x01."),  # a pickled 1, not a list of plates
        zlib.compress(pickle.dumps(Path("elsewhere"))),  # a class an entry does not hold
        # an entry that would run a command when loaded: refused, never run
        zlib.compress(b"cos\nsystem\n(S'touch hacked'\ntR."),
    ],
)
def test_a_damaged_or_foreign_entry_is_read_again(
    tmp_path: Path, damage: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = settled(next(EXPORTS.glob("xponent/*.csv")), tmp_path)
    folder = tmp_path / "cache"
    read(ReadCache(folder), export)
    (entry,) = folder.glob("*.pkl")
    entry.write_bytes(damage)
    cache = ReadCache(folder)
    monkeypatch.chdir(tmp_path)
    plates, _ = read(cache, export)
    assert (cache.read, cache.kept) == (1, 0)
    assert not (tmp_path / "hacked").exists()
    same_plates(plates, read_plate(str(export), None, export.stem)[0])
    # written again whole: the next run keeps it
    again = ReadCache(folder)
    read(again, export)
    assert again.kept == 1


def test_a_pipe_or_a_device_named_as_an_export_is_refused_by_the_reader(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)  # hashing it would wait for a writer forever
    device = tmp_path / "zeros.csv"
    device.symlink_to("/dev/zero")  # hashing it would never end
    cache = ReadCache(tmp_path / "cache")
    for export in (pipe, device):
        plates, rejected = read(cache, export)
        assert not plates and rejected is not None
    assert cache.read == 2 and not (tmp_path / "cache").exists()


def test_reads_of_exports_gone_from_the_study_are_removed(tmp_path: Path) -> None:
    exports = [settled(p, tmp_path / str(i)) for i, p in enumerate(EXPORTS.glob("xponent/*.csv"))]
    assert len(exports) >= 2
    folder = tmp_path / "cache"
    cache = ReadCache(folder)
    for export in exports:
        read(cache, export)
    assert prune_reads(folder, [str(export) for export in exports]) == 0
    assert prune_reads(folder, [str(exports[0])]) == len(exports) - 1
    assert [p.name[:16] for p in folder.glob("*.pkl")] == [export_prefix(exports[0])]
    assert prune_reads(tmp_path / "nothing", []) == 0


def test_no_folder_keeps_nothing(tmp_path: Path) -> None:
    export = settled(next(EXPORTS.glob("xponent/*.csv")), tmp_path)
    cache = ReadCache(None)
    read(cache, export)
    read(cache, export)
    assert (cache.read, cache.kept, cache.prune()) == (2, 0, 0)


def test_every_real_export_as_one_chunk_gives_the_same_tables(
    realdata: Path, tmp_path: Path
) -> None:
    files = [realdata / relative for relative in real_exports()]
    plates = [
        {"plate_id": f"p{i:03d}", "export": str(path), "plate_map": None}
        for i, path in enumerate(files)
    ]
    sheet, aliases = read_samples(CONFIG / "samples.tsv"), read_aliases(CONFIG / "analytes.tsv")

    def chunk(cache: ReadCache | None) -> list[pd.DataFrame]:
        read = read_plates(plates, sheet, aliases, chunk="chunk000", cache=cache)
        return [read.wells, read.rejected, read.plates, read.vendor]

    fresh = chunk(None)
    chunk(ReadCache(tmp_path))
    cache = ReadCache(tmp_path)
    kept = chunk(cache)
    # the refused exports are read again; every other one comes from the cache
    assert cache.read == fresh[1]["source_file"].nunique()
    assert cache.kept == len(files) - cache.read > 100
    for table, again in zip(fresh, kept, strict=True):
        assert table.equals(again)
        assert (table.dtypes == again.dtypes).all()


def test_the_benchmark_reads_a_folder_three_ways_and_finds_the_tables_equal(
    tmp_path: Path,
) -> None:
    exports = bundled_exports(tmp_path)
    bench = Path(__file__).parents[2] / "bench" / "bench_read_cache.py"
    done = subprocess.run(
        [sys.executable, str(bench), str(tmp_path / "plates")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"{len(exports)} exports:" in done.stdout
    assert "tables equal with and without the cache: True" in done.stdout
    assert done.stdout.count("ms per export") == 3


def test_a_cache_folder_that_cannot_be_written_reads_as_usual(tmp_path: Path) -> None:
    export = settled(next(EXPORTS.glob("xponent/*.csv")), tmp_path)
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder would be")
    cache = ReadCache(blocked)
    plates, rejected = read(cache, export)
    assert rejected is None
    same_plates(plates, read_plate(str(export), None, export.stem)[0])
    assert (cache.read, cache.kept, cache.prune()) == (1, 0, 0)


def test_the_study_tables_job_prunes_kept_reads_without_loading_the_readers() -> None:
    # The job script's import lines in a fresh interpreter: pruning the kept reads must
    # not load every reader (about 0.1 s of a job that runs alone between the chunks
    # and the statistics).
    script = Path(__file__).resolve().parents[2] / "scripts" / "study_tables.py"
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imports = [
        ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert "from assaypipe.read_cache import prune_reads" in imports
    check = "\n".join([*imports, "import sys", "print('assaypipe.readers' in sys.modules)"])
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
