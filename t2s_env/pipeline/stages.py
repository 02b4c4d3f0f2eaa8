"""The stages of one evaluation: the task's images, render + pre-train, features + k-NN.

Each stage is written once, here; :mod:`t2s_env.pipeline.evaluate` chains them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
    _digests: tuple[list[bytes], list[bytes]] | None = field(default=None, repr=False)

    def digests(self) -> tuple[list[bytes], list[bytes]]:
        """A content hash of every train and test image (computed once): tasks that share
        images have them scored once by :func:`score_tasks`."""
        if self._digests is None:
            self._digests = tuple(  # type: ignore[assignment]
                [hashlib.blake2b(x.numpy().tobytes(), digest_size=16).digest() for x in images]
                for images in (self.train, self.test)
            )
        return self._digests  # type: ignore[return-value]


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
    ``{task: [[epochs, accuracy], ...]}`` and ``training["curve_seconds"]`` (``"curve_cpu"``)
    their wall (CPU) seconds. ``render_cpu`` and ``pretrain_cpu`` are this process's CPU seconds
    of the render and of the training (without the curve scoring).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    images, labels = render_dataset(simulator, config, recipe, key.seed, progress=progress)
    render_seconds, render_cpu = time.perf_counter() - t0, time.process_time() - c0
    curves: dict[str, list[list[float]]] = {}
    curve_cpu = [0.0]
    at_curve_epoch: Callable[[float, nn.Module], None] | None = None
    if curve_tasks and recipe.curve_epochs:
        curve_tasks = {n: capped(t, recipe.curve_test_max) for n, t in curve_tasks.items()}

        def at_curve_epoch(epochs: float, model: nn.Module) -> None:
            c = time.process_time()
            scored = score_tasks(model, curve_tasks, recipe, device)
            curve_cpu[0] += time.process_time() - c
            for name, (accuracy, _) in scored.items():
                curves.setdefault(name, []).append([float(epochs), float(accuracy)])

    c1 = time.process_time()
    trained = train_backbone(
        images, labels, recipe, key.seed, device, progress=progress, at_curve_epoch=at_curve_epoch
    )
    train_cpu = time.process_time() - c1 - curve_cpu[0]
    training = {
        "render": round(render_seconds, 4),
        "pretrain": round(trained.seconds, 4),
        "render_cpu": round(render_cpu, 4),
        "pretrain_cpu": round(train_cpu, 4),
        "rendered_images": int(len(labels)),
        "pretrain_images_per_second": round(trained.images_per_second, 2),
        "final_loss": round(trained.final_loss, 5),
    }
    if at_curve_epoch is not None:
        training["curves"] = curves
        training["curve_seconds"] = round(trained.curve_seconds, 4)
        training["curve_cpu"] = round(curve_cpu[0], 4)
    return PretrainedBackbone(key, trained.model, recipe.arch, training, pretrained_here=True)


def capped(task: PreparedTask, test_max: int | None) -> PreparedTask:
    """``task`` with at most ``test_max`` test images: a class-balanced subset (classes in
    turn, each in its test order), the k-NN memory unchanged; ``task`` itself when it has no
    more than that.

    >>> t = PreparedTask(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 1]),
    ...                  torch.zeros(5, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 0, 0, 1, 1]), 2)
    >>> capped(t, 3).test_labels.tolist(), capped(t, None) is t
    ([0, 0, 1], True)
    """
    if test_max is None or len(task.test_labels) <= test_max:
        return task
    labels = task.test_labels.tolist()
    seen: dict[int, int] = {}
    rank = []
    for label in labels:
        rank.append(seen.get(label, 0))
        seen[label] = rank[-1] + 1
    keep = sorted(sorted(range(len(labels)), key=lambda i: (rank[i], labels[i]))[:test_max])
    train_d, test_d = task.digests()
    return PreparedTask(
        task.train, task.train_labels, task.test[keep], task.test_labels[keep], task.num_classes,
        (train_d, [test_d[i] for i in keep]),
    )  # fmt: skip


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


def score_tasks(
    model: nn.Module,
    tasks: Mapping[str, PreparedTask],
    recipe: Recipe,
    device: torch.device,
    batch_size: int = 512,
) -> dict[str, tuple[float, dict[str, float]]]:
    """:func:`score_model` on every task of ``tasks`` at once, the same accuracies: each distinct
    image of all the tasks' memories and test sets goes through ``model`` once (in batches of
    ``batch_size``), then each task's k-NN reads its rows. Returns ``{name: (accuracy, timings)}``
    (``features``: this task's share of the shared extraction, by its images; ``knn``)."""
    model = model.to(device)
    t0 = time.perf_counter()
    rows: dict[bytes, int] = {}
    parts: list[torch.Tensor] = []
    where: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    for name, task in tasks.items():
        index = []
        for images, digests in zip((task.train, task.test), task.digests(), strict=True):
            at, new = [], []  # each image's row; the images seen first here
            for i, d in enumerate(digests):
                if d not in rows:
                    rows[d] = len(rows)
                    new.append(i)
                at.append(rows[d])
            if new:
                parts.append(images[new])
            index.append(torch.tensor(at, dtype=torch.long))
        where[name] = (index[0], index[1])
    if not parts:
        raise ValueError("no tasks to score")
    with torch.inference_mode():
        features = extract_features(
            model, torch.cat(parts), batch_size=batch_size, device=device, progress=False,
            layers=recipe.feature_layers,
        )  # fmt: skip
    extraction = time.perf_counter() - t0
    total_images = sum(len(t.train) + len(t.test) for t in tasks.values())
    out = {}
    for name, task in tasks.items():
        t1 = time.perf_counter()
        train_rows, test_rows = where[name]
        accuracy = knn_accuracy(
            features[train_rows], task.train_labels, features[test_rows], task.test_labels,
            task.num_classes, recipe.knn_k, recipe.knn_temperature,
        )  # fmt: skip
        share = extraction * (len(task.train) + len(task.test)) / total_images
        out[name] = (accuracy, {"features": share, "knn": time.perf_counter() - t1})
    return out
