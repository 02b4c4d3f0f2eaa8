"""The measured CPU tables (the 256 paper configurations x 2 seeds on live tasks), grown across
sessions: run the sweep, export what the store holds, package it.

Two tables, chosen with ``--table`` (every step below takes it; ``cpu-v0`` by default):

- ``cpu-v0`` (``Task2Sim-CPU-v0``): the 8 plain live tasks, the `cpu` recipe; export in
  ``benchmarks/results/cpu_table/``, package ``t2s_env/data/cpu_table.{npz,json}``.
- ``cpu-v1``: the 26 live tasks of ``V1_TASKS`` (issue 23's task set), the `cpu2c` recipe (`cpu2`
  with learning curves at 0.5, 1 and 2 epochs); export in ``benchmarks/results/cpu_table_v1/``
  with each measurement's ``curve`` and its pre-training's ``cpu_seconds``; package
  ``t2s_env/data/cpu_table_v1.{npz,json}`` with the arrays ``fidelities`` (F,), ``curves``
  (T, S, C, F) and ``cost_seconds`` (S, C). Its sweep:

    mkdir -p benchmarks/results/cpu_table_v1
    OMP_NUM_THREADS=1 t2s sweep --tasks fmnist-20shot fmnist-tops fmnist-shoes digits-10shot \\
        digits-0to4 fmnist-5shot fmnist-wear digits-5to9 fmnist-rotate fmnist-clutter \\
        digits-clutter digits-zoom fmnist-zoom digits-bright digits-tint fmnist-noise \\
        digits-noise digits-invert-zoom fmnist-rotate-10shot fmnist-clutter-10shot \\
        digits-zoom-5shot fmnist-zoom-10shot digits-bright-5shot digits-tint-5shot \\
        fmnist-noise-10shot digits-invert-zoom-5shot --configs all --recipe cpu2c --seeds 0 1 \\
        --workers 2 --store benchmarks/results/cpu_table_v1/rewards.sqlite --no-progress
    python benchmarks/cpu_table.py export --table cpu-v1   # commit the export as it grows

It is resumable like v0's: a stopped sweep keeps every finished pre-training, the same command
goes on from there, and ``import --table cpu-v1`` re-seeds a lost store from the committed
export. The export's ``status.md`` gives each task one seed's reliability so far; a third seed
(``--seeds 2``, the same command otherwise) goes to the table when tasks are below 0.5. Then:

    python benchmarks/cpu_table.py untrained --table cpu-v1  # cpu_table_v1_untrained.json (~1 min)
    python benchmarks/cpu_table.py package --table cpu-v1    # cpu_table_v1.{npz,json}

``cpu-v1`` needs no ``embed``: its vectors are the packaged live-probe ones
(``t2s_env/data/live_task2vec.npz``), the vectors ``Task2Sim-Live-v0`` observes on these tasks,
so that an agent trained live and one trained on the table see the same observations. Its
untrained reference covers seeds 0, 1 and 2 and is made from the recipe and tasks alone, before
the table is packaged.

The ``cpu-v0`` commands:

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

``cpu-v1``'s CSV adds two columns: ``curve`` (JSON ``[[epochs, accuracy], ...]``, the last
the accuracy itself, floats written by ``repr``) and ``cpu_seconds`` (the CPU seconds of the
pre-training job that measured it: render, training, and the curve and final scoring of every
task of the job); ``cost_seconds`` of a cell is that of its rows (the largest, should a cell's
tasks have come from several jobs; the provenance counts such cells).

``package``: the packaged table is built from the CSV alone (so that it matches the export bit
for bit; ``tests/test_cpu_table.py`` checks it) plus the Task2Vec vectors cached in the store by
``embed``. It refuses a table with a (task, configuration) cell that no seed measured, or
measurements of more than one recipe or simulator version. Provenance (recipe, simulator
version, commit, machine, dates, counts, Task2Vec settings) goes into ``cpu_table.json``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
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
from t2s_env.datasets.live_tasks import V1_TASKS
from t2s_env.rewards.export import replicate_arrays
from t2s_env.rewards.store import RewardStore
from t2s_env.space import PAPER_SPACE
from t2s_env.task2vec import Task2VecConfig, config_record

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "t2s_env" / "data"


@dataclasses.dataclass(frozen=True)
class Table:
    """One packaged table: its tasks, recipe, export folder and file names."""

    name: str
    tasks: dict[str, str]
    recipe: str
    """The recipe preset measured (the store rows kept are those of its ids)."""
    out: Path
    stem: str
    """The packaged files' name: ``t2s_env/data/<stem>.{npz,json}``."""
    curves: bool = False
    """Whether the export and package carry learning curves and costs."""
    vectors: str = "store"
    """Where the packaged Task2Vec vectors come from: ``"store"`` (``embed``'s, cached in the
    sweep's store, :data:`EMBEDDING`) or ``"live"`` (the packaged live-probe vectors,
    ``t2s_env.data.load_live_task2vec``: the ones ``Task2Sim-Live-v0`` observes on these
    tasks, so that an agent trained live and one trained on the table see the same vectors)."""
    seeds: tuple[int, ...] = (0, 1)
    """The seeds of the untrained reference (``untrained``)."""


TABLES = {
    "cpu-v0": Table("cpu-v0", {t: LIVE_TASKS[t] for t in V0_TASKS}, "cpu",
                    ROOT / "benchmarks" / "results" / "cpu_table", "cpu_table"),
    "cpu-v1": Table("cpu-v1", {t: LIVE_TASKS[t] for t in V1_TASKS}, "cpu2c",
                    ROOT / "benchmarks" / "results" / "cpu_table_v1", "cpu_table_v1", curves=True,
                    vectors="live", seeds=(0, 1, 2)),
}  # fmt: skip
"""The tables; ``cpu-v0`` is ``Task2Sim-CPU-v0`` (its files must not change)."""
TABLE = TABLES["cpu-v0"]
TASKS = TABLE.tasks
"""The tasks of ``Task2Sim-CPU-v0`` (the eight plain live tasks)."""
OUT = TABLE.out
EMBEDDING = {"probe": "random", "image_size": 64, "n_images": 2000, "max_samples": 2000}
"""Task2Vec settings of the packaged vectors: no ImageNet weights can be downloaded here, so
the probe is a seeded random ResNet-18; 64 px and 2,000 draws keep it to ~20 CPU s a task."""
COLUMNS = ["task", "config", "seed", "accuracy", "backbone", "simulator_version", "recipe"]
CURVE_COLUMNS = ["curve", "cpu_seconds"]


def export(store: RewardStore, out: Path, table: Table = TABLE) -> None:
    v0 = table is TABLES["cpu-v0"]  # its export is what it always was: every task of `cpu`
    rows = sorted(
        (e for e in store.evaluations()
         if e.key.recipe.startswith(f"{table.recipe}@") and (v0 or e.key.task in table.tasks)),
        key=lambda e: (e.key.seed, e.key.config, e.key.task),
    )  # fmt: skip
    extra = CURVE_COLUMNS if table.curves else []
    with open(out / "measurements.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*COLUMNS, *extra, "created"])
        for e in rows:
            k = e.key
            more = []
            if table.curves:
                curve = json.dumps([[float(x), float(a)] for x, a in e.curve])
                more = [curve, "" if e.cpu_seconds is None else repr(float(e.cpu_seconds))]
            w.writerow([k.task, k.config, k.seed, repr(float(e.accuracy)), e.backbone,
                        k.simulator_version, k.recipe, *more, f"{e.created:.0f}"])  # fmt: skip
    per_seed = Counter(e.key.seed for e in rows)
    backbones = {(e.key.config, e.key.seed) for e in rows}
    tasks = sorted({e.key.task for e in rows})
    lines = [
        "# Measured CPU table: progress",
        "",
        f"{len(rows)} measurements from {len(backbones)} pre-trained backbones, over "
        f"{len(tasks)} tasks ({', '.join(tasks)}); the full table is "
        f"{PAPER_SPACE.size} configurations x 2 seeds = {2 * PAPER_SPACE.size} backbones"
        + (", and more seeds on some tasks." if len(per_seed) > 2 else "."),
        "",
        "| seed | measurements | configurations |",
        "|---|---|---|",
        *(
            f"| {s} | {n} | {len({c for c, t in backbones if t == s})} |"
            for s, n in sorted(per_seed.items())
        ),  # fmt: skip
        "",
        "Written by `python benchmarks/cpu_table.py export"
        + ("" if table is TABLES["cpu-v0"] else f" --table {table.name}")
        + "` from the sweep's store.",
    ]
    if table.curves:
        costs = [e.cpu_seconds for e in rows if e.cpu_seconds is not None]
        by_seed: dict[int, list[float]] = {}
        for e in rows:
            if e.cpu_seconds is not None:
                by_seed.setdefault(e.key.seed, []).append(e.cpu_seconds)
        lines[-1:-1] = [
            f"{sum(bool(e.curve) for e in rows)} measurements with a learning curve; CPU seconds "
            f"per pre-training: median {np.median(costs):.1f}, total "
            f"{sum({e.backbone: e.cpu_seconds for e in rows if e.cpu_seconds}.values()) / 3600:.2f}"
            " h; median by seed (the seconds of the machine, its load and the tasks its jobs "
            "scored): "
            + ", ".join(f"seed {seed} {np.median(c):.1f}" for seed, c in sorted(by_seed.items()))
            + "."
            if costs
            else "No pre-training cost recorded yet.",
            "",
        ]
    if table.curves:
        lines += ["", *reliability_lines(rows, table)]
    (out / "status.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'measurements.csv'} ({len(rows)} rows) and {out / 'status.md'}")


def reliability_lines(rows: list, table: Table) -> list[str]:
    """Per task, one seed's reliability (``t2s_env.rewards.signal.replicate_signal``: the
    share of a seed's variance across configurations that is the configuration's, not the
    seed's) over the configurations every seed so far measured on it, and which tasks are below
    0.5 (issue 24 gives those cells a third seed)."""
    from t2s_env.rewards.signal import replicate_signal

    values: dict[str, dict[tuple[str, int], float]] = {}
    for e in rows:
        values.setdefault(e.key.task, {})[(e.key.config, e.key.seed)] = e.accuracy
    lines = ["| task | configurations (all seeds) | seeds | one seed's reliability | seeds for 0.8 |",
             "|---|---|---|---|---|"]  # fmt: skip
    low = []
    for task in table.tasks:
        cells = values.get(task, {})
        seeds = sorted({s for _, s in cells})
        configs = sorted({c for c, _ in cells if all((c, s) in cells for s in seeds)})
        if len(seeds) < 2 or len(configs) < 3:
            lines.append(f"| {task} | {len(configs)} | {len(seeds)} | - | - |")
            continue
        sig = replicate_signal(np.array([[cells[(c, s)] for s in seeds] for c in configs]))
        r1 = float(sig["single_seed_reliability"])
        low += [task] if r1 < 0.5 else []
        lines.append(f"| {task} | {len(configs)} | {len(seeds)} | {r1:.2f} | "
                     f"{float(sig['seeds_for_reliability_0.8']):.1f} |")  # fmt: skip
    complete = all(len(values.get(t, {})) >= 2 * PAPER_SPACE.size for t in table.tasks)
    return [
        "One seed's reliability per task (`t2s_env.rewards.signal.replicate_signal`, over the "
        "configurations every seed measured"
        + ("" if complete else "; the sweep is not complete, so these are early figures")
        + "):",
        "",
        *lines,
        "",
        f"Below 0.5 (a third seed, issue 24): {len(low)} of {len(table.tasks)}"
        + (f": {', '.join(low)}." if low else "."),
    ]


def import_measurements(csv_path: Path, store: RewardStore, table: Table = TABLE) -> int:
    """Put the CSV's measurements into ``store`` (a lost or new one), so that a sweep resumes
    after them instead of pre-training them again; returns how many were new. Each row keeps its
    backbone id and time; ``details`` says it was imported (no timings or versions)."""
    from t2s_env.rewards.store import Evaluation, EvaluationKey

    new = 0
    for r in read_measurements(csv_path):
        if r["task"] not in table.tasks:
            sys.exit(f"{csv_path}: task {r['task']!r} is not one of the live tasks")
        key = EvaluationKey(r["task"], r["config"], "embedded", r["simulator_version"],
                            r["recipe"], int(r["seed"]))  # fmt: skip
        dataset = DatasetSpec.parse(table.tasks[r["task"]]).identity
        curve, cpu = json.loads(r.get("curve") or "[]"), r.get("cpu_seconds") or None
        evaluation = Evaluation(
            key, float(r["accuracy"]), details={"dataset": dataset, "imported_from": str(csv_path)},
            created=float(r.get("created") or 0.0), backbone=r["backbone"],
            curve=tuple(map(tuple, curve)), cpu_seconds=None if cpu is None else float(cpu),
        )  # fmt: skip
        new += store.put(evaluation)
    return new


def read_measurements(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def table_arrays(rows: list[dict[str, str]], table: Table = TABLE) -> dict[str, np.ndarray]:
    """The CSV rows as the packaged arrays (:func:`~t2s_env.rewards.export.replicate_arrays`):
    ``reward[t, s, c]``, NaN where not measured; with curves also ``fidelities``, ``curves``
    and ``cost_seconds``."""
    try:
        return replicate_arrays(rows, list(table.tasks), PAPER_SPACE.all_keys(), table.curves)
    except ValueError as exc:
        sys.exit(f"measurements.csv: {exc}")


def embed(store_path: Path, table: Table = TABLE) -> None:
    from t2s_env.rewards.live import LiveRewardSource

    config = Task2VecConfig(**EMBEDDING, device="cpu")  # type: ignore[arg-type]
    source = LiveRewardSource(
        list(table.tasks), recipe=table.recipe, store=store_path, embeddings=config, progress=False
    )
    for task in table.tasks:
        t0 = time.process_time()
        vector = source.embedding(task)
        print(f"{task}: |v| = {np.linalg.norm(vector):.4g} ({time.process_time() - t0:.1f} CPU s)")


def table_vectors(store_path: Path, table: Table = TABLE) -> tuple[list[np.ndarray], dict]:
    """The Task2Vec vector of each of the table's tasks (in its order) and how they were made:
    ``embed``'s, cached in the store, or the packaged live-probe vectors (``table.vectors``)."""
    if table.vectors == "live":
        from t2s_env.data import load_live_task2vec

        live, meta = load_live_task2vec()
        vectors = []
        for task, spec in table.tasks.items():
            made = meta.get("tasks", {}).get(task)
            if task not in live.tasks or made is None:
                sys.exit(f"no packaged live vector of {task!r} (t2s_env/data/live_task2vec.npz)")
            if DatasetSpec.parse(made).identity != DatasetSpec.parse(spec).identity:
                sys.exit(f"the packaged live vector of {task!r} was made on {made!r}, not {spec!r}")
            vectors.append(np.asarray(live.embedding[live.tasks.index(task)]))
        record = {**meta["task2vec"], "source": "t2s_env/data/live_task2vec.npz (the live probe; "
                  "the vectors Task2Sim-Live-v0 observes on these tasks)",
                  "built_by": meta.get("built_by"), "commit": meta.get("commit")}  # fmt: skip
        return vectors, record
    store = RewardStore(store_path)
    config = config_record(Task2VecConfig(**EMBEDDING, device="cpu"))  # type: ignore[arg-type]
    vectors = []
    for task, spec in table.tasks.items():
        method = json.dumps(
            {"dataset": DatasetSpec.parse(spec).identity, "task2vec": config}, sort_keys=True
        )
        vector = store.get_embedding(task, method)
        if vector is None:
            sys.exit(f"no Task2Vec vector of {task!r} in {store_path}: run `embed` first")
        vectors.append(vector)
    record = {
        **EMBEDDING,
        "procedure": "reference (t2s_env.task2vec defaults otherwise)",
        "note": "random probe: not comparable with the paper's ImageNet-probe vectors",
    }
    return vectors, record


def _commit(pinned: str | None = None) -> str:
    if pinned:
        return pinned
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


def package(
    store_path: Path, out: Path, dest: Path, table: Table = TABLE, commit: str | None = None
) -> None:
    rows = read_measurements(out / "measurements.csv")
    for field in ("recipe", "simulator_version"):
        values = sorted({r[field] for r in rows})
        if len(values) != 1:
            sys.exit(f"measurements.csv mixes {field}s {values}: package one at a time")
    arrays = table_arrays(rows, table)
    missing = ~np.isfinite(arrays["reward"]).any(axis=1)
    if missing.any():
        sys.exit(
            f"{int(missing.sum())} (task, configuration) cells have no measurement yet "
            f"({int(missing.any(axis=0).sum())} configurations); run the sweep further"
        )
    vectors, task2vec = table_vectors(store_path, table)
    created = [float(r["created"]) for r in rows if r.get("created")]
    day = lambda t: datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    measured = np.isfinite(arrays["reward"])
    provenance = {
        "what": f"5-NN top-1 accuracy (fraction) of a backbone pre-trained with the "
        f"`{table.recipe}` recipe on images rendered by the embedded simulator with each "
        "configuration, per seed",
        "recipe": rows[0]["recipe"],
        "simulator": "embedded",
        "simulator_version": rows[0]["simulator_version"],
        "commit": _commit(commit),
        "machine": _machine(),
        "measured": f"{day(min(created))} to {day(max(created))} UTC" if created else "unknown",
        "measurements": int(measured.sum()),
        "backbones": len({(r["config"], r["seed"]) for r in rows}),
        "seeds_per_cell": {
            str(n): int(c)
            for n, c in zip(*np.unique(measured.sum(axis=1), return_counts=True), strict=True)
        },  # fmt: skip
        "tasks": dict(table.tasks),
        "task2vec": task2vec,
        "source": f"benchmarks/results/{table.out.name}/measurements.csv",
        "built_by": "python benchmarks/cpu_table.py package"
        + ("" if table is TABLES["cpu-v0"] else f" --table {table.name}"),
    }
    if table.curves:
        cost = arrays["cost_seconds"]
        with_cost = np.isfinite(cost)
        per_cell = {}
        for r in rows:
            if r["cpu_seconds"]:
                per_cell.setdefault((r["seed"], r["config"]), set()).add(r["cpu_seconds"])
        from t2s_env.pretrain import get_recipe

        recipe = get_recipe(table.recipe)
        if recipe.id != rows[0]["recipe"]:
            sys.exit(f"the export was measured with {rows[0]['recipe']}; this checkout's "
                     f"{table.recipe} is {recipe.id}")  # fmt: skip
        provenance["fidelities"] = {
            "epochs": arrays["fidelities"].tolist(),
            "curve_test_max": recipe.curve_test_max,
            "curve_test_max_note": "None: every curve point scored on the full test sets; N: "
            "the points before the last on a class-balanced subset of at most N test images",
            "what": "curves[t, s, c, f]: the 5-NN accuracy of cell (s, c)'s backbone on task t "
            "after fidelities[f] epochs of its one pre-training (scored during it on the full "
            "k-NN memory and test set; the training is unchanged by it); curves[..., -1] is "
            "reward",
        }
        provenance["cost_seconds"] = {
            "what": "CPU seconds (one torch thread, time.process_time) of the pre-training job "
            "of cell (s, c): render, training, the curve scoring and the final scoring of "
            "every task of the job",
            "cells": int(with_cost.sum()),
            "median": round(float(np.median(cost[with_cost])), 2) if with_cost.any() else None,
            "cells_from_several_jobs": sum(len(v) > 1 for v in per_cell.values()),
        }
    split = {k: list(v) for k, v in live_task_split(table.tasks).items()}
    np.savez_compressed(dest / f"{table.stem}.npz", **arrays,
                        embedding=np.stack(vectors).astype(np.float32))  # fmt: skip
    (dest / f"{table.stem}.json").write_text(
        json.dumps({"split": split, "provenance": provenance}, indent=2) + "\n"
    )
    print(f"wrote {dest / table.stem}.npz and {table.stem}.json: {provenance['measurements']} "
          f"measurements, seeds per cell {provenance['seeds_per_cell']}")  # fmt: skip


def untrained(dest: Path, table: Table = TABLE) -> None:
    """Score each seed's untrained backbone on the table's tasks (see the docstring): v0's on
    the packaged table's tasks and seeds, others' on their tasks and :attr:`Table.seeds` (so
    that the reference exists before the table is packaged)."""
    import torch

    from t2s_env.pipeline import prepare_task, score_model
    from t2s_env.pretrain import build_backbone, get_recipe

    if table is TABLES["cpu-v0"]:
        from t2s_env.data import load_cpu_table

        packaged = load_cpu_table()
        recipe_id, seeds = packaged.provenance["recipe"], packaged.seeds
        names, specs = packaged.tasks, packaged.provenance["tasks"]
        unseen_names = packaged.split["unseen"]
        what_table = "cpu_table.npz (the same tasks, their samples and the same seeds)"
        name = "cpu_table_untrained.json"
    else:
        recipe_id, seeds = get_recipe(table.recipe).id, table.seeds
        names, specs = tuple(table.tasks), table.tasks
        unseen_names = live_task_split(table.tasks)["unseen"]
        what_table = (f"{table.stem}.npz ({table.name}: the same tasks, their samples; seeds "
                      f"{', '.join(map(str, seeds))})")  # fmt: skip
        name = f"{table.stem}_untrained.json"
    recipe = get_recipe(recipe_id.split("@")[0])
    if recipe.id != recipe_id:
        sys.exit(f"the table was measured with recipe {recipe_id}, this checkout has {recipe.id}")
    # train_backbone builds the model with a head over the rendered classes (all recipe.classes
    # are rendered); the head's size changes the draws of the trunk's initialisation
    classes = max(int(recipe.classes), 2)
    tasks = {t: DatasetSpec.parse(specs[t]) for t in names}
    t0 = time.process_time()
    accuracy = []
    for task, spec in tasks.items():
        prepared = prepare_task(spec, recipe)
        row = []
        for seed in seeds:
            model = build_backbone(recipe.arch, classes, seed).eval()
            acc, _ = score_model(model, prepared, recipe, torch.device("cpu"), progress=False)
            row.append(float(acc))
        accuracy.append(row)
        print(
            f"{task}: "
            + ", ".join(f"seed {s} {100 * a:.2f} %" for s, a in zip(seeds, row, strict=True))
        )
    out = {
        "tasks": list(names),
        "seeds": list(seeds),
        "accuracy": accuracy,
        "provenance": {
            "what": "5-NN top-1 accuracy (fraction) of the recipe's backbone as each seed "
            "initialises it, never pre-trained, per task (rows) and seed (columns)",
            "recipe": recipe.id,
            "arch": recipe.arch,
            "head_classes": classes,
            "initialisation": f"build_backbone({recipe.arch!r}, {classes}, seed), as "
            "train_backbone builds it before pre-training",
            "table": what_table,
            "tasks": {t: specs[t] for t in names},
            "torch": torch.__version__,
            "commit": _commit(),
            "machine": _machine(),
            "measured": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu_seconds": round(time.process_time() - t0, 1),
            "built_by": "python benchmarks/cpu_table.py untrained"
            + ("" if table is TABLES["cpu-v0"] else f" --table {table.name}"),
        },
    }
    path = dest / name
    path.write_text(json.dumps(out, indent=2) + "\n")
    acc = 100 * np.array(accuracy)
    unseen = [names.index(t) for t in unseen_names]
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
    parser.add_argument("--table", default="cpu-v0", choices=sorted(TABLES))
    parser.add_argument("--store", help="the sweep's store (default: the table's rewards.sqlite)")
    parser.add_argument("--out", help="folder of the export (default: the table's)")
    parser.add_argument("--dest", default=str(PACKAGE), help="folder of the packaged table")
    parser.add_argument("--commit", help="the commit to record (default: this checkout's HEAD)")
    args = parser.parse_args()
    table = TABLES[args.table]
    out = Path(args.out or table.out)
    store = args.store or str(table.out / "rewards.sqlite")
    out.mkdir(parents=True, exist_ok=True)
    if args.step == "export":
        export(RewardStore(store), out, table)
    elif args.step == "import":
        n = import_measurements(out / "measurements.csv", RewardStore(store), table)
        print(f"imported {n} new measurements into {store}")
    elif args.step == "embed":
        if table.vectors == "live":
            sys.exit(f"embed: {table.name}'s vectors are the packaged live-probe ones "
                     "(t2s_env/data/live_task2vec.npz); nothing to embed")  # fmt: skip
        embed(Path(store), table)
    elif args.step == "untrained":
        untrained(Path(args.dest), table)
    else:
        package(Path(store), out, Path(args.dest), table, args.commit)


if __name__ == "__main__":
    main()
