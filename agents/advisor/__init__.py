"""Few-shot advisors: which configurations to pre-train on a new task, one at a time, and which
one to keep (the budgeted protocol of :func:`agents.evaluation.budget_curves`).

>>> import numpy as np
>>> from t2s_env.rewards import TableRewardSource
>>> src = TableRewardSource()
>>> adv = make_advisor("static", seed=0).fit(src.embeddings[1:], src.rewards[1:], src.space.all_keys())
>>> key = adv.suggest(src.embeddings[0], {})
>>> adv.answer(src.embeddings[0], {key: 0.3}) == key
True
>>> sorted(ADVISORS)
['gp', 'gp-fixed', 'random-distinct', 'static', 'static-z']

Multi-fidelity advisors (a budget in CPU seconds over learning curves; :mod:`agents.advisor.
multifidelity`) have their own registry, and any advisor above runs under such a budget fully
trained:

>>> sorted(MULTI_FIDELITY_ADVISORS)
['hyperband', 'mf-gp', 'screen-top-k', 'successive-halving']
>>> make_multi_fidelity_advisor("successive-halving", eta=3, inner="gp-fixed").config.eta
3.0
>>> make_multi_fidelity_advisor("gp-fixed").name
'gp-fixed'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from agents.advisor.base import Advisor, is_advisor
from agents.advisor.baselines import RandomAdvisor, StaticAdvisor, StaticConfig
from agents.advisor.gp import GPAdvisor, GPConfig
from agents.advisor.hyperband import (
    HyperbandAdvisor,
    HyperbandConfig,
    ModelBasedAdvisor,
    ModelBasedConfig,
)
from agents.advisor.multifidelity import (
    Budget,
    CostModel,
    FullFidelityAdvisor,
    MultiFidelityAdvisor,
    Query,
    ScreenTopKAdvisor,
    ScreenTopKConfig,
    SuccessiveHalvingAdvisor,
    SuccessiveHalvingConfig,
)
from agents.advisor.nested import NestedAdvisor

GP_GRID: tuple[dict[str, float], ...] = tuple(
    {"tau": tau, "a_emp": a_emp} for tau in (0.05, 0.03, 0.1) for a_emp in (2.0, 4.0)
)
"""The configurations the ``gp`` advisor compares by nested leave-one-task-out (the Task2Vec
temperature and the weight of the known tasks' covariance: the two it is most sensitive to)."""


@dataclass(frozen=True)
class AdvisorSpec:
    """One registry entry: how to build the advisor and what its hyperparameters are."""

    build: Callable[[Any, int], Advisor]
    """``build(config, seed)``."""
    config_type: type | None
    summary: str


def _gp(config: GPConfig | None, seed: int) -> Advisor:
    return NestedAdvisor(GPAdvisor, config or GPConfig(), GP_GRID, "gp", seed)


def _gp_fixed(config: GPConfig | None, seed: int) -> Advisor:
    return GPAdvisor(config, seed)


def _static(score: str) -> Callable[[Any, int], Advisor]:
    def build(config: StaticConfig | None, seed: int) -> Advisor:
        adv = StaticAdvisor(config or StaticConfig(score=score), seed)  # type: ignore[arg-type]
        adv.name = "static" if score == "fraction" else "static-z"
        return adv

    return build


ADVISORS: dict[str, AdvisorSpec] = {
    "gp": AdvisorSpec(
        _gp, GPConfig, "Gaussian prior from the known tasks, tau and a_emp by nested LOTO"
    ),
    "gp-fixed": AdvisorSpec(_gp_fixed, GPConfig, "the same model with fixed hyperparameters"),
    "static": AdvisorSpec(
        _static("fraction"), StaticConfig, "top-k of mean fraction-of-best (an anchor)"
    ),
    "static-z": AdvisorSpec(_static("z"), StaticConfig, "top-k of mean z-scored reward"),
    "random-distinct": AdvisorSpec(
        lambda config, seed: RandomAdvisor(seed), None, "random distinct configurations"
    ),
}
"""Advisor name -> :class:`AdvisorSpec`."""


def make_advisor(
    name: str, seed: int = 0, overrides: Mapping[str, Any] | None = None, **kwargs: Any
) -> Advisor:
    """Build advisor ``name`` (see :data:`ADVISORS`), some hyperparameters replaced by
    ``overrides`` (or keyword arguments)."""
    if name not in ADVISORS:
        raise ValueError(f"unknown advisor {name!r}; choose from {sorted(ADVISORS)}")
    spec = ADVISORS[name]
    changes = {**dict(overrides or {}), **kwargs}
    config = None
    if changes:
        if spec.config_type is None:
            raise ValueError(f"advisor {name!r} has no hyperparameters to override")
        known = {f.name for f in fields(spec.config_type)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown hyperparameters {unknown} for {name!r}: {sorted(known)}")
        default = StaticConfig(score="z") if name == "static-z" else spec.config_type()
        config = replace(default, **changes)
    return spec.build(config, int(seed))


@dataclass(frozen=True)
class MultiFidelitySpec:
    """One multi-fidelity registry entry."""

    build: Callable[[Any, int, Advisor], MultiFidelityAdvisor]
    """``build(config, seed, inner)``: ``inner`` is the single-fidelity advisor it builds on."""
    config_type: type
    summary: str
    needs_gp: bool = False
    """Whether the inner advisor must be a GP (``gp`` or ``gp-fixed``): its prior is the model."""


MULTI_FIDELITY_ADVISORS: dict[str, MultiFidelitySpec] = {
    "successive-halving": MultiFidelitySpec(
        lambda config, seed, inner: SuccessiveHalvingAdvisor(inner, config, seed),
        SuccessiveHalvingConfig,
        "successive halving over the inner advisor's prior top candidates, resumed rung by rung",
    ),
    "screen-top-k": MultiFidelitySpec(
        lambda config, seed, inner: ScreenTopKAdvisor(inner, config, seed),
        ScreenTopKConfig,
        "every candidate at one low fidelity, the top k resumed to full (arXiv 2307.15422)",
    ),
    "hyperband": MultiFidelitySpec(
        lambda config, seed, inner: HyperbandAdvisor(inner, config, seed),
        HyperbandConfig,
        "Hyperband's brackets of successive halving over the inner advisor's prior candidates",
    ),
    "mf-gp": MultiFidelitySpec(
        lambda config, seed, inner: ModelBasedAdvisor(inner, config, seed),
        ModelBasedConfig,
        "Hyperband's brackets, entries and promotions by the GP posterior of the final reward "
        "given every fidelity's values (needs the training curves)",
        needs_gp=True,
    ),
}
"""Multi-fidelity advisor name -> :class:`MultiFidelitySpec`."""


def make_multi_fidelity_advisor(
    name: str,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    inner: str = "gp",
    **kwargs: Any,
) -> MultiFidelityAdvisor:
    """Build multi-fidelity advisor ``name`` (:data:`MULTI_FIDELITY_ADVISORS`) on the
    single-fidelity advisor ``inner`` (:data:`ADVISORS`, which ranks its candidates), some
    hyperparameters replaced by ``overrides`` (or keyword arguments). A name of
    :data:`ADVISORS` gives that advisor under a multi-fidelity budget, every query fully trained
    (:class:`FullFidelityAdvisor`; ``overrides`` are its own)."""
    changes = {**dict(overrides or {}), **kwargs}
    if name in ADVISORS:
        return FullFidelityAdvisor(make_advisor(name, seed, changes))
    if name not in MULTI_FIDELITY_ADVISORS:
        raise ValueError(
            f"unknown multi-fidelity advisor {name!r}; choose from "
            f"{sorted(MULTI_FIDELITY_ADVISORS)} or a single-fidelity one {sorted(ADVISORS)}"
        )
    if inner not in ADVISORS:
        raise ValueError(f"unknown inner advisor {inner!r}; choose from {sorted(ADVISORS)}")
    spec = MULTI_FIDELITY_ADVISORS[name]
    if spec.needs_gp and inner not in ("gp", "gp-fixed"):
        raise ValueError(f"{name!r} needs a GP inner advisor ('gp' or 'gp-fixed'), got {inner!r}")
    known = {f.name for f in fields(spec.config_type)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"unknown hyperparameters {unknown} for {name!r}: {sorted(known)}")
    config = replace(spec.config_type(), **changes)
    return spec.build(config, int(seed), make_advisor(inner, seed))


def fit_on_table(name: str = "gp", seed: int = 0, source: Any = None) -> Advisor:
    """Advisor ``name`` fitted on every task of a reward table (the packaged one by default):
    what a user's new task is advised from."""
    from t2s_env.rewards import TableRewardSource

    source = TableRewardSource() if source is None else source
    advisor = make_advisor(name, seed)
    return advisor.fit(source.embeddings, source.rewards, source.space.all_keys())


__all__ = [
    "ADVISORS",
    "MULTI_FIDELITY_ADVISORS",
    "Advisor",
    "AdvisorSpec",
    "Budget",
    "CostModel",
    "FullFidelityAdvisor",
    "MultiFidelityAdvisor",
    "MultiFidelitySpec",
    "Query",
    "ScreenTopKAdvisor",
    "ScreenTopKConfig",
    "SuccessiveHalvingAdvisor",
    "SuccessiveHalvingConfig",
    "GPAdvisor",
    "GPConfig",
    "HyperbandAdvisor",
    "HyperbandConfig",
    "ModelBasedAdvisor",
    "ModelBasedConfig",
    "NestedAdvisor",
    "RandomAdvisor",
    "StaticAdvisor",
    "is_advisor",
    "fit_on_table",
    "make_advisor",
    "make_multi_fidelity_advisor",
]
