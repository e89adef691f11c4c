"""Westgard rules: each one tripped by a sequence that must trip it, and not by a near miss.

Sequences are z-scores; the expected run is the one completing the pattern (the run a
lab would hold), following Westgard's own descriptions of the multirule procedure.
"""

import math

import pytest

from assaypipe.qc.westgard import RULES, check_rules, rule_status, westgard, within_run


def tripped(z, rule):
    """Indices of the runs at which ``rule`` (alone) is reported."""
    return [i for i, rules in enumerate(westgard(z, rules=[rule])) if rule in rules]


@pytest.mark.parametrize(
    ("rule", "trips", "at", "near_miss"),
    [
        # one run beyond 2 SD; exactly 2 SD is not beyond
        ("1-2s", [0.3, -0.5, 2.1, 0.2], [2], [0.3, -0.5, 2.0, -2.0]),
        # one run beyond 3 SD; 2.9 only warns
        ("1-3s", [0.1, -3.2, 0.4], [1], [0.1, -2.9, 2.9]),
        # two consecutive beyond 2 SD on the same side; alternating sides is not 2-2s
        ("2-2s", [0.5, 2.3, 2.1, 0.0], [2], [0.5, 2.3, 1.9, 2.3, -2.2]),
        # consecutive runs beyond +2 and -2 SD; -1.9 after +2.5 is not R-4s
        ("R-4s", [0.0, 2.5, -2.2, 0.1], [2], [0.0, 2.5, -1.9, 0.1]),
        # four consecutive beyond 1 SD on one side; a 0.9 breaks the run
        ("4-1s", [0.0, -1.2, -1.5, -1.1, -1.3, 0.2], [4], [-1.2, -1.5, -0.9, -1.3, -1.1]),
        # ten consecutive on one side of the mean; nine then a crossing does not
        ("10-x", [0.3] * 9 + [0.1, 0.2], [9, 10], [0.3] * 9 + [-0.1, 0.3]),
    ],
)
def test_each_rule_trips_on_its_pattern_and_not_on_a_near_miss(rule, trips, at, near_miss):
    assert tripped(trips, rule) == at
    assert tripped(near_miss, rule) == []


def test_all_rules_together_report_in_a_fixed_order():
    z = [0.5, 2.4, 3.5, -0.1]
    assert westgard(z) == [(), ("1-2s",), ("1-2s", "1-3s", "2-2s"), ()]


def test_a_missing_run_is_skipped_not_a_break():
    z = [2.3, math.nan, 2.4]
    result = westgard(z, rules=["2-2s"])
    assert result == [(), (), ("2-2s",)]


def test_disabled_rules_are_not_reported():
    assert westgard([3.5], rules=["1-2s"]) == [("1-2s",)]
    assert westgard([3.5], rules=[]) == [()]


def test_within_run_r4s_across_control_levels():
    assert within_run({"Control1": 2.3, "Control2": -2.6, "Control3": 0.1}) == {
        "Control1": ("R-4s",),
        "Control2": ("R-4s",),
    }
    # +2.3 and -1.9: the range is above 4 SD but one level is not beyond 2 SD
    assert within_run({"Control1": 2.3, "Control2": -1.9}) == {}


def test_within_run_2_2s_across_control_levels():
    assert within_run({"Control1": -2.1, "Control2": -2.4}) == {
        "Control1": ("2-2s",),
        "Control2": ("2-2s",),
    }
    assert within_run({"Control1": -2.1, "Control2": -1.4}) == {}
    assert within_run({"Control1": -2.1, "Control2": -2.4}, rules=["R-4s"]) == {}


def test_status_of_rules():
    assert rule_status(()) == "pass"
    assert rule_status(("1-2s",)) == "warn"
    for rule in RULES[1:]:
        assert rule_status(("1-2s", rule)) == "fail"


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="2-3s"):
        check_rules(["2-3s"])
    with pytest.raises(ValueError):
        westgard([0.0], rules=["41s"])
