"""Counter-based random numbers: a pure function of ``(seed, index, stream)``.

Every per-image random draw of the embedded simulator comes from here, so an image depends only
on the seed and its own index in the dataset -- never on the batch it was rendered in, nor on
the order of the draws. The mixing function is SplitMix64 (Steele, Lea & Flood, "Fast
splittable pseudorandom number generators", OOPSLA 2014), vectorised over numpy ``uint64``.

>>> u = uniform(seed=0, index=np.arange(4), stream=1, n=2)
>>> u.shape, bool(((u >= 0) & (u < 1)).all())
((4, 2), True)
>>> bool((uniform(0, np.arange(4), 1, 2)[2] == uniform(0, np.array([2]), 1, 2)[0]).all())
True
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK53 = np.uint64((1 << 53) - 1)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser applied elementwise to a ``uint64`` array."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def bits(seed: int, index: np.ndarray, stream: int, n: int) -> np.ndarray:
    """``(len(index), n)`` uint64 hashes of ``(seed, index, stream, j)`` for ``j < n``."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    idx = np.asarray(index, dtype=np.uint64).reshape(-1, 1)
    with np.errstate(over="ignore"):
        mixed = splitmix64(np.array([stream], dtype=np.uint64) * _M2)
    key = splitmix64(np.array([seed], dtype=np.uint64) ^ mixed)
    j = np.arange(n, dtype=np.uint64).reshape(1, -1)
    with np.errstate(over="ignore"):
        return splitmix64(splitmix64(idx * _M1 + key) + j * _GOLDEN)


def uniform(seed: int, index: np.ndarray, stream: int, n: int = 1) -> np.ndarray:
    """``(len(index), n)`` float64 uniforms in ``[0, 1)``, one row per index."""
    return (bits(seed, index, stream, n) & _MASK53).astype(np.float64) / float(1 << 53)


def integers(seed: int, index: np.ndarray, stream: int, high: int, n: int = 1) -> np.ndarray:
    """``(len(index), n)`` int64 uniforms in ``[0, high)``."""
    if high < 1:
        raise ValueError(f"high must be >= 1, got {high}")
    return (bits(seed, index, stream, n) % np.uint64(high)).astype(np.int64)


def normal(seed: int, index: np.ndarray, stream: int, n: int = 1) -> np.ndarray:
    """``(len(index), n)`` standard normals (Box-Muller on two counter streams)."""
    u1 = uniform(seed, index, stream, n)
    u2 = uniform(seed, index, stream + 7919, n)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
