"""RLlib PPO on ``Task2Sim-Seen-v0``: a few training iterations, timed and scored.

RLlib pins its own gymnasium (``ray[rllib]`` 2.60 wants ``gymnasium==1.2.2``), so run this in a
scratch venv rather than the project's environment::

    python -m venv --system-site-packages /tmp/venv-rllib
    /tmp/venv-rllib/bin/pip install -c constraints.txt "ray[rllib]"
    OMP_NUM_THREADS=1 /tmp/venv-rllib/bin/python benchmarks/rllib_ppo.py

Writes ``benchmarks/results/rllib_ppo.{json,md}``: per iteration the env steps sampled (reward
queries), the mean episode reward (downstream 5-NN accuracy, %) and the wall time (s); then the
greedy answer's accuracy per seen task, against the per-task best.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import gymnasium as gym
    import ray
    import torch
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.columns import Columns
    from ray.tune.registry import register_env

    import t2s_env
    from t2s_env import Task2SimEnv

    # the string id works too (gym.make("Task2Sim-Seen-v0") inside RLlib's env runners); a
    # registered creator also carries the env's keyword arguments in ``env_config``
    register_env("task2sim", lambda cfg: Task2SimEnv(**cfg))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    config = (
        PPOConfig()
        .environment("task2sim", env_config={"tasks": "seen"})
        .env_runners(num_env_runners=0, num_envs_per_env_runner=8)
        .training(
            train_batch_size_per_learner=512,
            minibatch_size=128,
            num_epochs=5,
            lr=3e-4,
            gamma=0.0,
            entropy_coeff=0.0,
        )
        .rl_module(model_config={"fcnet_hiddens": [64, 64]})
        .debugging(seed=args.seed)
    )
    t0 = time.perf_counter()
    algo = config.build_algo()
    build_s = time.perf_counter() - t0
    rows = []
    for i in range(args.iterations):
        t = time.perf_counter()
        result = algo.train()
        runners = result["env_runners"]
        rows.append(
            {
                "iteration": i + 1,
                "env_steps": int(runners["num_env_steps_sampled_lifetime"]),
                "episode_reward_pct": 100 * float(runners["episode_return_mean"]),
                "seconds": time.perf_counter() - t,
            }
        )
        print(rows[-1], flush=True)

    # the greedy answer per task: the most probable option of each knob
    env = gym.make("Task2Sim-Seen-v0").unwrapped
    module = algo.get_module()
    obs = np.stack([env.task_observation(t) for t in env.tasks])
    with torch.no_grad():
        logits = module.forward_inference({Columns.OBS: torch.as_tensor(obs)})[
            Columns.ACTION_DIST_INPUTS
        ].numpy()
    nvec = env.space.nvec
    actions = np.stack(
        [chunk.argmax(1) for chunk in np.split(logits, np.cumsum(nvec)[:-1], axis=1)], axis=1
    )
    source = env.reward_source
    answer = [
        source.reward(t, env.space.action_to_dict(a))
        for t, a in zip(env.tasks, actions, strict=True)
    ]
    best = [source.best_reward(t) for t in env.tasks]
    algo.stop()
    ray.shutdown()

    out = {
        "env": "Task2Sim-Seen-v0",
        "algo": "RLlib PPO (new API stack), 8 envs, 512 steps per iteration",
        "versions": {
            "ray": ray.__version__,
            "gymnasium": gym.__version__,
            "torch": torch.__version__,
            "t2s_env": t2s_env.__version__,
        },
        "build_seconds": build_s,
        "iterations": rows,
        "greedy_accuracy_pct": 100 * float(np.mean(answer)),
        "per_task_best_pct": 100 * float(np.mean(best)),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rllib_ppo.json").write_text(json.dumps(out, indent=2))
    lines = [
        f"# RLlib PPO on Task2Sim-Seen-v0 (ray {ray.__version__}, gymnasium {gym.__version__})",
        "",
        f"`OMP_NUM_THREADS=1 python benchmarks/rllib_ppo.py --iterations {args.iterations}` "
        "in a scratch venv with `ray[rllib]`; CPU only, 2 cores shared with other jobs.",
        f"Building the algorithm (local env runner, 8 envs): {build_s:.1f} s.",
        "",
        "| iteration | env steps (reward queries) | mean episode reward (accuracy, %) | time (s) |",
        "|---:|---:|---:|---:|",
        *(
            f"| {r['iteration']} | {r['env_steps']:,} | {r['episode_reward_pct']:.2f} | "
            f"{r['seconds']:.1f} |"
            for r in rows
        ),
        "",
        f"Greedy answer after {args.iterations} iterations: {out['greedy_accuracy_pct']:.2f} % "
        f"mean accuracy over the 12 seen tasks (per-task best {out['per_task_best_pct']:.2f} %).",
    ]
    (RESULTS / "rllib_ppo.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
