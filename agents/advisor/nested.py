"""Hyperparameters picked by nested leave-one-task-out on the known tasks only.

:class:`NestedAdvisor` wraps an advisor class and a small grid of configurations: its ``fit``
runs, for each configuration, the budgeted loop leaving out each known task in turn (fitted on
the others), scores the mean fraction of best over the inner budgets, and fits the winner on
all known tasks. The task being advised is never part of this: it is not among the rows given
to ``fit``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from agents.advisor.base import Advisor, FitRecord, check_fit, hashable_or_none
from agents.advisor.loop import check_budgets, loto_curve


class NestedAdvisor:
    """An advisor whose configuration is chosen by inner leave-one-task-out.

    Args:
        build: ``build(config, seed)`` makes the inner advisor.
        base: The configuration the grid's overrides apply to.
        grid: Overrides (``{field: value}`` dicts) to compare; the first wins ties.
        name: Registry name.
        seed: Seed of the inner advisors and of the inner measurement noise.
        inner_budgets: The budgets whose mean fraction of best is the selection score.
        inner_noise_std: Measurement noise simulated in the inner runs.
    """

    def __init__(
        self,
        build: Callable[[Any, int], Advisor],
        base: Any,
        grid: Sequence[Mapping[str, Any]],
        name: str,
        seed: int = 0,
        inner_budgets: Sequence[int] = (1, 2, 4, 8, 16),
        inner_noise_std: float = 0.0,
    ) -> None:
        if not grid:
            raise ValueError("grid must hold at least one configuration")
        self.configs = [replace(base, **dict(g)) for g in grid]
        self.build, self.name, self.seed = build, name, int(seed)
        self.inner_budgets = check_budgets(inner_budgets)
        self.inner_noise_std = float(inner_noise_std)
        self.selected: Any = None
        self.scores: list[float] = []
        probe = build(self.configs[0], self.seed)
        self.seed_independent_fit = bool(getattr(probe, "seed_independent_fit", False))
        """As the inner advisor's, when the inner runs are noise-free."""
        if self.inner_noise_std > 0:
            self.seed_independent_fit = False
        self._fitted_on: FitRecord | None = None

    @property
    def fit_key(self) -> tuple | None:
        """Two advisors with equal keys fitted on the same data select the same configuration
        and fit the same inner advisor (the seed counts only where the fit depends on it);
        ``None`` if the configurations cannot key a dict."""
        seed = None if self.seed_independent_fit else self.seed
        return hashable_or_none(
            (type(self), self.build, tuple(self.configs), self.inner_budgets,
             self.inner_noise_std, seed)
        )  # fmt: skip

    def fit(self, embeddings, rewards, keys: Sequence[str]) -> NestedAdvisor:
        record = FitRecord(self.fit_key, *check_fit(embeddings, rewards, keys))
        if record.same(self._fitted_on):
            return self  # fitted on these rows already: the selection would be the same
        self._fitted_on = None  # until this fit completes
        emb, rew, keys = record.embeddings, record.rewards, record.keys
        if len(rew) < 3:
            raise ValueError("nested selection needs at least 3 known tasks")
        budgets = tuple(b for b in self.inner_budgets if b <= len(keys))
        self.scores = []
        for cfg in self.configs:
            curve = loto_curve(
                lambda cfg=cfg: self.build(cfg, self.seed),
                emb, rew, keys, budgets, self.inner_noise_std, self.seed,
            )  # fmt: skip
            self.scores.append(float(curve.mean()))
        self.selected = self.configs[int(np.argmax(self.scores))]
        self.inner = self.build(self.selected, self.seed).fit(emb, rew, keys)
        self.keys = keys
        self._fitted_on = record
        return self

    def selection(self) -> dict[str, Any]:
        """The chosen configuration and every candidate's inner score (after ``fit``)."""
        if self.selected is None:
            raise RuntimeError("fit the advisor first")
        return {
            "selected": asdict(self.selected),
            "scores": [{"config": asdict(c), "score": s} for c, s in zip(self.configs, self.scores, strict=True)],
        }  # fmt: skip

    def suggest(self, embedding, observed) -> str:
        if self.selected is None:
            raise RuntimeError("fit the advisor before asking it")
        return self.inner.suggest(embedding, observed)

    def answer(self, embedding, observed) -> str:
        if self.selected is None:
            raise RuntimeError("fit the advisor before asking it")
        return self.inner.answer(embedding, observed)
