"""One fit of the ``gp`` advisor shared by every multi-fidelity entry that wraps it
(``fit_advisor(shared=...)``, ``held_out_cost_fewshot(share_fits=True)``): the same results,
bit for bit, as each entry fitting its own, for one nested selection per fold."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_multifidelity import synthetic_table

import agents.advisor.nested as nested
from agents.advisor import (
    GP_GRID,
    Budget,
    GPAdvisor,
    GPConfig,
    NestedAdvisor,
    make_advisor,
    make_multi_fidelity_advisor,
)
from agents.advisor.costloop import fit_advisor, held_out_cost_fewshot

mf = make_multi_fidelity_advisor
ENTRIES = {
    "sh": lambda seed: mf("successive-halving", seed),
    "sh-eta3-random": lambda seed: mf(
        "successive-halving", seed, inner="gp-fixed", eta=3, candidates="random"
    ),
    "screen": lambda seed: mf("screen-top-k", seed),
    "hyperband": lambda seed: mf("hyperband", seed),
    "mf-gp": lambda seed: mf("mf-gp", seed, schedule="halving"),
    "gp": lambda seed: mf("gp", seed),
    "sh-gp-fixed": lambda seed: mf("successive-halving", seed, inner="gp-fixed"),
    "gp-fixed": lambda seed: mf("gp-fixed", seed),
    "random": lambda seed: mf("random-distinct", seed),
}


@pytest.fixture()
def selections(monkeypatch) -> list[int]:
    """Counts the nested selection's inner leave-one-task-out runs (one per grid entry a fit)."""
    calls: list[int] = []
    real = nested.loto_curve

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(nested, "loto_curve", counted)
    return calls


@pytest.mark.slow
def test_shared_fits_give_bit_identical_results(selections):
    table = synthetic_table(n_tasks=5, seed=3)
    budgets = [Budget(seconds=u * table.full_cost()) for u in (1.0, 2.5, 6.0)]
    budgets.append(Budget(evaluations=3))
    own = held_out_cost_fewshot(ENTRIES, table, budgets, "seen-unseen", (0, 1), share_fits=False)
    per_entry = len(selections)
    shared = held_out_cost_fewshot(ENTRIES, table, budgets, "seen-unseen", (0, 1))
    assert json.dumps(shared) == json.dumps(own)  # every float, bit for bit (NaN too)
    # 2 held-out tasks x 2 observation seeds: one nested selection each instead of one per
    # gp entry (5) and advisor seed (2)
    folds = 2 * 2
    assert per_entry == folds * 5 * 2 * len(GP_GRID)
    assert len(selections) - per_entry == folds * len(GP_GRID)
    # the entries do differ (a shared fit that gave every entry the same answer would not)
    means = {name: tuple(e["mean"]) for name, e in shared["entries"].items()}
    assert len(set(means.values())) > 3


def test_fit_advisor_shares_one_inner_fit_per_rows_and_seed(selections):
    table = synthetic_table(n_tasks=5, seed=3)
    train, shared = [0, 1, 2], {}
    advisors = [
        fit_advisor(mf("successive-halving", 0), table, train, 0, shared),
        fit_advisor(mf("gp", 1), table, train, 0, shared),
        fit_advisor(mf("mf-gp", 2), table, train, 0, shared),
    ]
    assert len({id(a.inner) for a in advisors}) == 1
    assert len(selections) == len(GP_GRID)  # one selection for the three
    own = fit_advisor(mf("successive-halving", 0), table, train, 0)
    e = table.embeddings[4]
    assert own.inner is not advisors[0].inner
    # other rows or another observation seed: a fit of their own
    other = fit_advisor(mf("screen-top-k", 0), table, [0, 1, 3], 0, shared)
    seed1 = fit_advisor(mf("screen-top-k", 0), table, train, 1, shared)
    assert other.inner is not advisors[0].inner and seed1.inner is not advisors[0].inner
    assert len(selections) == 4 * len(GP_GRID)
    assert advisors[0].answer(e, {}) == own.answer(e, {})


def test_refitting_on_the_same_rows_is_a_no_op(selections):
    table = synthetic_table(n_tasks=5, seed=3)
    emb, rew = table.embeddings[:4], table.reward[:4, 0]
    adv = make_advisor("gp", 0).fit(emb, rew, table.keys)
    inner = adv.inner
    adv.fit(emb.copy(), rew.copy(), list(table.keys))  # equal data, new arrays
    assert adv.inner is inner and len(selections) == len(GP_GRID)
    adv.fit(emb, rew + 0.01 * np.arange(rew.shape[1]), table.keys)  # other rewards: a new fit
    assert adv.inner is not inner and len(selections) == 2 * len(GP_GRID)
    # a fit that fails leaves nothing to reuse: the next one on the first rows fits again
    with pytest.raises(ValueError, match="at least 3 known tasks"):
        adv.fit(emb[:2], rew[:2], table.keys)
    adv.fit(emb, rew, table.keys)
    assert len(selections) == 3 * len(GP_GRID)
    # the GP itself: the same rows keep its state; a changed config refits
    gp = GPAdvisor().fit(emb, rew, table.keys)
    mean = gp.prior(table.embeddings[4])[0]
    assert gp.fit(emb, rew, table.keys).prior(table.embeddings[4])[0] is mean  # its cache kept
    gp.config = GPConfig(tau=0.5)
    assert not np.array_equal(gp.fit(emb, rew, table.keys).prior(table.embeddings[4])[0], mean)


def test_fit_key_says_when_two_fits_are_the_same():
    a, b = make_advisor("gp", 0), make_advisor("gp", 7)
    assert a.fit_key == b.fit_key  # the seed plays no part in a noise-free selection
    assert make_advisor("gp-fixed", 0).fit_key == make_advisor("gp-fixed", 3).fit_key
    assert make_advisor("gp-fixed", 0, tau=0.1).fit_key != make_advisor("gp-fixed").fit_key
    assert a.fit_key != make_advisor("gp-fixed").fit_key

    def noisy(seed):
        return NestedAdvisor(GPAdvisor, GPConfig(), GP_GRID[:2], "gp", seed, inner_noise_std=0.01)

    assert noisy(0).fit_key != noisy(1).fit_key  # simulated inner noise: the seed counts
    assert noisy(0).fit_key == noisy(0).fit_key
