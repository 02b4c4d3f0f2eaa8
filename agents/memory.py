"""What table-style agents remember: which observation is which task, and each task's rewards.

Per-task bandits and transfer agents key their statistics by task. They see only observations, so
:class:`TaskMemory` gives each distinct observation vector a row (the env returns the same vector
for the same task) and keeps reward sums and counts per (row, configuration).

>>> import numpy as np
>>> mem = TaskMemory(n_configs=4)
>>> obs = np.eye(3)[:2]
>>> mem.rows(obs).tolist(), mem.rows(obs[::-1]).tolist()
([0, 1], [1, 0])
>>> mem.update(np.array([0, 0]), np.array([2, 2]), np.array([0.5, 0.7]))
>>> float(mem.means()[0, 2]), int(mem.counts[0].sum())
(0.6, 2)
"""

from __future__ import annotations

import numpy as np


class TaskMemory:
    """Rows of observations seen so far and per-(row, configuration) reward statistics.

    Args:
        n_configs: Number of configurations (flat indices ``0..n_configs-1``).
    """

    def __init__(self, n_configs: int) -> None:
        if n_configs < 1:
            raise ValueError(f"n_configs must be >= 1, got {n_configs}")
        self.n_configs = int(n_configs)
        self._index: dict[bytes, int] = {}
        self.obs = np.zeros((0, 0))
        self.sums = np.zeros((0, n_configs))
        self.counts = np.zeros((0, n_configs), dtype=np.int64)

    def __len__(self) -> int:
        return len(self._index)

    @staticmethod
    def _key(row: np.ndarray) -> bytes:
        return np.asarray(row, dtype=np.float32).tobytes()

    def find(self, obs: np.ndarray) -> np.ndarray:
        """Row of each observation, ``-1`` for one never added."""
        return np.array([self._index.get(self._key(o), -1) for o in obs], dtype=np.int64)

    def rows(self, obs: np.ndarray) -> np.ndarray:
        """Row of each observation, adding the new ones."""
        out = self.find(obs)
        for i in np.flatnonzero(out < 0):
            key = self._key(obs[i])
            if key not in self._index:  # the same new task twice in one batch
                self._index[key] = len(self._index)
                o = np.asarray(obs[i], dtype=np.float64)[None]
                self.obs = o if self.obs.size == 0 else np.vstack([self.obs, o])
                self.sums = np.vstack([self.sums, np.zeros((1, self.n_configs))])
                self.counts = np.vstack([self.counts, np.zeros((1, self.n_configs), np.int64)])
            out[i] = self._index[key]
        return out

    def update(self, rows: np.ndarray, configs: np.ndarray, rewards: np.ndarray) -> None:
        """Add one reward per (row, configuration) pair."""
        np.add.at(self.sums, (rows, configs), rewards)
        np.add.at(self.counts, (rows, configs), 1)

    def means(self) -> np.ndarray:
        """Mean reward per (row, configuration); ``nan`` where never tried."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1), np.nan)

    def best_tried(self, row: int) -> int:
        """The configuration with the highest mean among those tried on ``row`` (-1 if none)."""
        if row < 0 or self.counts[row].sum() == 0:
            return -1
        return int(np.nanargmax(self.means()[row]))

    def pooled_best(self) -> int:
        """The configuration with the highest mean over the rows that tried it (-1 if none).

        What a per-task learner answers for a task it has never seen: the best it knows on
        average (rows weigh equally, whatever their number of pulls)."""
        if len(self) == 0 or self.counts.sum() == 0:
            return -1
        means = self.means()
        tried = np.isfinite(means)
        avg = np.where(
            tried.any(axis=0), np.nansum(means, axis=0) / np.maximum(tried.sum(axis=0), 1), -np.inf
        )
        return int(np.argmax(avg))

    def state(self) -> dict[str, np.ndarray]:
        """Arrays to checkpoint (the row order is the order of ``obs``)."""
        return {"mem_obs": self.obs, "mem_sums": self.sums, "mem_counts": self.counts}

    def set_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state`'s arrays, checked: ``mem_obs`` ``(R, D)``, ``mem_sums`` and
        ``mem_counts`` ``(R, n_configs)``, finite, counts whole numbers >= 0 (``ValueError``)."""
        obs, sums, counts = (np.asarray(arrays[k]) for k in ("mem_obs", "mem_sums", "mem_counts"))
        rows = obs.shape[0] if obs.ndim == 2 else -1
        expected = (rows, self.n_configs)
        if obs.ndim != 2 or sums.shape != expected or counts.shape != expected:
            raise ValueError(
                f"the memory arrays have shapes {obs.shape}, {sums.shape}, {counts.shape}; "
                f"expected (rows, dim), (rows, {self.n_configs}), (rows, {self.n_configs})"
            )
        if counts.dtype.kind not in "iu" or (counts.size and counts.min() < 0):
            raise ValueError("the memory's counts must be whole numbers >= 0")
        for name, a in (("observations", obs), ("reward sums", sums)):
            if a.dtype.kind not in "fiu" or not np.all(np.isfinite(a)):
                raise ValueError(f"the memory's {name} must be finite numbers")
        self.obs = obs.astype(np.float64)
        self.sums = sums.astype(np.float64)
        self.counts = counts.astype(np.int64)
        if self.obs.size == 0:
            self.obs = np.zeros((0, 0))
            self.sums = self.sums.reshape(0, self.n_configs)
            self.counts = self.counts.reshape(0, self.n_configs)
        self._index = {self._key(o): i for i, o in enumerate(self.obs)}
