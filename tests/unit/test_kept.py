"""What kept results share (assaypipe.kept): the code's digest, entries written whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import assaypipe
from assaypipe.kept import KeptEntries, package_source, source_digest, write_whole


def test_the_code_digest_follows_every_module_and_its_place(tmp_path: Path) -> None:
    copy = tmp_path / "assaypipe"
    shutil.copytree(Path(assaypipe.__file__).parent, copy, ignore=shutil.ignore_patterns("*.pyc"))
    assert source_digest(copy) == package_source()
    module = copy / "curves" / "model.py"
    module.write_bytes(module.read_bytes() + b"\n")
    edited = source_digest(copy)
    assert edited != package_source()
    module.rename(copy / "model.py")
    assert source_digest(copy) not in (edited, package_source())


def test_an_entry_is_written_whole_and_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "folder" / "key.png"
    write_whole(target, b"first")
    write_whole(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["key.png"]


def test_an_entry_that_cannot_be_written_is_not_an_error(tmp_path: Path) -> None:
    blocked = tmp_path / "not a folder"
    blocked.write_text("a file where the folder would be")
    assert not write_whole(blocked / "key.png", b"data")
    assert blocked.read_text() == "a file where the folder would be"
    assert write_whole(tmp_path / "key.png", b"data")


def test_a_run_prunes_only_the_versions_it_replaced_under_its_own_prefixes(tmp_path: Path) -> None:
    names = [
        "aaaa-1.pkl",  # used by this run: kept
        "aaaa-0.pkl",  # an earlier version of a file this run read: removed
        "bbbb-0.pkl",  # a file of another chunk: not this run's to remove
        "aaaa.pkl",  # no key after the prefix: not an entry of the prefix
        "aaaa-0.txt",  # not an entry
        "cccc-2.pkl",  # used by this run: kept
        "cccc-1.pkl",  # removed
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    run = KeptEntries(tmp_path, used={"aaaa": {"aaaa-1"}, "cccc": {"cccc-2"}})
    assert run.prune() == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        set(names) - {"aaaa-0.pkl", "cccc-1.pkl"}
    )
    assert KeptEntries(tmp_path).prune() == 0  # a run that used nothing removes nothing
    assert KeptEntries(None, used={"aaaa": set()}).prune() == 0
