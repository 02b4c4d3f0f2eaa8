"""``t2s train AGENT --env ID --seed N``: train one agent, log to TensorBoard, checkpoint, resume.

Also ``python -m agents.cli.train ...``.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Any


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """``["lr=0.01", "net_arch=[32,32]"]`` -> ``{"lr": 0.01, "net_arch": [32, 32]}``."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def add_parser(sub: argparse._SubParsersAction) -> None:
    from agents import AGENTS

    p = sub.add_parser("train", help="train an agent on a Task2Sim env (TensorBoard, checkpoints)")
    p.add_argument("agent", nargs="?", choices=sorted(AGENTS), help="agent name")
    p.add_argument(
        "--env", default="Task2Sim-Seen-v0", help="registered env id (default: %(default)s)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the agent and the task order")
    p.add_argument("--epochs", type=int, default=None, help="epochs (default: the agent's)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a hyperparameter")
    p.add_argument(
        "--logdir", default="runs", help="parent folder of run folders (default: %(default)s)"
    )
    p.add_argument(
        "--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its checkpoint"
    )
    p.add_argument("--checkpoint-every", type=int, default=100, help="epochs between checkpoints")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import gymnasium as gym
    import numpy as np

    import t2s_env
    from agents import DEFAULT_EPOCHS, make_agent
    from agents.training import run_name, train

    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "run.json").is_file():
            raise FileNotFoundError(f"{run_dir} is not a t2s run folder (no run.json)")
        info = json.loads((run_dir / "run.json").read_text())
        if args.epochs is not None:
            info["epochs"] = args.epochs
    else:
        if args.agent is None:
            raise ValueError("name an AGENT (or --resume RUN_DIR)")
        env_id = args.env.split(":")[-1]
        if env_id not in t2s_env.ENV_IDS:
            raise ValueError(f"unknown env {args.env!r}; choose from {sorted(t2s_env.ENV_IDS)}")
        info = {
            "agent": args.agent,
            "env": env_id,
            "seed": args.seed,
            "epochs": args.epochs if args.epochs is not None else DEFAULT_EPOCHS[args.agent],
            "overrides": parse_overrides(args.set),
        }
        run_dir = Path(args.logdir) / run_name(env_id, args.agent, args.seed)
        run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps(info, indent=2))
    agent = make_agent(info["agent"], seed=info["seed"], overrides=info["overrides"] or None)
    env = gym.make(f"t2s_env:{info['env']}")
    result = train(
        agent,
        env,
        epochs=int(info["epochs"]),
        seed=int(info["seed"]),
        run_dir=run_dir,
        checkpoint_every=args.checkpoint_every,
        resume=bool(args.resume),
        progress=not args.no_progress,
    )
    h = result.history
    if h["greedy_reward"]:
        print(
            f"{info['agent']} on {info['env']} (seed {info['seed']}): answer accuracy "
            f"{100 * h['greedy_reward'][-1]:.2f}% (simple regret {100 * h['simple_regret'][-1]:.2f} "
            f"points), {h['reward_queries'][-1]} reward queries, {h['distinct_evaluations'][-1]} "
            f"distinct evaluations, {result.seconds:.1f} s"
        )
    base = env.unwrapped
    obs = np.stack([base.task_observation(t) for t in base.tasks]).astype(np.float64)
    for t, a in zip(base.tasks, agent.act(obs, deterministic=True), strict=True):
        print(f"  {t:<18} {base.space.action_to_key(a)}")
    print(f"run folder: {run_dir}  (tensorboard --logdir {run_dir.parent})")
    return 0


if __name__ == "__main__":
    from agents.cli import main

    sys.exit(main(["train", *sys.argv[1:]]))
