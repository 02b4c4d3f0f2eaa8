"""A small environment whose optimum is known, for tests and examples (in the spirit of SB3's
identity env): 3 binary knobs (8 configurations), 6 tasks in two families.

Tasks ``a0, a1, a2`` share one optimum and similar Task2Vec vectors, tasks ``b0, b1, b2``
another; ``a2`` and ``b2`` are the "unseen" tasks. The reward of a configuration is
``40 + w * (knobs matching the family's optimum)`` percent (w = 5 for a, 6 for b, so
that one configuration is best on average) plus a small task-specific offset, so
each task has a unique best configuration and every knob matters on its own.

>>> source = toy_source()
>>> source.space.size, source.tasks
(8, ('a0', 'a1', 'b0', 'b1', 'a2', 'b2'))
>>> [source.space.action_to_key(OPTIMA[t[0]]) for t in ("a", "b")]
['1_0_1', '0_1_1']
"""

from __future__ import annotations

import numpy as np

from t2s_env.data import RewardTable, Task2VecTable
from t2s_env.envs import Task2SimEnv
from t2s_env.rewards import TableRewardSource
from t2s_env.space import Knob, KnobSpace

TOY_SPACE = KnobSpace(
    (
        Knob("k1", (0, 1), "toy knob 1"),
        Knob("k2", (0, 1), "toy knob 2"),
        Knob("k3", (0, 1), "toy knob 3"),
    ),
    name="toy",
)
OPTIMA = {"a": np.array([1, 0, 1]), "b": np.array([0, 1, 1])}
TASKS = ("a0", "a1", "b0", "b1", "a2", "b2")


def toy_source(dim: int = 32) -> TableRewardSource:
    """The toy table as a reward source (seen: a0 a1 b0 b1; unseen: a2 b2)."""
    rng = np.random.default_rng(12345)
    actions = TOY_SPACE.all_actions()
    acc = np.empty((len(TASKS), TOY_SPACE.size))
    centres = {f: rng.normal(size=dim) for f in OPTIMA}
    emb = np.empty((len(TASKS), dim), dtype=np.float32)
    for i, t in enumerate(TASKS):
        matches = (actions == OPTIMA[t[0]]).sum(axis=1)
        acc[i] = 40 + (5 if t[0] == "a" else 6) * matches + 0.1 * i
        emb[i] = np.abs(centres[t[0]] + 0.1 * rng.normal(size=dim))
    table = RewardTable(TASKS, tuple(TOY_SPACE.all_keys()), acc)
    split = {"seen": TASKS[:4], "unseen": TASKS[4:]}
    return TableRewardSource(table, Task2VecTable(TASKS, emb), space=TOY_SPACE, split=split)


def toy_env(tasks: str | tuple[str, ...] = "seen") -> Task2SimEnv:
    """A :class:`~t2s_env.envs.Task2SimEnv` over the toy table."""
    return Task2SimEnv(tasks=tasks, reward_source=toy_source())
