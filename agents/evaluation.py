"""The paper's comparison: train each agent on the seen tasks, score its deterministic answer per
task, average over seen and unseen tasks over several seeds; leave-one-task-out over all tasks;
sample efficiency. Results as a JSON-able dict and a markdown table.

Accuracies are graded against the reward table (not queried: grading is not the agent's query).
On a table of seed replicates (the CPU table) the default scoring is by held-out seed
(:func:`t2s_env.rewards.scoring_folds`): each agent or advisor learns from one seed's replicates
and its answer is graded by the other seeds, both ways round, averaged; the per-task best it is
compared with is the cross-seed one (the best configuration on the training seed, graded on the
others), not the maximum of the replicate means. ``scoring="mean"`` scores as on a single-valued
table (learned from single replicates, graded by their mean).

>>> res = evaluate(["dr", "oracle"], seeds=[0], loto=False, progress=False)
>>> round(res["agents"]["dr"]["seen_mean"], 2), round(res["agents"]["oracle"]["seen_mean"], 2)
(24.07, 32.6)
"""

from __future__ import annotations

import datetime
import importlib
import importlib.metadata
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from agents import DEFAULT_EPOCHS, make_agent
from agents.advisor.base import is_advisor
from agents.base import Agent, check_positive, query
from agents.plugins import PluginError, call_plugin, check_seed_parameter, import_factory
from agents.training import train
from t2s_env.envs import Task2SimEnv
from t2s_env.rewards import (
    ReplicateRewardSource,
    RewardSource,
    ScoringFold,
    TableRewardSource,
    default_scoring,
    scoring_folds,
)
from t2s_env.rewards.signal import cross_seed_selection, selection_summary
from t2s_env.space import task_observation

BUDGETS: tuple[int, ...] = (0, 1, 2, 4, 8, 16, 32)
"""Budgets (distinct evaluations on the held-out task) of the few-shot protocol."""
SPLITS: tuple[str, ...] = ("loto", "seen-unseen")
"""``loto``: each task held out, fitted on all the others; ``seen-unseen``: fitted on the seen
tasks, each unseen task held out."""
BUDGET_SCHEMA = "task2sim-gym/budget-curves"
BUDGET_SCHEMA_VERSION = 1
AGENT_MAX_QUERIES_PER_BUDGET = 8
"""An env-based agent may repeat configurations; it stops after ``8 * max(budgets)`` queries on
the held-out task (distinct or not) and keeps its answer for the budgets it did not reach."""


def answer_accuracy(
    agent: Agent, source: TableRewardSource, tasks: Sequence[str], grade: np.ndarray | None = None
) -> np.ndarray:
    """Accuracy (%) of the agent's deterministic configuration for each task, graded by the
    source's rewards or by ``grade`` (``(tasks, configurations)`` fractions in the source's
    order: a fold's held-out seeds, :class:`~t2s_env.rewards.ScoringFold`)."""
    rows = [source.task_index(t) for t in tasks]
    obs = task_observation(source.embeddings[rows]).astype(np.float64)
    idx = np.atleast_1d(source.space.action_to_index(agent.act(obs, deterministic=True)))
    return 100 * (source.rewards if grade is None else grade)[rows, idx]


def answer_rewards(
    agent: Agent, source: RewardSource, tasks: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Each task's deterministic answer and its reward, asked of ``source`` (a live source
    measures it, or reads it from its store). Per task: ``key``, ``reward`` (a fraction) and,
    only where the source knows the task's best reward, ``best_reward`` and ``regret``.

    >>> from agents import make_agent
    >>> answers = answer_rewards(make_agent("dr"), TableRewardSource(), ["SVHN"])
    >>> answers["SVHN"]["key"], round(answers["SVHN"]["regret"], 4) >= 0
    ('1_1_1_1_1_3_0_1_1', True)
    """
    obs = task_observation(np.stack([source.embedding(t) for t in tasks])).astype(np.float64)
    actions = agent.act(obs, deterministic=True)
    out: dict[str, dict[str, Any]] = {}
    for task, action in zip(tasks, actions, strict=True):
        config = source.space.action_to_dict(action)
        entry: dict[str, Any] = {"key": source.space.action_to_key(action),
                                 "reward": float(source.reward(task, config))}  # fmt: skip
        best = source.best_reward(task)
        if best is not None:  # unknown: no key, as in the env's info
            entry.update(best_reward=float(best), regret=float(best) - entry["reward"])
        out[task] = entry
    return out


def few_query_accuracy(
    agent: Agent,
    source: TableRewardSource,
    task: str,
    m: int | None = None,
    grade: np.ndarray | None = None,
) -> tuple[float, int] | None:
    """For an agent with ``candidates`` (the neighbour-transfer agent): measure its ``m``
    best-rated configurations on ``task`` through an env over that task alone and answer the best
    one. Returns (accuracy %, queries) or ``None`` if the agent has no candidates. The answer is
    graded by the source's reward (a replicate table's mean) or by ``grade`` (as in
    :func:`answer_accuracy`)."""
    fn = getattr(agent, "candidates", None)
    if not callable(fn):
        return None
    env = Task2SimEnv(tasks=[task], reward_source=source)
    obs = env.task_observation(task).astype(np.float64)[None]
    candidates = fn(obs, m)[0]
    measured = [query(env, task, a)[1] for a in candidates]
    kept = int(source.space.action_to_index(candidates[int(np.argmax(measured))]))
    rewards = source.rewards if grade is None else grade
    return 100 * float(rewards[source.task_index(task), kept]), env.reward_queries


def _train(name: Any, seed: int, tasks, source, epochs, overrides) -> tuple[Agent, Any]:
    """Train agent ``name`` (a registry name, ``package.module:factory`` or a factory)."""
    from agents import AGENTS

    if isinstance(name, str) and name in AGENTS:
        agent = make_agent(name, seed=seed, space=source.space, overrides=overrides.get(name))
        default = DEFAULT_EPOCHS[name]
    else:
        entry = resolve_entry(name)
        if entry.kind != "agent":
            raise ValueError(
                f"{entry.name!r} is an advisor: advisors are scored by the few-shot protocol "
                "(evaluate(..., budgets=...), t2s evaluate --budgets ...)"
            )
        agent, default = entry.make(seed), entry.epochs
        name = entry.name
    env = Task2SimEnv(tasks=tasks, reward_source=source)
    result = train(agent, env, epochs=epochs.get(name, default), seed=seed, progress=False)
    return agent, result


def _entry_name(spec: Any) -> str:
    from agents import AGENTS

    return spec if isinstance(spec, str) and spec in AGENTS else resolve_entry(spec).name


def _default_epochs(spec: Any) -> int:
    from agents import AGENTS

    return (
        DEFAULT_EPOCHS[spec]
        if isinstance(spec, str) and spec in AGENTS
        else resolve_entry(spec).epochs
    )


def leave_one_task_out(
    name: str,
    seeds: Sequence[int] = (0,),
    source: TableRewardSource | None = None,
    epochs: dict[str, int] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    bar: tqdm | None = None,
    scoring: str | None = None,
) -> dict[str, Any]:
    """Leave-one-task-out over every task of ``source``: train agent ``name`` on the other tasks,
    answer the held-out one without querying it. Returns ``loto_fraction`` (mean over tasks and
    seeds of accuracy / per-task best), ``loto_per_task`` (first seed) and ``loto_seeds``; for
    agents with a few-query protocol also ``loto_few_query_fraction``. With held-out-seed
    ``scoring`` (the default on a replicate table) each fold trains on one seed and the fraction
    is of the cross-seed per-task best (so it can exceed 1), averaged over the folds."""
    source = TableRewardSource() if source is None else source
    epochs, overrides = dict(epochs or {}), dict(overrides or {})
    folds = scoring_folds(source, scoring)
    fracs, few_fracs = [], []
    for seed in seeds:
        for i, task in enumerate(source.tasks):
            train_tasks = [t for t in source.tasks if t != task]
            frac, few_frac = [], []
            for fold in folds:
                agent, _ = _train(name, seed, train_tasks, fold.train, epochs, overrides)
                best = 100 * fold.best[i]
                frac.append(float(answer_accuracy(agent, fold.train, [task], fold.grade)[0] / best))
                few = few_query_accuracy(agent, fold.train, task, grade=fold.grade)
                if few is not None:
                    few_frac.append(few[0] / best)
            fracs.append(float(np.mean(frac)))
            if few_frac:
                few_fracs.append(float(np.mean(few_frac)))
            if bar is not None:
                bar.update()
    out: dict[str, Any] = {
        "loto_fraction": float(np.mean(fracs)),
        "loto_per_task": dict(zip(source.tasks, fracs[: len(source.tasks)], strict=True)),
        "loto_seeds": list(seeds),
    }
    if few_fracs:
        out["loto_few_query_fraction"] = float(np.mean(few_fracs))
    return out


def evaluate(
    agents: Sequence[str | Callable[..., Any]],
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    epochs: dict[str, int] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    loto: bool | Sequence[str] = True,
    loto_seeds: Sequence[int] = (0,),
    source: TableRewardSource | None = None,
    progress: bool = True,
    budgets: Sequence[int] | None = None,
    noise_stds: Sequence[float] = (0.0,),
    splits: Sequence[str] = SPLITS,
    scoring: str | None = None,
) -> dict[str, Any]:
    """Run the comparison, or with ``budgets`` the few-shot protocol (:func:`budget_curves`
    with ``seeds``, ``noise_stds`` and ``splits``; ``epochs``, ``overrides`` and ``loto`` are
    then unused).

    Args:
        agents: Agent names (see :data:`agents.AGENTS`), ``package.module:factory`` paths or
            factories ``factory(seed=...)`` of agents (and, with ``budgets``, of advisors and
            the names in :data:`agents.advisor.ADVISORS`).
        seeds: Seeds of the seen/unseen evaluation (mean and std over them).
        epochs: Training epochs per agent name (default :data:`agents.DEFAULT_EPOCHS`).
        overrides: Hyperparameter overrides per agent name.
        loto: Leave-one-task-out for every agent (``True``), none (``False``) or the named ones.
        loto_seeds: Seeds of the leave-one-task-out runs.
        source: The reward table (the paper's by default).
        progress: Show progress bars.
        scoring: ``"held-out seed"`` or ``"mean"`` (:data:`t2s_env.rewards.SCORINGS`); by
            default held-out seed on a replicate table, the table's values otherwise. With
            held-out seed every seed's run trains once per fold (on one seed's replicates) and
            its figures are the mean over the folds, graded on the seeds it did not train on.

    Returns a dict: ``{"agents": {name: {...}}, "settings": {...}}``; per agent ``seen_mean``,
    ``seen_std``, ``unseen_mean``, ``unseen_std`` (accuracy %), per-seed values,
    ``unseen_per_task`` (``{task: [[accuracy % per fold] per seed]}``, for paired gaps),
    ``evals_to_99`` (mean over seen tasks and seeds of the distinct evaluations of a task when
    the answer first reached 99% of its best; tasks never reaching it are left out, and
    ``reached_fraction`` says how many did), ``distinct_evaluations``, ``train_seconds``, and
    with LOTO ``loto_fraction`` (mean over tasks of accuracy / per-task best) and, for agents
    with a few-query protocol, ``loto_few_query_fraction`` and ``unseen_few_query``. The
    settings name the ``scoring`` and hold the ``references`` (per-task best, best fixed of the
    seen tasks and, where the table has it, the untrained backbone, graded the same way).
    """
    if budgets is not None:
        return budget_curves(
            agents, budgets, splits, noise_stds, seeds, source, progress, epochs, scoring
        )
    source = TableRewardSource() if source is None else source
    folds = scoring_folds(source, scoring)
    scoring = default_scoring(source) if scoring is None else scoring
    epochs, overrides = dict(epochs or {}), dict(overrides or {})
    seen = [t for t in source.tasks if source.split(t) == "seen"]
    unseen = [t for t in source.tasks if source.split(t) == "unseen"]
    loto_names = (
        [_entry_name(a) for a in agents] if loto is True else ([] if loto is False else list(loto))
    )
    out: dict[str, Any] = {}
    jobs = [(n, s) for n in agents for s in seeds]
    bar = tqdm(total=len(jobs) + len(loto_names) * len(loto_seeds) * len(source.tasks),
               disable=not progress, desc="evaluate")  # fmt: skip
    for spec in agents:
        name = _entry_name(spec)
        rec: dict[str, Any] = {"seen": [], "unseen": [], "evals": [], "reached": [], "distinct": [],
                               "seconds": [], "unseen_few": [], "few_queries": None,
                               "unseen_tasks": []}  # fmt: skip
        for seed in seeds:
            by_fold = [_score_run(spec, seed, seen, unseen, fold, epochs, overrides)
                       for fold in folds]  # fmt: skip
            rec["kind"] = by_fold[0]["kind"]
            for key in ("seen", "unseen", "reached", "distinct"):
                rec[key].append(float(np.mean([r[key] for r in by_fold])))
            rec["unseen_tasks"].append([r["unseen_tasks"] for r in by_fold])
            rec["seconds"].extend(r["seconds"] for r in by_fold)
            rec["evals"].extend(v for r in by_fold for v in r["evals"])
            if by_fold[0]["unseen_few"] is not None:
                rec["unseen_few"].append(float(np.mean([r["unseen_few"] for r in by_fold])))
                rec["few_queries"] = by_fold[0]["few_queries"]
            bar.update()
        entry = {
            "kind": rec["kind"],
            "seen_mean": float(np.mean(rec["seen"])),
            "seen_std": float(np.std(rec["seen"])),
            "unseen_mean": float(np.mean(rec["unseen"])),
            "unseen_std": float(np.std(rec["unseen"])),
            "seen_per_seed": rec["seen"],
            "unseen_per_seed": rec["unseen"],
            "evals_to_99": float(np.mean(rec["evals"])) if rec["evals"] else None,
            "reached_fraction": float(np.mean(rec["reached"])),
            "distinct_evaluations": float(np.mean(rec["distinct"])),
            "train_seconds": float(np.mean(rec["seconds"])),
            "seeds": list(seeds),
        }
        if unseen:  # (seeds, folds) accuracy of each unseen task: paired gaps between agents
            by_task = np.moveaxis(np.asarray(rec["unseen_tasks"], dtype=np.float64), -1, 0)
            entry["unseen_per_task"] = dict(zip(unseen, by_task.tolist(), strict=True))
        if rec["unseen_few"]:
            entry["unseen_few_query"] = float(np.mean(rec["unseen_few"]))
            entry["few_queries"] = rec["few_queries"]
        if name in loto_names or spec in loto_names:
            entry.update(
                leave_one_task_out(spec, loto_seeds, source, epochs, overrides, bar, scoring)
            )
        out[name] = entry
    bar.close()
    references = reference_rows(source, folds, seen, unseen, scoring)
    settings = {
        "reward_source": source.name,
        "scoring": scoring,
        "folds": [
            {"train_seeds": list(f.train_seeds), "graded_seeds": list(f.graded_seeds)}
            for f in folds
            if f.train_seeds is not None
        ],
        "seeds": list(seeds),
        "loto_seeds": list(loto_seeds),
        "epochs": {_entry_name(a): epochs.get(_entry_name(a), _default_epochs(a)) for a in agents},
        "tasks": {"seen": len(seen), "unseen": len(unseen), "all": len(source.tasks)},
        "overrides": overrides,
        "per_task_best": {k: references["per_task_best"][k] for k in ("seen", "unseen")},
        "references": references,
    }
    return {"agents": out, "settings": settings}


def _score_run(
    spec: Any, seed: int, seen: list[str], unseen: list[str], fold: ScoringFold, epochs, overrides
) -> dict[str, Any]:
    """One agent trained on the seen tasks of a fold's training source, its answers graded."""
    t0 = time.perf_counter()
    agent, result = _train(spec, seed, seen, fold.train, epochs, overrides)
    seconds = time.perf_counter() - t0
    reached = [v for v in result.history["reached"].values() if v is not None]
    distinct = result.history["distinct_evaluations"]
    few = [few_query_accuracy(agent, fold.train, t, grade=fold.grade) for t in unseen]
    unseen_tasks = answer_accuracy(agent, fold.train, unseen, fold.grade).tolist()
    return {
        "kind": agent.kind,
        "seconds": seconds,
        "unseen": float(np.mean(unseen_tasks)) if unseen else float("nan"),
        "seen": float(answer_accuracy(agent, fold.train, seen, fold.grade).mean()),
        "unseen_tasks": unseen_tasks,
        "evals": reached,
        "reached": len(reached) / len(seen),
        "distinct": distinct[-1] if distinct else 0,
        "unseen_few": None if few[0] is None else float(np.mean([f[0] for f in few])),
        "few_queries": None if few[0] is None else few[0][1],
    }


def reference_rows(
    source: TableRewardSource,
    folds: Sequence[ScoringFold],
    seen: Sequence[str],
    unseen: Sequence[str],
    scoring: str,
) -> dict[str, dict[str, float]]:
    """The reference rows of a comparison, accuracy %, over the seen and the unseen tasks, graded
    like the agents: ``per_task_best`` (each task's best configuration on the training rewards),
    ``best_fixed`` (the one configuration best on average over the seen tasks' training rewards)
    and, where the table has it, ``untrained`` (the backbone never pre-trained). With held-out
    seed scoring they come from :func:`~t2s_env.rewards.signal.cross_seed_selection`, each with
    its standard error over tasks x folds (``seen_se``, ``unseen_se``).
    """
    rows = {"seen": [source.task_index(t) for t in seen],
            "unseen": [source.task_index(t) for t in unseen]}  # fmt: skip
    sel = None
    if scoring == "held-out seed" and isinstance(source, ReplicateRewardSource):
        mask = np.zeros(len(source.tasks), bool)
        mask[rows["seen"]] = True
        untrained = None if source.untrained is None else 100 * source.untrained
        try:
            sel = cross_seed_selection(
                100 * np.stack(list(source.replicates.values())),
                untrained=untrained,
                fixed_from=mask,
            )
        except ValueError:  # a task with one complete seed: no standard errors, graded below
            sel = None
    if sel is not None:
        names = [k for k in ("per_task_best", "best_fixed", "untrained") if k in sel]
        out: dict[str, dict[str, float]] = {k: {} for k in names}
        for split, idx in rows.items():
            if not idx:
                continue
            part = np.zeros(len(source.tasks), bool)
            part[idx] = True
            summary = selection_summary(sel, part)
            for k in out:
                out[k][split] = summary[k]["mean"]
                out[k][f"{split}_se"] = summary[k]["se"]
        return out
    out = {"per_task_best": {}, "best_fixed": {}}
    if all(f.untrained is not None for f in folds):
        out["untrained"] = {}
    for split, idx in rows.items():
        if not idx:
            continue
        best, fixed, base = [], [], []
        for f in folds:
            choice = int(np.argmax(f.train.rewards[rows["seen"]].mean(axis=0))) if seen else 0
            best.append(f.best[idx].mean())
            fixed.append(f.grade[idx, choice].mean())
            if "untrained" in out:
                base.append(f.untrained[idx].mean())
        out["per_task_best"][split] = 100 * float(np.mean(best))
        out["best_fixed"][split] = 100 * float(np.mean(fixed))
        if "untrained" in out:
            out["untrained"][split] = 100 * float(np.mean(base))
    return out


def to_markdown(results: dict[str, Any]) -> str:
    """The results as a markdown table (accuracy in %, mean ± std over seeds); few-shot results
    (:func:`budget_curves`) as :func:`budgets_to_markdown`."""
    if results.get("schema") == BUDGET_SCHEMA:
        return budgets_to_markdown(results)
    s = results["settings"]
    n = s.get("tasks", {"seen": 12, "all": 20})  # results written before the counts were kept
    held_out = s.get("scoring") == "held-out seed"
    best = "cross-seed per-task best" if held_out else "per-task best"
    lines = [
        scoring_sentence(s.get("scoring", "mean"), s.get("reward_source") == "replicates", s),
        "",
        f"Seeds 0..n-1 (n in the seeds column); trained on the {n['seen']} seen tasks; {best} "
        f"{s['per_task_best']['seen']:.2f} seen / {s['per_task_best']['unseen']:.2f} unseen. "
        f"LOTO: train on {n['all'] - 1} tasks, answer the held-out one without querying it, as a "
        f"fraction of its {best}{' (can exceed 1)' if held_out else ''} "
        "(few-query: the best of the agent's top-rated configurations measured on it). "
        "Evals to 99%: distinct (task, configuration) evaluations of a seen task when the "
        "agent's answer first reached 99% of the task's best (mean over the tasks that did).",
        "",
        "| agent | kind | seeds | seen | unseen | LOTO | LOTO few-query | evals to 99% | tasks reached | distinct evals | train s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def fmt(v: Any, spec: str = ".3f") -> str:
        return "-" if v is None else format(v, spec)

    for name, e in results["agents"].items():
        bound = " (cross-seed per-task best)" if held_out else " (upper bound)"
        kind = e["kind"] + (bound if e["kind"] == "oracle" else "")
        few = e.get("loto_few_query_fraction")
        few_s = "-" if few is None else f"{few:.3f} ({e['few_queries']} queries)"
        lines.append(
            f"| {name} | {kind} | {len(e.get('seeds', s['seeds']))} | "
            f"{e['seen_mean']:.2f} ± {e['seen_std']:.2f} | "
            f"{e['unseen_mean']:.2f} ± {e['unseen_std']:.2f} | {fmt(e.get('loto_fraction'))} | "
            f"{few_s} | {fmt(e['evals_to_99'], '.1f')} | {e['reached_fraction']:.2f} | "
            f"{e['distinct_evaluations']:.0f} | {e['train_seconds']:.1f} |"
        )
    untrained = s.get("references", {}).get("untrained")
    if untrained:
        lines.append(
            f"| *untrained backbone* | reference | - | {_with_se(untrained, 'seen')} | "
            f"{_with_se(untrained, 'unseen')} | - | - | - | - | - | - |"
        )
    few_unseen = [(n, e) for n, e in results["agents"].items() if "unseen_few_query" in e]
    for n, e in few_unseen:
        lines.append(
            f"\n{n}, few-query protocol on the unseen tasks ({e['few_queries']} queries per "
            f"task): {e['unseen_few_query']:.2f}."
        )
    return "\n".join(lines) + "\n"


def _with_se(row: dict[str, float], split: str) -> str:
    se = row.get(f"{split}_se")
    return f"{row[split]:.2f}" + ("" if se is None else f" ± {se:.2f} (SE)")


def scoring_sentence(scoring: str, replicates: bool, settings: dict | None = None) -> str:
    """One sentence that says how a result was scored (for the markdown of a result)."""
    if scoring == "held-out seed":
        folds = (settings or {}).get("folds") or []
        ways = "; ".join(
            f"trained on seed {f['train_seeds']}, graded on {f['graded_seeds']}" for f in folds
        )
        return (
            "**Scoring: held-out seed.** Each agent learns from one seed's replicates only and "
            "its answers are graded by the mean of the other seeds"
            + (f" ({ways})" if ways else "")
            + ", averaged over the folds; the per-task best is the cross-seed one (each task's "
            "best configuration on the training seed, graded on the other seeds), not the "
            "maximum of the replicate means, which no method could reach."
        )
    if replicates:
        return (
            "**Scoring: mean.** Agents learn from single replicates and are graded by the mean "
            "over replicates, including the seeds they learned from; the per-task best is the "
            "maximum of the replicate means (optimistic: a maximum over noisy means)."
        )
    return "**Scoring: the table's values** (one measurement per cell)."


# -- the few-shot budgeted protocol -------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One contender of the budgeted protocol: an advisor or an env-based agent."""

    name: str
    kind: str
    """``"advisor"`` or ``"agent"``."""
    make: Callable[[int], Any]
    """``make(seed)`` builds a fresh one."""
    source: str
    """Where it comes from (a registry name or ``module:factory``)."""
    epochs: int = 256
    """Training epochs of an agent on the training tasks (unused by advisors)."""


def _check_built(obj: Any, source: str) -> str:
    """``"advisor"`` or ``"agent"`` for what a factory built, checked against the protocols
    (every method there and callable; an agent's ``name`` a string, its ``kind`` one of
    :data:`agents.base.KINDS`) before any work; else a :class:`PluginError`."""
    from agents.base import KINDS

    what = f"{source} built an object of type {type(obj).__name__}"
    if is_advisor(obj):
        return "advisor"
    methods = ("act", "learn", "save", "load")
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing == list(methods):
        raise PluginError(
            f"{what}, which is neither an agent (name, kind, act, learn, save, load) nor an "
            "advisor (fit, suggest, answer)"
        )
    if missing:
        raise PluginError(f"{what}, which lacks the Agent methods {missing}")
    name, kind = getattr(obj, "name", None), getattr(obj, "kind", None)
    if not isinstance(name, str) or not name:
        raise PluginError(f"{what} whose name {name!r} is not a non-empty string")
    if kind not in KINDS:
        raise PluginError(f"{what} whose kind {kind!r} is not one of {list(KINDS)}")
    epochs = getattr(obj, "epochs", 256)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise PluginError(f"{what} whose epochs {epochs!r} is not an integer >= 1")
    return "agent"


def _guarded(obj: Any, source: str) -> Any:
    """``obj`` (a plug-in's agent or advisor) behind a stand-in whose methods raise
    :class:`PluginError` naming the plug-in when they fail, so a bug in foreign code is reported
    as such, in one line. Attributes are read and written through; the stand-in's class has
    every public attribute of ``obj`` (runtime protocol checks see them)."""

    def method(attr: str) -> Callable[..., Any]:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            return call_plugin(source, f"its {attr}()", getattr(obj, attr), *args, **kwargs)

        return call

    def through(attr: str) -> property:
        return property(lambda self: getattr(obj, attr), lambda self, v: setattr(obj, attr, v))

    namespace: dict[str, Any] = {"__repr__": lambda self: f"<{source}: {obj!r}>"}
    for attr in dir(obj):
        if attr.startswith("_"):
            continue
        try:
            value = getattr(obj, attr)
        except Exception:  # noqa: BLE001 (a property that fails: read through, fails when used)
            value = None
        namespace[attr] = method(attr) if callable(value) else through(attr)
    return type(f"Plugin{type(obj).__name__}", (), namespace)()


def resolve_entry(spec: str | Callable[..., Any]) -> Entry:
    """An :class:`Entry` from an advisor name (:data:`agents.advisor.ADVISORS`), an agent name
    (:data:`agents.AGENTS`), ``package.module:factory`` or a factory: ``factory(seed=...)``
    returns an advisor (``fit``/``suggest``/``answer``) or an agent (``act``/``learn``/``save``/
    ``load``, a ``name`` and a ``kind``). A plug-in is imported, called once with ``seed=0`` and
    its object checked here, before any work; every failure is a :class:`PluginError`.

    >>> resolve_entry("gp").kind, resolve_entry("best-fixed").kind
    ('advisor', 'agent')
    """
    from agents import AGENTS
    from agents.advisor import ADVISORS, make_advisor

    if isinstance(spec, str) and spec in ADVISORS:
        return Entry(spec, "advisor", lambda seed: make_advisor(spec, seed), spec)
    if isinstance(spec, str) and spec in AGENTS:
        return Entry(spec, "agent", lambda seed: make_agent(spec, seed), spec, DEFAULT_EPOCHS[spec])
    if isinstance(spec, str):
        if ":" not in spec:
            raise ValueError(
                f"unknown agent or advisor {spec!r}; choose from {sorted(AGENTS)} (agents), "
                f"{sorted(ADVISORS)} (advisors) or name one as package.module:factory"
            )
        factory, source = import_factory(spec), spec
        check_seed_parameter(factory, source)
    elif callable(spec):
        factory = spec
        source = f"{getattr(spec, '__module__', '?')}:{getattr(spec, '__qualname__', spec)}"
        check_seed_parameter(factory, source)
    else:
        raise ValueError(f"an entry is a name, package.module:factory or a factory, got {spec!r}")

    def make(seed: int) -> Any:
        obj = call_plugin(source, f"the factory (seed={seed})", factory, seed=seed)
        if call_plugin(source, "checking its object", _check_built, obj, source) != kind:
            raise PluginError(f"{source}: the factory built an {kind} for seed 0, not seed {seed}")
        return _guarded(obj, source)

    probe = call_plugin(source, "the factory (seed=0)", factory, seed=0)
    kind = call_plugin(source, "checking its object", _check_built, probe, source)
    name = str(probe.name) if isinstance(getattr(probe, "name", None), str) else source
    epochs = int(getattr(probe, "epochs", 256))
    return Entry(name or source, kind, make, source, epochs)


def _distinct_names(entries: list[Entry]) -> list[Entry]:
    """Entries named apart: one from outside the package whose object's name is a registered
    name or another entry's (say a factory returning a re-configured ``gp``) goes by its import
    path instead."""
    from agents import AGENTS
    from agents.advisor import ADVISORS

    names = [e.name for e in entries]
    taken = {*AGENTS, *ADVISORS}
    out = [
        replace(e, name=e.source)
        if e.source != e.name and (names.count(e.name) > 1 or e.name in taken)
        else e
        for e in entries
    ]
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise ValueError(f"two entries share a name: {names}")
    return out


def _split_folds(source: TableRewardSource, split: str) -> list[tuple[list[str], str]]:
    if split == "loto":
        return [([t for t in source.tasks if t != task], task) for task in source.tasks]
    if split == "seen-unseen":
        seen = [t for t in source.tasks if source.split(t) == "seen"]
        unseen = [t for t in source.tasks if source.split(t) == "unseen"]
        if not seen or not unseen:
            raise ValueError("the seen-unseen split needs seen and unseen tasks in the table")
        return [(seen, task) for task in unseen]
    raise ValueError(f"unknown split {split!r}; choose from {list(SPLITS)}")


_FITTED: dict[tuple, Any] = {}
"""Advisors fitted in the current :func:`budget_curves` call, for those whose fit does not depend
on the seed (``seed_independent_fit = True``): one fit per fold serves every seed."""


def _fitted_advisor(entry: Entry, seed: int, train_tasks, source) -> Any:
    keys = source.space.all_keys()
    rows = [source.task_index(t) for t in train_tasks]
    advisor = entry.make(seed)
    shared = getattr(advisor, "seed_independent_fit", False)
    tag = (entry.name, tuple(train_tasks), getattr(source, "seeds", None))  # a fold: its seeds
    if shared and tag in _FITTED:
        return _FITTED[tag]
    advisor.fit(source.embeddings[rows], source.rewards[rows], keys)
    if shared:
        _FITTED[tag] = advisor
    return advisor


def _advisor_fold(entry, seed, train_tasks, task, source, budgets, noise_stds) -> list[list[int]]:
    """Kept flat indices per noise level, per budget."""
    from agents.advisor.loop import run_budgets

    keys = source.space.all_keys()
    advisor = _fitted_advisor(entry, seed, train_tasks, source)
    i = source.task_index(task)
    out = []
    for noise in noise_stds:
        rng = np.random.default_rng([int(seed), i, int(round(noise * 1e6))])
        kept, _ = run_budgets(
            advisor, source.embeddings[i], measured_row(source, i, rng), keys, budgets, noise, rng
        )
        out.append([keys.index(k) for k in kept])
    return out


def measured_row(source: TableRewardSource, task_idx: int, rng: np.random.Generator) -> np.ndarray:
    """What measuring each configuration of a task gives, ``(C,)``: on a table of seed
    replicates (the CPU table) one replicate per configuration drawn with ``rng`` (the measured
    noise, as its env gives an agent); on a single-valued table its values."""
    if not isinstance(source, ReplicateRewardSource):
        return source.rewards[task_idx]
    n = source.space.size
    return source.sample_rewards(np.full(n, task_idx), np.arange(n), rng)


def _agent_fold(entry, seed, train_tasks, task, source, budgets, noise_stds) -> list[list[int]]:
    """An env-based agent: trained on the training tasks through an env, it keeps learning on
    the held-out task through ``reset(options={"task": task})``; the env counts the distinct
    evaluations. A fresh agent per noise level (learning changes it)."""
    out = []
    for noise in noise_stds:
        agent = entry.make(seed)
        env = Task2SimEnv(tasks=train_tasks, reward_source=source)
        train(agent, env, epochs=entry.epochs, seed=seed, progress=False)
        held = Task2SimEnv(tasks=[task], reward_source=source, noise_std=noise)
        held.reset(seed=seed)
        obs = held.task_observation(task).astype(np.float64)[None]
        cap = AGENT_MAX_QUERIES_PER_BUDGET * max(budgets)
        kept = []
        for b in budgets:
            while held.distinct_evaluations < b and held.reward_queries < cap:
                action = np.asarray(agent.act(obs, deterministic=False))[0]
                new_obs, reward, _ = query(held, task, action)
                agent.learn(new_obs[None], action[None], np.array([reward]))
            answer = np.asarray(agent.act(obs, deterministic=True))[0]
            kept.append(int(source.space.action_to_index(answer)))
        out.append(kept)
    return out


ANCHOR_NAMES = {
    "mean": ("random distinct configurations (expected)", "static top-k of mean fraction-of-best"),
    "held-out seed": (
        "random distinct configurations (expected)",
        "static top-k, measured on the training seed",
    ),
}
"""The anchors' names per scoring."""


def budget_anchors(
    source: TableRewardSource, split: str, budgets: Sequence[int], scoring: str | None = None
) -> dict:
    """The issue's anchors, computed exactly from the table: the expected fraction of best of
    ``k`` random distinct configurations (k = 0: a random one), each measured once and the best
    measured kept, and the static top-k of the mean fraction-of-best over the training tasks
    (k = 0: its top one), the best measured of the k kept. With the table's values (no noise) the
    best kept is the best; with held-out-seed ``scoring`` (see :func:`budget_curves`) the
    measurements are the training seed's and the kept one is graded on the other seeds, per
    fold, averaged."""
    folds = scoring_folds(source, scoring)
    names = ANCHOR_NAMES[default_scoring(source) if scoring is None else scoring]
    n = source.space.size
    rand, static = [], []
    for fold in folds:
        train = fold.train.rewards / fold.train.rewards.max(axis=1, keepdims=True)
        graded = fold.grade / fold.best[:, None]
        for train_tasks, task in _split_folds(source, split):
            i = source.task_index(task)
            # the held-out task's configurations in increasing order of what measuring gives
            row = graded[i][np.argsort(train[i], kind="stable")]
            rows = [source.task_index(t) for t in train_tasks]
            order = np.argsort(-train[rows].mean(axis=0), kind="stable")
            r, s = [], []
            for k in budgets:
                if k == 0:
                    r.append(float(row.mean()))
                    s.append(float(graded[i, order[0]]))
                    continue
                # P(max of a random k-subset is the i-th smallest) = C(i, k-1) / C(n, k)
                p = np.array([math.comb(j, k - 1) for j in range(n)], dtype=float) / math.comb(n, k)
                r.append(float(p @ row))
                top = order[:k]
                s.append(float(graded[i, top[int(np.argmax(train[i, top]))]]))
            rand.append(r)
            static.append(s)
    return {
        names[0]: np.mean(rand, axis=0).tolist(),
        names[1]: np.mean(static, axis=0).tolist(),
    }


def _package_version() -> str:
    try:
        return importlib.metadata.version("task2sim-gym")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def budget_curves(
    entries: Sequence[str | Callable[..., Any]],
    budgets: Sequence[int] = BUDGETS,
    splits: Sequence[str] = SPLITS,
    noise_stds: Sequence[float] = (0.0,),
    seeds: Sequence[int] = (0,),
    source: TableRewardSource | None = None,
    progress: bool = False,
    epochs: dict[str, int] | None = None,
    scoring: str | None = None,
) -> dict[str, Any]:
    """The few-shot protocol: for each split, held-out task, seed and contender, a budget of
    ``k`` distinct evaluations on the held-out task chosen one at a time (each result seen before
    the next choice), then the configuration it keeps; the score is that configuration's table
    reward / the task's best (measurements carry ``noise_std`` noise, the score never does).

    On a table of seed replicates (:class:`~t2s_env.rewards.ReplicateRewardSource`) the default
    ``scoring`` is ``"held-out seed"``: per fold, the contender is fitted on the training tasks'
    rewards of one seed, each measurement on the held-out task is that seed's replicate (plus
    ``noise_std``), and the kept configuration is graded by the mean of the other seeds, over the
    cross-seed per-task best (the task's best configuration on the training seed, graded on the
    others: what measuring all of them once reaches; a score can exceed 1); folds averaged. With
    ``scoring="mean"`` a measurement is one replicate drawn among the seeds, as in the table's
    env, and the score is by the replicate mean over its maximum.

    Hyperparameters are never chosen on the held-out task: advisors that select them (``gp``)
    do it by nested leave-one-out inside ``fit``, which sees the training tasks only; agents run
    with their defaults, trained for ``epochs[name]`` epochs (default: their registry's).

    Returns a self-describing, versioned dict (``schema``, ``schema_version``,
    ``package_version``, ``protocol``, ``anchors``, ``entries``): per entry and split, per noise
    level (keys ``str(noise_std)``), ``mean`` (per budget), ``per_seed`` and ``per_task``.

    >>> res = budget_curves(["static"], budgets=(0, 1, 4), splits=["loto"])
    >>> [round(v, 3) for v in res["entries"]["static"]["curves"]["loto"]["0.0"]["mean"]]
    [0.868, 0.868, 0.932]
    """
    from agents.advisor.loop import check_budgets

    source = TableRewardSource() if source is None else source
    scoring_by = scoring_folds(source, scoring)
    scoring = default_scoring(source) if scoring is None else scoring
    budgets = check_budgets(budgets, source.space.size)
    noise_stds = [float(x) for x in noise_stds]
    for x in noise_stds:
        check_positive("noise_std", x, allow_zero=True)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    resolved = _distinct_names([resolve_entry(e) for e in entries])
    resolved = [replace(e, epochs=int((epochs or {}).get(e.name, e.epochs))) for e in resolved]
    folds = {split: _split_folds(source, split) for split in splits}
    total = len(resolved) * len(seeds) * sum(len(f) for f in folds.values())
    bar = tqdm(total=total, disable=not progress, desc="budget curves")
    t_start = time.perf_counter()
    _FITTED.clear()
    out: dict[str, Any] = {}
    for entry in resolved:
        run_fold = _advisor_fold if entry.kind == "advisor" else _agent_fold
        t0 = time.perf_counter()
        curves: dict[str, Any] = {}
        for split, split_folds in folds.items():
            # scores[noise][seed][task][budget]
            scores = np.empty((len(noise_stds), len(seeds), len(split_folds), len(budgets)))
            for s, seed in enumerate(seeds):
                for j, (train_tasks, task) in enumerate(split_folds):
                    i, graded = source.task_index(task), []
                    for fold in scoring_by:
                        kept = run_fold(entry, seed, train_tasks, task, fold.train, budgets,
                                        noise_stds)  # fmt: skip
                        graded.append(fold.grade[i][np.array(kept)] / fold.best[i])
                    scores[:, s, j] = np.mean(graded, axis=0)
                    bar.update()
            tasks = [task for _, task in split_folds]
            curves[split] = {
                str(noise): {
                    "mean": scores[n].mean(axis=(0, 1)).tolist(),
                    "per_seed": scores[n].mean(axis=1).tolist(),
                    "per_task": dict(zip(tasks, scores[n].mean(axis=0).tolist(), strict=True)),
                }
                for n, noise in enumerate(noise_stds)
            }
        out[entry.name] = {
            "kind": entry.kind,
            "source": entry.source,
            "curves": curves,
            "seconds": time.perf_counter() - t0,
        }
    bar.close()
    _FITTED.clear()
    return {
        "schema": BUDGET_SCHEMA,
        "schema_version": BUDGET_SCHEMA_VERSION,
        "package_version": _package_version(),
        "protocol": {
            "name": "few-shot budgeted",
            "scoring": scoring,
            "folds": [
                {"train_seeds": list(f.train_seeds), "graded_seeds": list(f.graded_seeds)}
                for f in scoring_by
                if f.train_seeds is not None
            ],
            "score": (
                "mean of the other seeds' replicates of the kept configuration / the held-out "
                "task's cross-seed best (its best configuration on the training seed, graded on "
                "the other seeds)"
                if scoring == "held-out seed"
                else "table reward of the kept configuration / the held-out task's best"
            ),
            "budgets": list(budgets),
            "splits": {s: [task for _, task in f] for s, f in folds.items()},
            "noise_stds": noise_stds,
            "seeds": seeds,
            "agent_max_queries": AGENT_MAX_QUERIES_PER_BUDGET * max(budgets),
            "agent_epochs": {e.name: e.epochs for e in resolved if e.kind == "agent"},
            "table": {
                "tasks": len(source.tasks),
                "configurations": source.space.size,
                "measurement": (
                    "the training seed's replicate"
                    if scoring == "held-out seed"
                    else "one seed replicate"
                    if isinstance(source, ReplicateRewardSource)
                    else "the table's value"
                ),
            },
        },
        "anchors": {s: budget_anchors(source, s, budgets, scoring) for s in folds},
        "entries": out,
        "seconds": time.perf_counter() - t_start,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def budgets_to_markdown(results: dict[str, Any]) -> str:
    """Budget curves as markdown: one table per split and noise level (fraction of best)."""
    p = results["protocol"]
    budgets = p["budgets"]
    measurement = p["table"].get("measurement")
    replicates = measurement in ("one seed replicate", "the training seed's replicate")
    held_out = p.get("scoring") == "held-out seed"
    if held_out:
        ways = "; ".join(
            f"measured on seed {f['train_seeds']}, graded on {f['graded_seeds']}"
            for f in p.get("folds", [])
        )
        how = (
            " **Scoring: held-out seed.** Each contender is fitted on one seed's replicates of the "
            "training tasks and each measurement on the held-out task is that seed's replicate; "
            "the configuration kept is graded by the mean of the other seeds"
            + (f" ({ways})" if ways else "")
            + ", as a fraction of the task's cross-seed best (its best configuration on the "
            "training seed, graded on the others: what measuring every configuration once "
            "reaches; a fraction can exceed 1), averaged over the folds. The anchors are "
            "computed the same way, exactly."
        )
    elif replicates:
        how = (
            " **Scoring: mean.** Each measurement is one seed replicate of the table (its measured"
            " noise), the score is by the replicate mean; the anchor rows are computed from the "
            "means (as if measurements had no noise)."
        )
    else:
        how = ""
    best = "cross-seed best" if held_out else "best"
    lines = [
        f"Few-shot protocol (schema {results['schema']} v{results['schema_version']}, "
        f"task2sim-gym {results['package_version']}): each held-out task gets a budget of k "
        "distinct evaluations chosen one at a time, then the configuration kept is scored by "
        f"its table reward / the task's {best}; mean over held-out tasks and seeds "
        f"{p['seeds']}." + how,
    ]
    noise_label = "added noise" if replicates else "measurement noise"
    header = "| entry | kind | " + " | ".join(f"k={k}" for k in budgets) + " |"
    rule = "|---|---|" + "---|" * len(budgets)
    for split, tasks in p["splits"].items():
        for noise in p["noise_stds"]:
            desc = (
                f"leave-one-task-out over {len(tasks)} tasks"
                if split == "loto"
                else f"fitted on the seen tasks, {len(tasks)} unseen tasks held out"
            )
            lines += ["", f"**{split}** ({desc}), {noise_label} {noise}:", "", header, rule]
            for name, e in results["entries"].items():
                vals = e["curves"][split][str(noise)]["mean"]
                lines.append(
                    f"| {name} | {e['kind']} | " + " | ".join(f"{v:.3f}" for v in vals) + " |"
                )
            if noise == 0:
                for name, vals in results["anchors"][split].items():
                    lines.append(
                        f"| *{name}* | anchor | " + " | ".join(f"{v:.3f}" for v in vals) + " |"
                    )
    return "\n".join(lines) + "\n"
