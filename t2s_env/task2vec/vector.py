"""From a Fisher diagonal to the vector an agent sees (:data:`VECTOR_MODES`).

- ``"fisher"``: the filter-wise Fisher itself, as the 20 shipped paper vectors.
- ``"conv-log-z"``: each convolution's block of filters is replaced by the z-scores of its
  log-Fisher (``log F`` minus the block's mean, over the block's standard deviation); the
  batch-norm blocks are set to 0. The live probe's vectors (:data:`LIVE_TASK2VEC`) use it.

Why ``"conv-log-z"``: by the agents' distance (cosine of the L2-normalised vector) a raw Fisher
vector is dominated by a few large entries that every task shares (batch-norm blocks sit one to
two orders of magnitude above the convolutions, :mod:`t2s_env.task2vec.layout`), so all live
tasks are 0.6-0.99 similar. Log and per-block z-scores make each block count equally and
compare only how a task spreads its Fisher over a layer's filters (the cosine of two such
vectors is the mean of their per-layer correlations), which is where the transformations
differ. Measured by ``benchmarks/live_task2vec.py`` (``benchmarks/results/live_task2vec.md``).
The mapping is per vector: it does not depend on the other tasks.

>>> import numpy as np
>>> v = task_vector(np.exp(np.arange(9600.0) % 7), "conv-log-z")
>>> v.shape, abs(round(float(v[:64].mean()), 6)), round(float(v[:64].std()), 6), bool(v[64:128].any())
((9600,), 0.0, 1.0, False)
"""

from __future__ import annotations

import numpy as np

from t2s_env.task2vec.config import VECTOR_MODES

__all__ = ["VECTOR_MODES", "task_vector"]

_FLOOR = 1e-12
"""Fisher entries below this share of their block's largest are raised to it before the log
(an exactly-zero filter, a dead ReLU's, would otherwise be ``-inf``)."""


def task_vector(fisher: np.ndarray, mode: str = "fisher") -> np.ndarray:
    """The ``mode`` vector (:data:`VECTOR_MODES`) of one ResNet-18 Fisher diagonal (9,600)."""
    from t2s_env.task2vec.layout import embedding_dim, resnet18_layout

    f = np.asarray(fisher, dtype=np.float64)
    if mode not in VECTOR_MODES:
        raise ValueError(f"vector mode must be one of {VECTOR_MODES}, got {mode!r}")
    if mode == "fisher":
        return f.astype(np.float32)
    layout = resnet18_layout()
    if f.shape != (embedding_dim(layout),):
        raise ValueError(
            f"{mode!r} needs a ResNet-18 Fisher of {embedding_dim(layout)} entries, got shape "
            f"{f.shape}"
        )
    if not np.all(np.isfinite(f)) or f.min() < 0:
        raise ValueError(f"{mode!r} needs a finite, non-negative Fisher")
    out = np.zeros_like(f)
    for block in layout:
        if block.kind != "conv":
            continue
        b = f[block.start : block.stop]
        if b.max() == 0:
            continue
        x = np.log(np.maximum(b, b.max() * _FLOOR))
        sd = x.std()
        out[block.start : block.stop] = (x - x.mean()) / sd if sd > 0 else 0.0
    return out.astype(np.float32)
