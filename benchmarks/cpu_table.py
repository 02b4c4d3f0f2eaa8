"""The measured CPU table (the 256 paper configurations x 2 seeds, every live task, the `cpu`
recipe), grown across sessions: run the sweep, export what the store holds, package it.

    # resumable; each finished backbone is scored on the 8 live tasks and stored
    OMP_NUM_THREADS=1 t2s sweep --tasks fmnist-20shot fmnist-tops fmnist-shoes digits-10shot \\
        digits-0to4 fmnist-5shot fmnist-wear digits-5to9 --configs all --recipe cpu --seeds 0 1 \\
        --workers 2 --store benchmarks/results/cpu_table/rewards.sqlite
    python benchmarks/cpu_table.py export    # benchmarks/results/cpu_table/{measurements.csv,status.md}
    python benchmarks/cpu_table.py embed     # Task2Vec of the 8 tasks, cached in the store
    python benchmarks/cpu_table.py package   # t2s_env/data/cpu_table.{npz,json}
    python benchmarks/cpu_table.py import    # a lost store re-seeded from the CSV (then resume)
    python benchmarks/cpu_table.py untrained # t2s_env/data/cpu_table_untrained.json (~45 s)

``export``: the CSV (one row per measurement: task, configuration key, seed, accuracy as a
fraction written with ``repr`` so that it reads back bit for bit, backbone id, simulator
version, recipe id) is the committed export of the store, which itself is not committed
(``*.sqlite`` is ignored). ``status.md`` says how far the table is.

``untrained``: the reference row of the table: per task and seed, the recipe's backbone as the
sweep initialises it before pre-training (``build_backbone(arch, classes, seed)``, the head
``train_backbone`` gives it) scored by the recipe's 5-NN on the task's measured sample, never
trained. Written beside the table (which it leaves untouched) with its provenance;
``tests/test_cpu_table.py`` checks the loader reads it value for value.

``package``: the packaged table is built from the CSV alone (so that it matches the export bit
for bit; ``tests/test_cpu_table.py`` checks it) plus the Task2Vec vectors cached in the store by
``embed``. It refuses a table with a (task, configuration) cell that no seed measured, or
measurements of more than one recipe or simulator version. Provenance (recipe, simulator
version, commit, machine, dates, counts, Task2Vec settings) goes into ``cpu_table.json``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from t2s_env.datasets import LIVE_TASKS, V0_TASKS, DatasetSpec, live_task_split
from t2s_env.rewards.store import RewardStore
from t2s_env.space import PAPER_SPACE
from t2s_env.task2vec import Task2VecConfig, config_record

TASKS = {t: LIVE_TASKS[t] for t in V0_TASKS}
"""The table's tasks: the eight of ``Task2Sim-CPU-v0`` (the later live tasks are not in it)."""

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "cpu_table"
PACKAGE = ROOT / "t2s_env" / "data"
EMBEDDING = {"probe": "random", "image_size": 64, "n_images": 2000, "max_samples": 2000}
"""Task2Vec settings of the packaged vectors: no ImageNet weights can be downloaded here, so
the probe is a seeded random ResNet-18; 64 px and 2,000 draws keep it to ~20 CPU s a task."""
COLUMNS = ["task", "config", "seed", "accuracy", "backbone", "simulator_version", "recipe"]


def export(store: RewardStore, out: Path) -> None:
    rows = sorted(
        (e for e in store.evaluations() if e.key.recipe.startswith("cpu@")),
        key=lambda e: (e.key.seed, e.key.config, e.key.task),
    )
    with open(out / "measurements.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*COLUMNS, "created"])
        for e in rows:
            k = e.key
            w.writerow([k.task, k.config, k.seed, repr(float(e.accuracy)), e.backbone,
                        k.simulator_version, k.recipe, f"{e.created:.0f}"])  # fmt: skip
    per_seed = Counter(e.key.seed for e in rows)
    backbones = {(e.key.config, e.key.seed) for e in rows}
    tasks = sorted({e.key.task for e in rows})
    lines = [
        "# Measured CPU table: progress",
        "",
        f"{len(rows)} measurements from {len(backbones)} pre-trained backbones, over "
        f"{len(tasks)} tasks ({', '.join(tasks)}); the full table is "
        f"{PAPER_SPACE.size} configurations x 2 seeds = {2 * PAPER_SPACE.size} backbones.",
        "",
        "| seed | measurements | configurations |",
        "|---|---|---|",
        *(
            f"| {s} | {n} | {len({c for c, t in backbones if t == s})} |"
            for s, n in sorted(per_seed.items())
        ),  # fmt: skip
        "",
        "Written by `python benchmarks/cpu_table.py export` from the sweep's store.",
    ]
    (out / "status.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'measurements.csv'} ({len(rows)} rows) and {out / 'status.md'}")


def import_measurements(csv_path: Path, store: RewardStore) -> int:
    """Put the CSV's measurements into ``store`` (a lost or new one), so that a sweep resumes
    after them instead of pre-training them again; returns how many were new. Each row keeps its
    backbone id and time; ``details`` says it was imported (no timings or versions)."""
    from t2s_env.rewards.store import Evaluation, EvaluationKey

    new = 0
    for r in read_measurements(csv_path):
        if r["task"] not in TASKS:
            sys.exit(f"{csv_path}: task {r['task']!r} is not one of the live tasks")
        key = EvaluationKey(r["task"], r["config"], "embedded", r["simulator_version"],
                            r["recipe"], int(r["seed"]))  # fmt: skip
        dataset = DatasetSpec.parse(TASKS[r["task"]]).identity
        evaluation = Evaluation(
            key, float(r["accuracy"]), details={"dataset": dataset, "imported_from": str(csv_path)},
            created=float(r.get("created") or 0.0), backbone=r["backbone"],
        )  # fmt: skip
        new += store.put(evaluation)
    return new


def read_measurements(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def table_arrays(rows: list[dict[str, str]]) -> dict[str, np.ndarray]:
    """The CSV rows as the packaged arrays: ``reward[t, s, c]``, NaN where not measured."""
    tasks = list(TASKS)
    keys = PAPER_SPACE.all_keys()
    seeds = sorted({int(r["seed"]) for r in rows})
    reward = np.full((len(tasks), len(seeds), len(keys)), np.nan)
    t_of, s_of, c_of = ({n: i for i, n in enumerate(x)} for x in (tasks, seeds, keys))
    for r in rows:
        reward[t_of[r["task"]], s_of[int(r["seed"])], c_of[r["config"]]] = float(r["accuracy"])
    return {"tasks": np.array(tasks), "keys": np.array(keys), "seeds": np.array(seeds),
            "reward": reward}  # fmt: skip


def embed(store_path: Path) -> None:
    from t2s_env.rewards.live import LiveRewardSource

    config = Task2VecConfig(**EMBEDDING, device="cpu")  # type: ignore[arg-type]
    source = LiveRewardSource(
        list(TASKS), recipe="cpu", store=store_path, embeddings=config, progress=False
    )
    for task in TASKS:
        t0 = time.process_time()
        vector = source.embedding(task)
        print(f"{task}: |v| = {np.linalg.norm(vector):.4g} ({time.process_time() - t0:.1f} CPU s)")


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, no GPU"


def package(store_path: Path, out: Path, dest: Path) -> None:
    rows = read_measurements(out / "measurements.csv")
    for field in ("recipe", "simulator_version"):
        values = sorted({r[field] for r in rows})
        if len(values) != 1:
            sys.exit(f"measurements.csv mixes {field}s {values}: package one at a time")
    arrays = table_arrays(rows)
    missing = ~np.isfinite(arrays["reward"]).any(axis=1)
    if missing.any():
        sys.exit(
            f"{int(missing.sum())} (task, configuration) cells have no measurement yet "
            f"({int(missing.any(axis=0).sum())} configurations); run the sweep further"
        )
    store = RewardStore(store_path)
    config = config_record(Task2VecConfig(**EMBEDDING, device="cpu"))  # type: ignore[arg-type]
    vectors = []
    for task, spec in TASKS.items():
        method = json.dumps(
            {"dataset": DatasetSpec.parse(spec).identity, "task2vec": config}, sort_keys=True
        )
        vector = store.get_embedding(task, method)
        if vector is None:
            sys.exit(f"no Task2Vec vector of {task!r} in {store_path}: run `embed` first")
        vectors.append(vector)
    created = [float(r["created"]) for r in rows if r.get("created")]
    day = lambda t: datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    measured = np.isfinite(arrays["reward"])
    provenance = {
        "what": "5-NN top-1 accuracy (fraction) of a backbone pre-trained with the `cpu` recipe "
        "on images rendered by the embedded simulator with each configuration, per seed",
        "recipe": rows[0]["recipe"],
        "simulator": "embedded",
        "simulator_version": rows[0]["simulator_version"],
        "commit": _commit(),
        "machine": _machine(),
        "measured": f"{day(min(created))} to {day(max(created))} UTC" if created else "unknown",
        "measurements": int(measured.sum()),
        "backbones": len({(r["config"], r["seed"]) for r in rows}),
        "seeds_per_cell": {
            str(n): int(c)
            for n, c in zip(*np.unique(measured.sum(axis=1), return_counts=True), strict=True)
        },  # fmt: skip
        "tasks": dict(TASKS),
        "task2vec": {
            **EMBEDDING,
            "procedure": "reference (t2s_env.task2vec defaults otherwise)",
            "note": "random probe: not comparable with the paper's ImageNet-probe vectors",
        },  # fmt: skip
        "source": "benchmarks/results/cpu_table/measurements.csv",
        "built_by": "python benchmarks/cpu_table.py package",
    }
    split = {k: list(v) for k, v in live_task_split(V0_TASKS).items()}
    np.savez_compressed(dest / "cpu_table.npz", **arrays,
                        embedding=np.stack(vectors).astype(np.float32))  # fmt: skip
    (dest / "cpu_table.json").write_text(
        json.dumps({"split": split, "provenance": provenance}, indent=2) + "\n"
    )
    print(f"wrote {dest / 'cpu_table.npz'} and cpu_table.json: {provenance['measurements']} "
          f"measurements, seeds per cell {provenance['seeds_per_cell']}")  # fmt: skip


def untrained(dest: Path) -> None:
    """Score each seed's untrained backbone on the packaged table's tasks (see the docstring)."""
    import torch

    from t2s_env.data import load_cpu_table
    from t2s_env.pipeline import prepare_task, score_model
    from t2s_env.pretrain import build_backbone, get_recipe

    table = load_cpu_table()
    recipe_id = table.provenance["recipe"]
    recipe = get_recipe(recipe_id.split("@")[0])
    if recipe.id != recipe_id:
        sys.exit(f"the table was measured with recipe {recipe_id}, this checkout has {recipe.id}")
    # train_backbone builds the model with a head over the rendered classes (all recipe.classes
    # are rendered); the head's size changes the draws of the trunk's initialisation
    classes = max(int(recipe.classes), 2)
    tasks = {t: DatasetSpec.parse(table.provenance["tasks"][t]) for t in table.tasks}
    t0 = time.process_time()
    accuracy = []
    for task, spec in tasks.items():
        prepared = prepare_task(spec, recipe)
        row = []
        for seed in table.seeds:
            model = build_backbone(recipe.arch, classes, seed).eval()
            acc, _ = score_model(model, prepared, recipe, torch.device("cpu"), progress=False)
            row.append(float(acc))
        accuracy.append(row)
        print(
            f"{task}: "
            + ", ".join(f"seed {s} {100 * a:.2f} %" for s, a in zip(table.seeds, row, strict=True))
        )
    out = {
        "tasks": list(table.tasks),
        "seeds": list(table.seeds),
        "accuracy": accuracy,
        "provenance": {
            "what": "5-NN top-1 accuracy (fraction) of the recipe's backbone as each seed "
            "initialises it, never pre-trained, per task (rows) and seed (columns)",
            "recipe": recipe.id,
            "arch": recipe.arch,
            "head_classes": classes,
            "initialisation": f"build_backbone({recipe.arch!r}, {classes}, seed), as "
            "train_backbone builds it before pre-training",
            "table": "cpu_table.npz (the same tasks, their samples and the same seeds)",
            "tasks": {t: table.provenance["tasks"][t] for t in table.tasks},
            "torch": torch.__version__,
            "commit": _commit(),
            "machine": _machine(),
            "measured": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu_seconds": round(time.process_time() - t0, 1),
            "built_by": "python benchmarks/cpu_table.py untrained",
        },
    }
    path = dest / "cpu_table_untrained.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    acc = 100 * np.array(accuracy)
    unseen = [table.tasks.index(t) for t in table.split["unseen"]]
    print(f"wrote {path}: mean {acc.mean():.2f} % over the {len(tasks)} tasks, "
          f"{acc[unseen].mean():.2f} % over the unseen ones")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "step",
        nargs="?",
        default="export",
        choices=["export", "embed", "package", "import", "untrained"],
    )
    parser.add_argument("--store", default=str(OUT / "rewards.sqlite"))
    parser.add_argument("--out", default=str(OUT), help="folder of the export")
    parser.add_argument("--dest", default=str(PACKAGE), help="folder of the packaged table")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.step == "export":
        export(RewardStore(args.store), out)
    elif args.step == "import":
        n = import_measurements(out / "measurements.csv", RewardStore(args.store))
        print(f"imported {n} new measurements into {args.store}")
    elif args.step == "embed":
        embed(Path(args.store))
    elif args.step == "untrained":
        untrained(Path(args.dest))
    else:
        package(Path(args.store), out, Path(args.dest))


if __name__ == "__main__":
    main()
