"""``t2s train AGENT --env ID --seed N``: train one agent, log to TensorBoard, checkpoint, resume.

On measured rewards: ``t2s train AGENT --env Task2Sim-Live-v0 --tasks T1,T2 --recipe R --store S
[--max-evaluations N]``: every reward is rendered, pre-trained and 5-NN evaluated (or read from
the reward store ``S``, so a resumed or repeated run re-uses every measurement); the count of new
pre-trainings is printed and logged. Also ``python -m agents.cli.train ...``.
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
from agents.cli.checks import (
    at_least,
    dataset_help,
    input_file,
    output_dir,
    read_json_file,
    refuse_unused,
    torch_device,
)

LIVE_ENV = "Task2Sim-Live-v0"
RUN_FILES = ("run.json", "checkpoint.npz", "history.json", "trainer_state.json")
"""The files of a run folder that ``t2s train`` writes (atomically) and reads back."""


def split_tasks(text: str) -> list[str]:
    """``--tasks`` items: comma-separated, where a piece that is only digits continues the
    previous spec's option (``digits?classes=0,1,2,fashion-mnist`` is two tasks).

    >>> split_tasks("digits?classes=0,1,2,fashion-mnist")
    ['digits?classes=0,1,2', 'fashion-mnist']
    """
    out: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if piece.isdigit() and out:
            out[-1] += "," + piece
        elif piece:
            out.append(piece)
    if not out:
        raise UsageError("--tasks names no task; e.g. --tasks digits,fashion-mnist")
    return out


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
    for name in RUN_FILES:  # a link out of the folder would be read, and written through
        f = run_dir / name
        if f.is_symlink() and run_dir.resolve() not in f.resolve().parents:
            raise UsageError(
                f"{option} {run_dir}: {name} is a symlink to {f.resolve()}, outside the run "
                "folder; a run folder holds its own files (copy them in)"
            )
    path = input_file(run_dir / "run.json", option, "a run folder of t2s train (with run.json)")
    info = read_json_file(path, option, "a t2s run record")
    what = f"{option}: {path} is not a t2s run record"
    if not isinstance(info, dict):
        raise UsageError(f"{what} (a JSON {type(info).__name__}, not an object)")
    if info.get("agent") not in AGENTS:
        raise UsageError(f"{what} (agent {info.get('agent')!r}; known: {sorted(AGENTS)})")
    tables = sorted([*t2s_env.ENV_IDS, t2s_env.CPU_ENV_ID])
    if info.get("env") not in tables:
        raise UsageError(f"{what} (env {info.get('env')!r}; known: {tables})")
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
    from t2s_env.pretrain import RECIPES

    p = sub.add_parser("train", help="train an agent on a Task2Sim env (TensorBoard, checkpoints)")
    p.add_argument("agent", nargs="?", choices=sorted(AGENTS), help="agent name")
    p.add_argument(
        "--env", default="Task2Sim-Seen-v0", help="registered env id (default: %(default)s)"
    )
    p.add_argument(
        "--seed", type=at_least(0), default=0, help="seed of the agent and the task order"
    )
    p.add_argument("--epochs", type=at_least(1), default=None, help="epochs (default: the agent's)")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a hyperparameter of the agent's config (repeatable), e.g. --set lr=0.01",
    )
    p.add_argument(
        "--logdir", default="runs", help="parent folder of run folders (default: %(default)s)"
    )
    p.add_argument(
        "--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its checkpoint"
    )
    p.add_argument(
        "--checkpoint-every",
        type=at_least(1),
        default=100,
        help="epochs between checkpoints (default: %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    g = p.add_argument_group(f"live rewards (--env {LIVE_ENV})")
    g.add_argument("--tasks", help=f"comma-separated downstream tasks, each {dataset_help()}")
    g.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default="smoke",
        help="pre-training preset (default: %(default)s; the README's recipe table)",
    )
    g.add_argument(
        "--store", help="reward store file (default: $T2S_STORE or ~/.cache/t2s_env/rewards.sqlite)"
    )
    g.add_argument(
        "--max-evaluations",
        type=int,
        help="stop at this many distinct (task, config) evaluations, each a pre-training "
        "(default: no cap)",
    )
    g.add_argument(
        "--simulator",
        default="default",
        help="'default' (the embedded simulator) or MODULE:FACTORY returning a Simulator",
    )
    g.add_argument(
        "--pretrain-seed",
        type=int,
        default=0,
        help="seed of rendering and pre-training (default: %(default)s)",
    )
    g.add_argument("--device", default=None, help="torch device (default: CUDA when present)")
    g.add_argument(
        "--task2vec-probe",
        default="imagenet",
        help="probe of the tasks' Task2Vec vectors: imagenet (default), random, a weights file, "
        "or live (the live tasks' offline setting; fixes the two options below)",
    )
    g.add_argument(
        "--task2vec-images",
        type=int,
        default=None,
        help="images of each task's Task2Vec sample (default: t2s embed's --n-images)",
    )
    g.add_argument(
        "--task2vec-image-size",
        type=int,
        default=None,
        help="Task2Vec probe input, pixels (default: t2s embed's --image-size)",
    )
    p.set_defaults(func=run)


LIVE_OPTIONS = (
    "tasks", "recipe", "store", "simulator", "pretrain_seed", "device", "task2vec_probe",
    "task2vec_images", "task2vec_image_size",
)  # fmt: skip
"""The options of a live run (``run.json`` keeps them; a resumed run reads them from there)."""


def _refuse_unused_options(args: argparse.Namespace) -> None:
    """Options the chosen mode would silently ignore are refused before any work."""
    if args.resume:
        refuse_unused(
            args, ["agent", "env", "seed", "set", "logdir", *LIVE_OPTIONS],
            "with --resume (the run folder's run.json holds them)", positional=["agent"],
        )  # fmt: skip
    elif args.env.split(":")[-1] != LIVE_ENV:
        refuse_unused(args, [*LIVE_OPTIONS, "max_evaluations"], f"without --env {LIVE_ENV}")


def live_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The live env's settings from the command line (checked; written to ``run.json``)."""
    from t2s_env.rewards.live import default_store_path

    if not args.tasks:
        raise UsageError(f"--env {LIVE_ENV} needs --tasks T1,T2,... (dataset specs or names)")
    if args.max_evaluations is not None and args.max_evaluations < 1:
        raise UsageError(
            f"--max-evaluations must be >= 1 (each is a pre-training), got {args.max_evaluations}"
        )
    for option, value, low in (
        ("--pretrain-seed", args.pretrain_seed, 0),
        ("--task2vec-images", args.task2vec_images, 1),
        ("--task2vec-image-size", args.task2vec_image_size, 16),
    ):
        if value is not None and value < low:
            raise UsageError(f"{option} must be an integer >= {low}, got {value}")
    if args.device is not None:
        try:
            torch_device(args.device)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"--device {exc}") from None
    store = Path(args.store).expanduser() if args.store else default_store_path()
    return {
        "tasks": split_tasks(args.tasks),
        "recipe": args.recipe,
        "store": str(store.resolve()),
        "simulator": args.simulator,
        "pretrain_seed": args.pretrain_seed,
        "device": args.device,
        "task2vec": {
            "probe": args.task2vec_probe,
            "n_images": args.task2vec_images,
            "image_size": args.task2vec_image_size,
        },
    }


def make_live_env(live: dict[str, Any], progress: bool):
    """The live env of ``live_settings``' output (embeds the tasks; pre-trains nothing)."""
    import gymnasium as gym

    from agents.cli.checks import load_simulator

    t2v = live["task2vec"]
    return gym.make(
        f"t2s_env:{LIVE_ENV}",
        tasks=live["tasks"],
        simulator=load_simulator(live["simulator"]),
        recipe=live["recipe"],
        store=live["store"],
        seed=live["pretrain_seed"],
        device=live["device"],
        task2vec_probe=t2v["probe"],
        task2vec_images=t2v["n_images"],
        task2vec_image_size=t2v["image_size"],
        progress=progress,
    )


def run(args: argparse.Namespace) -> int:
    import json

    import gymnasium as gym
    import numpy as np

    import t2s_env
    from agents import DEFAULT_EPOCHS, make_agent
    from agents.base import load_checkpoint
    from agents.training import check_agent_for_env, run_name, train
    from t2s_env.data import TASK2VEC_DIM
    from t2s_env.files import write_text_atomic

    _refuse_unused_options(args)
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
            load_checkpoint(probe, run_dir / "checkpoint.npz", obs_dim=TASK2VEC_DIM)
        created = False
    else:
        if args.agent is None:
            raise UsageError("name an AGENT (or --resume RUN_DIR)")
        env_id = args.env.split(":")[-1]
        known = sorted([*t2s_env.ENV_IDS, t2s_env.CPU_ENV_ID, LIVE_ENV])
        if env_id not in known:
            raise UsageError(f"unknown env {args.env!r} (--env); choose from {known}")
        info = {
            "agent": args.agent,
            "env": env_id,
            "seed": args.seed,
            "epochs": args.epochs if args.epochs is not None else DEFAULT_EPOCHS[args.agent],
            "overrides": parse_overrides(args.set),
        }
        if env_id == LIVE_ENV:
            info["live"] = live_settings(args)
            info["max_evaluations"] = args.max_evaluations
        elif args.tasks or args.max_evaluations is not None:
            raise UsageError(f"--tasks and --max-evaluations are for --env {LIVE_ENV}")
        # Everything checked before the run folder exists and anything is embedded or trained.
        check_agent_for_env(info["agent"], table=env_id != LIVE_ENV)
        check_overrides(args.agent, info["overrides"])
        output_dir(args.logdir, "--logdir")
        run_dir = Path(args.logdir) / run_name(env_id, args.agent, args.seed)
        created = not run_dir.exists()
    if args.resume and args.max_evaluations is not None and "live" not in info:
        raise UsageError(f"--max-evaluations has no effect: {args.resume} is not a live run")
    if args.resume and args.max_evaluations is not None and "live" in info:
        if args.max_evaluations < 1:
            raise UsageError(f"--max-evaluations must be >= 1, got {args.max_evaluations}")
        info["max_evaluations"] = args.max_evaluations
    live = info.get("live")
    env = make_live_env(live, not args.no_progress) if live else gym.make(f"t2s_env:{info['env']}")
    space = {"space": env.unwrapped.space} if live else {}
    agent = make_agent(
        info["agent"], seed=info["seed"], overrides=info["overrides"] or None, **space
    )
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(run_dir / "run.json", json.dumps(info, indent=2))
        result = train(
            agent,
            env,
            epochs=int(info["epochs"]),
            seed=int(info["seed"]),
            run_dir=run_dir,
            checkpoint_every=args.checkpoint_every,
            resume=bool(args.resume),
            progress=not args.no_progress,
            max_evaluations=info.get("max_evaluations"),
        )
    except BaseException:
        # A run that failed before its first checkpoint leaves no folder behind.
        if created and not (run_dir / "checkpoint.npz").exists():
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    h = result.history
    if live:
        print(
            f"{info['agent']} on {info['env']} over {len(live['tasks'])} tasks (seed "
            f"{info['seed']}, recipe {live['recipe']}): {h['epoch'][-1] if h['epoch'] else 0} "
            f"epochs, {h['reward_queries'][-1] if h['reward_queries'] else 0} reward queries, "
            f"{h['distinct_evaluations'][-1] if h['distinct_evaluations'] else 0} distinct "
            f"evaluations; {result.pretrainings} new pre-trainings, "
            f"{result.reused_measurements} measurements re-used from {live['store']}"
            f"{' (stopped: --max-evaluations reached)' if result.budget_spent else ''}, "
            f"{result.seconds:.1f} s"
        )
    elif h["greedy_reward"]:
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
