"""The gp model's robustness options (``GPConfig.rows``, ``floor``, ``knob_gains``): off by
default (the registry's curves are unchanged), each doing what its docstring says, and bad
values named in the error."""

from __future__ import annotations

import numpy as np
import pytest

from agents.advisor import GPAdvisor, GPConfig, make_advisor
from agents.advisor.baselines import zscore_rows
from agents.advisor.gp import normal_scores
from agents.advisor.loop import loto_curve
from t2s_env.rewards import TableRewardSource

SOURCE = TableRewardSource()
KEYS = SOURCE.space.all_keys()
TRAIN = list(range(1, 20))


def fitted(**overrides) -> GPAdvisor:
    return GPAdvisor(GPConfig(**overrides)).fit(
        SOURCE.embeddings[TRAIN], SOURCE.rewards[TRAIN], KEYS
    )


def test_defaults_keep_the_fixed_curve():
    # The figures of gp-fixed (benchmarks/results/fewshot.md) with every option off.
    curve = loto_curve(lambda: make_advisor("gp-fixed"), SOURCE.embeddings, SOURCE.rewards, KEYS)
    assert np.round(curve.mean(axis=1), 3).tolist() == [
        0.901, 0.901, 0.912, 0.955, 0.981, 0.986, 0.998
    ]  # fmt: skip
    explicit = GPConfig(rows="z", floor=None, knob_gains=(1.0,))
    assert explicit == GPConfig()


def test_normal_scores_keep_each_rows_order_and_drop_its_scale():
    rows = SOURCE.rewards[:3]
    scores = normal_scores(rows)
    for r, s in zip(rows, scores, strict=True):
        np.testing.assert_array_equal(np.argsort(r, kind="stable"), np.argsort(s, kind="stable"))
    # How far a failed configuration falls does not matter, only that it is last (z-scores do
    # depend on it).
    failed, worse = rows.copy(), rows.copy()
    failed[:, 0], worse[:, 0] = 0.0, -100.0
    np.testing.assert_allclose(normal_scores(failed), normal_scores(worse))
    assert not np.allclose(zscore_rows(failed), zscore_rows(worse))
    np.testing.assert_allclose(normal_scores(failed).std(axis=1), 1.0)
    adv = fitted(rows="normal-scores")
    mean, sd = adv.posterior(SOURCE.embeddings[0], {})
    assert mean.shape == sd.shape == (len(KEYS),) and np.isfinite(mean).all()


def test_floor_raises_a_failed_run_to_the_floor_and_nothing_else():
    e, row = SOURCE.embeddings[0], SOURCE.rewards[0]
    top, other = (KEYS[int(i)] for i in np.argsort(-row)[:2])
    bad = KEYS[int(np.argmin(row))]
    floor = 2.0
    adv = fitted(floor=floor)
    spread = float(np.median(SOURCE.rewards[TRAIN].std(axis=1)))
    best = float(row.max())
    failed = {top: best, other: best - 0.01, bad: best - 10 * spread}
    raised = {**failed, bad: best - floor * spread}
    np.testing.assert_allclose(adv.posterior(e, failed), adv.posterior(e, raised))
    # Measurements above the floor are left as they are; without a floor the failure counts.
    plain = fitted()
    assert not np.allclose(plain.posterior(e, failed)[0], plain.posterior(e, raised)[0])
    mild = {top: best, other: best - 0.01}
    np.testing.assert_allclose(adv.posterior(e, mild), plain.posterior(e, mild))


def test_knob_gains_let_the_tasks_own_structure_take_over():
    # Known tasks: one knob's first option is good. New task: the opposite, measured on half the
    # configurations. A gain above 1 explains it better, so the posterior moves further.
    parts = np.array([k.split("_") for k in KEYS])
    knob = next(p for p in range(parts.shape[1]) if len(set(parts[:, p])) == 2)
    good = (parts[:, knob] == sorted(set(parts[:, knob]))[0]).astype(float)
    rng = np.random.default_rng(0)
    rewards = 0.5 + 0.05 * good[None] + 0.002 * rng.standard_normal((6, len(KEYS)))
    emb = rng.standard_normal((7, 16))
    new = 0.5 + 0.05 * (1 - good) + 0.002 * rng.standard_normal(len(KEYS))
    measured = {KEYS[i]: float(new[i]) for i in range(0, len(KEYS), 16)}

    def posterior(gains):
        adv = GPAdvisor(GPConfig(knob_gains=gains)).fit(emb[:6], rewards, KEYS)
        return adv.posterior(emb[6], measured)

    mean1, sd1 = posterior((1.0,))
    mean16, sd16 = posterior((1.0, 16.0))
    gap = lambda m: m[good == 0].mean() - m[good == 1].mean()  # noqa: E731
    assert gap(mean16) > gap(mean1) > 0
    assert sd16.mean() > sd1.mean()  # the larger gain was chosen
    np.testing.assert_allclose(posterior((1.0, 1.0)), (mean1, sd1))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rows": "ranks"}, "rows"),
        ({"floor": 0.0}, "floor"),
        ({"floor": float("nan")}, "floor"),
        ({"knob_gains": ()}, "knob_gains"),
        ({"knob_gains": (1.0, -2.0)}, "knob_gains"),
        ({"gain_prior": 0.0}, "gain_prior"),
    ],
)
def test_bad_options_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_advisor("gp-fixed", **overrides)
