"""``t2s plot RUN_DIR...``: PNG learning curves, regret curves and policy heat-maps of runs.
Also ``python -m agents.cli.plot ...``."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="PNG figures of training runs")
    p.add_argument("runs", nargs="+", help="run folders written by `t2s train`")
    p.add_argument("--out", default="plots", help="output folder (default: %(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agents.plotting import plot_runs

    for path in plot_runs(args.runs, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["plot", *sys.argv[1:]]))
