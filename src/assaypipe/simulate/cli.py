"""``assaypipe simulate``: the command that writes a simulated study (see assaypipe.cli)."""

from __future__ import annotations

import argparse
from pathlib import Path

from assaypipe.simulate.model import DEFAULT_SEED, Difficulty
from assaypipe.simulate.study import simulate_study


def run_simulate(args: argparse.Namespace) -> int:
    difficulty = Difficulty(
        noise=args.noise,
        drift=args.drift,
        hook=args.hook,
        unit=args.unit,
        effect=args.effect,
        near_lloq=args.near_lloq,
        borderline=args.borderline,
        reporter_loss=args.reporter_loss,
    )
    study = simulate_study(
        Path(args.out),
        seed=args.seed,
        truth_dir=Path(args.truth) if args.truth else None,
        n_plates=args.plates,
        bad_share=args.bad_share,
        msd=args.msd,
        difficulty=difficulty,
        guide_plates=args.guide_plates,
    )
    print(f"wrote a simulated study (seed {args.seed}, {len(study.plates)} files) to {study.root}")
    return 0


def at_least_zero(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number 0 or more, got {text!r}")
    return value


def share(text: str) -> float:
    value = at_least_zero(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text!r}")
    return value


def loss(text: str) -> float:
    value = at_least_zero(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a share from 0 up to (not) 1, got {text!r}")
    return value


def at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number 1 or more, got {text!r}")
    return value


def add_simulate_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add the ``simulate`` subcommand to the subparsers of the ``assaypipe`` parser."""
    simulate = commands.add_parser("simulate", help="write a simulated study with known truth")
    simulate.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)"
    )
    simulate.add_argument("--out", required=True, help="folder to write the study into")
    simulate.add_argument("--truth", help="folder for the truth tables (default OUT/truth)")
    simulate.add_argument(
        "--plates",
        type=int,
        default=3,
        help="plate files to write: the study's 3, plus repeat runs (default %(default)s)",
    )
    simulate.add_argument(
        "--bad-share",
        type=float,
        default=0.01,
        help="share of the repeat-run files made unusable (default %(default)s)",
    )
    simulate.add_argument(
        "--guide-plates",
        type=at_least_one,
        help="qc.guide_plates of the study's config: the plates of each kit lot that form "
        "its Levey-Jennings guide set (default: the config default, 20)",
    )
    simulate.add_argument(
        "--msd",
        action="store_true",
        help="add an MSD Discovery Workbench plate (IL-6 and TNF-alpha) on the same samples",
    )
    hard = simulate.add_argument_group(
        "difficulty", "make the study harder; the defaults give the bundled demo study"
    )
    hard.add_argument(
        "--noise",
        type=at_least_zero,
        default=1.0,
        help="multiplier of the signal noise SD of every plate, e.g. 2 (default %(default)s)",
    )
    hard.add_argument(
        "--drift",
        type=at_least_zero,
        default=0.0,
        help="SD (log scale) of a per-plate multiplicative shift of the curves' top and, "
        "drawn apart, their midpoint, e.g. 0.2 (default %(default)s: none)",
    )
    hard.add_argument(
        "--hook",
        type=share,
        default=0.0,
        help="share of Luminex plate x analyte curves whose top standards fall back "
        "(high-dose hook), 0 to 1 (default %(default)s)",
    )
    hard.add_argument(
        "--unit",
        choices=["pg/mL", "ng/mL"],
        default="pg/mL",
        help="kit unit the exports, plate maps and truth state, concentrations scaled to "
        "it (default %(default)s)",
    )
    hard.add_argument(
        "--effect",
        type=at_least_zero,
        default=1.0,
        help="multiplier of the true log pre/post effects; 0 for none (default %(default)s)",
    )
    hard.add_argument(
        "--near-lloq",
        type=share,
        default=0.0,
        help="share of samples, per analyte, whose true concentration lies near the lowest "
        "standard (within 2-fold in the well), 0 to 1 (default %(default)s)",
    )
    hard.add_argument(
        "--borderline",
        type=share,
        default=0.0,
        help="share of subjects whose EDSS sits at the responder threshold (0.5 better at "
        "month 12; sustained at month 30 for responders only), 0 to 1 (default %(default)s)",
    )
    hard.add_argument(
        "--reporter-loss",
        type=loss,
        default=0.0,
        help="share by which every Luminex signal falls on the last third of the repeat "
        "runs (a reporter channel losing sensitivity), below 1 (default %(default)s)",
    )
    simulate.set_defaults(run=run_simulate)
