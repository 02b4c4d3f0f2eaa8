"""Hyperband and a model-based multi-fidelity advisor, on the cost rule and contract of
:mod:`agents.advisor.multifidelity`.

- :class:`HyperbandAdvisor` (Li et al., JMLR 2018): brackets of successive halving, each
  starting at a different fidelity (the most aggressive at the lowest, the last one training
  its candidates fully), the candidates taken in turn from an inner advisor's prior ranking
  (the ``gp`` advisor's: what the known tasks say).
- :class:`ModelBasedAdvisor` (``mf-gp``; BOHB-style in spirit, Falkner et al., ICML 2018, with
  the GP of the ``gp`` advisor as the model, conditioned on observations at any fidelity as in
  Kandasamy et al.'s BOCA): the same brackets (or one successive-halving bracket), but whom to
  start and whom to promote is decided by the GP's posterior mean of the *final* reward given
  every value observed so far. A value at a lower fidelity enters as a noisy, linearly scaled
  observation of the final one: ``value = offset + slope * final + noise``, the slope and the
  noise learned per fidelity on the training tasks' learning curves (one seed, within-task
  least squares) and the offset, one per fidelity, left free (integrated out under a flat
  prior, as the GP does with the task's offset). So a weak low fidelity (a small slope
  against its noise) moves the ranking little and the known tasks' prior decides; a strong one
  moves it much.

**How the brackets fit a budget.** With fidelities ``f_0 < ... < f_S`` (from ``min_fidelity``
up), bracket ``s`` (``s = S, ..., 0``) starts ``n_s = ceil(m (S + 1) / (s + 1) eta^s)``
candidates at ``f_{S-s}`` and keeps the best ``1/eta`` at each later rung (Li et al.'s
``n_i = floor(n eta^-i)``), but never fewer than ``ceil(eta^s)`` (so every bracket halves at
least once down to one survivor). One Hyperband iteration runs the brackets from the most
aggressive; the scale ``m`` (a multiple of 1/4) is the largest whose worst case (the most
expensive candidates promoted) fits the budget. A budget of 1 to 8 full pre-trainings rarely
covers a whole iteration (with ``(0.5, 1, 2)`` epochs and ``eta = 2`` it costs 7 at ``m = 1``,
4.5 at the smallest scale), so: if no scale fits, the least aggressive bracket is dropped (it
fully trains the prior's top, which is what the fill below and the ``gp`` advisor already do)
and the rest tried again; if not even the most aggressive bracket fits alone, it is one
successive-halving bracket sized as :class:`~agents.advisor.multifidelity.
SuccessiveHalvingAdvisor` sizes it (the largest first rung, else fewer rungs). With equal
costs that is: at 1 full pre-training one configuration through the rungs, at 2 the most
aggressive bracket alone (successive halving from 4), at 4 the two most aggressive, at 8 a
whole iteration and 1 left. ``mf-gp`` does not know in advance whom it will start, so it plans
for the most expensive configurations of the table. What the
worst-case plan leaves then goes, bracket by bracket, to the next in line for its last rung
(``fill``): for Hyperband the members that reached the highest rung below it first, each rung
by its values; for ``mf-gp`` by posterior mean, whatever rung they reached.

A configuration's bracket is read from what was observed (the lowest fidelity it was trained
to is where it entered: every bracket starts at its own fidelity), so :meth:`suggest` replays
the plan and stays a pure function of (fitted state, seed, embedding, observed, budget,
costs). The kept configuration is the best of those trained as far as any was: by its value
for Hyperband, by the posterior mean for ``mf-gp``.

>>> import numpy as np
>>> from agents.advisor.multifidelity import Budget, CostModel
>>> costs = CostModel((0.5, 1.0, 2.0), np.full(64, 10.0), [str(i) for i in range(64)])
>>> hyperband_brackets(costs.fidelities, 2.0, Budget(seconds=80), np.full(64, 10.0), 2.0)
[[(0.5, 4), (1.0, 2), (2.0, 1)], [(1.0, 3), (2.0, 1)], [(2.0, 3)]]
>>> hyperband_brackets(costs.fidelities, 2.0, Budget(seconds=40), np.full(64, 10.0), 2.0)
[[(0.5, 4), (1.0, 2), (2.0, 1)], [(1.0, 3), (2.0, 1)]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from agents.advisor.base import check_embedding, check_fit, observed_rng
from agents.advisor.multifidelity import (
    Budget,
    CostModel,
    Query,
    _check_bool,
    _check_candidates,
    _check_fidelity_option,
    _worst_case,
    check_fidelities,
    check_mf_observed,
    evaluations,
    latest,
    prior_ranking,
    reached,
)

Bracket = list[tuple[float, int]]
"""The rungs of one successive-halving bracket: ``[(fidelity, how many)]``."""

_JITTER = 1e-4
"""Noise variance (z-units^2) of a full-fidelity value, for a stable factorisation (as the GP)."""


def _check_eta(value: object) -> float:
    try:
        eta = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"eta must be a number > 1, got {value!r}") from None
    if not (np.isfinite(eta) and eta > 1):
        raise ValueError(f"eta must be a finite number > 1, got {value!r}")
    return eta


@dataclass(frozen=True)
class HyperbandConfig:
    """Hyperparameters of :class:`HyperbandAdvisor`."""

    eta: float = 2.0
    """Keep the best ``1/eta`` of each rung for the next fidelity (> 1)."""
    min_fidelity: float | None = None
    """The most aggressive bracket's first fidelity (one of the table's; ``None``: the lowest)."""
    candidates: Literal["prior", "random"] = "prior"
    """Which configurations enter: the inner advisor's prior ranking, or a random order (from
    the seed and the task)."""
    fill: bool = True
    """Spend what the worst-case plan leaves on the next in line of each bracket's last rung."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", _check_eta(self.eta))
        _check_fidelity_option("min_fidelity", self.min_fidelity)
        _check_candidates(self.candidates)
        _check_bool("fill", self.fill)


@dataclass(frozen=True)
class ModelBasedConfig:
    """Hyperparameters of :class:`ModelBasedAdvisor`."""

    eta: float = 2.0
    """As :attr:`HyperbandConfig.eta`."""
    min_fidelity: float | None = None
    """As :attr:`HyperbandConfig.min_fidelity`."""
    schedule: Literal["hyperband", "halving"] = "hyperband"
    """The brackets: Hyperband's (module docstring) or one successive-halving bracket from the
    lowest fidelity."""
    explore: float = 0.0
    """Configurations enter by posterior mean + ``explore`` posterior sd (z-units; 0: by the
    mean)."""
    fill: bool = True
    """As :attr:`HyperbandConfig.fill`."""
    noise_std: float | None = None
    """One seed's noise SD of a final reward (fraction), added to every observation (scaled by
    the fidelity's slope below the last): the model then estimates the configurations' means
    over seeds, not this seed's values. ``None``: the inner GP's ``noise_std`` (0 by default)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", _check_eta(self.eta))
        _check_fidelity_option("min_fidelity", self.min_fidelity)
        if self.noise_std is not None and not (
            isinstance(self.noise_std, int | float)
            and not isinstance(self.noise_std, bool)
            and np.isfinite(self.noise_std)
            and self.noise_std >= 0
        ):
            raise ValueError(
                f"noise_std must be a finite number >= 0 or None, got {self.noise_std!r}"
            )
        if self.schedule not in ("hyperband", "halving"):
            raise ValueError(f"schedule must be 'hyperband' or 'halving', got {self.schedule!r}")
        if not (
            isinstance(self.explore, int | float)
            and not isinstance(self.explore, bool)
            and np.isfinite(self.explore)
            and self.explore >= 0
        ):
            raise ValueError(f"explore must be a finite number >= 0, got {self.explore!r}")
        _check_bool("fill", self.fill)


def _rung_fidelities(fidelities: Sequence[float], min_fidelity: float | None) -> tuple[float, ...]:
    lo = fidelities[0] if min_fidelity is None else float(min_fidelity)
    if lo not in fidelities:
        raise ValueError(
            f"min_fidelity {min_fidelity} is not one of the table's fidelities {list(fidelities)}"
        )
    return tuple(f for f in fidelities if f >= lo)


def _halving_sizes(n: int, rungs: int, eta: float) -> list[int]:
    return [max(1, int(np.floor(n / eta**i + 1e-9))) for i in range(rungs)]


def _plan_cost(brackets: Sequence[Bracket], cand_costs: np.ndarray, f_max: float):
    """Worst-case CPU seconds and evaluations of brackets drawing their candidates in turn from
    ``cand_costs`` (each bracket's most expensive promoted)."""
    seconds, evals, start = 0.0, 0, 0
    for bracket in brackets:
        fids, sizes = zip(*bracket, strict=True)
        # entering at fidelity f costs cost x f / F_max (_worst_case charges from 0)
        s, e = _worst_case(cand_costs[start : start + sizes[0]], fids, sizes, f_max)
        seconds, evals, start = seconds + s, evals + e, start + sizes[0]
    return seconds, evals


def hyperband_brackets(
    fidelities: Sequence[float],
    eta: float,
    budget: Budget,
    cand_costs: np.ndarray,
    f_max: float,
) -> list[Bracket]:
    """Hyperband's brackets fitted to ``budget`` (module docstring): ``fidelities`` are the
    rung fidelities (ascending, the last full training), ``cand_costs`` the full CPU seconds of
    the candidates in the order they would enter."""
    fids = tuple(fidelities)
    top = len(fids) - 1
    n_cand = len(cand_costs)

    def iteration(s_values: Sequence[int], m: float) -> list[Bracket] | None:
        out = []
        for s in s_values:
            n = max(
                int(np.ceil(m * (top + 1) / (s + 1) * eta**s - 1e-9)), int(np.ceil(eta**s - 1e-9))
            )
            out.append(list(zip(fids[top - s :], _halving_sizes(n, s + 1, eta), strict=True)))
        if sum(b[0][1] for b in out) > n_cand:
            return None
        return out

    for k in range(top + 1, 0, -1):
        s_values = list(range(top, top - k, -1))
        best = None
        for j in range(1, 4 * n_cand + 1):
            plan = iteration(s_values, j / 4)
            if plan is None or not budget.fits(*_plan_cost(plan, cand_costs, f_max)):
                break
            if plan != best:
                best = plan
        if best is not None:
            return best
    # not even the most aggressive bracket alone: one bracket, sized as successive halving
    return halving_bracket(fids, eta, budget, cand_costs, f_max)


def halving_bracket(
    fidelities: Sequence[float],
    eta: float,
    budget: Budget,
    cand_costs: np.ndarray,
    f_max: float,
) -> list[Bracket]:
    """One successive-halving bracket sized as :class:`~agents.advisor.multifidelity.
    SuccessiveHalvingAdvisor` sizes it: every rung from the first fidelity with the largest
    first rung whose worst case fits ``budget``, else fewer rungs; ``[]`` if nothing fits."""
    fids = tuple(fidelities)
    for r in range(len(fids), 0, -1):
        best = None
        for n in range(1, len(cand_costs) + 1):
            plan = [list(zip(fids[:r], _halving_sizes(n, r, eta), strict=True))]
            if not budget.fits(*_plan_cost(plan, cand_costs, f_max)):
                break
            best = plan
        if best is not None:
            return best
    return []


class _Brackets:
    """What :class:`HyperbandAdvisor` and :class:`ModelBasedAdvisor` share: a plan of brackets
    replayed against what was observed; the subclasses say in which order configurations enter
    and are promoted."""

    name = "brackets"

    def __init__(self, inner: Any, seed: int = 0) -> None:
        self.inner = inner
        self.seed = int(seed)
        self.keys: tuple[str, ...] = ()

    def fit(self, embeddings, rewards, keys: Sequence[str]):
        self.inner.fit(embeddings, rewards, keys)
        self.keys = tuple(map(str, keys))
        self._dim = np.asarray(embeddings).shape[1]
        return self

    def _check(self, budget: Budget, costs: CostModel) -> None:
        if not self.keys:
            raise RuntimeError("fit the advisor before asking it")
        if not isinstance(budget, Budget):
            raise TypeError(f"budget must be a Budget, got {type(budget)}")
        if not isinstance(costs, CostModel):
            raise TypeError(f"costs must be a CostModel, got {type(costs)}")
        if costs.keys != self.keys:
            raise ValueError("the cost model's keys are not the fitted configurations")

    # -- what the subclasses say -----------------------------------------------------------------
    def _planning_costs(self, embedding, costs: CostModel) -> np.ndarray:
        """Full CPU seconds of the candidates in the order the plan assumes they enter."""
        raise NotImplementedError

    def brackets(self, embedding, budget: Budget, costs: CostModel) -> list[Bracket]:
        raise NotImplementedError

    def _scorer(self, embedding, obs: dict[str, dict[float, float]]):
        """``(enter(key) -> sort key, promote(key, fidelity) -> sort key)``: smaller first."""
        raise NotImplementedError

    # -- the replay ------------------------------------------------------------------------------
    def suggest(self, embedding, observed, budget: Budget, costs: CostModel) -> Query | None:
        self._check(budget, costs)
        obs = check_mf_observed(observed, costs)
        plan = self.brackets(embedding, budget, costs)
        enter, promote = self._scorer(embedding, obs)

        def fits(key: str, f: float) -> bool:
            spend = costs.spent(obs) + costs.query_cost(key, f, obs)
            return budget.fits(spend, evaluations(obs) + 1)

        fresh = sorted((k for k in self.keys if k not in obs), key=enter)
        for bracket in plan:
            start = bracket[0][0]
            members = [k for k in obs if min(obs[k]) == start]
            for r, (f, size) in enumerate(bracket):
                if r == 0:
                    if len(members) < size:
                        return Query(fresh[0], f) if fresh and fits(fresh[0], f) else None
                    continue
                done = [k for k in members if reached(obs, k) >= f]
                if len(done) < size:
                    key = self._next_in_line(members, bracket[r - 1][0], f, obs, promote)
                    return Query(key, f) if key is not None and fits(key, f) else None
        if not (plan and self.config.fill):
            return None
        # what the worst-case plan left: each bracket's next in line to its last rung (those
        # that reached a higher rung first), else a new one there
        for bracket in plan:
            f = bracket[-1][0]
            members = [k for k in obs if min(obs[k]) == bracket[0][0] and reached(obs, k) < f]
            for key in sorted(members, key=lambda k: self._fill_key(k, obs, promote)):
                if fits(key, f):
                    return Query(key, f)
            if len(bracket) == 1 and fresh and fits(fresh[0], f):
                return Query(fresh[0], f)
        return None

    @staticmethod
    def _fill_key(key: str, obs, promote):
        """Who goes to the last rung first: the furthest trained, then by ``promote``."""
        return (-reached(obs, key), promote(key, reached(obs, key)))

    @staticmethod
    def _next_in_line(members, below: float, f: float, obs, promote) -> str | None:
        """The best member trained to ``below`` but not yet to ``f``."""
        ready = [k for k in members if below <= reached(obs, k) < f]
        return min(ready, key=lambda k: promote(k, below)) if ready else None

    def _at_top(self, observed) -> list[str]:
        if not self.keys:
            raise RuntimeError("fit the advisor before asking it")
        unknown = [k for k in observed if k not in self.keys]
        if unknown or not all(observed.values()):
            raise ValueError(
                f"observed must map fitted configurations to non-empty {{fidelity: reward}}; "
                f"got {unknown[:5] or 'an empty curve'}"
            )
        top = max(reached(observed, k) for k in observed)
        return sorted((k for k in observed if reached(observed, k) == top), key=self.keys.index)


class HyperbandAdvisor(_Brackets):
    """Hyperband over the inner advisor's candidates (module docstring).

    Args:
        inner: A single-fidelity advisor whose prior ranking names the candidates (``gp``).
        config: Hyperparameters (defaults if ``None``).
        seed: For ``candidates="random"``; the prior ranking does not use it.
    """

    name = "hyperband"

    def __init__(self, inner: Any, config: HyperbandConfig | None = None, seed: int = 0):
        super().__init__(inner, seed)
        self.config = config or HyperbandConfig()

    def _ranking(self, embedding) -> list[str]:
        if self.config.candidates == "random":
            e = check_embedding(embedding, self._dim)
            order = observed_rng(self.seed, e, {}).permutation(len(self.keys))
        else:
            order = prior_ranking(self.inner, embedding)
        return [self.keys[int(i)] for i in order]

    def _planning_costs(self, embedding, costs: CostModel) -> np.ndarray:
        return np.array([costs.cost(k) for k in self._ranking(embedding)])

    def brackets(self, embedding, budget: Budget, costs: CostModel) -> list[Bracket]:
        """The brackets it runs on the task (module docstring); empty if nothing fits."""
        self._check(budget, costs)
        fids = _rung_fidelities(costs.fidelities, self.config.min_fidelity)
        return hyperband_brackets(
            fids, self.config.eta, budget, self._planning_costs(embedding, costs), costs.f_max
        )

    def _scorer(self, embedding, obs):
        pos = {k: i for i, k in enumerate(self._ranking(embedding))}
        # promoted by the value at the rung they reached (ties: the prior's order)
        return pos.__getitem__, lambda k, f: (-latest(obs[k], f), pos[k])

    def answer(self, embedding, observed) -> str:
        if not observed:
            if not self.keys:
                raise RuntimeError("fit the advisor before asking it")
            return self.inner.answer(embedding, {})
        at_top = self._at_top(observed)
        top = reached(observed, at_top[0])
        return max(at_top, key=lambda k: observed[k][top])  # ties: the first key


def fidelity_map(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per fidelity, the slope and noise SD of ``value = offset_task + slope * final + noise``
    on training curves ``(N, C, F)`` (``[..., -1]`` the final reward): within-task least
    squares, pooled over tasks. The last fidelity is the final reward itself (slope 1, noise 0).

    >>> rng = np.random.default_rng(0)
    >>> final = rng.normal(0.6, 0.05, (4, 200))
    >>> low = 0.1 + 0.5 * final + rng.normal(0, 0.01, final.shape)
    >>> slope, noise = fidelity_map(np.stack([low, final], axis=-1))
    >>> slope.round(1).tolist(), noise.round(2).tolist()
    ([0.5, 1.0], [0.01, 0.0])
    """
    curves = np.asarray(curves, dtype=np.float64)
    if curves.ndim != 3 or curves.shape[1] < 3:
        raise ValueError(
            f"training curves must be (tasks, configurations >= 3, fidelities), got {curves.shape}"
        )
    if not np.isfinite(curves).all():
        raise ValueError("training curves must be finite (complete for the observation seed)")
    y = curves[..., -1] - curves[..., -1].mean(axis=1, keepdims=True)
    v = curves - curves.mean(axis=1, keepdims=True)
    syy = float((y**2).sum())
    if syy == 0:
        raise ValueError("the training tasks' final rewards do not vary across configurations")
    slope = np.einsum("tcf,tc->f", v, y) / syy
    resid = v - slope[None, None] * y[..., None]
    dof = curves.shape[0] * (curves.shape[1] - 2)
    noise = np.sqrt((resid**2).sum(axis=(0, 1)) / dof)
    slope[-1], noise[-1] = 1.0, 0.0
    return slope, noise


def _gp_of(advisor: Any) -> Any:
    """The GP advisor inside ``advisor`` (itself, or a nested advisor's selected one)."""
    while not callable(getattr(advisor, "prior", None)):
        if getattr(advisor, "inner", None) is None:
            raise TypeError(
                f"advisor {getattr(advisor, 'name', advisor)!r} has no GP prior (prior())"
            )
        advisor = advisor.inner
    return advisor


class ModelBasedAdvisor(_Brackets):
    """Brackets whose entries and promotions follow the GP posterior of the final reward given
    values at every fidelity (module docstring).

    Args:
        inner: A GP advisor (``gp`` or ``gp-fixed``): its prior over the task's z-scored rewards
            is the model's.
        config: Hyperparameters (defaults if ``None``).
        seed: Unused (the advisor is deterministic); kept for the contract.
    """

    name = "mf-gp"
    uses_curves = True
    """``fit`` needs the training tasks' learning curves (``curves=``, ``fidelities=``)."""

    def __init__(self, inner: Any, config: ModelBasedConfig | None = None, seed: int = 0):
        super().__init__(inner, seed)
        self.config = config or ModelBasedConfig()

    def fit(
        self,
        embeddings,
        rewards,
        keys: Sequence[str],
        curves: np.ndarray | None = None,
        fidelities: Sequence[float] | None = None,
    ) -> ModelBasedAdvisor:
        """As any advisor, plus the training tasks' learning curves ``(N, C, F)`` at
        ``fidelities`` (the same seed as ``rewards``; their last fidelity must be ``rewards``)."""
        if curves is None or fidelities is None:
            raise ValueError(
                "the mf-gp advisor needs the training tasks' learning curves: "
                "fit(embeddings, rewards, keys, curves=(N, C, F), fidelities=...)"
            )
        _, rew, keys = check_fit(embeddings, rewards, keys)
        self.fidelities = check_fidelities(fidelities)
        curves = np.asarray(curves, dtype=np.float64)
        if curves.shape != (*rew.shape, len(self.fidelities)):
            raise ValueError(
                f"curves must be (tasks, configurations, fidelities) = "
                f"{(*rew.shape, len(self.fidelities))}, got {curves.shape}"
            )
        if not np.allclose(curves[..., -1], rew):
            raise ValueError("the curves' last fidelity must be the rewards given to fit")
        self.slope, self.noise = fidelity_map(curves)
        spread = float(np.median(rew.std(axis=1)))
        self._spread = spread if spread > 0 else 1.0
        super().fit(embeddings, rewards, keys)
        _gp_of(self.inner)
        return self

    def _check(self, budget: Budget, costs: CostModel) -> None:
        super()._check(budget, costs)
        if costs.fidelities != self.fidelities:
            raise ValueError(
                f"the cost model's fidelities {list(costs.fidelities)} are not the fitted curves' "
                f"{list(self.fidelities)}"
            )

    def posterior(self, embedding, observed) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and SD ``(C,)`` of the task's final rewards in the GP's z-units, given
        ``observed`` (``{key: {fidelity: value}}``; each configuration's highest fidelity counts,
        as a noisy linear observation of its final reward with that fidelity's offset free)."""
        if not self.keys:
            raise RuntimeError("fit the advisor before asking it")
        mean, cov = _gp_of(self.inner).prior(embedding)
        if not observed:
            return mean, np.sqrt(np.diag(cov))
        index = {k: i for i, k in enumerate(self.keys)}
        fid_pos = {f: i for i, f in enumerate(self.fidelities)}
        idx, group, u = [], [], []
        for k, curve in observed.items():
            top = max(curve)
            idx.append(index[k])
            group.append(fid_pos[top])
            u.append(curve[top] / self._spread)  # z-units (reward = offset + spread * z)
        idx, group, u = np.array(idx), np.array(group), np.array(u)
        beta = self.slope[group]
        seed_sd = self.config.noise_std
        if seed_sd is None:
            seed_sd = getattr(getattr(_gp_of(self.inner), "config", None), "noise_std", 0.0)
        tau = (self.noise[group] ** 2 + (beta * seed_sd) ** 2) / self._spread**2 + _JITTER
        # u = X gamma + B f_o + e: one free offset per fidelity present (universal kriging)
        x = (group[:, None] == np.unique(group)[None]).astype(np.float64)
        k_o = cov[:, idx] * beta[None]  # Cov(f, B f_o): (C, n)
        a = cov[np.ix_(idx, idx)] * np.outer(beta, beta) + np.diag(tau)
        a_inv = np.linalg.inv(a)
        r = u - beta * mean[idx]
        xa = x.T @ a_inv
        g_inv = np.linalg.pinv(xa @ x)
        gamma = g_inv @ (xa @ r)
        post_mean = mean + k_o @ (a_inv @ (r - x @ gamma))
        ak = a_inv @ k_o.T  # (n, C)
        h = x.T @ ak  # (groups, C)
        var = np.diag(cov) - (k_o.T * ak).sum(axis=0) + (h * (g_inv @ h)).sum(axis=0)
        return post_mean, np.sqrt(np.maximum(var, 1e-12))

    def _planning_costs(self, embedding, costs: CostModel) -> np.ndarray:
        # who enters is decided as values arrive: plan for the most expensive configurations
        return np.sort(costs.costs)[::-1]

    def brackets(self, embedding, budget: Budget, costs: CostModel) -> list[Bracket]:
        """The brackets it runs on the task (module docstring); empty if nothing fits."""
        self._check(budget, costs)
        fids = _rung_fidelities(costs.fidelities, self.config.min_fidelity)
        cand = self._planning_costs(embedding, costs)
        plan = hyperband_brackets if self.config.schedule == "hyperband" else halving_bracket
        return plan(fids, self.config.eta, budget, cand, costs.f_max)

    @staticmethod
    def _fill_key(key: str, obs, promote):
        """Who goes to the last rung first: the best posterior mean, whatever rung it reached
        (the model puts every fidelity on the final reward's scale)."""
        return promote(key, reached(obs, key))

    def _scorer(self, embedding, obs):
        mean, sd = self.posterior(embedding, obs)
        pos = {k: i for i, k in enumerate(self.keys)}
        score = mean + self.config.explore * sd
        return (lambda k: (-score[pos[k]], pos[k])), (lambda k, f: (-mean[pos[k]], pos[k]))

    def answer(self, embedding, observed) -> str:
        """The best posterior mean among the configurations trained as far as any was (the
        prior's best with nothing observed)."""
        if not observed:
            if not self.keys:
                raise RuntimeError("fit the advisor before asking it")
            return self.keys[int(np.argmax(self.posterior(embedding, {})[0]))]
        at_top = self._at_top(observed)
        obs = {k: dict(v) for k, v in observed.items()}
        for k, curve in obs.items():
            for f in curve:
                if f not in self.fidelities:
                    raise ValueError(f"fidelity {f} of {k!r} is not one of {list(self.fidelities)}")
        mean = self.posterior(embedding, obs)[0]
        return max(at_top, key=lambda k: mean[self.keys.index(k)])  # ties: the first key
