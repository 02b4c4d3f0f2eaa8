"""stable-baselines3 PPO and A2C as agents: a thin adapter that meets :class:`agents.base.Agent`.

SB3 learns from its own rollouts, so the adapter is an :class:`~agents.base.EnvLearner`: the
trainer's batches only count how many env steps the model is owed, and every ``n_steps`` of them
the model runs ``model.learn`` on the (query-counting) env. :meth:`SB3Agent.learn` is a no-op.

>>> agent = SB3Agent(SB3Config(algo="a2c"), seed=0)
>>> agent.name, agent.kind
('a2c', 'contextual')
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import check_batch, check_positive, read_state, write_state
from t2s_env.space import PAPER_SPACE, KnobSpace

ALGOS = ("ppo", "a2c")


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

    def _cls(self) -> Any:
        import stable_baselines3 as sb3

        return {"ppo": sb3.PPO, "a2c": sb3.A2C}[self.config.algo]

    def _build(self, env: gym.Env) -> None:
        kwargs: dict[str, Any] = {
            "n_steps": self.config.n_steps,
            "learning_rate": self.config.learning_rate,
            "policy_kwargs": {"net_arch": list(self.config.net_arch)},
            "seed": self.seed,
            "device": "cpu",
            "verbose": 0,
        }
        if self.config.algo == "ppo":
            kwargs["batch_size"] = self.config.batch_size
        self.model = self._cls()("MlpPolicy", env, **kwargs)

    def train_batch(self, env: gym.Env, tasks: list[str], epoch: int) -> dict[str, float]:
        """Owe the model ``len(tasks)`` env steps; run ``model.learn`` per full rollout owed."""
        if self.model is None:
            self._build(env)
        elif self.model.get_env() is None:
            self.model.set_env(env)
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
        meta = {"name": self.name, "seed": self.seed, "config": dataclasses.asdict(self.config)}
        arrays = {"owed": np.array(self._owed)}
        if self.model is not None:
            buf = io.BytesIO()
            self.model.save(buf)
            arrays["model_zip"] = np.frombuffer(buf.getvalue(), dtype=np.uint8)
        write_state(path, meta, arrays)

    def load(self, path: str | Path) -> None:
        meta, arrays = read_state(path, self.name)
        cfg = meta["config"]
        self.config = SB3Config(**{**cfg, "net_arch": tuple(cfg["net_arch"])})
        self.seed, self._owed = int(meta["seed"]), int(arrays["owed"])
        self.model = None
        if "model_zip" in arrays:
            self.model = self._cls().load(io.BytesIO(arrays["model_zip"].tobytes()), device="cpu")
