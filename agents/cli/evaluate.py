"""``t2s evaluate``: the paper's comparison (seen / unseen over seeds, leave-one-task-out,
sample efficiency) as markdown and JSON. Also ``python -m agents.cli.evaluate ...``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PAPER_COMPARISON = (
    "random", "dr", "best-fixed", "oracle", "task2sim", "eps-greedy", "ucb1", "thompson",
    "factorised-thompson", "linucb", "nearest-task", "neighbour-transfer", "ppo", "a2c",
)  # fmt: skip


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="compare agents as in the paper (markdown + JSON)")
    p.add_argument("--agents", default=",".join(PAPER_COMPARISON), help="comma-separated names")
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
    from agents.evaluation import evaluate, to_markdown

    names = [n.strip() for n in args.agents.split(",") if n.strip()]
    unknown = [n for n in names if n not in AGENTS]
    if unknown:
        raise ValueError(f"unknown agents {unknown}; choose from {sorted(AGENTS)}")
    epochs: dict[str, int] = {}
    for item in args.epochs or []:
        name, _, n = item.partition("=")
        if name not in AGENTS or not n.isdigit():
            raise ValueError(f"--epochs expects AGENT=N with a known agent, got {item!r}")
        epochs[name] = int(n)
    seeds, loto = list(range(args.seeds)), args.loto
    if args.seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
    if args.quick:
        seeds, loto = [0], "none"
        epochs = {n: epochs.get(n, max(1, DEFAULT_EPOCHS[n] // 10)) for n in names}
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
    md = to_markdown(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(md)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    print(md)
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["evaluate", *sys.argv[1:]]))
