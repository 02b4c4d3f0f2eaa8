"""Task2Vec throughput: seconds to embed 1,000 and 10,000 images at 64 and 224 px.

The probe is a randomly initialised ResNet-18 (no ImageNet weights offline; the work per image
is the same), the images synthetic ``uint8`` 96x96 RGB images in 10 classes (resized to the
probe resolution like any task's images). Each run does the whole embedding: class-balanced
sample, cached features and the head fit (10 epochs), then the Monte-Carlo Fisher pass
(forward + backward) in batches of 64.

Counts above ``--measure-max`` are not run but extrapolated linearly from the largest measured
run at that resolution (its seconds per image x n: the fixed costs are under a second, and a
two-point fit on a shared machine is noisier than this); the JSON marks every figure
``measured`` or ``extrapolated``. On a GPU (when one is present) every
count is measured.

Writes ``benchmarks/results/task2vec.json``.
Run: ``OMP_NUM_THREADS=1 python benchmarks/task2vec.py`` (about 10 minutes on one CPU core).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np
import torch
import torchvision

from t2s_env.datasets import ImageSet
from t2s_env.task2vec import Task2VecConfig, embed_task

RESULTS = Path(__file__).resolve().parent / "results"


def synthetic_task(n: int, classes: int = 10, size: int = 96) -> ImageSet:
    """``n`` images generated on demand from their index (deterministic)."""

    def load(j: int) -> np.ndarray:
        return np.random.default_rng(j).integers(0, 256, (size, size, 3), dtype=np.uint8)

    return ImageSet("synthetic", [str(c) for c in range(classes)], np.arange(n) % classes, load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 224])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--measure-max",
        type=int,
        nargs="+",
        default=[10000, 1000],
        help="per size: largest count actually run on a CPU (larger ones are extrapolated)",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=RESULTS / "task2vec.json")
    args = parser.parse_args()

    device = Task2VecConfig(device=args.device).resolve_device()
    rows = []
    for size, cap in zip(args.sizes, args.measure_max, strict=True):
        if device.type == "cuda":
            cap = max(args.counts)
        measured_counts = sorted({min(c, cap) for c in args.counts})
        points = []
        for n in measured_counts:
            cfg = Task2VecConfig(n_images=n, image_size=size, probe="random", device=args.device)
            emb = embed_task(synthetic_task(max(args.counts)), cfg, progress=False)
            s = emb.meta["seconds"]
            points.append((n, s["total"]))
            rows.append(
                {
                    "images": n,
                    "image_size": size,
                    "seconds": round(s["total"], 2),
                    "head_seconds": round(s["head"], 2),
                    "fisher_seconds": round(s["fisher"], 2),
                    "images_per_second": round(n / s["total"], 1),
                    "kind": "measured",
                }
            )
            print(rows[-1], flush=True)
        n_max, t_max = points[-1]
        for n in args.counts:
            if n > cap:
                t = t_max / n_max * n
                rows.append(
                    {
                        "images": n,
                        "image_size": size,
                        "seconds": round(float(t), 1),
                        "images_per_second": round(n / float(t), 1),
                        "kind": f"extrapolated from the {n_max}-image run",
                    }
                )
                print(rows[-1], flush=True)
    result = {
        "benchmark": "task2vec embedding time (ResNet-18 probe, batches of 64, 10 head epochs)",
        "device": str(device),
        "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__},
        "note": (
            f"GPU run on {device}"
            if device.type == "cuda"
            else "no GPU here: every figure is CPU time on a machine shared with other jobs"
        ),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
