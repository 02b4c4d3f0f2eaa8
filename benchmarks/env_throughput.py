"""Environment throughput: rewarded steps per second of the Task2Sim envs against a numpy floor.

Measures (reset + step, random actions, the paper's table, 12 seen tasks):
- the single env through ``gym.make`` (with Gymnasium's default wrappers);
- Gymnasium's ``SyncVectorEnv`` over single envs (default next-step autoreset: every other
  call only resets a one-step env, so only half of its transitions earn a reward);
- the native ``Task2SimVectorEnv`` (same-step autoreset) at several batch sizes;
- the numpy floor: numpy alone doing the same work per batch (drawing tasks, gathering the
  observation rows and rewards into fresh arrays).

Writes ``benchmarks/results/env_throughput.{json,md}``.
Run: ``python benchmarks/env_throughput.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import t2s_env  # noqa: F401  (registers the envs)
from t2s_env.rewards import TableRewardSource

RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn, min_time: float, trials: int = 5) -> float:
    """Rewarded steps per second of ``fn`` (which returns the rewarded steps it made).

    The best of ``trials`` runs of ``min_time / trials`` seconds each, so that a busy machine
    disturbs the figure less.
    """
    fn()  # warm-up
    best = 0.0
    for _ in range(trials):
        steps, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < min_time / trials:
            steps += fn()
        best = max(best, steps / elapsed)
    return best


def single_env(min_time: float) -> float:
    env = gym.make("Task2Sim-Seen-v0")
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, size=(1000, 8))

    def run() -> int:
        for a in actions:
            env.reset()
            env.step(a)
        return len(actions)

    return timed(run, min_time)


def sync_vector(batch: int, min_time: float) -> float:
    envs = gym.make_vec("Task2Sim-Seen-v0", num_envs=batch, vectorization_mode="sync")
    envs.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, size=(20, batch, 8))

    def run() -> int:
        rewarded = 0
        for a in actions:
            _, _, terminated, _, _ = envs.step(a)
            rewarded += int(terminated.sum())  # reset-only calls terminate nothing
        return rewarded

    return timed(run, min_time)


def native_vector(batch: int, min_time: float) -> float:
    envs = gym.make_vec("Task2Sim-Seen-v0", num_envs=batch, vectorization_mode="vector_entry_point")
    envs.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, size=(20, batch, 8))

    def run() -> int:
        for a in actions:
            envs.step(a)
        return len(actions) * batch

    return timed(run, min_time)


def numpy_floor(batch: int, min_time: float) -> float:
    source = TableRewardSource()
    rows = [source.task_index(t) for t in source.tasks if source.split(t) == "seen"]
    obs_table = source.embeddings[rows] / np.linalg.norm(
        source.embeddings[rows], axis=1, keepdims=True
    )
    reward_table = source.rewards[rows]
    rng = np.random.default_rng(0)
    strides = 2 ** np.arange(7, -1, -1)
    actions = rng.integers(0, 2, size=(20, batch, 8))

    def run() -> int:
        for a in actions:
            task = rng.integers(len(rows), size=batch)
            _obs = obs_table[task]
            _rewards = reward_table[task, a @ strides]
        return len(actions) * batch

    return timed(run, min_time)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds per measurement")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256, 1024])
    args = parser.parse_args()

    rows = [{"env": "gym.make single env", "batch": 1, "steps_per_s": single_env(args.min_time)}]
    for b in args.batches:
        floor = numpy_floor(b, args.min_time)
        native = native_vector(b, args.min_time)
        rows.append(
            {
                "env": "SyncVectorEnv (next-step autoreset)",
                "batch": b,
                "steps_per_s": sync_vector(b, args.min_time) if b <= 256 else None,
            }
        )
        rows.append(
            {
                "env": "Task2SimVectorEnv (native)",
                "batch": b,
                "steps_per_s": native,
                "fraction_of_floor": native / floor,
            }
        )
        rows.append({"env": "numpy floor", "batch": b, "steps_per_s": floor})
        print(
            f"batch {b:5d}: native {native:12,.0f}/s  floor {floor:12,.0f}/s  ({native / floor:.2f})"
        )
    target = next(r for r in rows if r["env"].startswith("Task2SimVectorEnv") and r["batch"] == 256)
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "unit": "rewarded (reset + step) transitions per second",
        "rows": rows,
        "target": "native vector env at batch 256 >= 0.5 x numpy floor",
        "target_met": bool(target["fraction_of_floor"] >= 0.5),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "env_throughput.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = ["| env | batch | rewarded steps/s | of numpy floor |", "|---|---:|---:|---:|"]
    for r in rows:
        sps = "n/a" if r["steps_per_s"] is None else f"{r['steps_per_s']:,.0f}"
        frac = f"{r['fraction_of_floor']:.2f}" if "fraction_of_floor" in r else ""
        lines.append(f"| {r['env']} | {r['batch']} | {sps} | {frac} |")
    (RESULTS / "env_throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"target met: {result['target_met']}")


if __name__ == "__main__":
    main()
