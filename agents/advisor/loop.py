"""The budgeted few-shot loop on a reward table: an advisor measures up to k configurations of a
held-out task one at a time (seeing each result before the next choice), then names the one it
keeps; the score is that configuration's true reward as a fraction of the task's best.

One run to the largest budget gives the answer at every smaller budget (the answer after the
first k measurements), so a curve costs one run per task.

>>> import numpy as np
>>> from agents.advisor.baselines import StaticAdvisor
>>> rewards = np.array([[0.5, 0.9, 0.1], [0.4, 0.8, 0.9], [0.2, 0.3, 0.6]])
>>> curve = loto_curve(StaticAdvisor, np.eye(3), rewards, ["a", "b", "c"], budgets=(0, 1, 2))
>>> curve.round(3).tolist()
[[0.111, 0.889, 0.5], [0.111, 0.889, 0.5], [1.0, 1.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from agents.advisor.base import Advisor


def check_budgets(budgets: Sequence[int], n_keys: int | None = None) -> tuple[int, ...]:
    """Budgets as a sorted tuple of distinct ints ``>= 0`` (at most ``n_keys``)."""
    try:
        out = tuple(sorted({int(b) for b in budgets}))
    except (TypeError, ValueError):
        raise ValueError(f"budgets must be integers, got {budgets!r}") from None
    if not out or out[0] < 0:
        raise ValueError(f"budgets must be a non-empty list of integers >= 0, got {budgets!r}")
    if n_keys is not None and out[-1] > n_keys:
        raise ValueError(f"a budget of {out[-1]} exceeds the {n_keys} configurations")
    return out


def run_budgets(
    advisor: Advisor,
    embedding: np.ndarray,
    rewards: np.ndarray,
    keys: Sequence[str],
    budgets: Sequence[int],
    noise_std: float = 0.0,
    rng: np.random.Generator | None = None,
) -> tuple[list[str], list[str]]:
    """Run a fitted ``advisor`` on one task whose true rewards are ``rewards`` (``(C,)``, in
    ``keys`` order). Returns (the kept key at each budget, the measured keys in order). With
    ``noise_std > 0`` the advisor sees ``reward + N(0, noise_std^2)`` from ``rng``."""
    if noise_std > 0 and rng is None:
        raise ValueError("noise_std > 0 needs an rng")
    index = {k: i for i, k in enumerate(keys)}
    budgets = check_budgets(budgets, len(keys))
    observed: dict[str, float] = {}
    kept: list[str] = []
    for b in budgets:
        while len(observed) < b:
            key = advisor.suggest(embedding, dict(observed))
            if key not in index or key in observed:
                raise ValueError(
                    f"advisor {getattr(advisor, 'name', advisor)!r} suggested {key!r}, which is "
                    "not a new configuration"
                )
            reward = float(rewards[index[key]])
            if noise_std > 0:
                reward += float(noise_std * rng.standard_normal())
            observed[key] = reward
        kept.append(advisor.answer(embedding, dict(observed)))
    return kept, list(observed)


def loto_curve(
    factory: Callable[[], Advisor],
    embeddings: np.ndarray,
    rewards: np.ndarray,
    keys: Sequence[str],
    budgets: Sequence[int] = (0, 1, 2, 4, 8, 16, 32),
    noise_std: float = 0.0,
    seed: int = 0,
    held_out: Sequence[int] | None = None,
) -> np.ndarray:
    """Leave-one-task-out: for each held-out row (all by default), fit a fresh advisor from
    ``factory()`` on the other rows and run it. Returns ``(len(budgets), len(held_out))``
    fractions of each task's best (budgets sorted)."""
    rewards = np.asarray(rewards, dtype=np.float64)
    budgets = check_budgets(budgets, len(keys))
    rows = range(len(rewards)) if held_out is None else held_out
    index = {k: i for i, k in enumerate(keys)}
    out = np.empty((len(budgets), len(rows)))
    for j, t in enumerate(rows):
        train = [i for i in range(len(rewards)) if i != t]
        adv = factory().fit(embeddings[train], rewards[train], keys)
        rng = np.random.default_rng([int(seed), int(t)])
        kept, _ = run_budgets(adv, embeddings[t], rewards[t], keys, budgets, noise_std, rng)
        best = rewards[t].max()
        out[:, j] = [rewards[t, index[k]] / best for k in kept]
    return out
