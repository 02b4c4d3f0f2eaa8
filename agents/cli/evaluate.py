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

from agents.cli import UsageError
from agents.cli.checks import (
    add_table_option,
    at_least,
    non_negative_float,
    output_file,
    parse_list,
    refuse_unused,
    table_source,
    write_output,
)

PAPER_COMPARISON = (
    "random", "dr", "best-fixed", "oracle", "task2sim", "eps-greedy", "ucb1", "thompson",
    "factorised-thompson", "linucb", "nearest-task", "neighbour-transfer", "ppo", "a2c",
)  # fmt: skip


FEW_SHOT_COMPARISON = ("gp", "static", "static-z", "random-distinct", "best-fixed", "neighbour-transfer")  # fmt: skip
"""The default contenders of ``--budgets``: the advisors and two fast env-based agents."""


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
    add_table_option(p)
    p.add_argument(
        "--scoring",
        choices=["held-out-seed", "mean"],
        default=None,
        help="how answers on a replicate table are graded: 'held-out-seed' (the default there: "
        "learn from one seed's replicates, graded on the others, both ways round) or 'mean' "
        "(graded by the mean over replicates); the paper's table is graded by its values",
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
    names = [n.strip() for n in text.split(",")]
    if not any(names):
        raise UsageError(f"{option} {text!r} names no agent; give comma-separated agent names")
    return parse_list(text, option, str, "agent names", example="dr,ucb1")


def run(args: argparse.Namespace) -> int:
    from agents import AGENTS, DEFAULT_EPOCHS
    from agents.advisor import ADVISORS
    from agents.evaluation import evaluate, to_markdown

    default = FEW_SHOT_COMPARISON if args.budgets is not None else PAPER_COMPARISON
    names = _names(args.agents if args.agents is not None else ",".join(default), "--agents")
    known = set(AGENTS) | (set(ADVISORS) if args.budgets is not None else set())
    unknown = [n for n in names if n not in known and ":" not in n]
    if unknown:
        raise UsageError(
            f"unknown agents {unknown} (--agents); choose from {sorted(known)} or name your own "
            "as package.module:factory"
        )
    if len(set(names)) != len(names):
        raise UsageError(f"--agents names an agent twice: {names}")
    _refuse_unused_options(args)
    budgets = _budget_options(args) if args.budgets is not None else None
    _check_plugins(names, few_shot=budgets is not None)
    epochs: dict[str, int] = {}
    for item in args.epochs or []:
        name, _, n = item.partition("=")
        if name not in names or not n.isdigit() or int(n) < 1:
            raise UsageError(
                f"--epochs expects AGENT=N with N >= 1 and an agent of --agents {names}, got "
                f"{item!r}"
            )
        epochs[name] = int(n)
    scoring = _scoring(args)
    if budgets is not None:
        return _run_budgets(args, names, epochs, *budgets, scoring)
    seeds, loto = list(range(args.seeds)), args.loto
    if args.quick:
        seeds, loto = [0], "none"
        epochs = {n: epochs.get(n, max(1, DEFAULT_EPOCHS.get(n, 10) // 10)) for n in names}
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
    md_path, json_path = _outputs(args.out)
    results = evaluate(
        names,
        seeds=seeds,
        epochs=epochs,
        loto=loto_arg,
        loto_seeds=list(range(args.loto_seeds)),
        source=table_source(args.table),
        progress=not args.no_progress,
        scoring=scoring,
    )
    return _write(results, to_markdown(results), md_path, json_path)


def _scoring(args: argparse.Namespace) -> str | None:
    if args.scoring is None:
        return None
    if args.table == "paper":
        raise UsageError(
            "--scoring applies to a table of seed replicates (--table cpu or cpu-v1), not "
            "--table paper"
        )
    return {"held-out-seed": "held-out seed"}.get(args.scoring, args.scoring)


def _outputs(out_arg: str) -> tuple[Path, Path]:
    """The two output files of ``--out``, checked writable before any work starts."""
    out = Path(out_arg)
    if out.is_dir():
        raise UsageError(
            f"--out {out} is a directory; give a path without suffix (writes PATH.md, PATH.json)"
        )
    return output_file(out.with_suffix(".md"), "--out"), output_file(
        out.with_suffix(".json"), "--out"
    )


def _refuse_unused_options(args: argparse.Namespace) -> None:
    """Options that the chosen mode would silently ignore are refused before any work."""
    if args.budgets is None:
        refuse_unused(args, ["noise", "splits"], "without --budgets (the few-shot protocol)")
        if args.quick:
            refuse_unused(args, ["seeds", "loto", "loto_seeds"], "with --quick (1 seed, no LOTO)")
        elif args.loto == "none":
            refuse_unused(args, ["loto_seeds"], "with --loto none")
    else:
        refuse_unused(
            args, ["loto", "loto_seeds"], "with --budgets (its splits are set by --splits)"
        )
        if args.quick:
            refuse_unused(args, ["seeds"], "with --quick (1 seed)")


def _budget_options(args: argparse.Namespace) -> tuple[list[int], list[float], list[str]]:
    """``--budgets``, ``--noise`` and ``--splits``, each a well-formed list of distinct items."""
    from agents.advisor.loop import check_budgets
    from agents.evaluation import SPLITS

    def split_name(text: str) -> str:
        if text not in SPLITS:
            raise ValueError(text)
        return text

    budgets = parse_list(args.budgets, "--budgets", at_least(0), "integers >= 0")
    noise = parse_list(
        args.noise, "--noise", non_negative_float, "finite numbers >= 0", example="0,0.01"
    )
    splits = parse_list(
        args.splits, "--splits", split_name, f"split names {list(SPLITS)}", example="loto"
    )
    for option, items in (("--budgets", budgets), ("--noise", noise), ("--splits", splits)):
        if len(set(items)) != len(items):
            raise UsageError(f"{option} names an item twice: {items}")
    try:
        check_budgets(budgets, table_source(args.table).space.size)
    except ValueError as exc:
        raise UsageError(f"--budgets {args.budgets!r}: {exc}") from None
    return budgets, noise, splits


def _check_plugins(names: list[str], few_shot: bool) -> None:
    """Import and check every ``package.module:factory`` entry before any work starts."""
    from agents.evaluation import resolve_entry

    for name in names:
        if ":" in name:
            entry = resolve_entry(name)
            if entry.kind == "advisor" and not few_shot:
                raise UsageError(
                    f"--agents {name}: built an advisor; advisors are scored by the few-shot "
                    "protocol (add --budgets, e.g. --budgets 0,1,2,4,8)"
                )


def _run_budgets(
    args: argparse.Namespace,
    names: list[str],
    epochs: dict[str, int],
    budgets: list[int],
    noise: list[float],
    splits: list[str],
    scoring: str | None,
) -> int:
    from agents.evaluation import budget_curves, budgets_to_markdown

    md_path, json_path = _outputs(args.out)
    seeds = [0] if args.quick else list(range(args.seeds))
    results = budget_curves(
        names,
        budgets,
        splits,
        noise,
        seeds,
        source=table_source(args.table),
        progress=not args.no_progress,
        epochs=epochs,
        scoring=scoring,
    )
    return _write(results, budgets_to_markdown(results), md_path, json_path)


def _write(results: dict, md: str, md_path: Path, json_path: Path) -> int:
    write_output(json_path, "--out", lambda p: p.write_text(json.dumps(results, indent=2)))
    write_output(md_path, "--out", lambda p: p.write_text(md))
    print(md)
    print(f"wrote {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["evaluate", *sys.argv[1:]]))
