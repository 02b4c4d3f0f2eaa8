"""The stages of one evaluation: the task's images, render + pre-train, features + k-NN.

Each stage is written once, here; :mod:`t2s_env.pipeline.evaluate` chains them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn

from t2s_env.datasets import DatasetSpec, DownstreamTask
from t2s_env.knn import extract_features, knn_accuracy, prepare_images
from t2s_env.pipeline.cache import BackboneKey, PretrainedBackbone
from t2s_env.pretrain import Recipe, build_backbone, render_dataset, train_backbone
from t2s_env.simulator import Simulator


@dataclass
class PreparedTask:
    """A downstream task's k-NN memory and test images, resized for a recipe."""

    train: torch.Tensor
    train_labels: torch.Tensor
    test: torch.Tensor
    test_labels: torch.Tensor
    num_classes: int


_PREPARED: dict[tuple, PreparedTask] = {}
_PREPARED_MAX_BYTES = 1 << 30
"""The per-process cache of prepared tasks holds at most this many bytes of images (every live
task at 32 px takes about 80 MB, so a sweep reads each task's images once per process)."""


def _nbytes(task: PreparedTask) -> int:
    return task.train.numel() + task.test.numel()


def prepare_task(spec: DatasetSpec, recipe: Recipe) -> PreparedTask:
    """The task's images resized for the recipe (cached per process, up to 1 GiB in all)."""
    cache_key = (spec.identity, recipe.resolution, recipe.knn_train_max, recipe.knn_test_max)
    if cache_key in _PREPARED:
        return _PREPARED[cache_key]
    task: DownstreamTask = spec.load()
    # The downstream sample is fixed (seed 0) whatever the pre-training seed, so that every
    # configuration is scored on the same images.
    train = (
        task.train
        if recipe.knn_train_max is None
        else task.train.balanced_sample(recipe.knn_train_max, seed=0)
    )
    test = (
        task.test
        if recipe.knn_test_max is None
        else task.test.balanced_sample(recipe.knn_test_max, seed=0)
    )
    if len(train) == 0 or len(test) == 0:
        raise ValueError(f"task {task.name!r} has an empty train or test split")
    prepared = PreparedTask(
        prepare_images([train[i][0] for i in range(len(train))], recipe.resolution),
        torch.from_numpy(train.labels),
        prepare_images([test[i][0] for i in range(len(test))], recipe.resolution),
        torch.from_numpy(test.labels),
        len(task.classes),
    )
    size = _nbytes(prepared)
    if size < _PREPARED_MAX_BYTES:
        while _PREPARED and sum(map(_nbytes, _PREPARED.values())) + size > _PREPARED_MAX_BYTES:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[cache_key] = prepared
    return prepared


def pretrain(
    key: BackboneKey,
    simulator: Simulator,
    config: Mapping[str, object],
    recipe: Recipe,
    device: torch.device,
    progress: bool = True,
    curve_tasks: Mapping[str, PreparedTask] | None = None,
) -> PretrainedBackbone:
    """Render the recipe's pre-training set for ``config`` and train a backbone on it.

    With ``curve_tasks`` (name -> prepared task) and a recipe with ``curve_epochs``, the
    backbone is also scored on every one of those tasks at each curve epoch before the last,
    during the one training (which they leave unchanged): ``training["curves"]`` is then
    ``{task: [[epochs, accuracy], ...]}`` and ``training["curve_seconds"]`` their wall time.
    """
    t0 = time.perf_counter()
    images, labels = render_dataset(simulator, config, recipe, key.seed, progress=progress)
    render_seconds = time.perf_counter() - t0
    curves: dict[str, list[list[float]]] = {}
    at_curve_epoch: Callable[[float, nn.Module], None] | None = None
    if curve_tasks and recipe.curve_epochs:

        def at_curve_epoch(epochs: float, model: nn.Module) -> None:
            for name, task in curve_tasks.items():
                accuracy, _ = score_model(model, task, recipe, device, progress=False)
                curves.setdefault(name, []).append([float(epochs), float(accuracy)])

    trained = train_backbone(
        images, labels, recipe, key.seed, device, progress=progress, at_curve_epoch=at_curve_epoch
    )
    training = {
        "render": round(render_seconds, 4),
        "pretrain": round(trained.seconds, 4),
        "rendered_images": int(len(labels)),
        "pretrain_images_per_second": round(trained.images_per_second, 2),
        "final_loss": round(trained.final_loss, 5),
    }
    if at_curve_epoch is not None:
        training["curves"] = curves
        training["curve_seconds"] = round(trained.curve_seconds, 4)
    return PretrainedBackbone(key, trained.model, recipe.arch, training, pretrained_here=True)


def untrained_backbone(recipe: Recipe, simulator: Simulator, seed: int) -> nn.Module:
    """The backbone a pre-training of ``seed`` starts from, never trained: the yardstick of
    what pre-training bought (the same initialisation as :func:`pretrain`'s, whose classes are
    the recipe's rendered classes)."""
    classes = recipe.classes or len(simulator.class_names)
    return build_backbone(recipe.arch, max(classes, 2), seed)


def score_model(
    model: nn.Module,
    task: PreparedTask,
    recipe: Recipe,
    device: torch.device,
    progress: bool = True,
) -> tuple[float, dict[str, float]]:
    """The 5-NN accuracy of ``model``'s pooled features (``recipe.feature_layers``) on ``task``, and the seconds taken
    (``features``, ``knn``)."""
    model = model.to(device)
    t0 = time.perf_counter()
    layers = recipe.feature_layers
    train_f = extract_features(model, task.train, device=device, progress=progress, layers=layers)
    test_f = extract_features(model, task.test, device=device, progress=progress, layers=layers)
    t1 = time.perf_counter()
    accuracy = knn_accuracy(
        train_f, task.train_labels, test_f, task.test_labels, task.num_classes,
        recipe.knn_k, recipe.knn_temperature,
    )  # fmt: skip
    return accuracy, {"features": t1 - t0, "knn": time.perf_counter() - t1}
