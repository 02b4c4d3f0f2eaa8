"""How long the CPU-second few-shot protocol takes on a table of ``Task2Sim-CPU-v1``'s size, with
each entry fitting its own inner advisor and with the fits shared (``share_fits``).

    OMP_NUM_THREADS=1 python benchmarks/costloop_speed.py

A seeded synthetic table of the real one's shape (26 tasks, 15 seen / 11 unseen; the 256
configurations; 3 complete seeds, each an observation seed; fidelities 0.5 / 1 / 2 epochs;
25-45 CPU s per pre-training; 9,600-number Task2Vec vectors) stands in for it: the time is
the ``gp`` advisor's nested selection (one per fit, proportional to the training tasks) and the
advisors' runs, neither of which depends much on the values. One fold x one observation seed
of each split is timed both ways for the entries of the two commands that run the protocol
(``benchmarks/cpu_env.py fewshot --budget-pretrainings 1,2,4,8 --seeds 5`` and
``benchmarks/mf_advisors.py``, 1 seed), the kept configurations are checked to be the same,
and the whole commands are projected (folds x observation seeds x the fold's time).
``--whole seen-unseen`` also runs :func:`~agents.advisor.costloop.held_out_cost_fewshot` on that
split end to end, shared, to check the projection.

Writes ``<out>/costloop_speed.{md,json}`` (``--out``: ``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from agents.advisor import Budget, make_multi_fidelity_advisor
from agents.advisor.costloop import CurveTable, fit_advisor, held_out_cost_fewshot, run_cost_budget
from agents.advisor.gp import knob_features
from agents.advisor.multifidelity import CostModel
from t2s_env.space import PAPER_SPACE

RESULTS = Path(__file__).resolve().parent / "results"
UNITS = (1, 2, 4, 8)
"""Budgets in full pre-trainings (the commands' ``--budget-pretrainings 1,2,4,8``)."""


def synthetic_v1(seed: int = 0) -> CurveTable:
    """A table of ``Task2Sim-CPU-v1``'s shape: task families with their own knob effects, seed
    noise, learning curves that rank the configurations less well at lower fidelity."""
    rng = np.random.default_rng(seed)
    keys = tuple(PAPER_SPACE.all_keys())
    main, _ = knob_features(keys)
    n_t, n_s, n_fam = 26, 3, 4
    family = rng.integers(0, n_fam, n_t)
    effects = rng.normal(0, 1, (n_fam, main.shape[1]))[family]
    effects += 0.5 * rng.normal(0, 1, effects.shape)
    quality = 0.6 + 0.03 * effects @ main.T / np.sqrt(main.shape[1])
    quality += 0.01 * rng.normal(0, 1, quality.shape)
    final = quality[:, None] + 0.02 * rng.normal(0, 1, (n_t, n_s, len(keys)))
    curves = np.stack(
        [0.3 + 0.4 * final + 0.02 * rng.normal(0, 1, final.shape),
         0.1 + 0.8 * final + 0.015 * rng.normal(0, 1, final.shape), final], axis=-1
    )  # fmt: skip
    cost = rng.uniform(25.0, 45.0, (n_s, len(keys)))
    emb = np.abs(rng.normal(0, 1, (n_fam, 9600)))[family]
    emb += 0.3 * np.abs(rng.normal(0, 1, emb.shape))
    tasks = tuple(f"task{i}" for i in range(n_t))
    splits = {t: "seen" if i < 15 else "unseen" for i, t in enumerate(tasks)}
    untrained = 0.4 + 0.01 * rng.normal(0, 1, (n_t, n_s))
    return CurveTable(tasks, keys, (0.5, 1.0, 2.0), curves, cost, emb, untrained, splits)


def cpu_env_entries() -> dict:
    """The entries of ``benchmarks/cpu_env.py fewshot --budget-pretrainings``."""
    mf = make_multi_fidelity_advisor
    return {
        "successive-halving (eta 2)": lambda seed: mf("successive-halving", seed),
        "successive-halving (eta 3)": lambda seed: mf("successive-halving", seed, eta=3),
        "screen-top-k": lambda seed: mf("screen-top-k", seed),
        "gp, fully trained": lambda seed: mf("gp", seed),
        "random-distinct, fully trained": lambda seed: mf("random-distinct", seed),
    }


def mf_advisors_entries() -> dict:
    """The entries of ``benchmarks/mf_advisors.py`` (inner ``gp``)."""
    mf = make_multi_fidelity_advisor
    return {
        "hyperband": lambda seed: mf("hyperband", seed),
        "mf-gp": lambda seed: mf("mf-gp", seed),
        "mf-gp (one halving bracket)": lambda seed: mf("mf-gp", seed, schedule="halving"),
        "successive-halving": lambda seed: mf("successive-halving", seed),
        "screen-top-k": lambda seed: mf("screen-top-k", seed),
        "gp, fully trained": lambda seed: mf("gp", seed),
        "random-distinct, fully trained": lambda seed: mf("random-distinct", seed),
    }


def one_fold(table: CurveTable, entries: dict, seeds: int, split: str, share: bool):
    """CPU seconds of this process for the first fold of ``split`` on observation seed 0
    (every entry x advisor seed x budget), and the configurations kept."""
    train, t = table.folds(split)[0]
    costs = CostModel(table.fidelities, table.cost_seconds[0], table.keys)
    budgets = [Budget(seconds=u * table.full_cost()) for u in UNITS]
    shared = {} if share else None
    kept = []
    t0 = time.process_time()
    for factory in entries.values():
        for seed in range(seeds):
            adv = fit_advisor(factory(seed), table, train, 0, shared)
            for b in budgets:
                kept.append(run_cost_budget(adv, table.embeddings[t], table.curves[t, 0], costs, b).kept)  # fmt: skip
    return time.process_time() - t0, kept


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--whole", choices=["seen-unseen", "loto"], default=None)
    args = ap.parse_args()
    command = "OMP_NUM_THREADS=1 python benchmarks/costloop_speed.py" + (
        f" --whole {args.whole}" if args.whole else ""
    )
    table = synthetic_v1()
    n_obs = len(table.observation_seeds())
    commands = {
        "cpu_env.py fewshot --budget-pretrainings 1,2,4,8 --seeds 5": (cpu_env_entries(), 5),
        "mf_advisors.py --budgets 1,2,4,8 --seeds 1": (mf_advisors_entries(), 1),
    }
    rows = []
    record = {"command": command, "machine": platform.machine(), "commands": {}}
    for timed, (entries, seeds) in commands.items():
        fold = {}
        for split in ("loto", "seen-unseen"):
            per_entry, kept_a = one_fold(table, entries, seeds, split, share=False)
            shared, kept_b = one_fold(table, entries, seeds, split, share=True)
            if kept_a != kept_b:
                raise AssertionError(f"{timed} {split}: shared fits kept other configurations")
            n = len(table.folds(split)) * n_obs
            fold[split] = {"per_entry_fold_s": per_entry, "shared_fold_s": shared, "folds": n}
            print(f"{timed} [{split}]: one fold {per_entry:.1f} CPU s per entry, {shared:.1f} "
                  f"CPU s shared; x {n} folds", flush=True)  # fmt: skip
        total = {k: sum(f[f"{k}_fold_s"] * f["folds"] for f in fold.values()) / 60
                 for k in ("per_entry", "shared")}  # fmt: skip
        record["commands"][timed] = {"splits": fold, "projected_minutes": total}
        rows.append(f"| `{timed}` | {total['per_entry']:.0f} | {total['shared']:.1f} |")
    lines = [
        "# The CPU-second few-shot protocol: time on a table of Task2Sim-CPU-v1's size",
        "",
        f"`{command}` (CPU time of one process, one thread, on "
        "a synthetic table of the real one's shape: 26 tasks, 15 seen / 11 unseen, 256 "
        f"configurations, {n_obs} observation seeds, fidelities 0.5/1/2). Projected from one "
        "fold x one observation seed of each split; the kept configurations are the same both "
        "ways.",
        "",
        "| command | CPU minutes, each entry fits its own `gp` | CPU minutes, fits shared |",
        "|---|---|---|",
        *rows,
    ]
    if args.whole:
        entries, seeds = commands["cpu_env.py fewshot --budget-pretrainings 1,2,4,8 --seeds 5"]
        budgets = [Budget(seconds=u * table.full_cost()) for u in UNITS]
        t0, w0 = time.process_time(), time.perf_counter()
        held_out_cost_fewshot(entries, table, budgets, args.whole, range(seeds))
        whole, wall = time.process_time() - t0, time.perf_counter() - w0
        f = record["commands"]["cpu_env.py fewshot --budget-pretrainings 1,2,4,8 --seeds 5"]
        projected = f["splits"][args.whole]["shared_fold_s"] * f["splits"][args.whole]["folds"]
        record["whole"] = {
            "split": args.whole,
            "cpu_s": whole,
            "wall_s": wall,
            "projected": projected,
        }
        lines += ["", f"Check: the `cpu_env.py fewshot` entries on the whole `{args.whole}` split, "
                  f"shared: {whole:.0f} CPU s (projected {projected:.0f} CPU s), {wall:.0f} s "
                  "wall-clock on this machine while other work ran."]  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "costloop_speed.json").write_text(json.dumps(record, indent=2))
    (args.out / "costloop_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
