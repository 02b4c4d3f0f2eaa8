"""Agents on the measured CPU table: the paper's comparison on ``Task2Sim-CPU-v0``, and the
paper's agent trained through ``Task2Sim-Live-v0`` itself (the loop, demonstrated).

    OMP_NUM_THREADS=1 python benchmarks/cpu_env.py compare --seeds 5  # results/cpu_env_compare.{md,json}
    OMP_NUM_THREADS=1 python benchmarks/cpu_env.py loop --seeds 5 --live-from cpu_env_loop_live_seed0.json
                                                             # results/cpu_env_loop.{md,json}
    python benchmarks/cpu_env.py figure                      # results/cpu_env.png, from both
    python benchmarks/cpu_env.py stats                       # results/cpu_table_stats.{md,json}
    OMP_NUM_THREADS=1 python benchmarks/cpu_env.py fewshot --seeds 5  # results/cpu_env_fewshot.{md,json,png}
    OMP_NUM_THREADS=1 python benchmarks/cpu_env.py fewshot --budget-pretrainings 1,2,4,8
                                                             # results/cpu_env_fewshot_seconds.{md,json}
    python benchmarks/cpu_env.py main-effects                # results/cpu_main_effects.png

Every score here is **held-out seed** (``t2s_env.rewards.scoring_folds``): a method learns from
one pre-training seed's replicates and its answer is graded by the other seed, both ways round,
averaged. The per-task best it is compared with is the cross-seed one (each task's best
configuration on the training seed, graded on the other), and the untrained backbone (each
seed's initialisation, never pre-trained; ``t2s_env.data.load_cpu_untrained``) is a reference
row.

``compare``: ``agents.evaluation.evaluate`` over the packaged CPU table (the same as
``t2s evaluate --table cpu``): every agent trained on the 5 seen live tasks with one seed's
replicates as rewards; its deterministic answers graded on the other seed on the seen and the
3 unseen tasks; leave-one-task-out over the 8.

``loop``: the paper's agent trained on the 5 seen live tasks through the live env with the
``cpu`` recipe, a pre-training seed (0, then 1) and the sweep's store (``--store``): each reward
query is a look-up of a stored measurement or a new render + pre-train + 5-NN evaluation, and
both are counted. Its answers on the 3 unseen tasks are graded by the packaged table's other
seed, beside random, domain randomisation, the best fixed configuration of the seen tasks,
the cross-seed per-task best, the untrained backbone and the same agent trained on
``Task2Sim-CPU-v0`` restricted to the same seed. Training live looks each measurement up in the
sweep's store; where that store is not at hand (it stays on the machine that measured the table),
training live would pre-train anew, so ``--live-from FILE`` re-grades the live answers of an
earlier run instead (``cpu_env_loop_live_seed0.json``: 2026-12-02, pre-training seed 0 only).

``stats``: what the packaged table itself says, per task: the spread of the configuration
means, one seed's noise (the pooled SD between replicates of a cell), how well two seeds agree
(Spearman and Pearson between the seed rows; the Pearson r is the reliability of one seed, and
Spearman-Brown gives the seeds a mean needs for 0.8), a one-way ANOVA across configurations
(replicates as the groups' samples), the knobs' main effects, how the tasks' rankings agree, and
what selection reaches when it is chosen on one seed and graded on the other
(``t2s_env.rewards.signal.cross_seed_selection``: per-task best, best fixed, untrained backbone).

``fewshot``: the budgeted few-shot protocol (``t2s evaluate --table cpu --budgets ...``) on the
measured table: an advisor is fitted on one seed's replicates of the training tasks, measures
the held-out task on that seed, and the configuration it keeps is graded on the other seed, as a
fraction of the task's cross-seed best; also the ``gp`` model told the seed noise
(``noise_std`` 0.03, about one seed's SD in ``stats``).

``fewshot --budget-seconds S,...`` (or ``--budget-pretrainings M,...``: multiples of the median
full pre-training's CPU seconds): the same protocol on a budget in CPU seconds over the table's
learning curves (``agents.advisor.costloop``): successive halving over the ``gp`` advisor's
candidates, the screen-then-top-k baseline (arXiv 2307.15422), the ``gp`` advisor and random
configurations fully trained; as fractions of the cross-seed best, beside the untrained
backbone. It needs a table with learning curves (``fidelities``, ``curves``, ``cost_seconds``)
and says so when the table has none.

``main-effects``: each knob's main effect per task family on the packaged table
(``agents.plotting.plot_table_main_effects``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from agents import DEFAULT_EPOCHS, make_agent
from agents.evaluation import evaluate, reference_rows, to_markdown
from agents.training import train
from t2s_env.data import load_cpu_table
from t2s_env.envs import Task2SimEnv
from t2s_env.envs.live import make_live_env
from t2s_env.rewards import ReplicateRewardSource, scoring_folds
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY, PAPER_SPACE, task_observation

RESULTS = Path(__file__).resolve().parent / "results"
STORE = RESULTS / "cpu_table" / "rewards.sqlite"
COMPARISON = ("random", "dr", "best-fixed", "oracle", "task2sim", "neighbour-transfer")


def compare(seeds: int, out: Path) -> None:
    source = ReplicateRewardSource()
    t0 = time.perf_counter()
    res = evaluate(list(COMPARISON), seeds=range(seeds), source=source, progress=True)
    res["settings"]["wall_seconds"] = time.perf_counter() - t0
    res["settings"]["table"] = source.provenance
    out.with_suffix(".json").write_text(json.dumps(res, indent=2))
    md = to_markdown(res)
    refs = res["settings"]["references"]
    lines = ["", "References, graded the same way (mean ± standard error over tasks x folds):", "",
             "| reference | seen | unseen |", "|---|---|---|"]  # fmt: skip
    for name, row in refs.items():
        lines.append(
            f"| {name.replace('_', ' ')} | {row['seen']:.2f} ± {row['seen_se']:.2f} | "
            f"{row['unseen']:.2f} ± {row['unseen_se']:.2f} |"
        )
    out.with_suffix(".md").write_text(
        "# Agents on Task2Sim-CPU-v0 (the measured CPU table)\n\n"
        f"`OMP_NUM_THREADS=1 python benchmarks/cpu_env.py compare --seeds {seeds}`; accuracies in "
        "%, each agent trained on one seed's replicates and graded on the other seed (held-out "
        "seed, both ways round).\n\n" + md + "\n".join(lines) + "\n"
    )
    print(md)


def _graded(keys: dict[str, str], source: ReplicateRewardSource, grade: np.ndarray) -> float:
    """Mean accuracy % over the tasks of their keys, graded by ``grade`` (a fold's)."""
    return 100 * float(
        np.mean([grade[source.task_index(t), PAPER_SPACE.all_keys().index(k)]
                 for t, k in keys.items()])
    )  # fmt: skip


def _earlier_live_rows(path: Path, fold, source: ReplicateRewardSource) -> list[dict]:
    """The live rows of an earlier ``loop`` result (trained with pre-training seed 0, as every
    run before held-out scoring was), re-graded on ``fold``'s held-out seed."""
    earlier = json.loads(path.read_text())
    rows = [dict(r) for r in earlier["rows"] if r["trained_on"] == "Task2Sim-Live-v0"
            and r.get("train_seed", 0) == fold.train_seeds[0]]  # fmt: skip
    for r in rows:
        r.pop("unseen_mean", None), r.pop("unseen_seed0", None)  # the old, in-sample figures
        r.update(train_seed=fold.train_seeds[0], graded_seeds=list(fold.graded_seeds),
                 unseen_held_out=_graded(r["answers"], source, fold.grade),
                 regraded_from=r.get("regraded_from", str(path.name)))  # fmt: skip
    return rows


def loop(seeds: int, epochs: int, store: Path, out: Path, live_from: Path | None = None) -> None:
    table = load_cpu_table()
    source = ReplicateRewardSource()  # the packaged table, with its untrained backbone
    folds = scoring_folds(source)  # pre-training seed 0 graded on 1, and 1 on 0
    seen, unseen = list(table.split["seen"]), list(table.split["unseen"])
    vectors = {t: table.embedding[i] for i, t in enumerate(table.tasks)}
    obs_unseen = task_observation(np.stack([vectors[t] for t in unseen])).astype(np.float64)
    rows: list[dict] = []
    if live_from is not None:  # the live answers of an earlier run, re-graded (seed 0 only)
        rows += _earlier_live_rows(live_from, folds[0], source)
    for seed in tqdm(range(seeds), desc="live training"):
        for fold in folds:
            (train_seed,) = fold.train_seeds
            if live_from is not None:
                _train_on_table(seed, epochs, fold, seen, unseen, obs_unseen, source, rows)
                continue
            env = make_live_env(tasks=seen, recipe="cpu", store=store, seed=train_seed,
                                embeddings=vectors, progress=False)  # fmt: skip
            agent = make_agent("task2sim", seed=seed)
            t0 = time.perf_counter()
            result = train(agent, env, epochs=epochs, seed=seed, progress=False)
            live = env.unwrapped.reward_source
            keys = dict(zip(unseen, (PAPER_SPACE.action_to_key(a) for a in
                                     agent.act(obs_unseen, deterministic=True)), strict=True))  # fmt: skip
            rows.append({
                "seed": seed, "trained_on": "Task2Sim-Live-v0", "train_seed": train_seed,
                "graded_seeds": list(fold.graded_seeds),
                "unseen_held_out": _graded(keys, source, fold.grade), "answers": keys,
                "seconds": time.perf_counter() - t0,
                "reward_queries": env.unwrapped.reward_queries,
                "distinct_evaluations": env.unwrapped.distinct_evaluations,
                "store_lookups": live.store_hits, "new_measurements": live.evaluations_run,
                "new_pretrainings": live.pretrainings_run,
                "reused_measurements": result.reused_measurements,
            })  # fmt: skip
            env.close()
            _train_on_table(seed, epochs, fold, seen, unseen, obs_unseen, source, rows)
    u_rows = [source.task_index(t) for t in unseen]
    refs = reference_rows(source, folds, seen, unseen, "held-out seed")
    dr = dict.fromkeys(unseen, DOMAIN_RANDOMIZATION_KEY)
    anchors = {
        "random (expected)": 100 * float(np.mean([f.grade[u_rows].mean() for f in folds])),
        "domain randomisation": float(np.mean([_graded(dr, source, f.grade) for f in folds])),
        "best fixed of the seen tasks, chosen on the training seed": refs["best_fixed"]["unseen"],
        "per-task best, chosen on the training seed (cross-seed oracle)": refs["per_task_best"][
            "unseen"
        ],
        "untrained backbone (no pre-training)": refs["untrained"]["unseen"],
    }
    res = {"scoring": "held-out seed", "live_from": None if live_from is None else live_from.name,
           "rows": rows, "anchors": anchors, "references": refs,
           "epochs": epochs, "store": str(store), "unseen": unseen, "seen": seen,
           "table": source.provenance}  # fmt: skip
    out.with_suffix(".json").write_text(json.dumps(res, indent=2))
    live_rows = [r for r in rows if r["trained_on"] == "Task2Sim-Live-v0"]
    table_rows = [r for r in rows if r["trained_on"] == "Task2Sim-CPU-v0"]

    def per_seed(rs: list[dict]) -> list[float]:  # each seed's folds averaged
        return [float(np.mean([r["unseen_held_out"] for r in rs if r["seed"] == s]))
                for s in sorted({r["seed"] for r in rs})]  # fmt: skip

    live_seed, table_seed = per_seed(live_rows), per_seed(table_rows)
    fold0 = [r["unseen_held_out"] for r in table_rows if r["train_seed"] == 0]
    folds_note = "2 folds" if live_from is None else "pre-training seed 0, graded on seed 1"
    lines = [
        "# The paper's agent trained through Task2Sim-Live-v0",
        "",
        f"`OMP_NUM_THREADS=1 python benchmarks/cpu_env.py loop --seeds {seeds} --epochs {epochs}`."
        f" Trained on the {len(seen)} seen live tasks ({', '.join(seen)}), `cpu` recipe, "
        "pre-training seed 0 and then 1, the sweep's store. **Scoring: held-out seed**: the "
        f"answers on the unseen tasks ({', '.join(unseen)}) are graded by the packaged table's "
        "other seed (trained with pre-training seed 0, graded on seed 1, and the other way "
        "round; accuracy %)."
        + (
            ""
            if live_from is None
            else f" The live rows are re-graded from `{live_from.name}`, an earlier run "
            "(pre-training seed 0 only): the sweep's store is kept on the machine that "
            "measured the table, not in the repository, and without it training live again "
            f"would pre-train anew instead of looking up (`--live-from {live_from.name}`)."
        ),
        "",
        "| seed | pre-training seed | unseen, graded on the other seed | reward queries | "
        "distinct evaluations | store look-ups | new measurements | new pre-trainings | wall s |",
        "|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {r['seed']} | {r['train_seed']} | {r['unseen_held_out']:.2f} | "
            f"{r['reward_queries']} | {r['distinct_evaluations']} | {r['store_lookups']} | "
            f"{r['new_measurements']} | {r['new_pretrainings']} | {r['seconds']:.0f} |"
            for r in live_rows
        ),
        "",
        "| on the unseen tasks, graded on the seed not trained on | accuracy % |",
        "|---|---|",
        f"| paper's agent, trained live (mean of {len(live_seed)} seeds, {folds_note}; per seed "
        f"{min(live_seed):.2f}-{max(live_seed):.2f}) | {np.mean(live_seed):.2f} |",
        f"| paper's agent, trained on Task2Sim-CPU-v0 restricted to seed 0, graded on seed 1 "
        f"(per seed {min(fold0):.2f}-{max(fold0):.2f}) | {np.mean(fold0):.2f} |",
        f"| paper's agent, trained on Task2Sim-CPU-v0 restricted to one seed, both ways round "
        f"(per seed {min(table_seed):.2f}-{max(table_seed):.2f}) | {np.mean(table_seed):.2f} |",
        *(f"| {k} | {v:.2f} |" for k, v in anchors.items()),
        "",
        "Answers (seed 0, trained live with pre-training seed 0): "
        + ", ".join(f"{t} `{k}`" for t, k in live_rows[0]["answers"].items()),
    ]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _train_on_table(seed, epochs, fold, seen, unseen, obs_unseen, source, rows) -> None:
    """The paper's agent trained on Task2Sim-CPU-v0 restricted to the fold's seed, its unseen
    answers graded on the others (appended to ``rows``)."""
    agent = make_agent("task2sim", seed=seed)
    train(agent, Task2SimEnv(tasks=seen, reward_source=fold.train), epochs=epochs, seed=seed,
          progress=False)  # fmt: skip
    keys = dict(zip(unseen, (PAPER_SPACE.action_to_key(a) for a in
                             agent.act(obs_unseen, deterministic=True)), strict=True))  # fmt: skip
    rows.append({"seed": seed, "trained_on": "Task2Sim-CPU-v0", "train_seed": fold.train_seeds[0],
                 "graded_seeds": list(fold.graded_seeds),
                 "unseen_held_out": _graded(keys, source, fold.grade), "answers": keys})  # fmt: skip


def main_effects(source: ReplicateRewardSource) -> np.ndarray:
    """Points gained by turning each knob on (mean over configurations with it on minus off),
    ``(tasks, knobs)``, from the replicate means."""
    actions = np.array([PAPER_SPACE.key_to_action(k) for k in PAPER_SPACE.all_keys()])
    on = actions == actions.max(axis=0)
    return 100 * np.stack(
        [source.rewards[:, on[:, j]].mean(1) - source.rewards[:, ~on[:, j]].mean(1)
         for j in range(actions.shape[1])],
        axis=1,
    )  # fmt: skip


def table_stats(source: ReplicateRewardSource) -> dict:
    """The figures of ``stats`` (accuracies in points), as a JSON-ready dict."""
    from scipy.stats import spearmanr

    from t2s_env.rewards.signal import replicate_signal

    keys = PAPER_SPACE.all_keys()
    tasks = {}
    for i, task in enumerate(source.tasks):
        reps = 100 * source.replicates[task]  # (seeds, configs)
        both = np.isfinite(reps).all(axis=0)
        means = 100 * source.rewards[i]
        row = {
            "configurations": int(means.size),
            "with_all_seeds": int(both.sum()),
            "mean_min": float(means.min()),
            "mean_max": float(means.max()),
            "best": keys[int(np.argmax(means))],
            "dr": float(means[keys.index(DOMAIN_RANDOMIZATION_KEY)]),
            "sd_means": float(means.std(ddof=1)),
        }
        if reps.shape[0] >= 2 and both.sum() >= 3:
            row["signal"] = replicate_signal(reps[:, both].T)
        tasks[task] = row
    inter = np.atleast_2d(spearmanr(source.rewards, axis=1).statistic)
    cross = held_out_selection(source)
    off = inter[~np.eye(len(inter), dtype=bool)]
    effects = main_effects(source)
    knobs = [k.name for k in PAPER_SPACE.knobs if not k.fixed]
    return {
        "tasks": tasks,
        "inter_task_spearman": {
            "min": float(off.min()),
            "max": float(off.max()),
            "matrix": inter.round(4).tolist(),
        },
        "main_effects": {
            t: dict(zip(knobs, map(float, e), strict=True))
            for t, e in zip(source.tasks, effects, strict=True)
        },
        "held_out_selection": cross,
        "table": source.provenance,
    }


def held_out_selection(source: ReplicateRewardSource) -> dict:
    """``cross_seed_selection`` (points) over all the tasks (best fixed chosen on all of them)
    and over the unseen tasks (best fixed chosen on the seen ones), with the untrained
    backbone; per task, the configurations whose replicate mean beats the untrained backbone."""
    from t2s_env.rewards.signal import cross_seed_selection, selection_summary

    reps = 100 * np.stack(list(source.replicates.values()))
    untrained = 100 * source.untrained
    seen = np.array([source.split(t) == "seen" for t in source.tasks])
    everywhere = cross_seed_selection(reps, untrained=untrained)
    by_seen = cross_seed_selection(reps, untrained=untrained, fixed_from=seen)
    keys = PAPER_SPACE.all_keys()
    return {
        "all_tasks": everywhere["summary"],
        "all_tasks_fixed_choice": {str(s): keys[c] for s, c in everywhere["fixed_choice"].items()},
        "unseen_tasks_fixed_from_seen": selection_summary(by_seen, ~seen),
        "seen_fixed_choice": {str(s): keys[c] for s, c in by_seen["fixed_choice"].items()},
        "per_task": {
            t: {
                "per_task_best": float(np.mean(everywhere["per_task_best"][i])),
                "best_fixed": float(np.mean(everywhere["best_fixed"][i])),
                "untrained": float(np.mean(untrained[i])),
                "mean_of_max": float(everywhere["mean_of_max"][i]),
                "configs_beating_untrained": int(
                    (100 * source.rewards[i] > untrained[i].mean()).sum()
                ),
            }
            for i, t in enumerate(source.tasks)
        },
    }


def stats(out: Path) -> None:
    source = ReplicateRewardSource()
    res = table_stats(source)
    out.with_suffix(".json").write_text(json.dumps(res, indent=2))
    lines = [
        "# What the measured CPU table says",
        "",
        "`python benchmarks/cpu_env.py stats`, from the packaged table "
        f"({res['table']['measurements']} measurements, {res['table']['backbones']} backbones, "
        f"recipe `{res['table']['recipe']}`), by `t2s_env.rewards.signal.replicate_signal` over "
        "the configurations every seed measured. Points of accuracy. *Seed SD*: pooled SD "
        "between the replicates of a cell (one seed's noise); *effect SD*: the SD of the "
        "configurations' true means (method of moments); *reliability*: of one seed's value, "
        "effect variance / (effect + seed variance), and *seeds for 0.8* by Spearman-Brown; "
        "*blocked*: the same with the seed as a block (every configuration of a seed shares its "
        "initialisation and data order); ANOVA: one-way across configurations, replicates as "
        "samples.",
        "",
        "| task | config means | seed SD | effect SD | seed Spearman | reliability "
        "| seeds for 0.8 | blocked reliability | blocked seeds for 0.8 | ANOVA p | best | DR |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for task, r in res["tasks"].items():
        g = r.get("signal")
        seeds = " | ".join(["-"] * 8) if g is None else (
            f"{g['seed_sd']:.2f} | {g['config_effect_sd']:.2f} | {g['spearman_mean']:.2f} | "
            f"{g['single_seed_reliability']:.2f} | {g['seeds_for_reliability_0.8']:.1f} | "
            f"{g['blocked_single_seed_reliability']:.2f} | "
            f"{g['blocked_seeds_for_reliability_0.8']:.1f} | {g['anova_p']:.1e}"
        )  # fmt: skip
        lines.append(
            f"| {task} | {r['mean_min']:.1f}-{r['mean_max']:.1f} | {seeds} | `{r['best']}` | "
            f"{r['dr']:.1f} |"
        )
    it = res["inter_task_spearman"]
    knobs = list(next(iter(res["main_effects"].values())))
    lines += [
        "",
        f"Spearman between the tasks' rankings of the configuration means: {it['min']:.2f} to "
        f"{it['max']:.2f}.",
        "",
        "Main effects (points for turning a knob on: mean over the configurations with it on "
        "minus off):",
        "",
        "| task | " + " | ".join(knobs) + " |",
        "|---|" + "---|" * len(knobs),
        *(
            f"| {t} | " + " | ".join(f"{v:+.1f}" for v in e.values()) + " |"
            for t, e in res["main_effects"].items()
        ),
    ]
    lines += held_out_lines(res["held_out_selection"])
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def held_out_lines(h: dict) -> list[str]:
    """The markdown of :func:`held_out_selection`."""

    def fig(summary: dict, key: str) -> str:
        return f"{summary[key]['mean']:.2f} ± {summary[key]['se']:.2f}"

    a, u = h["all_tasks"], h["unseen_tasks_fixed_from_seen"]
    rows = [
        ("per-task best (the cross-seed oracle)", "per_task_best"),
        ("best fixed configuration", "best_fixed"),
        ("untrained backbone (no pre-training)", "untrained"),
        ("per-task best - best fixed", "per_task_minus_fixed"),
        ("best fixed - untrained", "fixed_minus_untrained"),
        ("per-task best - untrained", "per_task_minus_untrained"),
    ]
    return [
        "",
        "## Selection graded on the seed it was not made on",
        "",
        "`t2s_env.rewards.signal.cross_seed_selection`: each choice is made on one seed and "
        "graded on the other, both ways round; mean ± standard error over tasks x folds, points "
        "of accuracy. Best fixed: one configuration for every task, chosen on all 8 tasks "
        f"(`{h['all_tasks_fixed_choice']['0']}` on seed 0, "
        f"`{h['all_tasks_fixed_choice']['1']}` on seed 1), or for the unseen tasks on the 5 seen "
        f"ones (`{h['seen_fixed_choice']['0']}`, `{h['seen_fixed_choice']['1']}`).",
        "",
        "| | all 8 tasks | the 3 unseen tasks (best fixed from the seen) |",
        "|---|---|---|",
        *(f"| {name} | {fig(a, key)} | {fig(u, key)} |" for name, key in rows),
        "",
        "| task | per-task best | best fixed | untrained | max of the replicate means | "
        "configurations whose mean beats untrained |",
        "|---|---|---|---|---|---|",
        *(
            f"| {t} | {r['per_task_best']:.2f} | {r['best_fixed']:.2f} | {r['untrained']:.2f} | "
            f"{r['mean_of_max']:.2f} | {r['configs_beating_untrained']} of 256 |"
            for t, r in h["per_task"].items()
        ),
    ]


def gp_measured_noise(seed: int = 0):
    """The ``gp`` advisor (nested selection) told the table's noise: ``noise_std`` 0.03."""
    from agents.advisor import make_advisor

    advisor = make_advisor("gp", seed=seed, overrides={"noise_std": 0.03})
    advisor.name = "gp, noise_std 0.03"
    return advisor


def fewshot(seeds: int, out: Path) -> None:
    from agents.advisor.plot import plot_budget_curves
    from agents.evaluation import BUDGETS, budget_curves, budgets_to_markdown

    source = ReplicateRewardSource()
    entries = ["gp", gp_measured_noise, "static", "random-distinct"]
    res = budget_curves(entries, BUDGETS, ("loto", "seen-unseen"),
                        seeds=range(seeds), source=source, progress=True)  # fmt: skip
    res["table"] = source.provenance
    out.with_suffix(".json").write_text(json.dumps(res, indent=2))
    plot_budget_curves(res, out.with_suffix(".png"))
    md = budgets_to_markdown(res)
    out.with_suffix(".md").write_text(
        "# The few-shot protocol on Task2Sim-CPU-v0 (measured replicates)\n\n"
        f"`OMP_NUM_THREADS=1 python benchmarks/cpu_env.py fewshot --seeds {seeds}`; the same as "
        "`t2s evaluate --table cpu --budgets 0,1,2,4,8,16,32 --splits loto,seen-unseen` "
        "(held-out seed scoring).\n\n" + md
    )
    print(md)


def table_source(path: str | None) -> ReplicateRewardSource:
    """The packaged CPU table, or the replicate table file ``path`` (``.npz``, its ``.json``
    beside; :meth:`ReplicateRewardSource.from_file`)."""
    if path is None:
        return ReplicateRewardSource()
    from t2s_env.data import DataFileError

    try:
        return ReplicateRewardSource.from_file(path)
    except (DataFileError, OSError) as exc:
        raise ValueError(f"--table-file {path}: {exc}") from None


def fewshot_seconds(
    seeds: int,
    out: Path,
    seconds: list[float],
    units: list[float],
    evaluations: list[int],
    source: ReplicateRewardSource,
    table_file: str | None = None,
) -> None:
    """The few-shot protocol on a CPU-second budget (module docstring); raises ValueError when
    the table has no learning curves."""
    from agents.advisor import Budget, make_multi_fidelity_advisor
    from agents.advisor.costloop import CurveTable, cost_fewshot_markdown, held_out_cost_fewshot

    table = CurveTable.from_source(source)
    budgets = [Budget(seconds=s) for s in seconds]
    budgets += [Budget(seconds=u * table.full_cost()) for u in units]
    budgets += [Budget(evaluations=k) for k in evaluations]
    entries = {
        "successive-halving (gp candidates, eta 2)":
            lambda seed: make_multi_fidelity_advisor("successive-halving", seed),
        "successive-halving (gp candidates, eta 3)":
            lambda seed: make_multi_fidelity_advisor("successive-halving", seed, eta=3),
        "screen-top-k (gp candidates, k 2)":
            lambda seed: make_multi_fidelity_advisor("screen-top-k", seed),
        "gp, fully trained": lambda seed: make_multi_fidelity_advisor("gp", seed),
        "random-distinct, fully trained":
            lambda seed: make_multi_fidelity_advisor("random-distinct", seed),
    }  # fmt: skip
    command = (
        f"OMP_NUM_THREADS=1 python benchmarks/cpu_env.py fewshot --seeds {seeds}"
        + (f" --budget-seconds {','.join(map(str, seconds))}" if seconds else "")
        + (f" --budget-pretrainings {','.join(map(str, units))}" if units else "")
        + (f" --budget-evaluations {','.join(map(str, evaluations))}" if evaluations else "")
        + (f" --table-file {table_file}" if table_file else "")
    )
    results, parts = {}, []
    for split in ("loto", "seen-unseen"):
        results[split] = held_out_cost_fewshot(entries, table, budgets, split, range(seeds))
        parts.append(f"## {split}\n\n" + cost_fewshot_markdown(results[split]))
    from t2s_env.rewards.signal import held_out_rank

    unseen = np.array([(table.splits or {}).get(t) == "unseen" for t in table.tasks])
    results["fidelity_spearman"] = {
        "all": [held_out_rank(table.curves, f) for f in range(len(table.fidelities))],
        "unseen": [held_out_rank(table.curves[unseen], f) for f in range(len(table.fidelities))]
        if unseen.any() else None,
    }  # fmt: skip
    signal = ", ".join(f"{f:g} epochs: {v:.2f}" for f, v in
                       zip(table.fidelities, results["fidelity_spearman"]["all"], strict=True))  # fmt: skip
    results["table"] = source.provenance
    out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    md = (f"# The few-shot protocol on a CPU-second budget\n\n`{command}`\n\n"
          "How well one seed's curve at each fidelity ranks the configurations by the other "
          "seeds' full reward (Spearman, mean over tasks and seeds; `t2s_env.rewards.signal."
          f"held_out_rank`): {signal}.\n\n"
          + "\n\n".join(parts) + "\n")  # fmt: skip
    out.with_suffix(".md").write_text(md)
    print(md)


def figure(out: Path) -> None:
    """What the table says per knob (main effects per task), and the comparison's and the
    loop's answers on the unseen tasks, from their JSON results."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    source = ReplicateRewardSource()
    effects = main_effects(source)
    knobs = [k.name for k in PAPER_SPACE.knobs if not k.fixed]
    compared = json.loads((RESULTS / "cpu_env_compare.json").read_text())
    cmp_, refs = compared["agents"], compared["settings"]["references"]
    loop_ = json.loads((RESULTS / "cpu_env_loop.json").read_text())
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [1.2, 1]})
    lim = float(np.abs(effects).max())
    im = ax1.imshow(effects, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    ax1.set_xticks(range(len(knobs)), knobs, rotation=35, ha="right")
    ax1.set_yticks(range(len(source.tasks)), source.tasks)
    for (i, j), v in np.ndenumerate(effects):
        ax1.text(j, i, f"{v:+.1f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax1, label="points for turning the knob on")
    ax1.set_title("Knob main effects on the CPU table (mean of replicates)")
    live = [
        np.mean([r["unseen_held_out"] for r in loop_["rows"]
                 if r["trained_on"] == "Task2Sim-Live-v0" and r["seed"] == s])
        for s in sorted({r["seed"] for r in loop_["rows"]})
    ]  # fmt: skip
    label = {"oracle": "oracle (cross-seed per-task best)"}
    rows = [(label.get(n, n), cmp_[n]["unseen_mean"], cmp_[n]["unseen_std"]) for n in COMPARISON]
    rows.insert(5, ("task2sim, trained live", float(np.mean(live)), float(np.std(live))))
    names, means, stds = zip(*rows, strict=True)
    colours = ["#999999"] * len(rows)
    for i, n in enumerate(names):
        if n.startswith("task2sim"):
            colours[i] = "#d62728"
    ax2.barh(range(len(rows)), means, xerr=stds, color=colours)
    untrained = refs["untrained"]["unseen"]
    ax2.axvline(untrained, color="k", ls="--", lw=1.2,
                label=f"untrained backbone ({untrained:.2f})")  # fmt: skip
    ax2.legend(loc="lower right", fontsize=8)
    ax2.set_yticks(range(len(rows)), names)
    ax2.invert_yaxis()
    ax2.set_xlim(min(means) - 5, max(max(means), untrained) + 3)
    ax2.set_xlabel("accuracy on the 3 unseen tasks, % (held-out seed)")
    ax2.set_title("Answers on unseen tasks (trained on 5 seen)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def _number_list(kind: type, flag: str):
    def parse(text: str) -> list:
        try:
            values = [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--budget-{flag} must be numbers, got {text!r}"
            ) from None
        if not values or any(not np.isfinite(v) or v <= 0 for v in values):
            raise argparse.ArgumentTypeError(f"--budget-{flag} must be numbers > 0, got {text!r}")
        return values

    return parse


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "part", choices=["compare", "loop", "figure", "stats", "fewshot", "main-effects"]
    )
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS["task2sim"])
    ap.add_argument("--store", default=str(STORE))
    ap.add_argument(
        "--live-from",
        default=None,
        help="loop: re-grade the live answers of this earlier loop result (in results/) instead "
        "of training live (when the sweep's store is not at hand)",
    )
    for flag, kind in (("seconds", float), ("pretrainings", float), ("evaluations", int)):
        ap.add_argument(
            f"--budget-{flag}",
            type=_number_list(kind, flag),
            default=[],
            help=f"fewshot: comma-separated budgets in {flag} (CPU seconds over learning curves)",
        )
    ap.add_argument(
        "--table-file",
        default=None,
        help="fewshot with a budget, main-effects: a replicate table's .npz (its .json beside "
        "it) instead of the packaged one",
    )
    args = ap.parse_args()
    mf = args.budget_seconds or args.budget_pretrainings or args.budget_evaluations
    if args.part == "fewshot" and mf:
        try:
            source = table_source(args.table_file)
            fewshot_seconds(args.seeds, RESULTS / "cpu_env_fewshot_seconds", args.budget_seconds,
                            args.budget_pretrainings, args.budget_evaluations, source,
                            args.table_file)  # fmt: skip
        except ValueError as exc:
            ap.error(str(exc))
        return
    if args.part == "main-effects":
        from agents.plotting import plot_table_main_effects

        try:
            source = table_source(args.table_file)
        except ValueError as exc:
            ap.error(str(exc))
        print(f"wrote {plot_table_main_effects(source, RESULTS / 'cpu_main_effects.png')}")
        return
    if args.part == "compare":
        compare(args.seeds, RESULTS / "cpu_env_compare")
    elif args.part == "fewshot":
        fewshot(args.seeds, RESULTS / "cpu_env_fewshot")
    elif args.part == "stats":
        stats(RESULTS / "cpu_table_stats")
    elif args.part == "figure":
        figure(RESULTS / "cpu_env.png")
    else:
        live_from = None if args.live_from is None else RESULTS / args.live_from
        if live_from is None and not Path(args.store).is_file():
            ap.error(f"--store {args.store} does not exist: run the CPU-table sweep first")
        if live_from is not None and not live_from.is_file():
            ap.error(f"--live-from {live_from} does not exist")
        from t2s_env.rewards.store import StoreError

        try:
            loop(args.seeds, args.epochs, Path(args.store), RESULTS / "cpu_env_loop", live_from)
        except StoreError as exc:
            ap.error(f"{exc}; re-grade an earlier run instead with --live-from FILE")


if __name__ == "__main__":
    main()
