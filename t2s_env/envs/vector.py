"""A natively vectorised Task2Sim env in which every step of every sub-env earns a reward.

Why not Gymnasium's default? Its vector envs auto-reset in the step *after* an episode ends
(``AutoresetMode.NEXT_STEP``): for a one-step env every other ``step`` call only resets and its
actions are ignored, wasting half the batch. This env uses ``AutoresetMode.SAME_STEP``: each
``step`` scores every sub-env's action on its current task, ends those episodes, and draws the
next tasks at once, so the returned observations are the next episodes' and every step counts.

It is a drop-in for ``gymnasium.vector.SyncVectorEnv([...], autoreset_mode=SAME_STEP)`` over
:class:`~t2s_env.envs.Task2SimEnv` (tested key by key): the same spaces, the same ``infos``
(every key of the single env's ``info`` batched, each with its ``_key`` mask), the finished
episodes' observations and infos in ``infos["final_obs"]`` / ``infos["final_info"]``, the
top-level keys describing the *new* episodes, and the same action dtypes (integer, bool,
integral float). The entries of ``final_obs`` are read-only views of the env's observation table
(a copy of 9,600 numbers per sub-env per step would halve the throughput), and the all-True
``_key`` masks are one read-only array. It adds two integer arrays Gymnasium's version lacks: ``task_index`` (into
:attr:`tasks`) at the top level and in ``final_info``, and ``config_index`` (flat configuration
index) in ``final_info``. On a table with learning curves one run
(:class:`~t2s_env.envs.task2sim.PretrainingRun`) serves every sub-env: a configuration one
sub-env pre-trained is the same pre-training for the others (its curve, at no further cost up
to the fidelity reached), where ``SyncVectorEnv`` keeps one run per sub-env; the two agree
until a configuration is queried by a second sub-env.

Sub-env ``i`` of ``reset(seed=s)`` draws from its own generator seeded ``s + i``, exactly like a
:class:`~t2s_env.envs.Task2SimEnv` reset with seed ``s + i``: given the same actions, the two
give the same tasks, observations and rewards, measurement noise (``noise_std``) and seed
replicates included, when the single env is reset (without a seed) after each of its steps, as
the vector env's same-step autoreset does (tested).

>>> import gymnasium as gym
>>> envs = gym.make_vec("t2s_env:Task2Sim-Seen-v0", num_envs=4, vectorization_mode="vector_entry_point")
>>> obs, infos = envs.reset(seed=0)
>>> obs.shape
(4, 9600)
>>> obs, rewards, terminated, truncated, infos = envs.step(envs.action_space.sample())
>>> rewards.shape, bool(terminated.all()), bool(truncated.any())
((4,), True, False)
>>> infos["final_info"]["key"].shape, infos["final_obs"][0].shape
((4,), (9600,))

Gymnasium's observation wrappers that refuse same-step autoreset
(``gymnasium.wrappers.vector.NormalizeObservation``, ``FlattenObservation``...) refuse this env
too: that is Gymnasium's limit. The observation is already a flat L2-normalised vector.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from t2s_env.envs.rendering import ConfigurationPicture, check_render_mode
from t2s_env.envs.task2sim import (
    TaskSelection,
    check_env_args,
    default_fidelity,
    normalised_embeddings,
    pretraining_run,
    resolve_tasks,
)
from t2s_env.rewards import (
    ReplicateRewardSource,
    RewardSource,
    TableRewardSource,
    UnknownTaskError,
)

_ALL_KEYS_UP_TO = 1 << 16  # spaces this small keep every configuration's key string


def _batched(values: Sequence[Any]) -> np.ndarray:
    """One info value per sub-env, batched as Gymnasium's ``VectorEnv._add_info`` batches them:
    an array typed by the first value's Python/numpy scalar type, else an object array."""
    kind = type(values[0])
    if kind in (int, float, bool) or issubclass(kind, np.number):
        out = np.zeros(len(values), dtype=kind)
    else:
        out = np.full(len(values), None, dtype=object)
    out[:] = values
    return out


def _with_masks(values: dict[str, Any], mask: np.ndarray) -> dict[str, Any]:
    """``{key: array}`` -> ``{key: array, _key: mask}`` (nested dicts included)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        out[key] = _with_masks(value, mask) if type(value) is dict else value
        out[f"_{key}"] = mask
    return out


def _put_known(infos: dict[str, Any], key: str, values: np.ndarray, known: np.ndarray) -> None:
    """A value only some sub-envs report (``best_reward``, ``regret``): zeros and a False mask
    where unknown, and no key at all when no sub-env reports it (as ``SyncVectorEnv`` does)."""
    if known.any():
        infos[key] = np.where(known, values, 0.0)
        infos[f"_{key}"] = known.copy()


def _seeds(seed: Any, num_envs: int) -> list[int | None]:
    """One seed (or ``None``: keep the generator) per sub-env, checked before anything is set."""
    if seed is None:
        return [None] * num_envs
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        seeds: list[Any] = [int(seed) + i for i in range(num_envs)]
    elif isinstance(seed, Sequence | np.ndarray) and not isinstance(seed, str):
        seeds = list(seed)
        if len(seeds) != num_envs:
            raise ValueError(f"got {len(seeds)} seeds for {num_envs} sub-envs")
    else:
        raise ValueError(f"seed must be an int, a list of {num_envs} ints or None, got {seed!r}")
    for s in seeds:
        if s is not None and not (
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0
        ):
            raise ValueError(f"seeds must be non-negative integers or None, got {s!r}")
    return [None if s is None else int(s) for s in seeds]


class Task2SimVectorEnv(VectorEnv):
    """``num_envs`` independent Task2Sim bandits stepped as one batch (same-step autoreset).

    Args:
        num_envs: Number of sub-envs.
        tasks: As for :class:`~t2s_env.envs.Task2SimEnv`.
        reward_source: As for :class:`~t2s_env.envs.Task2SimEnv`. A table source is gathered
            with one numpy indexing operation; any other source is asked pair by pair.
        noise_std: As for :class:`~t2s_env.envs.Task2SimEnv`.
        discrete: As for :class:`~t2s_env.envs.Task2SimEnv`: actions are ``(num_envs,)``
            flat configuration indices.
        render_mode: ``None`` or ``"rgb_array"``: ``render()`` returns one picture per sub-env
            of its last chosen configuration (as ``SyncVectorEnv.render`` returns a tuple).
        max_episode_steps: As ``gym.make(..., max_episode_steps=k)`` wraps each single env in
            ``TimeLimit``: with ``1`` every step is also ``truncated`` (the one step reaches the
            limit); any larger limit is never reached by a one-step episode.
        fidelity: As for :class:`~t2s_env.envs.Task2SimEnv`: the epoch budget of every query
            on a table with learning curves (``None``: the full budget).

    ``reset(options=...)`` takes ``{"task": name}`` (every sub-env) or ``{"tasks": [...]}``
    (one name per sub-env), and on a table with learning curves ``{"fidelity": f}`` or
    ``{"fidelities": [...]}`` for the episodes that reset starts (the episodes the same-step
    autoreset starts query at the ``fidelity`` argument, as a single env reset without options
    does). Everything is checked before any state changes, so a refused reset leaves the env
    as it was. On such a table the infos carry ``fidelity`` (top level and ``final_info``) and
    ``final_info["cost_seconds"]``, charged in sub-env order to one run of pre-trainings for
    the whole vector env (:class:`~t2s_env.envs.task2sim.PretrainingRun`; summed over its life
    in :attr:`cost_seconds_spent`, as ``reward_queries`` and ``distinct_evaluations`` count over
    all sub-envs); a reset with any seed starts a new run, whose pre-trainings start from
    nothing, as the single env's seeded reset does.
    """

    metadata: dict[str, Any] = {
        "render_modes": ["rgb_array"],
        "render_fps": 4,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        tasks: TaskSelection = "seen",
        reward_source: RewardSource | None = None,
        noise_std: float = 0.0,
        discrete: bool = False,
        render_mode: str | None = None,
        max_episode_steps: int | None = None,
        fidelity: float | None = None,
    ) -> None:
        if not isinstance(num_envs, numbers.Integral) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        check_env_args(noise_std, discrete)
        if max_episode_steps is not None and not (
            isinstance(max_episode_steps, numbers.Integral) and max_episode_steps >= 1
        ):
            raise ValueError(
                f"max_episode_steps must be an integer >= 1, got {max_episode_steps!r}"
            )
        self.num_envs = int(num_envs)
        self.render_mode = check_render_mode(render_mode, "Task2SimVectorEnv")
        self.reward_source = TableRewardSource() if reward_source is None else reward_source
        self.fidelities: tuple[float, ...] | None = getattr(self.reward_source, "fidelities", None)
        self._default_fid = default_fidelity(self.reward_source, fidelity)
        self._run = pretraining_run(self.reward_source)
        self._cost_spent = None if self._run is None else 0.0
        self.space = self.reward_source.space
        self.tasks = resolve_tasks(self.reward_source, tasks)
        self.noise_std = float(noise_std)
        self.discrete = bool(discrete)
        self.max_episode_steps = None if max_episode_steps is None else int(max_episode_steps)
        self._obs = normalised_embeddings(self.reward_source, self.tasks)
        self._obs.setflags(write=False)  # final_obs hands out read-only rows of it
        self._obs_rows = list(self._obs)
        best = [self.reward_source.best_reward(t) for t in self.tasks]
        self._known = np.array([b is not None for b in best])
        self._best = np.array([np.nan if b is None else float(b) for b in best])
        self._names = np.array(self.tasks, dtype=object)
        self._splits = np.array([self.reward_source.split(t) for t in self.tasks], dtype=object)
        self._table: np.ndarray | None = None
        if isinstance(self.reward_source, TableRewardSource):
            rows = [self.reward_source.task_index(t) for t in self.tasks]
            self._table = np.ascontiguousarray(self.reward_source.rewards[rows])
        self._replicate_rows: np.ndarray | None = None
        if isinstance(self.reward_source, ReplicateRewardSource):
            self._replicate_rows = np.array(
                [self.reward_source.task_index(t) for t in self.tasks], dtype=np.int64
            )
        self._fid_idx: np.ndarray | None = None  # each sub-env's fidelity (a position)
        self._curve_table: np.ndarray | None = None  # (tasks, configurations, fidelities)
        if self._default_fid is not None:
            source: Any = self.reward_source
            self._fid_idx = np.full(self.num_envs, self._default_fid, dtype=np.int64)
            self._curve_table = np.ascontiguousarray(source.curve_means[self._replicate_rows])
        self._strides = np.r_[1, np.cumprod(self.space.nvec[1:][::-1])][::-1].astype(np.int64)
        # per knob, its option values batched as SyncVectorEnv batches them (typed when the
        # options share one scalar type, else looked up value by value)
        columns = np.cumsum([not k.fixed for k in self.space.knobs]) - 1
        self._knob_columns = [
            (
                k,
                None if k.fixed else int(j),
                _batched(k.options) if len(set(map(type, k.options))) == 1 else None,
            )
            for k, j in zip(self.space.knobs, columns, strict=True)
        ]
        self._all = np.ones(self.num_envs, dtype=np.bool_)
        self._all.setflags(write=False)  # every "_key" mask of a key all sub-envs report
        self._keys: np.ndarray | None = None
        if self.space.size <= _ALL_KEYS_UP_TO:
            self._keys = np.array(self.space.all_keys(), dtype=object)

        self.single_observation_space = spaces.Box(-1.0, 1.0, (self._obs.shape[1],), np.float32)
        self.single_action_space: spaces.Space[Any] = (
            spaces.Discrete(self.space.size)
            if self.discrete
            else spaces.MultiDiscrete(self.space.nvec)
        )
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        self._rngs = [seeding.np_random()[0] for _ in range(self.num_envs)]
        self._task_idx: np.ndarray | None = None
        self._last_config_idx = np.full(self.num_envs, -1, dtype=np.int64)
        self._picture = (
            ConfigurationPicture(self.space, getattr(self.reward_source, "simulator", None))
            if render_mode == "rgb_array"
            else None
        )
        self.reward_queries = 0
        self._evaluated: set[tuple[int, int]] = set()

    @property
    def distinct_evaluations(self) -> int:
        """Distinct (task, configuration) pairs queried so far, over all sub-envs."""
        return len(self._evaluated)

    @property
    def cost_seconds_spent(self) -> float | None:
        """CPU seconds the queries of all sub-envs cost under the cost rule
        (:mod:`t2s_env.rewards.fidelity`); ``None`` on a table without costs."""
        return self._cost_spent

    @property
    def np_random(self) -> np.random.Generator:  # type: ignore[override]
        return self._rngs[0]

    # -- reset -------------------------------------------------------------------------------
    def _named_tasks(self, options: Any) -> np.ndarray | None:
        """The task index per sub-env named by ``options`` (``None``: draw them)."""
        if options is None:
            return None
        if not isinstance(options, Mapping):
            raise ValueError(
                "options must be a dict ({'task': name} or {'tasks': [one name per sub-env]}), "
                f"got {type(options).__name__}"
            )
        unknown = set(options) - {"task", "tasks", "fidelity", "fidelities"}
        if unknown:
            supported = "task, tasks" + (
                "" if self.fidelities is None else ", fidelity, fidelities"
            )
            raise ValueError(f"unknown reset options {sorted(unknown)}; supported: {supported}")
        named = options.get("tasks")
        if named is None and options.get("task") is not None:
            named = [options["task"]] * self.num_envs
        if named is None:
            return None
        if isinstance(named, str) or not isinstance(named, Sequence | np.ndarray):
            raise ValueError(f"options['tasks'] must be a list of task names, got {named!r}")
        if len(named) != self.num_envs:
            raise ValueError(f"options['tasks'] names {len(named)} tasks for {self.num_envs} envs")
        for t in named:
            if t not in self.tasks:
                raise UnknownTaskError(t, self.tasks)
        return np.array([self.tasks.index(t) for t in named], dtype=np.int64)

    def _named_fidelities(self, options: Any) -> np.ndarray | None:
        """Each sub-env's fidelity position named by ``options`` (``None``: the default);
        ``options`` is a mapping already checked by :meth:`_named_tasks`."""
        if options is None:
            return None
        named = options.get("fidelities")
        if named is None and options.get("fidelity") is not None:
            named = [options["fidelity"]] * self.num_envs
        if named is None:
            return None
        if isinstance(named, str) or not isinstance(named, Sequence | np.ndarray):
            raise ValueError(f"options['fidelities'] must be a list of numbers, got {named!r}")
        if len(named) != self.num_envs:
            raise ValueError(
                f"options['fidelities'] names {len(named)} fidelities for {self.num_envs} envs"
            )
        return np.array([default_fidelity(self.reward_source, f) for f in named], dtype=np.int64)

    def _episode_infos(self, task_idx: np.ndarray) -> dict[str, Any]:
        """What ``SyncVectorEnv`` batches from the single envs' ``reset`` infos."""
        infos = _with_masks(
            {"task": self._names[task_idx], "split": self._splits[task_idx]}, self._all
        )
        _put_known(infos, "best_reward", self._best[task_idx], self._known[task_idx])
        if self._fid_idx is not None:
            fid = np.asarray(self.fidelities, dtype=np.float64)[self._fid_idx]
            infos.update(_with_masks({"fidelity": fid}, self._all))
        infos.update(_with_masks({"task_index": task_idx.copy()}, self._all))
        return infos

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        seeds = _seeds(seed, self.num_envs)  # check everything before changing anything
        named = self._named_tasks(options)
        fidelities = self._named_fidelities(options)
        for i, s in enumerate(seeds):
            if s is not None:
                self._rngs[i] = seeding.np_random(s)[0]
        if self._run is not None and any(s is not None for s in seeds):
            self._run = pretraining_run(self.reward_source)  # a seeded reset starts a new run
        if named is None:
            n = len(self.tasks)
            named = np.array([rng.integers(n) for rng in self._rngs], dtype=np.int64)
        self._task_idx = named
        if self._fid_idx is not None:
            self._fid_idx = np.full(self.num_envs, self._default_fid, dtype=np.int64)
            if fidelities is not None:
                self._fid_idx = fidelities
        self._last_config_idx[:] = -1
        return self._obs[self._task_idx], self._episode_infos(self._task_idx)

    # -- step --------------------------------------------------------------------------------
    def _validate(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(actions as (n, knobs), flat configuration indices)`` or ``ValueError``."""
        if self.discrete:
            config_idx = self.space.validate_indices(actions, name="actions")
            if config_idx.shape != (self.num_envs,):
                raise ValueError(
                    f"actions must have shape ({self.num_envs},) -- one configuration index "
                    f"per sub-env -- got {config_idx.shape}"
                )
            return self.space.index_to_action(config_idx), config_idx
        arr = self.space.validate_actions(actions, self.num_envs)
        return arr, arr @ self._strides

    def _config_infos(self, actions: np.ndarray, config_idx: np.ndarray) -> dict[str, Any]:
        """The batched ``config`` dicts (every knob, fixed ones included) and ``key`` strings."""
        config: dict[str, Any] = {}
        fixed = np.zeros(self.num_envs, np.int64)
        for knob, j, options in self._knob_columns:
            chosen = fixed if j is None else actions[:, j]
            if options is not None:
                config[knob.name] = options[chosen]
            else:
                config[knob.name] = _batched([knob.options[c] for c in chosen.tolist()])
        if self._keys is not None:
            keys = self._keys[config_idx]
        else:
            keys = np.array([self.space.action_to_key(a) for a in actions], dtype=object)
        return {"config": config, "key": keys}

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._task_idx is None:
            raise RuntimeError("call reset() before step(): no task has been drawn yet")
        actions, config_idx = self._validate(actions)
        task_idx = self._task_idx
        fid_idx = self._fid_idx
        final_reward = None
        if self._curve_table is not None:
            final_reward = self._table[task_idx, config_idx]  # type: ignore[index]
            true_reward = self._curve_table[task_idx, config_idx, fid_idx]
        elif self._table is not None:
            true_reward = self._table[task_idx, config_idx]
        else:
            true_reward = np.array(
                [
                    float(self.reward_source.reward(self.tasks[t], self.space.action_to_dict(a)))
                    for t, a in zip(task_idx, actions, strict=True)
                ]
            )
        rewards = true_reward
        cost = None
        if self._run is not None:  # the run's pre-trainings, in sub-env order
            queried = [
                self._run.query(int(self._replicate_rows[t]), c, int(f), rng)  # type: ignore[index]
                for t, c, f, rng in zip(
                    task_idx, config_idx.tolist(), fid_idx, self._rngs, strict=True
                )
            ]
            rewards = np.array([r for r, _ in queried])
            cost = np.array([c for _, c in queried])
        elif self._replicate_rows is not None:  # one measured replicate each, by its env's RNG
            rewards = np.array(
                [
                    self.reward_source.sample_rewards(  # type: ignore[attr-defined]
                        self._replicate_rows[t : t + 1], config_idx[i : i + 1], rng
                    )[0]
                    for i, (t, rng) in enumerate(zip(task_idx, self._rngs, strict=True))
                ]
            )
        if self.noise_std > 0:
            noise = np.array([rng.normal() for rng in self._rngs])
            rewards = np.clip(rewards + self.noise_std * noise, 0.0, 1.0)
        self.reward_queries += self.num_envs
        self._evaluated.update(zip(task_idx.tolist(), config_idx.tolist(), strict=True))
        self._last_config_idx = config_idx.copy()

        # the finished episodes, as the single envs' step infos
        final_obs = np.full(self.num_envs, None, dtype=object)
        for i, t in enumerate(task_idx.tolist()):
            final_obs[i] = self._obs_rows[t]  # read-only views: no copy of 9,600 numbers each
        final_info = self._episode_infos(task_idx)
        final_info.update(_with_masks(self._config_infos(actions, config_idx), self._all))
        final_info.update(_with_masks({"true_reward": true_reward.copy()}, self._all))
        if cost is not None:  # the queries' costs, charged in sub-env order
            final_info.update(_with_masks({"cost_seconds": cost}, self._all))
            self._cost_spent += float(cost.sum())  # type: ignore[operator]
        known = self._known[task_idx]
        graded = true_reward if final_reward is None else final_reward
        _put_known(final_info, "regret", self._best[task_idx] - graded, known)
        final_info.update(_with_masks({"config_index": config_idx.copy()}, self._all))

        # same-step autoreset: the next episodes' tasks, observations and infos
        n = len(self.tasks)
        self._task_idx = np.array([rng.integers(n) for rng in self._rngs], dtype=np.int64)
        if self._fid_idx is not None:
            self._fid_idx = np.full(self.num_envs, self._default_fid, dtype=np.int64)
        infos = {
            "final_obs": final_obs,
            "_final_obs": self._all,
            "final_info": final_info,
            "_final_info": self._all,
            **self._episode_infos(self._task_idx),
        }
        terminated = np.ones(self.num_envs, dtype=np.bool_)
        truncated = np.full(self.num_envs, self.max_episode_steps == 1, dtype=np.bool_)
        return self._obs[self._task_idx], rewards.astype(np.float64), terminated, truncated, infos

    # -- render ------------------------------------------------------------------------------
    def render(self) -> tuple[np.ndarray, ...] | None:
        """One picture per sub-env of its last chosen configuration (``"rgb_array"``)."""
        if self._picture is None:
            return None
        return tuple(
            self._picture(
                None if c < 0 else self.space.action_to_dict(self.space.index_to_action(c))
            )
            for c in self._last_config_idx.tolist()
        )
