"""The ``Task2Sim-CPU-v0`` and ``Task2Sim-CPU-v1`` entry points: the Task2Sim env over a
packaged CPU table.

``cpu-v0`` (:func:`~t2s_env.data.load_cpu_table`) holds the `cpu` recipe's measurements of every
paper configuration on the 8 plain live tasks, one value per pre-training seed. ``cpu-v1``
(``cpu_table_v1.npz``) holds the `cpu2c` recipe's on the 26 live tasks of
:data:`~t2s_env.datasets.live_tasks.V1_TASKS` (seven transformation families beside the plain
tasks), with learning curves (the env's ``fidelity``: 0.5, 1 or 2 epochs) and each
pre-training's CPU seconds. Each step's reward is one measured replicate drawn with the env's
RNG; ``info["true_reward"]`` is the mean over replicates and ``best_reward`` the best mean. The
``table`` argument points the same env at another replicate table file (an exported one, with
learning curves or without).

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

CPU_TABLES = {"cpu-v0": "cpu_table.npz", "cpu-v1": "cpu_table_v1.npz"}
"""The packaged replicate tables by name: their files in ``t2s_env/data`` (each with its
``.json`` and ``_untrained.json`` beside)."""


def table_source(table: str | Path | ReplicateRewardSource | None = None) -> ReplicateRewardSource:
    """The reward source of an env's ``table`` argument: a packaged CPU table by name
    (:data:`CPU_TABLES`; ``None`` is ``"cpu-v0"``), a replicate table file (an ``.npz`` path,
    its ``.json`` beside: :meth:`ReplicateRewardSource.from_file`) or a source itself."""
    if table is None or table == "cpu-v0":
        return ReplicateRewardSource()
    if isinstance(table, ReplicateRewardSource):
        return table
    if isinstance(table, str) and table in CPU_TABLES:
        from t2s_env.data import data_path

        return ReplicateRewardSource.from_file(str(data_path(CPU_TABLES[table])))
    if isinstance(table, str) and "/" not in table and not table.endswith(".npz"):
        raise ValueError(
            f"table {table!r} is not a packaged table ({', '.join(CPU_TABLES)}) nor the path of "
            "a replicate table file (.npz)"
        )
    if isinstance(table, str | Path):
        return ReplicateRewardSource.from_file(table)
    raise ValueError(
        f"table must name a packaged table ({', '.join(CPU_TABLES)}), be the path of a "
        f"replicate table (.npz) or a ReplicateRewardSource, got {type(table).__name__} {table!r}"
    )


def make_cpu_env(
    tasks: TaskSelection = "seen",
    table: str | Path | ReplicateRewardSource | None = None,
    **kwargs: Any,
) -> Task2SimEnv:
    """A :class:`Task2SimEnv` over a packaged CPU table (``cpu-v0`` by default): ``tasks``
    ``"seen"`` (v0: 5 live tasks, the default; v1: 15), ``"unseen"`` (v0: 3; v1: 11), ``"all"``
    or names; other keywords as for the env (``fidelity=`` with ``cpu-v1``).

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
