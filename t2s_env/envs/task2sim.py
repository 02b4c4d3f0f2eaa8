"""Task2Sim as a contextual-bandit Gymnasium environment."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from t2s_env.envs.rendering import ConfigurationPicture, check_render_mode
from t2s_env.rewards import RewardSource, TableRewardSource, UnknownTaskError
from t2s_env.rewards.fidelity import CostLedger, fidelity_index
from t2s_env.space import KnobSpace, task_observation

TaskSelection = str | Sequence[str]


def resolve_tasks(source: RewardSource, tasks: TaskSelection) -> tuple[str, ...]:
    """Task names for ``tasks``: ``"seen"``, ``"unseen"``, ``"all"`` or an explicit list."""
    if isinstance(tasks, str):
        if tasks == "all":
            return tuple(source.tasks)
        if tasks in ("seen", "unseen", "user"):
            chosen = tuple(t for t in source.tasks if source.split(t) == tasks)
            if not chosen:
                raise ValueError(f"the {source.name!r} reward source has no {tasks!r} tasks")
            return chosen
        tasks = [tasks]
    chosen = tuple(tasks)
    if not chosen:
        raise ValueError("tasks must name at least one task")
    for t in chosen:
        if t not in source.tasks:
            raise UnknownTaskError(t, tuple(source.tasks))
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"tasks repeat a name: {list(chosen)}")
    return chosen


def normalised_embeddings(source: RewardSource, tasks: Sequence[str]) -> np.ndarray:
    """Rows of L2-normalised Task2Vec vectors (float32), one per task."""
    return task_observation(np.stack([source.embedding(t) for t in tasks]))


def default_fidelity(source: RewardSource, fidelity: Any) -> int | None:
    """The position in ``source.fidelities`` of an env's ``fidelity`` argument (``None``: the
    full budget, the last), or ``None`` for a source without learning curves; a ``ValueError``
    for a bad fidelity (shared by the single and the vector env)."""
    fidelities = getattr(source, "fidelities", None)
    if fidelity is None:
        return None if fidelities is None else len(fidelities) - 1
    return fidelity_index(fidelity, fidelities, f"{source.name!r} reward source")


class PretrainingRun:
    """One run's pre-trainings on a table with learning curves (shared by the single and the
    vector env). A configuration is one pre-training in a run: its first query draws which
    measured seed it is (with the querying env's RNG) and every later query of it, on any task
    and at any fidelity, reads that seed's curve, as resuming or re-reading that pre-training
    would; its queries are charged by the cost rule (:class:`~t2s_env.rewards.fidelity.
    CostLedger`) on that pre-training's own ``cost_seconds``.

    Args:
        source: A :class:`~t2s_env.rewards.ReplicateRewardSource` with learning curves.
    """

    def __init__(self, source: Any) -> None:
        self.source = source
        self.ledger = CostLedger(source.fidelities[-1])
        self._seed: dict[int, int] = {}  # configuration -> position of its pre-training's seed

    def query(
        self, task_row: int, config: int, fidelity: int, rng: np.random.Generator
    ) -> tuple[float, float]:
        """``(reward, cost in CPU seconds)`` of a query of the configuration at flat index
        ``config`` on the source's task row ``task_row`` at ``fidelities[fidelity]``."""
        curves = self.source.curves
        pinned = self._seed.get(config)
        seed = pinned
        if seed is None or not np.isfinite(curves[task_row, seed, config, -1]):
            # first query; or a table whose pre-training was not measured on this task: a
            # replicate that was (the pin, and so the cost, stays)
            seed = int(self.source.draw_seeds(np.array([task_row]), np.array([config]), rng)[0])
        if pinned is None:
            self._seed[config] = pinned = seed
        full_cost = float(self.source.cost_seconds[pinned, config])
        cost = self.ledger.charge(config, self.source.fidelities[fidelity], full_cost)
        return float(curves[task_row, seed, config, fidelity]), cost


def pretraining_run(source: RewardSource) -> PretrainingRun | None:
    """A fresh :class:`PretrainingRun` over ``source`` (``None``: no learning curves)."""
    return None if getattr(source, "fidelities", None) is None else PretrainingRun(source)


def check_env_args(noise_std: Any, discrete: Any) -> None:
    """``ValueError`` naming the argument unless ``noise_std`` is a finite real number ``>= 0``
    and ``discrete`` a bool (shared by the single and the vector env)."""
    real = isinstance(noise_std, numbers.Real) and not isinstance(noise_std, bool)
    if not (real and np.isfinite(noise_std) and noise_std >= 0):
        raise ValueError(f"noise_std must be a finite number >= 0, got {noise_std!r}")
    if not isinstance(discrete, bool | np.bool_):
        raise ValueError(f"discrete must be True or False, got {discrete!r}")


class Task2SimEnv(gym.Env[np.ndarray, np.ndarray]):
    """
    ## Description

    Task2Sim (Mishra et al., CVPR 2022) as a contextual bandit. Each episode is one downstream
    task; the agent sees the task's Task2Vec embedding and answers with a simulator
    configuration (one option per knob). The reward is the downstream accuracy of a
    5-nearest-neighbour classifier on the features of a network pre-trained on images rendered
    with that configuration. With the default table reward source the accuracy is looked up in
    the paper's released measurements (20 tasks x 256 configurations); with the live source
    (``Task2Sim-Live-v0``) it is measured by rendering, pre-training and evaluating.

    ## Action Space

    ``MultiDiscrete(nvec)``, one option index per varying knob, knobs in alphabetical order.
    For the paper's space (``nvec = [2] * 8``; ``pose_cam`` is fixed at 0):

    | Index | Knob               | Option 0 | Option 1 |
    |-------|--------------------|----------|----------|
    | 0     | backgr             | fixed    | varying camera look direction + sky |
    | 1     | blur               | off      | depth of field on ~75% of images |
    | 2     | lighting_color     | white    | random RGB per image |
    | 3     | lighting_dir       | fixed    | random yaw/pitch per image |
    | 4     | lighting_intensity | fixed    | random +-0.6 per image |
    | 5     | materials          | natural (1) | random per image (3) |
    | 6     | pose_rot           | fixed    | random pitch/yaw/roll |
    | 7     | pose_scale         | fixed    | random distance 0.4-1.5x |

    With ``discrete=True`` (the ``Task2Sim-*-Discrete-v0`` ids) the action space is
    ``Discrete(256)`` instead: one flat configuration index, the first knob most significant
    (:meth:`KnobSpace.index_to_action`), for DQN and every other ``Discrete``-only method.

    ## Observation Space

    ``Box(-1, 1, (9600,), float32)``: the task's Task2Vec vector (filter-wise Fisher
    information of a ResNet-18 probe), L2-normalised as the authors fed it to their policy.

    ## Rewards

    The downstream 5-NN top-1 accuracy of the chosen configuration, as a fraction in
    ``[0, 1]``. With ``noise_std > 0``, Gaussian noise of that standard deviation is added to the
    table's single measurement (clipped to ``[0, 1]``), since real pre-training runs vary by seed.
    A reward source with seed replicates (``Task2Sim-CPU-v0``'s
    :class:`~t2s_env.rewards.ReplicateRewardSource`) gives one measured replicate instead,
    drawn with ``self.np_random``; ``info["true_reward"]`` is then the mean over replicates.

    ## Starting State

    ``reset`` picks the episode's task uniformly from the env's task set with ``self.np_random``,
    or the task named by ``options={"task": name}`` (as the paper's greedy baseline needs a
    second action on the same task).

    ## Episode End

    Every episode is one step: ``terminated`` is always ``True``, ``truncated`` always ``False``.

    ## Information

    ``reset`` and ``step`` return ``task`` (name), ``split`` (``"seen"``, ``"unseen"`` or
    ``"user"``) and ``best_reward`` (the task's best achievable reward). ``step`` adds ``config``
    (``{knob: value}``), ``key`` (the paper's key string), ``true_reward`` (the reward before
    noise) and ``regret`` (``best_reward - true_reward``). When the reward source does not know
    the best reward (the live source), ``info`` has no ``best_reward`` and no ``regret`` key, so
    Gymnasium's vector envs report them masked (``info["_regret"]`` False).
    The env counts its reward queries and distinct (task, configuration) pairs in the
    attributes ``reward_queries`` and ``distinct_evaluations`` (each distinct pair costs a full
    pre-training run in reality). On a table with learning curves ``reset`` and ``step`` add
    ``fidelity`` (the query's epoch budget) and ``step`` adds ``cost_seconds`` (its CPU cost),
    and the attribute ``cost_seconds_spent`` sums the costs (next section).

    ## Fidelity (tables with learning curves)

    A replicate table with learning curves (``fidelities``, ``curves`` and ``cost_seconds``;
    :meth:`~t2s_env.rewards.ReplicateRewardSource.from_file`) answers a query at a lower
    fidelity, the epoch budget of the pre-training, as the multi-fidelity benchmarks (YAHPO
    Gym, HPOBench, LCBench) do. The fidelity is chosen per env (the ``fidelity`` argument; the
    full budget by default) or per episode (``reset(options={"fidelity": f})``, for that episode
    only: the choice belongs to the query, and each episode is one query).

    On such a table a configuration is one pre-training in a run (:class:`PretrainingRun`):
    its first query draws which measured seed it is, and every later query of it (any task,
    any fidelity) reads that seed's learning curve, as resuming the pre-training would. The
    reward is that pre-training's accuracy after ``f`` epochs; ``true_reward`` is the mean over
    replicates at ``f``, while ``regret`` stays that of the chosen configuration's full
    pre-training (``best_reward`` minus its mean reward), so it grades the choice, not the
    budget. ``info`` adds ``fidelity`` (``reset`` and ``step``) and ``cost_seconds`` (``step``):
    the CPU seconds the query costs under the cost rule of :mod:`t2s_env.rewards.fidelity` (a
    configuration's first query at ``f`` costs ``f / F_max`` of its pre-training's
    ``cost_seconds``, a later higher one only the remainder, a lower or equal one nothing; one
    pre-training serves every task). A run starts at construction and at every seeded
    ``reset(seed=...)`` (a new run pre-trains anew, so the same seed and actions give the same
    rewards and ``info``, as Gymnasium's checker asks). The attribute ``cost_seconds_spent``
    sums the queries' costs over the env's life, as ``reward_queries`` counts its queries
    (``None`` on a table without costs).
    A fidelity that is not a number, not one of the table's, or asked of a table without
    curves is a ``ValueError`` naming the problem.

    ## Arguments

    | Argument        | Default   | Meaning |
    |-----------------|-----------|---------|
    | `tasks`         | `"seen"`  | `"seen"`, `"unseen"`, `"all"` or a list of task names |
    | `reward_source` | table     | any :class:`~t2s_env.rewards.RewardSource` |
    | `noise_std`     | `0.0`     | std of Gaussian measurement noise on the reward (fraction) |
    | `discrete`      | `False`   | `Discrete(size)` actions (flat configuration index) |
    | `fidelity`      | `None`    | epoch budget of every query (one of the table's `fidelities`); `None`: the full budget. Only for a table with learning curves |
    | `render_mode`   | `None`    | `None` or `"rgb_array"`: `render()` returns a 128 x 128 x 3 uint8 grid of the embedded simulator's images (16 classes at 32 px) of the last chosen configuration, grey before the first step; rendered once per configuration and cached |

    ```python
    >>> import gymnasium as gym
    >>> env = gym.make("t2s_env:Task2Sim-Seen-v0")
    >>> obs, info = env.reset(seed=0, options={"task": "SVHN"})
    >>> obs.shape, info["task"]
    ((9600,), 'SVHN')
    >>> _, reward, terminated, truncated, info = env.step(env.action_space.sample())
    >>> 0.0 <= reward <= 1.0, terminated, info["regret"] >= 0
    (True, True, True)

    ```

    ## References

    Mishra, Panda, Saenko, et al. "Task2Sim: Towards Effective Pre-training and Transfer from
    Synthetic Data", CVPR 2022. Achille et al. "Task2Vec: Task Embedding for Meta-Learning",
    ICCV 2019.

    ## Version History

    * v0: Initial version: the paper's 20-task table, 8 binary knobs; ``discrete`` and
      ``render_mode`` arguments. Later, without changing any existing id's behaviour: the
      ``fidelity`` argument and reset option, ``info["fidelity"]``, ``info["cost_seconds"]``
      and ``cost_seconds_spent`` on a table with learning curves.
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        tasks: TaskSelection = "seen",
        reward_source: RewardSource | None = None,
        noise_std: float = 0.0,
        discrete: bool = False,
        render_mode: str | None = None,
        fidelity: float | None = None,
    ) -> None:
        check_env_args(noise_std, discrete)
        self.render_mode = check_render_mode(render_mode, "Task2SimEnv")
        self.reward_source: RewardSource = (
            TableRewardSource() if reward_source is None else reward_source
        )
        self.fidelities: tuple[float, ...] | None = getattr(self.reward_source, "fidelities", None)
        self._default_fid = default_fidelity(self.reward_source, fidelity)
        self._fid = self._default_fid
        self._run = pretraining_run(self.reward_source)
        self._cost_spent = None if self._run is None else 0.0
        self.space: KnobSpace = self.reward_source.space
        self.tasks = resolve_tasks(self.reward_source, tasks)
        self.noise_std = float(noise_std)
        self._obs = normalised_embeddings(self.reward_source, self.tasks)
        self._best = [self.reward_source.best_reward(t) for t in self.tasks]
        self.observation_space = spaces.Box(-1.0, 1.0, (self._obs.shape[1],), np.float32)
        self.discrete = bool(discrete)
        self.action_space: spaces.Space[Any] = (
            spaces.Discrete(self.space.size)
            if self.discrete
            else spaces.MultiDiscrete(self.space.nvec)
        )
        self.reward_queries = 0
        self._evaluated: set[tuple[str, str]] = set()
        self._task: int | None = None
        self._last_config: dict[str, Any] | None = None
        self._picture = (
            ConfigurationPicture(self.space, getattr(self.reward_source, "simulator", None))
            if render_mode == "rgb_array"
            else None
        )

    @property
    def distinct_evaluations(self) -> int:
        """Distinct (task, configuration) pairs queried so far."""
        return len(self._evaluated)

    @property
    def cost_seconds_spent(self) -> float | None:
        """CPU seconds the queries so far cost under the cost rule (a resumed pre-training
        costs only its remainder); ``None`` on a table without costs."""
        return self._cost_spent

    @property
    def fidelity(self) -> float | None:
        """The epoch budget of the current episode's query (``None`` without curves)."""
        return None if self._fid is None else self.fidelities[self._fid]  # type: ignore[index]

    @property
    def task(self) -> str | None:
        """The current episode's task (``None`` before the first ``reset``)."""
        return None if self._task is None else self.tasks[self._task]

    def task_observation(self, task: str) -> np.ndarray:
        """The observation of ``task`` (a fresh array)."""
        return self._obs[self._task_index(task)].copy()

    def _task_index(self, task: str) -> int:
        try:
            return self.tasks.index(task)
        except ValueError:
            raise UnknownTaskError(task, self.tasks) from None

    def _info(self) -> dict[str, Any]:
        task = self.tasks[self._task]  # type: ignore[index]
        info: dict[str, Any] = {"task": task, "split": self.reward_source.split(task)}
        if self._best[self._task] is not None:  # unknown: no key at all
            info["best_reward"] = self._best[self._task]
        if self._fid is not None:
            info["fidelity"] = self.fidelity
        return info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(
                f"options must be a dict such as {{'task': name}} (or None), got "
                f"{type(options).__name__} {options!r}"
            )
        options = options or {}
        unknown = set(options) - {"task", "fidelity"}
        if unknown:
            supported = ["task"] if self.fidelities is None else ["fidelity", "task"]
            raise ValueError(f"unknown reset options {sorted(unknown)}; supported: {supported}")
        fid = self._default_fid
        if options.get("fidelity") is not None:
            fid = default_fidelity(self.reward_source, options["fidelity"])
        super().reset(seed=seed)
        self._fid = fid
        if seed is not None and self._run is not None:
            self._run = pretraining_run(self.reward_source)  # a seeded reset starts a new run
        if options.get("task") is not None:
            self._task = self._task_index(options["task"])
        else:
            self._task = int(self.np_random.integers(len(self.tasks)))
        return self._obs[self._task].copy(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._task is None:
            raise RuntimeError("call reset() before step(): no task has been drawn yet")
        if self.discrete:
            action = self.space.index_to_action(self.space.validate_indices(action, name="action"))
            if action.ndim != 1:
                raise ValueError("action must be one configuration index (an integer)")
        action = self.space.validate_action(action)
        config = self.space.action_to_dict(action)
        self._last_config = config
        task = self.tasks[self._task]
        final_reward = true_reward = float(self.reward_source.reward(task, config))
        sample = getattr(self.reward_source, "sample_reward", None)  # a replicate table
        fidelity = self.fidelity
        if fidelity is None:
            reward = true_reward if sample is None else float(sample(task, config, self.np_random))
        else:  # a table with learning curves: the run's pre-training, at the query's budget
            source: Any = self.reward_source
            t, c = source.task_index(task), int(self.space.action_to_index(action))
            true_reward = float(source.curve_means[t, c, self._fid])
            reward, cost = self._run.query(t, c, self._fid, self.np_random)  # type: ignore[union-attr]
        if self.noise_std > 0:
            reward = float(np.clip(reward + self.noise_std * self.np_random.normal(), 0, 1))
        key = self.space.action_to_key(action)
        self.reward_queries += 1
        self._evaluated.add((task, key))
        info = self._info()
        info.update(config=config, key=key, true_reward=true_reward)
        if fidelity is not None:
            info["cost_seconds"] = cost
            self._cost_spent += cost  # type: ignore[operator]
        if "best_reward" in info:
            info["regret"] = info["best_reward"] - final_reward
        return self._obs[self._task].copy(), reward, True, False, info

    def render(self) -> np.ndarray | None:
        """The picture of the last chosen configuration (``render_mode="rgb_array"``), else
        ``None``."""
        if self._picture is None:
            return None
        return self._picture(self._last_config)
