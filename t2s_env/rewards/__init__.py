"""Reward sources: what scores a (task, configuration) pair.

- :class:`TableRewardSource`: the paper's measured table (fast, the default).
- :class:`ReplicateRewardSource`: a table with seed replicates per cell (the packaged CPU
  table); an env draws one replicate per query.
- the live source (render, pre-train, 5-NN evaluate) lives in :mod:`t2s_env.rewards.live`.
- :mod:`t2s_env.rewards.signal`: whether seed replicates of a reward tell configurations apart
  (seed agreement, ANOVA, reliability of one seed, seeds needed), and held-out-seed scores
  of the reference choices (:func:`~t2s_env.rewards.signal.cross_seed_selection`).
"""

from t2s_env.rewards.base import RewardSource, UnknownTaskError
from t2s_env.rewards.table import ReplicateRewardSource, TableRewardSource

__all__ = ["ReplicateRewardSource", "RewardSource", "TableRewardSource", "UnknownTaskError"]
