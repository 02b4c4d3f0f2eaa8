"""``t2s embed DATASET --out task.npz``: the Task2Vec embedding of a downstream task.

DATASET is a spec of :mod:`t2s_env.datasets` (``digits``, ``folder:/path``,
``torchvision:SVHN:/root``). The embedding is computed on the training split, saved with its
record (probe, sample, timings), and the nearest shipped tasks are printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from agents.cli.checks import (
    at_least,
    dataset_help,
    output_file,
    refuse_unused,
    torch_device,
    write_output,
)

METRIC_HELP = (
    "distance to the shipped tasks: task2vec, Task2Vec's normalised cosine (the cosine "
    "distance of a/(a+b) and b/(a+b); default), or cosine, the plain cosine distance"
)


def add_task2vec_args(p: argparse.ArgumentParser) -> None:
    """Arguments shared by every command that embeds a dataset (``embed``, ``recommend``)."""
    from t2s_env.task2vec import BATCH_NORM_MODES, SAMPLING_MODES, Task2VecConfig

    d = Task2VecConfig()
    p.add_argument("dataset", help=dataset_help())
    p.add_argument("--download", action="store_true", help="let torchvision download the dataset")
    p.add_argument(
        "--split-seed", type=at_least(0), default=0, help="seed of a train/test split (0)"
    )
    g = p.add_argument_group("Task2Vec")
    g.add_argument(
        "--probe",
        default=d.probe,
        help="probe weights: imagenet (default; torch hub cache or download), random, a ResNet-18 "
        "weights file, or live: the live tasks' offline setting (random probe, 32 px, 2,048 "
        "draws, per-convolution z-scored log Fisher), which fixes the other Task2Vec options",
    )
    g.add_argument(
        "--n-images",
        type=at_least(1),
        default=d.n_images,
        help=f"images drawn for the Fisher and per head epoch ({d.n_images})",
    )
    g.add_argument(
        "--max-samples",
        type=at_least(1),
        default=d.max_samples,
        help=f"cap on the head's feature cache, first images in order ({d.max_samples})",
    )
    g.add_argument(
        "--batch-size",
        type=at_least(1),
        default=d.batch_size,
        help=f"images per batch of the probe (features, head fit, Fisher) ({d.batch_size})",
    )
    g.add_argument(
        "--image-size",
        type=at_least(16),
        default=d.image_size,
        help=f"probe input: images resized and centre-cropped to this many pixels ({d.image_size})",
    )
    g.add_argument(
        "--head-epochs",
        type=at_least(0),
        default=d.head_epochs,
        help=f"epochs of the classifier head's fit on the cached features ({d.head_epochs})",
    )
    g.add_argument(
        "--batch-norm",
        choices=BATCH_NORM_MODES,
        default=d.batch_norm,
        help="train: batch statistics, as the shipped vectors (default); eval: running statistics",
    )
    g.add_argument(
        "--sampling",
        choices=SAMPLING_MODES,
        default=d.sampling,
        help="weighted: class-balanced draws with replacement, as the shipped vectors (default); "
        "balanced: one class-balanced sample without replacement",
    )
    g.add_argument("--seed", type=at_least(0), default=d.seed, help="sample and label seed (0)")
    g.add_argument(
        "--probe-seed", type=at_least(0), default=d.probe_seed, help="random-probe seed (0)"
    )
    g.add_argument(
        "--device", type=torch_device, default=d.device, help="auto (CUDA when present), cpu, cuda"
    )
    g.add_argument("--offline", action="store_true", help="never download the probe weights")


LIVE_FIXED = (
    "n_images", "max_samples", "batch_size", "image_size", "head_epochs", "batch_norm", "sampling",
    "seed", "probe_seed",
)  # fmt: skip
"""The Task2Vec options that ``--probe live`` fixes (``t2s_env.task2vec.LIVE_TASK2VEC``)."""


def task2vec_config(args: argparse.Namespace):
    from dataclasses import replace

    from t2s_env.task2vec import LIVE_PROBE, LIVE_TASK2VEC, Task2VecConfig

    if args.probe == LIVE_PROBE:
        refuse_unused(args, LIVE_FIXED, "with --probe live (it fixes them, so that the vector "
                      "is comparable with the packaged live tasks')")  # fmt: skip
        return replace(LIVE_TASK2VEC, device=args.device)
    return Task2VecConfig(
        n_images=args.n_images,
        max_samples=args.max_samples,
        batch_size=args.batch_size,
        image_size=args.image_size,
        probe=args.probe,
        head_epochs=args.head_epochs,
        batch_norm=args.batch_norm,
        sampling=args.sampling,
        seed=args.seed,
        probe_seed=args.probe_seed,
        device=args.device,
        download=not args.offline,
    )


def embed_from_args(args: argparse.Namespace):
    """Load the dataset named by ``args``, embed its training split; returns the embedding."""
    from t2s_env.datasets import DatasetSpec
    from t2s_env.task2vec import embed_task

    spec = DatasetSpec.parse(args.dataset, download=args.download, seed=args.split_seed)
    task = spec.load()
    cfg = task2vec_config(args)
    print(
        f"{spec}: {len(task.train)} training images, {len(task.classes)} classes; embedding at "
        f"{cfg.image_size}px on {cfg.resolve_device()} ({cfg.n_images} {cfg.sampling} draws, "
        f"batch norm in {cfg.batch_norm} mode)",
        file=sys.stderr,
    )
    print(cost_line(len(task.train), cfg), file=sys.stderr)
    return embed_task(task.train, cfg, dataset=str(spec))


def cost_line(n_images: int, cfg) -> str:
    """What an embedding will cost, said before it starts (CPU: an estimate from the image
    count and size; a GPU: no calibrated figure)."""
    from dataclasses import replace

    import torch

    from t2s_env.task2vec import estimate_cpu_seconds

    if cfg.resolve_device().type != "cpu":
        return (
            f"cost: on {cfg.resolve_device()} no calibrated estimate (on a CPU this would be "
            f"~{estimate_cpu_seconds(n_images, cfg)['total'] / 60:.0f} CPU minutes); the "
            "progress bars show the rate and the time left"
        )
    est = estimate_cpu_seconds(n_images, cfg)
    threads = torch.get_num_threads()
    line = (
        f"cost: ~{_minutes(est['total'])} of CPU (features {_minutes(est['features'])}, head "
        f"{_minutes(est['head'])}, Fisher {_minutes(est['fisher'])}), about "
        f"{_minutes(est['total'] / threads)} on {threads} idle thread(s)"
    )
    cheap = replace(cfg, image_size=min(cfg.image_size, 64), n_images=min(cfg.n_images, 2000))
    if cheap != cfg and est["total"] > 120:
        cheaper = estimate_cpu_seconds(n_images, cheap)["total"]
        line += (
            f"; --image-size {cheap.image_size} --n-images {cheap.n_images} would take "
            f"~{_minutes(cheaper)} (README, own-task section: what it costs in fidelity)"
        )
    return line


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def print_nearest(vector: np.ndarray, meta: dict, k: int, metric: str) -> list[tuple[str, float]]:
    from t2s_env.task2vec import nearest_tasks

    if meta.get("vector", "fisher") != "fisher":  # the live probe: compare with the live tasks
        from t2s_env.data import load_live_task2vec

        table = load_live_task2vec()[0]
        near = nearest_tasks(vector, k=min(k, len(table.tasks)), metric="cosine", table=table)
        print("\nnearest packaged live tasks (cosine distance, the agents'):")
        for task, dist in near:
            print(f"  {task:<24} {dist:.4f}")
        return near
    near = nearest_tasks(vector, k=k, metric=metric)
    print(f"\nnearest shipped tasks ({metric} distance):")
    for task, dist in near:
        print(f"  {task:<18} {dist:.4f}")
    if meta.get("random_probe"):
        print(
            "  (random probe: the shipped vectors were made with an ImageNet probe, so these "
            "distances say little)"
        )
    return near


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("embed", help="Task2Vec-embed a dataset (image folder, torchvision, digits)")
    add_task2vec_args(p)
    p.add_argument("--out", required=True, help="output .npz (hessian, scale, meta)")
    p.add_argument(
        "--nearest", type=at_least(0), default=3, help="shipped tasks to list (3; 0: none)"
    )
    p.add_argument(
        "--metric",
        choices=("task2vec", "cosine"),
        default="task2vec",
        help=METRIC_HELP,
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.nearest == 0:
        refuse_unused(args, ["metric"], "with --nearest 0 (no tasks are listed)")
    if args.probe == "live":
        refuse_unused(args, ["metric"], "with --probe live (the nearest live tasks are listed "
                      "by cosine, the agents' distance)")  # fmt: skip
    out = output_file(args.out, "--out", suffix=".npz")
    emb = embed_from_args(args)
    write_output(Path(out), "--out", emb.save)
    v, meta = emb.vector, emb.meta
    secs = meta["seconds"]
    mode = meta.get("vector", "fisher")
    print(
        f"saved {args.out}: {v.shape[0]} numbers (norm {np.linalg.norm(v):.3e}), probe "
        f"{meta['probe']}{'' if mode == 'fisher' else f' ({mode} vector)'}, {meta['n_images']} images, head train accuracy "
        f"{meta['head_train_accuracy']:.3f}, {secs['total']:.1f}s (features "
        f"{secs['features']:.1f}s, head {secs['head']:.1f}s, Fisher {secs['fisher']:.1f}s) on "
        f"{meta['device']}"
    )
    if args.nearest:
        print_nearest(v, meta, args.nearest, args.metric)
    return 0
