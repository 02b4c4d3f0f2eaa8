"""``t2s info``: the knob space, the packaged tasks and their table statistics."""

from __future__ import annotations

import argparse

import numpy as np


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show the knob space and the packaged tasks")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from t2s_env.rewards import TableRewardSource
    from t2s_env.space import DOMAIN_RANDOMIZATION_KEY

    source = TableRewardSource()
    print(source.space.describe())
    dr = source.space.action_to_index(source.space.key_to_action(DOMAIN_RANDOMIZATION_KEY))
    print(
        "\nDownstream 5-NN accuracy (%) from the packaged table: random = mean over the "
        f"{source.space.size} configurations, DR = domain randomisation ({DOMAIN_RANDOMIZATION_KEY}), "
        "best = the task's best configuration"
    )
    print(
        f"{'task':<18} {'split':<7} {'random %':>9} {'DR %':>7} {'best %':>7}  best configuration"
    )
    for i, task in enumerate(source.tasks):
        row = source.rewards[i] * 100
        best = int(np.argmax(row))
        print(
            f"{task:<18} {source.split(task):<7} {row.mean():9.2f} {row[dr]:7.2f} "
            f"{row[best]:7.2f}  {source.table.keys[best]}"
        )
    return 0
