"""``t2s plot RUN_DIR...``: PNG learning curves, regret curves and policy heat-maps of runs.
Also ``python -m agents.cli.plot ...``."""

from __future__ import annotations

import argparse
import sys
from numbers import Real
from pathlib import Path

from agents.cli import UsageError
from agents.cli.checks import input_file, output_dir, read_json_file

CURVES = (
    "epoch", "reward_queries", "distinct_evaluations", "cumulative_regret", "simple_regret",
    "greedy_reward",
)  # fmt: skip
"""The ``history.json`` lists the figures draw."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="PNG figures of training runs (and few-shot results)")
    p.add_argument(
        "runs",
        nargs="+",
        help="run folders written by `t2s train`, or JSON files of `t2s evaluate --budgets`",
    )
    p.add_argument("--out", default="plots", help="output folder (default: %(default)s)")
    p.set_defaults(func=run)


def check_run_folder(run_dir: str | Path) -> None:
    """A run folder the plots can read: its run record, history and checkpoint."""
    from agents import make_agent
    from agents.base import load_checkpoint
    from agents.cli.train import read_run_info
    from t2s_env.data import TASK2VEC_DIM

    run_dir = Path(run_dir)
    info = read_run_info(run_dir, "RUN_DIR")
    path = input_file(run_dir / "history.json", "RUN_DIR", "a run folder with a history.json")
    history = read_json_file(path, "RUN_DIR", "a t2s training history")
    if not isinstance(history, dict):
        raise UsageError(f"RUN_DIR: {path} is not a t2s training history (not a JSON object)")
    lengths = set()
    for key in CURVES:
        v = history.get(key)
        # Regrets are None where the env knows no best reward (a live run).
        if not isinstance(v, list) or not all(x is None or isinstance(x, Real) for x in v):
            raise UsageError(
                f"RUN_DIR: {path} is not a t2s training history ({key!r} is not a list of numbers)"
            )
        lengths.add(len(v))
    if len(lengths) != 1:
        raise UsageError(f"RUN_DIR: {path}: the curves {list(CURVES)} differ in length")
    ckpt = input_file(run_dir / "checkpoint.npz", "RUN_DIR", "a run folder with a checkpoint.npz")
    agent = make_agent(info["agent"], seed=info["seed"], overrides=info.get("overrides") or None)
    load_checkpoint(agent, ckpt, obs_dim=TASK2VEC_DIM)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from agents.plotting import plot_runs

    # Few-shot result files draw their budget curves (agents/advisor/plot.py).
    budget_files = [r for r in args.runs if r.endswith(".json")]
    runs = [r for r in args.runs if not r.endswith(".json")]
    from agents.advisor.plot import plot_budget_curves, read_budget_results

    budgets = {}
    for f in budget_files:
        input_file(f, "RUNS", "a JSON file of `t2s evaluate --budgets`")
        budgets[f] = read_budget_results(f)
    for run_dir in runs:
        check_run_folder(run_dir)
    output_dir(args.out, "--out")
    for f, results in budgets.items():
        print(plot_budget_curves(results, Path(args.out) / f"{Path(f).stem}_budget_curves.png"))
    if runs:
        for path in plot_runs(runs, args.out):
            print(path)
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["plot", *sys.argv[1:]]))
