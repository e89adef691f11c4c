"""Start-up cost of the workflow: what each job imports before it does any work.

For every rule with a ``script:`` it takes the script's import lines, runs them in a
fresh interpreter behind the imports Snakemake's own preamble makes (``python -X
importtime``), and prints the import time (the sum of every module's own time, the
median of ``--repeat`` runs) with the packages that cost most. The same for what the
Snakefile imports while it is parsed (``workflow/rules/common.smk``) against ``import
snakemake`` alone, and a line per heavy package a job must never pull without using it.
Two lines show what a job's first table validation imports (pandera loads its checks
then), with and without ``skip_unused_imports()``, which every job script calls first.

    .venv/bin/python bench/bench_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import ast
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# What Snakemake's script preamble imports before the script's own first line.
PREAMBLE = (
    "import pickle, snakemake.script, snakemake.io, snakemake.logging, snakemake.iocontainers"
)
SKIP = "skip_unused_imports()"
# Calls a job script makes among its imports (before numpy: they set its environment).
AMONG_IMPORTS = (SKIP, "one_blas_thread()")
# A job's first table validation: pandera loads its built-in checks then, and with them
# hypothesis when it is installed (assaypipe.joblog.skip_unused_imports).
FIRST_VALIDATION = (
    "import pandas as pd; from assaypipe import tables; "
    "tables.REJECTED.validate(pd.DataFrame({'source_file': ['f'], 'where': ['w'], "
    "'reason': ['r']})); tables.PLATES.validate(tables.empty(tables.PLATES))"
)
HEAVY = ("scipy", "statsmodels", "sklearn", "matplotlib", "pandera", "patsy", "polars")
LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|( *)(\S+)")


def rule_scripts() -> list[tuple[str, Path]]:
    """(rule, script) for every rule of workflow/rules/*.smk that runs a script."""
    found = []
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        rule = ""
        for line in smk.read_text().splitlines():
            if match := re.match(r"rule (\w+):", line):
                rule = match[1]
            if match := re.match(r'\s+"(.+\.py)"', line):
                found.append((rule, (smk.parent / match[1]).resolve()))
    return found


def import_lines(script: Path) -> str:
    """The script's leading import statements (and the calls of :data:`AMONG_IMPORTS`
    among them), as one line of code."""
    tree = ast.parse(script.read_text())
    imports = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom) or ast.unparse(node) in AMONG_IMPORTS:
            imports.append(ast.unparse(node))
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            break
    return "; ".join(imports)


def import_time(code: str) -> tuple[float, dict[str, float]]:
    """Seconds spent importing for ``code``, and per top-level package."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    ).stderr
    per: dict[str, float] = {}
    for line in err.splitlines():
        if match := LINE.match(line):
            top = match[3].split(".")[0]
            per[top] = per.get(top, 0.0) + int(match[1]) / 1e6
    return sum(per.values()), per


def measure(code: str, repeat: int) -> tuple[float, dict[str, float]]:
    runs = [import_time(code) for _ in range(repeat)]
    total = statistics.median(run[0] for run in runs)
    packages = {name for run in runs for name in run[1]}
    per = {name: statistics.median(run[1].get(name, 0.0) for run in runs) for name in packages}
    return total, per


def show(label: str, code: str, repeat: int, width: int) -> None:
    total, per = measure(code, repeat)
    top = sorted(per.items(), key=lambda item: -item[1])[:4]
    heavy = sorted(name for name in HEAVY if per.get(name, 0.0) > 0.0)
    print(
        f"{label:<{width}} {total:>6.2f}  "
        + ", ".join(f"{name} {seconds:.2f}" for name, seconds in top)
        + f"  [{' '.join(heavy) or '-'}]",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per line; the median counts")
    args = parser.parse_args()
    jobs = rule_scripts()
    width = max(len(f"{rule} ({script.name})") for rule, script in jobs) + 1
    print(f"{'what':<{width}} {'import s':>6}  largest packages (s)  [heavy packages pulled]")
    show("python (no import)", "pass", args.repeat, width)
    show("import snakemake", "import snakemake", args.repeat, width)
    show("snakemake command", "import snakemake.cli", args.repeat, width)
    common = REPO / "workflow" / "rules" / "common.smk"
    code = "import snakemake.cli; " + "; ".join(
        line
        for line in common.read_text().splitlines()
        if re.match(r"(from|import) ", line) or line == SKIP
    )
    show("  + Snakefile (common.smk)", code, args.repeat, width)
    show("script preamble", PREAMBLE, args.repeat, width)
    skip = f"from assaypipe.joblog import skip_unused_imports; {SKIP}"
    show("first table validation", f"{PREAMBLE}; {skip}; {FIRST_VALIDATION}", args.repeat, width)
    show("  without skip_unused_imports", f"{PREAMBLE}; {FIRST_VALIDATION}", args.repeat, width)
    for rule, script in jobs:
        show(f"{rule} ({script.name})", f"{PREAMBLE}; {import_lines(script)}", args.repeat, width)


if __name__ == "__main__":
    main()
