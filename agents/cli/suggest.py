"""``t2s suggest --embedding task.npz --observed runs.csv``: ask / tell for your own task.

Prints the next configuration to pre-train and the one to keep so far, from the task's Task2Vec
embedding (``t2s embed``) and a CSV of the runs already made, one row per configuration
measured: ``key,accuracy`` rows (5-NN accuracy in %, as ``t2s recommend --pretrain`` prints it),
or, after a header row naming ``key`` and either ``accuracy`` or ``reward`` (the same as a
fraction), those columns in any order. The advisor is fitted on the packaged table's 20 tasks.
Also ``python -m agents.cli.suggest ...``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from agents.cli import UsageError
from agents.cli.checks import at_least, input_file, read_embedding


def read_observed(path: str | Path) -> dict[str, float]:
    """``{key: reward (fraction)}`` from a runs CSV (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no runs file at {path}")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return {}
    headerless = len(rows[0]) >= 2 and _is_number(rows[0][1])  # key,accuracy (%) rows
    header = ["key", "accuracy"] if headerless else [c.strip().lower() for c in rows[0]]
    if "key" not in header or not ({"accuracy", "reward"} & set(header)):
        raise ValueError(
            f"{path}: the first row must name the columns: key and accuracy (%) or reward "
            f"(fraction), got {rows[0]}"
        )
    column = "accuracy" if "accuracy" in header else "reward"
    k_col, v_col = header.index("key"), header.index(column)
    observed: dict[str, float] = {}
    for line, row in enumerate(rows[1 - headerless :], start=2 - headerless):
        if len(row) <= max(k_col, v_col):
            raise ValueError(f"{path}:{line}: expected a key and a {column}, got {row}")
        key, text = row[k_col].strip(), row[v_col].strip()
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{path}:{line}: {column} {text!r} is not a number") from None
        if not np.isfinite(value):
            raise ValueError(f"{path}:{line}: {column} of {key} is not finite")
        value = value / 100 if column == "accuracy" else value
        if not 0 <= value <= 1:
            raise ValueError(
                f"{path}:{line}: {column} {text} is outside "
                + ("0..100 (%)" if column == "accuracy" else "0..1 (fraction)")
            )
        if key in observed:
            raise ValueError(f"{path}:{line}: configuration {key} is listed twice")
        observed[key] = value
    if headerless and observed and max(observed.values()) <= 0.01:
        print(
            f"note: {path} has no header row, so its numbers are read as accuracies in %, all "
            "<= 1 %; if they are fractions, start the file with the row key,reward",
            file=sys.stderr,
        )
    return observed


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suggest", help="the next configuration to pre-train on your task")
    p.add_argument("--embedding", required=True, help="the task's embedding (t2s embed --out)")
    p.add_argument(
        "--observed",
        help="CSV of the runs so far, one per row: key,accuracy (in %%); or after a header row "
        "naming key and accuracy (%%) or reward (a fraction), those columns in any order",
    )
    p.add_argument("--advisor", default="gp", help="advisor name (default: %(default)s)")
    p.add_argument(
        "--seed", type=at_least(0), default=0, help="seed of the advisor (default: %(default)s)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agents.advisor import ADVISORS, fit_on_table
    from t2s_env.space import PAPER_SPACE

    if args.advisor not in ADVISORS:
        raise UsageError(f"unknown --advisor {args.advisor!r}; choose from {sorted(ADVISORS)}")
    vector = read_embedding(args.embedding).vector
    if args.observed:
        input_file(args.observed, "--observed", "a CSV of key,accuracy rows")
    observed = read_observed(args.observed) if args.observed else {}
    advisor = fit_on_table(args.advisor, args.seed)
    keep = advisor.answer(vector, observed)
    print(f"advisor: {args.advisor}; runs so far: {len(observed)}")
    if len(observed) < PAPER_SPACE.size:
        nxt = advisor.suggest(vector, observed)
        print(f"next configuration to pre-train: {nxt}  {PAPER_SPACE.key_to_dict(nxt)}")
    else:
        print("every configuration is measured")
    status = (
        f"measured {100 * observed[keep]:.2f}%" if keep in observed else "predicted, not measured"
    )
    print(f"configuration to keep so far: {keep}  ({status})")
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["suggest", *sys.argv[1:]]))
