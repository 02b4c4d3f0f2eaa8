"""Training any agent on a Task2Sim env: the epoch loop, query accounting, TensorBoard logging,
checkpoints and resuming.

One epoch visits every training task once, in a random order, in batches of ``batch_size``
tasks. For each batch an :class:`~agents.base.EnvLearner` (the paper's agent, SB3 models) runs
its own update through the env; any other agent acts, the env scores each action and the agent
learns from (observation, action, reward). Every query goes through the env, wrapped in a
:class:`QueryLog` that counts reward queries and distinct (task, configuration) evaluations per
task. After each epoch the agent's deterministic answer on every training task is graded against
the table (when the env has one) for the learning curves and the sample-efficiency figure.

On a live env (``Task2Sim-Live-v0``) every reward is a measurement: the trainer counts the
pre-trainings it caused and the measurements re-used from the reward store, logs them, and can
stop at a budget of distinct evaluations (``max_evaluations``). The best reward is unknown
there, so no regret is recorded (``None`` in the history, nothing in TensorBoard) and agents
that need the full table (:data:`NEEDS_TABLE`) are refused.

:func:`train` reads as CleanRL's named steps: :func:`_start` (resume or begin), per epoch
:func:`_rollout` (queries and updates), :func:`_grade`, :func:`_log`, and :func:`_checkpoint`.

>>> import gymnasium as gym
>>> from agents import make_agent
>>> env = gym.make("t2s_env:Task2Sim-Seen-v0")
>>> result = train(make_agent("ucb1", seed=0), env, epochs=3, seed=0, progress=False)
>>> result.history["distinct_evaluations"][-1]
36
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from agents.base import (
    Agent,
    CheckpointError,
    EnvLearner,
    load_checkpoint,
    rng_state,
    set_rng_state,
)
from t2s_env.files import write_text_atomic


class EvaluationBudgetSpent(RuntimeError):
    """A query would have exceeded the run's budget of distinct evaluations."""


class QueryLog(gym.Wrapper):
    """Counts every reward query and each task's distinct configurations, and keeps the regret
    of every query where the env reports one (cumulative regret is their running sum).

    Args:
        env: The env to wrap.
        max_evaluations: Budget of distinct (task, configuration) evaluations: a query that
            would be the next one raises :class:`EvaluationBudgetSpent` before it is made.
    """

    def __init__(self, env: gym.Env, max_evaluations: int | None = None) -> None:
        super().__init__(env)
        self.max_evaluations = max_evaluations
        self.queries = 0
        self.evaluated: dict[str, set[str]] = {}
        self.regret_sum = 0.0
        self.reward_sum = 0.0

    def step(self, action):
        if self.max_evaluations is not None and self.distinct >= self.max_evaluations:
            base = self.env.unwrapped
            key = base.space.action_to_key(base.space.validate_action(action))  # type: ignore[attr-defined]
            if key not in self.evaluated.get(base.task, ()):  # type: ignore[attr-defined]
                raise EvaluationBudgetSpent(
                    f"the budget of {self.max_evaluations} distinct evaluations is spent"
                )
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.queries += 1
        self.evaluated.setdefault(info["task"], set()).add(info["key"])
        if "regret" in info:  # no key: the env does not know the best reward
            self.regret_sum += float(info["regret"])
        self.reward_sum += float(reward)
        return obs, reward, terminated, truncated, info

    @property
    def distinct(self) -> int:
        """Distinct (task, configuration) evaluations so far."""
        return sum(len(v) for v in self.evaluated.values())

    def state(self) -> dict[str, Any]:
        return {
            "queries": self.queries,
            "evaluated": {t: sorted(v) for t, v in self.evaluated.items()},
            "regret_sum": self.regret_sum,
            "reward_sum": self.reward_sum,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.queries = int(state["queries"])
        self.evaluated = {t: set(v) for t, v in state["evaluated"].items()}
        self.regret_sum = float(state["regret_sum"])
        self.reward_sum = float(state["reward_sum"])


NEEDS_TABLE = frozenset({"oracle", "best-fixed"})
"""Agents that need the full reward table: the oracle reads it, best-fixed measures every
configuration on every task. Refused on an env whose source has no table (a live env)."""


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        agent: The trained agent.
        history: Per-epoch lists (``epoch``, ``reward_queries``, ``distinct_evaluations``,
            ``cumulative_regret``, ``simple_regret``, ``greedy_reward``, ``sampled_reward``;
            ``None`` where unknown: regrets without a known best reward, answers' rewards
            without a table), ``reached`` (per task: distinct evaluations of that task when the
            agent's deterministic answer first reached 99% of the task's best; ``None`` if never
            or unknown) and, on a live env, ``pretrainings`` and ``reused_measurements``
            (cumulative over resumed sessions).
        run_dir: Where logs and checkpoints went (``None`` if nowhere).
        seconds: Wall-clock training time.
        pretrainings: Backbones pre-trained by this call (live envs; 0 otherwise).
        reused_measurements: Rewards this call read from the reward store (live envs).
        budget_spent: Training stopped early at ``max_evaluations``.
    """

    agent: Agent
    history: dict[str, Any]
    run_dir: Path | None = None
    seconds: float = 0.0
    tasks: tuple[str, ...] = field(default_factory=tuple)
    pretrainings: int = 0
    reused_measurements: int = 0
    budget_spent: bool = False


def run_name(env_id: str, agent: str, seed: int) -> str:
    """``{env}__{agent}__{seed}__{unix time}`` (CleanRL's convention)."""
    return f"{env_id}__{agent}__{seed}__{int(time.time())}"


def _table_rows(env: gym.Env, tasks: Sequence[str]) -> np.ndarray | None:
    source = env.unwrapped.reward_source  # type: ignore[attr-defined]
    rewards = getattr(source, "rewards", None)
    if rewards is None:
        return None
    return np.asarray(rewards)[[source.task_index(t) for t in tasks]]


def has_table(env: gym.Env) -> bool:
    """Whether ``env``'s reward source holds the full reward table."""
    return getattr(env.unwrapped.reward_source, "rewards", None) is not None  # type: ignore[attr-defined]


def check_agent_for_env(agent_name: str, table: bool) -> None:
    """Raise ``ValueError`` if agent ``agent_name`` needs the reward table and there is none."""
    if agent_name in NEEDS_TABLE and not table:
        raise ValueError(
            f"agent {agent_name!r} needs the full reward table, which a live env does not have "
            "(it knows only what it measured); train it on a table env (Task2Sim-Seen-v0) or pick "
            "a learning agent (task2sim, ucb1, thompson, ppo, neighbour-transfer...)"
        )


def _knob_probs(agent: Agent, obs: np.ndarray) -> list[np.ndarray] | None:
    fn = getattr(agent, "probabilities", None)
    return fn(obs) if callable(fn) else None


@dataclass
class _Run:
    """Everything one training run holds between its steps."""

    agent: Agent
    log: QueryLog
    tasks: tuple[str, ...]
    obs_all: np.ndarray
    table: np.ndarray | None
    space: Any
    rng: np.random.Generator
    history: dict[str, Any]
    source: Any
    regret_known: bool = True
    """Whether the source knows every task's best reward (the table does, a live source not)."""
    start: int = 0
    writer: Any = None
    run_dir: Path | None = None
    counters_at_start: tuple[int, int] = (0, 0)
    history_at_start: tuple[int, int] = (0, 0)

    @property
    def live(self) -> bool:
        return hasattr(self.source, "pretrainings_run")

    def new_counts(self) -> tuple[int, int]:
        """(pre-trainings, re-used measurements) since this call started."""
        if not self.live:
            return 0, 0
        p0, h0 = self.counters_at_start
        return self.source.pretrainings_run - p0, self.source.store_hits - h0


def _new_history(tasks: Sequence[str], live: bool) -> dict[str, Any]:
    keys = ["epoch", "reward_queries", "distinct_evaluations", "cumulative_regret",
            "simple_regret", "greedy_reward", "sampled_reward"]  # fmt: skip
    if live:
        keys += ["pretrainings", "reused_measurements"]
    history: dict[str, Any] = {k: [] for k in keys}
    history["reached"] = {t: None for t in tasks}
    return history


def _start(
    agent: Agent,
    env: gym.Env,
    seed: int,
    run_dir: Path | None,
    resume: bool,
    max_evaluations: int | None,
    epochs: int,
) -> _Run:
    """Build the run, resumed from ``run_dir``'s checkpoint when asked and present, and open
    its TensorBoard writer (the config table is written once, at the start)."""
    base = env.unwrapped
    tasks = tuple(base.tasks)  # type: ignore[attr-defined]
    source = base.reward_source  # type: ignore[attr-defined]
    run = _Run(
        agent=agent,
        log=QueryLog(env, max_evaluations),
        tasks=tasks,
        obs_all=np.stack([base.task_observation(t) for t in tasks]).astype(np.float64),  # type: ignore[attr-defined]
        table=_table_rows(env, tasks),
        space=base.space,  # type: ignore[attr-defined]
        rng=np.random.default_rng([seed, 7]),
        history=_new_history(tasks, hasattr(source, "pretrainings_run")),
        source=source,
        regret_known=all(source.best_reward(t) is not None for t in tasks),
        run_dir=run_dir,
    )
    bind = getattr(agent, "bind_source", None)
    if callable(bind):  # the oracle reads the table of the env it is run on
        bind(source)
    if run.live:
        run.counters_at_start = (source.pretrainings_run, source.store_hits)
    if run_dir is None:
        return run
    run_dir.mkdir(parents=True, exist_ok=True)
    state_file = run_dir / "trainer_state.json"
    if resume and state_file.is_file():
        load_checkpoint(agent, run_dir / "checkpoint.npz")
        try:  # a damaged or hand-edited state file is named, not a KeyError deep inside
            state = json.loads(state_file.read_text())
            set_rng_state(run.rng, state["rng"])
            run.log.set_state(state["log"])
            saved, start = dict(state["history"]), int(state["epoch"])
            bad = [k for k, v in run.history.items() if type(saved.get(k)) is not type(v)]
            if bad or not 0 <= start <= len(saved["epoch"]):
                raise ValueError(f"history fields {bad} or epoch {start} do not fit")
            run.history, run.start = saved, start
            if run.live:
                run.history_at_start = (
                    (run.history["pretrainings"] or [0])[-1],
                    (run.history["reused_measurements"] or [0])[-1],
                )
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise CheckpointError(f"cannot resume from {state_file}: {exc}") from exc
    from torch.utils.tensorboard import SummaryWriter

    run.writer = SummaryWriter(str(run_dir))
    if run.start == 0:
        cfg = getattr(agent, "config", None)
        rows = dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else {}
        rows.update(agent=agent.name, kind=agent.kind, seed=seed, epochs=epochs, env=str(base),
                    max_evaluations=max_evaluations)  # fmt: skip
        table_md = "|param|value|\n|-|-|\n" + "\n".join(f"|{k}|{v}|" for k, v in rows.items())
        run.writer.add_text("config", table_md)
    return run


def _rollout(run: _Run, epoch: int, batch_size: int) -> tuple[dict[str, float], list[float]]:
    """One epoch: every training task once, in a random order, in batches; each batch queried
    through the env and learned from. Returns the update's scalars and each batch's mean reward."""
    agent, log, tasks = run.agent, run.log, run.tasks
    stats: dict[str, float] = {}
    sampled: list[float] = []
    order = run.rng.permutation(len(tasks))
    for b in range(math.ceil(len(tasks) / batch_size)):
        batch = [tasks[i] for i in order[b * batch_size : (b + 1) * batch_size]]
        if isinstance(agent, EnvLearner):
            before = log.reward_sum, log.queries
            batch_stats = agent.train_batch(log, batch, epoch)
            stats.update(batch_stats)
            if "charts/sampled_reward" in batch_stats:
                sampled.append(batch_stats["charts/sampled_reward"])
            elif log.queries > before[1]:
                sampled.append((log.reward_sum - before[0]) / (log.queries - before[1]))
        else:
            obs = np.stack([log.reset(options={"task": t})[0] for t in batch])
            actions = agent.act(obs)
            rewards = []
            for t, a in zip(batch, actions, strict=True):
                log.reset(options={"task": t})
                rewards.append(log.step(a)[1])
            stats.update(agent.learn(obs, actions, np.asarray(rewards)))
            sampled.append(float(np.mean(rewards)))
    return stats, sampled


def _grade(run: _Run, epoch: int, sampled: list[float]) -> None:
    """Append the epoch's figures to the history: queries, evaluations, regret (where the env
    knows it), and the deterministic answers graded against the table (where there is one)."""
    h, log = run.history, run.log
    h["epoch"].append(epoch + 1)
    h["reward_queries"].append(log.queries)
    h["distinct_evaluations"].append(log.distinct)
    h["cumulative_regret"].append(log.regret_sum if run.regret_known else None)
    h["sampled_reward"].append(float(np.mean(sampled)) if sampled else None)
    if run.live:
        pretrained, reused = run.new_counts()
        h["pretrainings"].append(run.history_at_start[0] + pretrained)
        h["reused_measurements"].append(run.history_at_start[1] + reused)
    if run.table is None:  # grading the answers would cost measurements: not done
        h["greedy_reward"].append(None)
        h["simple_regret"].append(None)
        return
    best = run.table.max(axis=1)
    greedy = run.agent.act(run.obs_all, deterministic=True)
    idx = np.atleast_1d(run.space.action_to_index(greedy))
    r = run.table[np.arange(len(run.tasks)), idx]
    h["greedy_reward"].append(float(r.mean()))
    h["simple_regret"].append(float((best - r).mean()))
    for i, t in enumerate(run.tasks):
        if h["reached"][t] is None and r[i] >= 0.99 * best[i]:
            h["reached"][t] = len(log.evaluated.get(t, ()))


def _log(run: _Run, epoch: int, stats: dict[str, float], epochs: int, log_every: int) -> None:
    """TensorBoard: the history's latest figures (unknown ones skipped), the update's scalars,
    the learning rate, and the policy's entropy and per-task knob probabilities."""
    if run.writer is None:
        return
    writer, step = run.writer, epoch + 1
    for k, v in run.history.items():
        if isinstance(v, list) and k != "epoch" and v and v[-1] is not None:
            writer.add_scalar(f"charts/{k}", v[-1], step)
    for k, v in stats.items():
        writer.add_scalar(k if "/" in k else f"losses/{k}", v, step)
    lr_fn = getattr(getattr(run.agent, "config", None), "learning_rate", None)
    if callable(lr_fn):
        writer.add_scalar("policy/lr", lr_fn(epoch), step)
    probs = _knob_probs(run.agent, run.obs_all)
    if probs is not None:
        ent = sum(-(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=1) for p in probs)
        writer.add_scalar("policy/entropy", float(ent.mean()), step)
        if epoch % log_every == 0 or epoch == epochs - 1:
            for j, knob in enumerate(run.space.varying):
                for i, t in enumerate(run.tasks):
                    writer.add_scalar(f"policy/{t}/{knob.name}", probs[j][i, -1], step)


def _checkpoint(run: _Run, epoch: int) -> None:
    """The agent, the trainer's state (RNG, query log, history) and ``history.json``."""
    if run.run_dir is None:
        return
    run.agent.save(run.run_dir / "checkpoint.npz")
    state = {"epoch": epoch, "rng": rng_state(run.rng), "log": run.log.state(),
             "history": run.history}  # fmt: skip
    write_text_atomic(run.run_dir / "trainer_state.json", json.dumps(state))
    write_text_atomic(run.run_dir / "history.json", json.dumps(run.history))


def train(
    agent: Agent,
    env: gym.Env,
    epochs: int,
    seed: int = 0,
    batch_size: int | None = None,
    run_dir: str | Path | None = None,
    log_every: int = 10,
    checkpoint_every: int = 100,
    resume: bool = False,
    progress: bool = True,
    max_evaluations: int | None = None,
) -> TrainResult:
    """Train ``agent`` on ``env``'s tasks for ``epochs`` epochs.

    Args:
        agent: Any :class:`~agents.base.Agent`.
        env: A Task2Sim env (``gym.make(...)`` or the class); it is wrapped in a :class:`QueryLog`.
        epochs: Epochs to run (one visit to every training task each).
        seed: Seeds the task order and the env's own draws (measurement noise, seed
            replicates; reseeded from the seed and the epoch on resume). The agent has its own
            seed.
        batch_size: Tasks per update (the agent's ``config.batch_size`` if it has one, else 4).
        run_dir: Folder for TensorBoard logs, ``history.json`` and checkpoints (none if ``None``).
        log_every: Log per-task knob probabilities every this many epochs.
        checkpoint_every: Write a checkpoint every this many epochs (and at the end).
        resume: Continue from the checkpoint in ``run_dir`` if there is one.
        progress: Show a tqdm progress bar.
        max_evaluations: Stop (after a checkpoint) before the run's distinct (task,
            configuration) evaluations would exceed this; each is a pre-training on a live env.
            A stop inside an epoch drops that epoch's unfinished update.

    BLAS runs on one thread while training: the agents' products are small (the paper's agent
    multiplies 4 x 400 matrices), and a multi-threaded BLAS sums in an order that depends on the
    thread count, which would make a seed's result depend on ``OMP_NUM_THREADS``.
    """
    if not (isinstance(epochs, int) and epochs >= 0):
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if batch_size is None:
        batch_size = int(getattr(getattr(agent, "config", None), "batch_size", 4))
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if max_evaluations is not None and not (
        isinstance(max_evaluations, int) and max_evaluations >= 1
    ):
        raise ValueError(
            f"max_evaluations must be an int >= 1 (or None: no budget), got {max_evaluations!r}"
        )
    check_agent_for_env(agent.name, has_table(env))
    run = _start(
        agent, env, seed, Path(run_dir) if run_dir is not None else None, resume,
        max_evaluations, epochs,
    )  # fmt: skip
    # The env's own draws (measurement noise, seed replicates) follow the run's seed, resumed
    # runs included, so that a seed gives one result whatever ran before in the process.
    env_seed = np.random.SeedSequence([seed, 13, run.start]).generate_state(1)[0]
    if isinstance(env.unwrapped, gym.Env):
        env.unwrapped.np_random = np.random.default_rng(int(env_seed))
    t0 = time.perf_counter()
    spent = False
    bar = tqdm(range(run.start, epochs), desc=agent.name, disable=not progress, leave=False)
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in bar:
            try:
                stats, sampled = _rollout(run, epoch, batch_size)
            except EvaluationBudgetSpent:
                spent = True
                break
            _grade(run, epoch, sampled)
            _log(run, epoch, stats, epochs, log_every)
            if (epoch + 1) % checkpoint_every == 0:
                _checkpoint(run, epoch + 1)
            if run.history["greedy_reward"][-1] is not None:
                bar.set_postfix(
                    greedy=f"{100 * run.history['greedy_reward'][-1]:.2f}", refresh=False
                )
    bar.close()
    _checkpoint(run, len(run.history["epoch"]))
    if run.writer is not None:
        run.writer.close()
    pretrained, reused = run.new_counts()
    return TrainResult(agent, run.history, run.run_dir, time.perf_counter() - t0, run.tasks,
                       pretrained, reused, spent)  # fmt: skip
