"""The few-shot anchors as advisors: random distinct configurations, and a static list.

Both keep the best measured configuration once anything is measured.

>>> import numpy as np
>>> rewards = np.array([[0.5, 0.9, 0.1], [0.4, 0.8, 0.9]])
>>> adv = StaticAdvisor().fit(np.eye(2), rewards, ["a", "b", "c"])
>>> adv.answer(np.ones(2), {}), adv.suggest(np.ones(2), {}), adv.suggest(np.ones(2), {"b": 0.3})
('b', 'b', 'c')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from agents.advisor.base import (
    best_measured,
    check_embedding,
    check_fit,
    check_observed,
    check_unexhausted,
    observed_rng,
)


def fraction_of_best(rewards: np.ndarray) -> np.ndarray:
    """Each row divided by its maximum."""
    return rewards / rewards.max(axis=1, keepdims=True)


def zscore_rows(rewards: np.ndarray) -> np.ndarray:
    """Each row centred and scaled to unit standard deviation (constant rows become zeros)."""
    std = rewards.std(axis=1, keepdims=True)
    return (rewards - rewards.mean(axis=1, keepdims=True)) / np.where(std == 0, 1, std)


class RandomAdvisor:
    """Measures uniformly random distinct configurations; keeps the best measured one (with
    nothing measured, a random configuration). The anchor "random distinct configurations"."""

    name = "random-distinct"

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)
        self.keys: tuple[str, ...] = ()

    def fit(self, embeddings, rewards, keys: Sequence[str]) -> RandomAdvisor:
        self._emb, _, self.keys = check_fit(embeddings, rewards, keys)
        return self

    def suggest(self, embedding, observed: Mapping[str, float]) -> str:
        e = check_embedding(embedding, self._emb.shape[1])
        obs = check_observed(observed, self.keys)
        check_unexhausted(obs, len(self.keys))
        untried = [i for i in range(len(self.keys)) if i not in obs]
        return self.keys[int(observed_rng(self.seed, e, obs).choice(untried))]

    def answer(self, embedding, observed: Mapping[str, float]) -> str:
        e = check_embedding(embedding, self._emb.shape[1])
        obs = check_observed(observed, self.keys)
        if obs:
            return self.keys[best_measured(obs)]
        return self.keys[int(observed_rng(self.seed, e, obs).integers(len(self.keys)))]


@dataclass(frozen=True)
class StaticConfig:
    """Hyperparameters of :class:`StaticAdvisor`."""

    score: Literal["fraction", "z"] = "fraction"
    """Rank configurations by their mean over the known tasks of the reward as a fraction of the
    task's best (``"fraction"``), or of the z-scored reward (``"z"``, the best-fixed agent's)."""

    def __post_init__(self) -> None:
        if self.score not in ("fraction", "z"):
            raise ValueError(f"score must be 'fraction' or 'z', got {self.score!r}")


class StaticAdvisor:
    """A context-free list: the configurations ranked by their mean score over the known tasks,
    measured in that order; keeps the best measured (with nothing measured, the top one). With
    ``score="fraction"`` this is the anchor "static top-k of mean fraction-of-best"."""

    name = "static"
    seed_independent_fit = True

    def __init__(self, config: StaticConfig | None = None, seed: int = 0) -> None:
        self.config = config or StaticConfig()
        self.seed = int(seed)
        self.keys: tuple[str, ...] = ()

    def fit(self, embeddings, rewards, keys: Sequence[str]) -> StaticAdvisor:
        self._emb, rew, self.keys = check_fit(embeddings, rewards, keys)
        rows = fraction_of_best(rew) if self.config.score == "fraction" else zscore_rows(rew)
        self.order = np.argsort(-rows.mean(axis=0), kind="stable")
        return self

    def suggest(self, embedding, observed: Mapping[str, float]) -> str:
        check_embedding(embedding, self._emb.shape[1])
        obs = check_observed(observed, self.keys)
        check_unexhausted(obs, len(self.keys))
        return self.keys[next(int(i) for i in self.order if int(i) not in obs)]

    def answer(self, embedding, observed: Mapping[str, float]) -> str:
        check_embedding(embedding, self._emb.shape[1])
        obs = check_observed(observed, self.keys)
        return self.keys[best_measured(obs) if obs else int(self.order[0])]
