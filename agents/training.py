"""Training any agent on a Task2Sim env: the epoch loop, query accounting, TensorBoard logging,
checkpoints and resuming.

One epoch visits every training task once, in a random order, in batches of ``batch_size``
tasks. For each batch an :class:`~agents.base.EnvLearner` (the paper's agent, SB3 models) runs
its own update through the env; any other agent acts, the env scores each action and the agent
learns from (observation, action, reward). Every query goes through the env, wrapped in a
:class:`QueryLog` that counts reward queries and distinct (task, configuration) evaluations per
task. After each epoch the agent's deterministic answer on every training task is graded against
the table (when the env has one) for the learning curves and the sample-efficiency figure.

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


class QueryLog(gym.Wrapper):
    """Counts every reward query and each task's distinct configurations, and keeps the regret
    of every query (cumulative regret is their running sum)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.queries = 0
        self.evaluated: dict[str, set[str]] = {}
        self.regret_sum = 0.0
        self.reward_sum = 0.0

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.queries += 1
        self.evaluated.setdefault(info["task"], set()).add(info["key"])
        if np.isfinite(info.get("regret", np.nan)):
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


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        agent: The trained agent.
        history: Per-epoch lists (``epoch``, ``reward_queries``, ``distinct_evaluations``,
            ``cumulative_regret``, ``simple_regret``, ``greedy_reward``, ``sampled_reward``)
            plus ``reached`` (per task: distinct evaluations of that task when the agent's
            deterministic answer first reached 99% of the task's best; ``None`` if never).
        run_dir: Where logs and checkpoints went (``None`` if nowhere).
        seconds: Wall-clock training time.
    """

    agent: Agent
    history: dict[str, Any]
    run_dir: Path | None = None
    seconds: float = 0.0
    tasks: tuple[str, ...] = field(default_factory=tuple)


def run_name(env_id: str, agent: str, seed: int) -> str:
    """``{env}__{agent}__{seed}__{unix time}`` (CleanRL's convention)."""
    return f"{env_id}__{agent}__{seed}__{int(time.time())}"


def _table_rows(env: gym.Env, tasks: Sequence[str]) -> np.ndarray | None:
    source = env.unwrapped.reward_source  # type: ignore[attr-defined]
    rewards = getattr(source, "rewards", None)
    if rewards is None:
        return None
    return np.asarray(rewards)[[source.task_index(t) for t in tasks]]


def _knob_probs(agent: Agent, obs: np.ndarray) -> list[np.ndarray] | None:
    fn = getattr(agent, "probabilities", None)
    return fn(obs) if callable(fn) else None


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
) -> TrainResult:
    """Train ``agent`` on ``env``'s tasks for ``epochs`` epochs.

    Args:
        agent: Any :class:`~agents.base.Agent`.
        env: A Task2Sim env (``gym.make(...)`` or the class); it is wrapped in a :class:`QueryLog`.
        epochs: Epochs to run (one visit to every training task each).
        seed: Seeds the task order (the agent has its own seed).
        batch_size: Tasks per update (the agent's ``config.batch_size`` if it has one, else 4).
        run_dir: Folder for TensorBoard logs, ``history.json`` and checkpoints (none if ``None``).
        log_every: Log per-task knob probabilities every this many epochs.
        checkpoint_every: Write a checkpoint every this many epochs (and at the end).
        resume: Continue from the checkpoint in ``run_dir`` if there is one.
        progress: Show a tqdm progress bar.

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
    log = QueryLog(env)
    base = env.unwrapped
    tasks = tuple(base.tasks)  # type: ignore[attr-defined]
    obs_all = np.stack([base.task_observation(t) for t in tasks]).astype(np.float64)  # type: ignore[attr-defined]
    table = _table_rows(env, tasks)
    best = table.max(axis=1) if table is not None else None
    space = base.space  # type: ignore[attr-defined]
    rng = np.random.default_rng([seed, 7])
    history: dict[str, Any] = {k: [] for k in (
        "epoch", "reward_queries", "distinct_evaluations", "cumulative_regret",
        "simple_regret", "greedy_reward", "sampled_reward")}  # fmt: skip
    history["reached"] = {t: None for t in tasks}
    start = 0
    writer = None
    run_dir = Path(run_dir) if run_dir is not None else None
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        state_file = run_dir / "trainer_state.json"
        if resume and state_file.is_file():
            load_checkpoint(agent, run_dir / "checkpoint.npz")
            try:  # a damaged or hand-edited state file is named, not a KeyError deep inside
                state = json.loads(state_file.read_text())
                set_rng_state(rng, state["rng"])
                log.set_state(state["log"])
                saved, start = dict(state["history"]), int(state["epoch"])
                bad = [k for k, v in history.items() if type(saved.get(k)) is not type(v)]
                if bad or not 0 <= start <= len(saved["epoch"]):
                    raise ValueError(f"history fields {bad} or epoch {start} do not fit")
                history = saved
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise CheckpointError(f"cannot resume from {state_file}: {exc}") from exc
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir))
        if start == 0:
            cfg = getattr(agent, "config", None)
            rows = dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else {}
            rows.update(agent=agent.name, kind=agent.kind, seed=seed, epochs=epochs, env=str(base))
            table_md = "|param|value|\n|-|-|\n" + "\n".join(f"|{k}|{v}|" for k, v in rows.items())
            writer.add_text("config", table_md)

    def checkpoint(epoch: int) -> None:
        if run_dir is None:
            return
        agent.save(run_dir / "checkpoint.npz")
        state = {"epoch": epoch, "rng": rng_state(rng), "log": log.state(), "history": history}
        (run_dir / "trainer_state.json").write_text(json.dumps(state))
        (run_dir / "history.json").write_text(json.dumps(history))

    t0 = time.perf_counter()
    bar = tqdm(range(start, epochs), desc=agent.name, disable=not progress, leave=False)
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in bar:
            stats: dict[str, float] = {}
            sampled: list[float] = []
            order = rng.permutation(len(tasks))
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
            greedy = agent.act(obs_all, deterministic=True)
            history["epoch"].append(epoch + 1)
            history["reward_queries"].append(log.queries)
            history["distinct_evaluations"].append(log.distinct)
            history["cumulative_regret"].append(log.regret_sum)
            history["sampled_reward"].append(float(np.mean(sampled)) if sampled else None)
            if table is not None:
                r = table[np.arange(len(tasks)), np.atleast_1d(space.action_to_index(greedy))]
                history["greedy_reward"].append(float(r.mean()))
                history["simple_regret"].append(float((best - r).mean()))
                for i, t in enumerate(tasks):
                    if history["reached"][t] is None and r[i] >= 0.99 * best[i]:
                        history["reached"][t] = len(log.evaluated.get(t, ()))
            if writer is not None:
                step = epoch + 1
                for k, v in history.items():
                    if isinstance(v, list) and k != "epoch" and v and v[-1] is not None:
                        writer.add_scalar(f"charts/{k}", v[-1], step)
                for k, v in stats.items():
                    writer.add_scalar(k if "/" in k else f"losses/{k}", v, step)
                lr_fn = getattr(getattr(agent, "config", None), "learning_rate", None)
                if callable(lr_fn):
                    writer.add_scalar("policy/lr", lr_fn(epoch), step)
                probs = _knob_probs(agent, obs_all)
                if probs is not None:
                    ent = sum(-(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=1) for p in probs)
                    writer.add_scalar("policy/entropy", float(ent.mean()), step)
                    if epoch % log_every == 0 or epoch == epochs - 1:
                        for j, knob in enumerate(space.varying):
                            for i, t in enumerate(tasks):
                                writer.add_scalar(f"policy/{t}/{knob.name}", probs[j][i, -1], step)
            if (epoch + 1) % checkpoint_every == 0:
                checkpoint(epoch + 1)
            if history["greedy_reward"]:
                bar.set_postfix(greedy=f"{100 * history['greedy_reward'][-1]:.2f}", refresh=False)
    checkpoint(epochs)
    if writer is not None:
        writer.close()
    return TrainResult(agent, history, run_dir, time.perf_counter() - t0, tasks)
