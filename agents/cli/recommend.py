"""``t2s recommend DATASET``: from a user's dataset to a simulator configuration (and a backbone).

1. Embed the dataset with Task2Vec (or read ``--embedding task.npz`` from ``t2s embed``).
2. Feed the L2-normalised vector (the env's observation) to a policy: ``--policy CHECKPOINT``,
   by default the shipped policy named in ``agents/checkpoints/policies.json``.
3. Print the recommended configuration with each knob's option probabilities, the policy's
   next best configurations (when it rates them), and the nearest known tasks with their best
   configurations in the table.
4. With ``--pretrain``: render the pre-training set for the configuration, pre-train a backbone
   with a recipe, save a checkpoint whose ``state_dict`` loads into the torchvision model, and
   report the backbone's 5-NN accuracy on the dataset's test split.
5. With ``--budget K --pretrain``: spend K live measurements chosen by an advisor
   (:mod:`agents.advisor`, fitted on the packaged table) one at a time, each one rendered,
   pre-trained and 5-NN scored through a :class:`~t2s_env.rewards.live.LiveRewardSource` and
   kept in its reward store (so an interrupted loop resumes where it stopped: the advisor is
   deterministic, its suggestions are found in the store), then save the backbone of the
   configuration the advisor keeps: one it measured, reused from the backbone cache, so K
   pre-trainings in all (an advisor's pick it never measured is reported, and the best measured
   kept instead). Every live accuracy is printed beside the untrained backbone's and the
   test-split size (:mod:`agents.cli.live_report`); plot accuracy against runs spent.

**The default policy** is the project's ``neighbour-transfer`` agent trained on the 12 seen
tasks: its answers average 60.04% on the 8 unseen tasks against 55.07% for the paper's agent
trained the same way (seed 0; ``scripts/make_default_policies.py`` remakes both and writes the
figures to ``policies.json``), and a user's task is an unseen task. It rates configurations
by its nearest known tasks and gives no probabilities, so none are shown: another agent's would
not explain this answer (``--policy`` with the shipped ``task2sim.npz`` shows the paper agent's
answer with its own softmax probabilities).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from agents.cli import UsageError
from agents.cli.checks import (
    at_least,
    load_simulator,
    output_dir,
    output_file,
    read_embedding,
    refuse_unused,
    write_output,
)
from agents.cli.embed import METRIC_HELP, add_task2vec_args, embed_from_args
from agents.cli.live_report import measurement_text, print_warnings, untrained_accuracy
from t2s_env.datasets import DatasetSpec


@dataclass
class KnownTask:
    """A shipped task near the new one, and what the table says about it."""

    task: str
    distance: float
    best_key: str
    best_accuracy: float
    recommended_accuracy: float


@dataclass
class Recommendation:
    """What ``t2s recommend`` found (everything it prints)."""

    dataset: str
    embedding_meta: dict[str, Any]
    policy: str
    key: str
    config: dict[str, Any]
    probabilities: list[np.ndarray] | None
    """Per varying knob, the probability of each option (``None``: no probabilistic policy)."""
    probabilities_from: str | None = None
    """Which policy gave the probabilities, and that policy's own answer."""
    runners_up: list[str] = field(default_factory=list)
    """The policy's next best configurations, best first (policies that rate them)."""
    nearest: list[KnownTask] = field(default_factory=list)


def checkpoints_dir() -> Traversable:
    """The shipped checkpoints, read through :mod:`importlib.resources` (from any install)."""
    return resources.files("agents") / "checkpoints"


def default_policy_path() -> Traversable:
    """The shipped default policy (``policies.json`` names it)."""
    index = checkpoints_dir() / "policies.json"
    try:
        record = json.loads(index.read_text())
        name = record["policies"][record["default"]]["file"]
    except (OSError, KeyError, ValueError) as exc:
        raise FileNotFoundError(
            f"no shipped policy index at {index} ({exc}); pass --policy CHECKPOINT or run "
            "scripts/make_default_policies.py"
        ) from exc
    return checkpoints_dir() / name


def load_policy(path: str | Path | Traversable | None) -> tuple[Any, str]:
    """The agent saved at ``path`` (default: the shipped default policy) and a description.

    The checkpoint's ``__meta__`` names the agent; :func:`agents.load_agent` rebuilds it.
    """
    from agents import load_agent
    from t2s_env.data import TASK2VEC_DIM

    if path is None:
        path = default_policy_path()
    if not isinstance(path, (str, Path)):  # a shipped checkpoint: a file while it is read
        with resources.as_file(path) as file:
            return load_policy(file)
    path = Path(path)
    if path.is_dir() or not path.is_file():
        raise FileNotFoundError(
            f"no policy checkpoint at {path}; pass --policy with an agent checkpoint written by "
            "t2s train (or agent.save)"
        )
    agent = load_agent(path, obs_dim=TASK2VEC_DIM)  # checked: shapes, and an answer
    return agent, f"{agent.name} ({path})"


def _answer(policy: Any, obs: np.ndarray) -> np.ndarray:
    return np.asarray(policy.act(obs, deterministic=True))[0]


def recommend(
    vector: np.ndarray,
    embedding_meta: dict[str, Any],
    policy: Any,
    policy_name: str,
    nearest: int = 3,
    metric: str = "task2vec",
    prob_policy: tuple[Any, str] | None = None,
    runners_up: int = 4,
) -> Recommendation:
    """Run ``policy`` on the task's embedding and look up its nearest known tasks.

    ``prob_policy`` (an agent with ``probabilities``, and its name) supplies the per-knob
    probabilities when ``policy`` has none.
    """
    from t2s_env.data import load_reward_table
    from t2s_env.space import PAPER_SPACE, task_observation
    from t2s_env.task2vec import nearest_tasks

    v = np.asarray(vector, np.float64)
    norm = np.linalg.norm(v)
    if v.ndim != 1 or not np.isfinite(norm) or norm == 0:
        raise ValueError(
            f"the task's embedding must be one finite, non-zero vector (shape {v.shape}, norm "
            f"{norm}): an all-zero vector has no direction to compare tasks by"
        )
    obs = task_observation(v)[None]
    key = PAPER_SPACE.action_to_key(_answer(policy, obs))
    probs, probs_from = None, None
    source = (policy, policy_name) if hasattr(policy, "probabilities") else prob_policy
    if source is not None:
        probs = [np.asarray(p)[0] for p in source[0].probabilities(obs)]
        if source[0] is not policy:
            own = PAPER_SPACE.action_to_key(_answer(source[0], obs))
            probs_from = f"{source[1]}, whose own answer is {own}"
    others = []
    if hasattr(policy, "candidates") and runners_up:
        cands = np.asarray(policy.candidates(obs, runners_up + 1))[0]
        others = [k for k in (PAPER_SPACE.action_to_key(a) for a in cands) if k != key]
    table = load_reward_table()
    known = []
    for task, dist in nearest_tasks(v, k=nearest, metric=metric) if nearest else []:
        row = table.accuracy[table.task_index(task)]
        best = int(np.argmax(row))
        known.append(
            KnownTask(
                task, dist, table.keys[best], float(row[best]), float(row[table.keys.index(key)])
            )
        )
    return Recommendation(
        str(embedding_meta.get("dataset", "?")),
        embedding_meta,
        policy_name,
        key,
        PAPER_SPACE.key_to_dict(key),
        probs,
        probs_from,
        others[:runners_up],
        known,
    )


def format_recommendation(rec: Recommendation) -> str:
    from t2s_env.space import PAPER_SPACE

    lines = [f"policy: {rec.policy}", f"\nrecommended configuration for {rec.dataset}: {rec.key}"]
    head = "probabilities" + (f" (from {rec.probabilities_from})" if rec.probabilities_from else "")
    lines.append(f"  {'knob':<20} {'value':<10} {head}")
    varying = {k.name: i for i, k in enumerate(PAPER_SPACE.varying)}
    for knob in PAPER_SPACE.knobs:
        value = rec.config[knob.name]
        meaning = knob.option_meanings[knob.index(value)] if knob.option_meanings else str(value)
        if knob.fixed:
            probs = "(fixed)"
        elif rec.probabilities is None:
            probs = "(no probabilistic policy)"
        else:
            p = rec.probabilities[varying[knob.name]]
            names = knob.option_meanings or tuple(str(o) for o in knob.options)
            probs = "  ".join(f"{n} {q:.2f}" for n, q in zip(names, p, strict=True))
        lines.append(f"  {knob.name:<20} {meaning:<10} {probs}")
    if rec.runners_up:
        lines.append(f"  next best configurations: {', '.join(rec.runners_up)}")
    if rec.nearest:
        lines.append("\nnearest known tasks (Task2Vec distance; table accuracies, 5-NN %):")
        lines.append(
            f"  {'task':<16} {'dist':>7}  {'best configuration':<19} {'best':>6} "
            f"{'recommended':>12}"
        )
        for k in rec.nearest:
            lines.append(
                f"  {k.task:<16} {k.distance:7.4f}  {k.best_key:<19} {k.best_accuracy:6.2f} "
                f"{k.recommended_accuracy:12.2f}"
            )
    if rec.embedding_meta.get("random_probe"):
        lines.append(
            "  (random probe: the shipped vectors were made with an ImageNet probe; the "
            "recommendation and distances are for testing only)"
        )
    return "\n".join(lines)


def pretrain(
    config: dict[str, Any],
    dataset: DatasetSpec,
    recipe_name: str,
    simulator: Any,
    out_dir: Path,
    seed: int,
    device: str | None,
    progress: bool = True,
    cache: Any = None,
) -> dict[str, Any]:
    """Render, pre-train, save the backbone, 5-NN evaluate it on the task; returns the report.

    Every stage is the live reward's (:mod:`t2s_env.pipeline`): the recipe's downstream sample,
    pooled L2-normalised features, 5-NN weighted by ``exp(cos / 0.07)``. A backbone that
    ``cache`` (a :class:`~t2s_env.pipeline.BackboneCache`) holds is reused, not pre-trained.
    """
    import torch

    from t2s_env.pipeline import EvaluationRequest, backbone_for, prepare_task, score_model
    from t2s_env.pretrain import build_backbone, default_device, get_recipe

    recipe = get_recipe(recipe_name)
    dev = torch.device(device) if device else default_device()
    request = EvaluationRequest(dataset.name, dataset, config, simulator, recipe, seed)
    task = prepare_task(dataset, recipe)  # a missing dataset fails before pre-training
    backbone = backbone_for(request, dev, progress, cache)
    accuracy, _ = score_model(backbone.model, task, recipe, dev, progress)
    # The same backbone untrained, as the yardstick of what pre-training bought.
    num_classes = int(backbone.model.fc.out_features)
    untrained, _ = score_model(build_backbone(recipe.arch, num_classes, seed), task, recipe, dev,
                               progress)  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = out_dir / f"{recipe.arch}_{recipe.name}_seed{seed}.pt"
    model = backbone.model.cpu()
    write_output(ckpt, "--out-dir", lambda p: torch.save(model.state_dict(), p))
    report = {
        "checkpoint": str(ckpt),
        "load_with": (
            f"torchvision.models.{recipe.arch}(num_classes={num_classes})"
            f".load_state_dict(torch.load({str(ckpt)!r}))"
        ),
        "arch": recipe.arch,
        "num_classes": num_classes,
        "recipe": recipe.id,
        "simulator": f"{simulator.name} {simulator.version}",
        "configuration": dict(config),
        "configuration_key": simulator.space.dict_to_key(config),
        "dataset": str(dataset),
        "rendered_images": backbone.training["rendered_images"],
        "render_seconds": round(backbone.training["render"], 2),
        "train_seconds": round(backbone.training["pretrain"], 2),
        "train_images_per_second": round(backbone.training["pretrain_images_per_second"], 1),
        "final_loss": round(float(backbone.training["final_loss"]), 5),
        "device": str(dev),
        "knn5_accuracy": accuracy,
        "knn5_accuracy_untrained": untrained,
        "knn_images": {"train": len(task.train_labels), "test": len(task.test_labels)},
        "seed": seed,
        "pretrained_here": backbone.pretrained_here,
    }
    text = json.dumps(report, indent=2) + "\n"
    write_output(out_dir / "report.json", "--out-dir", lambda p: p.write_text(text))
    return report


def add_parser(sub: argparse._SubParsersAction) -> None:
    from t2s_env.pretrain import RECIPES

    p = sub.add_parser(
        "recommend", help="recommend a simulator configuration for a dataset (and pre-train)"
    )
    add_task2vec_args(p)
    p.add_argument(
        "--policy", help="agent checkpoint (default: the shipped neighbour-transfer agent)"
    )
    p.add_argument("--embedding", help="use this t2s embed output instead of embedding again")
    p.add_argument("--nearest", type=at_least(0), default=3, help="known tasks to list (3)")
    p.add_argument("--metric", choices=("task2vec", "cosine"), default="task2vec", help=METRIC_HELP)
    g = p.add_argument_group("pre-training (--pretrain)")
    g.add_argument("--pretrain", action="store_true", help="render, pre-train and save a backbone")
    g.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default="smoke",
        help="pre-training preset (default: %(default)s; the README's recipe table)",
    )
    g.add_argument(
        "--simulator",
        default=None,
        help="package.module:factory of a Simulator (default: the package's default simulator)",
    )
    g.add_argument(
        "--out-dir",
        type=Path,
        default=Path("t2s_recommend"),
        help="folder of the pre-trained backbone (.pt) and report.json; with --budget also the "
        "runs, their plot and the reward store (default: %(default)s)",
    )
    g.add_argument(
        "--pretrain-seed",
        type=at_least(0),
        default=0,
        help="seed of rendering and pre-training (default: %(default)s)",
    )
    g.add_argument(
        "--budget",
        type=at_least(1),
        default=None,
        help="with --pretrain: K live runs chosen by an advisor",
    )
    g.add_argument("--advisor", default="gp", help="advisor of --budget (default: %(default)s)")
    g.add_argument(
        "--store", default=None, help="reward store of --budget (default: OUT_DIR/rewards.sqlite)"
    )
    p.set_defaults(func=run)


@dataclass
class BudgetRun:
    """What ``--budget`` measured: the runs in order and the configuration kept."""

    keys: list[str]
    accuracies: list[float]
    """Fractions, in the order measured."""
    from_store: list[bool]
    """Whether each measurement was already in the store (a resumed loop)."""
    keep: str


def budget_loop(
    vector: np.ndarray,
    source: Any,
    task: str,
    advisor: Any,
    budget: int,
    log: Any = print,
    untrained: tuple[float, int] | None = None,
) -> BudgetRun:
    """Spend ``budget`` live measurements of ``task`` on the configurations ``advisor`` suggests
    one at a time (each result seen before the next choice), through ``source`` (a
    :class:`~t2s_env.rewards.live.LiveRewardSource`: its store keeps every finished run)."""
    observed: dict[str, float] = {}
    run = BudgetRun([], [], [], "")
    for i in range(budget):
        key = advisor.suggest(vector, observed)
        before = getattr(source, "evaluations_run", None)  # store hits are not counted
        accuracy = float(source.evaluation(task, source.space.key_to_dict(key)).accuracy)
        cached = before is not None and source.evaluations_run == before
        observed[key] = accuracy
        run.keys.append(key)
        run.accuracies.append(accuracy)
        run.from_store.append(cached)
        where = "from the store" if cached else "measured"
        text = f"{100 * accuracy:.2f}%"
        if untrained is not None:
            text = measurement_text(accuracy, *untrained)
        log(f"run {i + 1}/{budget}: {key} -> {text} ({where})")
    run.keep = advisor.answer(vector, observed)
    return run


def run_budget(args: argparse.Namespace, vector: np.ndarray, spec: DatasetSpec, simulator) -> int:
    """``--budget``: the advisor's loop with live rewards, then the kept configuration's backbone."""
    from agents.advisor import fit_on_table
    from agents.advisor.plot import plot_budget_run
    from t2s_env.files import write_text_atomic
    from t2s_env.rewards.live import LiveRewardSource
    from t2s_env.space import PAPER_SPACE

    if args.budget < 1 or args.budget > PAPER_SPACE.size:
        raise UsageError(f"--budget must be in 1..{PAPER_SPACE.size}, got {args.budget}")
    task = spec.name
    store = Path(args.store) if args.store else args.out_dir / "rewards.sqlite"
    store.parent.mkdir(parents=True, exist_ok=True)
    device = None if args.device == "auto" else args.device
    source = LiveRewardSource(
        {task: spec}, simulator=simulator, recipe=args.recipe, store=store,
        seed=args.pretrain_seed, embeddings={task: vector}, device=device,
    )  # fmt: skip
    if source.space.name != PAPER_SPACE.name:
        raise ValueError(
            f"--budget advises among the paper's configurations; simulator "
            f"{simulator.name!r} does not render them all"
        )
    print(f"\n{args.budget} live runs chosen by the {args.advisor} advisor (store: {store}):")
    advisor = fit_on_table(args.advisor, seed=0)
    base = untrained_accuracy(spec, source.recipe, simulator, args.pretrain_seed, device)
    run = budget_loop(vector, source, task, advisor, args.budget, untrained=base)
    measured = dict(zip(run.keys, run.accuracies, strict=True))
    best = max(measured, key=measured.__getitem__)
    if run.keep not in measured:  # its backbone would cost pre-training number budget + 1
        print(
            f"the advisor would keep {run.keep}, which it did not measure; --budget "
            f"{args.budget} allows {args.budget} pre-trainings, so the best measured "
            f"configuration, {best}, is kept (--budget {args.budget + 1} could measure it)"
        )
        run.keep = best
    print(
        f"kept configuration: {run.keep} ({measurement_text(measured[run.keep], *base)}); best "
        f"measured {100 * measured[best]:.2f}%"
    )
    print_warnings(measured[run.keep], *base)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    plot = plot_budget_run([100 * a for a in run.accuracies], args.out_dir / "budget_runs.png",
                           title=f"{task}: {args.advisor} advisor, recipe {args.recipe}")  # fmt: skip
    record = {
        "task": task, "dataset": str(spec), "advisor": args.advisor, "recipe": args.recipe,
        "seed": args.pretrain_seed, "store": str(store), "keep": run.keep,
        "runs": [{"key": k, "accuracy": a, "from_store": c}
                 for k, a, c in zip(run.keys, run.accuracies, run.from_store, strict=True)],
    }  # fmt: skip
    write_text_atomic(args.out_dir / "budget_runs.json", json.dumps(record, indent=2) + "\n")
    print(f"runs: {args.out_dir / 'budget_runs.json'}; plot: {plot}")
    # The kept configuration was measured in the loop: its backbone is in the source's cache.
    r = pretrain(
        PAPER_SPACE.key_to_dict(run.keep), spec, args.recipe, simulator, args.out_dir,
        args.pretrain_seed, device, cache=source.backbones,
    )  # fmt: skip
    how = "pre-trained again" if r["pretrained_here"] else "the backbone measured above, reused"
    text = measurement_text(
        r["knn5_accuracy"], r["knn5_accuracy_untrained"], r["knn_images"]["test"]
    )
    print(f"backbone of {run.keep} ({how}): {r['checkpoint']} (5-NN {text})")
    print(f"  load: {r['load_with']}")
    return 0


def run(args: argparse.Namespace) -> int:
    _refuse_unused_options(args)

    policy, policy_name = load_policy(args.policy)
    simulator = None
    if args.pretrain:
        from t2s_env.pretrain import get_recipe

        get_recipe(args.recipe)
        simulator = load_simulator(args.simulator)
        output_dir(args.out_dir, "--out-dir")
    from t2s_env.data import load_task2vec

    if args.nearest > len(load_task2vec().tasks):
        raise UsageError(
            f"--nearest {args.nearest}: there are {len(load_task2vec().tasks)} known tasks"
        )
    spec = DatasetSpec.parse(args.dataset, download=args.download, seed=args.split_seed)
    if args.budget is not None:
        from agents.advisor import ADVISORS

        if not args.pretrain:
            raise UsageError("--budget measures live rewards: add --pretrain")
        if args.advisor not in ADVISORS:
            raise UsageError(f"unknown --advisor {args.advisor!r}; choose from {sorted(ADVISORS)}")
        output_file(args.store or args.out_dir / "rewards.sqlite", "--store")
    if not args.embedding and args.probe == "live":
        raise UsageError(
            "--probe live makes live-task vectors (t2s embed --probe live; the live env), not "
            "comparable with the known tasks' ImageNet-probe vectors that recommend looks up"
        )
    emb = read_embedding(args.embedding) if args.embedding else embed_from_args(args)
    if emb.meta.get("vector", "fisher") != "fisher":
        raise UsageError(
            f"--embedding {args.embedding} is a live-probe vector ({emb.meta['vector']}), not "
            "comparable with the known tasks' ImageNet-probe vectors that recommend looks up"
        )
    # Only the recommending policy's own probabilities are shown (none for a policy without).
    rec = recommend(emb.vector, emb.meta, policy, policy_name, args.nearest, args.metric)
    print(format_recommendation(rec))
    if args.budget is not None:
        return run_budget(args, emb.vector, spec, simulator)
    if args.pretrain:
        device = None if args.device == "auto" else args.device
        r = pretrain(
            rec.config, spec, args.recipe, simulator, args.out_dir, args.pretrain_seed, device
        )
        print(
            f"\npre-trained {r['arch']} (recipe {r['recipe']}) on {r['rendered_images']} images "
            f"rendered by {r['simulator']} with {r['configuration_key']}: render "
            f"{r['render_seconds']}s, train {r['train_seconds']}s "
            f"({r['train_images_per_second']} img/s, final loss {r['final_loss']:.3f}) on "
            f"{r['device']}\n5-NN accuracy on {spec} ({r['knn_images']['train']} train "
            "images): "
            + measurement_text(
                r["knn5_accuracy"], r["knn5_accuracy_untrained"], r["knn_images"]["test"]
            )
        )
        print_warnings(r["knn5_accuracy"], r["knn5_accuracy_untrained"], r["knn_images"]["test"])
        print(
            f"checkpoint: {r['checkpoint']}\n  load: {r['load_with']}\n"
            f"report: {args.out_dir / 'report.json'}"
        )
    return 0


TASK2VEC_OPTIONS = (
    "probe", "n_images", "max_samples", "batch_size", "image_size", "head_epochs", "batch_norm",
    "sampling", "seed", "probe_seed", "offline",
)  # fmt: skip
"""The options that shape a Task2Vec embedding (unused when ``--embedding`` gives one)."""


def _refuse_unused_options(args: argparse.Namespace) -> None:
    """Options the chosen mode would silently ignore are refused before any work."""
    if args.embedding:
        refuse_unused(args, TASK2VEC_OPTIONS, "with --embedding (the embedding is given)")
        if not args.pretrain:
            refuse_unused(
                args, ["download", "split_seed", "device"],
                "with --embedding and without --pretrain (the dataset is not read)",
            )  # fmt: skip
    if not args.pretrain:
        refuse_unused(
            args, ["recipe", "simulator", "out_dir", "pretrain_seed", "advisor", "store"],
            "without --pretrain",
        )  # fmt: skip
    elif args.budget is None:
        refuse_unused(args, ["advisor", "store"], "without --budget")
