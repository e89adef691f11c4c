import logging

from assaypipe.progress import ChunkProgress, start_study, study_line


def test_study_line_sums_chunks_and_estimates_time_left(tmp_path):
    start_study(tmp_path, total_plates=100)
    log = logging.getLogger("test")
    first = ChunkProgress(tmp_path, "chunk000", log)
    second = ChunkProgress(tmp_path, "chunk001", log)
    first.started = second.started = 1000.0
    first.update(20)
    second.update(30)
    # 50 plates in 10 s: 50 more take another 10 s
    assert study_line(tmp_path, now=1010.0) == "plates done: 50/100 (50%), about 10 s left"
    second.update(80)
    assert study_line(tmp_path, now=1010.0) == "plates done: 100/100 (100%)"


def test_no_estimate_from_the_first_plates(tmp_path):
    start_study(tmp_path, total_plates=1000)
    progress = ChunkProgress(tmp_path, "chunk000", logging.getLogger("t"))
    progress.started = 1000.0
    progress.update(1)
    # one plate in 1 s, start-up included, would say 17 min for what takes seconds
    assert study_line(tmp_path, now=1001.0) == "plates done: 1/1000 (0%), estimating the time left"
    progress.update(100)
    assert study_line(tmp_path, now=1004.0) == "plates done: 100/1000 (10%), about 36 s left"


def test_a_new_run_starts_from_zero(tmp_path):
    start_study(tmp_path, total_plates=10)
    ChunkProgress(tmp_path, "chunk000", logging.getLogger("t")).update(10)
    start_study(tmp_path, total_plates=12)
    assert study_line(tmp_path) == "plates done: 0/12 (0%)"


def test_lines_are_throttled(tmp_path):
    start_study(tmp_path, total_plates=100)
    progress = ChunkProgress(tmp_path, "chunk000", logging.getLogger("t"))
    shown = [progress.update(done, every=3600) for done in range(1, 101)]
    # the first line, then nothing until the study is done
    assert shown[0] is not None
    assert shown[1:99] == [None] * 98
    assert shown[99] == "plates done: 100/100 (100%)"


def test_without_a_progress_folder_nothing_is_reported(tmp_path):
    progress = ChunkProgress(tmp_path / "none", "chunk000", logging.getLogger("t"))
    assert progress.update(3) is None
