"""A natively vectorised Task2Sim env in which every step of every sub-env earns a reward.

Why not Gymnasium's default? Its vector envs auto-reset in the step *after* an episode ends
(``AutoresetMode.NEXT_STEP``): for a one-step env every other ``step`` call only resets and its
actions are ignored, wasting half the batch. This env uses ``AutoresetMode.SAME_STEP``: each
``step`` scores every sub-env's action on its current task, ends those episodes, and draws the
next tasks at once, so the returned observations are the next episodes' and every step counts.
The final observation of a one-step episode is the observation the action was taken on, so it
is not repeated in ``infos``; ``infos["task_index"]`` names the task each reward belongs to.

Sub-env ``i`` of ``reset(seed=s)`` draws from its own generator seeded ``s + i``, exactly like a
:class:`~t2s_env.envs.Task2SimEnv` reset with seed ``s + i``, so the two give the same tasks and
rewards (tested).

>>> import gymnasium as gym
>>> envs = gym.make_vec("t2s_env:Task2Sim-Seen-v0", num_envs=4, vectorization_mode="vector_entry_point")
>>> obs, infos = envs.reset(seed=0)
>>> obs.shape
(4, 9600)
>>> obs, rewards, terminated, truncated, infos = envs.step(envs.action_space.sample())
>>> rewards.shape, bool(terminated.all()), bool(truncated.any())
((4,), True, False)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from t2s_env.envs.task2sim import TaskSelection, normalised_embeddings, resolve_tasks
from t2s_env.rewards import RewardSource, TableRewardSource, UnknownTaskError


class Task2SimVectorEnv(VectorEnv):
    """``num_envs`` independent Task2Sim bandits stepped as one batch (same-step autoreset).

    Args:
        num_envs: Number of sub-envs.
        tasks: As for :class:`~t2s_env.envs.Task2SimEnv`.
        reward_source: As for :class:`~t2s_env.envs.Task2SimEnv`. A table source is gathered
            with one numpy indexing operation; any other source is asked pair by pair.
        noise_std: As for :class:`~t2s_env.envs.Task2SimEnv`.

    ``infos`` holds arrays: ``task_index`` (into :attr:`tasks`, the task each reward belongs
    to), ``config_index`` (flat configuration index), ``true_reward``, ``best_reward`` and
    ``regret``; after ``reset`` only ``task_index`` and ``best_reward``.
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        tasks: TaskSelection = "seen",
        reward_source: RewardSource | None = None,
        noise_std: float = 0.0,
        render_mode: str | None = None,
    ) -> None:
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if not (np.isfinite(noise_std) and noise_std >= 0):
            raise ValueError(f"noise_std must be a finite number >= 0, got {noise_std}")
        if render_mode is not None:
            raise ValueError("Task2SimVectorEnv does not render")
        self.num_envs = int(num_envs)
        self.reward_source = TableRewardSource() if reward_source is None else reward_source
        self.space = self.reward_source.space
        self.tasks = resolve_tasks(self.reward_source, tasks)
        self.noise_std = float(noise_std)
        self._obs = normalised_embeddings(self.reward_source, self.tasks)
        self._best = np.array(
            [np.nan if (b := self.reward_source.best_reward(t)) is None else b for t in self.tasks]
        )
        self._table: np.ndarray | None = None
        if isinstance(self.reward_source, TableRewardSource):
            rows = [self.reward_source.task_index(t) for t in self.tasks]
            self._table = np.ascontiguousarray(self.reward_source.rewards[rows])
        self._strides = np.r_[1, np.cumprod(self.space.nvec[1:][::-1])][::-1].astype(np.int64)

        self.single_observation_space = spaces.Box(-1.0, 1.0, (self._obs.shape[1],), np.float32)
        self.single_action_space = spaces.MultiDiscrete(self.space.nvec)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.render_mode = None

        self._rngs = [seeding.np_random()[0] for _ in range(self.num_envs)]
        self._task_idx: np.ndarray | None = None
        self.reward_queries = 0
        self._evaluated: set[tuple[int, int]] = set()

    @property
    def distinct_evaluations(self) -> int:
        """Distinct (task, configuration) pairs queried so far, over all sub-envs."""
        return len(self._evaluated)

    @property
    def np_random(self) -> np.random.Generator:  # type: ignore[override]
        return self._rngs[0]

    def _draw_tasks(self, envs: range) -> None:
        assert self._task_idx is not None
        n = len(self.tasks)
        for i in envs:
            self._task_idx[i] = self._rngs[i].integers(n)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if seed is not None:
            seeds = [seed + i for i in range(self.num_envs)] if isinstance(seed, int) else seed
            if len(seeds) != self.num_envs:
                raise ValueError(f"got {len(seeds)} seeds for {self.num_envs} sub-envs")
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        options = options or {}
        unknown = set(options) - {"task", "tasks"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}; supported: task, tasks")
        self._task_idx = np.empty(self.num_envs, dtype=np.int64)
        named = options.get("tasks")
        if named is None and options.get("task") is not None:
            named = [options["task"]] * self.num_envs
        if named is not None:
            if len(named) != self.num_envs:
                raise ValueError(
                    f"options['tasks'] names {len(named)} tasks for {self.num_envs} envs"
                )
            for i, t in enumerate(named):
                if t not in self.tasks:
                    raise UnknownTaskError(t, self.tasks)
                self._task_idx[i] = self.tasks.index(t)
        else:
            self._draw_tasks(range(self.num_envs))
        infos = {"task_index": self._task_idx.copy(), "best_reward": self._best[self._task_idx]}
        return self._obs[self._task_idx], infos

    def _validate(self, actions: np.ndarray) -> np.ndarray:
        arr = np.asarray(actions)
        k = len(self.space.nvec)
        if arr.shape != (self.num_envs, k):
            raise ValueError(
                f"actions must have shape ({self.num_envs}, {k}) -- one option index per knob "
                f"{[kn.name for kn in self.space.varying]} per sub-env -- got {arr.shape}"
            )
        if arr.dtype.kind not in "iu":
            raise ValueError(f"actions must hold integer option indices, got dtype {arr.dtype}")
        bad = (arr < 0) | (arr >= self.space.nvec)
        if bad.any():
            env, j = (int(x[0]) for x in np.nonzero(bad))
            knob = self.space.varying[j]
            raise ValueError(
                f"actions[{env}, {j}] = {arr[env, j]} is out of range for knob {knob.name!r}: "
                f"allowed 0..{knob.n - 1}"
            )
        return arr

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._task_idx is None:
            raise RuntimeError("call reset() before step(): no task has been drawn yet")
        actions = self._validate(actions)
        task_idx = self._task_idx.copy()
        config_idx = actions @ self._strides
        if self._table is not None:
            true_reward = self._table[task_idx, config_idx]
        else:
            true_reward = np.array(
                [
                    self.reward_source.reward(self.tasks[t], self.space.action_to_dict(a))
                    for t, a in zip(task_idx, actions, strict=True)
                ]
            )
        rewards = true_reward
        if self.noise_std > 0:
            noise = np.array([rng.normal() for rng in self._rngs])
            rewards = np.clip(true_reward + self.noise_std * noise, 0.0, 1.0)
        self.reward_queries += self.num_envs
        self._evaluated.update(zip(task_idx.tolist(), config_idx.tolist(), strict=True))
        self._draw_tasks(range(self.num_envs))  # same-step autoreset
        best = self._best[task_idx]
        infos = {
            "task_index": task_idx,
            "config_index": config_idx,
            "true_reward": true_reward,
            "best_reward": best,
            "regret": best - true_reward,
        }
        terminated = np.ones(self.num_envs, dtype=np.bool_)
        truncated = np.zeros(self.num_envs, dtype=np.bool_)
        return self._obs[self._task_idx], rewards.astype(np.float64), terminated, truncated, infos
