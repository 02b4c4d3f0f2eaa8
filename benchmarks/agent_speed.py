"""Wall-clock time of the paper's full training schedule (1,000 epochs, 12 seen tasks, batches of
4, 5 self-imitation steps per step from epoch 50) through the env, on one thread. Writes
``benchmarks/results/agent_speed.{json,md}``. Target: <= 20 s (the authors' code: ~1,030 s).

    OMP_NUM_THREADS=1 python benchmarks/agent_speed.py
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

from agents import make_agent
from agents.evaluation import answer_accuracy
from agents.training import train

RESULTS = Path(__file__).parent / "results"


def one_run(seed: int, overrides: dict | None = None) -> dict:
    env = gym.make("t2s_env:Task2Sim-Seen-v0")
    agent = make_agent("task2sim", seed=seed, overrides=overrides)
    t0 = time.perf_counter()
    result = train(agent, env, epochs=1000, seed=seed, progress=False)
    seconds = time.perf_counter() - t0
    source = env.unwrapped.reward_source
    return {
        "seconds": seconds,
        "seen": float(answer_accuracy(agent, source, env.unwrapped.tasks).mean()),
        "reward_queries": result.history["reward_queries"][-1],
        "distinct_evaluations": result.history["distinct_evaluations"][-1],
    }


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = [one_run(seed) for seed in range(3)]
    requery = one_run(0, {"reuse_measurements": False})
    out = {
        "median_seconds": float(np.median([r["seconds"] for r in runs])),
        "runs": runs,
        "requery_every_greedy_baseline": requery,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
    }
    (RESULTS / "agent_speed.json").write_text(json.dumps(out, indent=2))
    md = (
        "# The paper's agent: full schedule wall-clock\n\n"
        "`OMP_NUM_THREADS=1 python benchmarks/agent_speed.py` (1,000 epochs x 3 batches, 5 "
        "self-imitation steps per batch from epoch 50, every query through the env)\n\n"
        "| run | seconds | seen accuracy | reward queries | distinct evaluations |\n|---|---|---|---|---|\n"
    )
    for i, r in enumerate(runs):
        md += f"| seed {i} | {r['seconds']:.1f} | {r['seen']:.2f} | {r['reward_queries']} | {r['distinct_evaluations']} |\n"
    r = requery
    md += (
        f"| seed 0, re-querying every greedy baseline | {r['seconds']:.1f} | {r['seen']:.2f} | "
        f"{r['reward_queries']} | {r['distinct_evaluations']} |\n\n"
        f"Median {out['median_seconds']:.1f} s on {out['cpus']} shared CPU cores "
        f"(authors' released code: ~1,030 s).\n"
    )
    (RESULTS / "agent_speed.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
