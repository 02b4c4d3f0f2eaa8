"""Benchmark the live reward: one evaluation's time and breakdown, sweep throughput, signal.

Parts (``--parts``, all by default):

- ``stages``: the CPU recipe (``cpu``; until it exists, the equivalent ``smoke`` variant: ResNet-18
  at 32 px, 100 classes x 20 = 2,000 rendered images, 10 epochs) on one core: per stage, one new
  (configuration, seed) evaluation on a live task (render, pre-train, features, k-NN), then the
  same backbone scored on more tasks from the backbone cache (in memory, and from its file).
  Targets: a new evaluation <= 60 s median, one more task <= 5 s.
- ``sharing``: sweeps of 1 task x 4 configurations and 4 tasks x 4 configurations with the CPU
  recipe (each a fresh store, one worker, one thread); target: the second <= 1.3x the first.
- ``single``: wall time of one evaluation with the smoke preset on digits, with its breakdown
  (render, pre-train, features, k-NN), in a fresh store.
- ``throughput``: a small sweep (``--throughput-evals`` evaluations of ``--throughput-recipe``)
  with the local executor at 1 and 2 workers (1 torch thread each), evaluations per hour.
- ``signal``: digits, 16 configurations x 2 seeds with the smoke preset: the spread of accuracy
  across configurations against the spread across seeds, the rank correlation between the two
  seeds, a one-way ANOVA, and how many seeds a configuration ranking would need.

Results go to ``benchmarks/results/live_reward.{json,md}``; the signal study's evaluations are
kept in a reward store (``--store``), so an interrupted run resumes. The GPU figures (the paper
recipe's pre-training throughput) are measured only where CUDA is present.

    OMP_NUM_THREADS=1 python benchmarks/live_reward.py --parts single throughput signal
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/live_reward.py --parts stages sharing
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from t2s_env.datasets import DatasetError, DatasetSpec
from t2s_env.pipeline import BackboneCache, EvaluationRequest, evaluate
from t2s_env.pretrain import RECIPES, Recipe, get_recipe, train_backbone
from t2s_env.rewards.live import LiveRewardSource, default_simulator, default_space
from t2s_env.rewards.store import RewardStore
from t2s_env.sweep import LocalExecutor, plan_sweep, run_sweep

RESULTS = Path(__file__).parent / "results"


def load_simulator(spec: str):
    if spec == "default":
        return default_simulator()
    module, _, attr = spec.partition(":")
    if module == "live_toy":  # the tests' procedural stand-in
        sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    return getattr(importlib.import_module(module), attr)()


def signal_configs(space, n: int = 16, seed: int = 0) -> list[str]:
    """All off, all on (domain randomisation), each knob alone, then seeded random others."""
    keys = [space.action_to_key(np.zeros(len(space), int)), space.action_to_key(space.nvec - 1)]
    for i in range(len(space)):
        a = np.zeros(len(space), int)
        a[i] = space.nvec[i] - 1
        keys.append(space.action_to_key(a))
    rng = np.random.default_rng(seed)
    every = space.all_keys()
    while len(keys) < n:
        k = every[int(rng.integers(len(every)))]
        if k not in keys:
            keys.append(k)
    return keys[:n]


def cpu_recipe(name: str = "cpu") -> Recipe:
    """The ``cpu`` preset, or until it exists its equivalent: ResNet-18, 2,000 images, 32 px
    (another preset when ``name`` names one)."""
    if name != "cpu":
        return get_recipe(name)
    if "cpu" in RECIPES:
        return RECIPES["cpu"]
    return get_recipe("smoke").replace(name="cpu-equivalent", classes=100, images_per_class=20)


def live_tasks(n: int) -> list[str]:
    """``n`` named live tasks, Fashion-MNIST ones first (digits ones if it is not installed)."""
    order = ["fmnist-20shot", "fmnist-tops", "digits-10shot", "fmnist-shoes", "digits-0to4"]
    usable = []
    for name in order:
        try:
            DatasetSpec.parse(name).load()
            usable.append(name)
        except DatasetError:
            continue
    if len(usable) < n:
        raise SystemExit(f"need {n} live tasks, found {usable} (install dataset-fashion-mnist)")
    return usable[:n]


def _median(values: list[float]) -> float:
    return round(float(np.median(values)), 2)


def part_stages(sim, args) -> dict:
    torch.set_num_threads(1)
    recipe = cpu_recipe(args.live_recipe)
    first, *more = live_tasks(3)
    keys = signal_configs(default_space(sim), args.stage_repeats, seed=3)
    new, hits, file_hits = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        cache = BackboneCache(Path(tmp) / "backbones")
        for key in keys:
            config = sim.space.key_to_dict(key)

            def request(task, config=config):
                return EvaluationRequest(task, DatasetSpec.parse(task), config, sim, recipe, 0)

            t0, c0 = time.perf_counter(), time.process_time()
            e = evaluate(request(first), "cpu", False, cache)
            new.append({"config": key, "wall": round(time.perf_counter() - t0, 2),
                        "cpu": round(time.process_time() - c0, 2), "accuracy": e.accuracy,
                        **e.timings})  # fmt: skip
            for task in more:
                t0, c0 = time.perf_counter(), time.process_time()
                e = evaluate(request(task), "cpu", False, cache)
                assert not e.details["pretrained_here"]
                hits.append({"task": task, "wall": round(time.perf_counter() - t0, 2),
                             "cpu": round(time.process_time() - c0, 2),
                             **{k: e.timings[k] for k in ("load_task", "features", "knn")}})  # fmt: skip
            t0 = time.perf_counter()
            e = evaluate(request(more[0]), "cpu", False, BackboneCache(Path(tmp) / "backbones"))
            assert not e.details["pretrained_here"]
            file_hits.append(round(time.perf_counter() - t0, 2))
    stages = ("render", "pretrain", "load_task", "features", "knn")
    first_hits = [h for i, h in enumerate(hits) if i < len(more)]  # dataset read for the 1st time
    return {
        "recipe": recipe.id,
        "recipe_fields": recipe.to_dict(),
        "first_task": first,
        "more_tasks": more,
        "new_evaluations": new,
        "new_evaluation_median_seconds": _median([n["wall"] for n in new]),
        "new_evaluation_median_cpu_seconds": _median([n["cpu"] for n in new]),
        "new_evaluation_median_per_stage": {s: _median([n[s] for n in new]) for s in stages},
        "more_task_scorings": hits,
        "more_task_median_seconds": _median([h["wall"] for h in hits]),
        "more_task_median_cpu_seconds": _median([h["cpu"] for h in hits]),
        "more_task_first_time_median_seconds": _median([h["wall"] for h in first_hits]),
        "more_task_from_file_median_seconds": _median(file_hits),
        "targets": {"new_evaluation_s": 60, "more_task_s": 5},
    }


def part_sharing(sim, args) -> dict:
    recipe = cpu_recipe(args.live_recipe)
    tasks = live_tasks(4)
    keys = signal_configs(default_space(sim), args.sharing_configs, seed=2)
    out: dict = {"recipe": recipe.id, "tasks": tasks, "configs": keys}
    for n in (4, 1) if args.sharing_direct else (4,):
        with tempfile.TemporaryDirectory() as tmp:
            requests = plan_sweep(tasks[:n], keys, sim, recipe)
            c0 = time.process_time()
            store = RewardStore(Path(tmp) / "s.sqlite")
            report = run_sweep(requests, store, LocalExecutor(1, threads_per_worker=1),
                               progress=False)  # fmt: skip
            cpu = time.process_time() - c0
            firsts = [e for e in store if e.details["pretrained_here"]]
        out[f"tasks_{n}"] = {"seconds": round(report.seconds, 2), "cpu_seconds": round(cpu, 2),
                             "computed": report.computed, "pretrained": report.pretrained,
                             "failed": len(report.failed)}  # fmt: skip
        if n == 4 and not args.sharing_direct:
            # The 1-task sweep is, job for job, the pre-training and the first task's scoring:
            # the evaluations that paid for a pre-training, their own totals.
            out["tasks_1"] = {
                "seconds": round(sum(e.timings["total"] for e in firsts), 2),
                "cpu_seconds": round(sum(e.timings["cpu"] for e in firsts), 2),
                "computed": len(firsts), "pretrained": len(firsts), "failed": 0,
                "derived": "sum of the 4x4 sweep's pre-training evaluations (not run apart)",
            }  # fmt: skip
    out["ratio_4_to_1"] = round(out["tasks_4"]["seconds"] / out["tasks_1"]["seconds"], 3)
    out["cpu_ratio_4_to_1"] = round(
        out["tasks_4"]["cpu_seconds"] / out["tasks_1"]["cpu_seconds"], 3
    )
    out["target_ratio"] = 1.3
    return out


def part_single(sim, args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        source = LiveRewardSource(["digits"], simulator=sim, recipe="smoke",
                                  store=Path(tmp) / "s.sqlite", progress=False,
                                  embeddings={"digits": np.zeros(1)})  # fmt: skip
        key = "1_1_1_1_1_3_0_1_1"
        t0 = time.perf_counter()
        e = source.evaluation("digits", source.space.key_to_dict(key))
        wall = time.perf_counter() - t0
        t1 = time.perf_counter()
        source.evaluation("digits", source.space.key_to_dict(key))
        cached = time.perf_counter() - t1
    return {
        "recipe": get_recipe("smoke").to_dict(),
        "config": key,
        "accuracy": e.accuracy,
        "wall_seconds": round(wall, 2),
        "breakdown_seconds": e.timings,
        "pretrain_images_per_second": e.details["pretrain_images_per_second"],
        "cached_lookup_seconds": round(cached, 4),
    }


def part_throughput(sim, args) -> dict:
    keys = signal_configs(default_space(sim), args.throughput_evals, seed=1)
    out = {"recipe": args.throughput_recipe, "evaluations": len(keys)}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            requests = plan_sweep(["digits"], keys, sim, args.throughput_recipe)
            # Warm the task cache outside the timing in-process; pool workers pay it themselves.
            report = run_sweep(requests, RewardStore(Path(tmp) / "t.sqlite"),
                               LocalExecutor(workers, threads_per_worker=1), progress=False)  # fmt: skip
        out[f"workers_{workers}"] = {
            "seconds": round(report.seconds, 2),
            "evaluations_per_hour": round(report.computed / report.seconds * 3600, 1),
            "failed": len(report.failed),
        }
    return out


def untrained_baseline(seeds: list[int]) -> list[float]:
    """5-NN accuracy (%) on digits of randomly initialised (never trained) smoke backbones."""
    from t2s_env.pipeline import prepare_task, score_model
    from t2s_env.pretrain import build_backbone
    from t2s_env.rewards.live import as_spec

    recipe = get_recipe("smoke")
    task = prepare_task(as_spec("digits"), recipe)
    out = []
    for seed in seeds:
        model = build_backbone(recipe.arch, 10, seed).eval()
        acc, _ = score_model(model, task, recipe, torch.device("cpu"), progress=False)
        out.append(round(100 * acc, 3))
    return out


def part_signal(sim, args) -> dict:
    from scipy import stats

    keys = signal_configs(default_space(sim), 16)
    seeds = [0, 1]
    store = RewardStore(args.store)
    requests = plan_sweep(["digits"], keys, sim, "smoke", seeds)
    if args.analyse_only:
        done_before = sum(store.get(r.key) is not None for r in requests)
        summary = f"analysed the {done_before} of {len(requests)} evaluations in the store"
    else:
        report = run_sweep(requests, store, LocalExecutor(args.workers, threads_per_worker=1))
        summary = report.summary()
    acc = np.full((len(keys), len(seeds)), np.nan)
    for r in requests:
        e = store.get(r.key)
        if e is not None:
            acc[keys.index(r.config_key), seeds.index(r.seed)] = 100 * e.accuracy
    stored = [e for r in requests if (e := store.get(r.key)) is not None]
    timings = {
        stage: round(float(np.median([e.timings[stage] for e in stored])), 2)
        for stage in ("load_task", "render", "pretrain", "features", "knn", "total")
    } if stored else {}  # fmt: skip
    done = ~np.isnan(acc).any(axis=1)
    acc = acc[done]
    config_means = acc.mean(axis=1)
    within_sd = float(np.sqrt(np.mean(np.var(acc, axis=1, ddof=1))))  # pooled seed SD
    between_sd = float(np.std(config_means, ddof=1))
    # Variance of true config means = var(means) - within^2 / n_seeds (method of moments).
    true_var = max(between_sd**2 - within_sd**2 / len(seeds), 0.0)
    rho = stats.spearmanr(acc[:, 0], acc[:, 1])
    anova = stats.f_oneway(*acc)
    reliability = true_var / (true_var + within_sd**2) if within_sd > 0 else 1.0
    # Seeds per configuration for a seed-averaged measurement to reach reliability 0.8.
    seeds_for_08 = float("inf") if true_var == 0 else max(1.0, 0.8 / 0.2 * within_sd**2 / true_var)
    return {
        "recipe": get_recipe("smoke").id,
        "configs": [k for k, d in zip(keys, done, strict=True) if d],
        "accuracy_percent": acc.round(3).tolist(),
        "sweep": summary,
        "median_timings_seconds": timings,
        "across_configs_sd": round(between_sd, 3),
        "across_seeds_sd": round(within_sd, 3),
        "true_config_sd_estimate": round(float(np.sqrt(true_var)), 3),
        "range_of_config_means": round(float(np.ptp(config_means)), 3),
        "spearman_seed0_vs_seed1": round(float(rho.statistic), 3),
        "spearman_p": round(float(rho.pvalue), 4),
        "anova_F": round(float(anova.statistic), 3),
        "anova_p": round(float(anova.pvalue), 4),
        "single_seed_reliability": round(float(reliability), 3),
        "seeds_per_config_for_reliability_0.8": seeds_for_08,
        "untrained_backbone_accuracy_percent": untrained_baseline(seeds),
        "test_images": 359,
        "binomial_se_at_90pct": round(100 * float(np.sqrt(0.9 * 0.1 / 359)), 3),
    }


def part_gpu(sim, args) -> dict:
    if not torch.cuda.is_available():
        return {"measured": False, "reason": "no CUDA device in this run"}
    recipe = get_recipe("paper").replace(epochs=1, images_per_class=40)
    batch = sim.render(sim.space.key_to_dict("1_1_1_1_1_3_0_1_1"), 40, 0, 224)
    r = train_backbone(batch.images, batch.labels, recipe, seed=0, device="cuda", progress=False)
    ips = r.images_per_second
    full = get_recipe("paper")
    return {
        "measured": True,
        "gpu": torch.cuda.get_device_name(0),
        "pretrain_images_per_second": round(ips, 1),
        "projected_pretrain_hours": round(full.total_images * full.epochs / ips / 3600, 2),
    }


def markdown(results: dict) -> str:
    """A short human-readable summary of the results file."""
    lines = [f"# Live reward benchmark ({results.get('simulator', '?')})", ""]
    m = results.get("machine", {})
    lines += [f"Machine: {m.get('cpus')} CPUs, torch threads {m.get('torch_threads')}, "
              f"CUDA {m.get('cuda')}; {m.get('note', '')}", ""]  # fmt: skip
    if "stages" in results:
        r = results["stages"]
        st = r["new_evaluation_median_per_stage"]
        lines += [
            f"## CPU recipe, one core ({r['recipe']})",
            "",
            f"New (configuration, seed) evaluation on {r['first_task']}, median of "
            f"{len(r['new_evaluations'])}: **{r['new_evaluation_median_seconds']} s** wall, "
            f"{r['new_evaluation_median_cpu_seconds']} s of CPU (target "
            f"{r['targets']['new_evaluation_s']} s).",
            "",
            "| stage | median seconds |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in st.items()],
            "",
            f"One more task on the cached backbone ({', '.join(r['more_tasks'])}): median "
            f"**{r['more_task_median_seconds']} s** wall, {r['more_task_median_cpu_seconds']} s of "
            f"CPU (first time a task is read: "
            f"{r['more_task_first_time_median_seconds']} s; backbone read from its file: "
            f"{r['more_task_from_file_median_seconds']} s; target {r['targets']['more_task_s']} s).",
            "",
        ]
    if "sharing" in results:
        r = results["sharing"]
        lines += [
            f"## Sweep sharing ({r['recipe']}, configurations {', '.join(r['configs'])}; "
            f"tasks {', '.join(r['tasks'])})",
            "",
            "| sweep | wall seconds | CPU seconds | evaluations | pre-trainings |",
            "|---|---|---|---|---|",
            *[
                f"| {n} task(s) x {len(r['configs'])} configurations | {r[f'tasks_{n}']['seconds']} | "
                f"{r[f'tasks_{n}']['cpu_seconds']} | "
                f"{r[f'tasks_{n}']['computed']} | {r[f'tasks_{n}']['pretrained']} |"
                for n in (1, 4)
            ],
            "",
            f"Ratio 4 tasks / 1 task: **{r['ratio_4_to_1']}** wall, {r['cpu_ratio_4_to_1']} CPU "
            f"(target <= {r['target_ratio']})."
            + (
                f" The 1-task row is derived: {r['tasks_1']['derived']}."
                if "derived" in r["tasks_1"]
                else ""
            ),  # fmt: skip
            "",
        ]
    if "single" in results:
        r = results["single"]
        b = r["breakdown_seconds"]
        lines += [
            "## One evaluation, smoke preset, digits",
            "",
            f"Wall time {r['wall_seconds']} s (accuracy {r['accuracy']:.4f}); cached lookup "
            f"{r['cached_lookup_seconds']} s.",
            "",
            "| stage | seconds |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in b.items()],
            "",
        ]
    if "throughput" in results:
        r = results["throughput"]
        lines += [f"## Sweep throughput ({r['evaluations']} evaluations, recipe {r['recipe']})",
                  "", "| workers | seconds | evaluations / hour |", "|---|---|---|"]  # fmt: skip
        for w in (1, 2):
            x = r[f"workers_{w}"]
            lines.append(f"| {w} | {x['seconds']} | {x['evaluations_per_hour']} |")
        lines.append("")
    if "signal" in results:
        r = results["signal"]
        lines += [
            "## Signal: digits, 16 configurations x 2 seeds, smoke preset",
            "",
            "| configuration | seed 0 (%) | seed 1 (%) |",
            "|---|---|---|",
            *[
                f"| {k} | {a[0]:.2f} | {a[1]:.2f} |"
                for k, a in zip(r["configs"], r["accuracy_percent"], strict=True)
            ],  # fmt: skip
            "",
            f"- SD across configurations (of seed means): {r['across_configs_sd']} points; "
            f"range {r['range_of_config_means']} points",
            f"- SD across seeds (pooled within configurations): {r['across_seeds_sd']} points",
            f"- estimated SD of the true configuration effects: {r['true_config_sd_estimate']}",
            f"- Spearman rank correlation seed 0 vs seed 1: {r['spearman_seed0_vs_seed1']} "
            f"(p = {r['spearman_p']})",
            f"- one-way ANOVA across configurations: F = {r['anova_F']}, p = {r['anova_p']}",
            f"- reliability of one seed: {r['single_seed_reliability']}; seeds per "
            f"configuration for reliability 0.8: {r['seeds_per_config_for_reliability_0.8']}",
            f"- median seconds per stage over these evaluations: {r['median_timings_seconds']}",
            f"- untrained (random-init) backbone, same evaluation: "
            f"{r['untrained_backbone_accuracy_percent']} % (seeds 0, 1)",
            f"- {r['sweep']}",
            "",
        ]
    g = results.get("gpu")
    if g is not None:
        lines += ["## GPU (paper recipe)", ""]
        lines.append(
            f"{g['gpu']}: {g['pretrain_images_per_second']} images/s; projected pre-training "
            f"{g['projected_pretrain_hours']} h"
            if g.get("measured")
            else f"Not measured: {g['reason']}."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", default=["single", "throughput", "signal", "gpu"])
    parser.add_argument(
        "--simulator",
        default="default",
        help="'default' or MODULE:FACTORY (live_toy:ToySimulator: the tests' toy)",
    )
    parser.add_argument("--throughput-recipe", default="tiny")
    parser.add_argument("--stage-repeats", type=int, default=2, help="stages: configurations")
    parser.add_argument(
        "--live-recipe", default="cpu", help="stages/sharing recipe (cpu: the CPU recipe)"
    )
    parser.add_argument(
        "--sharing-configs", type=int, default=4, help="sharing: configurations (4)"
    )
    parser.add_argument(
        "--sharing-direct",
        action="store_true",
        help="sharing: run the 1-task sweep too (default: derive it from the 4-task sweep)",
    )
    parser.add_argument("--throughput-evals", type=int, default=6)
    parser.add_argument("--workers", type=int, default=1, help="workers of the signal sweep")
    parser.add_argument("--store", default=str(RESULTS / "live_reward_signal.sqlite"))
    parser.add_argument(
        "--analyse-only",
        action="store_true",
        help="signal: analyse what the store holds, evaluate nothing",
    )
    parser.add_argument("--out", default=str(RESULTS / "live_reward.json"))
    parser.add_argument("--note", default="2 shared CPU cores (other jobs were running)")
    args = parser.parse_args()  # fmt: skip
    sim = load_simulator(args.simulator)
    out_path = Path(args.out)
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    results["machine"] = {
        "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "torch": torch.__version__,
        "python": platform.python_version(), "cuda": torch.cuda.is_available(),
        "note": args.note,
    }  # fmt: skip
    results["simulator"] = f"{sim.name} {sim.version} ({args.simulator})"
    for part in args.parts:
        print(f"== {part}", flush=True)
        results[part] = globals()[f"part_{part}"](sim, args)
        print(json.dumps(results[part], indent=1), flush=True)
        out_path.write_text(json.dumps(results, indent=1))
        out_path.with_suffix(".md").write_text(markdown(results))


if __name__ == "__main__":
    main()
