"""The multi-fidelity advisors side by side on a replicate table with learning curves: the
few-shot protocol on a CPU-second budget (``agents.advisor.costloop.held_out_cost_fewshot``,
held-out-seed scoring, as fractions of the cross-seed per-task best, beside the untrained
backbone when the table has it), leave-one-task-out and seen -> unseen.

    OMP_NUM_THREADS=1 python benchmarks/mf_advisors.py --table-file PATH.npz

Entries: ``hyperband`` and ``mf-gp`` (``agents.advisor.hyperband``), successive halving and
screen-top-k (arXiv 2307.15422) over the same inner advisor's candidates, the inner advisor
fully trained (``gp``: the single-fidelity baseline) and random configurations fully trained.
Budgets are in full pre-trainings (multiples of the table's median CPU seconds of one):
``--budgets 1,2,4,8`` by default. Also written: how well one seed's value at each fidelity
ranks the configurations by the other seeds' final reward (``held_out_rank``), and the
per-fidelity slope and noise ``mf-gp`` learns (fitted on every task of each observation seed,
for the record; each fold fits on its training tasks only).

Writes ``<out>/<stem>_mf_advisors.{md,json}`` (``--out``: ``benchmarks/results`` by default).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from agents.advisor import Budget, make_multi_fidelity_advisor
from agents.advisor.costloop import CurveTable, cost_fewshot_markdown, held_out_cost_fewshot
from agents.advisor.hyperband import fidelity_map
from t2s_env.data import DataFileError
from t2s_env.rewards import ReplicateRewardSource
from t2s_env.rewards.signal import held_out_rank

RESULTS = Path(__file__).resolve().parent / "results"
SPLITS = ("loto", "seen-unseen")


def entries(inner: str) -> dict:
    """``{name: factory(seed)}`` of the compared advisors on the inner advisor ``inner``."""
    mf = make_multi_fidelity_advisor
    return {
        "hyperband": lambda seed: mf("hyperband", seed, inner=inner),
        "mf-gp": lambda seed: mf("mf-gp", seed, inner=inner),
        "mf-gp (one halving bracket)": lambda seed: mf(
            "mf-gp", seed, inner=inner, schedule="halving"
        ),
        "successive-halving": lambda seed: mf("successive-halving", seed, inner=inner),
        "screen-top-k": lambda seed: mf("screen-top-k", seed, inner=inner),
        f"{inner}, fully trained": lambda seed: mf(inner, seed),
        "random-distinct, fully trained": lambda seed: mf("random-distinct", seed),
    }


def run(table_file: Path, out: Path, budgets: list[float], inner: str, seeds: int) -> Path:
    """Every entry on both splits; returns the markdown's path."""
    source = ReplicateRewardSource.from_file(table_file)
    table = CurveTable.from_source(source)
    command = (
        f"OMP_NUM_THREADS=1 python benchmarks/mf_advisors.py --table-file {table_file} "
        f"--budgets {','.join(f'{b:g}' for b in budgets)} --inner {inner} --seeds {seeds}"
    )
    budget_list = [Budget(seconds=b * table.full_cost()) for b in budgets]
    t0 = time.perf_counter()
    results: dict = {"command": command, "table": source.provenance}
    parts = []
    for split in SPLITS:
        try:
            table.folds(split)
        except ValueError as err:  # a table without a seen/unseen split
            parts.append(f"## {split}\n\n{err}")
            continue
        results[split] = held_out_cost_fewshot(
            entries(inner), table, budget_list, split, range(seeds)
        )
        parts.append(f"## {split}\n\n" + cost_fewshot_markdown(results[split]))
    results["wall_seconds"] = time.perf_counter() - t0
    ranks = [held_out_rank(table.curves, f) for f in range(len(table.fidelities))]
    maps = [fidelity_map(table.curves[:, s]) for s in table.observation_seeds()]
    results["fidelity_spearman"] = ranks
    results["fidelity_map"] = {
        "slope": np.mean([m[0] for m in maps], axis=0).tolist(),
        "noise": np.mean([m[1] for m in maps], axis=0).tolist(),
    }
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{Path(table_file).stem}_mf_advisors"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    fids = table.fidelities
    signal = ", ".join(f"{f:g}: {v:.2f}" for f, v in zip(fids, ranks, strict=True))
    fitted = ", ".join(
        f"{f:g}: {a:.2f} / {n:.4f}"
        for f, a, n in zip(
            fids, results["fidelity_map"]["slope"], results["fidelity_map"]["noise"], strict=True
        )
    )
    md = (
        f"# Multi-fidelity advisors on `{Path(table_file).name}`\n\n`{command}`\n\n"
        f"Held-out-seed Spearman of one seed's value at each fidelity (epochs) with the other "
        f"seeds' final reward: {signal}. The slope / noise SD (fraction) of each fidelity's "
        f"value against the final reward that `mf-gp` learns (all tasks, mean over seeds): "
        f"{fitted}.\n\n" + "\n\n".join(parts) + "\n"
    )
    stem.with_suffix(".md").write_text(md, encoding="utf-8")
    return stem.with_suffix(".md")


def parse_budgets(text: str) -> list[float]:
    try:
        budgets = [float(b) for b in text.split(",")]
    except ValueError:
        raise ValueError(f"--budgets must be comma-separated numbers, got {text!r}") from None
    if not budgets or not all(np.isfinite(b) and b > 0 for b in budgets):
        raise ValueError(f"--budgets must be numbers > 0, got {text!r}")
    return budgets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table-file", type=Path, required=True, help="a table .npz with curves")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--budgets", default="1,2,4,8", help="in full pre-trainings")
    parser.add_argument("--inner", default="gp", choices=("gp", "gp-fixed"))
    parser.add_argument("--seeds", type=int, default=1, help="advisor seeds (random uses them)")
    args = parser.parse_args(argv)
    try:
        if args.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
        path = run(args.table_file, args.out, parse_budgets(args.budgets), args.inner, args.seeds)
    except (ValueError, DataFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
