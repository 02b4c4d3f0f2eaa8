"""Per-task multi-armed bandits over the joint configurations, and a per-knob factorised variant.

Each task (each distinct observation) is its own bandit with one arm per configuration. The
deterministic answer for a task is the arm with the best mean reward among those tried on it; for
a task never trained on (an unseen task) these context-free agents answer the configuration with
the best mean over the tasks they know (what they can say without a context model).

>>> import numpy as np
>>> agent = UCB1Agent(seed=0)
>>> obs = np.ones((1, 4))
>>> a = agent.act(obs)
>>> _ = agent.learn(obs, a, np.array([0.3]))
>>> bool((agent.act(obs, deterministic=True) == a).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.base import check_positive, check_unit
from agents.tabular import MemoryAgent


def _deterministic(agent: MemoryAgent, rows: np.ndarray) -> np.ndarray:
    fallback = None
    out = np.empty(len(rows), dtype=np.int64)
    for i, r in enumerate(rows):
        best = agent.memory.best_tried(int(r))
        if best < 0:
            fallback = agent.fallback() if fallback is None else fallback
            best = fallback
        out[i] = best
    return out


@dataclass(frozen=True)
class EpsilonGreedyConfig:
    """Hyperparameters of :class:`EpsilonGreedyAgent`."""

    epsilon: float = 0.1
    """Probability of a uniformly random arm (after every arm was tried once)."""

    def __post_init__(self) -> None:
        check_unit("epsilon", self.epsilon)


class EpsilonGreedyAgent(MemoryAgent):
    """Epsilon-greedy per task: untried arms first (in random order), then the best mean arm with
    probability ``1 - epsilon`` and a uniform arm otherwise (Sutton & Barto, sec. 2.2)."""

    name = "eps-greedy"
    Config = EpsilonGreedyConfig

    def choose(self, obs, rows, deterministic):
        if deterministic:
            return _deterministic(self, rows)
        out = np.empty(len(rows), dtype=np.int64)
        for i, r in enumerate(rows):
            if r < 0 or (self.memory.counts[r] == 0).any():
                out[i] = self.sweep_next(int(r))
            elif self.rng.random() < self.config.epsilon:
                out[i] = self.rng.integers(self.space.size)
            else:
                out[i] = self.memory.best_tried(int(r))
        return out


@dataclass(frozen=True)
class UCB1Config:
    """Hyperparameters of :class:`UCB1Agent`."""

    c: float = 0.05
    """Scale of the exploration bonus ``c * sqrt(2 ln n / n_a)``; 1 is Auer et al.'s UCB1 for
    rewards in [0, 1], but accuracies here differ by a few points, so the default is smaller."""

    def __post_init__(self) -> None:
        check_positive("c", self.c, allow_zero=True)


class UCB1Agent(MemoryAgent):
    """UCB1 per task (Auer, Cesa-Bianchi & Fischer 2002): every arm once, then the arm with the
    highest ``mean + c sqrt(2 ln n / n_a)``."""

    name = "ucb1"
    Config = UCB1Config

    def choose(self, obs, rows, deterministic):
        if deterministic:
            return _deterministic(self, rows)
        means = self.memory.means()
        out = np.empty(len(rows), dtype=np.int64)
        for i, r in enumerate(rows):
            if r < 0 or (self.memory.counts[r] == 0).any():
                out[i] = self.sweep_next(int(r))
                continue
            n = self.memory.counts[r]
            ucb = means[r] + self.config.c * np.sqrt(2 * np.log(n.sum()) / n)
            out[i] = int(np.argmax(ucb))
        return out


@dataclass(frozen=True)
class ThompsonConfig:
    """Hyperparameters of the Gaussian Thompson-sampling agents (conjugate normal model with
    known noise: prior ``N(prior_mean, prior_std^2)`` per arm, reward noise ``noise_std``)."""

    prior_mean: float = 0.4
    """Prior mean reward of an untried arm (fraction)."""
    prior_std: float = 0.2
    """Prior standard deviation of an arm's mean reward."""
    noise_std: float = 0.01
    """Assumed standard deviation of one reward measurement."""

    def __post_init__(self) -> None:
        check_unit("prior_mean", self.prior_mean)
        check_positive("prior_std", self.prior_std)
        check_positive("noise_std", self.noise_std)


def _posterior(sums, counts, cfg: ThompsonConfig) -> tuple[np.ndarray, np.ndarray]:
    precision = 1 / cfg.prior_std**2 + counts / cfg.noise_std**2
    mean = (cfg.prior_mean / cfg.prior_std**2 + sums / cfg.noise_std**2) / precision
    return mean, 1 / np.sqrt(precision)


class GaussianThompsonAgent(MemoryAgent):
    """Gaussian Thompson sampling per task (Agrawal & Goyal 2013): draw each arm's mean from its
    normal posterior and play the arm with the largest draw."""

    name = "thompson"
    Config = ThompsonConfig

    def choose(self, obs, rows, deterministic):
        if deterministic:
            return _deterministic(self, rows)
        out = np.empty(len(rows), dtype=np.int64)
        for i, r in enumerate(rows):
            if r < 0:
                sums, counts = np.zeros(self.space.size), np.zeros(self.space.size)
            else:
                sums, counts = self.memory.sums[r], self.memory.counts[r]
            mean, std = _posterior(sums, counts, self.config)
            out[i] = int(np.argmax(mean + std * self.rng.standard_normal(self.space.size)))
        return out


class FactorisedThompsonAgent(MemoryAgent):
    """Gaussian Thompson sampling per task and per knob: each option of each knob has a normal
    posterior over the mean reward of the configurations that use it (an additive model that
    ignores interactions between knobs), so a task needs a handful of queries, not one per
    configuration. Knobs are drawn independently and the configuration assembled from the
    winning options. The deterministic answer is the best configuration tried on the task."""

    name = "factorised-thompson"
    Config = ThompsonConfig

    def _knob_stats(self, r: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        acts = self.space.all_actions()
        sums, counts = [], []
        for j, n in enumerate(self.space.nvec):
            onehot = acts[:, j][None, :] == np.arange(n)[:, None]  # (n options, configs)
            sums.append(onehot @ self.memory.sums[r] if r >= 0 else np.zeros(n))
            counts.append(onehot @ self.memory.counts[r] if r >= 0 else np.zeros(n))
        return sums, counts

    def choose(self, obs, rows, deterministic):
        if deterministic:
            return _deterministic(self, rows)
        out = np.empty(len(rows), dtype=np.int64)
        for i, r in enumerate(rows):
            sums, counts = self._knob_stats(int(r))
            action = []
            for s, c in zip(sums, counts, strict=True):
                mean, std = _posterior(s, c, self.config)
                action.append(int(np.argmax(mean + std * self.rng.standard_normal(len(s)))))
            out[i] = self.space.action_to_index(np.array(action))
        return out
