"""Distances between Task2Vec embeddings, and the shipped tasks nearest to a new one.

Two metrics (both in ``[0, 2]``, 0 for identical directions):

- ``"cosine"``: cosine distance of the L2-normalised vectors, the input the Task2Sim policy sees.
- ``"task2vec"``: Task2Vec's normalised (symmetric) cosine distance
  ``d_cos(Fa / (Fa + Fb), Fb / (Fa + Fb))`` with element-wise division (Achille et al., ICCV
  2019, Sec. 3.1): each filter is weighed by how the two tasks compare on it, so filters with
  large Fisher values in both tasks do not dominate.

>>> import numpy as np
>>> a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
>>> abs(round(cosine_distance(a, b), 6)), abs(round(task2vec_distance(a, b), 6))
(0.0, 0.0)
>>> [t for t, _ in nearest_tasks(load_task2vec().embedding[6], k=2)]
['SVHN', 'USPS']
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from t2s_env.data import Task2VecTable, load_task2vec

__all__ = ["METRICS", "cosine_distance", "distance_matrix", "nearest_tasks", "task2vec_distance"]

Metric = Literal["cosine", "task2vec"]
METRICS: tuple[str, ...] = ("cosine", "task2vec")


def _check(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"embeddings differ in length: {a.shape[0]} vs {b.shape[0]}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("embeddings must be finite")
    return a, b


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("cosine distance of a zero vector is undefined")
    return float(1.0 - np.dot(a, b) / (na * nb))


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``1 - cos(a, b)``: cosine distance of the L2-normalised embeddings."""
    return _cos(*_check(a, b))


def task2vec_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Task2Vec's normalised cosine: cosine distance of ``a / (a + b)`` and ``b / (a + b)``."""
    a, b = _check(a, b)
    if a.min() < 0 or b.min() < 0:
        raise ValueError("task2vec distance needs non-negative (Fisher) embeddings")
    s = a + b
    # Filters where both tasks are exactly 0 count as equal (0.5, 0.5); no additive epsilon,
    # which would not be negligible at the ~1e-7 scale of Fisher values.
    zero = s == 0
    s = np.where(zero, 1.0, s)
    return _cos(np.where(zero, 0.5, a / s), np.where(zero, 0.5, b / s))


def distance_matrix(x: np.ndarray, y: np.ndarray | None = None, metric: Metric = "task2vec"):
    """Pairwise distances between the rows of ``x`` and of ``y`` (default ``x``)."""
    fn = {"cosine": cosine_distance, "task2vec": task2vec_distance}.get(metric)
    if fn is None:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    y = x if y is None else y
    return np.array([[fn(a, b) for b in y] for a in x])


def nearest_tasks(
    vector: np.ndarray,
    k: int = 3,
    metric: Metric = "task2vec",
    table: Task2VecTable | None = None,
) -> list[tuple[str, float]]:
    """The ``k`` shipped tasks nearest to ``vector``, as ``(task, distance)``, nearest first."""
    table = table or load_task2vec()
    if not 1 <= k <= len(table.tasks):
        raise ValueError(f"k must be in [1, {len(table.tasks)}], got {k}")
    d = distance_matrix(np.asarray(vector)[None], table.embedding, metric)[0]
    order = np.argsort(d, kind="stable")[:k]
    return [(table.tasks[i], float(d[i])) for i in order]
