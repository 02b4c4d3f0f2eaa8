"""The project's Task2Vec beside the reference implementation, on the same weights and tensors.

The reviewer's comparison (issue 13): scikit-learn's digits, the 1,438 training images at
32 px, one randomly initialised ResNet-18 (trunk and head) loaded into both the project's
probe and the reference's ``models.resnet18``, then ``embed_task`` at its defaults and the
reference's ``Task2Vec(...).embed`` (Monte-Carlo method) at the settings of its
``conf/config.yaml`` (``max_samples=10000``; head: Adam, lr 4e-4, weight decay 1e-4, 10
epochs; loader defaults: batches of 64, 10,000 weighted draws). Both see the same tensors:
the project's :func:`~t2s_env.task2vec.preprocess` of every image, which the reference gets
as a ``TensorDataset``. Each is run with several sampling seeds.

Reported: cosine between the two implementations' vectors (seed by seed, and of their means
over seeds), the norm ratio (project / reference), and each one's run-to-run cosine across
seeds. Target: cosine >= 0.99, norm ratio in 0.9-1.1, run-to-run cosine >= 0.99.

The reference is the authors' ``aws-cv-task2vec`` (https://github.com/awslabs/aws-cv-task2vec),
a checkout of which is *not* part of this project: pass its folder with ``--reference`` (or
``$T2S_TASK2VEC_REFERENCE``); without one the script says so and exits 0. Its code is only
imported and run, never copied. ``--previous`` also runs the project's earlier procedure
(eval-mode batch norm, one balanced sample without replacement, head lr 1e-3) for contrast.

Run: ``OMP_NUM_THREADS=1 python benchmarks/task2vec_reference.py --reference PATH``.
Writes ``benchmarks/results/task2vec_reference.{json,md}``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from t2s_env.datasets import load_dataset
from t2s_env.task2vec import Task2VecConfig, build_probe, embed_task, preprocess

RESULTS = Path(__file__).resolve().parent / "results"
REFERENCE_ENV = "T2S_TASK2VEC_REFERENCE"
IMAGE_SIZE = 32


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def pairwise_min_mean(vectors: list[np.ndarray]) -> tuple[float, float]:
    cos = [cosine(u, v) for i, u in enumerate(vectors) for v in vectors[i + 1 :]]
    return min(cos), float(np.mean(cos))


def import_reference(root: Path):
    """The reference's ``task2vec`` and ``models`` modules, imported from its checkout."""
    for name in ("task2vec.py", "models.py", "variational.py", "utils.py"):
        if not (root / name).is_file():
            raise SystemExit(f"{root} is not an aws-cv-task2vec checkout: {name} is missing")
    sys.path.insert(0, str(root))  # before benchmarks/, which holds a task2vec.py of its own
    import models  # type: ignore[import-not-found]
    import task2vec  # type: ignore[import-not-found]

    if not Path(task2vec.__file__).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"imported {task2vec.__file__}, not the reference's task2vec.py")
    return task2vec, models


def shared_state(num_classes: int, probe_seed: int) -> dict[str, torch.Tensor]:
    """The project's random probe (trunk and head) as a torchvision ResNet-18 state dict."""
    probe, _ = build_probe("random", num_classes, seed=probe_seed)
    state = dict(probe.trunk.state_dict())
    state["fc.weight"], state["fc.bias"] = probe.head.weight, probe.head.bias
    return {k: v.detach().clone() for k, v in state.items()}


def run_reference(task2vec, model, x, y, seed: int) -> np.ndarray:
    torch.manual_seed(seed)  # the reference draws from torch's global generator
    t2v = task2vec.Task2Vec(
        copy.deepcopy(model),
        max_samples=10_000,
        classifier_opts={"optimizer": "adam", "epochs": 10, "learning_rate": 4e-4,
                         "weight_decay": 1e-4},
        method="montecarlo",
        method_opts={"epochs": 1},
        loader_opts={"num_workers": 0},  # in-memory tensors: no loader processes
    )  # fmt: skip
    emb = t2v.embed(torch.utils.data.TensorDataset(x, y))
    return np.asarray(emb.hessian, np.float64) / np.asarray(emb.scale, np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=os.environ.get(REFERENCE_ENV))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--probe-seed", type=int, default=0)
    parser.add_argument("--previous", action="store_true", help="also the earlier procedure")
    parser.add_argument("--out", type=Path, default=RESULTS / "task2vec_reference")
    args = parser.parse_args()
    if args.reference is None or not Path(args.reference).is_dir():
        print(
            "skipped: no aws-cv-task2vec checkout (pass --reference PATH or set "
            f"${REFERENCE_ENV}; https://github.com/awslabs/aws-cv-task2vec)"
        )
        return
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    task2vec, models = import_reference(Path(args.reference))

    digits = load_dataset("digits").train
    x = preprocess([digits[i][0] for i in range(len(digits))], IMAGE_SIZE)
    y = torch.from_numpy(digits.labels)
    state = shared_state(digits.num_classes, args.probe_seed)
    model = models.resnet18(num_classes=digits.num_classes)
    model.load_state_dict(state)
    print(f"digits: {len(digits)} training images at {IMAGE_SIZE}px, random ResNet-18 "
          f"(probe seed {args.probe_seed}) in both", flush=True)  # fmt: skip

    runs: dict[str, list[np.ndarray]] = {"project": [], "reference": [], "previous": []}
    seconds: dict[str, list[float]] = {k: [] for k in runs}
    base = Task2VecConfig(image_size=IMAGE_SIZE, probe="random", probe_seed=args.probe_seed)
    previous = Task2VecConfig(
        image_size=IMAGE_SIZE, probe="random", probe_seed=args.probe_seed,
        batch_norm="eval", sampling="balanced", head_lr=1e-3,
    )  # fmt: skip
    for seed in args.seeds:
        jobs = [("project", base), ("reference", None)]
        jobs += [("previous", previous)] if args.previous else []
        for kind, cfg in jobs:
            t = time.perf_counter()
            if cfg is None:
                v = run_reference(task2vec, model, x, y, seed)
            else:
                from dataclasses import replace

                v = embed_task(digits, replace(cfg, seed=seed), progress=False).vector
            seconds[kind].append(time.perf_counter() - t)
            runs[kind].append(np.asarray(v, np.float64))
            print(f"  {kind:<9} seed {seed}: norm {np.linalg.norm(v):.4e} "
                  f"({seconds[kind][-1]:.0f}s)", flush=True)  # fmt: skip

    proj, ref = runs["project"], runs["reference"]
    result = {
        "task": f"digits train ({len(digits)} images) at {IMAGE_SIZE}px",
        "probe": f"random ResNet-18, seed {args.probe_seed}, same weights in both",
        "seeds": args.seeds,
        "reference": "awslabs/aws-cv-task2vec task2vec.py, montecarlo",
        "cosine_project_vs_reference_per_seed": [
            cosine(p, r) for p, r in zip(proj, ref, strict=True)
        ],
        "cosine_of_means": cosine(np.mean(proj, 0), np.mean(ref, 0)),
        "norm_ratio_per_seed": [
            float(np.linalg.norm(p) / np.linalg.norm(r)) for p, r in zip(proj, ref, strict=True)
        ],
        "norm_ratio_of_means": float(
            np.linalg.norm(np.mean(proj, 0)) / np.linalg.norm(np.mean(ref, 0))
        ),
        "cosine_all_cross_pairs_min": min(cosine(p, r) for p in proj for r in ref),
        "seconds_mean": {k: float(np.mean(v)) for k, v in seconds.items() if v},
        "threads": torch.get_num_threads(),
    }
    if len(args.seeds) > 1:
        result["run_to_run_cosine_project_min_mean"] = pairwise_min_mean(proj)
        result["run_to_run_cosine_reference_min_mean"] = pairwise_min_mean(ref)
    if runs["previous"]:
        prev = runs["previous"]
        result["previous_procedure"] = {
            "config": "batch_norm=eval, sampling=balanced, head_lr=1e-3",
            "cosine_vs_reference_per_seed": [cosine(p, r) for p, r in zip(prev, ref, strict=True)],
            "norm_ratio_per_seed": [
                float(np.linalg.norm(p) / np.linalg.norm(r)) for p, r in zip(prev, ref, strict=True)
            ],
            "run_to_run_cosine_min_mean": pairwise_min_mean(prev) if len(prev) > 1 else None,
        }
    text = json.dumps(result, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(text + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(f"wrote {args.out}.json and .md")


def markdown(r: dict) -> str:
    f = lambda xs: ", ".join(f"{v:.4f}" for v in xs)  # noqa: E731
    lines = [
        "# Task2Vec: project vs reference implementation",
        "",
        f"{r['task']}; {r['probe']}; seeds {r['seeds']}; reference: {r['reference']}.",
        "Run: `OMP_NUM_THREADS=1 python benchmarks/task2vec_reference.py --reference PATH "
        "--previous`.",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| cosine project vs reference, per seed | {f(r['cosine_project_vs_reference_per_seed'])} "
        "| >= 0.99 |",
        f"| cosine of the means over seeds | {r['cosine_of_means']:.4f} | |",
        f"| norm ratio project / reference, per seed | {f(r['norm_ratio_per_seed'])} | 0.9-1.1 |",
    ]
    if "run_to_run_cosine_project_min_mean" in r:
        lines += [
            f"| run-to-run cosine, project (min, mean) | "
            f"{f(r['run_to_run_cosine_project_min_mean'])} | >= 0.99 |",
            f"| run-to-run cosine, reference (min, mean) | "
            f"{f(r['run_to_run_cosine_reference_min_mean'])} | |",
        ]
    if "previous_procedure" in r:
        p = r["previous_procedure"]
        lines += [
            f"| earlier procedure ({p['config']}): cosine vs reference | "
            f"{f(p['cosine_vs_reference_per_seed'])} | |",
            f"| earlier procedure: norm ratio | {f(p['norm_ratio_per_seed'])} | |",
        ]
    secs = ", ".join(f"{k} {v:.0f} s" for k, v in r["seconds_mean"].items())
    lines += ["", f"Mean seconds per embedding ({r['threads']} thread): {secs}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
