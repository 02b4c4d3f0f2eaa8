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

:func:`main_effects` says what each knob does to a task (least squares over the configurations,
per seed) and :func:`family_effects` averages them over a family of tasks: the per-family figure
(``agents.plotting.plot_main_effects`` draws it).

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
from collections.abc import Sequence

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


def _fold_seeds(acc_task: np.ndarray) -> list[int]:
    """Seeds (rows of ``(seeds, configurations)``) that measured every configuration."""
    return [s for s in range(acc_task.shape[0]) if np.isfinite(acc_task[s]).all()]


def held_out_mean(acc_task: np.ndarray, fold: int | Sequence[int]) -> np.ndarray:
    """Per configuration, the mean of every seed (row of ``(seeds, configurations)``) but
    ``fold`` (a seed, or several): what an answer chosen on seed ``fold`` is graded by (NaN
    where no other seed measured it).

    >>> held_out_mean(np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]]), 0).tolist()
    [4.0, 6.0]
    """
    others = np.delete(acc_task, list(np.atleast_1d(fold)), axis=0)
    measured = np.isfinite(others)
    total = np.where(measured, others, 0.0).sum(axis=0)
    count = measured.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def held_out_weights(acc_task: np.ndarray, fold: int | Sequence[int]) -> np.ndarray:
    """Per seed (row of ``(seeds, configurations)``), its weight in :func:`held_out_mean`
    ``(acc_task, fold)``, averaged over the configurations that mean grades (0 for ``fold``;
    the weights sum to 1): how to grade a per-seed reference such as the untrained backbone
    the way the configurations are graded. With complete seeds every other seed weighs the
    same; a seed that measured only some configurations (a ragged third seed) weighs by the
    share of the grades it enters.

    >>> held_out_weights(np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]]), 0).tolist()
    [0.0, 0.25, 0.75]
    """
    measured = np.isfinite(np.asarray(acc_task, dtype=np.float64))
    measured[list(np.atleast_1d(fold))] = False
    count = measured.sum(axis=0)
    graded = count > 0
    if not graded.any():
        return np.zeros(len(measured))
    return (measured[:, graded] / count[graded]).mean(axis=1)


def held_out_reference(
    reference: np.ndarray, acc_task: np.ndarray, fold: int | Sequence[int]
) -> float:
    """A per-seed reference ``(seeds,)`` (the untrained backbone of each seed's
    initialisation) graded like an answer chosen on ``fold``: weighted by
    :func:`held_out_weights` (over the seeds whose reference is finite; NaN if none is).

    >>> round(held_out_reference(np.array([0.5, 0.6, 0.7]), np.ones((3, 4)), 0), 6)
    0.65
    """
    reference = np.asarray(reference, dtype=np.float64)
    weights = held_out_weights(acc_task, fold) * np.isfinite(reference)
    if weights.sum() <= 0:
        return float("nan")
    return float(np.where(weights > 0, weights * reference, 0.0).sum() / weights.sum())


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64).ravel()
    se = float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
    return float(np.mean(values)), se


def cross_seed_selection(
    acc: np.ndarray,
    *,
    untrained: np.ndarray | None = None,
    fixed_from: np.ndarray | None = None,
    choose_on: int = 1,
) -> dict[str, object]:
    """Held-out-seed scores of the two reference choices on a replicate table.

    A maximum over noisy means is no oracle: the best of 256 two-seed means is high partly
    because its seeds were lucky. Here every choice is made on one seed (a *fold*) and graded on
    the mean of the task's other seeds, then averaged over folds (each seed that measured every
    configuration of every task is a fold, so that every task is graded on the same folds, as
    :func:`~t2s_env.rewards.scoring_folds` grades agents; a seed measured on some tasks only, such
    as a third seed given to the noisiest, grades those tasks' choices but makes none):

    - ``per_task_best``: per task, the configuration with the highest fold-seed accuracy (the
      cross-seed oracle: the best any method that measures every configuration once can do);
    - ``best_fixed``: one configuration for every task, the highest mean fold-seed accuracy over
      the tasks in ``fixed_from`` (all tasks by default; pass the seen tasks' mask to choose it
      where an agent would);
    - ``untrained``: the untrained backbone graded on the same seeds (``untrained[t, s]``: the
      initialisation of seed ``s`` scored without pre-training), when given.

    Args:
        acc: ``(tasks, seeds, configurations)`` accuracies (NaN where a seed was not
            measured; every task needs at least two seeds that measured every configuration),
            the layout of :attr:`t2s_env.data.ReplicateTable.reward`.
        untrained: ``(tasks, seeds)`` accuracies of the untrained backbone, or ``None``.
        fixed_from: Boolean mask over tasks from which best-fixed is chosen (``None``: all).
        choose_on: Seeds per fold. With ``k > 1`` every choice is made on the mean of ``k``
            complete seeds and graded on the mean of the others; the folds are all such sets
            of ``k`` seeds (a task needs ``k + 1`` complete seeds). More seeds per choice make
            it less noisy, as an agent that could afford ``k`` replicates would have it.

    Returns:
        ``per_task_best``, ``best_fixed`` and (if given) ``untrained``: ``(tasks, folds)``
        held-out scores (the same folds for every task); ``mean_of_max``:
        ``(tasks,)`` the old optimistic figure (the maximum over configurations of the all-seed
        mean); ``fixed_choice``: ``{fold: configuration index}`` (a fold is a seed, or a tuple
        of ``choose_on`` seeds); ``summary``: the mean over
        tasks x folds of each row and of the differences ``per_task_minus_fixed`` (and
        ``fixed_minus_untrained``, ``per_task_minus_untrained``), each with its standard error
        over the tasks x folds values. The units are those of ``acc``.

    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(0, 1, (4, 1, 64))                  # 4 tasks, 64 configurations
    >>> acc = truth + rng.normal(0, 1, (4, 2, 64))            # 2 seeds, noise as large
    >>> out = cross_seed_selection(acc, untrained=np.zeros((4, 2)))
    >>> out["per_task_best"].shape, bool(out["mean_of_max"].mean() > out["per_task_best"].mean())
    ((4, 2), True)
    """
    acc = np.asarray(acc, dtype=np.float64)
    if acc.ndim != 3:
        raise ValueError(f"acc must be (tasks, seeds, configurations), got shape {acc.shape}")
    n_tasks, n_seeds, _ = acc.shape
    if isinstance(choose_on, bool) or not isinstance(choose_on, (int, np.integer)) or choose_on < 1:
        raise ValueError(f"choose_on must be a whole number of seeds >= 1, got {choose_on!r}")
    complete = [_fold_seeds(acc[t]) for t in range(n_tasks)]
    for t, f in enumerate(complete):
        if len(f) < choose_on + 1:
            raise ValueError(
                f"task {t} needs {choose_on} seed(s) that measured every configuration and "
                f"another seed to grade on; it has {len(f)} complete seed(s) of {n_seeds}"
            )
    # every task is graded on the same folds (the seeds complete on every task, as
    # t2s_env.rewards.scoring_folds grades agents), so that each task weighs the same; a task's
    # other seeds, such as a third seed measured on a few tasks only, grade but choose nothing
    shared = sorted(set.intersection(*(set(f) for f in complete)))
    if len(shared) < choose_on:
        raise ValueError(
            f"choices need {choose_on} seed(s) that measured every configuration of every task; "
            f"the tasks share {len(shared)}"
        )
    folds = shared if choose_on == 1 else list(itertools.combinations(shared, choose_on))
    mask = np.ones(n_tasks, bool) if fixed_from is None else np.asarray(fixed_from, bool)
    if mask.shape != (n_tasks,) or not mask.any():
        raise ValueError(f"fixed_from must be a boolean mask over the {n_tasks} tasks, not empty")
    if untrained is not None:
        untrained = np.asarray(untrained, dtype=np.float64)
        if untrained.shape != (n_tasks, n_seeds):
            raise ValueError(
                f"untrained must have shape {(n_tasks, n_seeds)}, got {untrained.shape}"
            )

    def chosen_on(rows: np.ndarray, fold) -> np.ndarray:  # (..., seeds, configs) -> (..., configs)
        return rows[..., fold, :] if choose_on == 1 else rows[..., list(fold), :].mean(axis=-2)

    per_task = np.full((n_tasks, len(folds)), np.nan)
    fixed = np.full((n_tasks, len(folds)), np.nan)
    base = np.full((n_tasks, len(folds)), np.nan)
    fixed_choice = {s: int(np.argmax(chosen_on(acc[mask], s).mean(axis=0))) for s in folds}
    for t in range(n_tasks):
        for j, s in enumerate(folds):
            graded = held_out_mean(acc[t], s)
            per_task[t, j] = graded[int(np.argmax(chosen_on(acc[t], s)))]
            fixed[t, j] = graded[fixed_choice[s]]
            if untrained is not None:  # graded on the seeds the answers are, as weighted
                base[t, j] = held_out_reference(untrained[t], acc[t], s)
    rows = {"per_task_best": per_task, "best_fixed": fixed}
    if untrained is not None:
        rows["untrained"] = base
    measured = np.isfinite(acc)
    mean = np.where(measured, acc, 0.0).sum(axis=1) / np.maximum(measured.sum(axis=1), 1)
    out = {**rows, "mean_of_max": mean.max(axis=1), "fixed_choice": fixed_choice}
    return {**out, "summary": selection_summary(out)}


def selection_summary(selection: dict[str, object], tasks: np.ndarray | None = None) -> dict:
    """The ``summary`` of a :func:`cross_seed_selection` result over the tasks of the boolean
    mask ``tasks`` (all by default): the mean over tasks x folds of each row and of the
    differences, each with its standard error over those tasks x folds values.

    >>> acc = np.zeros((2, 2, 3))
    >>> acc[0, :, 1], acc[1, :, 2] = 1.0, 4.0
    >>> out = cross_seed_selection(acc, fixed_from=np.array([True, False]))
    >>> selection_summary(out, np.array([False, True]))["per_task_minus_fixed"]["mean"]
    4.0
    """
    rows = {k: np.asarray(selection[k]) for k in ("per_task_best", "best_fixed", "untrained")
            if k in selection}  # fmt: skip
    n_tasks = len(rows["per_task_best"])
    mask = np.ones(n_tasks, bool) if tasks is None else np.asarray(tasks, bool)
    if mask.shape != (n_tasks,) or not mask.any():
        raise ValueError(f"tasks must be a boolean mask over the {n_tasks} tasks, not empty")
    rows = {k: v[mask] for k, v in rows.items()}
    diffs = {"per_task_minus_fixed": rows["per_task_best"] - rows["best_fixed"]}
    if "untrained" in rows:
        diffs["fixed_minus_untrained"] = rows["best_fixed"] - rows["untrained"]
        diffs["per_task_minus_untrained"] = rows["per_task_best"] - rows["untrained"]
    summary = {}
    for name, values in {**rows, **diffs}.items():
        m, se = _mean_se(values[np.isfinite(values)])
        summary[name] = {"mean": m, "se": se}
    return summary


def knob_matrix(configs: Sequence[str], space=None) -> tuple[list[str], np.ndarray]:
    """``(knobs that vary, (configs, knobs) 0/1 indicators: off its first option or not)`` of
    configuration keys of ``space`` (the paper's by default).

    >>> names, x = knob_matrix(["0_0_0_0_0_1_0_0_0", "1_1_1_1_1_3_0_1_1"])
    >>> len(names), x.sum(axis=1).tolist()
    (8, [0.0, 8.0])
    """
    if space is None:
        from t2s_env.space import PAPER_SPACE

        space = PAPER_SPACE
    knobs = [k for k in space.knobs if len(k.options) > 1]
    rows = []
    for key in configs:
        cfg = space.key_to_dict(key)
        rows.append([float(str(cfg[k.name]) != str(k.options[0])) for k in knobs])
    return [k.name for k in knobs], np.array(rows).reshape(len(rows), len(knobs))


def main_effects(
    acc: np.ndarray, configs: Sequence[str], space=None
) -> tuple[list[str], np.ndarray, str]:
    """Main effect of each knob, per task and seed: ``(names, (tasks, seeds, knobs), method)``, in
    the units of ``acc`` (``(tasks, seeds, configs)``, every cell measured).

    Least squares over every configuration (each knob on/off at once) when the configurations
    separate the knobs; else the one-at-a-time contrasts of a study's design, for the knobs
    whose four configurations were measured: ``((alone on - all off) + (all on - alone off)) / 2``
    (knobs that cannot be estimated are left out; a ValueError if none can).

    >>> from t2s_env.space import PAPER_SPACE
    >>> keys = PAPER_SPACE.all_keys()
    >>> names, x = knob_matrix(keys)
    >>> acc = (50 + 2 * x[:, 0] - 1 * x[:, 3]).reshape(1, 1, -1)   # 2 points on, 1 point off
    >>> names, effects, method = main_effects(acc, keys)
    >>> effects[0, 0].round(6).tolist()[:4], method
    ([2.0, 0.0, 0.0, -1.0], 'least squares over 256 configurations')
    """
    names, x = knob_matrix(configs, space)
    acc = np.asarray(acc, dtype=np.float64)
    if acc.ndim != 3 or acc.shape[2] != len(configs):
        raise ValueError(
            f"acc must be (tasks, seeds, {len(configs)} configurations), got shape {acc.shape}"
        )
    design = np.column_stack([np.ones(len(configs)), x])
    if np.linalg.matrix_rank(design) == design.shape[1]:
        coef = np.linalg.lstsq(design, acc.reshape(-1, len(configs)).T, rcond=None)[0]
        effects = coef[1:].T.reshape(acc.shape[0], acc.shape[1], len(names))
        return names, effects, f"least squares over {len(configs)} configurations"
    rows = {tuple(r): i for i, r in enumerate(x.astype(int).tolist())}
    off, on = tuple([0] * len(names)), tuple([1] * len(names))
    effects = np.full((acc.shape[0], acc.shape[1], len(names)), np.nan)
    for k in range(len(names)):
        alone_on = tuple(int(i == k) for i in range(len(names)))
        alone_off = tuple(int(i != k) for i in range(len(names)))
        idx = [rows.get(c) for c in (alone_on, off, on, alone_off)]
        if None not in idx:
            a, b, c, d = (acc[..., i] for i in idx)
            effects[..., k] = ((a - b) + (c - d)) / 2
    keep = ~np.isnan(effects).all(axis=(0, 1))
    if not keep.any():
        raise ValueError(f"{len(configs)} configurations do not separate any knob")
    names, effects = [n for n, k in zip(names, keep, strict=True) if k], effects[..., keep]
    return (
        names,
        effects,
        "one-at-a-time contrasts (the configurations do not yet separate every knob by least squares)",
    )


def family_effects(
    effects: np.ndarray, families: Sequence[str]
) -> dict[str, dict[str, np.ndarray]]:
    """Per family (in first-seen order): ``mean`` ``(knobs,)`` over its tasks and seeds,
    ``per_seed`` ``(seeds, knobs)`` over its tasks, and its ``tasks`` (row indices), from the
    ``(tasks, seeds, knobs)`` effects of :func:`main_effects`.

    >>> e = np.arange(12.0).reshape(3, 2, 2)               # 3 tasks, 2 seeds, 2 knobs
    >>> out = family_effects(e, ["a", "b", "a"])
    >>> out["a"]["mean"].tolist(), out["a"]["per_seed"].tolist(), out["b"]["tasks"]
    ([5.0, 6.0], [[4.0, 5.0], [6.0, 7.0]], [1])
    """
    effects = np.asarray(effects, dtype=np.float64)
    if effects.ndim != 3 or len(families) != effects.shape[0]:
        raise ValueError(
            f"effects must be (tasks, seeds, knobs) with one family per task; got shape "
            f"{effects.shape} and {len(families)} families"
        )
    out = {}
    for f in dict.fromkeys(families):
        rows = [i for i, g in enumerate(families) if g == f]
        out[f] = {
            "tasks": rows,
            "mean": effects[rows].mean(axis=(0, 1)),
            "per_seed": effects[rows].mean(axis=0),
        }
    return out


def held_out_rank(curves: np.ndarray, f: int) -> float:
    """How well fidelity ``f`` ranks the configurations as an independent full pre-training
    would: per task and seed, Spearman over the configurations between that seed's curves at
    ``f`` and the other seeds' mean at the full budget; the mean over them (NaN with one seed).
    ``curves``: ``(tasks, seeds, configurations, fidelities)``, a replicate table's learning
    curves. What successive halving relies on (``t2s info`` prints it per fidelity).

    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(0, 1, (2, 1, 50, 1))
    >>> curves = truth * np.array([0.5, 1.0]) + rng.normal(0, 0.1, (2, 2, 50, 2))
    >>> bool(held_out_rank(curves, 0) > 0.9)
    True
    """
    from scipy import stats

    rhos = []
    for task in curves:  # (seeds, configurations, fidelities)
        for j in range(task.shape[0]):
            low, full = task[j, :, f], held_out_mean(task[..., -1], j)
            both = np.isfinite(low) & np.isfinite(full)
            if both.sum() >= 3:
                rhos.append(stats.spearmanr(low[both], full[both]).statistic)
    return float(np.mean(rhos)) if rhos else float("nan")
