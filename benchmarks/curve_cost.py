"""What one evaluation with learning curves costs on the live tasks, and where the time goes.

One sweep job as ``t2s sweep`` runs it (:func:`~t2s_env.pipeline.evaluate_backbone`: render,
pre-train, score every task at each curve epoch, then at the end), CPU seconds of this process
on one torch thread (``time.process_time``, not wall time: the machine may be shared):

- ``read tasks``: the tasks' images read and resized, once per process (a sweep worker keeps
  them: ``prepare_task``'s cache holds every live task);
- per configuration: the job's ``cpu_seconds`` (what the store records as the cell's cost) and
  its parts: ``render``, ``pretrain`` (training alone), ``curves`` (the scoring at the curve
  epochs before the last), ``final`` (the scoring of every task at the end);
- the same job with the recipe without curves (``--base``, default ``cpu2``: the same training),
  whose final accuracies must equal the curved job's bit for bit;
- the final scoring both ways: every task on its own (``score_model``, the old path) and all
  tasks in one extraction with each distinct image once (``score_tasks``, what the job does),
  with the same accuracies.

    OMP_NUM_THREADS=1 python benchmarks/curve_cost.py    # the 24 live tasks, 2 configurations

Writes ``benchmarks/results/curve_cost.{json,md}``.

    OMP_NUM_THREADS=1 python benchmarks/curve_cost.py --check-study

re-measures the first trained row of ``results/cpu2_signal_study.jsonl`` (seed 0) with the
curved recipe and prints whether its 24 accuracies (as the study rounded them) and its final
loss come out the same: the curves and this code's speed-ups leave the measurement unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from t2s_env.datasets import LIVE_TASKS, DatasetSpec
from t2s_env.pipeline import evaluate_backbone, group_by_backbone, prepare_task, score_model
from t2s_env.pipeline.stages import score_tasks
from t2s_env.pretrain import get_recipe
from t2s_env.rewards.live import default_simulator
from t2s_env.sweep import plan_sweep

RESULTS = Path(__file__).parent / "results"
CONFIGS = ("1_0_0_0_0_1_0_0_0", "1_1_1_1_1_3_0_1_1")
"""Backgrounds only, and domain randomisation (the paper's two reference configurations)."""
CAPPED = 250
"""``curve_test_max`` of the cheaper-curve variant timed beside the recipe."""


def job_cost(tasks: dict, config: str, recipe, seed: int, simulator) -> tuple[dict, list]:
    (job,) = group_by_backbone(plan_sweep(tasks, [config], simulator, recipe, seeds=[seed]))
    c0 = time.process_time()
    outcomes = evaluate_backbone(job, "cpu", progress=False)
    cpu = time.process_time() - c0  # the tasks are read already: the job's cpu_seconds
    bad = [o for o in outcomes if isinstance(o, Exception)]
    if bad:
        raise bad[0]
    first = outcomes[0]
    parts = {k: first.timings[k] for k in ("render_cpu", "pretrain_cpu")}
    parts["curve_cpu"] = first.details.get("curve_cpu") or 0.0
    return {
        "cpu_seconds": round(cpu, 2),
        "stored_cpu_seconds": first.cpu_seconds,
        **parts,
        "final_scoring_cpu": round(cpu - sum(parts.values()), 2),
        "curve_points": len(first.curve),
    }, outcomes


def final_scoring(tasks: dict, recipe, model) -> dict:
    prepared = {n: prepare_task(s, recipe) for n, s in tasks.items()}
    device = torch.device("cpu")
    c0 = time.process_time()
    each = {
        n: score_model(model, t, recipe, device, progress=False)[0] for n, t in prepared.items()
    }
    c1 = time.process_time()
    shared = {n: a for n, (a, _) in score_tasks(model, prepared, recipe, device).items()}
    c2 = time.process_time()
    images = sum(len(t.train) + len(t.test) for t in prepared.values())
    distinct = len({d for t in prepared.values() for ds in t.digests() for d in ds})
    return {
        "one_by_one_cpu": round(c1 - c0, 2),
        "shared_cpu": round(c2 - c1, 2),
        "images": images,
        "distinct_images": distinct,
        "same_accuracies": each == shared,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="cpu2c")
    parser.add_argument("--base", default="cpu2", help="the same recipe without curves")
    parser.add_argument("--tasks", nargs="+", default=list(LIVE_TASKS))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--capped", type=int, default=CAPPED,
        help="also time the recipe with curve_test_max=N (cheaper curve points; 0: skip)",
    )  # fmt: skip
    parser.add_argument("--out", default=str(RESULTS / "curve_cost"))
    parser.add_argument("--check-study", action="store_true", help="see the module docstring")
    parser.add_argument(
        "--markdown-only", action="store_true", help="rewrite the .md from the run's .json"
    )
    args = parser.parse_args()
    if args.check_study:
        check_study(args.recipe)
        return
    if args.markdown_only:
        out = Path(args.out)
        write_markdown(json.loads(out.with_suffix(".json").read_text()), out.with_suffix(".md"))
        return
    torch.set_num_threads(1)
    recipe, base = get_recipe(args.recipe), get_recipe(args.base)
    if recipe.replace(name=base.name, curve_epochs=()) != base:
        raise SystemExit(f"--base {base.name} is not {recipe.name} without its curves")
    tasks = {t: DatasetSpec.parse(LIVE_TASKS[t]) for t in args.tasks}
    simulator = default_simulator()
    c0 = time.process_time()
    for spec in tasks.values():
        prepare_task(spec, recipe)
    read = time.process_time() - c0
    print(f"read {len(tasks)} tasks: {read:.1f} CPU s", flush=True)
    rows = []
    for config in args.configs:
        curved, out_c = job_cost(tasks, config, recipe, args.seed, simulator)
        print(config, recipe.name, curved, flush=True)
        plain, out_p = job_cost(tasks, config, base, args.seed, simulator)
        print(config, base.name, plain, flush=True)
        same = [a.accuracy for a in out_c] == [b.accuracy for b in out_p]
        if args.capped:
            cheap_recipe = recipe.replace(curve_test_max=args.capped)
            cheap, out_x = job_cost(tasks, config, cheap_recipe, args.seed, simulator)
            print(config, f"capped {args.capped}", cheap, flush=True)
            same = same and [a.accuracy for a in out_x] == [b.accuracy for b in out_p]
        rows.append({"config": config, recipe.name: curved, base.name: plain,
                     "capped": cheap if args.capped else None,
                     "capped_curves": {o.key.task: o.curve for o in out_x} if args.capped else None,
                     "same_final_accuracies": same,
                     "curves": {o.key.task: o.curve for o in out_c}})  # fmt: skip
    # the final scoring both ways, on the last configuration's backbone (re-trained: a sweep
    # does not keep it), from the base recipe
    from t2s_env.pipeline import pretrain
    from t2s_env.pipeline.cache import BackboneKey

    key = BackboneKey(args.configs[-1], simulator.name, str(simulator.version), base.id, args.seed)
    config = simulator.space.key_to_dict(args.configs[-1])
    model = pretrain(key, simulator, config, base, torch.device("cpu"), progress=False).model
    scoring = final_scoring(tasks, base, model)
    print("final scoring", scoring, flush=True)
    cost = [r[recipe.name]["cpu_seconds"] for r in rows]
    result = {
        "recipe": recipe.id,
        "base": base.id,
        "curve_epochs": list(recipe.curve_epochs),
        "tasks": list(tasks),
        "seed": args.seed,
        "read_tasks_cpu": round(read, 2),
        "jobs": rows,
        "final_scoring": scoring,
        "mean_cpu_seconds_with_curves": round(float(np.mean(cost)), 2),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        "(shared with other processes: CPU time, not wall)",
        "command": "OMP_NUM_THREADS=1 python benchmarks/curve_cost.py",
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, out.with_suffix(".md"))


def check_study(recipe: str) -> None:
    """See the module docstring (``--check-study``)."""
    torch.set_num_threads(1)
    rows = [json.loads(line) for line in (RESULTS / "cpu2_signal_study.jsonl").open()]
    row = next(r for r in rows if r["config"] != "untrained" and r["seed"] == 0)
    tasks = {t: DatasetSpec.parse(s) for t, s in row["task_specs"].items()}
    plan = plan_sweep(tasks, [row["config"]], default_simulator(), recipe, seeds=[0])
    (job,) = group_by_backbone(plan)
    out = evaluate_backbone(job, "cpu", progress=False)
    differ = [(o.key.task, round(100 * o.accuracy, 3), row["accuracy"][o.key.task])
              for o in out if round(100 * o.accuracy, 3) != row["accuracy"][o.key.task]]  # fmt: skip
    loss = out[0].details["final_loss"]
    print(f"{row['config']} seed 0, {recipe} against {row['recipe']}: {len(out)} tasks, "
          f"accuracies that differ: {differ or 'none'}; final loss {loss} (study "
          f"{row['final_loss']}); job {out[0].cpu_seconds} CPU s")  # fmt: skip


def write_markdown(result: dict, path: Path) -> None:
    """``curve_cost.md`` from the JSON the run wrote."""
    name, base = result["recipe"].split("@")[0], result["base"].split("@")[0]
    rows, scoring = result["jobs"], result["final_scoring"]
    capped = rows[0].get("capped") is not None
    lines = [
        f"# Cost of one evaluation with learning curves: `{result['recipe']}` on "
        f"{len(result['tasks'])} live tasks",
        "",
        f"CPU seconds (`time.process_time`) on one torch thread, seed {result['seed']}, on a "
        f"machine shared with other processes; curve epochs {result['curve_epochs']}. Reading "
        f"the tasks' images: {result['read_tasks_cpu']} CPU s once per process (not in the "
        "jobs: a sweep worker keeps them). The first job of a process also renders cold "
        "(the simulator builds its objects' geometry once).",
        "",
        "| configuration | job | CPU s | render | pre-train | curve scoring | final scoring "
        "and the rest | final accuracies as without curves |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        jobs = [(f"`{name}`", r[name]), (f"`{base}` (no curves)", r[base])]
        if capped:
            jobs.append((f"`{name}`, curve points on <= {CAPPED} test images a task", r["capped"]))
        for label, c in jobs:
            lines.append(
                f"| `{r['config']}` | {label} | {c['cpu_seconds']:.1f} | {c['render_cpu']:.1f} | "
                f"{c['pretrain_cpu']:.1f} | {c['curve_cpu']:.1f} | {c['final_scoring_cpu']:.1f} | "
                f"{r['same_final_accuracies']} |"
            )
    lines += [
        "",
        '"Final scoring and the rest" is the job\'s CPU time less render, pre-training and '
        "curve scoring. The last column: every task's final accuracy equals that of the "
        f"`{base}` job bit for bit (the capped job's too).",
        "",
        f"Final scoring of the {len(result['tasks'])} tasks on one backbone: one task at a time "
        f"(`score_model`, the old path) {scoring['one_by_one_cpu']} CPU s; all at once, each "
        f"distinct image once ({scoring['distinct_images']} of {scoring['images']} images), "
        f"under `torch.inference_mode` (`score_tasks`, what a job does) {scoring['shared_cpu']} "
        f"CPU s; same accuracies: {scoring['same_accuracies']}.",
    ]
    if capped:
        diffs = [
            abs(full[i][1] - cheap[i][1]) * 100
            for r in rows
            for t, full in r["curves"].items()
            for cheap in [r["capped_curves"][t]]
            for i in range(len(full) - 1)
        ]
        lines += [
            "",
            f"Capped curve points against the full ones (every task, both curve points before "
            f"the last, {len(rows)} configurations): mean absolute difference "
            f"{np.mean(diffs):.2f} points, largest {max(diffs):.2f}.",
        ]
    lines += ["", f"Made by `{result['command']}`."]
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path.with_suffix('.json')} and {path}")


if __name__ == "__main__":
    main()
