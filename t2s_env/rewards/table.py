"""Measured reward tables as reward sources: the paper's (fast, exact, the default) and tables
with several seed replicates per cell (the packaged CPU table)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from t2s_env.data import (
    ReplicateTable,
    RewardTable,
    Task2VecTable,
    load_cpu_table,
    load_reward_table,
    load_task2vec,
    load_task_split,
)
from t2s_env.rewards.base import UnknownTaskError
from t2s_env.space import PAPER_SPACE, KnobSpace


class TableRewardSource:
    """Rewards looked up in a measured table: one pre-training run per (task, configuration).

    Args:
        table: The table (accuracies in %); the paper's by default.
        embeddings: Task2Vec vectors for the table's tasks; the paper's by default.
        space: The knob space the table's keys belong to; the paper's by default.
        split: ``{"seen": names, "unseen": names}``; tasks in neither are ``"user"`` tasks.

    >>> source = TableRewardSource()
    >>> round(source.reward("SVHN", source.space.key_to_dict("1_1_1_1_1_3_0_1_1")), 4)
    0.2856
    >>> source.split("CUB")
    'unseen'
    """

    name = "table"

    def __init__(
        self,
        table: RewardTable | None = None,
        embeddings: Task2VecTable | None = None,
        space: KnobSpace = PAPER_SPACE,
        split: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.table = load_reward_table() if table is None else table
        embeddings = load_task2vec() if embeddings is None else embeddings
        self.space = space
        expected = space.all_keys()
        if list(self.table.keys) != expected:
            if set(self.table.keys) != set(expected):
                raise ValueError(
                    f"the table's {len(self.table.keys)} keys are not the {space.size} "
                    f"configurations of the {space.name!r} knob space"
                )
            order = [self.table.keys.index(k) for k in expected]
            self.table = RewardTable(
                self.table.tasks, tuple(expected), self.table.accuracy[:, order]
            )
        missing = [t for t in self.table.tasks if t not in embeddings.tasks]
        if missing:
            raise ValueError(f"no Task2Vec embedding for tasks {missing}")
        rows = [embeddings.tasks.index(t) for t in self.table.tasks]
        self._embedding = np.ascontiguousarray(embeddings.embedding[rows], dtype=np.float32)
        self._rewards = self.table.accuracy / 100.0  # fractions, (T, C)
        self._best = self._rewards.max(axis=1)
        split = load_task_split() if split is None else split
        self._split = {t: s for s, names in split.items() for t in names}

    @property
    def tasks(self) -> tuple[str, ...]:
        return self.table.tasks

    def task_index(self, task: str) -> int:
        try:
            return self.table.tasks.index(task)
        except ValueError:
            raise UnknownTaskError(task, self.tasks) from None

    def split(self, task: str) -> str:
        self.task_index(task)
        return self._split.get(task, "user")

    def embedding(self, task: str) -> np.ndarray:
        return self._embedding[self.task_index(task)].copy()

    def reward(self, task: str, config: Mapping[str, object]) -> float:
        action = self.space.dict_to_action(config)  # type: ignore[arg-type]
        return float(self._rewards[self.task_index(task), self.space.action_to_index(action)])

    def best_reward(self, task: str) -> float:
        return float(self._best[self.task_index(task)])

    # Array views for vectorised consumers (the vector env, baselines, benchmarks).
    @property
    def rewards(self) -> np.ndarray:
        """Reward matrix, fractions, ``(n_tasks, n_configurations)`` in flat-index order."""
        return self._rewards

    @property
    def embeddings(self) -> np.ndarray:
        """Embedding matrix, float32 ``(n_tasks, dim)``, rows in :attr:`tasks` order."""
        return self._embedding


class ReplicateRewardSource(TableRewardSource):
    """A measured table with several seed replicates per cell, such as the packaged CPU table.

    The true reward of a (task, configuration) is the mean over its measured replicates
    (:meth:`reward`, :attr:`rewards`, :meth:`best_reward`); an env samples what the agent sees
    with :meth:`sample_reward`: one measured replicate, drawn with the env's RNG, so the
    agent's noise is the measured seed-to-seed noise, not an assumed one.

    Args:
        table: The replicate table; the packaged CPU table (:func:`~t2s_env.data.load_cpu_table`)
            by default.
        space: The knob space of the table's keys; the paper's by default.

    >>> source = ReplicateRewardSource()
    >>> source.replicates["fmnist-20shot"].shape == (len(source.seeds), 256)
    True
    >>> rng = np.random.default_rng(0)
    >>> config = source.space.key_to_dict("1_1_1_1_1_3_0_1_1")
    >>> source.sample_reward("fmnist-20shot", config, rng) in source.replicates["fmnist-20shot"]
    True
    """

    name = "replicates"

    def __init__(self, table: ReplicateTable | None = None, space: KnobSpace = PAPER_SPACE) -> None:
        table = load_cpu_table() if table is None else table
        expected = space.all_keys()
        if set(table.keys) != set(expected) or len(table.keys) != len(expected):
            raise ValueError(
                f"the table's {len(table.keys)} keys are not the {space.size} "
                f"configurations of the {space.name!r} knob space"
            )
        order = np.array([table.keys.index(k) for k in expected])
        self.replicate_table = table
        self.seeds: tuple[int, ...] = table.seeds
        self.provenance = table.provenance
        self._replicates = np.ascontiguousarray(table.reward[:, :, order])  # (T, S, C)
        self._replicates.setflags(write=False)
        self._measured = np.isfinite(self._replicates)
        mean = table.mean()[:, order]
        super().__init__(
            RewardTable(table.tasks, tuple(expected), 100.0 * mean),
            Task2VecTable(table.tasks, table.embedding),
            space,
            table.split,
        )
        self._rewards = mean  # the exact mean, not a round trip through percent
        self._best = mean.max(axis=1)

    @property
    def replicates(self) -> dict[str, np.ndarray]:
        """``{task: (seeds, configurations)}`` measured rewards (fractions) in the order of
        ``space.all_keys()``; NaN where a seed was not measured. Read-only views."""
        return {t: self._replicates[i] for i, t in enumerate(self.tasks)}

    def sample_reward(
        self, task: str, config: Mapping[str, object], rng: np.random.Generator
    ) -> float:
        """One measured replicate of (task, configuration), drawn uniformly with ``rng``."""
        action = self.space.dict_to_action(config)  # type: ignore[arg-type]
        t, c = self.task_index(task), int(self.space.action_to_index(action))
        return float(self.sample_rewards(np.array([t]), np.array([c]), rng)[0])

    def sample_rewards(
        self, task_idx: np.ndarray, config_idx: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Vectorised :meth:`sample_reward` over rows of :attr:`tasks` and flat configuration
        indices: one uniform draw per pair among its measured seeds."""
        measured = self._measured[task_idx, :, config_idx]  # (N, S)
        counts = measured.sum(axis=1)
        pick = (rng.random(len(counts)) * counts).astype(np.int64)  # which measured seed
        seed_pos = np.argmax(np.cumsum(measured, axis=1) > pick[:, None], axis=1)
        return self._replicates[task_idx, seed_pos, config_idx]
