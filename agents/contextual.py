"""Contextual agents built on reward statistics: LinUCB on a reduced Task2Vec context, and transfer
from the most similar known tasks (the ``nearest-task`` baseline of ``agents.AGENTS`` and this
project's own ``neighbour-transfer`` agent).

>>> import numpy as np
>>> agent = TransferAgent(TransferConfig(k=1, temperature=0, standardise=False), seed=0)
>>> obs = np.eye(3)
>>> _ = agent.learn(obs[:2], np.array([[0] * 8, [1] * 8]), np.array([0.5, 0.4]))
>>> new = np.array([[0.9, 0.1, 0.1]])  # closest to task 0
>>> agent.act(new, deterministic=True).tolist()
[[0, 0, 0, 0, 0, 0, 0, 0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.base import check_positive
from agents.tabular import MemoryAgent
from t2s_env.space import task_observation


@dataclass(frozen=True)
class LinUCBConfig:
    """Hyperparameters of :class:`LinUCBAgent`."""

    context_dim: int = 16
    """Size of the seeded Gaussian random projection of the Task2Vec vector (plus a bias)."""
    alpha: float = 0.05
    """Width of the confidence bonus ``alpha * sqrt(x' A^-1 x)``."""
    ridge: float = 0.01
    """Ridge penalty: each arm's ``A`` starts at ``ridge * I``."""

    def __post_init__(self) -> None:
        if not (isinstance(self.context_dim, int) and self.context_dim >= 1):
            raise ValueError(f"context_dim must be an int >= 1, got {self.context_dim!r}")
        check_positive("alpha", self.alpha, allow_zero=True)
        check_positive("ridge", self.ridge)


class LinUCBAgent(MemoryAgent):
    """Disjoint LinUCB (Li et al., WWW 2010, Algorithm 1) with one arm per configuration.

    The context is a seeded Gaussian random projection of the normalised Task2Vec vector to
    ``context_dim`` numbers plus a constant: a full 9,600 x 9,600 inverse per arm would be
    absurd, and by Johnson-Lindenstrauss the projection keeps the tasks' cosine geometry. Each
    arm keeps ``A^-1`` (updated by Sherman-Morrison) and ``b``.
    """

    name = "linucb"
    kind = "contextual"
    Config = LinUCBConfig

    def _context(self, obs: np.ndarray) -> np.ndarray:
        d = self.config.context_dim
        if getattr(self, "_proj", None) is None or self._proj.shape[0] != obs.shape[1]:
            proj_rng = np.random.default_rng([self.seed, 1])  # separate stream: resumable
            self._proj = proj_rng.standard_normal((obs.shape[1], d)) / np.sqrt(d)
            self._a_inv = np.tile(np.eye(d + 1) / self.config.ridge, (self.space.size, 1, 1))
            self._b = np.zeros((self.space.size, d + 1))
        return np.hstack(
            [task_observation(obs, None, allow_zero=True) @ self._proj, np.ones((len(obs), 1))]
        )

    def choose(self, obs, rows, deterministic):
        x = self._context(obs)  # (B, d+1)
        theta = np.einsum("cij,cj->ci", self._a_inv, self._b)  # (C, d+1)
        score = x @ theta.T  # (B, C)
        if not deterministic:
            var = np.einsum("bi,cij,bj->bc", x, self._a_inv, x)
            score = score + self.config.alpha * np.sqrt(np.maximum(var, 0))
            score = score + 1e-12 * self.rng.random(score.shape)  # random tie-break
        return np.argmax(score, axis=1)

    def learn(self, obs, actions, rewards):
        super().learn(obs, actions, rewards)
        x = self._context(np.asarray(obs, dtype=np.float64).reshape(len(rewards), -1))
        configs = np.atleast_1d(self.space.action_to_index(np.asarray(actions)))
        for xi, c, r in zip(x, configs, np.asarray(rewards, dtype=np.float64), strict=True):
            a_inv = self._a_inv[c]
            ax = a_inv @ xi
            self._a_inv[c] = a_inv - np.outer(ax, ax) / (1 + xi @ ax)
            self._b[c] += r * xi
        return {}

    def extra_state(self):
        if getattr(self, "_proj", None) is None:
            return {}
        return {"a_inv": self._a_inv, "b": self._b, "dim": np.array(self._proj.shape[0])}

    def set_extra_state(self, arrays):
        self._proj = None
        if "a_inv" in arrays:
            dim = np.asarray(arrays["dim"])
            if dim.shape != () or dim.dtype.kind not in "iu" or not 1 <= int(dim) <= 10**6:
                raise ValueError(f"dim must be one integer in [1, 1e6], got {dim!r}")
            self._context(np.zeros((1, int(dim))))
            a_inv, b = np.asarray(arrays["a_inv"]), np.asarray(arrays["b"])
            if a_inv.shape != self._a_inv.shape or b.shape != self._b.shape:
                raise ValueError(
                    f"a_inv and b have shapes {a_inv.shape}, {b.shape}; expected "
                    f"{self._a_inv.shape}, {self._b.shape}"
                )
            if not (np.all(np.isfinite(a_inv)) and np.all(np.isfinite(b))):
                raise ValueError("a_inv and b must be finite")
            self._a_inv, self._b = a_inv.astype(np.float64), b.astype(np.float64)


@dataclass(frozen=True)
class TransferConfig:
    """Hyperparameters of :class:`TransferAgent`."""

    k: int = 3
    """Number of most similar known tasks (by cosine similarity of Task2Vec vectors) consulted."""
    temperature: float = 0.05
    """Neighbour ``i`` weighs ``exp(cos_i / temperature)``; 0 weighs the ``k`` equally."""
    standardise: bool = True
    """Z-score each task's rewards before averaging (tasks differ in scale, not in taste)."""
    guided: bool = True
    """While learning, try next the untried configuration the neighbours rate highest (instead
    of a uniformly random untried one)."""
    design: int = 16
    """With ``guided``: every task first tries the same ``design`` configurations (a seeded
    random set), so that the tasks' standardised rewards are comparable before the neighbours'
    ratings steer the search."""
    few_queries: int = 8
    """How many top-rated configurations the few-query protocol measures on a new task."""

    def __post_init__(self) -> None:
        if not (isinstance(self.k, int) and self.k >= 1):
            raise ValueError(f"k must be an int >= 1, got {self.k!r}")
        check_positive("temperature", self.temperature, allow_zero=True)
        if not (isinstance(self.design, int) and self.design >= 0):
            raise ValueError(f"design must be an int >= 0, got {self.design!r}")
        if not (isinstance(self.few_queries, int) and self.few_queries >= 1):
            raise ValueError(f"few_queries must be an int >= 1, got {self.few_queries!r}")


class TransferAgent(MemoryAgent):
    """Rate configurations for a task by the (standardised) rewards of its most similar tasks.

    For a task it has measured, the answer is the best configuration measured on it. For a new
    task (no measurement) the score of configuration ``c`` is the weighted mean over the ``k``
    known tasks most similar to it (cosine similarity of the normalised Task2Vec vectors) of
    their mean reward on ``c``, z-scored per task; neighbour weights are ``exp(cos/T)``.
    With ``k=1`` and raw rewards it is the ``nearest-task`` baseline ("the best configuration
    of the most similar training task"); the defaults are this project's neighbour-transfer agent,
    which also uses the same scores to decide what to try next while learning (each task tries
    first what its neighbours rate best), and offers :meth:`candidates` for a few-query protocol
    on a new task.
    """

    name = "neighbour-transfer"
    kind = "contextual"
    Config = TransferConfig

    def _profiles(self) -> np.ndarray:
        """Per known task, its mean reward per configuration (z-scored if configured; nan where
        untried)."""
        means = self.memory.means()
        if not self.config.standardise or means.size == 0:
            return means
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = np.nanmean(means, axis=1, keepdims=True)
            sd = np.nanstd(means, axis=1, keepdims=True)
        return (means - mu) / np.where((sd > 0) & np.isfinite(sd), sd, 1)

    def scores(self, obs: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
        """``(B, C)`` neighbour scores; ``exclude[i]`` is a row not to use as a neighbour of
        observation ``i`` (itself) or -1. Configurations no neighbour tried score 0 (average)."""
        profiles = self._profiles()
        out = np.zeros((len(obs), self.space.size))
        if len(self.memory) == 0:
            return out
        tried = np.isfinite(profiles)
        has_data = tried.any(axis=1)
        unit = task_observation(obs, np.float64, allow_zero=True)
        sims = unit @ task_observation(self.memory.obs, None, allow_zero=True).T
        for i, s in enumerate(sims):
            ok = has_data.copy()
            if exclude is not None and exclude[i] >= 0:
                ok[exclude[i]] = False
            cand = np.flatnonzero(ok)
            if cand.size == 0:
                continue
            near = cand[np.argsort(-s[cand], kind="stable")[: self.config.k]]
            t = self.config.temperature
            w = np.ones(near.size) if t == 0 else np.exp((s[near] - s[near].max()) / t)
            wt = w[:, None] * tried[near]
            total = wt.sum(axis=0)
            num = (wt * np.nan_to_num(profiles[near])).sum(axis=0)
            out[i] = np.where(total > 0, num / np.where(total > 0, total, 1), 0.0)
        return out

    def _design(self) -> np.ndarray:
        n = min(self.config.design, self.space.size)
        return np.random.default_rng([self.seed, 2]).permutation(self.space.size)[:n]

    def choose(self, obs, rows, deterministic):
        out = np.empty(len(rows), dtype=np.int64)
        need_scores = deterministic or self.config.guided
        scores = self.scores(obs, exclude=rows) if need_scores else None
        design = self._design() if self.config.guided else None
        for i, r in enumerate(rows):
            if deterministic:
                own = self.memory.best_tried(int(r))
                out[i] = own if own >= 0 else int(np.argmax(scores[i]))
            elif self.config.guided:
                counts = self.memory.counts[r] if r >= 0 else np.zeros(self.space.size)
                todo = design[counts[design] == 0]
                if todo.size:  # the shared design first
                    out[i] = todo[0]
                    continue
                untried = np.flatnonzero(counts == 0)
                if untried.size == 0:
                    out[i] = self.memory.best_tried(int(r))
                    continue
                noise = 1e-9 * self.rng.random(untried.size)  # random tie-break
                out[i] = untried[np.argmax(scores[i, untried] + noise)]
            else:
                out[i] = self.sweep_next(int(r))
        return out

    def candidates(self, obs: np.ndarray, m: int | None = None) -> np.ndarray:
        """The ``m`` (default ``few_queries``) best-rated configurations for each observation,
        as actions ``(B, m, k)``, best first: what the few-query protocol measures."""
        m = self.config.few_queries if m is None else int(m)
        scores = self.scores(np.atleast_2d(obs), exclude=self.memory.find(np.atleast_2d(obs)))
        top = np.argsort(-scores, axis=1, kind="stable")[:, :m]
        return self.space.index_to_action(top)
