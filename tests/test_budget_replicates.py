"""The few-shot protocol on a table of seed replicates (the CPU table): by default (held-out seed)
an advisor is fitted on and measures one seed's replicates and the kept configuration is graded
on the other seed; with ``scoring="mean"`` what it measures is one replicate, as in the table's
env, and the score is by the replicate mean. And outside entries whose objects reuse a
registered name are told apart by their import path."""

from __future__ import annotations

import numpy as np
import pytest

from agents.advisor import make_advisor
from agents.evaluation import budget_curves, budgets_to_markdown, measured_row
from t2s_env.rewards import ReplicateRewardSource, TableRewardSource


@pytest.fixture(scope="module")
def cpu():
    return ReplicateRewardSource()


class Recorder:
    """An advisor that measures configurations in table order and keeps the best measured;
    every (key, value) it was told is recorded."""

    name = "recorder"
    seen: list[dict[str, float]] = []

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, embeddings, rewards, keys):
        self.keys = list(keys)
        return self

    def suggest(self, embedding, observed):
        Recorder.seen.append(dict(observed))
        return next(k for k in self.keys if k not in observed)

    def answer(self, embedding, observed):
        return max(observed, key=observed.get) if observed else self.keys[0]


def test_measured_row_is_one_replicate_per_configuration(cpu):
    rng = np.random.default_rng(0)
    row = measured_row(cpu, 0, rng)
    reps = cpu.replicates[cpu.tasks[0]]
    assert row.shape == (cpu.space.size,)
    assert np.all((row == reps[0]) | (row == reps[1]))
    assert 0.2 < np.mean(row == reps[0]) < 0.8  # both seeds are drawn
    assert not np.array_equal(row, cpu.rewards[0])
    np.testing.assert_array_equal(row, measured_row(cpu, 0, np.random.default_rng(0)))
    paper = TableRewardSource()
    np.testing.assert_array_equal(measured_row(paper, 3, rng), paper.rewards[3])


def test_advisors_see_replicates_and_are_scored_by_the_mean(cpu):
    Recorder.seen.clear()
    res = budget_curves(
        [Recorder], budgets=(0, 4), splits=["seen-unseen"], source=cpu, scoring="mean"
    )
    assert res["protocol"]["table"]["measurement"] == "one seed replicate"
    assert res["protocol"]["scoring"] == "mean"
    assert "one seed replicate" in budgets_to_markdown(res)
    assert "Scoring: mean" in budgets_to_markdown(res)
    keys = cpu.space.all_keys()
    told = Recorder.seen[-1]  # the last task's first 3 measurements, in table order
    task = res["protocol"]["splits"]["seen-unseen"][-1]
    reps = cpu.replicates[task]
    for key, value in told.items():
        assert value in reps[:, keys.index(key)]
    # k = 4: the kept one is the best measured replicate of the first 4 keys, graded by its mean
    i = cpu.task_index(task)
    rng = np.random.default_rng([0, i, 0])
    first4 = measured_row(cpu, i, rng)[:4]
    kept = int(np.argmax(first4))
    expected = cpu.rewards[i, kept] / cpu.rewards[i].max()
    got = res["entries"]["recorder"]["curves"]["seen-unseen"]["0.0"]["per_task"][task][1]
    assert got == pytest.approx(expected)


def noisy_gp(seed: int = 0):
    return make_advisor("gp-fixed", seed=seed, overrides={"noise_std": 0.03})


def test_an_outside_entry_reusing_a_registered_name_goes_by_its_import_path():
    res = budget_curves(["gp-fixed", noisy_gp], budgets=(0, 2), splits=["seen-unseen"])
    names = list(res["entries"])
    assert names[0] == "gp-fixed" and names[1].endswith(":noisy_gp")
    assert res["entries"][names[1]]["source"] == names[1]


def test_by_default_an_advisor_measures_one_seed_and_is_graded_on_the_other(cpu):
    """Held-out seed: fitted on and measuring seed s only, the kept configuration graded by the
    other seed over the cross-seed best; both folds averaged."""
    Recorder.seen.clear()
    res = budget_curves([Recorder], budgets=(4, 256), splits=["seen-unseen"], source=cpu)
    p = res["protocol"]
    assert p["scoring"] == "held-out seed"
    assert p["folds"] == [{"train_seeds": [0], "graded_seeds": [1]},
                          {"train_seeds": [1], "graded_seeds": [0]}]  # fmt: skip
    assert "Scoring: held-out seed" in budgets_to_markdown(res)
    keys = cpu.space.all_keys()
    task = p["splits"]["seen-unseen"][-1]
    reps = cpu.replicates[task]
    # the last run is fold 1 (trained on seed 1): it was told seed 1's values only
    told = Recorder.seen[-1]
    assert told and all(v == reps[1, keys.index(k)] for k, v in told.items())
    expected = []
    for s in (0, 1):
        best = reps[1 - s, int(np.argmax(reps[s]))]  # the cross-seed best
        kept4 = int(np.argmax(reps[s, :4]))
        expected.append([reps[1 - s, kept4] / best, 1.0])  # k = 256: every one measured on s
    got = res["entries"]["recorder"]["curves"]["seen-unseen"]["0.0"]["per_task"][task]
    np.testing.assert_allclose(got, np.mean(expected, axis=0))
