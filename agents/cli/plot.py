"""``t2s plot RUN_DIR...``: PNG learning curves, regret curves and policy heat-maps of runs.
Also ``python -m agents.cli.plot ...``."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="PNG figures of training runs (and few-shot results)")
    p.add_argument(
        "runs",
        nargs="+",
        help="run folders written by `t2s train`, or JSON files of `t2s evaluate --budgets`",
    )
    p.add_argument("--out", default="plots", help="output folder (default: %(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from agents.plotting import plot_runs

    # Few-shot result files draw their budget curves (agents/advisor/plot.py).
    budget_files = [r for r in args.runs if r.endswith(".json")]
    runs = [r for r in args.runs if not r.endswith(".json")]
    if budget_files:
        from agents.advisor.plot import plot_budget_curves, read_budget_results

        for f in budget_files:
            out = Path(args.out) / f"{Path(f).stem}_budget_curves.png"
            print(plot_budget_curves(read_budget_results(f), out))
    if runs:
        for path in plot_runs(runs, args.out):
            print(path)
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["plot", *sys.argv[1:]]))
