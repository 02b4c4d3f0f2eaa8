"""The observation: a task's Task2Vec vector, L2-normalised, as the authors fed it to their policy.

The one function that makes it, for the environment and for every agent or command that builds
an observation itself (evaluation, a recommendation for a new task, the agents' similarities).

>>> task_observation([3.0, 4.0]).tolist()
[0.6000000238418579, 0.800000011920929]
>>> task_observation(np.eye(2) * 5, dtype=np.float64).tolist()
[[1.0, 0.0], [0.0, 1.0]]
>>> task_observation([0.0, 0.0], allow_zero=True).tolist()
[0.0, 0.0]
>>> task_observation([0.0, 0.0])
Traceback (most recent call last):
ValueError: a Task2Vec vector is all zero (it has no direction to observe)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike


def task_observation(
    vectors: ArrayLike, dtype: DTypeLike | None = np.float32, *, allow_zero: bool = False
) -> np.ndarray:
    """Task2Vec vectors (one ``(D,)`` or rows ``(N, D)``) scaled to unit L2 norm.

    ``dtype`` is the observation's type (the environment's ``float32``), converted to before
    normalising; ``None`` keeps a floating input's type. Raises ``ValueError`` for an all-zero
    vector, unless ``allow_zero`` (an agent's placeholder rows), which keeps it zero.
    """
    v = np.asarray(vectors) if dtype is None else np.asarray(vectors, dtype=dtype)
    if not np.issubdtype(v.dtype, np.floating):
        v = v.astype(np.float64)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    if np.any(norms == 0):
        if not allow_zero:
            raise ValueError("a Task2Vec vector is all zero (it has no direction to observe)")
        norms = np.where(norms == 0, 1, norms)
    return v / norms


__all__ = ["task_observation"]
