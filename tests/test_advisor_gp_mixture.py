"""The gp posterior as a mixture of Gaussians (``GPConfig.knob_only_prior``, ``integrate_scale``):
off by default (one component, the registry's curves unchanged), each doing what its docstring
says, and bad values named in the error."""

from __future__ import annotations

import numpy as np
import pytest

from agents.advisor import GPAdvisor, GPConfig, make_advisor
from agents.advisor.base import check_observed
from agents.advisor.loop import loto_curve, run_budgets
from t2s_env.rewards import TableRewardSource

SOURCE = TableRewardSource()
KEYS = SOURCE.space.all_keys()


def measured(adv: GPAdvisor, embedding, row, n: int) -> dict[str, float]:
    """The advisor's own first ``n`` measurements of ``row``."""
    _, keys = run_budgets(adv, embedding, row, KEYS, (n,))
    return {k: float(row[KEYS.index(k)]) for k in keys}


def test_options_off_are_the_default_and_one_component():
    assert GPConfig(knob_only_prior=0.0, integrate_scale=False) == GPConfig()
    adv = GPAdvisor().fit(SOURCE.embeddings[1:], SOURCE.rewards[1:], KEYS)
    obs = measured(adv, SOURCE.embeddings[0], SOURCE.rewards[0], 5)
    weights, comps = adv._mixture(SOURCE.embeddings[0], check_observed(obs, KEYS))
    assert len(comps) == 1 and weights.tolist() == [1.0]
    assert adv.model_weights(SOURCE.embeddings[0], obs) == {"known tasks": 1.0, "knob only": 0.0}


def test_the_knob_only_model_takes_over_a_task_the_known_tasks_do_not_explain():
    # A task whose rewards are an additive function of the knobs, unrelated to the table.
    rng = np.random.default_rng(0)
    options = np.array([k.split("_") for k in KEYS], dtype=float)
    row = 0.5 + options @ (0.02 * rng.standard_normal(options.shape[1]))
    embedding = rng.standard_normal(SOURCE.embeddings.shape[1])
    adv = GPAdvisor(GPConfig(knob_only_prior=0.5)).fit(SOURCE.embeddings, SOURCE.rewards, KEYS)
    assert adv.model_weights(embedding, {}) == {"known tasks": 0.5, "knob only": 0.5}
    assert adv.model_weights(embedding, measured(adv, embedding, row, 8))["knob only"] > 0.9
    # A known task's own row (and vector): the known-task model keeps the weight.
    for t in range(3):
        e, r = SOURCE.embeddings[t], SOURCE.rewards[t]
        assert adv.model_weights(e, measured(adv, e, r, 8))["known tasks"] > 0.98


def test_the_knob_only_mixture_gives_the_studys_fixed_curve():
    # The fixed-hyperparameter curve of benchmarks/results/fewshot_k16_study2.md.
    curve = loto_curve(
        lambda: make_advisor("gp-fixed", knob_only_prior=0.5),
        SOURCE.embeddings,
        SOURCE.rewards,
        KEYS,
    )
    assert np.round(curve.mean(axis=1), 3).tolist() == [
        0.901, 0.901, 0.912, 0.951, 0.979, 0.990, 0.997
    ]  # fmt: skip


def test_the_scale_mixture_keeps_every_scale_and_has_heavier_tails():
    adv = GPAdvisor(GPConfig(integrate_scale=True)).fit(
        SOURCE.embeddings[1:], SOURCE.rewards[1:], KEYS
    )
    e = SOURCE.embeddings[0]
    obs = measured(adv, e, SOURCE.rewards[0], 4)
    weights, comps = adv._mixture(e, check_observed(obs, KEYS))
    assert len(comps) == 21 and np.isclose(weights.sum(), 1.0) and (weights > 0).all()
    # The predictive of an unmeasured configuration: a scale mixture, so its kurtosis exceeds a
    # Gaussian's 3.
    j = next(i for i in range(len(KEYS)) if KEYS[i] not in obs)
    mu = np.array([c.scale * c.mean[j] for c in comps])
    var = np.array([(c.scale * c.sd[j]) ** 2 for c in comps])
    mean = weights @ mu
    central2 = weights @ (var + (mu - mean) ** 2)
    central4 = weights @ (3 * var**2 + 6 * var * (mu - mean) ** 2 + (mu - mean) ** 4)
    assert central4 / central2**2 > 3.0
    # The mode alone is the option off.
    mode = GPAdvisor().fit(SOURCE.embeddings[1:], SOURCE.rewards[1:], KEYS)
    top = comps[int(np.argmax([c.log_weight for c in comps]))]
    np.testing.assert_allclose(mode.posterior(e, obs), (top.mean, top.sd))


def test_mixture_advisors_are_deterministic_and_suggest_new_keys():
    e, row = SOURCE.embeddings[6], SOURCE.rewards[6]
    runs = []
    for _ in range(2):
        adv = GPAdvisor(GPConfig(knob_only_prior=0.5, integrate_scale=True)).fit(
            SOURCE.embeddings[:6], SOURCE.rewards[:6], KEYS
        )
        runs.append(run_budgets(adv, e, row, KEYS, (0, 4, 12)))
    assert runs[0] == runs[1] and len(set(runs[0][1])) == 12


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"knob_only_prior": 1.0}, "knob_only_prior"),
        ({"knob_only_prior": -0.1}, "knob_only_prior"),
        ({"knob_only_prior": float("nan")}, "knob_only_prior"),
        ({"integrate_scale": "yes"}, "integrate_scale"),
    ],
)
def test_bad_options_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_advisor("gp-fixed", **overrides)
