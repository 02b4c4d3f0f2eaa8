"""Task2Vec figures: time per embedding at the reference settings, and where live tasks land.

1. **Time** (``timing``): one embedding at the reference settings (``Task2VecConfig()``:
   10,000 weighted draws, a 9,920-image feature cache, 10 head epochs, batches of 64, 224 px)
   with a randomly initialised ResNet-18 (the work per image is the ImageNet probe's). Images
   are synthetic ``uint8`` 96x96 RGB in 10 classes, resized to 224 px like any task's. On a
   CPU the full run takes about an hour, so ``--batches K`` runs K batches of each step
   (K feature batches, K Fisher batches, 10 x K head steps) and extrapolates each step
   linearly to the full count (155 feature batches, 156 Fisher batches, 1,560 head steps);
   the JSON marks each figure ``measured`` or ``extrapolated`` and gives wall and CPU seconds
   (CPU seconds are this process's, which a machine shared with other jobs inflates less).
   On a GPU the full run is measured.
2. **Live tasks** (``live``): the vectors of digits, Fashion-MNIST and the named few-shot live
   tasks (``t2s_env.datasets.LIVE_TASKS``), or of the specs given with ``--tasks``, and their
   nearest shipped tasks, by Task2Vec's normalised
   cosine and by plain cosine. The probe is ImageNet's when its weights are in the torch hub
   cache and ``random`` otherwise (recorded per row: a random probe's distances say little
   about the shipped vectors, which used ImageNet's).
3. **Fidelity of a cheaper setting** (``fidelity``): how far the vectors of a cheap setting
   (``--image-size 64 --n-images 2000``, the README's own-task section) are from the
   defaults' on a few small live tasks. The defaults (224 px, 10,000 Fisher draws) cost about
   half an hour of CPU per task, so the reference is 224 px with 640 draws (10 Fisher
   batches); 64 px with the same 640 draws shows what the image size changes by itself. Figures per task: the cosine of the two vectors, Spearman's rank
   correlation of their Task2Vec distances to the 20 shipped tasks, whether the nearest
   shipped task and the shipped default policy's recommendation are the same; a second seed
   of the cheap setting gives the noise floor. The probe is random unless the ImageNet weights
   are in the torch hub cache (recorded).

Writes ``benchmarks/results/task2vec.{json,md}`` (a section not run is kept from the file).
Run: ``OMP_NUM_THREADS=1 python benchmarks/task2vec.py [--skip-timing] [--skip-live]
[--skip-fidelity]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torchvision

from t2s_env.datasets import DatasetSpec, ImageSet
from t2s_env.task2vec import Task2VecConfig, embed_task, imagenet_cache_file, nearest_tasks

RESULTS = Path(__file__).resolve().parent / "results"
STEPS = ("features", "head", "fisher")


def synthetic_task(n: int, classes: int = 10, size: int = 96) -> ImageSet:
    """``n`` images generated on demand from their index (deterministic)."""

    def load(j: int) -> np.ndarray:
        return np.random.default_rng(j).integers(0, 256, (size, size, 3), dtype=np.uint8)

    return ImageSet("synthetic", [str(c) for c in range(classes)], np.arange(n) % classes, load)


def full_counts(cfg: Task2VecConfig, n: int) -> dict[str, int]:
    """Feature batches, head steps and Fisher batches of a full embedding of ``n`` images."""
    bs = cfg.batch_size
    features = min(cfg.max_samples // bs - 1, -(-n // bs))
    return {"features": features, "head": cfg.head_epochs * (cfg.n_images // bs),
            "fisher": cfg.n_images // bs}  # fmt: skip


def timing(device: str, batches: int) -> dict:
    ref = Task2VecConfig(probe="random", device=device)
    task = synthetic_task(ref.n_images)
    full = full_counts(ref, len(task))
    on_gpu = ref.resolve_device().type == "cuda"
    if on_gpu or batches >= full["fisher"]:
        cfg, kind = ref, "measured"
    else:  # K batches of each step: max_samples // 64 - 1 = K feature batches
        bs = ref.batch_size
        cfg = replace(ref, n_images=batches * bs, max_samples=(batches + 1) * bs)
        kind = f"extrapolated from {batches} batches of each step"
    emb = embed_task(task, cfg, progress=False)
    ran = full_counts(cfg, len(task)) if kind != "measured" else full
    row = {"config": "Task2VecConfig() (reference), probe random", "device": emb.meta["device"],
           "kind": kind, "steps_run": ran, "steps_full": full,
           "load_average": [round(x, 1) for x in os.getloadavg()]}  # fmt: skip
    for clock in ("seconds", "cpu_seconds"):
        per = {s: emb.meta[clock][s] / max(ran[s], 1) for s in STEPS}
        est = {s: per[s] * full[s] for s in STEPS}
        row[clock] = {
            **{s: round(est[s], 1) for s in STEPS},
            "total": round(sum(est.values()), 1),
            "per_step": {s: round(per[s], 4) for s in STEPS},
            "run_total": round(emb.meta[clock]["total"], 1),
        }
    print(json.dumps(row), flush=True)
    return row


def live(specs: dict[str, str], cfg: Task2VecConfig, k: int, rows: list[dict], save) -> None:
    """Append a row per task to ``rows``, calling ``save()`` after each (a long run keeps what
    it has measured)."""
    for name, text in specs.items():
        spec = DatasetSpec.parse(text)
        train = spec.load().train
        emb = embed_task(train, cfg, progress=False, dataset=str(spec))
        v = emb.vector
        row = {
            "task": name,
            "spec": str(spec),
            "train_images": len(train),
            "classes": train.num_classes,
            "probe": emb.meta["probe"],
            "image_size": cfg.image_size,
            "n_images": emb.meta["n_images"],
            "head_features": emb.meta["head_features"],
            "seconds": round(emb.meta["seconds"]["total"], 1),
            "norm": float(np.linalg.norm(v)),
            "nearest_task2vec": [[t, round(d, 4)] for t, d in nearest_tasks(v, k, "task2vec")],
            "nearest_cosine": [[t, round(d, 4)] for t, d in nearest_tasks(v, k, "cosine")],
        }
        rows.append(row)
        save()
        print(json.dumps(row), flush=True)


def live_specs(tasks: list[str] | None) -> dict[str, str]:
    if tasks:
        return {t: t for t in tasks}
    from t2s_env.datasets import LIVE_TASKS

    return {"digits": "digits", "fashion-mnist": "fashion-mnist", **LIVE_TASKS}


FIDELITY_TASKS = ("digits-0to4", "fmnist-tops", "fmnist-shoes")
FIDELITY_REFERENCE = {"image_size": 224, "n_images": 640}
"""The stand-in for the defaults (224 px, 10,000 draws cost ~30 CPU minutes per task)."""
FIDELITY_SETTINGS = {
    "64 px, 640 draws": {"image_size": 64, "n_images": 640},
    "64 px, 2,000 draws (cheap)": {"image_size": 64, "n_images": 2000},
    "64 px, 2,000 draws (cheap), seed 1": {"image_size": 64, "n_images": 2000, "seed": 1},
}
NOISE_PAIR = ("64 px, 2,000 draws (cheap)", "64 px, 2,000 draws (cheap), seed 1")


def agreement(a: np.ndarray, b: np.ndarray, policy) -> dict:
    """How two vectors of one task agree: cosine, Spearman of their distances to the shipped
    tasks, the same nearest shipped task, the same recommendation of ``policy``."""
    from scipy.stats import spearmanr

    from t2s_env.data import load_task2vec
    from t2s_env.space import PAPER_SPACE, task_observation
    from t2s_env.task2vec import task2vec_distance

    shipped = load_task2vec()
    da = np.array([task2vec_distance(a, e) for e in shipped.embedding])
    db = np.array([task2vec_distance(b, e) for e in shipped.embedding])
    answer = [
        PAPER_SPACE.action_to_key(np.asarray(policy.act(task_observation(v)[None], True))[0])
        for v in (a, b)
    ]
    return {
        "cosine": round(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))), 4),
        "spearman_shipped_distances": round(float(spearmanr(da, db).statistic), 3),
        "same_nearest": bool(np.argmin(da) == np.argmin(db)),
        "same_recommendation": answer[0] == answer[1],
        "recommendations": answer,
    }


def fidelity(device: str, tasks: tuple[str, ...], rows: list[dict], save) -> None:
    """Append a row per (task, setting): the setting's cost and its agreement with the
    reference (and, for the second seed, with the first: the noise floor)."""
    from agents.cli.recommend import load_policy

    policy, _ = load_policy(None)
    probe = "imagenet" if imagenet_cache_file().is_file() else "random"
    base = Task2VecConfig(probe=probe, device=device)
    for task in tasks:
        train = DatasetSpec.parse(task).load().train
        vectors, cpu = {}, {}
        for name, change in {"reference": FIDELITY_REFERENCE, **FIDELITY_SETTINGS}.items():
            emb = embed_task(train, replace(base, **change), progress=False, dataset=task)
            vectors[name], cpu[name] = emb.vector, emb.meta["cpu_seconds"]["total"]
            if name == "reference":
                continue
            against = NOISE_PAIR[0] if name == NOISE_PAIR[1] else "reference"
            row = {"task": task, "train_images": len(train), "probe": emb.meta["probe"],
                   "setting": name, "against": against, "cpu_seconds": round(cpu[name], 1),
                   "reference_cpu_seconds": round(cpu["reference"], 1),
                   **agreement(vectors[name], vectors[against], policy)}  # fmt: skip
            rows.append(row)
            save()
            print(json.dumps(row), flush=True)


def markdown(result: dict) -> str:
    lines = ["# Task2Vec figures", "", f"Machine: {result['machine']}.", ""]
    t = result.get("timing")
    if t:
        w, c = t["seconds"], t["cpu_seconds"]
        lines += [
            "## Time per embedding at the reference settings",
            "",
            f"{t['config']}, 224 px, {t['device']}, {result['torch_threads']} thread(s); "
            f"{t['kind']} (steps run: {t['steps_run']}; full: {t['steps_full']}). Wall "
            "seconds include waiting for a CPU on a machine shared with other jobs (load "
            f"average {t.get('load_average', 'not recorded')}); CPU seconds are this "
            "process's own.",
            "",
            "| step | wall s | CPU s |",
            "|---|---|---|",
            *[f"| {s} | {w[s]} | {c[s]} |" for s in STEPS],
            f"| **total** | **{w['total']}** | **{c['total']}** |",
            "",
        ]
    rows = result.get("live")
    if rows:
        lines += [
            "## Live tasks among the 20 shipped",
            "",
            "Nearest shipped tasks (distance) by Task2Vec's normalised cosine and by plain "
            "cosine. The probe of each row is recorded: a random probe's distances say little "
            "about the shipped vectors, which used ImageNet weights.",
            "",
            "| task | images | probe | px | Fisher draws | nearest (task2vec) | nearest (cosine) |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            near = lambda key, r=r: ", ".join(f"{t} {d:.3f}" for t, d in r[key])  # noqa: E731
            lines.append(
                f"| {r['task']} (`{r['spec']}`) | {r['train_images']} | {r['probe']} | "
                f"{r['image_size']} | {r['n_images']} | {near('nearest_task2vec')} | "
                f"{near('nearest_cosine')} |"
            )
        lines.append("")
    rows = result.get("fidelity")
    if rows:
        ref = FIDELITY_REFERENCE
        lines += [
            "## Fidelity of cheaper settings",
            "",
            f"Each setting's vector against the reference ({ref['image_size']} px, "
            f"{ref['n_images']:,} Fisher draws, seed 0; the defaults' 10,000 draws cost about "
            "30 CPU minutes per task), except the second seed, which is against the first "
            "(the noise floor). Spearman: rank correlation of the two vectors' Task2Vec "
            "distances to the 20 shipped tasks; nearest / recommendation: the same nearest "
            "shipped task / the same answer of the shipped default policy. CPU seconds with "
            f"one torch thread. Probe: {rows[0]['probe']} (a random probe's vectors say "
            "nothing about the shipped tasks; the agreement between settings is what is "
            "measured).",
            "",
            "| task | images | setting | against | cosine | Spearman | nearest | "
            "recommendation | CPU s (reference) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            yes = lambda b: "same" if b else "differs"  # noqa: E731
            lines.append(
                f"| {r['task']} | {r['train_images']} | {r['setting']} | {r['against']} | "
                f"{r['cosine']:.4f} | {r['spearman_shipped_distances']:.3f} | "
                f"{yes(r['same_nearest'])} | {yes(r['same_recommendation'])} | "
                f"{r['cpu_seconds']} ({r['reference_cpu_seconds']}) |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batches", type=int, default=4, help="per step, on a CPU (4)")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-fidelity", action="store_true")
    parser.add_argument(
        "--fidelity-tasks", nargs="+", default=list(FIDELITY_TASKS), help="(%(default)s)"
    )
    parser.add_argument("--tasks", nargs="+", help="live task specs (default: LIVE_TASKS)")
    parser.add_argument("--live-image-size", type=int, default=224, help="(224; 32 on a CPU)")
    parser.add_argument("--live-n-images", type=int, default=10_000)
    parser.add_argument("--nearest", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "task2vec")
    args = parser.parse_args()

    path = args.out.with_suffix(".json")
    old = json.loads(path.read_text()) if path.is_file() else {}
    result = {
        "benchmark": "task2vec: time per embedding (reference settings); live tasks' nearest",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
        + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no GPU"),
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__},
        "timing": old.get("timing"),
        "live": old.get("live"),
        "fidelity": old.get("fidelity"),
    }

    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(markdown(result))

    if not args.skip_timing:
        result["timing"] = timing(args.device, args.batches)
        save()
    if not args.skip_live:
        probe = "imagenet" if imagenet_cache_file().is_file() else "random"
        cfg = Task2VecConfig(probe=probe, image_size=args.live_image_size,
                             n_images=args.live_n_images, device=args.device)  # fmt: skip
        result["live"] = []
        live(live_specs(args.tasks), cfg, args.nearest, result["live"], save)
    if not args.skip_fidelity:
        result["fidelity"] = []
        fidelity(args.device, tuple(args.fidelity_tasks), result["fidelity"], save)
    save()
    print(f"wrote {path} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
