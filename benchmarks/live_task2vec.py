"""Do the live tasks' Task2Vec vectors know their transformation families?

Computes the Task2Vec vector of every named live task (``t2s_env.datasets.LIVE_TASKS``, or the
``{name: spec}`` JSON file of ``--tasks``) with one probe and one set of settings, then, leaving
each task out, finds its nearest other task by the distance the agents use (cosine similarity
of the L2-normalised vectors, ``t2s_env.task2vec.family_agreement``) and counts how often it is
of the same transformation family (``DatasetSpec.family``; issue 23 asks for >= 80 % of the
tasks that have a family mate). A second figure is the same count for the source dataset
(Fashion-MNIST or digits).

``--vector`` says how the Fisher becomes the vector (``t2s_env.task2vec.task_vector``): the raw
Fisher (``fisher``) or its per-convolution z-scored log (``conv-log-z``). ``--preset live`` runs
the live tasks' own setting (``t2s_env.task2vec.LIVE_TASK2VEC``: random probe, 32 px, 2,048
draws, ``conv-log-z``), the one ``t2s embed --probe live`` and the live env's
``task2vec_probe="live"`` use; only it may ``--package``.

Each run appends (or replaces) the row of its settings in
``benchmarks/results/live_task2vec.{json,md}``. The raw Fisher of each task is cached per task
spec and settings under ``--cache`` (with the CPU seconds it took), so a rerun, or another
``--vector`` of the same settings, only computes what is missing. ``--package`` also writes the
vectors to ``t2s_env/data/live_task2vec.npz`` (tasks, embedding, and a JSON ``meta`` with the
probe, the settings, the specs, the families, the figure and the command).

``--train-probe FILE`` first trains the one probe tried besides the random one: torchvision's
ResNet-18 from scratch on the embedded simulator's renders (every knob varied; 10 classes x 500
images at 32 px; 3 epochs of AdamW, batches of 128, lr 2e-3, seed 0; about 150 CPU s), and
saves its trunk's state dict for ``--probe FILE``.

Regenerate the packaged vectors for the current ``LIVE_TASKS`` (one core; about 20 CPU s a
task, nothing recomputed for tasks already in the cache):
``OMP_NUM_THREADS=1 python benchmarks/live_task2vec.py --preset live --package``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from t2s_env.datasets import LIVE_TASKS, DatasetSpec, live_task_split
from t2s_env.task2vec import (
    LIVE_TASK2VEC,
    VECTOR_MODES,
    Task2VecConfig,
    embed_task,
    family_agreement,
    resnet18_layout,
    task_vector,
)

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


def read_tasks(path: str | None) -> dict[str, str]:
    """``LIVE_TASKS``, or the ``{name: spec}`` JSON object of ``path`` (specs checked)."""
    if path is None:
        return dict(LIVE_TASKS)
    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.exit(f"--tasks {path}: not a readable JSON file ({exc})")
    if not isinstance(tasks, dict) or len(tasks) < 2:
        sys.exit(f"--tasks {path}: expected a JSON object of at least 2 {{name: spec}}")
    for name, spec in tasks.items():
        try:
            DatasetSpec.parse(str(spec))
        except ValueError as exc:
            sys.exit(f"--tasks {path}: task {name!r}: {exc}")
    return {str(k): str(v) for k, v in tasks.items()}


def fisher_label(cfg: Task2VecConfig) -> str:
    """What the raw Fisher depends on: the config without the vector mode, device, download."""
    skip = ("device", "download", "vector")
    return json.dumps({k: v for k, v in asdict(cfg).items() if k not in skip}, sort_keys=True)


def fishers_for(
    tasks: dict[str, str], cfg: Task2VecConfig, cache: Path
) -> tuple[np.ndarray, dict[str, float]]:
    """Every task's raw Fisher under ``cfg`` (cached per task spec and settings), and the CPU
    seconds each took (from the cache's record when it was computed earlier)."""
    cache.mkdir(parents=True, exist_ok=True)
    fisher_cfg = replace(cfg, vector="fisher")
    rows, seconds = [], {}
    for name, spec_text in tasks.items():
        spec = DatasetSpec.parse(spec_text)
        key = hashlib.sha256(f"{spec.identity}|{fisher_label(cfg)}".encode()).hexdigest()[:16]
        path, record = cache / f"{name}-{key}.npy", cache / f"{name}-{key}.json"
        if path.is_file():
            rows.append(np.load(path, allow_pickle=False))
            if record.is_file():
                seconds[name] = json.loads(record.read_text())["cpu_seconds"]
            continue
        c0 = time.process_time()
        fisher = embed_task(spec.load().train, fisher_cfg, progress=False,
                            dataset=spec.identity).vector  # fmt: skip
        seconds[name] = round(time.process_time() - c0, 1)
        np.save(path, fisher)
        record.write_text(json.dumps({"cpu_seconds": seconds[name], "spec": spec_text}))
        rows.append(fisher)
        print(f"{name}: {seconds[name]} CPU s", flush=True)
    return np.stack(rows).astype(np.float32), seconds


def source_of(spec: str) -> str:
    return DatasetSpec.parse(spec).kind


def figures(tasks: dict[str, str], vectors: np.ndarray) -> dict:
    names = list(tasks)
    families = {t: DatasetSpec.parse(s).family for t, s in tasks.items()}
    fam = family_agreement(vectors, [families[t] for t in names])
    src = family_agreement(vectors, [source_of(tasks[t]) for t in names])
    unseen = set(live_task_split([t for t in names if t in LIVE_TASKS])["unseen"])
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


def _per_block(v: np.ndarray, fn) -> np.ndarray:
    out = np.empty_like(v)
    for b in resnet18_layout():
        out[:, b.start : b.stop] = fn(v[:, b.start : b.stop])
    return out


def _log(b: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(b, 1e-30))


EXPLORED_TRANSFORMS = {
    "raw": lambda v: v,
    "sqrt": np.sqrt,
    "log": _log,
    "block L2": lambda v: _per_block(v, lambda b: b / np.linalg.norm(b, axis=1, keepdims=True)),
    "block mean": lambda v: _per_block(v, lambda b: b / b.mean(1, keepdims=True)),
    "block log-centred": lambda v: _per_block(
        v, lambda b: _log(b) - _log(b).mean(1, keepdims=True)
    ),
    "block log-z": lambda v: _per_block(
        v, lambda b: (_log(b) - _log(b).mean(1, keepdims=True)) / _log(b).std(1, keepdims=True)
    ),
}
"""What ``--explore`` tries on the raw Fisher, before the agents' cosine (per block: per conv or
batch-norm layer of the layout)."""

EXPLORED_LAYERS = {
    "all": lambda b: True,
    "conv": lambda b: b.kind == "conv",
    "bn": lambda b: b.kind == "bn",
    "layer3-4": lambda b: b.name.startswith(("layer3", "layer4")),
    "layer2-4": lambda b: b.name.startswith(("layer2", "layer3", "layer4")),
    "stem+layer1-2": lambda b: not b.name.startswith(("layer3", "layer4")),
    "layer4": lambda b: b.name.startswith("layer4"),
}


def explore(tasks: dict[str, str], fishers: np.ndarray) -> dict[str, dict[str, float]]:
    """Same-family fraction of every explored transform x layer set (``conv`` x ``block
    log-z`` is ``conv-log-z``)."""
    families = [DatasetSpec.parse(s).family for s in tasks.values()]
    f = fishers.astype(np.float64)
    out = {}
    for t_name, transform in EXPLORED_TRANSFORMS.items():
        v = transform(f)
        out[t_name] = {}
        for l_name, keep in EXPLORED_LAYERS.items():
            mask = np.zeros(v.shape[1], bool)
            for b in resnet18_layout():
                mask[b.start : b.stop] = keep(b)
            out[t_name][l_name] = round(family_agreement(v[:, mask], families)["fraction"], 4)
    return out


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _settings(c: dict) -> str:
    return (f"{c['image_size']} px, {c['n_images']} images ({c['sampling']}), batch norm "
            f"{c['batch_norm']}, seed {c['seed']}, probe seed {c.get('probe_seed', 0)}, vector "
            f"{c.get('vector', 'fisher')}")  # fmt: skip


def markdown(result: dict) -> str:
    lines = [
        "# Live tasks' Task2Vec vectors and their transformation families",
        "",
        "Leaving each live task out, is its nearest other live task (cosine similarity of the "
        "L2-normalised vectors, what the agents use) of the same transformation family? Target "
        f"(issue 23): >= {TARGET:.0%} of the tasks that have a family mate. Also: of the same "
        "source dataset. Made by `benchmarks/live_task2vec.py` (command per row), one CPU "
        "thread, on a machine shared with other jobs. `vector`: the raw Fisher (`fisher`) or "
        "its per-convolution z-scored log (`conv-log-z`, `t2s_env.task2vec.task_vector`); the "
        "two rows of one Fisher setting share its draws. The live tasks use `--preset live` "
        "(`t2s_env.task2vec.LIVE_TASK2VEC`).",
        "",
        "| probe | px | Fisher images | sampling | batch norm | seed | probe seed | vector | tasks | same family | same source | cosine range | CPU s / task | command |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in result["runs"]:
        c, f = r["config"], r["figures"]
        secs = f"{r['cpu_seconds_per_task']:.1f}" if r.get("cpu_seconds_per_task") else "cached"
        lines.append(
            f"| {r['probe']} | {c['image_size']} | {c['n_images']} | {c['sampling']} | "
            f"{c['batch_norm']} | {c['seed']} | {c.get('probe_seed', 0)} | "
            f"{c.get('vector', 'fisher')} | {len(r['figures']['per_task'])} | "
            f"**{f['family_hits']}/{f['with_mate']} ({f['family_fraction']:.0%})** | "
            f"{f['source_fraction']:.0%} | {f['cosine_similarity_range'][0]:.3f}-"
            f"{f['cosine_similarity_range'][1]:.3f} | {secs} | `{r['command']}` |"
        )
    for r in result["runs"]:
        if not r.get("explore") or r["config"].get("vector", "fisher") != "fisher":
            continue  # one table per Fisher setting
        layer_sets = list(next(iter(r["explore"].values())))
        lines += ["", f"## Vector modes explored: {r['probe']}, {_settings(r['config'])}", "",
                  "Same-family fraction by the agents' cosine after each transform of the raw "
                  "Fisher (rows; per block = per conv or batch-norm layer), on each set of "
                  "layers (columns). Chosen on these tasks: see the replicate rows above. "
                  f"Command: `{r['command']} --explore`.", "",
                  "| transform | " + " | ".join(layer_sets) + " |",
                  "|---|" + "---|" * len(layer_sets)]  # fmt: skip
        for t_name, row in r["explore"].items():
            lines.append(f"| {t_name} | " + " | ".join(f"{row[k]:.0%}" for k in layer_sets) + " |")
    for r in result["runs"]:
        lines += ["", f"## {r['probe']}, {_settings(r['config'])}", "",
                  "| task | family | nearest other task | same family |", "|---|---|---|---|"]  # fmt: skip
        for t in r["figures"]["per_task"]:
            mark = "yes" if t["same_family"] else "no"
            star = " (unseen)" if t["unseen"] else ""
            lines.append(
                f"| {t['task']}{star} | {t['family']} | {t['nearest']} ({t['nearest_family']}) "
                f"| {mark} |"
            )
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--preset", choices=["live"], help="the live tasks' setting (LIVE_TASK2VEC)"
    )
    parser.add_argument("--probe", default="random", help="random (default), imagenet, a file")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--n-images", type=int, default=2000, help="Fisher draws (2,000)")
    parser.add_argument("--seed", type=int, default=0, help="Task2Vec sampling seed")
    parser.add_argument("--probe-seed", type=int, default=0, help="random probe's seed")
    parser.add_argument("--batch-norm", default="train", choices=["train", "eval"])
    parser.add_argument("--sampling", default="weighted", choices=["weighted", "balanced"])
    parser.add_argument("--vector", default="fisher", choices=VECTOR_MODES)
    parser.add_argument("--tasks", metavar="FILE", help="JSON {name: spec} (default LIVE_TASKS)")
    parser.add_argument("--cache", default="/tmp/t2s_live_task2vec", help="Fisher cache folder")
    parser.add_argument("--out", default=str(RESULTS / "live_task2vec"))
    parser.add_argument("--package", action="store_true", help=f"also write {PACKAGE}")
    parser.add_argument("--train-probe", metavar="FILE", help="train the renders probe first")
    parser.add_argument("--explore", action="store_true",
                        help="also score other transforms and layer sets of the same Fisher")  # fmt: skip
    args = parser.parse_args(argv)
    if args.preset:
        fixed = ["probe", "image_size", "n_images", "seed", "probe_seed", "batch_norm",
                 "sampling", "vector", "train_probe"]  # fmt: skip
        given = [k for k in fixed if getattr(args, k) != parser.get_default(k)]
        if given:
            parser.error(
                f"--preset live fixes {', '.join('--' + k.replace('_', '-') for k in given)}"
            )
    if args.package and (not args.preset or args.tasks):
        parser.error("--package writes LIVE_TASKS' vectors: it needs --preset live, no --tasks")
    return args


def config_of(args: argparse.Namespace) -> Task2VecConfig:
    if args.preset:
        return replace(LIVE_TASK2VEC, device="cpu")
    return Task2VecConfig(probe=args.probe, image_size=args.image_size, n_images=args.n_images,
                          max_samples=max(args.n_images, 128), seed=args.seed,
                          probe_seed=args.probe_seed, device="cpu", batch_norm=args.batch_norm,
                          sampling=args.sampling, vector=args.vector, download=False)  # fmt: skip


def command_of(args: argparse.Namespace, cfg: Task2VecConfig) -> str:
    tasks = f" --tasks {args.tasks}" if args.tasks else ""
    if args.preset:
        return f"python benchmarks/live_task2vec.py --preset live{tasks}"
    probe_arg = args.probe
    if Path(args.probe).is_file():
        probe_arg = f"probe.pt{'' if args.train_probe else ' --train-probe probe.pt'}"
    extra = f" --probe-seed {cfg.probe_seed}" if cfg.probe_seed else ""
    extra += f" --vector {cfg.vector}" if cfg.vector != "fisher" else ""
    return (f"python benchmarks/live_task2vec.py --probe {probe_arg} --image-size "
            f"{cfg.image_size} --n-images {cfg.n_images} --seed {cfg.seed} "
            f"--batch-norm {cfg.batch_norm} --sampling {cfg.sampling}{extra}{tasks}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(1)
    if args.train_probe:
        train_probe(Path(args.train_probe))
    tasks = read_tasks(args.tasks)
    cfg = config_of(args)
    fishers, seconds = fishers_for(tasks, cfg, Path(args.cache))
    vectors = np.stack([task_vector(f, cfg.vector) for f in fishers])
    if args.preset:
        probe = "live (random seed 0, conv-log-z)"
    elif Path(args.probe).is_file():
        probe = "renders (trained by --train-probe)"
    else:
        probe = f"random (seed {cfg.probe_seed})" if args.probe == "random" else args.probe
    command = command_of(args, cfg)
    run = {
        "probe": probe,
        "config": asdict(cfg),
        "tasks": list(tasks),
        "command": command,
        "cpu_seconds_per_task": (
            round(float(np.mean(list(seconds.values()))), 1) if len(seconds) == len(tasks) else None
        ),
        "figures": figures(tasks, vectors),
        "explore": explore(tasks, fishers) if args.explore else None,
        "commit": _commit(),
        "machine": f"{platform.processor() or platform.machine()}, torch {torch.__version__}",
    }
    out = Path(args.out)
    json_path = out.with_suffix(".json")
    result = json.loads(json_path.read_text()) if json_path.is_file() else {"runs": []}
    for r in result["runs"]:  # rows from before the vector modes were the raw Fisher
        r["config"].setdefault("vector", "fisher")
        r.setdefault("tasks", list(result.get("tasks", {})))

    def same_row(r: dict) -> bool:
        return (r["config"], r["tasks"], r["probe"]) == (run["config"], run["tasks"], run["probe"])

    def same_fisher(r: dict) -> bool:  # the same draws, whatever the vector mode
        return r["tasks"] == run["tasks"] and fisher_label(Task2VecConfig(**r["config"])) == (
            fisher_label(cfg)
        )

    timed = [r["cpu_seconds_per_task"] for r in result["runs"] if same_fisher(r)]
    if run["cpu_seconds_per_task"] is None and any(timed):
        run["cpu_seconds_per_task"] = next(t for t in timed if t)
    kept = [r.get("explore") for r in result["runs"] if same_row(r)]
    run["explore"] = run["explore"] or next((e for e in kept if e), None)
    result["runs"] = [r for r in result["runs"] if not same_row(r)] + [run]
    result["tasks"] = {**result.get("tasks", {}), **tasks}
    result["families"] = {t: DatasetSpec.parse(s).family for t, s in result["tasks"].items()}
    json_path.write_text(json.dumps(result, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    f = run["figures"]
    print(f"same family: {f['family_hits']}/{f['with_mate']} ({f['family_fraction']:.0%}); "
          f"same source {f['source_fraction']:.0%}")  # fmt: skip
    if args.package:
        families = {t: DatasetSpec.parse(s).family for t, s in tasks.items()}
        meta = {"probe": probe, "task2vec": asdict(cfg), "tasks": tasks, "families": families,
                "family_fraction": f["family_fraction"], "built_by": command + " --package",
                "commit": run["commit"]}  # fmt: skip
        np.savez_compressed(PACKAGE, tasks=np.array(list(tasks)), embedding=vectors,
                            meta=np.array(json.dumps(meta, sort_keys=True)))  # fmt: skip
        print(f"wrote {PACKAGE}")


if __name__ == "__main__":
    main()
