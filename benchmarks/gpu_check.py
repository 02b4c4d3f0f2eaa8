"""The live pipeline on a CUDA machine: one `paper`-recipe evaluation timed, and the `small`
recipe's signal on a few configurations. Run by ``benchmarks/gpu_check.sh`` (under ten minutes
on one GPU); writes ``gpu_check.{md,json}`` to ``--out``.

    python benchmarks/gpu_check.py --out benchmarks/results/gpu        # needs CUDA
    python benchmarks/gpu_check.py --dry-run --out /tmp/gpu            # any machine, tiny recipes

``paper``: render -> pre-train -> 5-NN of one configuration (domain randomisation) with the
`paper` recipe (ResNet-50, 100 x 400 images at 224 px) on the digits task. Its 100 epochs do
not fit the time box, so the recipe runs ``--paper-epochs`` epochs (5 by default, warm-up scaled
to 1) and the full run is extrapolated from the measured per-epoch time: render time + 100 x
(pre-train time / epochs run) + scoring. ``--paper-epochs 100`` measures the real thing.

``small``: the `small` recipe on ``--configs`` x ``--seeds`` (4 x 2 by default) plus the
untrained backbone, each backbone scored on every task given (the digits live tasks always;
the Fashion-MNIST ones where the data is found, e.g. with ``T2S_DATA_ROOT``). Reported per task:
accuracy per configuration and seed, the spread across configurations against the spread
across seeds, the Spearman correlation of the two seeds' rankings and the best configuration
minus the untrained backbone.

``--dry-run`` swaps both recipes for the ``tiny`` one on the CPU, to check the script end to end.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from t2s_env.datasets import LIVE_TASKS, DatasetSpec
from t2s_env.pipeline import prepare_task, score_model
from t2s_env.pretrain import build_backbone, get_recipe
from t2s_env.rewards.live import LiveRewardSource, default_simulator
from t2s_env.rewards.store import RewardStore
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY, PAPER_SPACE

CONFIGS = ("0_0_0_0_0_1_0_0_0", DOMAIN_RANDOMIZATION_KEY, "1_0_0_0_0_3_0_0_0", "1_1_0_1_0_1_0_0_0")
"""All fixed, domain randomisation, background + materials, and the `cpu` study's best."""


def _tasks(dry_run: bool) -> dict[str, str]:
    names = ["digits-10shot", "digits-0to4", "digits-5to9"]
    if not dry_run:
        try:
            DatasetSpec.parse(LIVE_TASKS["fmnist-20shot"]).load()
            names += ["fmnist-20shot", "fmnist-5shot", "fmnist-tops", "fmnist-wear", "fmnist-shoes"]
        except Exception as exc:  # noqa: BLE001 - any reason the data is absent: skip, say so
            print(f"Fashion-MNIST tasks skipped: {exc}")
    return {n: LIVE_TASKS[n] for n in names}


def paper_part(device: str, epochs: int, store: Path, dry_run: bool) -> dict:
    full = get_recipe("tiny" if dry_run else "paper")
    epochs = min(epochs, full.epochs)
    recipe = full.replace(
        name=f"{full.name}-{epochs}ep",
        epochs=epochs,
        warmup_epochs=min(full.warmup_epochs, max(0.0, epochs / 5)),
    )
    source = LiveRewardSource(
        {"digits-10shot": LIVE_TASKS["digits-10shot"]}, recipe=recipe, store=store,
        device=device, embeddings={"digits-10shot": np.ones(9600, np.float32)}, progress=False,
        backbones=False,
    )  # fmt: skip
    config = PAPER_SPACE.key_to_dict(DOMAIN_RANDOMIZATION_KEY)
    t0 = time.perf_counter()
    ev = source.evaluation("digits-10shot", config)
    wall = time.perf_counter() - t0
    t = ev.timings
    train_per_epoch = t.get("pretrain", 0.0) / epochs
    extrapolated = (
        t.get("render", 0.0)
        + full.epochs * train_per_epoch
        + t.get("features", 0.0)
        + t.get("knn", 0.0)
    )
    return {
        "recipe": recipe.id, "full_recipe": full.name, "epochs_run": epochs,
        "full_epochs": full.epochs, "accuracy": ev.accuracy, "timings": t, "wall_seconds": wall,
        "pretrain_seconds_per_epoch": train_per_epoch,
        "extrapolated_full_seconds": extrapolated,
        "images_per_second": ev.details.get("pretrain_images_per_second"),
    }  # fmt: skip


def small_part(
    device: str, configs: list[str], seeds: list[int], store: Path, dry_run: bool
) -> dict:
    recipe = get_recipe("tiny" if dry_run else "small")
    tasks = _tasks(dry_run)
    acc: dict[str, dict[str, list[float]]] = {t: {} for t in tasks}
    seconds: list[float] = []
    for seed in seeds:
        source = LiveRewardSource(
            tasks, recipe=recipe, store=store, seed=seed, device=device,
            embeddings={t: np.ones(9600, np.float32) for t in tasks}, progress=False,
            backbones=False,
        )  # fmt: skip
        for key in configs:
            t0 = time.perf_counter()
            for task in tasks:  # the first task pre-trains; the others re-use the backbone
                value = source.reward(task, PAPER_SPACE.key_to_dict(key))
                acc[task].setdefault(key, []).append(100 * value)
            seconds.append(time.perf_counter() - t0)
    untrained = _untrained(tasks, recipe, seeds, device)
    per_task = {}
    for task, by_config in acc.items():
        grid = np.array([by_config[k] for k in configs])  # (configs, seeds)
        fig = {
            "accuracy": {k: by_config[k] for k in configs},
            "untrained": untrained[task],
            "config_spread": float(np.ptp(grid.mean(axis=1))),
            "seed_spread": float(np.mean(np.ptp(grid, axis=1))) if grid.shape[1] > 1 else None,
            "best_minus_untrained": float(grid.mean(axis=1).max() - np.mean(untrained[task])),
        }
        if grid.shape[1] > 1:
            fig["spearman_seeds"] = float(stats.spearmanr(grid[:, 0], grid[:, 1]).statistic)
        per_task[task] = fig
    return {"recipe": recipe.id, "configs": configs, "seeds": seeds,
            "seconds_per_backbone": seconds, "per_task": per_task}  # fmt: skip


def _untrained(
    tasks: dict[str, str], recipe, seeds: list[int], device: str
) -> dict[str, list[float]]:
    classes = recipe.classes or len(default_simulator().class_names)
    out: dict[str, list[float]] = {t: [] for t in tasks}
    for seed in seeds:
        model = build_backbone(recipe.arch, classes, seed).eval()
        for task, spec in tasks.items():
            prepared = prepare_task(DatasetSpec.parse(spec), recipe)
            accuracy, _ = score_model(model, prepared, recipe, torch.device(device), False)
            out[task].append(100 * accuracy)
    return out


def markdown(res: dict) -> str:
    p, s = res["paper"], res["small"]
    lines = [
        "# The live pipeline on a GPU",
        "",
        f"{res['device_name']}; torch {res['torch']}; {res['date']}. `python benchmarks/gpu_check.py`.",
        "",
        f"## One `{p['full_recipe']}`-recipe evaluation (domain randomisation, digits-10shot)",
        "",
        f"{p['epochs_run']} of {p['full_epochs']} epochs run: render {p['timings'].get('render', 0):.1f} s, "
        f"pre-train {p['timings'].get('pretrain', 0):.1f} s ({p['pretrain_seconds_per_epoch']:.1f} s an epoch), "
        f"features + 5-NN {p['timings'].get('features', 0) + p['timings'].get('knn', 0):.1f} s; "
        f"wall {p['wall_seconds']:.1f} s. The full {p['full_epochs']} epochs: "
        f"**{p['extrapolated_full_seconds'] / 60:.1f} min** "
        + (
            f"(extrapolated from {p['epochs_run']} epochs)."
            if p["epochs_run"] < p["full_epochs"]
            else "(measured)."
        ),
        "",
        f"## The `{s['recipe']}` recipe: {len(s['configs'])} configurations x {len(s['seeds'])} seeds",
        "",
        f"Median {np.median(s['seconds_per_backbone']):.1f} s per backbone (pre-train + scoring on every task).",
        "",
        "| task | config spread | seed spread | Spearman (2 seeds) | best - untrained |",
        "|---|---|---|---|---|",
    ]
    for task, f in s["per_task"].items():
        sp = f.get("spearman_seeds")
        seed_spread = f["seed_spread"]
        lines.append(
            f"| {task} | {f['config_spread']:.2f} | "
            f"{'' if seed_spread is None else f'{seed_spread:.2f}'} | "
            f"{'' if sp is None else f'{sp:.2f}'} | {f['best_minus_untrained']:+.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/gpu")
    ap.add_argument("--parts", nargs="+", default=["paper", "small"], choices=["paper", "small"])
    ap.add_argument("--paper-epochs", type=int, default=5)
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--dry-run", action="store_true", help="tiny recipes on the CPU")
    ap.add_argument("--fresh", action="store_true", help="forget parts of an earlier run in --out")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.dry_run and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run this on a GPU machine, or pass --dry-run")
    device = "cpu" if args.dry_run else "cuda"
    store = out / "gpu_check.sqlite"
    RewardStore(store)  # created (or checked) before any work
    previous = out / "gpu_check.json"  # a part run earlier (gpu_check.sh runs them apart)
    res = json.loads(previous.read_text()) if previous.is_file() and not args.fresh else {}
    res = {
        **res,
        "device_name": torch.cuda.get_device_name(0) if device == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "dry_run": args.dry_run,
    }  # fmt: skip
    if "paper" in args.parts:
        res["paper"] = paper_part(device, args.paper_epochs, store, args.dry_run)
        (out / "gpu_check.json").write_text(json.dumps(res, indent=2))
    if "small" in args.parts:
        res["small"] = small_part(device, args.configs, args.seeds, store, args.dry_run)
    (out / "gpu_check.json").write_text(json.dumps(res, indent=2))
    if "paper" in res and "small" in res:
        (out / "gpu_check.md").write_text(markdown(res))
        print(markdown(res))
    print(f"wrote {out / 'gpu_check.json'}")


if __name__ == "__main__":
    main()
