"""``t2s evaluate``: the paper's comparison (seen / unseen over seeds, leave-one-task-out,
sample efficiency) as markdown and JSON. Also ``python -m agents.cli.evaluate ...``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agents.cli import UsageError
from agents.cli.checks import at_least, output_file, write_output

PAPER_COMPARISON = (
    "random", "dr", "best-fixed", "oracle", "task2sim", "eps-greedy", "ucb1", "thompson",
    "factorised-thompson", "linucb", "nearest-task", "neighbour-transfer", "ppo", "a2c",
)  # fmt: skip


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="compare agents as in the paper (markdown + JSON)")
    p.add_argument("--agents", default=",".join(PAPER_COMPARISON), help="comma-separated names")
    p.add_argument(
        "--seeds", type=at_least(1), default=5, help="seeds 0..N-1 (default: %(default)s)"
    )
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
        type=at_least(1),
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


def _names(text: str, option: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError(f"{option} {text!r} names no agent; give comma-separated agent names")
    return names


def run(args: argparse.Namespace) -> int:
    from agents import AGENTS, DEFAULT_EPOCHS
    from agents.evaluation import evaluate, to_markdown

    names = _names(args.agents, "--agents")
    unknown = [n for n in names if n not in AGENTS]
    if unknown:
        raise UsageError(f"unknown agents {unknown} (--agents); choose from {sorted(AGENTS)}")
    if len(set(names)) != len(names):
        raise UsageError(f"--agents names an agent twice: {names}")
    epochs: dict[str, int] = {}
    for item in args.epochs or []:
        name, _, n = item.partition("=")
        if name not in names or not n.isdigit() or int(n) < 1:
            raise UsageError(
                f"--epochs expects AGENT=N with N >= 1 and an agent of --agents {names}, got "
                f"{item!r}"
            )
        epochs[name] = int(n)
    seeds, loto = list(range(args.seeds)), args.loto
    if args.quick:
        seeds, loto = [0], "none"
        epochs = {n: epochs.get(n, max(1, DEFAULT_EPOCHS[n] // 10)) for n in names}
    loto_arg: bool | list[str]
    if loto in ("all", "none"):
        loto_arg = loto == "all"
    else:
        loto_arg = _names(loto, "--loto")
        stray = [n for n in loto_arg if n not in names]
        if stray:
            raise UsageError(
                f"--loto {loto!r}: {stray} not among --agents {names}; give 'all', 'none' or "
                "some of them"
            )
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(
            f"--out {out} is a directory; give a path without suffix (writes PATH.md, PATH.json)"
        )
    md_path = output_file(out.with_suffix(".md"), "--out")
    json_path = output_file(out.with_suffix(".json"), "--out")
    results = evaluate(
        names,
        seeds=seeds,
        epochs=epochs,
        loto=loto_arg,
        loto_seeds=list(range(args.loto_seeds)),
        progress=not args.no_progress,
    )
    md = to_markdown(results)
    write_output(json_path, "--out", lambda p: p.write_text(json.dumps(results, indent=2)))
    write_output(md_path, "--out", lambda p: p.write_text(md))
    print(md)
    print(f"wrote {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["evaluate", *sys.argv[1:]]))
