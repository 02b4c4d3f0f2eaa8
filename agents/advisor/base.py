"""What every advisor is, and the checks they share.

An advisor answers the few-shot question of a user with a new task: "I can afford k pre-training
runs; which ones, and which configuration do I keep?" It is fitted once on known tasks
(embeddings and reward rows), then, for a new task, :meth:`Advisor.suggest` names the next
configuration to measure given what was measured so far, and :meth:`Advisor.answer` the one it
would keep now. Both are pure functions of (fitted state, seed, embedding, observed), so a run
can be replayed or resumed.

>>> import numpy as np
>>> obs = check_observed({"a": 0.5}, ("a", "b"))
>>> obs
{0: 0.5}
>>> check_observed({"c": 0.5}, ("a", "b"))
Traceback (most recent call last):
...
ValueError: observed has keys not among the 2 fitted configurations: ['c']
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Mapping, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from t2s_env.space import task_observation


@runtime_checkable
class Advisor(Protocol):
    """The public contract of an advisor (``agents.advisor.make_advisor`` builds one)."""

    name: str
    """Registry name (e.g. ``"gp"``)."""

    def fit(self, embeddings: np.ndarray, rewards: np.ndarray, keys: Sequence[str]) -> Advisor:
        """Learn from known tasks: ``(N, D)`` Task2Vec vectors, ``(N, C)`` rewards (accuracies as
        fractions), ``C`` configuration keys (the columns of ``rewards``). Returns ``self``."""
        ...

    def suggest(self, embedding: np.ndarray, observed: Mapping[str, float]) -> str:
        """The next configuration key to measure, not among ``observed`` (``{key: reward}``)."""
        ...

    def answer(self, embedding: np.ndarray, observed: Mapping[str, float]) -> str:
        """The configuration key it would keep now (any key, measured or not)."""
        ...


def is_advisor(obj: object) -> bool:
    """Whether ``obj`` has the advisor methods (``fit``, ``suggest``, ``answer``)."""
    return all(callable(getattr(obj, m, None)) for m in ("fit", "suggest", "answer"))


def check_fit(
    embeddings: np.ndarray, rewards: np.ndarray, keys: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Validated ``(unit embeddings (N, D) float64, rewards (N, C) float64, keys)``."""
    emb = np.asarray(embeddings, dtype=np.float64)
    rew = np.asarray(rewards, dtype=np.float64)
    keys = tuple(map(str, keys))
    if emb.ndim != 2 or rew.ndim != 2:
        raise ValueError(
            f"embeddings must be (N, D) and rewards (N, C), got {emb.shape} and {rew.shape}"
        )
    if emb.shape[0] != rew.shape[0]:
        raise ValueError(
            f"embeddings has {emb.shape[0]} rows but rewards has {rew.shape[0]} (one per task)"
        )
    if rew.shape[0] < 2:
        raise ValueError(f"an advisor needs at least 2 known tasks, got {rew.shape[0]}")
    if len(keys) != rew.shape[1]:
        raise ValueError(f"rewards has {rew.shape[1]} columns but {len(keys)} keys were given")
    if len(set(keys)) != len(keys):
        raise ValueError("keys must be distinct")
    if not (np.isfinite(emb).all() and np.isfinite(rew).all()):
        raise ValueError("embeddings and rewards must be finite")
    if not np.linalg.norm(emb, axis=1).all():
        raise ValueError("an embedding is all zeros")
    return task_observation(emb, dtype=np.float64), rew, keys


class FitRecord(NamedTuple):
    """What an advisor was fitted on (its validated ``check_fit`` data) and under which
    ``fit_key``: an advisor whose fit is a deterministic function of the two keeps one, and a
    second fit on the same record is a no-op (so several wrappers can share one fitted advisor;
    ``agents.advisor.costloop.fit_advisor``)."""

    fit_key: Hashable
    embeddings: np.ndarray
    rewards: np.ndarray
    keys: tuple[str, ...]

    def same(self, other: FitRecord | None) -> bool:
        """Whether ``other`` is the same fit: equal ``fit_key`` (not ``None``), keys and arrays."""
        return (
            other is not None
            and self.fit_key is not None
            and self.fit_key == other.fit_key
            and self.keys == other.keys
            and np.array_equal(self.embeddings, other.embeddings)
            and np.array_equal(self.rewards, other.rewards)
        )


def hashable_or_none(key: object) -> Hashable | None:
    """``key`` if it can key a dict, else ``None`` (a ``fit_key`` that cannot be shared)."""
    try:
        hash(key)
    except TypeError:
        return None
    return key  # type: ignore[return-value]


def check_embedding(embedding: np.ndarray, dim: int) -> np.ndarray:
    """The embedding as a unit float64 vector of length ``dim``."""
    v = np.asarray(embedding, dtype=np.float64).reshape(-1)
    if v.size != dim:
        raise ValueError(f"embedding must have {dim} numbers (as fitted), got {v.size}")
    norm = float(np.sqrt(v @ v))
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("embedding must be finite and not all zeros")
    return v / norm


def check_observed(
    observed: Mapping[str, float], keys: Sequence[str], index: Mapping[str, int] | None = None
) -> dict[int, float]:
    """``observed`` (``{key: reward}``) as ``{column index: reward}``, in insertion order
    (``index``: ``{key: column}`` of ``keys``, if the caller keeps one)."""
    if not isinstance(observed, Mapping):
        raise ValueError(f"observed must be a {{key: reward}} mapping, got {type(observed)}")
    index = {k: i for i, k in enumerate(keys)} if index is None else index
    unknown = [k for k in observed if k not in index]
    if unknown:
        raise ValueError(
            f"observed has keys not among the {len(keys)} fitted configurations: {unknown[:5]}"
        )
    out = {}
    for k, v in observed.items():
        try:
            r = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"observed reward of {k!r} is not a number: {v!r}") from None
        if not np.isfinite(r):
            raise ValueError(f"observed reward of {k!r} is not finite: {v!r}")
        out[index[k]] = r
    return out


def check_unexhausted(observed: dict[int, float], n_keys: int) -> None:
    if len(observed) >= n_keys:
        raise ValueError(f"all {n_keys} configurations are measured; nothing left to suggest")


def observed_rng(
    seed: int, embedding: np.ndarray, observed: Mapping[int, float]
) -> np.random.Generator:
    """A generator determined by the seed, the task's embedding and the set of measured
    configurations (so a suggestion is a pure function of them, whatever the call order)."""
    task = zlib.crc32(np.ascontiguousarray(embedding, dtype=np.float64).tobytes())
    tag = zlib.crc32(",".join(str(i) for i in sorted(observed)).encode())
    return np.random.default_rng([int(seed), task, tag])


def best_measured(observed: dict[int, float]) -> int:
    """The measured column with the highest reward (the first one on a tie)."""
    return max(observed, key=lambda i: observed[i])
