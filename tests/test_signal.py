"""t2s_env.rewards.signal: the figures that say whether a reward tells configurations apart."""

from __future__ import annotations

import numpy as np
import pytest

from t2s_env.rewards import ReplicateRewardSource
from t2s_env.rewards.signal import blocked_signal, replicate_signal, seeds_for_reliability


def synthetic(effect_sd: float, seed_sd: float, block_sd: float = 0.0, n=400, seeds=3, rng=0):
    g = np.random.default_rng(rng)
    effect = g.normal(0, effect_sd, (n, 1))
    block = g.normal(0, block_sd, (1, seeds))
    return 60 + effect + block + g.normal(0, seed_sd, (n, seeds))


def test_recovers_the_variance_components_it_was_given():
    fig = replicate_signal(synthetic(effect_sd=2.0, seed_sd=1.0))
    assert fig["seed_sd"] == pytest.approx(1.0, abs=0.05)
    assert fig["config_effect_sd"] == pytest.approx(2.0, abs=0.15)
    assert fig["single_seed_reliability"] == pytest.approx(0.8, abs=0.03)  # 4 / (4 + 1)
    assert fig["seeds_for_reliability_0.8"] == pytest.approx(1.0, abs=0.2)
    assert len(fig["spearman_pairs"]) == 3 and fig["anova_p"] < 1e-30


def test_pure_noise_has_no_signal():
    fig = replicate_signal(synthetic(effect_sd=0.0, seed_sd=1.0, n=200))
    assert fig["anova_p"] > 0.01
    assert abs(fig["spearman_mean"]) < 0.15
    assert fig["single_seed_reliability"] < 0.1
    assert fig["seeds_for_reliability_0.8"] > 30


def test_blocking_removes_a_shift_shared_by_a_seed_s_configurations():
    acc = synthetic(effect_sd=1.0, seed_sd=1.0, block_sd=3.0)
    fig = replicate_signal(acc)
    assert fig["seed_sd"] > 2  # the shifts inflate the unblocked seed noise
    assert fig["blocked_single_seed_reliability"] == pytest.approx(0.5, abs=0.06)
    assert fig["blocked_single_seed_reliability"] > 2 * fig["single_seed_reliability"]
    assert fig["seed_block_sd"] > 1
    assert blocked_signal(acc) == {
        k: v for k, v in fig.items() if k.startswith(("blocked", "seed_b"))
    }


def test_on_the_packaged_cpu_table():
    src = ReplicateRewardSource()
    fig = replicate_signal(100 * src.replicates["fmnist-20shot"].T)
    assert fig["configurations"] == 256 and fig["seeds"] == 2
    assert 0.6 < fig["spearman_mean"] < 0.9 and fig["anova_p"] < 1e-20


@pytest.mark.parametrize(
    ("acc", "message"),
    [
        (np.zeros((5,)), "at least 3 configurations and 2 seeds"),
        (np.zeros((2, 3)), "at least 3 configurations"),
        (np.zeros((5, 1)), "2 seeds"),
        (np.array([[1.0, np.nan], [1, 2], [3, 4]]), "no NaN"),
    ],
)
def test_bad_input_is_named(acc, message):
    with pytest.raises(ValueError, match=message):
        replicate_signal(acc)


def test_seeds_for_reliability():
    assert seeds_for_reliability(0.5) == pytest.approx(4.0)
    assert seeds_for_reliability(0.5, target=0.5) == 1.0
    assert seeds_for_reliability(-0.1) == float("inf")
    with pytest.raises(ValueError, match="target"):
        seeds_for_reliability(0.5, target=1.0)


def test_cross_seed_selection_grades_on_the_other_seed():
    """Choosing on one seed and grading on the other scores below the mean-of-max, and exactly
    what the held-out seed says."""
    from t2s_env.rewards.signal import cross_seed_selection

    rng = np.random.default_rng(3)
    truth = rng.normal(0, 1, (6, 1, 128))
    acc = truth + rng.normal(0, 2, (6, 2, 128))  # noise twice the effects
    out = cross_seed_selection(acc, untrained=np.full((6, 2), -5.0))
    assert out["per_task_best"].shape == (6, 2)
    for t in range(6):
        for s in range(2):
            chosen = int(np.argmax(acc[t, s]))
            assert out["per_task_best"][t, s] == acc[t, 1 - s, chosen]
    assert out["mean_of_max"].mean() > out["per_task_best"].mean() + 1.0
    fixed = {s: int(np.argmax(acc[:, s].mean(axis=0))) for s in range(2)}
    assert out["fixed_choice"] == fixed
    assert np.allclose(out["best_fixed"][:, 0], acc[:, 1, fixed[0]])
    summary = out["summary"]
    assert summary["fixed_minus_untrained"]["mean"] > 4  # the untrained row is graded too
    assert summary["per_task_minus_fixed"]["se"] > 0


def test_cross_seed_selection_fixed_from_and_errors():
    from t2s_env.rewards.signal import cross_seed_selection

    acc = np.zeros((3, 2, 4))
    acc[0, :, 1] = 1.0  # task 0 prefers configuration 1, the others configuration 2
    acc[1:, :, 2] = 1.0
    out = cross_seed_selection(acc, fixed_from=np.array([True, False, False]))
    assert out["fixed_choice"] == {0: 1, 1: 1}
    assert out["summary"]["per_task_minus_fixed"]["mean"] == 2 / 3
    with pytest.raises(ValueError, match="tasks, seeds, configurations"):
        cross_seed_selection(acc[0])
    one_seed = acc.copy()
    one_seed[1, 1, 0] = np.nan
    with pytest.raises(ValueError, match="task 1 needs"):
        cross_seed_selection(one_seed)
    with pytest.raises(ValueError, match="untrained must have shape"):
        cross_seed_selection(acc, untrained=np.zeros(3))


def test_cross_seed_selection_choose_on_two_seeds():
    """``choose_on=2``: each choice on the mean of a pair of seeds, graded on the mean of the
    others; over many draws it picks better configurations than a one-seed choice."""
    from t2s_env.rewards.signal import cross_seed_selection

    rng = np.random.default_rng(5)
    truth = rng.normal(0, 1, (8, 1, 64))
    acc = truth + rng.normal(0, 2, (8, 4, 64))
    one = cross_seed_selection(acc)
    assert np.array_equal(
        one["per_task_best"], cross_seed_selection(acc, choose_on=1)["per_task_best"]
    )
    two = cross_seed_selection(acc, untrained=np.zeros((8, 4)), choose_on=2)
    assert two["per_task_best"].shape == (8, 6)  # the 6 pairs of 4 seeds
    assert sorted(two["fixed_choice"]) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    chosen = int(np.argmax(acc[3, [0, 2]].mean(axis=0)))
    assert two["per_task_best"][3, 1] == pytest.approx(acc[3, [1, 3], chosen].mean())
    fixed = int(np.argmax(acc[:, [1, 2]].mean(axis=(0, 1))))
    assert two["fixed_choice"][(1, 2)] == fixed
    assert two["best_fixed"][0, 3] == pytest.approx(acc[0, [0, 3], fixed].mean())
    # the choice is less noisy: its configurations are truly better
    picked_two = [truth[t, 0, np.argmax(acc[t, list(p)].mean(axis=0))]
                  for t in range(8) for p in [(0, 1), (2, 3)]]  # fmt: skip
    picked_one = [truth[t, 0, np.argmax(acc[t, s])] for t in range(8) for s in range(4)]
    assert np.mean(picked_two) > np.mean(picked_one)
    with pytest.raises(ValueError, match="choose_on must be"):
        cross_seed_selection(acc, choose_on=0)
    with pytest.raises(ValueError, match="task 0 needs 4 seed"):
        cross_seed_selection(acc, choose_on=4)


def test_cross_seed_selection_a_third_seed_on_some_tasks_grades_but_chooses_nothing():
    """Task2Sim-CPU-v1's layout: seeds 0 and 1 on every task, seed 2 on a few. Every task is
    graded on the folds of seeds 0 and 1 (each weighs the same, as the agents' scoring folds
    give them); seed 2 only joins the grade of the tasks that have it."""
    from t2s_env.rewards.signal import cross_seed_selection

    rng = np.random.default_rng(3)
    acc = rng.normal(0, 1, (4, 3, 16))
    acc[:2, 2] = np.nan  # tasks 0 and 1 have no seed 2
    out = cross_seed_selection(acc, untrained=np.zeros((4, 3)))
    assert out["per_task_best"].shape == (4, 2) and np.isfinite(out["per_task_best"]).all()
    assert sorted(out["fixed_choice"]) == [0, 1]
    chosen = int(np.argmax(acc[3, 0]))  # task 3, fold 0: chosen on seed 0, graded on 1 and 2
    assert out["per_task_best"][3, 0] == pytest.approx(acc[3, 1:, chosen].mean())
    chosen = int(np.argmax(acc[0, 1]))  # task 0, fold 1: graded on seed 0 alone
    assert out["per_task_best"][0, 1] == pytest.approx(acc[0, 0, chosen])
    # equal weights: the summary is the mean of per-task means
    per_task = out["per_task_best"].mean(axis=1)
    assert out["summary"]["per_task_best"]["mean"] == pytest.approx(per_task.mean())
