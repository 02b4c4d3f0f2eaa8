"""Reproduce the paper's comparison table: every agent trained on the 12 seen tasks, 5 seeds;
leave-one-task-out over the 20 tasks; sample efficiency. Writes
``benchmarks/results/paper_table.{md,json}``.

Each agent's result is cached in ``benchmarks/results/paper_table/<agent>.json`` so that agents
can be run in separate processes (``--agents``) and the table assembled at the end::

    OMP_NUM_THREADS=1 python benchmarks/paper_table.py                 # everything
    OMP_NUM_THREADS=1 python benchmarks/paper_table.py --agents task2sim --force
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from agents.cli.evaluate import PAPER_COMPARISON
from agents.evaluation import evaluate, to_markdown

RESULTS = Path(__file__).parent / "results"
NO_LOTO = ("ppo", "a2c")  # 20 x 12,000 SB3 steps: left out of leave-one-task-out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", default=",".join(PAPER_COMPARISON))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--force", action="store_true", help="re-run agents with a cached result")
    args = ap.parse_args()
    cache = RESULTS / "paper_table"
    cache.mkdir(parents=True, exist_ok=True)
    for name in args.agents.split(","):
        path = cache / f"{name}.json"
        if path.is_file() and not args.force:
            continue
        t0 = time.perf_counter()
        res = evaluate([name], seeds=range(args.seeds), loto=name not in NO_LOTO, progress=True)
        res["settings"]["wall_seconds"] = time.perf_counter() - t0
        path.write_text(json.dumps(res, indent=2))
        print(to_markdown(res))
    merged = {"agents": {}, "settings": None}
    for name in PAPER_COMPARISON:
        path = cache / f"{name}.json"
        if path.is_file():
            res = json.loads(path.read_text())
            merged["agents"][name] = res["agents"][name]
            merged["settings"] = merged["settings"] or res["settings"]
    merged["settings"]["epochs"] = {
        n: json.loads((cache / f"{n}.json").read_text())["settings"]["epochs"][n]
        for n in merged["agents"]
    }
    md = "# The paper's comparison, reproduced\n\n`OMP_NUM_THREADS=1 python benchmarks/paper_table.py`\n\n"
    md += to_markdown(merged)
    (RESULTS / "paper_table.md").write_text(md)
    (RESULTS / "paper_table.json").write_text(json.dumps(merged, indent=2))
    print(md)


if __name__ == "__main__":
    main()
