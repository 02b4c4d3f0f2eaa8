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

:func:`family_agreement` asks whether a set of tasks' vectors know their families: leaving each
task out, is its nearest other task (by the agents' cosine) of the same family?

>>> v = np.array([[1.0, 0.1], [1.0, 0.2], [0.1, 1.0], [0.2, 1.0], [0.6, 0.5]])
>>> agree = family_agreement(v, ["a", "a", "b", "b", "c"])
>>> agree["fraction"], agree["with_mate"], agree["nearest"]
(1.0, 4, [1, 0, 3, 2, 1])
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from t2s_env.data import Task2VecTable, load_task2vec

__all__ = [
    "METRICS",
    "cosine_distance",
    "distance_matrix",
    "family_agreement",
    "nearest_other",
    "nearest_tasks",
    "task2vec_distance",
]

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


def nearest_other(vectors: np.ndarray) -> np.ndarray:
    """For each row, the index of the most similar *other* row by cosine similarity of the
    L2-normalised vectors (the agents' similarity, :func:`~t2s_env.space.task_observation`);
    ties go to the lower index."""
    from t2s_env.space.observation import task_observation

    unit = task_observation(vectors, np.float64)
    if len(unit) < 2:
        raise ValueError(f"need at least 2 vectors, got {len(unit)}")
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    return np.argmax(sims, axis=1)


def family_agreement(vectors: np.ndarray, families: list[str]) -> dict:
    """Leave-one-out nearest-neighbour agreement of ``families`` (one per row of ``vectors``).

    Returns ``nearest`` (each row's nearest other row), ``same`` (whether it is of the row's
    family), ``with_mate`` (rows whose family has another member) and ``fraction`` (the share
    of those whose nearest other row is a family mate).
    """
    if len(families) != len(vectors):
        raise ValueError(f"{len(families)} families for {len(vectors)} vectors")
    nearest = nearest_other(np.asarray(vectors))
    same = [families[i] == families[int(j)] for i, j in enumerate(nearest)]
    mates = [families.count(f) > 1 for f in families]
    hits = sum(s for s, m in zip(same, mates, strict=True) if m)
    n = sum(mates)
    return {
        "nearest": [int(j) for j in nearest],
        "same": same,
        "with_mate": n,
        "fraction": hits / n if n else float("nan"),
    }
