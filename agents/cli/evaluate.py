"""``t2s evaluate``: the paper's comparison (seen / unseen over seeds, leave-one-task-out,
sample efficiency) as markdown and JSON; with ``--budgets`` the few-shot protocol (a budget of
k distinct evaluations on each held-out task). ``--agents`` takes registry names and
``package.module:factory`` paths of your own agents or advisors. Also
``python -m agents.cli.evaluate ...``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PAPER_COMPARISON = (
    "random", "dr", "best-fixed", "oracle", "task2sim", "eps-greedy", "ucb1", "thompson",
    "factorised-thompson", "linucb", "nearest-task", "neighbour-transfer", "ppo", "a2c",
)  # fmt: skip


FEW_SHOT_COMPARISON = ("gp", "static", "static-z", "random-distinct", "best-fixed", "neighbour-transfer")  # fmt: skip
"""The default contenders of ``--budgets``: the advisors and two fast env-based agents."""


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{what} expects comma-separated numbers, got {text!r}") from None


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="compare agents as in the paper (markdown + JSON)")
    p.add_argument(
        "--agents",
        default=None,
        help="comma-separated agent / advisor names or package.module:factory paths (default: "
        "the paper comparison, or with --budgets the few-shot one)",
    )
    p.add_argument(
        "--budgets",
        default=None,
        help="few-shot protocol with these budgets, e.g. 0,1,2,4,8,16,32 (writes the curve)",
    )
    p.add_argument(
        "--noise", default="0", help="with --budgets: measurement noise levels, e.g. 0,0.01"
    )
    p.add_argument(
        "--splits", default="loto,seen-unseen", help="with --budgets: loto and/or seen-unseen"
    )
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default: %(default)s)")
    p.add_argument(
        "--epochs", action="append", metavar="AGENT=N", help="training epochs of an agent"
    )
    p.add_argument(
        "--loto",
        default="all",
        help="'all', 'none' or comma-separated agents for leave-one-task-out",
    )
    p.add_argument(
        "--loto-seeds",
        type=int,
        default=1,
        help="seeds of leave-one-task-out (default: %(default)s)",
    )
    p.add_argument(
        "--quick", action="store_true", help="a fast smoke run: 1 seed, 1/10 of the epochs, no LOTO"
    )
    p.add_argument(
        "--out", default="results/evaluation", help="output path without suffix (.md and .json)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agents import AGENTS, DEFAULT_EPOCHS
    from agents.advisor import ADVISORS
    from agents.evaluation import evaluate, to_markdown

    default = FEW_SHOT_COMPARISON if args.budgets is not None else PAPER_COMPARISON
    names = [n.strip() for n in (args.agents or ",".join(default)).split(",") if n.strip()]
    if not names:
        raise ValueError("--agents names no agent")
    known = set(AGENTS) | (set(ADVISORS) if args.budgets is not None else set())
    unknown = [n for n in names if n not in known and ":" not in n]
    if unknown:
        raise ValueError(
            f"unknown agents {unknown}; choose from {sorted(known)} or name your own as "
            "package.module:factory"
        )
    if args.seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
    epochs: dict[str, int] = {}
    for item in args.epochs or []:
        name, _, n = item.partition("=")
        if (name not in AGENTS and ":" not in name) or not n.isdigit():
            raise ValueError(f"--epochs expects AGENT=N with a known agent, got {item!r}")
        epochs[name] = int(n)
    if args.budgets is not None:
        return _run_budgets(args, names, epochs)
    seeds, loto = list(range(args.seeds)), args.loto
    if args.quick:
        seeds, loto = [0], "none"
        epochs = {n: epochs.get(n, max(1, DEFAULT_EPOCHS.get(n, 10) // 10)) for n in names}
    loto_arg: bool | list[str] = (
        True if loto == "all" else False if loto == "none" else [n.strip() for n in loto.split(",")]
    )
    results = evaluate(
        names,
        seeds=seeds,
        epochs=epochs,
        loto=loto_arg,
        loto_seeds=list(range(args.loto_seeds)),
        progress=not args.no_progress,
    )
    return _write(results, to_markdown(results), args.out)


def _run_budgets(args: argparse.Namespace, names: list[str], epochs: dict[str, int]) -> int:
    from agents.evaluation import budget_curves, budgets_to_markdown

    try:
        budgets = [int(b) for b in args.budgets.split(",") if b.strip()]
    except ValueError:
        raise ValueError(
            f"--budgets expects comma-separated integers, got {args.budgets!r}"
        ) from None
    noise = _floats(args.noise, "--noise")
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    seeds = [0] if args.quick else list(range(args.seeds))
    results = budget_curves(
        names, budgets, splits, noise or [0.0], seeds, progress=not args.no_progress, epochs=epochs
    )
    return _write(results, budgets_to_markdown(results), args.out)


def _write(results: dict, md: str, out_path: str) -> int:
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(md)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    print(md)
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["evaluate", *sys.argv[1:]]))
