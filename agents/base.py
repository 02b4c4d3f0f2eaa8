"""The agent interface every agent meets, and the few helpers agents share.

An agent answers a batch of Task2Vec observations with one configuration (an action of the env's
``MultiDiscrete`` space) per observation, learns from (observation, action, reward) triples, and
saves / loads itself. Evaluation and the benchmarks accept anything with these methods
(:class:`Agent` is a structural :class:`typing.Protocol`); stable-baselines3 models join through
:class:`agents.sb3.SB3Agent`.

>>> from agents import make_agent
>>> agent = make_agent("random", seed=0)
>>> isinstance(agent, Agent), agent.kind
(True, 'context-free')
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

from t2s_env.files import write_atomic

AgentKind = Literal["context-free", "contextual", "oracle"]
"""``context-free``: ignores what the task is like (at most tells tasks apart);
``contextual``: maps the Task2Vec vector to a configuration, so it can answer unseen tasks;
``oracle``: reads the reward table (an upper bound, not a learner)."""

KINDS: tuple[str, ...] = ("context-free", "contextual", "oracle")


@runtime_checkable
class Agent(Protocol):
    """What evaluation, training and the benchmarks ask of an agent."""

    name: str
    """Short identifier (the registry name, e.g. ``"task2sim"``)."""
    kind: AgentKind
    """``"context-free"``, ``"contextual"`` or ``"oracle"``."""

    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        """Actions ``(B, n_knobs)`` (int64) for observations ``(B, dim)``.

        ``deterministic=True`` gives the agent's final answer per task (what evaluation scores);
        ``False`` gives what it would try while learning.
        """
        ...

    def learn(self, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> dict[str, float]:
        """Update from a batch of ``(B, dim)`` observations, ``(B, k)`` actions, ``(B,)`` rewards.

        Returns scalars worth logging (may be empty).
        """
        ...

    def save(self, path: str | Path) -> None:
        """Write the agent (configuration, learned state, RNG state) to ``path``."""
        ...

    def load(self, path: str | Path) -> None:
        """Restore the state written by :meth:`save` into this agent."""
        ...


@runtime_checkable
class EnvLearner(Protocol):
    """An agent whose update needs more than its own actions' rewards (the paper's agent asks the
    env for the reward of its greedy action as a baseline). The trainer hands it the env."""

    def train_batch(self, env: gym.Env, tasks: list[str], epoch: int) -> dict[str, float]:
        """One update on ``tasks``, querying ``env`` through its public API."""
        ...


def query(env: gym.Env, task: str, action: np.ndarray) -> tuple[np.ndarray, float, dict[str, Any]]:
    """Ask ``env`` for the reward of ``action`` on ``task``: ``reset(options={"task": task})`` then
    ``step(action)``. Returns ``(obs, reward, info)``; the env counts the query."""
    obs, _ = env.reset(options={"task": task})
    _, reward, _, _, info = env.step(np.asarray(action, dtype=np.int64))
    return obs, float(reward), info


def check_batch(obs: np.ndarray, dim: int | None = None) -> np.ndarray:
    """``obs`` as a float64 ``(B, dim)`` array; a single observation becomes a batch of one."""
    arr = np.asarray(obs, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2:
        raise ValueError(f"obs must have shape (batch, dim), got {np.shape(obs)}")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(f"obs must have {dim} features per row, got {arr.shape[1]}")
    return arr


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is finite and > 0 (>= 0 if allowed)."""
    ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")


def check_unit(name: str, value: float) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``0 <= value <= 1``."""
    if not (np.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")


class CheckpointError(ValueError):
    """An agent checkpoint cannot be read: missing, damaged, crafted, or another agent's. The
    message names the file."""


def write_state(path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write an agent state: ``arrays`` and a JSON ``meta`` dict in one ``.npz`` file."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object keeps numpy from appending ".npz"
            np.savez(f, __meta__=np.array(json.dumps(meta)), **arrays)

    write_atomic(path, write)  # never half a file, never through a symlink


def read_state(path: str | Path, name: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read what :func:`write_state` wrote; checks the file belongs to agent ``name``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no agent checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "__meta__" not in npz.files:
                raise CheckpointError(f"{path} is not an agent checkpoint (no __meta__ entry)")
            meta = json.loads(str(npz["__meta__"]))
            arrays = {k: npz[k] for k in npz.files if k != "__meta__"}
    except CheckpointError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        # np.load on a truncated, bit-flipped or pickled file (allow_pickle=False refuses it)
        raise CheckpointError(f"{path} is not a readable agent checkpoint: {exc}") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path} is not an agent checkpoint (its __meta__ is not a dict)")
    if meta.get("name") != name:
        raise CheckpointError(f"{path} holds a {meta.get('name')!r} agent, not {name!r}")
    return meta, arrays


def load_checkpoint(agent: Agent, path: str | Path, obs_dim: int | None = None) -> None:
    """The one reader of agent checkpoints: ``agent.load(path)`` (each agent checks the shapes,
    types and ranges of what it restores), with any failure to make sense of the file's
    content raised as a :class:`CheckpointError` naming the file (a crafted file may hold
    arrays of any shape).

    With ``obs_dim`` (the size of the env's observations) the loaded agent is also tried: its
    memory must hold observations of that size, and its answer to a unit observation must be
    an action of its space. The trial may draw from the agent's RNG: give ``obs_dim`` when the
    agent is loaded to be checked or to answer, not to resume training bit for bit."""
    try:
        agent.load(path)
        if obs_dim is not None:
            _try_loaded(agent, obs_dim)
    except (CheckpointError, FileNotFoundError):
        raise
    except (
        KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError, OverflowError,
        ZeroDivisionError, FloatingPointError,
    ) as exc:  # fmt: skip
        raise CheckpointError(
            f"{path} is not a usable {agent.name} checkpoint: {type(exc).__name__}: {exc}"
        ) from exc


def _try_loaded(agent: Agent, obs_dim: int) -> None:
    memory = getattr(agent, "memory", None)
    stored = getattr(memory, "obs", None)
    if stored is not None and len(stored) and stored.shape[1] != obs_dim:
        raise ValueError(
            f"its memory holds observations of {stored.shape[1]} numbers; the env's have {obs_dim}"
        )
    obs = np.full((1, obs_dim), 1 / np.sqrt(obs_dim))
    with np.errstate(all="raise"):
        action = np.asarray(agent.act(obs, deterministic=True))
    space = getattr(agent, "space", None)
    nvec = np.asarray(space.nvec) if space is not None else None
    if nvec is not None and (
        action.shape != (1, len(nvec)) or np.any((action < 0) | (action >= nvec))
    ):
        raise ValueError(f"its answer {action.tolist()} is not an action of its space")


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """A JSON-able snapshot of a generator (restore with :func:`set_rng_state`)."""
    return rng.bit_generator.state


def set_rng_state(rng: np.random.Generator, state: dict[str, Any]) -> None:
    rng.bit_generator.state = state
