"""Reward sources: what scores a (task, configuration) pair.

- :class:`TableRewardSource`: the paper's measured table (fast, the default).
- :class:`ReplicateRewardSource`: a table with seed replicates per cell (the packaged CPU
  table); an env draws one replicate per query.
- the live source (render, pre-train, 5-NN evaluate) lives in :mod:`t2s_env.rewards.live`.
- :mod:`t2s_env.rewards.signal`: whether seed replicates of a reward tell configurations apart
  (seed agreement, ANOVA, reliability of one seed, seeds needed), and held-out-seed scores
  of the reference choices (:func:`~t2s_env.rewards.signal.cross_seed_selection`).
- :func:`scoring_folds`: how an answer on a table is graded; on a replicate table by default on
  seeds the method did not learn from (``"held-out seed"``, :data:`SCORINGS`).
- :mod:`t2s_env.rewards.fidelity`: a replicate table's fidelities (epoch budgets) and the cost
  rule of queries at several of them (:class:`CostLedger`: a resumed pre-training costs only
  its remainder).
"""

from t2s_env.rewards.base import RewardSource, UnknownTaskError
from t2s_env.rewards.fidelity import CostLedger, fidelity_index
from t2s_env.rewards.table import (
    SCORINGS,
    ReplicateRewardSource,
    ScoringFold,
    TableRewardSource,
    default_scoring,
    scoring_folds,
)

__all__ = [
    "SCORINGS",
    "CostLedger",
    "ReplicateRewardSource",
    "RewardSource",
    "ScoringFold",
    "TableRewardSource",
    "UnknownTaskError",
    "default_scoring",
    "fidelity_index",
    "scoring_folds",
]
