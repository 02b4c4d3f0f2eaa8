"""The ``Task2Sim-CPU-v0`` entry points: the Task2Sim env over the packaged CPU table.

The table (:func:`~t2s_env.data.load_cpu_table`) holds the `cpu` recipe's measurements of
every paper configuration on the 8 live tasks, one value per pre-training seed. Each step's
reward is one measured replicate drawn with the env's RNG; ``info["true_reward"]`` is the mean
over replicates and ``best_reward`` the best mean. The ``table`` argument points the same env at
another replicate table file (an exported one, with learning curves and the env's ``fidelity``
or without).

>>> import gymnasium as gym
>>> env = gym.make("t2s_env:Task2Sim-CPU-v0", tasks="unseen")
>>> obs, info = env.reset(seed=0, options={"task": "fmnist-5shot"})
>>> _, reward, *_, info = env.step(env.action_space.sample())
>>> reward in env.unwrapped.reward_source.replicates["fmnist-5shot"], info["split"]
(True, 'unseen')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from t2s_env.envs.task2sim import Task2SimEnv, TaskSelection
from t2s_env.envs.vector import Task2SimVectorEnv
from t2s_env.rewards.table import ReplicateRewardSource


def table_source(table: str | Path | ReplicateRewardSource | None = None) -> ReplicateRewardSource:
    """The reward source of an env's ``table`` argument: the packaged CPU table (``None``), a
    replicate table file (an ``.npz`` path, its ``.json`` beside:
    :meth:`ReplicateRewardSource.from_file`) or a source itself."""
    if table is None:
        return ReplicateRewardSource()
    if isinstance(table, ReplicateRewardSource):
        return table
    if isinstance(table, str | Path):
        return ReplicateRewardSource.from_file(table)
    raise ValueError(
        f"table must be the path of a replicate table (.npz) or a ReplicateRewardSource, got "
        f"{type(table).__name__} {table!r}"
    )


def make_cpu_env(
    tasks: TaskSelection = "seen",
    table: str | Path | ReplicateRewardSource | None = None,
    **kwargs: Any,
) -> Task2SimEnv:
    """A :class:`Task2SimEnv` over the packaged CPU table: ``tasks`` ``"seen"`` (5 live tasks,
    the default), ``"unseen"`` (3), ``"all"`` or names; other keywords as for the env.

    ``table`` names another replicate table file instead (an exported one, with learning
    curves or not: ``gym.make("t2s_env:Task2Sim-CPU-v0", table="my_table.npz", fidelity=1.0)``);
    the id then stands for "the CPU-table env" over that file, not for the packaged v0 data."""
    return Task2SimEnv(tasks=tasks, reward_source=table_source(table), **kwargs)


def make_cpu_vector_env(
    num_envs: int = 1,
    tasks: TaskSelection = "seen",
    table: str | Path | ReplicateRewardSource | None = None,
    **kwargs: Any,
) -> Task2SimVectorEnv:
    """The vectorised form (``gym.make_vec("t2s_env:Task2Sim-CPU-v0", num_envs=8)``); ``table``
    as for :func:`make_cpu_env`."""
    return Task2SimVectorEnv(
        num_envs=num_envs, tasks=tasks, reward_source=table_source(table), **kwargs
    )
