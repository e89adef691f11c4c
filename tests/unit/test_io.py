import hashlib

import pandas as pd
import pyarrow.parquet as pq

from assaypipe import __version__
from assaypipe.io import config_hash, read_metadata, read_table, write_table


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_frame_gives_the_same_bytes(tmp_path):
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", None]})
    first = write_table(frame, tmp_path / "one.parquet", command="t", config={"k": 1})
    second = write_table(frame, tmp_path / "two.parquet", command="t", config={"k": 1})
    assert digest(first) == digest(second)
    assert read_table(first).equals(frame)


def test_metadata_and_compression(tmp_path):
    path = write_table(
        pd.DataFrame({"a": [1]}),
        tmp_path / "x.parquet",
        command="fit_curves",
        config={"b": 2, "a": 1},
    )
    assert read_metadata(path) == {
        "assaypipe_version": __version__,
        "assaypipe_config_hash": config_hash({"a": 1, "b": 2}),
        "assaypipe_command": "fit_curves",
    }
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_config_hash_depends_on_values():
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_no_temporary_file_left_behind(tmp_path):
    write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.parquet", command="t")
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]


def test_output_permissions_follow_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.parquet", command="t")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
