"""Multi-fidelity advisors and the CPU-second few-shot protocol, on a seeded synthetic table with
learning curves (the shared interface of issue 24: fidelities, curves (T, S, C, F),
cost_seconds (S, C))."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest

from agents.advisor import (
    Budget,
    CostModel,
    FullFidelityAdvisor,
    RandomAdvisor,
    ScreenTopKConfig,
    SuccessiveHalvingAdvisor,
    SuccessiveHalvingConfig,
    make_multi_fidelity_advisor,
)
from agents.advisor.costloop import (
    CurveTable,
    cost_fewshot_markdown,
    held_out_cost_fewshot,
    run_cost_budget,
)

FIDELITIES = (0.5, 1.0, 2.0)
KEYS = tuple("_".join(map(str, p)) for p in itertools.product(range(4), repeat=3))  # 64


def synthetic_table(n_tasks: int = 6, seed: int = 0, informative_low: bool = True) -> CurveTable:
    """Curves that rise with fidelity towards each task's quality of a configuration (a shared
    part plus a task-dependent one), with seed noise; at low fidelity the order is kept
    (``informative_low``) or replaced by noise."""
    rng = np.random.default_rng(seed)
    c = len(KEYS)
    shared = rng.normal(0, 1, c)
    own = rng.normal(0, 1, (n_tasks, c))
    quality = 0.6 + 0.05 * (0.6 * shared + 0.8 * own)  # (T, C)
    rise = np.array([0.6, 0.8, 1.0])
    noise = 0.004 * (1 + rng.random((n_tasks, 1)))  # task-dependent seed noise
    curves = np.empty((n_tasks, 2, c, len(FIDELITIES)))
    for s in range(2):
        low = quality if informative_low else 0.6 + 0.05 * rng.normal(0, 1, (n_tasks, c))
        for f, r in enumerate(rise):
            q = low if f == 0 else quality
            curves[:, s, :, f] = r * q + noise * rng.normal(0, 1, (n_tasks, c))
    cost = 30.0 + 10.0 * rng.random((2, c))
    emb = np.abs(rng.normal(0, 1, (n_tasks, 8))) + 0.1
    untrained = np.full((n_tasks, 2), 0.3)
    splits = {f"t{i}": "seen" if i < n_tasks - 2 else "unseen" for i in range(n_tasks)}
    return CurveTable(tuple(splits), KEYS, FIDELITIES, curves, cost, emb, untrained, splits)


@pytest.fixture(scope="module")
def table() -> CurveTable:
    return synthetic_table()


def fitted(adv, table: CurveTable, t: int = 0, s: int = 0):
    train = [i for i in range(len(table.tasks)) if i != t]
    return adv.fit(table.embeddings[train], table.reward[train, s], table.keys)


def costs_of(table: CurveTable, s: int = 0) -> CostModel:
    return CostModel(table.fidelities, table.cost_seconds[s], table.keys)


ADVISORS = {
    "successive-halving": lambda seed: make_multi_fidelity_advisor(
        "successive-halving", seed, inner="gp-fixed"
    ),
    "sh-eta3": lambda seed: make_multi_fidelity_advisor(
        "successive-halving", seed, inner="gp-fixed", eta=3
    ),
    "screen-top-k": lambda seed: make_multi_fidelity_advisor(
        "screen-top-k", seed, inner="gp-fixed"
    ),
    "gp-fixed": lambda seed: make_multi_fidelity_advisor("gp-fixed", seed),
    "random": lambda seed: make_multi_fidelity_advisor("random-distinct", seed),
}


@pytest.mark.parametrize("name", sorted(ADVISORS))
@pytest.mark.parametrize("units", [0.3, 1.0, 2.5, 4.0])
def test_never_over_the_budget_and_charges_by_the_cost_rule(table, name, units):
    costs = costs_of(table)
    budget = Budget(seconds=units * table.full_cost())
    adv = fitted(ADVISORS[name](0), table)
    run = run_cost_budget(adv, table.embeddings[0], table.curves[0, 0], costs, budget)
    assert run.seconds <= budget.seconds
    # each configuration costs cost(c) * (highest fidelity reached) / F_max: resumed queries
    # paid only the remainder
    top: dict[str, float] = {}
    for key, f in run.queries:
        assert f > top.get(key, 0.0)
        top[key] = f
    assert run.seconds == pytest.approx(sum(costs.cost(k) * f / 2.0 for k, f in top.items()))
    if budget.seconds >= costs.costs.max():
        assert run.queries, "a budget of any full pre-training buys at least one query"
    assert run.kept in table.keys


def test_resumption_costs_only_the_remainder():
    costs = CostModel(FIDELITIES, np.array([40.0, 80.0]), ("a", "b"))
    assert costs.query_cost("a", 0.5, {}) == 10.0
    assert costs.query_cost("a", 2.0, {"a": {0.5: 0.1}}) == 30.0
    assert costs.query_cost("a", 1.0, {"a": {2.0: 0.1}}) == 0.0
    assert costs.spent({"a": {0.5: 0.1, 1.0: 0.2, 2.0: 0.3}, "b": {0.5: 0.1}}) == 40.0 + 20.0


@pytest.mark.parametrize("fill", [False, True])
def test_successive_halving_promotes_and_resumes(table, fill):
    adv = fitted(
        make_multi_fidelity_advisor("successive-halving", inner="gp-fixed", fill=fill), table
    )
    costs = costs_of(table)
    budget = Budget(seconds=4 * table.full_cost())
    plan = adv.plan(table.embeddings[0], budget, costs)
    assert [f for f, _ in plan] == list(FIDELITIES)
    sizes = [n for _, n in plan]
    assert sizes[1] == sizes[0] // 2 and sizes[2] == sizes[0] // 4 and sizes[0] >= 6
    run = run_cost_budget(adv, table.embeddings[0], table.curves[0, 0], costs, budget)
    by_f = {f: [k for k, g in run.queries if g == f] for f in FIDELITIES}
    assert [len(by_f[f]) for f in FIDELITIES[:2]] == sizes[:2]
    low = {k: table.curves[0, 0, KEYS.index(k), 0] for k in by_f[0.5]}
    assert set(by_f[1.0]) == set(sorted(low, key=low.get, reverse=True)[: sizes[1]])
    # the last rung: the best of the rung before, in order (more of them when filling)
    mid = {k: table.curves[0, 0, KEYS.index(k), 1] for k in by_f[1.0]}
    in_line = sorted(mid, key=mid.get, reverse=True)
    assert by_f[2.0] == in_line[: len(by_f[2.0])]
    if fill:
        assert len(by_f[2.0]) >= sizes[2]
        nxt = in_line[len(by_f[2.0]) :]
        assert all(
            costs.query_cost(k, 2.0, {k: {1.0: 0}}) > budget.seconds - run.seconds for k in nxt
        )
    else:
        assert len(by_f[2.0]) == sizes[2]
    # the candidates are the top of the GP's prior ranking
    prior = adv.inner.prior(table.embeddings[0])[0]
    assert set(by_f[0.5]) == {KEYS[i] for i in np.argsort(-prior)[: sizes[0]]}
    # kept: the best fully trained
    full = {k: table.curves[0, 0, KEYS.index(k), 2] for k in by_f[2.0]}
    assert run.kept == max(full, key=full.get)


def test_screen_top_k_is_one_screen_then_k_full(table):
    adv = fitted(make_multi_fidelity_advisor("screen-top-k", inner="gp-fixed", k=3), table)
    budget = Budget(seconds=4 * table.full_cost())
    run = run_cost_budget(adv, table.embeddings[1], table.curves[1, 0], costs_of(table), budget)
    screened = [k for k, f in run.queries if f == 0.5]
    full = [k for k, f in run.queries if f == 2.0]
    assert len(full) >= 3 and len(screened) > 3 and not [q for q in run.queries if q[1] == 1.0]
    low = {k: table.curves[1, 0, KEYS.index(k), 0] for k in screened}
    assert full == sorted(low, key=low.get, reverse=True)[: len(full)]
    # a budget too small for k full trainings resumes fewer rather than none
    plan = adv.plan(table.embeddings[1], Budget(seconds=1.5 * table.full_cost()), costs_of(table))
    assert plan[-1][0] == 2.0 and 1 <= plan[-1][1] < 3


def test_successive_halving_beats_random_at_equal_budget():
    """Low fidelity is informative here; the candidates are random for both (no prior help)."""
    table = synthetic_table(n_tasks=8, seed=1)
    budgets = [Budget(seconds=4 * table.full_cost())]
    entries = {
        "sh": lambda seed: SuccessiveHalvingAdvisor(
            RandomAdvisor(seed), SuccessiveHalvingConfig(candidates="random"), seed
        ),
        "random": lambda seed: FullFidelityAdvisor(RandomAdvisor(seed)),
    }
    res = held_out_cost_fewshot(entries, table, budgets, "loto", seeds=(0, 1, 2))
    sh, rnd = res["entries"]["sh"]["mean"][0], res["entries"]["random"]["mean"][0]
    assert sh > rnd + 0.01
    # and not when low fidelity says nothing: the margin comes from the curves
    flat = held_out_cost_fewshot(entries, synthetic_table(8, 1, informative_low=False), budgets,
                                 "loto", seeds=(0, 1, 2))  # fmt: skip
    assert flat["entries"]["sh"]["mean"][0] < sh - 0.01
    for e in res["entries"].values():
        assert e["max_spent"][0] <= 1.0


def test_protocol_scores_held_out_and_reports_the_untrained_backbone(table):
    budgets = [Budget(seconds=2 * table.full_cost()), Budget(evaluations=3)]
    entries = {n: ADVISORS[n] for n in ("successive-halving", "gp-fixed")}
    res = held_out_cost_fewshot(entries, table, budgets, "seen-unseen")
    assert list(res["entries"]["gp-fixed"]["per_task"]) == ["t4", "t5"]
    assert res["untrained"]["mean"] == pytest.approx(0.3 / 0.6, rel=0.2)
    for e in res["entries"].values():
        assert all(0.8 < m <= 1.2 for m in e["mean"])
        assert e["evaluations"][1] <= 3
    assert res["entries"]["gp-fixed"]["evaluations"][1] == 3
    md = cost_fewshot_markdown(res)
    assert "untrained backbone" in md and "3 evals" in md


def test_deterministic_and_seeded(table):
    budget = Budget(seconds=3 * table.full_cost())

    def queries(factory, seed):
        adv = fitted(factory(seed), table)
        return run_cost_budget(
            adv, table.embeddings[0], table.curves[0, 0], costs_of(table), budget
        ).queries

    for name in ("successive-halving", "screen-top-k", "random"):
        assert queries(ADVISORS[name], 3) == queries(ADVISORS[name], 3)
    random_sh = lambda seed: make_multi_fidelity_advisor(  # noqa: E731
        "successive-halving", seed, inner="gp-fixed", candidates="random"
    )
    assert queries(random_sh, 0) != queries(random_sh, 1)


def test_errors(table):
    with pytest.raises(ValueError, match="needs seconds, evaluations or both"):
        Budget()
    with pytest.raises(ValueError, match="seconds must be finite and > 0"):
        Budget(seconds=0)
    with pytest.raises(ValueError, match="evaluations must be an integer"):
        Budget(evaluations=1.5)
    with pytest.raises(ValueError, match="eta must be a finite number > 1"):
        make_multi_fidelity_advisor("successive-halving", eta=1)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        ScreenTopKConfig(k=0)
    with pytest.raises(ValueError, match="fill must be True or False"):
        ScreenTopKConfig(fill="yes")
    with pytest.raises(ValueError, match="unknown multi-fidelity advisor"):
        make_multi_fidelity_advisor("bohb")
    with pytest.raises(ValueError, match="unknown hyperparameters"):
        make_multi_fidelity_advisor("screen-top-k", eta=2)
    with pytest.raises(ValueError, match="strictly ascending"):
        CostModel((1.0, 0.5), np.ones(2), ("a", "b"))
    costs = costs_of(table)
    with pytest.raises(
        ValueError, match=r"fidelity 0.7 is not one of the table's fidelities \[0.5, 1.0, 2.0\]"
    ):
        costs.query_cost(KEYS[0], 0.7, {})
    adv = fitted(
        make_multi_fidelity_advisor("successive-halving", inner="gp-fixed", min_fidelity=0.7), table
    )
    with pytest.raises(ValueError, match="not one of the table's fidelities"):
        adv.suggest(table.embeddings[0], {}, Budget(seconds=100), costs)
    adv = fitted(
        make_multi_fidelity_advisor("screen-top-k", inner="gp-fixed", screen_fidelity=2.0), table
    )
    with pytest.raises(ValueError, match="must be below the full fidelity"):
        adv.suggest(table.embeddings[0], {}, Budget(seconds=100), costs)

    class Greedy:  # queries past the budget
        name = "greedy"

        def suggest(self, embedding, observed, budget, costs):
            return (KEYS[len(observed)], 2.0)

    with pytest.raises(ValueError, match="beyond the budget"):
        run_cost_budget(
            Greedy(), table.embeddings[0], table.curves[0, 0], costs, Budget(seconds=50)
        )
    with pytest.raises(ValueError, match="observed must map fitted configurations"):
        adv.answer(table.embeddings[0], {"9_9_9": {0.5: 0.1}})
    bare = SimpleNamespace(curves=None, fidelities=None)
    with pytest.raises(ValueError, match="has no learning curves"):
        CurveTable.from_source(bare)


def test_from_source_reads_the_interface(table):
    source = SimpleNamespace(
        tasks=table.tasks, space=SimpleNamespace(all_keys=lambda: list(KEYS)),
        fidelities=table.fidelities, curves=table.curves, cost_seconds=table.cost_seconds,
        embeddings=table.embeddings, untrained=table.untrained, split=table.splits.get,
    )  # fmt: skip
    again = CurveTable.from_source(source)
    assert again.keys == KEYS and np.array_equal(again.reward, table.reward)
    assert again.folds("seen-unseen") == table.folds("seen-unseen")
    source.replicates = {t: table.reward[i] for i, t in enumerate(table.tasks)}
    assert CurveTable.from_source(source).tasks == table.tasks
    source.replicates = {t: table.reward[i] + 0.01 for i, t in enumerate(table.tasks)}
    with pytest.raises(ValueError, match="not its rewards"):
        CurveTable.from_source(source)


def test_an_evaluation_budget_is_the_single_fidelity_protocol(table):
    from agents.advisor import GPAdvisor
    from agents.advisor.loop import run_budgets

    full = fitted(FullFidelityAdvisor(GPAdvisor()), table)
    run = run_cost_budget(
        full, table.embeddings[0], table.curves[0, 0], costs_of(table), Budget(evaluations=5)
    )
    kept, measured = run_budgets(
        fitted(GPAdvisor(), table), table.embeddings[0], table.reward[0, 0], KEYS, (5,)
    )
    assert [k for k, _ in run.queries] == measured and run.kept == kept[0]
    assert {f for _, f in run.queries} == {2.0}


def test_the_registered_gp_ranks_the_candidates_through_its_nested_selection(table):
    adv = fitted(make_multi_fidelity_advisor("successive-halving"), table)
    plan = adv.plan(table.embeddings[0], Budget(seconds=2 * table.full_cost()), costs_of(table))
    query = adv.suggest(
        table.embeddings[0], {}, Budget(seconds=2 * table.full_cost()), costs_of(table)
    )
    prior = adv.inner.inner.prior(table.embeddings[0])[0]
    assert plan[0][0] == 0.5 and query == (KEYS[int(np.argmax(prior))], 0.5)


def test_held_out_rank_says_when_low_fidelity_ranks_well():
    from t2s_env.rewards.signal import held_out_rank

    good = synthetic_table(seed=4).curves
    flat = synthetic_table(seed=4, informative_low=False).curves
    assert min(held_out_rank(good, f) for f in range(3)) > 0.8
    assert abs(held_out_rank(flat, 0)) < 0.2 and held_out_rank(flat, 1) > 0.8


def test_on_a_replicate_table_file_with_curves(tmp_path):
    """The real source (``ReplicateRewardSource.from_file``), a partial third seed included:
    it grades but is no observation fold."""
    from curve_table import write_curve_table

    from t2s_env.rewards import ReplicateRewardSource

    source = ReplicateRewardSource.from_file(write_curve_table(tmp_path))
    table = CurveTable.from_source(source)
    assert table.observation_seeds() == [0, 1] and table.keys == tuple(source.space.all_keys())
    entries = {n: ADVISORS[n] for n in ("successive-halving", "gp-fixed")}
    res = held_out_cost_fewshot(entries, table, [Budget(seconds=2 * table.full_cost())], "loto")
    for e in res["entries"].values():
        assert e["max_spent"][0] <= 1.0 and np.isfinite(e["mean"][0])
    assert "untrained" not in res  # the file has no untrained reference beside it


def test_the_untrained_backbone_is_graded_as_the_answers_with_a_ragged_third_seed():
    """A third seed that measured 4 of 64 configurations weighs in the untrained reference
    as much as it does in the grades (``held_out_reference``), not as much as a full seed."""
    from t2s_env.rewards.signal import held_out_mean, held_out_reference

    two = synthetic_table()
    curves = np.concatenate([two.curves, two.curves[:, :1]], axis=1)  # a copy of seed 0 ...
    curves[:, 2, 4:] = np.nan  # ... that measured only the first 4 configurations
    cost = np.concatenate([two.cost_seconds, two.cost_seconds[:1]])
    untrained = np.tile([0.2, 0.3, 0.6], (len(two.tasks), 1))
    table = CurveTable(two.tasks, KEYS, FIDELITIES, curves, cost, two.embeddings, untrained,
                       two.splits)  # fmt: skip
    res = held_out_cost_fewshot({"gp-fixed": ADVISORS["gp-fixed"]}, table,
                                [Budget(evaluations=1)], "seen-unseen")  # fmt: skip
    reward = table.reward
    expected = [
        held_out_reference(untrained[t], reward[t], s)
        / held_out_mean(reward[t], s)[int(np.argmax(reward[t, s]))]
        for t in (4, 5)
        for s in (0, 1)
    ]
    assert res["untrained"]["mean"] == pytest.approx(np.mean(expected))
    naive = [np.mean(np.delete(untrained[t], s)) for t in (4, 5) for s in (0, 1)]
    assert np.mean(expected) < 0.8 * np.mean(naive) / 0.6  # the naive mean: seed 2 as full


def test_the_budget_unit_prices_the_seeds_an_advisor_observes():
    """A third seed measured on some tasks only (Task2Sim-CPU-v1's, on another machine and
    scoring fewer tasks) costs less; the budget unit is the median over the complete seeds."""
    from agents.advisor.costloop import CurveTable

    rng = np.random.default_rng(0)
    t, c = 4, 6
    curves = rng.uniform(0.2, 0.8, (t, 3, c, 2))
    curves[:2, 2] = np.nan  # seed 2 on tasks 2 and 3 only
    cost = np.array([[50.0] * c, [52.0] * c, [19.0] * c])
    table = CurveTable(tasks=tuple("abcd"), keys=tuple(map(str, range(c))), fidelities=(1.0, 2.0),
                       curves=curves, cost_seconds=cost, embeddings=rng.normal(size=(t, 3)))  # fmt: skip
    assert table.observation_seeds() == [0, 1]
    assert table.full_cost() == pytest.approx(51.0)
