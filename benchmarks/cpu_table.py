"""The measured CPU table (all 256 paper configurations x 2 seeds, every live task, the `cpu`
recipe), grown across sessions: run the sweep, then export what the store holds.

    # resumable; each finished backbone is scored on the 8 live tasks and stored
    OMP_NUM_THREADS=1 t2s sweep --tasks fmnist-20shot fmnist-tops fmnist-shoes digits-10shot \\
        digits-0to4 fmnist-5shot fmnist-wear digits-5to9 --configs all --recipe cpu --seeds 0 1 \\
        --workers 2 --store benchmarks/results/cpu_table/rewards.sqlite
    python benchmarks/cpu_table.py        # writes benchmarks/results/cpu_table/measurements.csv

The CSV (one row per measurement: task, configuration key, seed, accuracy as a fraction,
backbone id, simulator version, recipe id) is the committed export of the store, which itself
is not committed (``*.sqlite`` is ignored): a later session rebuilds the store from nothing by
rerunning the sweep, or reads the CSV. ``status.md`` says how far the table is.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from t2s_env.rewards.store import RewardStore
from t2s_env.space import PAPER_SPACE

OUT = Path(__file__).resolve().parent / "results" / "cpu_table"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=str(OUT / "rewards.sqlite"))
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = sorted(
        (e for e in RewardStore(args.store).evaluations() if e.key.recipe.startswith("cpu@")),
        key=lambda e: (e.key.seed, e.key.config, e.key.task),
    )
    with open(out / "measurements.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["task", "config", "seed", "accuracy", "backbone", "simulator_version", "recipe"]
        )
        for e in rows:
            k = e.key
            w.writerow([k.task, k.config, k.seed, f"{e.accuracy:.6f}", e.backbone,
                        k.simulator_version, k.recipe])  # fmt: skip
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
        "Written by `python benchmarks/cpu_table.py` from the sweep's store.",
    ]
    (out / "status.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'measurements.csv'} ({len(rows)} rows) and {out / 'status.md'}")


if __name__ == "__main__":
    main()
