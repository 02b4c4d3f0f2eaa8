"""Multi-fidelity advisors: a few-shot budget in CPU seconds, spent on pre-trainings that may be
stopped early and resumed.

A *fidelity* is the epoch budget of a pre-training (the recipe's learning-curve epochs, e.g.
``(0.5, 1.0, 2.0)`` for ``cpu2``). A query ``(configuration, fidelity)`` is charged by the cost
rule of the shared interface (:class:`CostModel`): ``cost(c) * f / F_max`` the first time,
``cost(c) * (f' - f) / F_max`` when resumed from ``f`` to ``f' > f``, nothing at a fidelity already
reached. So what an advisor has spent is a function of what it has observed: each configuration
costs ``cost(c) * (highest fidelity observed) / F_max``.

Observations are ``{key: {fidelity: reward}}``. A multi-fidelity advisor is fitted like any
advisor (known tasks' full-fidelity rewards), then
:meth:`~MultiFidelityAdvisor.suggest` ``(embedding, observed, budget, costs)`` names the next
:class:`Query`, or ``None`` when it is done (nothing it wants fits the budget), and
:meth:`~MultiFidelityAdvisor.answer` the configuration it keeps. Both are pure functions of
(fitted state, seed, embedding, observed, budget, costs), as the single-fidelity advisors are.

- :class:`SuccessiveHalvingAdvisor` (Jamieson & Talwalkar, AISTATS 2016; Li et al., JMLR 2018):
  the top ``n`` configurations of an inner advisor's prior ranking (the ``gp`` advisor's
  posterior mean with nothing measured, i.e. what the known tasks say) are trained to the lowest
  fidelity, the best ``1/eta`` of them resumed to the next fidelity, and so on; ``n`` is the
  largest whose worst-case plan fits the budget, and what the plan leaves promotes the next in
  line to the last rung.
- :class:`ScreenTopKAdvisor`: the sanity baseline of Egele et al. (arXiv 2307.15422, "Is one
  epoch all you need for multi-fidelity HPO?"): train every candidate to one low fidelity, then
  resume the top ``k`` to full training; as many candidates as the budget leaves room for.
- :class:`FullFidelityAdvisor`: any single-fidelity advisor (``gp``) under the same budget: each
  suggestion trained fully, while the next one fits.
- :class:`~agents.advisor.hyperband.HyperbandAdvisor` (``hyperband``; Li et al., JMLR 2018):
  brackets of successive halving starting at different fidelities over the same prior ranking,
  fitted to a budget that may not cover a whole Hyperband iteration (how: its module).
- :class:`~agents.advisor.hyperband.ModelBasedAdvisor` (``mf-gp``; BOHB-style in spirit): the
  same brackets, whom to start and whom to promote chosen by the GP's posterior mean of the
  final reward given the values seen at every fidelity, each fidelity mapped to the final
  reward by a slope and noise learned on the training tasks' curves. Its ``fit`` takes those
  curves (``curves=``, ``fidelities=``); an advisor that needs them says so with
  ``uses_curves = True`` and :func:`agents.advisor.costloop.fit_advisor` passes them.

>>> import numpy as np
>>> costs = CostModel((0.5, 1.0, 2.0), np.array([100.0, 60.0]), ("a", "b"))
>>> costs.query_cost("a", 1.0, {}), costs.query_cost("a", 2.0, {"a": {1.0: 0.4}})
(50.0, 50.0)
>>> costs.spent({"a": {0.5: 0.3, 2.0: 0.5}, "b": {1.0: 0.2}})
130.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

import numpy as np

from agents.advisor.base import check_embedding, observed_rng
from t2s_env.rewards import fidelity_index


class Query(NamedTuple):
    """One pre-training to run (or resume): configuration ``key`` to fidelity ``fidelity``."""

    key: str
    fidelity: float


@dataclass(frozen=True)
class Budget:
    """What a few-shot run may spend on one task: CPU seconds, evaluations, or both.

    An evaluation is one query that costs something (a pre-training started or resumed).
    """

    seconds: float | None = None
    """CPU seconds (the cost rule of :class:`CostModel`), or ``None`` for no limit."""
    evaluations: int | None = None
    """Queries that cost something, or ``None`` for no limit."""

    def __post_init__(self) -> None:
        if self.seconds is None and self.evaluations is None:
            raise ValueError("a budget needs seconds, evaluations or both")
        if self.seconds is not None:
            try:
                seconds = float(self.seconds)
            except (TypeError, ValueError):
                raise ValueError(f"budget seconds must be a number, got {self.seconds!r}") from None
            if not (np.isfinite(seconds) and seconds > 0):
                raise ValueError(f"budget seconds must be finite and > 0, got {self.seconds!r}")
            object.__setattr__(self, "seconds", seconds)
        if self.evaluations is not None:
            if isinstance(self.evaluations, bool) or int(self.evaluations) != self.evaluations:
                raise ValueError(f"budget evaluations must be an integer, got {self.evaluations!r}")
            if self.evaluations < 0:
                raise ValueError(f"budget evaluations must be >= 0, got {self.evaluations!r}")
            object.__setattr__(self, "evaluations", int(self.evaluations))

    def fits(self, seconds: float, evaluations: int) -> bool:
        """Whether spending ``seconds`` in ``evaluations`` stays within the budget."""
        ok_s = self.seconds is None or seconds <= self.seconds
        return ok_s and (self.evaluations is None or evaluations <= self.evaluations)


def check_fidelities(fidelities: Sequence[float]) -> tuple[float, ...]:
    """Fidelities as an ascending tuple of distinct finite floats > 0."""
    try:
        out = tuple(float(f) for f in fidelities)
    except (TypeError, ValueError):
        raise ValueError(f"fidelities must be numbers, got {fidelities!r}") from None
    if not out or not all(np.isfinite(f) and f > 0 for f in out):
        raise ValueError(f"fidelities must be a non-empty list of finite numbers > 0, got {out}")
    if any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise ValueError(f"fidelities must be strictly ascending, got {out}")
    return out


class CostModel:
    """The cost rule of one ledger (one advisor run on one task).

    Args:
        fidelities: The allowed epoch budgets, ascending; the last is full training.
        costs: ``(C,)`` CPU seconds of each configuration's full pre-training.
        keys: The ``C`` configuration keys.
    """

    def __init__(self, fidelities: Sequence[float], costs: np.ndarray, keys: Sequence[str]):
        self.fidelities = check_fidelities(fidelities)
        self.keys = tuple(map(str, keys))
        costs = np.asarray(costs, dtype=np.float64).reshape(-1)
        if costs.shape != (len(self.keys),):
            raise ValueError(
                f"costs must hold one value per key ({len(self.keys)}), got {costs.shape}"
            )
        if not (np.isfinite(costs).all() and (costs > 0).all()):
            raise ValueError("costs must be finite CPU seconds > 0")
        self.costs = costs
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.f_max = self.fidelities[-1]

    def check_fidelity(self, fidelity: float) -> float:
        """``fidelity`` as one of :attr:`fidelities`, or a ValueError naming the allowed ones
        (``t2s_env.rewards.fidelity_index``, as the env checks it)."""
        return self.fidelities[fidelity_index(fidelity, self.fidelities)]

    def cost(self, key: str) -> float:
        """CPU seconds of ``key``'s full pre-training."""
        if key not in self.index:
            raise ValueError(f"unknown configuration {key!r}")
        return float(self.costs[self.index[key]])

    def query_cost(
        self, key: str, fidelity: float, observed: Mapping[str, Mapping[float, float]]
    ) -> float:
        """CPU seconds of training ``key`` to ``fidelity`` after ``observed`` (the remainder
        beyond the highest fidelity it reached; 0 at or below it)."""
        f = self.check_fidelity(fidelity)
        done = reached(observed, key)
        return self.cost(key) * max(f - done, 0.0) / self.f_max

    def spent(self, observed: Mapping[str, Mapping[float, float]]) -> float:
        """CPU seconds spent to observe ``observed``."""
        return float(sum(self.cost(k) * reached(observed, k) / self.f_max for k in observed))


def reached(observed: Mapping[str, Mapping[float, float]], key: str) -> float:
    """The highest fidelity ``key`` was trained to (0 if never)."""
    curve = observed.get(key)
    return max(curve) if curve else 0.0


def evaluations(observed: Mapping[str, Mapping[float, float]]) -> int:
    """Queries that cost something: one per (configuration, fidelity) observed."""
    return sum(len(v) for v in observed.values())


def check_mf_observed(
    observed: Mapping[str, Mapping[float, float]], costs: CostModel
) -> dict[str, dict[float, float]]:
    """``observed`` validated against the cost model: known keys, allowed fidelities, finite
    rewards."""
    if not isinstance(observed, Mapping):
        raise ValueError(
            f"observed must be a {{key: {{fidelity: reward}}}} mapping, got {type(observed)}"
        )
    out: dict[str, dict[float, float]] = {}
    for key, curve in observed.items():
        costs.cost(key)
        if not isinstance(curve, Mapping):
            raise ValueError(
                f"observed[{key!r}] must be a {{fidelity: reward}} mapping, got {curve!r}"
            )
        row = {}
        for f, r in curve.items():
            r = float(r)
            if not np.isfinite(r):
                raise ValueError(f"observed reward of {key!r} at fidelity {f} is not finite")
            row[costs.check_fidelity(f)] = r
        out[key] = row
    return out


def latest(curve: Mapping[float, float], fidelity: float) -> float:
    """The reward at ``fidelity``, or at the highest fidelity observed beyond it."""
    if fidelity in curve:
        return curve[fidelity]
    return curve[max(curve)]


@runtime_checkable
class MultiFidelityAdvisor(Protocol):
    """The contract of a multi-fidelity advisor (see the module docstring)."""

    name: str

    def fit(self, embeddings: np.ndarray, rewards: np.ndarray, keys: Sequence[str]) -> Any:
        """Learn from the known tasks' full-fidelity rewards (an advisor with ``uses_curves``
        also takes their learning curves: ``curves=(N, C, F)``, ``fidelities=``)."""
        ...

    def suggest(
        self,
        embedding: np.ndarray,
        observed: Mapping[str, Mapping[float, float]],
        budget: Budget,
        costs: CostModel,
    ) -> Query | None: ...

    def answer(
        self, embedding: np.ndarray, observed: Mapping[str, Mapping[float, float]]
    ) -> str: ...


def prior_ranking(advisor: Any, embedding: np.ndarray) -> np.ndarray:
    """Column indices from best to worst by what a fitted advisor expects with nothing measured:
    the prior mean of a GP advisor (or of the GP a nested advisor selected), a static
    advisor's order."""
    inner = getattr(advisor, "inner", None)
    if inner is not None and not callable(getattr(advisor, "prior", None)):
        return prior_ranking(inner, embedding)
    if callable(getattr(advisor, "prior", None)):
        mean = advisor.prior(embedding)[0]
        return np.argsort(-mean, kind="stable")
    if getattr(advisor, "order", None) is not None:
        return np.asarray(advisor.order)
    raise TypeError(
        f"advisor {getattr(advisor, 'name', advisor)!r} has no prior ranking (prior() or order)"
    )


@dataclass(frozen=True)
class SuccessiveHalvingConfig:
    """Hyperparameters of :class:`SuccessiveHalvingAdvisor`."""

    eta: float = 2.0
    """Keep the best ``1/eta`` of each rung for the next fidelity (> 1)."""
    min_fidelity: float | None = None
    """The first rung's fidelity (one of the table's; ``None``: the lowest)."""
    candidates: Literal["prior", "random"] = "prior"
    """Which configurations enter: the top of the inner advisor's prior ranking (``"prior"``)
    or a random order (``"random"``, from the seed and the task)."""
    fill: bool = True
    """Spend what the worst-case plan leaves: once the last rung is done, the next in line
    (the following best of the rung before it) go on to the last rung's fidelity while the
    budget allows."""

    def __post_init__(self) -> None:
        try:
            eta = float(self.eta)
        except (TypeError, ValueError):
            raise ValueError(f"eta must be a number > 1, got {self.eta!r}") from None
        if not (np.isfinite(eta) and eta > 1):
            raise ValueError(f"eta must be a finite number > 1, got {self.eta!r}")
        object.__setattr__(self, "eta", eta)
        _check_fidelity_option("min_fidelity", self.min_fidelity)
        _check_candidates(self.candidates)
        _check_bool("fill", self.fill)


@dataclass(frozen=True)
class ScreenTopKConfig:
    """Hyperparameters of :class:`ScreenTopKAdvisor`."""

    k: int = 2
    """How many screened candidates are resumed to full training (>= 1)."""
    screen_fidelity: float | None = None
    """The screening fidelity (one of the table's, below the highest; ``None``: the lowest,
    the "one epoch" of arXiv 2307.15422)."""
    candidates: Literal["prior", "random"] = "prior"
    """As :attr:`SuccessiveHalvingConfig.candidates`."""
    fill: bool = True
    """Spend what the plan leaves on the next best screened candidates, fully trained ("keep
    the top k for the rest of the budget")."""

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int | np.integer) or self.k < 1:
            raise ValueError(f"k must be an integer >= 1, got {self.k!r}")
        _check_fidelity_option("screen_fidelity", self.screen_fidelity)
        _check_candidates(self.candidates)
        _check_bool("fill", self.fill)


def _check_fidelity_option(name: str, value: float | None) -> None:
    if value is not None and not (
        isinstance(value, int | float) and np.isfinite(value) and value > 0
    ):
        raise ValueError(f"{name} must be a fidelity > 0 or None, got {value!r}")


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _check_candidates(value: str) -> None:
    if value not in ("prior", "random"):
        raise ValueError(f"candidates must be 'prior' or 'random', got {value!r}")


class _Planned:
    """What the two planned advisors share: an inner advisor ranks the candidates; a plan
    (rungs of (fidelity, how many)) is replayed against what was observed."""

    name = "planned"

    def __init__(self, inner: Any, seed: int = 0) -> None:
        self.inner = inner
        self.seed = int(seed)
        self.keys: tuple[str, ...] = ()

    def fit(self, embeddings, rewards, keys: Sequence[str]):
        self.inner.fit(embeddings, rewards, keys)
        self.keys = tuple(map(str, keys))
        self._dim = np.asarray(embeddings).shape[1]
        return self

    def _ranking(self, embedding: np.ndarray) -> list[str]:
        if not self.keys:
            raise RuntimeError("fit the advisor before asking it")
        if self.config.candidates == "random":
            e = check_embedding(embedding, self._dim)
            order = observed_rng(self.seed, e, {}).permutation(len(self.keys))
        else:
            order = prior_ranking(self.inner, embedding)
        return [self.keys[int(i)] for i in order]

    def _check_costs(self, costs: CostModel) -> None:
        if not isinstance(costs, CostModel):
            raise TypeError(f"costs must be a CostModel, got {type(costs)}")
        if costs.keys != self.keys:
            raise ValueError("the cost model's keys are not the fitted configurations")

    def _shapes(self, costs: CostModel) -> list[tuple[tuple[float, ...], Callable]]:
        """The plans it may run, preferred first: ``(rung fidelities, sizes(n))``, ``sizes``
        giving how many configurations each rung trains when the first takes ``n`` (``None``:
        no such plan)."""
        raise NotImplementedError

    def plan(self, embedding, budget: Budget, costs: CostModel) -> list[tuple[float, int]]:
        """The rungs ``[(fidelity, how many)]`` this advisor runs on the task: of the first
        shape (:meth:`_shapes`) that fits ``budget`` in the worst case (the most expensive
        candidates promoted), the largest first rung that does; empty if not even one
        low-fidelity query fits."""
        self._check_costs(costs)
        ranking = self._ranking(embedding)
        cand_costs = np.array([costs.cost(k) for k in ranking])
        for fids, sizes_of in self._shapes(costs):
            best = None
            for n in range(1, len(ranking) + 1):
                sizes = sizes_of(n)
                if sizes is None:
                    continue
                if not budget.fits(*_worst_case(cand_costs[:n], fids, sizes, costs.f_max)):
                    break
                best = sizes
            if best is not None:
                return list(zip(fids, best, strict=True))
        return []

    def suggest(self, embedding, observed, budget: Budget, costs: CostModel) -> Query | None:
        if not isinstance(budget, Budget):
            raise TypeError(f"budget must be a Budget, got {type(budget)}")
        obs = check_mf_observed(observed, costs)
        plan = self.plan(embedding, budget, costs)
        pool = self._ranking(embedding)  # who may enter the next rung, best first
        prior_pos = {k: i for i, k in enumerate(pool)}

        def fits(key: str, f: float) -> bool:
            spend = costs.spent(obs) + costs.query_cost(key, f, obs)
            return budget.fits(spend, evaluations(obs) + 1)

        for r, (f, size) in enumerate(plan):
            for key in pool[:size]:
                if reached(obs, key) < f:
                    return Query(key, f) if fits(key, f) else None
            if r == len(plan) - 1:
                break
            # the best of this rung go on to the next (ties: the prior's order)
            pool = sorted(pool[:size], key=lambda k, f=f: (-latest(obs[k], f), prior_pos[k]))
        if plan and self.config.fill:
            # what the worst-case plan left: the next in line to the last rung, while it fits
            f = plan[-1][0]
            for key in pool:
                if reached(obs, key) < f and fits(key, f):
                    return Query(key, f)
        return None

    def answer(self, embedding, observed) -> str:
        if not self.keys:
            raise RuntimeError("fit the advisor before asking it")
        if not observed:
            return self.inner.answer(embedding, {})
        unknown = [k for k in observed if k not in self.keys]
        if unknown or not all(observed.values()):
            raise ValueError(
                f"observed must map fitted configurations to non-empty {{fidelity: reward}}; "
                f"got {unknown[:5] or 'an empty curve'}"
            )
        top = max(reached(observed, k) for k in observed)
        at_top = sorted((k for k in observed if reached(observed, k) == top), key=self.keys.index)
        return max(at_top, key=lambda k: observed[k][top])  # ties: the first key


def _worst_case(cand_costs: np.ndarray, fids, sizes, f_max: float) -> tuple[float, int]:
    """CPU seconds and evaluations of a plan if the most expensive candidates are promoted."""
    desc = np.sort(cand_costs)[::-1]
    seconds, prev = 0.0, 0.0
    for f, size in zip(fids, sizes, strict=True):
        seconds += float(desc[:size].sum()) * (f - prev) / f_max
        prev = f
    return seconds, int(sum(sizes))


class SuccessiveHalvingAdvisor(_Planned):
    """Successive halving over the inner advisor's candidates (module docstring).

    Args:
        inner: A single-fidelity advisor whose prior ranking names the candidates (``gp``).
        config: Hyperparameters (defaults if ``None``).
        seed: For ``candidates="random"``; the prior ranking does not use it.
    """

    name = "successive-halving"

    def __init__(self, inner: Any, config: SuccessiveHalvingConfig | None = None, seed: int = 0):
        super().__init__(inner, seed)
        self.config = config or SuccessiveHalvingConfig()

    def _shapes(self, costs: CostModel) -> list[tuple[tuple[float, ...], Callable]]:
        """Every rung from the first fidelity up, else fewer rungs."""
        lo = costs.fidelities[0] if self.config.min_fidelity is None else self.config.min_fidelity
        costs.check_fidelity(lo)
        fids = tuple(f for f in costs.fidelities if f >= lo)
        eta = self.config.eta
        return [
            (fids[:r], lambda n, r=r: [max(1, int(np.floor(n / eta**i + 1e-9))) for i in range(r)])
            for r in range(len(fids), 0, -1)
        ]


class ScreenTopKAdvisor(_Planned):
    """Screen every candidate at one low fidelity, resume the top ``k`` to full training
    (arXiv 2307.15422's baseline; module docstring).

    Args: as :class:`SuccessiveHalvingAdvisor`.
    """

    name = "screen-top-k"

    def __init__(self, inner: Any, config: ScreenTopKConfig | None = None, seed: int = 0):
        super().__init__(inner, seed)
        self.config = config or ScreenTopKConfig()

    def _shapes(self, costs: CostModel) -> list[tuple[tuple[float, ...], Callable]]:
        """A screen and the top ``k`` fully trained, else the top ``k - 1``, ..., else the
        screen alone."""
        lo = self.config.screen_fidelity
        lo = costs.fidelities[0] if lo is None else lo
        costs.check_fidelity(lo)
        if lo >= costs.f_max:
            raise ValueError(
                f"screen_fidelity {lo} must be below the full fidelity {costs.f_max} "
                f"(allowed: {list(costs.fidelities[:-1])})"
            )
        shapes = [
            ((lo, costs.f_max), lambda n, k=k: [n, k] if n >= k else None)
            for k in range(self.config.k, 0, -1)
        ]
        return [*shapes, ((lo,), lambda n: [n])]


class FullFidelityAdvisor:
    """A single-fidelity advisor under a multi-fidelity budget: each of its suggestions is
    trained fully, while the next one fits the budget (it stops at the first that does not).

    Args:
        inner: Any advisor with ``fit``, ``suggest``, ``answer`` (``gp``).
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "advisor")
        self.seed = getattr(inner, "seed", 0)

    def fit(self, embeddings, rewards, keys: Sequence[str]) -> FullFidelityAdvisor:
        self.inner.fit(embeddings, rewards, keys)
        return self

    @staticmethod
    def _full(observed, f_max: float | None = None) -> dict[str, float]:
        """What the inner advisor sees: the rewards of the fully trained configurations."""
        if f_max is None:
            top = [max(v) for v in observed.values() if v]
            f_max = max(top) if top else 0.0
        return {k: v[f_max] for k, v in observed.items() if f_max in v}

    def suggest(self, embedding, observed, budget: Budget, costs: CostModel) -> Query | None:
        if not isinstance(budget, Budget):
            raise TypeError(f"budget must be a Budget, got {type(budget)}")
        obs = check_mf_observed(observed, costs)
        full = self._full(obs, costs.f_max)
        if len(full) >= len(costs.keys):
            return None
        key = self.inner.suggest(embedding, full)
        spend = costs.spent(obs) + costs.query_cost(key, costs.f_max, obs)
        if not budget.fits(spend, evaluations(obs) + 1):
            return None
        return Query(key, costs.f_max)

    def answer(self, embedding, observed) -> str:
        return self.inner.answer(embedding, self._full(observed))
