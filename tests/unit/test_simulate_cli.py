"""simulate.cli: the ``assaypipe simulate`` arguments, their checks, and the study the
command writes."""

import argparse
from pathlib import Path

import pytest

from assaypipe.simulate.cli import (
    add_simulate_command,
    at_least_one,
    at_least_zero,
    loss,
    run_simulate,
    share,
)
from assaypipe.simulate.model import DEFAULT_SEED


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="assaypipe")
    add_simulate_command(top.add_subparsers(dest="command"))
    return top


def test_argument_checks_accept_the_edges_and_refuse_past_them():
    assert at_least_zero("0") == 0.0 and share("1") == 1.0 and loss("0.99") == 0.99
    assert at_least_one("1") == 1
    for check, text, message in [
        (at_least_zero, "-0.1", "0 or more"),
        (at_least_zero, "inf", "0 or more"),
        (at_least_zero, "nan", "0 or more"),
        (at_least_zero, "x", "expected a number"),
        (share, "1.5", "between 0 and 1"),
        (loss, "1", r"up to \(not\) 1"),
        (at_least_one, "0", "1 or more"),
        (at_least_one, "2.5", "whole number"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            check(text)


def test_defaults_are_the_default_study(tmp_path: Path):
    args = parser().parse_args(["simulate", "--out", str(tmp_path)])
    assert args.seed == DEFAULT_SEED and args.plates == 3 and not args.msd
    assert (args.noise, args.drift, args.hook, args.unit) == (1.0, 0.0, 0.0, "pg/mL")


def test_a_bad_value_stops_the_parser(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        parser().parse_args(["simulate", "--out", "x", "--hook", "2"])
    assert "between 0 and 1" in capsys.readouterr().err


def test_the_command_writes_the_study(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    args = parser().parse_args(
        ["simulate", "--out", str(tmp_path / "s"), "--seed", "3", "--unit", "ng/mL", "--msd"]
    )
    assert run_simulate(args) == 0
    plates = sorted(p.name for p in (tmp_path / "s" / "resources" / "plates").iterdir())
    assert "msd_cytokine_P1.csv" in plates and len(plates) == 4
    assert (tmp_path / "s" / "config" / "kits").is_dir()  # a ng/mL study has kit files
    assert "seed 3, 4 files" in capsys.readouterr().out
