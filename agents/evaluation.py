"""The paper's comparison: train each agent on the seen tasks, score its deterministic answer per
task, average over seen and unseen tasks over several seeds; leave-one-task-out over all tasks;
sample efficiency. Results as a JSON-able dict and a markdown table.

Accuracies are graded against the reward table (not queried: grading is not the agent's query).

>>> res = evaluate(["dr", "oracle"], seeds=[0], loto=False, progress=False)
>>> round(res["agents"]["dr"]["seen_mean"], 2), round(res["agents"]["oracle"]["seen_mean"], 2)
(24.07, 32.6)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from agents import DEFAULT_EPOCHS, make_agent
from agents.base import Agent, query
from agents.training import train
from t2s_env.envs import Task2SimEnv
from t2s_env.rewards import TableRewardSource
from t2s_env.space import task_observation


def answer_accuracy(agent: Agent, source: TableRewardSource, tasks: Sequence[str]) -> np.ndarray:
    """Accuracy (%) of the agent's deterministic configuration for each task."""
    rows = [source.task_index(t) for t in tasks]
    obs = task_observation(source.embeddings[rows]).astype(np.float64)
    idx = np.atleast_1d(source.space.action_to_index(agent.act(obs, deterministic=True)))
    return 100 * source.rewards[rows, idx]


def few_query_accuracy(
    agent: Agent, source: TableRewardSource, task: str, m: int | None = None
) -> tuple[float, int] | None:
    """For an agent with ``candidates`` (the neighbour-transfer agent): measure its ``m``
    best-rated configurations on ``task`` through an env over that task alone and answer the best
    one. Returns (accuracy %, queries) or ``None`` if the agent has no candidates."""
    fn = getattr(agent, "candidates", None)
    if not callable(fn):
        return None
    env = Task2SimEnv(tasks=[task], reward_source=source)
    obs = env.task_observation(task).astype(np.float64)[None]
    rewards = [query(env, task, a)[1] for a in fn(obs, m)[0]]
    return 100 * max(rewards), env.reward_queries


def _train(name: str, seed: int, tasks, source, epochs, overrides) -> tuple[Agent, Any]:
    agent = make_agent(name, seed=seed, space=source.space, overrides=overrides.get(name))
    env = Task2SimEnv(tasks=tasks, reward_source=source)
    result = train(
        agent, env, epochs=epochs.get(name, DEFAULT_EPOCHS[name]), seed=seed, progress=False
    )
    return agent, result


def leave_one_task_out(
    name: str,
    seeds: Sequence[int] = (0,),
    source: TableRewardSource | None = None,
    epochs: dict[str, int] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    bar: tqdm | None = None,
) -> dict[str, Any]:
    """Leave-one-task-out over every task of ``source``: train agent ``name`` on the other tasks,
    answer the held-out one without querying it. Returns ``loto_fraction`` (mean over tasks and
    seeds of accuracy / per-task best), ``loto_per_task`` (first seed) and ``loto_seeds``; for
    agents with a few-query protocol also ``loto_few_query_fraction``."""
    source = TableRewardSource() if source is None else source
    epochs, overrides = dict(epochs or {}), dict(overrides or {})
    best = 100 * source.rewards.max(axis=1)
    fracs, few_fracs = [], []
    for seed in seeds:
        for i, task in enumerate(source.tasks):
            train_tasks = [t for t in source.tasks if t != task]
            agent, _ = _train(name, seed, train_tasks, source, epochs, overrides)
            fracs.append(float(answer_accuracy(agent, source, [task])[0] / best[i]))
            few = few_query_accuracy(agent, source, task)
            if few is not None:
                few_fracs.append(few[0] / best[i])
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
    agents: Sequence[str],
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    epochs: dict[str, int] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    loto: bool | Sequence[str] = True,
    loto_seeds: Sequence[int] = (0,),
    source: TableRewardSource | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the comparison.

    Args:
        agents: Agent names (see :data:`agents.AGENTS`).
        seeds: Seeds of the seen/unseen evaluation (mean and std over them).
        epochs: Training epochs per agent name (default :data:`agents.DEFAULT_EPOCHS`).
        overrides: Hyperparameter overrides per agent name.
        loto: Leave-one-task-out for every agent (``True``), none (``False``) or the named ones.
        loto_seeds: Seeds of the leave-one-task-out runs.
        source: The reward table (the paper's by default).
        progress: Show progress bars.

    Returns a dict: ``{"agents": {name: {...}}, "settings": {...}}``; per agent ``seen_mean``,
    ``seen_std``, ``unseen_mean``, ``unseen_std`` (accuracy %), per-seed values,
    ``evals_to_99`` (mean over seen tasks and seeds of the distinct evaluations of a task when
    the answer first reached 99% of its best; tasks never reaching it are left out, and
    ``reached_fraction`` says how many did), ``distinct_evaluations``, ``train_seconds``, and
    with LOTO ``loto_fraction`` (mean over tasks of accuracy / per-task best) and, for agents
    with a few-query protocol, ``loto_few_query_fraction`` and ``unseen_few_query``.
    """
    source = TableRewardSource() if source is None else source
    epochs, overrides = dict(epochs or {}), dict(overrides or {})
    seen = [t for t in source.tasks if source.split(t) == "seen"]
    unseen = [t for t in source.tasks if source.split(t) == "unseen"]
    best = 100 * source.rewards.max(axis=1)
    loto_names = list(agents) if loto is True else ([] if loto is False else list(loto))
    out: dict[str, Any] = {}
    jobs = [(n, s) for n in agents for s in seeds]
    bar = tqdm(total=len(jobs) + len(loto_names) * len(loto_seeds) * len(source.tasks),
               disable=not progress, desc="evaluate")  # fmt: skip
    for name in agents:
        rec: dict[str, Any] = {"seen": [], "unseen": [], "evals": [], "reached": [], "distinct": [],
                               "seconds": [], "unseen_few": [], "few_queries": None}  # fmt: skip
        for seed in seeds:
            t0 = time.perf_counter()
            agent, result = _train(name, seed, seen, source, epochs, overrides)
            rec["seconds"].append(time.perf_counter() - t0)
            rec["kind"] = agent.kind
            rec["seen"].append(float(answer_accuracy(agent, source, seen).mean()))
            rec["unseen"].append(float(answer_accuracy(agent, source, unseen).mean()))
            reached = [v for v in result.history["reached"].values() if v is not None]
            rec["evals"].extend(reached)
            rec["reached"].append(len(reached) / len(seen))
            rec["distinct"].append(
                result.history["distinct_evaluations"][-1]
                if result.history["distinct_evaluations"]
                else 0
            )
            few = [few_query_accuracy(agent, source, t) for t in unseen]
            if few[0] is not None:
                rec["unseen_few"].append(float(np.mean([f[0] for f in few])))
                rec["few_queries"] = few[0][1]
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
        if rec["unseen_few"]:
            entry["unseen_few_query"] = float(np.mean(rec["unseen_few"]))
            entry["few_queries"] = rec["few_queries"]
        if name in loto_names:
            entry.update(leave_one_task_out(name, loto_seeds, source, epochs, overrides, bar))
        out[name] = entry
    bar.close()
    settings = {
        "seeds": list(seeds),
        "loto_seeds": list(loto_seeds),
        "epochs": {n: epochs.get(n, DEFAULT_EPOCHS[n]) for n in agents},
        "overrides": overrides,
        "per_task_best": {
            "seen": float(best[[source.task_index(t) for t in seen]].mean()),
            "unseen": float(best[[source.task_index(t) for t in unseen]].mean()),
        },
    }
    return {"agents": out, "settings": settings}


def to_markdown(results: dict[str, Any]) -> str:
    """The results as a markdown table (accuracy in %, mean ± std over seeds)."""
    s = results["settings"]
    lines = [
        f"Seeds 0..n-1 (n in the seeds column); trained on the 12 seen tasks; per-task best "
        f"{s['per_task_best']['seen']:.2f} seen / {s['per_task_best']['unseen']:.2f} unseen. "
        "LOTO: train on 19 tasks, answer the 20th without querying it, as a fraction of its best "
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
        kind = e["kind"] + (" (upper bound)" if e["kind"] == "oracle" else "")
        few = e.get("loto_few_query_fraction")
        few_s = "-" if few is None else f"{few:.3f} ({e['few_queries']} queries)"
        lines.append(
            f"| {name} | {kind} | {len(e.get('seeds', s['seeds']))} | "
            f"{e['seen_mean']:.2f} ± {e['seen_std']:.2f} | "
            f"{e['unseen_mean']:.2f} ± {e['unseen_std']:.2f} | {fmt(e.get('loto_fraction'))} | "
            f"{few_s} | {fmt(e['evals_to_99'], '.1f')} | {e['reached_fraction']:.2f} | "
            f"{e['distinct_evaluations']:.0f} | {e['train_seconds']:.1f} |"
        )
    few_unseen = [(n, e) for n, e in results["agents"].items() if "unseen_few_query" in e]
    for n, e in few_unseen:
        lines.append(
            f"\n{n}, few-query protocol on the unseen tasks ({e['few_queries']} queries per "
            f"task): {e['unseen_few_query']:.2f}."
        )
    return "\n".join(lines) + "\n"
