"""Do the live tasks' Task2Vec vectors know their transformation families?

Computes the Task2Vec vector of every named live task (``t2s_env.datasets.LIVE_TASKS``: the
eight plain tasks of ``Task2Sim-CPU-v0`` and the transformation families) with one probe and one
set of settings, then, leaving each task out, finds its nearest other live task by the
distance the agents use (cosine similarity of the L2-normalised vectors,
``t2s_env.task2vec.family_agreement``) and counts how often it is of the same family (issue 23
asks for >= 80 % of the tasks that have a family mate). A second figure is the same count for
the source dataset (Fashion-MNIST or digits).

Each run appends (or replaces) the row of its settings in
``benchmarks/results/live_task2vec.{json,md}``; vectors are cached per task and settings under
``--cache`` so a rerun only computes what is missing. ``--package`` also writes the vectors to
``t2s_env/data/live_task2vec.npz`` (tasks, embedding, and a JSON ``meta`` with the probe, the
settings and the figure).

``--train-probe FILE`` first trains the one probe tried besides the random one: torchvision's
ResNet-18 from scratch on the embedded simulator's renders (every knob varied; 10 classes x 500
images at 32 px; 3 epochs of AdamW, batches of 128, lr 2e-3, seed 0; about 150 CPU s), and
saves its trunk's state dict for ``--probe FILE``.

Run (one core):
``OMP_NUM_THREADS=1 python benchmarks/live_task2vec.py --probe random --image-size 64 --n-images 2000``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from t2s_env.datasets import LIVE_TASKS, DatasetSpec, live_task_families, live_task_split
from t2s_env.task2vec import Task2VecConfig, embed_task, family_agreement

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PACKAGE = ROOT / "t2s_env" / "data" / "live_task2vec.npz"
TARGET = 0.8


def train_probe(path: Path) -> None:
    """Train the renders probe (module docstring) and save its trunk (no ``fc``) to ``path``."""
    from t2s_env.pretrain.recipes import Recipe
    from t2s_env.pretrain.train import render_dataset, train_backbone
    from t2s_env.simulator.embedded import EmbeddedSimulator

    simulator = EmbeddedSimulator()
    every_knob_varied = {k.name: k.options[-1] for k in simulator.space.knobs}
    recipe = Recipe("probe", arch="resnet18", classes=10, images_per_class=500, resolution=32,
                    epochs=3, batch_size=128, lr=2e-3, warmup_epochs=0.5)  # fmt: skip
    images, labels = render_dataset(simulator, every_knob_varied, recipe, 0, progress=True)
    result = train_backbone(images, labels, recipe, 0, "cpu", progress=True)
    state = {k: v for k, v in result.model.state_dict().items() if not k.startswith("fc.")}
    torch.save(state, path)
    print(f"wrote {path}: final loss {result.final_loss:.3f} ({result.seconds:.0f} s)")


def source_of(name: str) -> str:
    return DatasetSpec.parse(name).kind


def vectors_for(cfg: Task2VecConfig, cache: Path, label: str) -> tuple[np.ndarray, dict]:
    """Every live task's vector under ``cfg`` (cached per task), and CPU seconds per task."""
    cache.mkdir(parents=True, exist_ok=True)
    rows, seconds = [], {}
    for name, spec_text in LIVE_TASKS.items():
        spec = DatasetSpec.parse(spec_text)
        key = hashlib.sha256(f"{spec.identity}|{label}".encode()).hexdigest()[:16]
        path = cache / f"{name}-{key}.npy"
        if path.is_file():
            rows.append(np.load(path, allow_pickle=False))
            continue
        c0 = time.process_time()
        vector = embed_task(spec.load().train, cfg, progress=False, dataset=spec.identity).vector
        seconds[name] = round(time.process_time() - c0, 1)
        np.save(path, vector)
        rows.append(vector)
        print(f"{name}: {seconds[name]} CPU s", flush=True)
    return np.stack(rows).astype(np.float32), seconds


def figures(vectors: np.ndarray) -> dict:
    names = list(LIVE_TASKS)
    families = live_task_families()
    fam = family_agreement(vectors, [families[t] for t in names])
    src = family_agreement(vectors, [source_of(t) for t in names])
    unseen = set(live_task_split()["unseen"])
    per_task = [
        {
            "task": t,
            "family": families[t],
            "nearest": names[j],
            "nearest_family": families[names[j]],
            "same_family": fam["same"][i],
            "same_source": src["same"][i],
            "unseen": t in unseen,
        }
        for i, (t, j) in enumerate(zip(names, fam["nearest"], strict=True))
    ]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    off = sims[~np.eye(len(names), dtype=bool)]
    return {
        "family_fraction": round(fam["fraction"], 4),
        "family_hits": int(round(fam["fraction"] * fam["with_mate"])),
        "with_mate": fam["with_mate"],
        "source_fraction": round(src["fraction"], 4),
        "cosine_similarity_range": [round(float(off.min()), 4), round(float(off.max()), 4)],
        "per_task": per_task,
    }


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def markdown(result: dict) -> str:
    lines = [
        "# Live tasks' Task2Vec vectors and their transformation families",
        "",
        "Leaving each live task out, is its nearest other live task (cosine similarity of the "
        "L2-normalised vectors, what the agents use) of the same transformation family? Target "
        f"(issue 23): >= {TARGET:.0%} of the tasks that have a family mate. Also: of the same "
        "source dataset. Made by `benchmarks/live_task2vec.py` (command per row), one CPU "
        "thread, on a machine shared with other jobs.",
        "",
        "| probe | px | Fisher images | sampling | batch norm | seed | same family | same source | cosine range | CPU s / task | command |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in result["runs"]:
        c, f = r["config"], r["figures"]
        secs = f"{r['cpu_seconds_per_task']:.1f}" if r.get("cpu_seconds_per_task") else "cached"
        lines.append(
            f"| {r['probe']} | {c['image_size']} | {c['n_images']} | {c['sampling']} | "
            f"{c['batch_norm']} | "
            f"{c['seed']} | "
            f"**{f['family_hits']}/{f['with_mate']} ({f['family_fraction']:.0%})** | "
            f"{f['source_fraction']:.0%} | {f['cosine_similarity_range'][0]:.3f}-"
            f"{f['cosine_similarity_range'][1]:.3f} | {secs} | `{r['command']}` |"
        )
    for r in result["runs"]:
        lines += ["", f"## {r['probe']}, {r['config']['image_size']} px, "
                  f"{r['config']['n_images']} images ({r['config']['sampling']}), batch norm "
                  f"{r['config']['batch_norm']}, "
                  f"seed {r['config']['seed']}", "",
                  "| task | family | nearest other task | same family |", "|---|---|---|---|"]  # fmt: skip
        for t in r["figures"]["per_task"]:
            mark = "yes" if t["same_family"] else "no"
            star = " (unseen)" if t["unseen"] else ""
            lines.append(
                f"| {t['task']}{star} | {t['family']} | {t['nearest']} ({t['nearest_family']}) "
                f"| {mark} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", default="random", help="random (default), imagenet, a file")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--n-images", type=int, default=2000, help="Fisher draws (2,000)")
    parser.add_argument("--seed", type=int, default=0, help="Task2Vec sampling seed")
    parser.add_argument("--batch-norm", default="train", choices=["train", "eval"])
    parser.add_argument("--sampling", default="weighted", choices=["weighted", "balanced"])
    parser.add_argument("--cache", default="/tmp/t2s_live_task2vec", help="vector cache folder")
    parser.add_argument("--out", default=str(RESULTS / "live_task2vec"))
    parser.add_argument("--package", action="store_true", help=f"also write {PACKAGE}")
    parser.add_argument("--train-probe", metavar="FILE", help="train the renders probe first")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.train_probe:
        train_probe(Path(args.train_probe))
    cfg = Task2VecConfig(probe=args.probe, image_size=args.image_size, n_images=args.n_images,
                         max_samples=max(args.n_images, 128), seed=args.seed, device="cpu",
                         batch_norm=args.batch_norm, sampling=args.sampling, download=False)  # fmt: skip
    label = json.dumps({k: v for k, v in asdict(cfg).items() if k not in ("device", "download")},
                       sort_keys=True)  # fmt: skip
    vectors, seconds = vectors_for(cfg, Path(args.cache), label)
    probe = "random (seed 0)" if args.probe == "random" else args.probe
    probe_arg = args.probe
    if Path(args.probe).is_file():
        probe = "renders (trained by --train-probe)"
        probe_arg = f"probe.pt{'' if args.train_probe else ' --train-probe probe.pt'}"
    command = (f"python benchmarks/live_task2vec.py --probe {probe_arg} --image-size "
               f"{args.image_size} --n-images {args.n_images} --seed {args.seed} "
               f"--batch-norm {args.batch_norm} --sampling {args.sampling}")  # fmt: skip
    run = {
        "probe": probe,
        "config": asdict(cfg),
        "command": command,
        "cpu_seconds_per_task": (
            round(float(np.mean(list(seconds.values()))), 1)
            if len(seconds) == len(LIVE_TASKS)
            else None
        ),
        "figures": figures(vectors),
        "commit": _commit(),
        "machine": f"{platform.processor() or platform.machine()}, torch {torch.__version__}",
    }
    out = Path(args.out)
    result = json.loads(out.with_suffix(".json").read_text()) if out.with_suffix(".json").is_file() else {"runs": []}  # fmt: skip
    old = [r for r in result["runs"] if r["config"] == run["config"]]
    if old and run["cpu_seconds_per_task"] is None:
        run["cpu_seconds_per_task"] = old[0].get("cpu_seconds_per_task")
    result["runs"] = [r for r in result["runs"] if r["config"] != run["config"]] + [run]
    result["tasks"] = dict(LIVE_TASKS)
    result["families"] = live_task_families()
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    f = run["figures"]
    print(f"same family: {f['family_hits']}/{f['with_mate']} ({f['family_fraction']:.0%}); "
          f"same source {f['source_fraction']:.0%}")  # fmt: skip
    if args.package:
        meta = {"probe": probe, "task2vec": asdict(cfg), "tasks": dict(LIVE_TASKS),
                "families": live_task_families(),
                "family_fraction": f["family_fraction"], "built_by": command + " --package",
                "commit": run["commit"]}  # fmt: skip
        np.savez_compressed(PACKAGE, tasks=np.array(list(LIVE_TASKS)), embedding=vectors,
                            meta=np.array(json.dumps(meta, sort_keys=True)))  # fmt: skip
        print(f"wrote {PACKAGE}")


if __name__ == "__main__":
    main()
