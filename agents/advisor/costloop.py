"""The few-shot protocol under a budget in CPU seconds (or evaluations), on a replicate table
with learning curves, scored on held-out seeds.

For a held-out task, an advisor fitted on the other tasks (one seed's full-fidelity rewards;
and that seed's learning curves for an advisor that declares ``uses_curves``: :func:`fit_advisor`)
queries ``(configuration, fidelity)`` pairs of that seed's learning curves, each charged by the
cost rule of :class:`~agents.advisor.multifidelity.CostModel` with that seed's CPU seconds,
until it stops or nothing more fits; the ledger refuses a query over the budget. The
configuration it keeps is graded on the task's other seeds (``t2s_env.rewards.signal.
held_out_mean``), as a fraction of the cross-seed per-task best (the configuration best on the
observation seed, graded the same way), beside the untrained backbone on the same seeds; then
the other way round. This is the held-out-seed scoring of ``t2s_env.rewards.scoring_folds``.

A :class:`~agents.advisor.multifidelity.Budget` in evaluations (``Budget(evaluations=k)``) runs
the same protocol on a budget of k queries; a single-fidelity advisor wrapped in
:class:`~agents.advisor.multifidelity.FullFidelityAdvisor` then makes k full pre-trainings, the
protocol of :func:`agents.advisor.loop.run_budgets`.

>>> import numpy as np
>>> from agents.advisor.multifidelity import Budget, CostModel, FullFidelityAdvisor
>>> from agents.advisor.baselines import StaticAdvisor
>>> curves = np.array([[0.2, 0.5], [0.4, 0.6], [0.1, 0.9]])        # 3 configurations, 2 fidelities
>>> costs = CostModel((1.0, 2.0), np.array([10.0, 10.0, 10.0]), ["a", "b", "c"])
>>> adv = FullFidelityAdvisor(StaticAdvisor()).fit(np.eye(2), np.array([[0, 1, 0.5], [0, 1, 0.9]]), ["a", "b", "c"])
>>> run = run_cost_budget(adv, np.ones(2), curves, costs, Budget(seconds=25))
>>> run.kept, run.queries, run.seconds
('c', [Query(key='b', fidelity=2.0), Query(key='c', fidelity=2.0)], 20.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from agents.advisor.multifidelity import Budget, CostModel, Query, check_fidelities, reached
from t2s_env.rewards import CostLedger
from t2s_env.rewards.signal import held_out_mean, held_out_reference


class CostRun(NamedTuple):
    """One advisor run on one task."""

    kept: str
    """The configuration it keeps."""
    queries: list[Query]
    """What it queried, in order."""
    seconds: float
    """CPU seconds spent (never above the budget's)."""
    evaluations: int
    """Queries that cost something."""


def run_cost_budget(
    advisor: Any,
    embedding: np.ndarray,
    curves: np.ndarray,
    costs: CostModel,
    budget: Budget,
) -> CostRun:
    """Run a fitted multi-fidelity ``advisor`` on one task whose learning curves are ``curves``
    (``(C, F)``: configurations in ``costs.keys`` order, fidelities in ``costs.fidelities``
    order) until it returns ``None``. A query of an unknown configuration, at a fidelity not
    above the one it reached, or over the budget is a ValueError (the ledger refuses it)."""
    curves = np.asarray(curves, dtype=np.float64)
    if curves.shape != (len(costs.keys), len(costs.fidelities)):
        raise ValueError(
            f"curves must be (configurations, fidelities) = "
            f"{(len(costs.keys), len(costs.fidelities))}, got {curves.shape}"
        )
    name = getattr(advisor, "name", advisor)
    observed: dict[str, dict[float, float]] = {}
    queries: list[Query] = []
    ledger = CostLedger(costs.f_max)  # the env's ledger: the advisor's CostModel must agree
    for _ in range(len(costs.keys) * len(costs.fidelities) + 1):
        query = advisor.suggest(embedding, {k: dict(v) for k, v in observed.items()}, budget, costs)
        if query is None:
            break
        key, f = str(query[0]), costs.check_fidelity(query[1])
        if key not in costs.index:
            raise ValueError(f"advisor {name!r} queried {key!r}, not a configuration of the table")
        if f <= reached(observed, key):
            raise ValueError(
                f"advisor {name!r} queried {key!r} at fidelity {f}, not above the "
                f"{reached(observed, key)} it reached"
            )
        spend = ledger.spent + costs.query_cost(key, f, observed)
        if not budget.fits(spend, len(queries) + 1):
            raise ValueError(
                f"advisor {name!r} queried {key!r} at fidelity {f} beyond the budget "
                f"({spend:.1f} CPU s, {len(queries) + 1} evaluations; budget {budget})"
            )
        ledger.charge(key, f, costs.cost(key))
        observed.setdefault(key, {})[f] = float(curves[costs.index[key], costs.fidelities.index(f)])
        queries.append(Query(key, f))
    else:
        raise RuntimeError(f"advisor {name!r} did not stop")
    kept = advisor.answer(embedding, {k: dict(v) for k, v in observed.items()})
    if kept not in costs.index:
        raise ValueError(f"advisor {name!r} kept {kept!r}, not a configuration of the table")
    return CostRun(kept, queries, ledger.spent, len(queries))


@dataclass(frozen=True)
class CurveTable:
    """The arrays the protocol needs from a replicate table with learning curves.

    Attributes:
        tasks: ``T`` task names.
        keys: ``C`` configuration keys.
        fidelities: ``F`` ascending epoch budgets (the last is full training).
        curves: ``(T, S, C, F)`` accuracy (fractions) at each fidelity; ``[..., -1]`` is the reward.
        cost_seconds: ``(S, C)`` CPU seconds of each cell's full pre-training.
        embeddings: ``(T, D)`` Task2Vec vectors.
        untrained: ``(T, S)`` the untrained backbone, or ``None``.
        splits: ``{task: "seen" | "unseen"}`` (for the seen -> unseen split).
    """

    tasks: tuple[str, ...]
    keys: tuple[str, ...]
    fidelities: tuple[float, ...]
    curves: np.ndarray
    cost_seconds: np.ndarray
    embeddings: np.ndarray
    untrained: np.ndarray | None = None
    splits: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fidelities", check_fidelities(self.fidelities))
        curves = np.asarray(self.curves, dtype=np.float64)
        t, c, f = len(self.tasks), len(self.keys), len(self.fidelities)
        if curves.ndim != 4 or curves.shape[0] != t or curves.shape[2:] != (c, f):
            raise ValueError(
                f"curves must be (tasks {t}, seeds, configurations {c}, fidelities {f}), got {curves.shape}"
            )
        s = curves.shape[1]
        if s < 2:
            raise ValueError(f"held-out-seed scoring needs at least 2 seeds, the curves have {s}")
        cost = np.asarray(self.cost_seconds, dtype=np.float64)
        if cost.shape != (s, c):
            raise ValueError(
                f"cost_seconds must be (seeds {s}, configurations {c}), got {cost.shape}"
            )
        emb = np.asarray(self.embeddings, dtype=np.float64)
        if emb.ndim != 2 or emb.shape[0] != t:
            raise ValueError(f"embeddings must be (tasks {t}, D), got {emb.shape}")
        if self.untrained is not None and np.shape(self.untrained) != (t, s):
            raise ValueError(
                f"untrained must be (tasks {t}, seeds {s}), got {np.shape(self.untrained)}"
            )
        object.__setattr__(self, "curves", curves)
        object.__setattr__(self, "cost_seconds", cost)
        object.__setattr__(self, "embeddings", emb)

    @property
    def reward(self) -> np.ndarray:
        """``(T, S, C)`` full-fidelity accuracy."""
        return self.curves[..., -1]

    @classmethod
    def from_source(cls, source: Any) -> CurveTable:
        """The arrays of a ``ReplicateRewardSource`` (or anything with its attributes:
        ``tasks``, ``space``, ``fidelities``, ``curves``, ``cost_seconds``, ``embeddings``,
        ``untrained``, ``split(task)``; ``replicates``, if present, must equal the curves' last
        fidelity). A ValueError if the table has no learning curves."""
        if getattr(source, "curves", None) is None or getattr(source, "fidelities", None) is None:
            raise ValueError(
                "this table has no learning curves (fidelities, curves, cost_seconds): the "
                "CPU-second few-shot protocol needs a table measured with them (Task2Sim-CPU-v1)"
            )
        if getattr(source, "cost_seconds", None) is None:
            raise ValueError("this table has learning curves but no cost_seconds")
        replicates = getattr(source, "replicates", None)
        if replicates is not None:
            reward = np.stack([replicates[t] for t in source.tasks])
            if not np.array_equal(np.asarray(source.curves)[..., -1], reward, equal_nan=True):
                raise ValueError("the table's curves at the last fidelity are not its rewards")
        return cls(
            tuple(source.tasks), tuple(source.space.all_keys()), tuple(source.fidelities),
            source.curves, source.cost_seconds, source.embeddings,
            getattr(source, "untrained", None), {t: source.split(t) for t in source.tasks},
        )  # fmt: skip

    def folds(self, split: str) -> list[tuple[list[int], int]]:
        """``[(training task rows, held-out row)]`` of ``split`` (``"loto"`` or
        ``"seen-unseen"``)."""
        rows = range(len(self.tasks))
        if split == "loto":
            return [([j for j in rows if j != i], i) for i in rows]
        if split == "seen-unseen":
            splits = self.splits or {}
            seen = [i for i in rows if splits.get(self.tasks[i]) == "seen"]
            unseen = [i for i in rows if splits.get(self.tasks[i]) == "unseen"]
            if not seen or not unseen:
                raise ValueError("the seen-unseen split needs seen and unseen tasks in the table")
            return [(seen, i) for i in unseen]
        raise ValueError(f"unknown split {split!r}; choose from ['loto', 'seen-unseen']")

    def observation_seeds(self) -> list[int]:
        """Seed positions whose curves and costs are complete (each a fold of the scoring)."""
        ok = np.isfinite(self.curves).all(axis=(0, 2, 3)) & np.isfinite(self.cost_seconds).all(
            axis=1
        )
        return [int(s) for s in np.flatnonzero(ok)]

    def full_cost(self) -> float:
        """The median CPU seconds of one full pre-training (a budget unit) over the seeds an
        advisor observes (:meth:`observation_seeds`), whose costs it spends: a seed measured on
        some tasks only, perhaps on another machine, scores fewer tasks and is not priced in."""
        seeds = self.observation_seeds() or list(range(self.cost_seconds.shape[0]))
        return float(np.nanmedian(self.cost_seconds[seeds]))


def fit_advisor(
    advisor: Any,
    table: CurveTable,
    train: Sequence[int],
    seed: int,
    shared: dict[tuple, Any] | None = None,
) -> Any:
    """Fit ``advisor`` on the training task rows ``train`` of observation seed position
    ``seed``: their embeddings and full-fidelity rewards, plus their learning curves
    (``curves=``, ``fidelities=``) for an advisor that declares ``uses_curves``.

    With ``shared`` (a dict the caller keeps across calls), a wrapper's inner advisor that has a
    ``fit_key`` (``gp``, ``gp-fixed``) is fitted once per (``fit_key``, ``train``, ``seed``):
    the wrapper is given the inner advisor already fitted there, whose second fit on the same
    rows is a no-op (``agents.advisor.base.FitRecord``). Every wrapper then advises as it would
    on its own fit, bit for bit (the fit is deterministic and advising is a pure function of
    it), without the nested selection's cost each time."""
    inner = getattr(advisor, "inner", None)
    key = getattr(inner, "fit_key", None)
    if shared is not None and key is not None:
        advisor.inner = shared.setdefault((key, tuple(map(int, train)), int(seed)), inner)
    emb, reward = table.embeddings[train], table.reward[train, seed]
    if getattr(advisor, "uses_curves", False):
        curves = table.curves[train, seed]
        return advisor.fit(emb, reward, table.keys, curves=curves, fidelities=table.fidelities)
    return advisor.fit(emb, reward, table.keys)


def held_out_cost_fewshot(
    entries: Mapping[str, Callable[[int], Any]],
    table: CurveTable,
    budgets: Sequence[Budget],
    split: str = "loto",
    seeds: Sequence[int] = (0,),
    share_fits: bool = True,
) -> dict[str, Any]:
    """Every entry (``{name: factory(seed) -> multi-fidelity advisor}``) on every fold of
    ``split`` x observation seed x advisor seed, at every budget; held-out-seed scores as
    fractions of the cross-seed per-task best (see the module docstring).

    ``share_fits``: the entries' inner advisors with a ``fit_key`` are fitted once per fold and
    observation seed and shared by every entry and advisor seed that wraps one (``fit_advisor``;
    the same results, bit for bit, for one ``gp`` nested selection per fold instead of one per
    entry and seed).

    Returns a JSON-ready dict: ``entries[name]`` with ``mean`` and ``se`` (over held-out tasks x
    observation seeds x advisor seeds) per budget, ``per_task`` (mean per budget),
    ``seconds`` (mean CPU seconds spent per budget), ``evaluations`` (mean), ``max_spent``
    (the most any run spent, as a fraction of its budget's seconds); ``untrained`` (the
    untrained backbone's fraction, if the table has it); ``protocol``.
    """
    if not budgets:
        raise ValueError("give at least one budget")
    budgets = list(budgets)
    obs_seeds = table.observation_seeds()
    if len(obs_seeds) < 2:
        raise ValueError("held-out-seed scoring needs two seeds with complete curves and costs")
    folds = table.folds(split)
    reward = table.reward
    scores = {
        n: np.full((len(budgets), len(folds), len(obs_seeds), len(seeds)), np.nan) for n in entries
    }
    spent = {n: np.zeros_like(v) for n, v in scores.items()}
    evals = {n: np.zeros_like(v) for n, v in scores.items()}
    base = np.full((len(folds), len(obs_seeds)), np.nan)
    for j, (train, t) in enumerate(folds):
        for a, s in enumerate(obs_seeds):
            graded = held_out_mean(reward[t], s)
            best = graded[int(np.argmax(reward[t, s]))]
            if table.untrained is not None:
                # graded as an answer is: the other seeds weighted as held_out_mean weights them
                base[j, a] = held_out_reference(np.asarray(table.untrained)[t], reward[t], s) / best
            costs = CostModel(table.fidelities, table.cost_seconds[s], table.keys)
            shared: dict[tuple, Any] | None = {} if share_fits else None  # this fold's fits
            for name, factory in entries.items():
                for b, seed in enumerate(seeds):
                    adv = factory(int(seed))
                    fit_advisor(adv, table, train, s, shared)
                    for i, budget in enumerate(budgets):
                        run = run_cost_budget(
                            adv, table.embeddings[t], table.curves[t, s], costs, budget
                        )
                        scores[name][i, j, a, b] = graded[costs.index[run.kept]] / best
                        spent[name][i, j, a, b] = run.seconds
                        evals[name][i, j, a, b] = run.evaluations
    held_out = [table.tasks[t] for _, t in folds]
    out: dict[str, Any] = {
        "protocol": {
            "split": split, "seeds": list(map(int, seeds)), "observation_seeds": obs_seeds,
            "fidelities": list(table.fidelities), "full_cost_seconds": table.full_cost(),
            "budgets": [{"seconds": b.seconds, "evaluations": b.evaluations} for b in budgets],
            "scoring": "held-out seed: observed on one seed, graded on the others, as a fraction "
                       "of the cross-seed per-task best",
        },
        "entries": {},
    }  # fmt: skip
    for name in entries:
        v = scores[name].reshape(len(budgets), -1)
        over_budget = [
            float(spent[name][i].max() / b.seconds) if b.seconds else None
            for i, b in enumerate(budgets)
        ]
        out["entries"][name] = {
            "mean": v.mean(axis=1).tolist(),
            "se": (v.std(axis=1, ddof=1) / np.sqrt(v.shape[1])).tolist() if v.shape[1] > 1 else None,
            "per_task": {task: scores[name][:, j].mean(axis=(1, 2)).tolist() for j, task in enumerate(held_out)},
            "seconds": spent[name].reshape(len(budgets), -1).mean(axis=1).tolist(),
            "evaluations": evals[name].reshape(len(budgets), -1).mean(axis=1).tolist(),
            "max_spent": over_budget,
        }  # fmt: skip
    if table.untrained is not None:
        out["untrained"] = {
            "mean": float(base.mean()),
            "per_task": {task: float(base[j].mean()) for j, task in enumerate(held_out)},
        }
    return out


def cost_fewshot_markdown(results: Mapping[str, Any]) -> str:
    """A table of :func:`held_out_cost_fewshot`'s results: one row per entry, one column per
    budget (mean ± standard error of the fraction of the cross-seed best)."""
    p = results["protocol"]
    unit = p["full_cost_seconds"]

    def label(b: Mapping[str, Any]) -> str:
        parts = []
        if b["seconds"] is not None:
            parts.append(f"{b['seconds']:.0f} s ({b['seconds'] / unit:.2g} full)")
        if b["evaluations"] is not None:
            parts.append(f"{b['evaluations']} evals")
        return ", ".join(parts)

    lines = [
        f"Split `{p['split']}`, fidelities {p['fidelities']}, one full pre-training "
        f"{unit:.1f} CPU s (median); {p['scoring']}.",
        "",
        "| advisor | " + " | ".join(label(b) for b in p["budgets"]) + " |",
        "|---|" + "---|" * len(p["budgets"]),
    ]
    for name, e in results["entries"].items():
        se = e["se"] or [float("nan")] * len(e["mean"])
        cells = [f"{m:.3f} ± {s:.3f} ({sec / unit:.2g} full)"
                 for m, s, sec in zip(e["mean"], se, e["seconds"], strict=True)]  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "untrained" in results:
        u = results["untrained"]["mean"]
        lines.append(
            "| untrained backbone | " + " | ".join([f"{u:.3f}"] * len(p["budgets"])) + " |"
        )
    lines += ["", "In brackets: CPU seconds spent, in full pre-trainings (mean)."]
    return "\n".join(lines)
