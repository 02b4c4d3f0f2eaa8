"""The paper's measured reward table as a reward source (fast, exact, the default)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from t2s_env.data import (
    RewardTable,
    Task2VecTable,
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
