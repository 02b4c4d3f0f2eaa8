"""``t2s sweep``: measure live rewards for many (task, configuration) pairs into a reward store.

Examples::

    t2s sweep --tasks digits --configs all --recipe smoke
    t2s sweep --tasks SVHN:/data/svhn folder:/data/mine --configs 1_1_1_1_1_3_0_1_1 \\
        --recipe paper --executor ray --address auto --gpus-per-task 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agents.cli import UsageError
from agents.cli.checks import (
    at_least,
    dataset_help,
    load_simulator,
    non_negative_float,
    output_file,
    positive_float,
    refuse_unused,
    torch_device,
    write_output,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    from t2s_env.pretrain import RECIPES

    p = sub.add_parser(
        "sweep",
        help="evaluate (task, configuration) pairs for real into the reward store",
        description="Render, pre-train and 5-NN evaluate every (task, configuration, seed) not "
        "yet in the reward store; results are written as each evaluation finishes, so an "
        "interrupted sweep resumes where it stopped.",
    )
    p.add_argument(
        "--tasks",
        nargs="+",
        required=True,
        metavar="DATASET",
        help=f"downstream tasks, each {dataset_help()}",
    )
    p.add_argument(
        "--configs",
        nargs="+",
        default=["all"],
        metavar="KEY",
        help="'all' (default) or configuration keys such as 1_1_1_1_1_3_0_1_1",
    )
    p.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default="smoke",
        help="pre-training preset (default: %(default)s; the README's recipe table)",
    )
    p.add_argument("--seeds", nargs="+", type=at_least(0), default=[0], help="seeds (default: 0)")
    p.add_argument(
        "--store",
        default=None,
        help="reward store file (default: $T2S_STORE or ~/.cache/t2s_env/rewards.sqlite)",
    )
    p.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="local: --workers processes on this machine (default); ray: tasks of a Ray cluster",
    )
    p.add_argument(
        "--workers",
        type=at_least(1),
        default=1,
        help="evaluations at once (local) / CPUs of a local Ray cluster",
    )
    p.add_argument("--address", default=None, help="Ray cluster address (default: start one)")
    p.add_argument(
        "--cpus-per-task", type=positive_float, default=1.0, help="Ray CPUs per evaluation"
    )
    p.add_argument(
        "--gpus-per-task", type=non_negative_float, default=0.0, help="Ray GPUs per evaluation"
    )
    p.add_argument(
        "--max-retries", type=at_least(0), default=3, help="Ray retries of a dead worker"
    )
    p.add_argument(
        "--device",
        type=torch_device,
        default=None,
        help="torch device (local; default: cuda if any)",
    )
    p.add_argument(
        "--simulator", default="default", help="'default' or MODULE:FACTORY returning a Simulator"
    )
    p.add_argument(
        "--export",
        default=None,
        metavar="NPZ",
        help="afterwards, write the measured table in the packaged npz format",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)  # fmt: skip


def print_measured(requests, store, device) -> None:
    """The sweep's table: every planned cell's accuracy beside the untrained backbone of its
    task and seed (scored here, once per task and seed) and its test-split size, then a warning
    per task whose split or untrained backbone keeps it from ranking configurations."""
    from agents.cli.live_report import measurements_table, untrained_accuracy, warnings_for

    untrained: dict[tuple[str, int], tuple[float, int]] = {}
    rows = []
    for r in requests:
        stored = store.get(r.key)
        if (r.task, r.seed) not in untrained:
            untrained[r.task, r.seed] = untrained_accuracy(
                r.dataset, r.recipe, r.simulator, r.seed, device
            )
        base, n_test = untrained[r.task, r.seed]
        rows.append({"task": r.task, "config": r.config_key, "seed": r.seed,
                     "accuracy": None if stored is None else stored.accuracy,
                     "untrained": base, "test_images": n_test})  # fmt: skip
    print("\nmeasured (5-NN accuracy on each task's test split; untrained: the same "
          "backbone before pre-training, seed for seed):")  # fmt: skip
    print(measurements_table(rows))
    warned = set()
    for row in rows:
        if row["accuracy"] is None or row["task"] in warned:
            continue
        found = warnings_for(row["accuracy"], row["untrained"], row["test_images"])
        for text in found:
            print(f"WARNING: {row['task']}: {text}")
        if found:
            warned.add(row["task"])


def run(args: argparse.Namespace) -> int:
    from t2s_env.pretrain import get_recipe
    from t2s_env.rewards.live import as_spec, default_space, default_store_path
    from t2s_env.rewards.store import RewardStore
    from t2s_env.sweep import make_executor, plan_sweep, run_sweep

    if args.executor == "local" and (args.cpus_per_task != 1.0 or args.gpus_per_task):
        raise UsageError("--cpus-per-task and --gpus-per-task are for --executor ray")
    if args.executor == "local":
        refuse_unused(args, ["address", "max_retries", "cpus_per_task", "gpus_per_task"],
                      "with --executor local (they are for --executor ray)")  # fmt: skip
    else:
        refuse_unused(args, ["device"], "with --executor ray (--gpus-per-task gives GPUs)")
    specs = {}
    for text in args.tasks:
        spec = as_spec(text)
        if spec.name in specs:
            raise UsageError(f"--tasks names task {spec.name!r} twice")
        try:  # a missing folder or dataset fails here, not once per configuration
            spec.load()
        except (OSError, ValueError, RuntimeError) as exc:
            raise UsageError(f"--tasks {text}: cannot load the dataset: {exc}") from exc
        specs[spec.name] = spec
    recipe = get_recipe(args.recipe)
    simulator = load_simulator(args.simulator)
    requests = plan_sweep(specs, args.configs, simulator, recipe, args.seeds)
    if args.export:
        output_file(args.export, "--export", suffix=".npz")
    extra = {"device": args.device} if args.executor == "local" else {
        "cpus_per_task": args.cpus_per_task, "gpus_per_task": args.gpus_per_task,
        "max_retries": args.max_retries,
    }  # fmt: skip
    executor = make_executor(args.executor, workers=args.workers, address=args.address, **extra)
    store_path = output_file(args.store or default_store_path(), "--store")
    store = RewardStore(store_path)
    print(f"store {store.path}; recipe {recipe.id}; simulator {simulator.name} "
          f"{simulator.version}; {len(requests)} evaluations planned")  # fmt: skip
    report = run_sweep(requests, store, executor, progress=not args.no_progress)
    print(report.summary())
    for key, error in report.failed:
        print(f"  failed: {key.task} {key.config} seed {key.seed}: {error}")
    for key, error in report.refused:
        print(f"  refused by the store: {key.task} {key.config} seed {key.seed}: {error}")
    print_measured(requests, store, args.device if args.executor == "local" else "cpu")
    if args.export:
        table = store.to_reward_table(
            default_space(simulator), recipe=recipe.id, simulator=simulator.name,
            simulator_version=str(simulator.version), tasks=list(specs), seeds=args.seeds,
        )  # fmt: skip
        write_output(Path(args.export), "--export", table.save)
        print(f"wrote {args.export}: {len(table.tasks)} tasks x {len(table.keys)} configurations")
    return 0 if report.ok else 1
