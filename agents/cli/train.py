"""``t2s train AGENT --env ID --seed N``: train one agent, log to TensorBoard, checkpoint, resume.

Also ``python -m agents.cli.train ...``.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from agents.cli import UsageError
from agents.cli.checks import at_least, input_file, output_dir, read_json_file


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """``["lr=0.01", "net_arch=[32,32]"]`` -> ``{"lr": 0.01, "net_arch": [32, 32]}``."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _kind_of(default: Any) -> tuple[tuple[type, ...], str]:
    if isinstance(default, bool):
        return (bool,), "True or False"
    if isinstance(default, int):
        return (int,), "an integer"
    if isinstance(default, float):
        return (int, float), "a number"
    if isinstance(default, (tuple, list)):
        return (tuple, list), "a list such as [64,64]"
    if isinstance(default, str):
        return (str,), "a string"
    return (object,), "a Python literal"


def check_overrides(agent: str, overrides: dict[str, Any], option: str = "--set") -> None:
    """Each override names a hyperparameter of ``agent`` and has its default's type."""
    from agents import agent_config_type, make_agent

    if not overrides:
        return
    cfg_type = agent_config_type(agent)
    known = {f.name for f in fields(cfg_type)} if cfg_type is not None else set()
    if not known:
        raise UsageError(f"{option}: agent {agent!r} has no hyperparameters to set")
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise UsageError(
            f"{option}: {agent!r} has no hyperparameter {unknown[0]!r}; it has {sorted(known)}"
        )
    defaults = make_agent(agent).config  # type: ignore[attr-defined]
    for key, value in overrides.items():
        types, what = _kind_of(getattr(defaults, key))
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise UsageError(f"{option} {key}={value!r}: {key} must be {what}")


def read_run_info(run_dir: str | Path, option: str) -> dict[str, Any]:
    """The ``run.json`` of a ``t2s train`` run folder, checked field by field."""
    import t2s_env
    from agents import AGENTS

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{option} {run_dir} is not a folder; give a run folder of t2s train")
    path = input_file(run_dir / "run.json", option, "a run folder of t2s train (with run.json)")
    info = read_json_file(path, option, "a t2s run record")
    what = f"{option}: {path} is not a t2s run record"
    if not isinstance(info, dict):
        raise UsageError(f"{what} (a JSON {type(info).__name__}, not an object)")
    if info.get("agent") not in AGENTS:
        raise UsageError(f"{what} (agent {info.get('agent')!r}; known: {sorted(AGENTS)})")
    if info.get("env") not in t2s_env.ENV_IDS:
        raise UsageError(f"{what} (env {info.get('env')!r}; known: {sorted(t2s_env.ENV_IDS)})")
    for key in ("seed", "epochs"):
        v = info.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or v < (0 if key == "seed" else 1):
            raise UsageError(
                f"{what} ({key} {v!r} is not an integer >= {0 if key == 'seed' else 1})"
            )
    if not isinstance(info.get("overrides") or {}, dict):
        raise UsageError(f"{what} (overrides {info.get('overrides')!r} is not an object)")
    check_overrides(
        info["agent"], info.get("overrides") or {}, option=f"{option} ({path} overrides)"
    )
    return info


def add_parser(sub: argparse._SubParsersAction) -> None:
    from agents import AGENTS

    p = sub.add_parser("train", help="train an agent on a Task2Sim env (TensorBoard, checkpoints)")
    p.add_argument("agent", nargs="?", choices=sorted(AGENTS), help="agent name")
    p.add_argument(
        "--env", default="Task2Sim-Seen-v0", help="registered env id (default: %(default)s)"
    )
    p.add_argument(
        "--seed", type=at_least(0), default=0, help="seed of the agent and the task order"
    )
    p.add_argument("--epochs", type=at_least(1), default=None, help="epochs (default: the agent's)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a hyperparameter")
    p.add_argument(
        "--logdir", default="runs", help="parent folder of run folders (default: %(default)s)"
    )
    p.add_argument(
        "--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its checkpoint"
    )
    p.add_argument(
        "--checkpoint-every", type=at_least(1), default=100, help="epochs between checkpoints"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    import gymnasium as gym
    import numpy as np

    import t2s_env
    from agents import DEFAULT_EPOCHS, make_agent
    from agents.base import load_checkpoint
    from agents.training import run_name, train

    if args.resume:
        run_dir = Path(args.resume)
        info = read_run_info(run_dir, "--resume")
        if args.epochs is not None:
            info["epochs"] = args.epochs
        output_dir(run_dir, "--resume")
        if (run_dir / "checkpoint.npz").is_file():  # a damaged or crafted one fails here, named
            probe = make_agent(
                info["agent"], seed=info["seed"], overrides=info["overrides"] or None
            )
            load_checkpoint(probe, run_dir / "checkpoint.npz")
        created = False
    else:
        if args.agent is None:
            raise UsageError("name an AGENT (or --resume RUN_DIR)")
        env_id = args.env.split(":")[-1]
        if env_id not in t2s_env.ENV_IDS:
            raise UsageError(
                f"unknown env {args.env!r} (--env); choose from {sorted(t2s_env.ENV_IDS)}"
            )
        info = {
            "agent": args.agent,
            "env": env_id,
            "seed": args.seed,
            "epochs": args.epochs if args.epochs is not None else DEFAULT_EPOCHS[args.agent],
            "overrides": parse_overrides(args.set),
        }
        check_overrides(args.agent, info["overrides"])
        output_dir(args.logdir, "--logdir")
        run_dir = Path(args.logdir) / run_name(env_id, args.agent, args.seed)
        created = not run_dir.exists()
    agent = make_agent(info["agent"], seed=info["seed"], overrides=info["overrides"] or None)
    env = gym.make(f"t2s_env:{info['env']}")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "run.json").write_text(json.dumps(info, indent=2))
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
    except BaseException:
        # A run that failed before its first checkpoint leaves no folder behind.
        if created and not (run_dir / "checkpoint.npz").exists():
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
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
