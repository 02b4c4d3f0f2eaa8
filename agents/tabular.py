"""The shared frame of agents that keep reward statistics per task (:class:`MemoryAgent`), and the
paper's fixed baselines: random, domain randomisation, best-fixed and the oracle.

A memory agent picks flat configuration indices; this frame converts them to actions, feeds
rewards into a :class:`~agents.memory.TaskMemory`, and saves / loads config, memory and RNG.

>>> import numpy as np
>>> from t2s_env.rewards import TableRewardSource
>>> source = TableRewardSource()
>>> oracle = OracleAgent(source)
>>> obs = task_observation(source.embeddings[:2])
>>> keys = [source.space.action_to_key(a) for a in oracle.act(obs, deterministic=True)]
>>> [round(source.reward(t, source.space.key_to_dict(k)), 4) == round(source.best_reward(t), 4)
...  for t, k in zip(source.tasks[:2], keys)]
[True, True]
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from agents.base import AgentKind, check_batch, read_state, rng_state, set_rng_state, write_state
from agents.memory import TaskMemory
from t2s_env.rewards import TableRewardSource
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY, PAPER_SPACE, KnobSpace, task_observation


@dataclasses.dataclass(frozen=True)
class NoConfig:
    """An agent without hyperparameters."""


class MemoryAgent:
    """Frame for agents that choose flat configuration indices from per-task reward statistics.

    Subclasses set ``name``, ``kind``, ``Config`` and implement :meth:`choose`.

    Args:
        config: The agent's hyperparameters (its ``Config`` dataclass; defaults if ``None``).
        seed: Seed of the agent's own generator.
        space: The knob space actions belong to.
    """

    name: ClassVar[str] = "memory"
    kind: ClassVar[AgentKind] = "context-free"
    Config: ClassVar[type] = NoConfig

    def __init__(self, config: Any = None, seed: int = 0, space: KnobSpace = PAPER_SPACE) -> None:
        self.config = self.Config() if config is None else config
        if not isinstance(self.config, self.Config):
            raise TypeError(f"config must be a {self.Config.__name__}, got {type(self.config)}")
        self.seed = int(seed)
        self.space = space
        self.rng = np.random.default_rng(self.seed)
        self.memory = TaskMemory(space.size)

    # -- the interface ---------------------------------------------------------------------------
    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        obs = check_batch(obs)
        return self.space.index_to_action(self.choose(obs, self.memory.find(obs), deterministic))

    def learn(self, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> dict[str, float]:
        obs = check_batch(obs)
        rows = self.memory.rows(obs)
        configs = np.atleast_1d(self.space.action_to_index(np.asarray(actions)))
        self.memory.update(rows, configs, np.asarray(rewards, dtype=np.float64))
        return {}

    def choose(self, obs: np.ndarray, rows: np.ndarray, deterministic: bool) -> np.ndarray:
        """Flat configuration index per observation; ``rows[i]`` is its memory row or -1."""
        raise NotImplementedError

    def save(self, path: str | Path) -> None:
        meta = {
            "name": self.name,
            "seed": self.seed,
            "config": dataclasses.asdict(self.config),
            "rng": rng_state(self.rng),
        }
        write_state(path, meta, {**self.memory.state(), **self.extra_state()})

    def load(self, path: str | Path) -> None:
        meta, arrays = read_state(path, self.name)
        self.config = self.Config(**meta["config"])
        self.seed = int(meta["seed"])
        set_rng_state(self.rng, meta["rng"])
        self.memory.set_state(arrays)
        self.set_extra_state(arrays)

    def extra_state(self) -> dict[str, np.ndarray]:
        """Arrays beyond the memory that a subclass checkpoints."""
        return {}

    def set_extra_state(self, arrays: dict[str, np.ndarray]) -> None:
        pass

    # -- helpers for subclasses ------------------------------------------------------------------
    def sweep_next(self, row: int) -> int:
        """A uniformly drawn configuration not yet tried on ``row`` (any, once all are tried)."""
        untried = (
            np.arange(self.space.size) if row < 0 else np.flatnonzero(self.memory.counts[row] == 0)
        )
        if untried.size == 0:
            untried = np.arange(self.space.size)
        return int(self.rng.choice(untried))

    def fallback(self) -> int:
        """For a task without data: the pooled best, else a random configuration."""
        best = self.memory.pooled_best()
        return best if best >= 0 else int(self.rng.integers(self.space.size))


class RandomAgent(MemoryAgent):
    """A uniformly random configuration for every query (the table's mean, in expectation)."""

    name = "random"

    def choose(self, obs, rows, deterministic):
        return self.rng.integers(self.space.size, size=len(obs))


class DomainRandomizationAgent(MemoryAgent):
    """Every variation on (``1_1_1_1_1_3_0_1_1`` in the paper's space; the last option of every
    knob in any other space)."""

    name = "dr"

    def choose(self, obs, rows, deterministic):
        if self.space.name == "paper":
            action = self.space.key_to_action(DOMAIN_RANDOMIZATION_KEY)
        else:
            action = self.space.nvec - 1
        return np.full(len(obs), self.space.action_to_index(action), dtype=np.int64)


class BestFixedAgent(MemoryAgent):
    """The one configuration with the best average reward over the training tasks.

    While learning it sweeps the configurations each task has not tried (in a random order), so
    that after ``space.size`` queries per task it knows every average; its answer, for any task,
    is the configuration with the highest mean over tasks of the per-task mean rewards.
    """

    name = "best-fixed"

    def choose(self, obs, rows, deterministic):
        if deterministic:
            return np.full(len(obs), self.fallback(), dtype=np.int64)
        return np.array([self.sweep_next(r) for r in rows], dtype=np.int64)


class OracleAgent(MemoryAgent):
    """The per-task best configuration read from the reward table: an upper bound, not a learner.

    It recognises a task by the cosine similarity of the observation to the table's (normalised)
    Task2Vec vectors, so it answers for any task in the table without being trained.

    Args:
        source: The table to read (the paper's by default).
    """

    name = "oracle"
    kind = "oracle"

    def __init__(
        self,
        source: TableRewardSource | None = None,
        config: Any = None,
        seed: int = 0,
        space: KnobSpace | None = None,
    ) -> None:
        self.source = TableRewardSource() if source is None else source
        super().__init__(config, seed, self.source.space if space is None else space)
        self._emb = task_observation(self.source.embeddings, np.float64)

    def bind_source(self, source: object) -> None:
        """Read ``source``'s table from now on (training calls it with the env's source, so
        that on ``Task2Sim-CPU-v0`` the oracle knows the CPU table, not the paper's). A source
        without a table (a live one) is ignored: the oracle is refused on live envs."""
        if isinstance(source, TableRewardSource) and source is not self.source:
            self.source = source
            self._emb = task_observation(source.embeddings, np.float64)

    def choose(self, obs, rows, deterministic):
        unit = task_observation(obs, None)
        task = np.argmax(unit @ self._emb.T, axis=1)
        return np.argmax(self.source.rewards[task], axis=1)
