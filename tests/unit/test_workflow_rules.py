"""The workflow's rules: each has its log and asks for one of the job sizes defined once
in common.smk (memory and runtime), which the SLURM profile turns into its limits."""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import REPO

RULES = REPO / "workflow" / "rules"
COMMON = (RULES / "common.smk").read_text(encoding="utf-8")


def _rules() -> dict[str, str]:
    found = {}
    for path in sorted(RULES.glob("*.smk")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^rule (\w+):\n((?:    .*\n|\n)+)", text, flags=re.M):
            found[match.group(1)] = match.group(2)
    return found


def _sizes() -> dict[str, dict[str, int]]:
    return {
        m.group(1): ast.literal_eval(m.group(2))
        for m in re.finditer(r"^([A-Z]+_JOB) = (\{[^}]*\})", COMMON, flags=re.M)
    }


def test_the_job_sizes_give_memory_and_runtime() -> None:
    sizes = _sizes()
    assert set(sizes) == {"CHUNK_JOB", "STUDY_JOB", "REPORT_JOB"}
    for size in sizes.values():
        assert set(size) == {"mem_mb", "runtime"}
        assert size["mem_mb"] >= 1000 and size["runtime"] >= 10


RULE_THREADS = {"study_tables": 2}


@pytest.mark.parametrize("rule", sorted(_rules()))
def test_each_rule_has_a_log_and_a_job_size(rule: str) -> None:
    body = _rules()[rule]
    assert "    log:" in body
    asked = re.search(r"    resources:\n        \*\*(\w+),", body)
    assert asked is not None, f"rule {rule}: no `resources: **<SIZE>_JOB`"
    assert asked.group(1) in _sizes()
    # One thread unless a profile's set-threads says more; study_tables combines the
    # replicates in a second process beside QC (joblog.Forked).
    threads = re.search(r"^    threads: (\d+)$", body, flags=re.M)
    assert (int(threads.group(1)) if threads else 1) == RULE_THREADS.get(rule, 1)
