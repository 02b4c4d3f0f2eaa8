"""What seed replicates say about a reward: does it tell configurations apart beyond seed noise?

A live reward is one pre-training run; run it with several seeds per configuration and
:func:`replicate_signal` answers from the ``(configurations, seeds)`` matrix of accuracies:

- how well seeds agree on the ranking (Spearman between every pair of seed columns);
- whether configurations differ at all (one-way ANOVA, the seeds as each configuration's
  samples);
- one seed's noise (``seed_sd``, pooled within configurations) against the spread of the
  configurations' true means (``config_effect_sd``, by the method of moments), and the
  reliability of one seed's value ``r1 = effect var / (effect var + seed var)``, with the seeds a
  mean needs to reach 0.8 (Spearman-Brown, :func:`seeds_for_reliability`);
- the same with the seed as a block (``blocked_*``: a two-way ANOVA without replication). With
  common random numbers every configuration of a seed shares its initialisation and data
  order, so part of a seed's noise shifts all its configurations alike and changes no ranking;
  blocking removes that part.

Units are whatever ``acc`` holds (points or fractions); ``seed_sd`` and ``config_effect_sd`` come
in the same units.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> effect = np.linspace(0, 4, 32)[:, None]             # 32 configurations over 4 points
>>> acc = 60 + effect + rng.normal(0, 1, (32, 3))        # 3 seeds, noise SD 1 point
>>> fig = replicate_signal(acc)
>>> fig["spearman_mean"] > 0.6, fig["anova_p"] < 1e-6, round(fig["seed_sd"], 1)
(True, True, 0.9)
>>> shared = acc + np.array([5.0, -5.0, 0.0])           # a seed shifts all its configurations
>>> blocked = replicate_signal(shared)
>>> bool(blocked["blocked_single_seed_reliability"] > blocked["single_seed_reliability"])
True
"""

from __future__ import annotations

import itertools

import numpy as np


def seeds_for_reliability(r1: float, target: float = 0.8) -> float:
    """Seeds to average (at least 1) for reliability ``target`` when one seed's is ``r1``
    (Spearman-Brown); ``inf`` when one seed carries no signal.

    >>> round(seeds_for_reliability(0.5), 6), seeds_for_reliability(0.9), seeds_for_reliability(0)
    (4.0, 1.0, inf)
    """
    if not 0 <= target < 1:
        raise ValueError(f"target must lie in [0, 1), got {target!r}")
    if r1 <= 0:
        return float("inf")
    return float(max(1.0, target / (1 - target) * (1 - r1) / r1))


def _check(acc: np.ndarray) -> np.ndarray:
    acc = np.asarray(acc, dtype=np.float64)
    if acc.ndim != 2 or acc.shape[0] < 3 or acc.shape[1] < 2:
        raise ValueError(
            "replicate_signal needs a (configurations, seeds) matrix with at least 3 "
            f"configurations and 2 seeds, got shape {acc.shape}"
        )
    if not np.isfinite(acc).all():
        raise ValueError("replicate_signal needs every (configuration, seed) measured (no NaN)")
    return acc


def blocked_signal(acc: np.ndarray) -> dict[str, float]:
    """The seed-blocked figures of :func:`replicate_signal` (a two-way ANOVA without
    replication; reliability is ICC(C, 1), the consistency of one seed's ranking)."""
    from scipy import stats

    acc = _check(acc)
    n_configs, n_seeds = acc.shape
    grand = acc.mean()
    config_means, seed_means = acc.mean(axis=1), acc.mean(axis=0)
    ms_config = n_seeds * np.sum((config_means - grand) ** 2) / (n_configs - 1)
    residual = acc - config_means[:, None] - seed_means[None, :] + grand
    df_res = (n_configs - 1) * (n_seeds - 1)
    ms_res = np.sum(residual**2) / df_res
    f = ms_config / ms_res if ms_res > 0 else float("inf")
    r1 = max((ms_config - ms_res) / (ms_config + (n_seeds - 1) * ms_res), 0.0)
    return {
        "blocked_anova_F": float(f),
        "blocked_anova_p": float(stats.f.sf(f, n_configs - 1, df_res)),
        "blocked_single_seed_reliability": float(r1),
        "blocked_seeds_for_reliability_0.8": seeds_for_reliability(r1),
        "seed_block_sd": float(np.std(seed_means, ddof=1)),
    }


def replicate_signal(acc: np.ndarray) -> dict[str, object]:
    """The signal figures of ``acc``, ``(configurations, seeds)``, every cell measured (see the
    module's docstring). Floats are unrounded; ``spearman_pairs`` lists every seed pair's."""
    from scipy import stats

    acc = _check(acc)
    n_configs, n_seeds = acc.shape
    means = acc.mean(axis=1)
    pairs = [
        float(stats.spearmanr(acc[:, i], acc[:, j]).statistic)
        for i, j in itertools.combinations(range(n_seeds), 2)
    ]
    anova = stats.f_oneway(*acc)
    within = float(np.mean(np.var(acc, axis=1, ddof=1)))  # seed variance, pooled
    between = float(np.var(means, ddof=1))
    true_var = max(between - within / n_seeds, 0.0)  # method of moments
    r1 = true_var / (true_var + within) if true_var + within > 0 else 0.0
    return {
        "configurations": n_configs,
        "seeds": n_seeds,
        "range_of_config_means": float(np.ptp(means)),
        "spearman_pairs": pairs,
        "spearman_mean": float(np.mean(pairs)),
        "anova_F": float(anova.statistic),
        "anova_p": float(anova.pvalue),
        "seed_sd": float(np.sqrt(within)),
        "config_effect_sd": float(np.sqrt(true_var)),
        "single_seed_reliability": float(r1),
        "seeds_for_reliability_0.8": seeds_for_reliability(r1),
        **blocked_signal(acc),
    }
