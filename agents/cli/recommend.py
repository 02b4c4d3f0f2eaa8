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

**The default policy** is the project's ``neighbour-transfer`` agent trained on the 12 seen
tasks: its answers average 60.04% on the 8 unseen tasks against 55.07% for the paper's agent
trained the same way (seed 0; ``scripts/make_default_policies.py`` remakes both and writes the
figures to ``policies.json``), and a user's task is an unseen task. It rates configurations
by its nearest known tasks and gives no probabilities, so the per-knob probabilities shown
beside its answer are the shipped paper agent's (its softmax heads), labelled as such.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from agents.cli.embed import add_task2vec_args, embed_from_args
from t2s_env.datasets import DatasetSpec

PAPER_POLICY = "task2sim.npz"
"""The shipped paper agent, in ``agents/checkpoints/`` (the source of per-knob probabilities)."""


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

    The checkpoint's ``__meta__`` names the agent; it is rebuilt by name and loaded.
    """
    from agents import make_agent

    if path is None:
        path = default_policy_path()
    if not isinstance(path, (str, Path)):  # a shipped checkpoint: a file while it is read
        with resources.as_file(path) as file:
            return load_policy(file)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no policy checkpoint at {path}; pass --policy with an agent checkpoint written by "
            "t2s train (or agent.save)"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["__meta__"]))
        agent = make_agent(meta["name"], seed=int(meta.get("seed", 0)))
    except Exception as exc:  # np.load raises many kinds on a file that is not an npz
        raise ValueError(f"{path} is not an agent checkpoint: {exc}") from exc
    agent.load(path)
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


def load_simulator(name: str | None) -> Any:
    """The simulator to render with: the package default, or ``package.module:factory``."""
    from t2s_env.rewards.live import default_simulator

    if name is None:
        try:
            return default_simulator()
        except RuntimeError as exc:
            raise RuntimeError(
                f"{exc}; or name one with --simulator package.module:factory"
            ) from exc
    module, sep, attr = name.partition(":")
    if not sep:
        raise ValueError(
            f"--simulator must be package.module:factory (e.g. mypkg.sims:MySimulator), got {name!r}"
        )
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import simulator factory {name!r}: {exc}") from exc
    return factory()


def pretrain(
    config: dict[str, Any],
    dataset: DatasetSpec,
    recipe_name: str,
    simulator: Any,
    out_dir: Path,
    seed: int,
    device: str | None,
    progress: bool = True,
) -> dict[str, Any]:
    """Render, pre-train, save the backbone, 5-NN evaluate it on the task; returns the report.

    The evaluation is the live reward's protocol (:mod:`t2s_env.rewards.live`): the recipe's
    downstream sample, pooled L2-normalised features, 5-NN weighted by ``exp(cos / 0.07)``.
    """
    import torch

    from t2s_env.knn import extract_features, knn_accuracy
    from t2s_env.pretrain import (
        build_backbone,
        default_device,
        get_recipe,
        render_dataset,
        train_backbone,
    )
    from t2s_env.rewards.live import prepare_task

    recipe = get_recipe(recipe_name)
    dev = torch.device(device) if device else default_device()
    t0 = time.perf_counter()
    images, labels = render_dataset(simulator, config, recipe, seed, progress=progress)
    t1 = time.perf_counter()
    result = train_backbone(images, labels, recipe, seed, dev, progress=progress)
    task = prepare_task(dataset, recipe)

    def knn(model: torch.nn.Module) -> float:
        train_f = extract_features(model, task.train, device=dev, progress=progress)
        test_f = extract_features(model, task.test, device=dev, progress=progress)
        return knn_accuracy(
            train_f, task.train_labels, test_f, task.test_labels, task.num_classes,
            recipe.knn_k, recipe.knn_temperature,
        )  # fmt: skip

    accuracy = knn(result.model)
    # The same backbone untrained, as the yardstick of what pre-training bought.
    untrained = knn(build_backbone(recipe.arch, int(result.model.fc.out_features), seed).to(dev))
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = out_dir / f"{recipe.arch}_{recipe.name}_seed{seed}.pt"
    model = result.model.cpu()
    num_classes = int(model.fc.out_features)
    torch.save(model.state_dict(), ckpt)
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
        "rendered_images": int(len(labels)),
        "render_seconds": round(t1 - t0, 2),
        "train_seconds": round(result.seconds, 2),
        "train_images_per_second": round(result.images_per_second, 1),
        "final_loss": round(float(result.final_loss), 5),
        "device": result.device,
        "knn5_accuracy": accuracy,
        "knn5_accuracy_untrained": untrained,
        "knn_images": {"train": len(task.train_labels), "test": len(task.test_labels)},
        "seed": seed,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recommend", help="recommend a simulator configuration for a dataset (and pre-train)"
    )
    add_task2vec_args(p)
    p.add_argument(
        "--policy", help="agent checkpoint (default: the shipped neighbour-transfer agent)"
    )
    p.add_argument("--embedding", help="use this t2s embed output instead of embedding again")
    p.add_argument("--nearest", type=int, default=3, help="known tasks to list (3)")
    p.add_argument("--metric", choices=("task2vec", "cosine"), default="task2vec")
    g = p.add_argument_group("pre-training (--pretrain)")
    g.add_argument("--pretrain", action="store_true", help="render, pre-train and save a backbone")
    g.add_argument("--recipe", default="smoke", help="pre-training recipe (smoke)")
    g.add_argument(
        "--simulator",
        default=None,
        help="package.module:factory of a Simulator (default: the package's default simulator)",
    )
    g.add_argument("--out-dir", type=Path, default=Path("t2s_recommend"), help="(./t2s_recommend)")
    g.add_argument("--pretrain-seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from t2s_env.task2vec import TaskEmbedding

    policy, policy_name = load_policy(args.policy)
    prob_policy = None
    paper = checkpoints_dir() / PAPER_POLICY
    if not hasattr(policy, "probabilities") and paper.is_file():
        prob_policy = load_policy(paper)
    simulator = load_simulator(args.simulator) if args.pretrain else None
    spec = DatasetSpec.parse(args.dataset, download=args.download, seed=args.split_seed)
    emb = TaskEmbedding.load(args.embedding) if args.embedding else embed_from_args(args)
    rec = recommend(
        emb.vector, emb.meta, policy, policy_name, args.nearest, args.metric, prob_policy
    )
    print(format_recommendation(rec))
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
            f"{r['device']}\n5-NN accuracy on {spec} ({r['knn_images']['train']} train / "
            f"{r['knn_images']['test']} test images): {100 * r['knn5_accuracy']:.2f}% "
            f"(the same backbone untrained: {100 * r['knn5_accuracy_untrained']:.2f}%)\n"
            f"checkpoint: {r['checkpoint']}\n  load: {r['load_with']}\n"
            f"report: {args.out_dir / 'report.json'}"
        )
    return 0
