"""The classification's permutation test: CPU seconds, batched against the loop.

Runs ``classify_profile`` on the demo study's features (tests/data/
demo_classification.tsv, the workflow's features of the bundled demo) or on a
finished run's tables (``--results``), with the demo config's settings (1,000
permutations, seed 20261121), once with the permuted fits solved together and once
with scikit-learn refitted for each (the reference), and prints the CPU seconds of
each, their ratio and both p-values, which must be equal.

    .venv/bin/python bench/bench_permutation.py
    .venv/bin/python bench/bench_permutation.py --solver batched --repeat 5
    .venv/bin/python bench/bench_permutation.py --results results
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from assaypipe.classify import ClassificationResult, classify_profile, profile_features
from assaypipe.responders import response_groups

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "tests" / "data" / "demo_classification.tsv"


def inputs(results: Path | None) -> tuple[pd.DataFrame, pd.Series]:
    """Features and responder groups of the demo, or of a finished run."""
    if results is None:
        table = pd.read_csv(DEMO, sep="\t", index_col="subject_id")
        return table.drop(columns="group"), table["group"]
    samples = pd.read_parquet(results / "samples_included.parquet")
    subjects = pd.read_parquet(results / "subjects.parquet")
    return profile_features(samples), response_groups(subjects)


def timed(
    features: pd.DataFrame, groups: pd.Series, permutations: int, loop: bool, repeat: int
) -> tuple[float, ClassificationResult]:
    """The least CPU seconds of ``repeat`` runs, and the result."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        result = classify_profile(
            features, groups, permutations=permutations, seed=20261121, reference_loop=loop
        )
        best = min(best, time.process_time() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, help="a finished run's results/ folder")
    parser.add_argument("--permutations", type=int, default=1000)
    parser.add_argument("--solver", choices=["both", "batched", "loop"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the batched solve")
    args = parser.parse_args()
    features, groups = inputs(args.results)
    print(f"{len(features)} subjects x {features.shape[1]} features, {args.permutations} perms")
    runs: dict[str, tuple[float, ClassificationResult]] = {}
    if args.solver in ("both", "batched"):
        runs["batched"] = timed(features, groups, args.permutations, False, args.repeat)
    if args.solver in ("both", "loop"):
        runs["loop"] = timed(features, groups, args.permutations, True, 1)
    for name, (seconds, result) in runs.items():
        print(
            f"{name:8s} {seconds:8.3f} s CPU  AUC {result.auc:.4f} p {result.auc_p:.6g}  "
            f"balanced accuracy {result.balanced_accuracy:.4f} p {result.balanced_accuracy_p:.6g}"
        )
    if len(runs) == 2:
        (fast, batched), (slow, loop) = runs["batched"], runs["loop"]
        same = (batched.auc_p, batched.balanced_accuracy_p) == (
            loop.auc_p,
            loop.balanced_accuracy_p,
        )
        print(f"loop / batched {slow / fast:.1f}x; p-values equal: {same}")


if __name__ == "__main__":
    main()
