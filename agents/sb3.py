"""stable-baselines3 PPO and A2C as agents: a thin adapter that meets :class:`agents.base.Agent`.

SB3 learns from its own rollouts, so the adapter is an :class:`~agents.base.EnvLearner`: the
trainer's batches only count how many env steps the model is owed, and every ``n_steps`` of them
the model runs ``model.learn`` on the (query-counting) env. :meth:`SB3Agent.learn` is a no-op.

Saving never goes through SB3's ``save``/``load``: their zip holds cloudpickled objects, and
unpickling a crafted file runs its code. A checkpoint holds the policy's ``state_dict`` and the
optimiser's state as plain arrays, and the settings (config, spaces, step counters) as JSON; on
load the model is re-built from the config and the arrays copied in. A file with an SB3 zip in it
(written by an older version) is refused, not opened.

>>> agent = SB3Agent(SB3Config(algo="a2c"), seed=0)
>>> agent.name, agent.kind
('a2c', 'contextual')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import CheckpointError, check_batch, check_positive, read_state, write_state
from t2s_env.space import PAPER_SPACE, KnobSpace

ALGOS = ("ppo", "a2c")
FORMAT = "sb3-state-dict-1"
"""The ``format`` a checkpoint's meta records (weights as arrays, settings as JSON)."""


@dataclass(frozen=True)
class SB3Config:
    """Hyperparameters passed to the SB3 model (the rest are SB3's defaults)."""

    algo: str = "ppo"
    """``"ppo"`` or ``"a2c"``."""
    n_steps: int = 64
    """Env steps per rollout (one step = one task answered)."""
    batch_size: int = 64
    """PPO minibatch size (must divide ``n_steps``; unused by A2C)."""
    learning_rate: float = 3e-4
    """Adam / RMSprop learning rate."""
    net_arch: tuple[int, ...] = (64, 64)
    """Hidden layers of the policy and value MLPs."""

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"algo must be one of {ALGOS}, got {self.algo!r}")
        if not (isinstance(self.n_steps, int) and self.n_steps >= 2):
            raise ValueError(f"n_steps must be an int >= 2, got {self.n_steps!r}")
        if self.algo == "ppo" and (self.batch_size < 2 or self.n_steps % self.batch_size):
            raise ValueError(
                f"batch_size must be >= 2 and divide n_steps={self.n_steps}, got {self.batch_size}"
            )
        check_positive("learning_rate", self.learning_rate)
        object.__setattr__(self, "net_arch", tuple(int(n) for n in self.net_arch))


class SB3Agent:
    """An SB3 PPO / A2C model behind the agent interface.

    Args:
        config: Which algorithm and its main hyperparameters.
        seed: Seeds the SB3 model.
        space: The knob space (its ``MultiDiscrete`` is the env's action space).
    """

    kind = "contextual"

    def __init__(
        self, config: SB3Config | None = None, seed: int = 0, space: KnobSpace = PAPER_SPACE
    ) -> None:
        self.config = SB3Config() if config is None else config
        self.name = self.config.algo
        self.seed = int(seed)
        self.space = space
        self.model: Any = None
        self._owed = 0
        self._env_bound = False

    def _build(self, env: gym.Env) -> None:
        self.model = _new_model(self.config, self.seed, env)

    def train_batch(self, env: gym.Env, tasks: list[str], epoch: int) -> dict[str, float]:
        """Owe the model ``len(tasks)`` env steps; run ``model.learn`` per full rollout owed."""
        if self.model is None:
            self._build(env)
        elif not self._env_bound:  # a loaded model holds a stand-in env with the saved spaces
            self.model.set_env(env)
        self._env_bound = True
        self._owed += len(tasks)
        rollouts = self._owed // self.config.n_steps
        if rollouts:
            self.model.learn(rollouts * self.config.n_steps, reset_num_timesteps=False)
            self._owed -= rollouts * self.config.n_steps
        return {}

    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        if self.model is None:
            raise RuntimeError(f"the {self.name} agent has no model yet: train it first")
        obs = check_batch(obs).astype(np.float32)
        actions, _ = self.model.predict(obs, deterministic=deterministic)
        return np.asarray(actions, dtype=np.int64).reshape(len(obs), -1)

    def learn(self, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> dict[str, float]:
        """No-op: SB3 learns from its own rollouts (see :meth:`train_batch`)."""
        return {}

    def save(self, path: str | Path) -> None:
        meta: dict[str, Any] = {
            "name": self.name, "seed": self.seed, "config": dataclasses.asdict(self.config),
            "format": FORMAT,
        }  # fmt: skip
        arrays = {"owed": np.array(self._owed)}
        if self.model is not None:
            meta["model"], model_arrays = _model_state(self.model)
            arrays.update(model_arrays)
        write_state(path, meta, arrays)

    def load(self, path: str | Path) -> None:
        meta, arrays = read_state(path, self.name)
        if "model_zip" in arrays or meta.get("format") != FORMAT:
            raise CheckpointError(
                f"{path} is not a {FORMAT} checkpoint (an SB3 zip is pickle-based and never "
                "opened); retrain the agent with this version to get one"
            )
        try:
            cfg = dict(meta["config"])
            config = SB3Config(**{**cfg, "net_arch": tuple(cfg["net_arch"])})
            seed, owed = int(meta["seed"]), int(arrays["owed"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: bad {self.name} settings: {exc}") from exc
        model = (
            _rebuilt_model(config, seed, meta["model"], arrays, path) if "model" in meta else None
        )
        self.config, self.name, self.seed, self._owed = config, config.algo, seed, owed
        self.model, self._env_bound = model, False


def _new_model(config: SB3Config, seed: int, env: gym.Env) -> Any:
    import stable_baselines3 as sb3

    kwargs: dict[str, Any] = {
        "n_steps": config.n_steps,
        "learning_rate": config.learning_rate,
        "policy_kwargs": {"net_arch": list(config.net_arch)},
        "seed": seed,
        "device": "cpu",
        "verbose": 0,
    }
    if config.algo == "ppo":
        kwargs["batch_size"] = config.batch_size
    return {"ppo": sb3.PPO, "a2c": sb3.A2C}[config.algo]("MlpPolicy", env, **kwargs)


def _rebuilt_model(
    config: SB3Config, seed: int, settings: Any, arrays: dict[str, np.ndarray], path: str | Path
) -> Any:
    """A fresh model of ``config`` holding the saved weights and optimiser state."""
    try:
        low = np.asarray(arrays["obs_low"], np.float32)
        high = np.asarray(arrays["obs_high"], np.float32)
        nvec = np.asarray(arrays["action_nvec"], np.int64)
        obs_space = gym.spaces.Box(low, high, dtype=np.float32)
        action_space = gym.spaces.MultiDiscrete(nvec)
    except (KeyError, ValueError, TypeError, AssertionError) as exc:
        raise CheckpointError(f"{path}: bad saved spaces: {exc}") from exc
    model = _new_model(config, seed, _SpacesOnly(obs_space, action_space))
    try:
        _set_model_state(model, settings, arrays)
    except (KeyError, ValueError, TypeError, RuntimeError, IndexError, AttributeError) as exc:
        raise CheckpointError(
            f"{path}: the saved {config.algo} weights do not fit its config: {exc}"
        ) from exc
    return model


class _SpacesOnly(gym.Env):
    """An env with the saved spaces and nothing else: builds a model to load weights into (the
    trainer binds the real env before the model takes a step)."""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space) -> None:
        self.observation_space, self.action_space = observation_space, action_space

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        raise RuntimeError("a loaded SB3 agent must be bound to an env before it learns")

    def step(self, action):
        raise RuntimeError("a loaded SB3 agent must be bound to an env before it learns")


def _model_state(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The model as (JSON settings, arrays): policy weights, optimiser state, spaces."""
    arrays = {f"policy/{k}": v.detach().cpu().numpy() for k, v in model.policy.state_dict().items()}
    optim = model.policy.optimizer.state_dict()
    for pid, state in optim["state"].items():
        for k, v in state.items():
            arrays[f"optim/{int(pid)}/{k}"] = np.asarray(
                v.detach().cpu().numpy() if hasattr(v, "detach") else v
            )
    arrays["obs_low"] = np.asarray(model.observation_space.low, np.float32)
    arrays["obs_high"] = np.asarray(model.observation_space.high, np.float32)
    arrays["action_nvec"] = np.asarray(model.action_space.nvec, np.int64)
    settings = {
        "num_timesteps": int(model.num_timesteps),
        "n_updates": int(model._n_updates),
        "param_groups": optim["param_groups"],
    }
    return settings, arrays


def _set_model_state(model: Any, settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    import torch

    weights = {k.removeprefix("policy/"): v for k, v in arrays.items() if k.startswith("policy/")}
    own = model.policy.state_dict()
    if set(weights) != set(own):
        raise ValueError(f"policy weights {sorted(weights)} are not the model's {sorted(own)}")
    for k, v in weights.items():
        if v.dtype.kind != "f" or v.shape != tuple(own[k].shape):
            raise ValueError(
                f"weight {k!r} has {v.dtype} {v.shape}, expected {tuple(own[k].shape)}"
            )
    model.policy.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
    state: dict[int, dict[str, Any]] = {}
    for k, v in arrays.items():
        if k.startswith("optim/"):
            _, pid, name = k.split("/", 2)
            state.setdefault(int(pid), {})[name] = torch.from_numpy(np.array(v))
    groups = [dict(g) for g in settings["param_groups"]]
    for g in groups:
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
    model.policy.optimizer.load_state_dict({"state": state, "param_groups": groups})
    model.num_timesteps = int(settings["num_timesteps"])
    model._n_updates = int(settings["n_updates"])
