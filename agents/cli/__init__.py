"""The ``t2s`` command line: one sub-command per module in this package.

Each module ``agents/cli/<name>.py`` defines ``add_parser(subparsers)`` (which registers its
sub-command and sets ``func``) and is listed in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: tuple[str, ...] = (
    "info", "train", "evaluate", "plot", "render", "sweep", "embed", "recommend", "suggest",
)  # fmt: skip
"""Sub-command modules, in the order ``t2s --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="t2s",
        description="Task2Sim-Gym: learn which synthetic pre-training data suits a task.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"agents.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``t2s`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, KeyError, FileNotFoundError, RuntimeError) as exc:
        print(f"t2s {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
