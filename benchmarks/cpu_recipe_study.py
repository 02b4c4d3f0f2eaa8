"""Signal study of the `cpu` recipe: does the live reward tell configurations apart on a CPU?

For each (configuration, seed) the study renders the recipe's pre-training set, pre-trains the
recipe's backbone on it, and scores that one backbone on every task with the 5-NN evaluation.
Each seed also scores its untrained (randomly initialised, never trained) backbone: the
floor a pre-training has to beat. Common random numbers: a seed fixes the backbone's
initialisation, the data order and the augmentation draws, whatever the configuration, so the
seed's noise is shared by every configuration it measures.

Two steps:

- ``run`` (the default): evaluates what is missing and appends one JSON line per evaluation to
  ``--results`` (default ``benchmarks/results/cpu_recipe_study.jsonl``) as soon as it ends, so a
  killed run resumes where it stopped. ``--keep-backbones DIR`` also saves each trained backbone
  (``torch.save`` of its ``state_dict``, read back with ``weights_only=True``), so that tasks
  added later are scored without pre-training again: ``run`` again with more ``--tasks``
  scores the kept backbones on the tasks they lack.
- ``rescore``: scores the kept backbones of a finished sweep (``--from`` its results file) on
  other tasks (``--tasks NAME=SPEC ...``) into another results file, without pre-training: a
  sweep re-scored on candidate tasks (each seed's untrained backbone is rebuilt from the seed).
  Both reports read the file like a ``run`` file; ``cpu_signal_study.py`` merges it with the
  sweep's own (``--results sweep.jsonl rescored.jsonl``).
- ``report``: reads the results file, complete or not, and writes
  ``benchmarks/results/cpu_recipe_study.{md,json,png}``: per task, the rank correlation of seed
  replicates (Spearman, mean over seed pairs), a one-way ANOVA across configurations, the best
  configuration against the untrained backbone, the reliability of one seed and the seeds needed
  for 0.8 (Spearman-Brown), and the median seconds per new evaluation.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/cpu_recipe_study.py run --seeds 0 1 2
    python benchmarks/cpu_recipe_study.py report
    OMP_NUM_THREADS=1 python benchmarks/cpu_recipe_study.py rescore --recipe cpu2 \
        --from benchmarks/results/cpu2_signal_study.jsonl --keep-backbones /tmp/cpu2 \
        --results /tmp/candidates.jsonl --tasks "digits-rot=digits?shots=10&rotate=random"
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from t2s_env.datasets import DatasetSpec
from t2s_env.pipeline import BackboneKey, prepare_task, pretrain, score_model
from t2s_env.pretrain import Recipe, build_backbone, get_recipe, render_dataset
from t2s_env.rewards.live import default_simulator, default_space
from t2s_env.rewards.signal import replicate_signal
from t2s_env.space import KnobSpace

RESULTS = Path(__file__).parent / "results"
CPU = torch.device("cpu")
UNTRAINED = "untrained"
"""The configuration name of a seed's untrained backbone in the results file."""
PRIMARY_TASK = "fmnist-20shot"
"""The task whose figures the targets are about (few-shot Fashion-MNIST)."""
CALIBRATION_CONFIGS = ("0_0_0_0_0_1_0_1_1", "1_0_0_0_0_3_0_0_0")
"""Configurations of the issue's calibration run not covered by the knob-by-knob ones."""
TARGETS = {"spearman": 0.6, "anova_p": 0.001, "best_minus_untrained": 2.0, "median_seconds": 60.0}


def study_configs(space: KnobSpace, n: int = 32, seed: int = 0) -> list[str]:
    """All off, all on, each knob alone on, each knob alone off, the issue's calibration
    configurations, then seeded random others."""
    off, on = np.zeros(len(space), int), space.nvec - 1
    actions = [off, on]
    for i in range(len(space)):
        alone_on, alone_off = off.copy(), on.copy()
        alone_on[i], alone_off[i] = on[i], off[i]
        actions += [alone_on, alone_off]
    keys = list(dict.fromkeys(space.action_to_key(a) for a in actions))
    keys += [k for k in CALIBRATION_CONFIGS if k in space.all_keys() and k not in keys]
    every, rng = space.all_keys(), np.random.default_rng(seed)
    while len(keys) < n:
        key = every[int(rng.integers(len(every)))]
        if key not in keys:
            keys.append(key)
    return keys[:n]


def default_tasks() -> dict[str, str]:
    """The package's live tasks (name -> spec string), when the package has them."""
    try:
        from t2s_env.datasets import LIVE_TASKS
    except ImportError:
        return {}
    return dict(LIVE_TASKS)


def load_tasks(tasks: Mapping[str, str], recipe: Recipe) -> dict[str, object]:
    """Each task's images, resized for the recipe (the same images for every configuration)."""
    return {name: prepare_task(DatasetSpec.parse(spec), recipe) for name, spec in tasks.items()}


def score_backbone(
    model: torch.nn.Module, prepared: Mapping[str, object], recipe: Recipe
) -> tuple[dict[str, float], dict[str, float]]:
    """5-NN accuracy (%) of ``model``'s features on every task, and CPU seconds per task."""
    accuracy, seconds = {}, {}
    for name, task in prepared.items():
        t0 = time.process_time()
        acc, _ = score_model(model, task, recipe, CPU, progress=False)
        accuracy[name], seconds[name] = round(100 * acc, 3), round(time.process_time() - t0, 3)
    return accuracy, seconds


def evaluate_backbone(
    simulator, recipe: Recipe, config: str, seed: int, prepared: Mapping[str, object]
) -> tuple[dict, torch.nn.Module]:
    """One pre-training scored on every task: render -> pre-train -> features -> k-NN.

    ``config`` is a configuration key, or :data:`UNTRAINED` for the seed's untrained backbone.
    The pre-training and the scoring are the package's pipeline stages
    (:func:`t2s_env.pipeline.pretrain`, :func:`t2s_env.pipeline.score_model`).
    """
    wall: dict[str, float] = {}
    cpu0 = time.process_time()  # CPU seconds: the cost on one core, whatever else runs
    if config == UNTRAINED:
        model = build_backbone(recipe.arch, recipe.classes or len(simulator.class_names), seed)
        final_loss = None
    else:
        key = BackboneKey(config, simulator.name, str(simulator.version), recipe.id, seed)
        space = default_space(simulator)
        backbone = pretrain(key, simulator, space.key_to_dict(config), recipe, CPU, progress=False)
        wall = {stage: backbone.training[stage] for stage in ("render", "pretrain")}
        model, final_loss = backbone.model, backbone.training["final_loss"]
    model = model.eval()
    cpu_pretrain = time.process_time() - cpu0
    accuracy, task_cpu = score_backbone(model, prepared, recipe)
    record = {
        "recipe": recipe.id,
        "config": config,
        "seed": int(seed),
        "simulator": f"{simulator.name} {simulator.version}",
        "accuracy": accuracy,
        "wall_seconds": {k: round(v, 3) for k, v in wall.items()},
        "cpu_seconds": round(cpu_pretrain, 3),
        "task_cpu_seconds": task_cpu,
        "final_loss": None if final_loss is None else round(final_loss, 4),
        "torch_threads": torch.get_num_threads(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return record, model


def read_results(path: Path) -> list[dict]:
    """Every record of the results file (a line cut short by a kill is skipped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def append_result(path: Path, record: dict) -> None:
    with path.open("a") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def backbone_path(folder: Path, recipe: Recipe, config: str, seed: int) -> Path:
    return folder / f"{recipe.id}__{config}__{seed}.pt"


def run(args: argparse.Namespace) -> None:
    recipe = get_recipe(args.recipe)
    if args.set:
        recipe = recipe.replace(name=args.name or f"{recipe.name}-variant", **parse_sets(args.set))
    tasks = parse_tasks(args.tasks)
    simulator = default_simulator()
    configs = args.configs or study_configs(default_space(simulator), args.n_configs)
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    prepared = load_tasks(tasks, recipe)
    keep = Path(args.keep_backbones) if args.keep_backbones else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    # Configurations are the outer loop, so a partial run holds every seed of the
    # configurations it reached: each figure of the report can be computed at any time.
    todo = [(UNTRAINED, s) for s in args.seeds]
    todo += [(c, s) for c, s in itertools.product(configs, args.seeds)]
    index, _, count = (args.shard or "0/1").partition("/")
    todo = todo[int(index) :: int(count)]  # shard i/n: every n-th evaluation from the i-th
    print(f"recipe {recipe.id}; tasks {list(tasks)}; {len(todo)} evaluations planned", flush=True)
    for config, seed in todo:
        done = [
            r for r in read_results(results)
            if (r["recipe"], r["config"], r["seed"]) == (recipe.id, config, seed)
        ]  # fmt: skip
        if done and set(tasks) <= set(done[-1]["accuracy"]):
            continue
        if done and keep is not None and backbone_path(keep, recipe, config, seed).exists():
            record = rescore(done[-1], recipe, keep, prepared, simulator)
            record["task_specs"] = {**record.get("task_specs", {}), **tasks}
        else:
            record, model = evaluate_backbone(simulator, recipe, config, seed, prepared)
            record["task_specs"] = dict(tasks)
            if keep is not None and config != UNTRAINED:
                torch.save(model.state_dict(), backbone_path(keep, recipe, config, seed))
        append_result(results, record)
        print(json.dumps({k: record[k] for k in ("config", "seed", "accuracy", "cpu_seconds")}),
              flush=True)  # fmt: skip


def rescore(record: dict, recipe: Recipe, keep: Path, prepared, simulator) -> dict:
    """``record`` with its saved backbone scored on the tasks it lacks."""
    missing = {k: v for k, v in prepared.items() if k not in record["accuracy"]}
    model = build_backbone(recipe.arch, recipe.classes or len(simulator.class_names), 0)
    state = torch.load(backbone_path(keep, recipe, record["config"], record["seed"]),
                       weights_only=True)  # fmt: skip
    model.load_state_dict(state)
    accuracy, seconds = score_backbone(model.eval(), missing, recipe)
    return {**record, "accuracy": {**record["accuracy"], **accuracy},
            "task_cpu_seconds": {**record["task_cpu_seconds"], **seconds}}  # fmt: skip


def load_backbone(recipe: Recipe, keep: Path, config: str, seed: int, classes: int):
    """The backbone ``(config, seed)`` of a run with ``--keep-backbones keep``: its saved
    weights (``weights_only=True``), or for :data:`UNTRAINED` the seed's initialisation rebuilt;
    ``None`` when its file is missing."""
    model = build_backbone(recipe.arch, recipe.classes or classes, seed)
    if config != UNTRAINED:
        path = backbone_path(keep, recipe, config, seed)
        if not path.exists():
            return None
        model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def rescore_sweep(args: argparse.Namespace) -> None:
    """Score the kept backbones of a finished sweep (``--from``) on other tasks, without
    pre-training again: one record per backbone in ``--results`` (resumable), carrying the
    sweep's pre-training CPU seconds, so both study reports read it like a ``run`` file."""
    recipe = get_recipe(args.recipe)
    source = {(r["config"], r["seed"]): r for r in read_results(Path(args.source))
              if r["recipe"] == recipe.id}  # fmt: skip
    if not source:
        raise SystemExit(f"{args.source} has no records of recipe {recipe.id}")
    if args.seeds:
        source = {k: v for k, v in source.items() if k[1] in args.seeds}
    tasks = parse_tasks(args.tasks)
    keep, results = Path(args.keep_backbones), Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    classes = len(default_simulator().class_names)
    prepared = load_tasks(tasks, recipe)
    done = {(r["config"], r["seed"]): r for r in read_results(results) if r["recipe"] == recipe.id}
    print(f"recipe {recipe.id}; {len(source)} backbones; tasks {list(tasks)}", flush=True)
    for (config, seed), record in source.items():
        old = done.get((config, seed), {})
        missing = {k: v for k, v in prepared.items() if k not in old.get("accuracy", {})}
        if not missing:
            continue
        model = load_backbone(recipe, keep, config, seed, classes)
        if model is None:
            print(f"skipped {config} seed {seed}: no {backbone_path(keep, recipe, config, seed)}")
            continue
        accuracy, seconds = score_backbone(model, missing, recipe)
        new = {k: record[k] for k in ("recipe", "config", "seed", "simulator", "cpu_seconds",
                                      "wall_seconds", "final_loss") if k in record}  # fmt: skip
        new.update(
            accuracy={**old.get("accuracy", {}), **accuracy},
            task_cpu_seconds={**old.get("task_cpu_seconds", {}), **seconds},
            task_specs={**old.get("task_specs", {}), **{k: tasks[k] for k in missing}},
            rescored_from=str(args.source),
            torch_threads=torch.get_num_threads(),
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        append_result(results, new)
        done[config, seed] = new
        print(json.dumps({"config": config, "seed": seed, "accuracy": accuracy}), flush=True)


def parse_sets(items: Sequence[str]) -> dict[str, object]:
    """``field=value`` pairs (values read as JSON, else kept as strings)."""
    out = {}
    for item in items:
        field, _, value = item.partition("=")
        try:
            out[field] = json.loads(value)
        except json.JSONDecodeError:
            out[field] = value
        if isinstance(out[field], list):
            out[field] = tuple(out[field])
    return out


def parse_tasks(items: Sequence[str] | None) -> dict[str, str]:
    """``name=spec`` pairs, or the package's live tasks."""
    if not items:
        tasks = default_tasks()
        if not tasks:
            raise SystemExit("no --tasks given and t2s_env.datasets has no LIVE_TASKS")
        return tasks
    return dict(item.partition("=")[::2] for item in items)


# ---------------------------------------------------------------------------- report


def _rounded(figures: Mapping[str, object]) -> dict[str, object]:
    """The study's rounding of :func:`~t2s_env.rewards.signal.replicate_signal`'s figures."""
    out: dict[str, object] = {}
    for k, v in figures.items():
        if isinstance(v, list):
            out[k] = [round(x, 3) for x in v]
        elif k.endswith("_p") or isinstance(v, int):
            out[k] = v
        else:
            out[k] = round(v, 2 if "seeds_for" in k else 3)
    return out


def task_figures(acc: np.ndarray, untrained: np.ndarray) -> dict:
    """Signal figures of one task from ``acc`` (configurations, seeds), in points."""
    n_configs, n_seeds = acc.shape
    out: dict[str, object] = {"configurations": n_configs, "seeds": n_seeds}
    means = acc.mean(axis=1)
    out["range_of_config_means"] = round(float(np.ptp(means)), 3) if n_configs else None
    out["untrained_mean"] = round(float(np.mean(untrained)), 3) if len(untrained) else None
    if n_configs:
        best = int(np.argmax(means))
        out["best_config_index"] = best
        out["best_config_mean"] = round(float(means[best]), 3)
        if len(untrained):
            out["best_minus_untrained"] = round(float(means[best] - np.mean(untrained)), 3)
            out["configs_above_untrained"] = int(np.sum(means > np.mean(untrained)))
    if n_configs >= 3 and n_seeds >= 2:
        figures = replicate_signal(acc)
        for k in ("configurations", "seeds", "range_of_config_means"):
            del figures[k]
        out.update(_rounded(figures))
    return out


def median(values: Sequence[float]) -> float | None:
    return round(float(np.median(values)), 2) if len(values) else None


def analyse(records: list[dict], recipe_id: str | None, primary_task: str = PRIMARY_TASK) -> dict:
    """Figures per task over the complete seed replicates of the results file."""
    if recipe_id is None and records:
        recipe_id = max({r["recipe"] for r in records}, key=[r["recipe"] for r in records].count)
    records = [r for r in records if r["recipe"] == recipe_id]
    latest = {(r["config"], r["seed"]): r for r in records}
    seeds = sorted({s for _, s in latest})
    configs = list(dict.fromkeys(c for c, _ in latest if c != UNTRAINED))
    tasks = sorted({t for r in latest.values() for t in r["accuracy"]})
    trained = [r for r in latest.values() if r["config"] != UNTRAINED]
    primary = primary_task if primary_task in tasks else (tasks[0] if tasks else None)
    # One new evaluation: render + pre-train + features + k-NN on the primary task.
    cpu = [r["cpu_seconds"] + r["task_cpu_seconds"][primary] for r in trained
           if primary in r["task_cpu_seconds"]]  # fmt: skip
    wall = [sum(r["wall_seconds"].values()) for r in trained]
    extra = [s for r in trained for s in r["task_cpu_seconds"].values()]
    out: dict[str, object] = {
        "recipe": recipe_id,
        "evaluations": len(trained),
        "untrained_evaluations": len(latest) - len(trained),
        "seeds": seeds,
        "primary_task": primary,
        "median_cpu_seconds_per_evaluation": median(cpu),
        "median_wall_seconds_render_and_pretrain": median(wall),
        "median_cpu_seconds_per_extra_task": median(extra),
        "tasks": {},
    }  # fmt: skip
    for task in tasks:
        # The seeds that reached (all but at most one of) the configurations measured on this
        # task, and the configurations every one of them measured: the complete block.
        counts = {s: sum((c, s) in latest and task in latest[c, s]["accuracy"] for c in configs)
                  for s in seeds}  # fmt: skip
        full_seeds = [s for s in seeds if counts[s] and counts[s] >= max(counts.values()) - 1]
        rows = [
            c
            for c in configs
            if all((c, s) in latest and task in latest[c, s]["accuracy"] for s in full_seeds)
        ]
        acc = np.array([[latest[c, s]["accuracy"][task] for s in full_seeds] for c in rows])
        acc = acc.reshape(len(rows), len(full_seeds))
        untrained = np.array([latest[UNTRAINED, s]["accuracy"][task] for s in seeds
                              if (UNTRAINED, s) in latest
                              and task in latest[UNTRAINED, s]["accuracy"]])  # fmt: skip
        fig = task_figures(acc, untrained)
        fig["used_seeds"] = full_seeds
        fig["config_keys"] = rows
        fig["accuracy"] = acc.round(3).tolist()
        fig["untrained"] = untrained.round(3).tolist()
        if "best_config_index" in fig:
            fig["best_config"] = rows[fig.pop("best_config_index")]
        out["tasks"][task] = fig
    return out


def targets_met(fig: dict, median_seconds: float | None) -> dict[str, bool | None]:
    def check(key: str, ok) -> bool | None:
        return None if fig.get(key) is None else bool(ok(fig[key]))

    return {
        "spearman >= 0.6": check("spearman_mean", lambda v: v >= TARGETS["spearman"]),
        "ANOVA p < 0.001": check("anova_p", lambda v: v < TARGETS["anova_p"]),
        "best - untrained >= 2": check(
            "best_minus_untrained", lambda v: v >= TARGETS["best_minus_untrained"]
        ),
        "median <= 60 s": None
        if median_seconds is None
        else median_seconds <= TARGETS["median_seconds"],
    }


def markdown(summary: dict) -> str:
    lines = [
        "# `cpu` recipe signal study",
        "",
        f"Recipe `{summary['recipe']}`; {summary['evaluations']} pre-trained evaluations and "
        f"{summary['untrained_evaluations']} untrained backbones in the results file (seeds "
        f"{summary['seeds']}). Median CPU seconds per new evaluation (render + pre-train + "
        f"features + k-NN on `{summary['primary_task']}`, one torch thread): "
        f"{summary['median_cpu_seconds_per_evaluation']} (wall, render + pre-train, on the "
        f"shared machine: {summary['median_wall_seconds_render_and_pretrain']}); one more task "
        f"on a trained backbone: {summary['median_cpu_seconds_per_extra_task']} CPU s.",
        "",
        "| task | configs x seeds | Spearman (mean of pairs) | ANOVA p | best - untrained "
        "(points) | untrained | best config | range | seed SD | config SD | 1-seed "
        "reliability | seeds for 0.8 | seed-blocked ANOVA p, 1-seed reliability, seeds for 0.8"
        " | targets met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for task, f in summary["tasks"].items():
        if f["configurations"] < 3:
            continue
        met = targets_met(f, summary["median_cpu_seconds_per_evaluation"])
        met_text = ", ".join(
            f"{k}: {'yes' if v else 'no'}" for k, v in met.items() if v is not None
        )
        p = f.get("anova_p")
        blocked = "-" if "blocked_anova_p" not in f else (
            f"{f['blocked_anova_p']:.2g}, {f['blocked_single_seed_reliability']}, "
            f"{f['blocked_seeds_for_reliability_0.8']}"
        )  # fmt: skip
        lines.append(
            f"| {task} | {f['configurations']} x {f['seeds']} | {f.get('spearman_mean', '-')} | "
            f"{'-' if p is None else f'{p:.2g}'} | {f.get('best_minus_untrained', '-')} | "
            f"{f.get('untrained_mean', '-')} | `{f.get('best_config', '-')}` "
            f"({f.get('best_config_mean', '-')}) | {f.get('range_of_config_means', '-')} | "
            f"{f.get('seed_sd', '-')} | {f.get('config_effect_sd', '-')} | "
            f"{f.get('single_seed_reliability', '-')} | {f.get('seeds_for_reliability_0.8', '-')}"
            f" | {blocked} | {met_text} |"
        )
    primary = summary["tasks"].get(summary["primary_task"])
    if primary and primary["configurations"]:
        lines += ["", f"## `{summary['primary_task']}`: accuracy (%) per configuration and seed",
                  "", "| configuration | " + " | ".join(f"seed {s}" for s in primary["used_seeds"])
                  + " | mean |", "|---|" + "---|" * (len(primary["used_seeds"]) + 1)]  # fmt: skip
        order = np.argsort([-np.mean(a) for a in primary["accuracy"]])
        for i in order:
            row = primary["accuracy"][i]
            cells = " | ".join(f"{a:.2f}" for a in row)
            lines.append(f"| `{primary['config_keys'][i]}` | {cells} | {np.mean(row):.2f} |")
        lines.append(f"| untrained backbone | {' | '.join(f'{a:.2f}' for a in primary['untrained'])}"
                     f" | {np.mean(primary['untrained']):.2f} |")  # fmt: skip
    speed_file = RESULTS / "cpu_recipe_speed.json"
    if speed_file.exists():
        levers = json.loads(speed_file.read_text())
        lines += [
            "",
            f"## Speed levers (CPU seconds, one thread, {levers['images']} images at 32 px;"
            " `cpu_recipe_study.py speed`)",
            "",
            "| what | CPU seconds |",
            "|---|---|",
        ]
        lines += [
            f"| one training epoch, {k} | {v} |"
            for k, v in levers["train_epoch_cpu_seconds"].items()
        ]
        lines += [f"| one augmentation epoch (crop + flip, per-image seeding) | "
                  f"{levers['augment_epoch_cpu_seconds']} |",
                  f"| the same seeding by `torch.manual_seed` (before) | "
                  f"{levers['torch_manual_seed_per_image_epoch_cpu_seconds']} more |",
                  f"| rendering the pre-training set (domain randomisation) | "
                  f"{levers['render_cpu_seconds']} |"]  # fmt: skip
    lines += ["", "Figures: `python benchmarks/cpu_recipe_study.py report` over the results "
              "file; a configuration counts when every used seed measured it.", ""]  # fmt: skip
    return "\n".join(lines)


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = summary["tasks"].get(summary["primary_task"])
    if not f or not f["configurations"]:
        return
    acc = np.array(f["accuracy"])
    order = np.argsort(acc.mean(axis=1))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), width_ratios=[2, 1])
    x = np.arange(len(order))
    for j, seed in enumerate(f["used_seeds"]):
        left.scatter(x, acc[order, j], s=12, label=f"seed {seed}")
    left.plot(x, acc[order].mean(axis=1), "k-", lw=1, label="mean")
    if f["untrained"]:
        left.axhline(np.mean(f["untrained"]), color="r", ls="--", label="untrained backbone")
    left.set_xticks(x, [f["config_keys"][i] for i in order], rotation=90, fontsize=6)
    left.set_ylabel("5-NN accuracy (%)")
    left.set_title(f"{summary['primary_task']}: configurations by mean accuracy")
    left.legend(fontsize=7)
    if acc.shape[1] >= 2:
        right.scatter(acc[:, 0], acc[:, 1], s=12)
        right.set_xlabel(f"seed {f['used_seeds'][0]} (%)")
        right.set_ylabel(f"seed {f['used_seeds'][1]} (%)")
        right.set_title(f"seed replicates (Spearman, mean of pairs {f.get('spearman_mean')})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(args: argparse.Namespace) -> None:
    records = read_results(Path(args.results))
    summary = analyse(records, args.recipe_id, args.primary)
    summary["machine"] = {
        "cpus": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, cwd=Path(__file__).parent).stdout.strip(),
    }  # fmt: skip
    out = Path(args.out)
    for f in summary["tasks"].values():
        f["targets_met"] = targets_met(f, summary["median_cpu_seconds_per_evaluation"])
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    out.with_suffix(".md").write_text(markdown(summary))
    plot(summary, out.with_suffix(".png"))
    print(out.with_suffix(".md").read_text())


# ---------------------------------------------------------------------------- speed levers


def cpu_seconds_per_epoch(arch: str, batch_size: int, channels_last: bool, images: int) -> float:
    """CPU seconds of forward + backward + AdamW over ``images`` 32 px images (one thread)."""
    model = build_backbone(arch, 100, seed=0)
    x = torch.randn(batch_size, 3, 32, 32)
    if channels_last:
        model, x = (
            model.to(memory_format=torch.channels_last),
            x.contiguous(memory_format=torch.channels_last),
        )
    y = torch.arange(batch_size) % 100
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    steps = 4
    for i in range(steps + 1):
        if i == 1:  # the first step allocates; time the others
            t0 = time.process_time()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return (time.process_time() - t0) / steps * images / batch_size


def speed(args: argparse.Namespace) -> None:
    """CPU seconds of the levers: network, batch size, channels-last, augmentation, rendering."""
    from t2s_env.pretrain.augment import AugmentedImages

    recipe = get_recipe(args.recipe)
    n = recipe.total_images or 2000
    out: dict[str, object] = {"recipe": recipe.id, "images": n, "torch_threads": 1}
    networks = {}
    for arch, batch_size, channels_last in [
        ("resnet18", 128, False), ("resnet18", 128, True), ("resnet18", 256, False),
        ("resnet18_w48", 128, False), ("resnet18_w32", 128, False), ("resnet18_w32", 128, True),
        ("resnet18_w32", 256, False), ("resnet10_w32", 128, False),
    ]:  # fmt: skip
        label = f"{arch} batch {batch_size}{' channels-last' if channels_last else ''}"
        networks[label] = round(cpu_seconds_per_epoch(arch, batch_size, channels_last, n), 2)
        print(label, networks[label], flush=True)
    out["train_epoch_cpu_seconds"] = networks
    images = np.random.default_rng(0).integers(0, 255, (n, 32, 32, 3), dtype=np.uint8)
    data = AugmentedImages(images, np.arange(n) % 100, 32, recipe.crop_scale, False, seed=0)
    t0 = time.process_time()
    for i in range(n):
        data[i]
    out["augment_epoch_cpu_seconds"] = round(time.process_time() - t0, 2)
    t0 = time.process_time()
    for i in range(n):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(i)
    out["torch_manual_seed_per_image_epoch_cpu_seconds"] = round(time.process_time() - t0, 2)
    simulator = default_simulator()
    config = default_space(simulator).key_to_dict("1_1_1_1_1_3_0_1_1")
    render_dataset(simulator, config, recipe.replace(classes=10, images_per_class=2), 0, False)
    t0 = time.process_time()
    render_dataset(simulator, config, recipe, 0, progress=False)
    out["render_cpu_seconds"] = round(time.process_time() - t0, 2)
    path = Path(args.out)
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    r = sub.add_parser("run", help="evaluate what is missing (resumable)")
    r.add_argument("--recipe", default="cpu")
    r.add_argument("--set", nargs="*", help="FIELD=VALUE overrides of the recipe (pilots)")
    r.add_argument("--name", help="recipe name for --set overrides")
    r.add_argument("--tasks", nargs="*", help="NAME=SPEC (default: t2s_env's LIVE_TASKS)")
    r.add_argument("--configs", nargs="*", help="configuration keys (default: study_configs)")
    r.add_argument("--n-configs", type=int, default=32)
    r.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    r.add_argument("--results", default=str(RESULTS / "cpu_recipe_study.jsonl"))
    r.add_argument("--keep-backbones", help="folder to save trained backbones in (rescoring)")
    r.add_argument("--shard", help="I/N: run every N-th planned evaluation from the I-th (one "
                   "process per shard, the same results file)")  # fmt: skip
    p = sub.add_parser("report", help="write the figures from the results file")
    p.add_argument("--results", default=str(RESULTS / "cpu_recipe_study.jsonl"))
    p.add_argument("--recipe-id", help="recipe id to analyse (default: the most frequent)")
    p.add_argument("--primary", default=PRIMARY_TASK, help="the task the targets are about")
    p.add_argument("--out", default=str(RESULTS / "cpu_recipe_study.md"))
    s = sub.add_parser("rescore", help="score a sweep's kept backbones on other tasks")
    s.add_argument("--recipe", default="cpu")
    s.add_argument("--from", dest="source", required=True, help="the sweep's results file")
    s.add_argument("--keep-backbones", required=True, help="the sweep's --keep-backbones folder")
    s.add_argument("--tasks", nargs="*", help="NAME=SPEC (default: t2s_env's LIVE_TASKS)")
    s.add_argument("--seeds", type=int, nargs="*", help="only these seeds (default: all)")
    s.add_argument("--results", required=True, help="results file to append to (resumable)")
    q = sub.add_parser("speed", help="CPU seconds of the speed levers, one thread")
    q.add_argument("--recipe", default="cpu")
    q.add_argument("--out", default=str(RESULTS / "cpu_recipe_speed.json"))
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    {"run": run, "report": report, "rescore": rescore_sweep, "speed": speed}[args.step](args)


if __name__ == "__main__":
    main()
