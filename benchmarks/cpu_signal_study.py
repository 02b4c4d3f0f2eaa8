"""Signal study of a CPU recipe on the live tasks, scored on held-out seeds.

The measurements come from ``cpu_recipe_study.py run`` (one JSON line per pre-trained backbone
scored on every task, and each seed's untrained backbone). This step reads them and reports,
every figure from :func:`t2s_env.rewards.signal.cross_seed_selection` (choose on one seed, grade
on the other; standard errors over tasks x seed folds):

- section 1 of the issue: whether pre-training pays: the cross-seed best fixed configuration
  against the untrained backbone over all tasks, and on how many tasks the median configuration
  beats the untrained backbone;
- per task: the cross-seed per-task best, the best fixed configuration and the untrained backbone;
- on the unseen tasks: per-task best against best fixed (chosen on the unseen tasks themselves,
  and chosen on the seen tasks, as an agent would), with standard errors;
- each knob's main effect per task family (least squares over the configurations, on/off of
  every knob at once, per seed): which effects change sign or size between families.

    python benchmarks/cpu_recipe_study.py run --recipe cpu2 --n-configs 32 --seeds 0 1 \\
        --results benchmarks/results/cpu2_signal_study.jsonl --keep-backbones /tmp/cpu2 \\
        --shard 0/2   # and --shard 1/2 in a second process
    python benchmarks/cpu_signal_study.py --results benchmarks/results/cpu2_signal_study.jsonl
    python benchmarks/cpu_signal_study.py --results benchmarks/results/cpu2_signal_study.jsonl \
        --figure benchmarks/results/cpu2_main_effects.png   # the per-family main-effects figure

(``python benchmarks/cpu_env.py main-effects`` draws the same figure for the packaged table.)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np

from t2s_env.datasets.live_tasks import HYPOTHESES
from t2s_env.rewards.signal import cross_seed_selection, family_effects, main_effects

RESULTS = Path(__file__).parent / "results"
UNTRAINED = "untrained"
PLAIN_SETTINGS = {"shots", "test", "classes", "seed", "test_fraction"}
"""Spec settings that pick a sample, not a transformation of the images."""


def task_family(name: str, spec: str) -> str:
    """The task's transformation family (``live_task_families()`` for a named live task; else
    the spec's settings beyond the sample's: ``fashion-mnist?rotate=30&shots=20`` ->
    ``rotate``; none: ``plain``)."""
    from t2s_env.datasets.live_tasks import LIVE_TASKS, live_task_families

    if LIVE_TASKS.get(name) == spec:
        return live_task_families()[name]
    _, _, query = spec.partition("?")
    return "+".join(sorted({k for k, _ in parse_qsl(query)} - PLAIN_SETTINGS)) or "plain"


def mean_se(values: np.ndarray) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    se = float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    return {"mean": round(float(np.mean(v)), 3), "se": round(se, 3), "n": int(len(v))}


def load(records: Sequence[dict], recipe_id: str | None):
    """The complete block: ``acc (tasks, seeds, configs)``, ``untrained (tasks, seeds)``."""
    if recipe_id is None:
        ids = [r["recipe"] for r in records]
        recipe_id = max(set(ids), key=ids.count)
    latest = {(r["config"], r["seed"]): r for r in records if r["recipe"] == recipe_id}
    seeds = sorted({s for c, s in latest if c == UNTRAINED})
    configs = [c for c in dict.fromkeys(c for c, _ in latest)
               if c != UNTRAINED and all((c, s) in latest for s in seeds)]  # fmt: skip
    specs: dict[str, str] = {}
    for r in latest.values():
        specs.update(r.get("task_specs", {}))
    tasks = [t for t in specs
             if all(t in latest[c, s]["accuracy"] for c in [*configs, UNTRAINED] for s in seeds)]  # fmt: skip
    acc = np.array([[[latest[c, s]["accuracy"][t] for c in configs] for s in seeds]
                    for t in tasks])  # fmt: skip
    untrained = np.array([[latest[UNTRAINED, s]["accuracy"][t] for s in seeds] for t in tasks])
    cpu = [r["cpu_seconds"] + min(r["task_cpu_seconds"].values()) for r in latest.values()
           if r["config"] != UNTRAINED and r["config"] in configs]  # fmt: skip
    return recipe_id, tasks, specs, seeds, configs, acc, untrained, cpu


def merge_records(records: Iterable[dict]) -> list[dict]:
    """One record per (recipe, configuration, seed): later files' scores of the same backbone
    (``cpu_recipe_study.py rescore``) added to the earlier ones."""
    merged: dict[tuple, dict] = {}
    for r in records:
        key = (r["recipe"], r["config"], r["seed"])
        old = merged.get(key, {})
        merged[key] = {**old, **r, **{k: {**old.get(k, {}), **r.get(k, {})} for k in
                                      ("accuracy", "task_cpu_seconds", "task_specs")}}  # fmt: skip
        if "cpu_seconds" in old:  # the pre-training's cost, from the run that trained it
            merged[key]["cpu_seconds"] = old["cpu_seconds"]
    return list(merged.values())


def keep_tasks(records: Sequence[dict], tasks: Sequence[str]) -> list[dict]:
    """``records`` with their scores restricted to ``tasks`` (``["v1"]``: ``V1_TASKS``)."""
    if list(tasks) == ["v1"]:
        from t2s_env.datasets.live_tasks import V1_TASKS

        tasks = V1_TASKS
    keep = set(tasks)
    return [
        {**r, **{k: {t: v for t, v in r.get(k, {}).items() if t in keep}
                 for k in ("accuracy", "task_cpu_seconds", "task_specs")}}
        for r in records
    ]  # fmt: skip


def analyse(records: Sequence[dict], recipe_id: str | None, unseen: Sequence[str]) -> dict:
    recipe_id, tasks, specs, seeds, configs, acc, untrained, cpu = load(records, recipe_id)
    if len(configs) < 3 or len(seeds) < 2:
        raise SystemExit(f"need >= 3 configurations x 2 seeds; have {len(configs)} x {len(seeds)}")
    out: dict[str, object] = {
        "recipe": recipe_id, "seeds": seeds, "configurations": len(configs),
        "config_keys": configs, "tasks": tasks,
        "median_cpu_seconds_per_evaluation": round(float(np.median(cpu)), 2),
        "max_cpu_seconds_per_evaluation": round(float(np.max(cpu)), 2),
    }  # fmt: skip
    sel = cross_seed_selection(acc, untrained=untrained)
    means = acc.mean(axis=1)  # (tasks, configs), over seeds
    base = untrained.mean(axis=1)
    per_task = {}
    for i, t in enumerate(tasks):
        per_task[t] = {
            "family": task_family(t, specs[t]),
            "split": "unseen" if t in unseen else "seen",
            "untrained_mean": round(float(base[i]), 3),
            "median_config_mean": round(float(np.median(means[i])), 3),
            "configs_above_untrained": int(np.sum(means[i] > base[i])),
            "cross_seed_per_task_best": round(float(np.nanmean(sel["per_task_best"][i])), 3),
            "cross_seed_best_fixed": round(float(np.nanmean(sel["best_fixed"][i])), 3),
            "cross_seed_untrained": round(float(np.nanmean(sel["untrained"][i])), 3),
            "mean_of_max": round(float(sel["mean_of_max"][i]), 3),
        }
    out["per_task"] = per_task
    median_beats = sum(v["median_config_mean"] > v["untrained_mean"] for v in per_task.values())
    summary = {k: {"mean": round(v["mean"], 3), "se": round(v["se"], 3)}
               for k, v in sel["summary"].items()}  # fmt: skip
    out["all_tasks"] = {
        **summary,
        "fixed_choice": {str(s): configs[c] for s, c in sel["fixed_choice"].items()},
        "median_config_beats_untrained_on": median_beats,
        "target_fixed_minus_untrained_ge_3": summary["fixed_minus_untrained"]["mean"] >= 3,
        "target_median_beats_on_half": median_beats >= len(tasks) / 2,
    }
    is_unseen = np.array([t in unseen for t in tasks])
    if is_unseen.any():
        own = cross_seed_selection(acc[is_unseen], untrained=untrained[is_unseen])
        unseen_out = {k: {"mean": round(v["mean"], 3), "se": round(v["se"], 3)}
                      for k, v in own["summary"].items()}  # fmt: skip
        unseen_out["fixed_choice"] = {str(s): configs[c] for s, c in own["fixed_choice"].items()}
        if (~is_unseen).any():  # best fixed chosen on the seen tasks, graded on the unseen ones
            seen = cross_seed_selection(acc, untrained=untrained, fixed_from=~is_unseen)
            diff = seen["per_task_best"][is_unseen] - seen["best_fixed"][is_unseen]
            unseen_out["per_task_minus_fixed_chosen_on_seen"] = mean_se(diff)
            unseen_out["best_fixed_chosen_on_seen"] = mean_se(seen["best_fixed"][is_unseen])
        complete = min(int(np.isfinite(acc[t]).all(axis=1).sum()) for t in range(len(tasks)))
        if complete >= 4:  # choices on two seeds' mean, graded on the others: less noisy
            two = cross_seed_selection(acc[is_unseen], untrained=untrained[is_unseen], choose_on=2)
            # the 6 folds of a task share seeds: SE over tasks of their fold means
            unseen_out["choose_on_2_per_task_minus_fixed"] = mean_se(
                np.nanmean(two["per_task_best"] - two["best_fixed"], axis=1)
            )
            two_seen = cross_seed_selection(
                acc, untrained=untrained, fixed_from=~is_unseen, choose_on=2
            )
            unseen_out["choose_on_2_per_task_minus_fixed_chosen_on_seen"] = mean_se(
                np.nanmean(two_seen["per_task_best"] - two_seen["best_fixed"], axis=1)[is_unseen]
            )
        gap = unseen_out["per_task_minus_fixed"]
        unseen_out["target_gap_ge_2_and_2_se"] = bool(
            gap["mean"] >= 2 and gap["mean"] >= 2 * gap["se"]
        )
        out["unseen_tasks"] = unseen_out
    try:
        names, effects, method = main_effects(acc, configs)
    except ValueError as exc:
        out["main_effects"] = {"not_estimable": str(exc)}
        return out
    by_family = family_effects(effects, [per_task[t]["family"] for t in tasks])
    families = sorted(by_family)
    fam = {}
    for f in families:
        e = by_family[f]
        fam[f] = {
            "tasks": [tasks[i] for i in e["tasks"]],
            "effect": dict(zip(names, e["mean"].round(2).tolist(), strict=True)),
            "effect_per_seed": {str(s): dict(zip(names, e["per_seed"][j].round(2).tolist(), strict=True))
                                for j, s in enumerate(seeds)},
        }  # fmt: skip
    hypotheses = {}
    for f, knob in HYPOTHESES.items():
        rows = [i for i, t in enumerate(tasks) if per_task[t]["family"] == f]
        if not rows or knob not in names:
            continue
        sources = sorted({specs[tasks[i]].partition("?")[0] for i in rows})
        source = "+".join(sources)
        plain = [i for i, t in enumerate(tasks) if per_task[t]["family"] == "plain"
                 and specs[t].partition("?")[0] in sources]  # fmt: skip
        k = names.index(knob)
        hypotheses[f] = {
            "knob": knob,
            "effect_in_family": round(float(effects[rows, :, k].mean()), 2),
            "effect_per_seed": effects[rows, :, k].mean(axis=0).round(2).tolist(),
            f"effect_on_plain_{source}": None
            if not plain
            else round(float(effects[plain, :, k].mean()), 2),
        }
    # the seed-to-seed spread of an effect: the mean absolute deviation of a task's per-seed
    # estimates from their mean (half their difference for two seeds), averaged over the tasks
    deviation = np.abs(effects - effects.mean(axis=1, keepdims=True)).mean(axis=1)
    spread = deviation.mean(axis=0) if len(seeds) >= 2 else None
    changes = []
    for k, name in enumerate(names):
        values = [fam[f]["effect"][name] for f in families]
        noise = float(spread[k]) if spread is not None else 0.0
        if max(values) > noise and min(values) < -noise:
            changes.append(name)
    out["main_effects"] = {
        "knobs": names, "families": fam,
        "seed_spread": None if spread is None else dict(zip(names, spread.round(2).tolist(), strict=True)),
        "sign_changes_beyond_seed_spread": changes, "hypotheses": hypotheses, "method": method,
    }  # fmt: skip
    return out


def figure(records: Sequence[dict], recipe_id: str | None, path: Path) -> Path:
    """Each knob's main effect per family (``agents.plotting.plot_main_effects``), the family's
    hypothesised knob outlined."""
    from agents.plotting import plot_main_effects

    recipe_id, tasks, specs, seeds, configs, acc, _, _ = load(records, recipe_id)
    names, effects, method = main_effects(acc, configs)
    families = [task_family(t, specs[t]) for t in tasks]
    title = (f"Recipe {recipe_id.split('@')[0]}: each knob's main effect per task family "
             f"({method}; bars: mean, dots: each seed; *: the family's hypothesis)")  # fmt: skip
    return plot_main_effects(effects, names, families, path, seeds=seeds, highlight=HYPOTHESES,
                             title=title)  # fmt: skip


def markdown(s: dict, command: str) -> str:
    a, u = s["all_tasks"], s.get("unseen_tasks")

    def pm(d: Mapping) -> str:
        return f"{d['mean']:+.2f} ± {d['se']:.2f}"

    lines = [
        f"# CPU signal study: recipe `{s['recipe']}` on the live tasks",
        "",
        f"{s['configurations']} configurations x seeds {s['seeds']}, {len(s['tasks'])} tasks, "
        f"with the untrained backbone of each seed as a row. Median CPU seconds per new "
        f"evaluation (render + pre-train + features + k-NN on one task, one thread): "
        f"{s['median_cpu_seconds_per_evaluation']} (max {s['max_cpu_seconds_per_evaluation']}).",
        "Every selection is made on one seed and graded on the mean of the other seeds "
        "(`t2s_env.rewards.signal.cross_seed_selection`); ± is one standard error over tasks x "
        "seed folds. Points of 5-NN accuracy.",
        "",
        "## Does pre-training pay? (all tasks)",
        "",
        f"- best fixed configuration minus untrained backbone: {pm(a['fixed_minus_untrained'])} "
        f"(target >= +3: {'met' if a['target_fixed_minus_untrained_ge_3'] else 'not met'})",
        f"- per-task best minus untrained: {pm(a['per_task_minus_untrained'])}",
        f"- the median configuration beats the untrained backbone on "
        f"{a['median_config_beats_untrained_on']} of {len(s['tasks'])} tasks (target: at least "
        f"half: {'met' if a['target_median_beats_on_half'] else 'not met'})",
        f"- best fixed chosen per fold: {a['fixed_choice']}",
        "",
        "## Per task (held-out seed)",
        "",
        "| task | family | split | untrained | median config | configs above untrained | "
        "per-task best | best fixed | per-task best - best fixed | mean of max (optimistic) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t, v in s["per_task"].items():
        lines.append(
            f"| {t} | {v['family']} | {v['split']} | {v['cross_seed_untrained']:.2f} | "
            f"{v['median_config_mean']:.2f} | {v['configs_above_untrained']}/{s['configurations']}"
            f" | {v['cross_seed_per_task_best']:.2f} | {v['cross_seed_best_fixed']:.2f} | "
            f"{v['cross_seed_per_task_best'] - v['cross_seed_best_fixed']:+.2f} | "
            f"{v['mean_of_max']:.2f} |"
        )
    if u:
        lines += [
            "",
            "## Unseen tasks",
            "",
            f"- per-task best minus best fixed (chosen on the unseen tasks): "
            f"{pm(u['per_task_minus_fixed'])} (target >= 2 points and >= 2 SE: "
            f"{'met' if u['target_gap_ge_2_and_2_se'] else 'not met'})",
        ]
        if "per_task_minus_fixed_chosen_on_seen" in u:
            lines.append(
                f"- per-task best minus best fixed chosen on the seen tasks: "
                f"{pm(u['per_task_minus_fixed_chosen_on_seen'])}"
            )
        if "choose_on_2_per_task_minus_fixed" in u:
            lines.append(
                f"- every choice made on the mean of two seeds and graded on the mean of the "
                f"others (`cross_seed_selection(..., choose_on=2)`, all pairs of seeds; ± over tasks of "
                f"their fold means): "
                f"per-task best minus best fixed {pm(u['choose_on_2_per_task_minus_fixed'])}; "
                f"minus best fixed chosen on the seen tasks "
                f"{pm(u['choose_on_2_per_task_minus_fixed_chosen_on_seen'])}"
            )
        lines += [
            f"- per-task best {pm(u['per_task_best'])}, best fixed {pm(u['best_fixed'])}, "
            f"untrained {pm(u['untrained'])}; best fixed minus untrained "
            f"{pm(u['fixed_minus_untrained'])}",
        ]
    m = s["main_effects"]
    if "not_estimable" in m:
        return "\n".join([*lines, "", f"Main effects: {m['not_estimable']}.", "",
                           f"Made by `{command}`.", ""])  # fmt: skip
    fams = list(m["families"])
    lines += [
        "",
        "## Main effects per family (points)",
        "",
        f"Estimated by {m['method']}.",
        "Mean over the family's tasks and the seeds; in brackets each seed's estimate. "
        "Seed spread: the mean absolute deviation of a task's per-seed estimates from their mean "
        "(half their difference for two seeds), averaged over tasks.",
        "",
        "| knob | " + " | ".join(fams) + " | seed spread |",
        "|---|" + "---|" * (len(fams) + 1),
    ]
    for k in m["knobs"]:
        cells = []
        for f in fams:
            per_seed = "/".join(
                f"{e[k]:+.1f}" for e in m["families"][f]["effect_per_seed"].values()
            )
            cells.append(f"{m['families'][f]['effect'][k]:+.2f} ({per_seed})")
        spread = m["seed_spread"][k] if m["seed_spread"] else "-"
        lines.append(f"| {k} | " + " | ".join(cells) + f" | {spread} |")
    lines += ["", "Each family's hypothesis (the knob that should help it): its effect on the "
              "family (per seed), and on the plain tasks of the same source(s):", ""]  # fmt: skip
    for f, h in m["hypotheses"].items():
        plain = next(v for k, v in h.items() if k.startswith("effect_on_plain_"))
        lines.append(f"- `{f}` / `{h['knob']}`: {h['effect_in_family']:+.2f} "
                     f"({'/'.join(f'{e:+.1f}' for e in h['effect_per_seed'])}); plain "
                     f"{'-' if plain is None else f'{plain:+.2f}'}")  # fmt: skip
    lines += [
        "",
        f"Knobs whose family effects change sign beyond the seed spread: "
        f"{', '.join(m['sign_changes_beyond_seed_spread']) or 'none'}.",
        "",
        "Families: " + "; ".join(f"{f}: {', '.join(v['tasks'])}" for f, v in m["families"].items()),
        "",
        f"Made by `{command}`.",
        "",
    ]
    return "\n".join(lines)


def all_seeds_section(s: dict, command: str) -> str:
    """The report of every seed as one more section of the fresh seeds' report."""
    body = markdown(s, command).split("\n", 2)[2]  # without its title
    body = body.replace("\n## ", "\n### ")
    return (
        f"## The same on all seeds {s['seeds']} ({s['configurations']} configurations every "
        f"seed measured)\n\n{body}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--results",
        nargs="+",
        default=[str(RESULTS / "cpu2_signal_study.jsonl")],
        help="results files (records of one backbone are merged across files)",
    )
    parser.add_argument(
        "--tasks",
        nargs="*",
        help="only these tasks; 'v1' for V1_TASKS (default: every task the records share)",
    )
    parser.add_argument("--seeds", type=int, nargs="*", help="only these seeds (default: all)")
    parser.add_argument(
        "--also-all-seeds",
        action="store_true",
        help="with --seeds: add the same report on every seed of the records (a second section)",
    )
    parser.add_argument("--title", help="the report's title")
    parser.add_argument("--recipe-id", help="recipe id to analyse (default: the most frequent)")
    parser.add_argument("--unseen", nargs="*", help="unseen task names (default: the package's)")
    parser.add_argument("--out", help="report path without suffix (default: beside --results)")
    parser.add_argument("--preamble", help="a markdown file put after the title (pilots)")
    parser.add_argument("--figure", help="only draw the per-family main-effects figure to this PNG")
    args = parser.parse_args()
    if args.figure:
        records = [json.loads(x) for x in Path(args.results).read_text().splitlines() if x.strip()]
        print(f"wrote {figure(records, args.recipe_id, Path(args.figure))}")
        return
    if args.unseen is None:
        from t2s_env.datasets.live_tasks import live_task_split

        args.unseen = list(live_task_split()["unseen"])
    records = merge_records(
        json.loads(x) for path in args.results for x in Path(path).read_text().splitlines()
        if x.strip()
    )  # fmt: skip
    if args.tasks:
        records = keep_tasks(records, args.tasks)
    every_seed = records
    if args.seeds:
        records = [r for r in records if r["seed"] in args.seeds]
    summary = analyse(records, args.recipe_id, args.unseen)
    out = Path(args.out) if args.out else Path(args.results[0]).with_suffix("")
    command = shlex.join(["python", "benchmarks/cpu_signal_study.py", *sys.argv[1:]])
    text = markdown(summary, command)
    if args.also_all_seeds and args.seeds:
        summary["all_seeds"] = analyse(every_seed, args.recipe_id, args.unseen)
        text = (
            text.rstrip("\n").rpartition("\n\n")[0]
            + "\n\n"
            + all_seeds_section(summary["all_seeds"], command)
        )
    if args.title:
        text = f"# {args.title}" + text[text.index("\n") :]
    if args.preamble:
        head, _, rest = text.partition("\n\n")
        text = head + "\n\n" + Path(args.preamble).read_text().strip() + "\n\n" + rest
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")
    out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
