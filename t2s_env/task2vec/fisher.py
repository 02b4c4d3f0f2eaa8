"""Monte-Carlo Fisher Task2Vec embedding (Achille et al., ICCV 2019), as the shipped vectors.

The shipped vectors were made with the authors' copy of ``aws-cv-task2vec`` (``task2vec.py``,
Monte-Carlo method, settings of its ``conf/config.yaml``); :func:`embed_task` follows that
procedure by default, in three steps:

1. **Features.** The probe is in train mode throughout (the reference calls ``model.train()``
   at construction and never ``eval()``): batch norm normalises with each batch's own
   statistics. The trunk's features of the first images *in dataset order* are cached:
   ``min(max_samples // batch_size - 1, ceil(N / batch_size))`` batches (the last one may be
   short), so 9,920 images at the reference's ``max_samples=10_000``.
2. **Head.** The classifier head is fitted on the cached features with Adam (lr 4e-4, weight
   decay 1e-4) for 10 epochs; each epoch is ``n_images`` (10,000) features drawn with
   replacement, every class equally likely (the reference's ``WeightedRandomSampler`` with
   weights ``1 / class count``), in batches of 64, an incomplete last batch dropped.
3. **Fisher.** ``n_images`` images of the whole split are drawn the same way (156 batches of
   64). For each batch, labels are drawn from the probe's own predictive distribution
   ``y ~ p_w(y | x)`` (the Fisher is an expectation over the model's distribution, not the
   data's labels), the batch's cross-entropy is back-propagated and every weight's squared
   gradient accumulated; the sum is divided by the number of batches.

The embedding is the filter-wise mean of those accumulated squared gradients for every conv
and batch-norm weight of the trunk, the classifier skipped, in ``named_modules`` order (the
layout of :mod:`t2s_env.task2vec.layout`, 9,600 numbers for ResNet-18), ``scale`` all ones.
``Task2VecConfig.vector`` then says how that Fisher becomes the vector (the Fisher itself, or
the live probe's ``"conv-log-z"``: :mod:`t2s_env.task2vec.vector`).

Two of the project's earlier choices remain as options, off by default (vectors made with them
are not comparable with the shipped ones):

- ``batch_norm="eval"``: batch norm uses its running statistics, so an image's features do not
  depend on the other images of its batch. With ImageNet weights these are ImageNet's
  statistics; with a random probe they are the initial mean 0 / variance 1, which leaves the
  activations unnormalised (on digits at 32 px with a random probe, together with the
  option below and head lr 1e-3, the vector has cosine 0.41-0.44 with the reference's and a
  40x smaller norm: ``benchmarks/task2vec_reference.py --previous``).
- ``sampling="balanced"``: one class-balanced sample of ``n_images`` images *without*
  replacement (:meth:`~t2s_env.datasets.ImageSet.balanced_sample`); the head is fitted on the
  features of that sample (shuffled each epoch) and the Fisher makes one pass over it. No
  image counts twice and every class contributes (the reference's feature cache takes the
  first images in dataset order, which can miss classes of a split sorted by label).

In train mode a batch of a single image has no batch statistics; such a last batch of the
feature cache or of a ``sampling="balanced"`` pass is left out (the reference would stop with
an error there).
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torchvision
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from t2s_env.datasets import ImageSet, balanced_indices
from t2s_env.task2vec.config import BATCH_NORM_MODES, SAMPLING_MODES, Task2VecConfig
from t2s_env.task2vec.layout import LayerSlice, embedding_modules, probe_layout
from t2s_env.task2vec.probe import Probe, build_probe
from t2s_env.task2vec.vector import task_vector

__all__ = [
    "BATCH_NORM_MODES",
    "SAMPLING_MODES",
    "Task2VecConfig",
    "TaskEmbedding",
    "class_balanced_draws",
    "embed_task",
    "estimate_cpu_seconds",
    "fisher_diagonal",
    "preprocess",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Independent random streams of one seed (one per use), so seed 1 never replays seed 0's labels.
_HEAD_DRAWS, _FISHER_DRAWS, _FISHER_LABELS = range(3)


@dataclass(frozen=True)
class TaskEmbedding:
    """A task's Task2Vec embedding: ``vector`` is ``hessian / scale`` (``scale`` is all ones
    here) in the vector mode ``meta["vector"]`` (:func:`~t2s_env.task2vec.vector.task_vector`;
    ``"fisher"``, the Fisher itself, when absent).

    ``meta`` records how it was made (dataset, probe weights, sample counts, image size, seed,
    device, timings, versions), so a random-probe vector is never mistaken for a real one.
    """

    hessian: np.ndarray
    scale: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def vector(self) -> np.ndarray:
        fisher = self.hessian.astype(np.float64) / self.scale
        return task_vector(fisher, self.meta.get("vector", "fisher"))

    def save(self, path: str | Path) -> None:
        """Write ``hessian``, ``scale`` and ``meta`` (JSON) to an ``.npz`` file."""
        np.savez(
            path,
            hessian=self.hessian.astype(np.float32),
            scale=self.scale.astype(np.float32),
            meta=np.array(json.dumps(self.meta, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: str | Path) -> TaskEmbedding:
        """Read an embedding written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(z["hessian"], z["scale"], json.loads(str(z["meta"])))
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path} is not a Task2Vec embedding file: {exc}") from exc


def preprocess(images: list[np.ndarray], size: int) -> torch.Tensor:
    """uint8 ``(H, W, 3)`` images -> normalised float ``(B, 3, size, size)``.

    Shorter side resized to ``size`` (antialiased bilinear), centre crop, ImageNet mean/std.
    """
    from torchvision.transforms.v2 import functional as TF

    out = []
    for im in images:
        t = torch.from_numpy(np.ascontiguousarray(im)).permute(2, 0, 1)
        t = TF.center_crop(TF.resize(t, [size], antialias=True), [size, size])
        out.append(t)
    x = torch.stack(out).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def class_balanced_draws(
    labels: np.ndarray | torch.Tensor, n: int, generator: torch.Generator
) -> torch.Tensor:
    """``n`` positions of ``labels`` drawn with replacement, every present class equally likely.

    Each position is weighted ``1 / (count of its class)``, the weights of the reference's
    ``WeightedRandomSampler``, so a class is drawn with probability ``1 / K`` however many
    items it has.

    >>> g = torch.Generator().manual_seed(0)
    >>> idx = class_balanced_draws(np.array([0] * 90 + [1] * 10), 1000, g)
    >>> len(idx), 400 < int((idx >= 90).sum()) < 600
    (1000, True)
    """
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if labels.numel() == 0:
        raise ValueError("cannot draw from an empty split")
    weights = 1.0 / torch.bincount(labels)[labels].double()
    return torch.multinomial(weights, n, replacement=True, generator=generator)


def _generator(seed: int, stream: int) -> torch.Generator:
    state = np.random.SeedSequence([seed, stream]).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state >> np.uint64(1)))


def _full_batches(idx: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    """``idx`` in batches of ``batch_size``, an incomplete last batch dropped (``drop_last``)."""
    n = len(idx) // batch_size * batch_size
    return list(idx[:n].split(batch_size))


CPU_SECONDS_PER_IMAGE_224 = {"features": 0.050, "fisher": 0.13}
"""CPU seconds per image at 224 px of a ResNet-18 probe's feature pass (forward) and Fisher
(forward + backward): the reference timing of ``benchmarks/task2vec.py`` (491 and 1,292 CPU s
for 155 and 156 batches of 64 on a 2-core Xeon). The cost scales with the pixels."""
CPU_SECONDS_PER_IMAGE_OVERHEAD = 0.06
"""The per-image cost that does not shrink with the pixels (data handling, per-sample backward
bookkeeping), as a share of a 224-px image's: fitted so that the estimate matches the measured
Task2Vec of the live tasks (32 px, 2,048 draws: 17-21 CPU s a task, ``benchmarks/live_task2vec.py``)
and of the cheap setting (64 px, 2,000 draws: 40-44 CPU s, ``benchmarks/task2vec.py``) within
about 15 %; pure pixel scaling said 6-8 and 22."""
CPU_SECONDS_PER_HEAD_STEP = 0.0005
"""CPU seconds per optimiser step of the head fit (same benchmark: 0.7 s for 1,560 steps)."""


def estimate_cpu_seconds(n_task_images: int, cfg: Task2VecConfig) -> dict[str, float]:
    """CPU seconds each step of :func:`embed_task` should take on a task of ``n_task_images``
    training images, from :data:`CPU_SECONDS_PER_IMAGE_224` scaled by ``(image_size / 224)^2``
    plus a fixed per-image share (:data:`CPU_SECONDS_PER_IMAGE_OVERHEAD`); a GPU is far faster,
    and nothing here is calibrated for one.

    >>> est = estimate_cpu_seconds(60_000, Task2VecConfig())
    >>> round(est["total"] / 60), round(estimate_cpu_seconds(60_000, Task2VecConfig(
    ...     image_size=64, n_images=2000))["total"])
    (32, 107)
    """
    bs = cfg.effective_batch_size
    scale = (cfg.image_size / 224) ** 2 + CPU_SECONDS_PER_IMAGE_OVERHEAD
    if cfg.sampling == "weighted":
        cached = min(cfg.max_samples // bs - 1, math.ceil(n_task_images / bs)) * bs
        features, fisher = min(n_task_images, cached), cfg.n_images // bs * bs
    else:
        features = fisher = min(n_task_images, cfg.n_images)
    out = {
        "features": features * CPU_SECONDS_PER_IMAGE_224["features"] * scale,
        "head": cfg.head_epochs * (cfg.n_images // bs) * CPU_SECONDS_PER_HEAD_STEP,
        "fisher": fisher * CPU_SECONDS_PER_IMAGE_224["fisher"] * scale,
    }
    return {**out, "total": sum(out.values())}


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _bar(desc: str, total: int, unit: str, estimate: float | None, progress: bool) -> tqdm:
    if estimate is not None:
        desc = f"{desc} (~{_duration(estimate)} CPU est.)"
    return tqdm(total=total, desc=desc, unit=unit, disable=not progress, dynamic_ncols=True)


def _image_batches(
    ims: ImageSet,
    batches: list[torch.Tensor],
    size: int,
    desc: str,
    progress: bool,
    estimate: float | None = None,
) -> Iterator[torch.Tensor]:
    """Preprocessed batches, with a bar counting images (rate and time left as they go)."""
    with _bar(desc, sum(len(b) for b in batches), "img", estimate, progress) as bar:
        for idx in batches:
            yield preprocess([ims[int(i)][0] for i in idx], size)
            bar.update(len(idx))


@dataclass(frozen=True)
class _Plan:
    """Which images each step uses, as positions: in ``images`` or, for the head, in the cache."""

    feature_batches: list[torch.Tensor]
    head_epochs: list[list[torch.Tensor]]
    fisher_batches: list[torch.Tensor]


def _drop_single(batches: list[torch.Tensor]) -> list[torch.Tensor]:
    # Batch norm in train mode has no statistics for a batch of one image.
    return batches[:-1] if len(batches) > 1 and len(batches[-1]) == 1 else batches


def _plan(images: ImageSet, cfg: Task2VecConfig) -> _Plan:
    """Draw every position the embedding uses, from the config's seed."""
    bs, train_bn = cfg.effective_batch_size, cfg.batch_norm == "train"
    head_gen = _generator(cfg.seed, _HEAD_DRAWS)
    if cfg.sampling == "weighted":
        n_cached = min(cfg.max_samples // bs - 1, math.ceil(len(images) / bs)) * bs
        features = list(torch.arange(min(len(images), n_cached)).split(bs))
    else:
        sample = balanced_indices(images.labels, cfg.n_images, seed=cfg.seed)
        features = list(torch.from_numpy(sample).split(bs))
    features = _drop_single(features) if train_bn else features
    cached = torch.cat(features)
    if cfg.sampling == "weighted":
        cached_labels = images.labels[cached.numpy()]
        head = [
            _full_batches(class_balanced_draws(cached_labels, cfg.n_images, head_gen), bs)
            for _ in range(cfg.head_epochs)
        ]
        fisher_gen = _generator(cfg.seed, _FISHER_DRAWS)
        fisher = _full_batches(class_balanced_draws(images.labels, cfg.n_images, fisher_gen), bs)
    else:
        head = [
            list(torch.randperm(len(cached), generator=head_gen).split(bs))
            for _ in range(cfg.head_epochs)
        ]
        fisher = features
    return _Plan(features, head, fisher)


def _cache_features(
    probe: Probe,
    ims: ImageSet,
    plan: _Plan,
    size: int,
    device: torch.device,
    progress: bool,
    estimate: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The trunk's features (and labels) of the plan's feature batches, in their order."""
    feats = []
    batches = _image_batches(
        ims, plan.feature_batches, size, "Task2Vec 1/3 features", progress, estimate
    )
    with torch.no_grad():
        for x in batches:
            feats.append(probe.trunk(x.to(device)))
    labels = torch.from_numpy(ims.labels[torch.cat(plan.feature_batches).numpy()])
    return torch.cat(feats), labels.to(device)


def _fit_head(
    probe: Probe,
    feats: torch.Tensor,
    labels: torch.Tensor,
    plan: _Plan,
    cfg: Task2VecConfig,
    progress: bool = False,
    estimate: float | None = None,
) -> tuple[float, int]:
    """Fit ``probe.head`` on cached features; returns (training accuracy, optimiser steps)."""
    opt = torch.optim.Adam(
        probe.head.parameters(), lr=cfg.head_lr, weight_decay=cfg.head_weight_decay
    )
    steps = 0
    total = sum(len(epoch) for epoch in plan.head_epochs)
    with _bar("Task2Vec 2/3 head", total, "step", estimate, progress) as bar:
        for epoch in plan.head_epochs:
            for idx in epoch:
                idx = idx.to(feats.device)
                loss = F.cross_entropy(probe.head(feats[idx]), labels[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                steps += 1
                bar.update()
    with torch.no_grad():
        return float((probe.head(feats).argmax(1) == labels).float().mean()), steps


def fisher_diagonal(
    probe: nn.Module,
    modules: list[tuple[str, nn.Module]],
    batches: Iterable[torch.Tensor],
    generator: torch.Generator,
) -> tuple[np.ndarray, int]:
    """Monte-Carlo Fisher of ``modules``' weights: ``(filter-wise means, number of batches)``.

    For each batch of images, labels are drawn from ``probe``'s own softmax, the batch's mean
    cross-entropy is back-propagated, and each weight's squared gradient is accumulated. The
    sum is divided by the number of batches, then averaged over each output filter's entries
    and concatenated in the order of ``modules``. The probe's mode (train / eval) is the
    caller's.
    """
    device = next(probe.parameters()).device
    weights = [m.weight for _, m in modules]
    acc = [torch.zeros_like(w) for w in weights]
    n_batches = 0
    for x in batches:
        logits = probe(x.to(device))
        # Labels from the model's own predictive distribution (Task2Vec, Sec. 3: the Fisher
        # is an expectation over y ~ p_w(y|x)); drawn on the CPU so any device agrees.
        probs = F.softmax(logits.detach().float(), dim=1).cpu()
        y = torch.multinomial(probs, 1, generator=generator).view(-1).to(device)
        probe.zero_grad(set_to_none=True)
        F.cross_entropy(logits, y).backward()
        for a, w in zip(acc, weights, strict=True):
            a += w.grad.detach() ** 2
        n_batches += 1
    if n_batches == 0:
        raise ValueError("the Fisher needs at least one batch of images")
    filterwise = [(a / n_batches).reshape(a.shape[0], -1).mean(1) for a in acc]
    return np.concatenate([f.cpu().double().numpy() for f in filterwise]), n_batches


def embed_task(
    images: ImageSet,
    config: Task2VecConfig | None = None,
    *,
    progress: bool = True,
    dataset: str | None = None,
) -> TaskEmbedding:
    """Task2Vec embedding of the task whose training images are ``images``.

    Args:
        images: The task's training split (any :class:`~t2s_env.datasets.ImageSet`).
        config: How to embed (defaults: :class:`Task2VecConfig`, the reference procedure).
        progress: Show tqdm progress bars.
        dataset: The dataset spec, recorded in ``meta`` (default: ``images.name``).

    >>> from t2s_env.datasets import load_dataset
    >>> cfg = Task2VecConfig(n_images=20, batch_size=10, image_size=32, probe="random",
    ...                      head_epochs=1)
    >>> emb = embed_task(load_dataset("digits").train, cfg, progress=False)
    >>> emb.vector.shape, emb.meta["probe"], emb.meta["n_images"], emb.meta["fisher_batches"]
    ((9600,), 'random (seed 0)', 20, 2)
    """
    cfg = config or Task2VecConfig()
    if images.num_classes < 2:
        raise ValueError(f"{images.name}: Task2Vec needs at least 2 classes")
    if len(images) < 2:
        raise ValueError(f"{images.name}: Task2Vec needs at least 2 images, got {len(images)}")
    device = cfg.resolve_device()
    t0, c0 = time.perf_counter(), time.process_time()
    plan = _plan(images, cfg)
    probe, what = build_probe(cfg.probe, images.num_classes, cfg.probe_seed, cfg.download)
    probe = probe.to(device).train(cfg.batch_norm == "train")
    t1, c1 = time.perf_counter(), time.process_time()
    # A priori CPU estimates in the bars' labels; the bars add measured rates and time left.
    est = estimate_cpu_seconds(len(images), cfg) if device.type == "cpu" else {}
    feats, labels = _cache_features(
        probe, images, plan, cfg.image_size, device, progress, est.get("features")
    )
    t2, c2 = time.perf_counter(), time.process_time()
    head_acc, head_steps = _fit_head(probe, feats, labels, plan, cfg, progress, est.get("head"))
    t3, c3 = time.perf_counter(), time.process_time()
    modules = embedding_modules(probe.trunk)
    batches = _image_batches(
        images, plan.fisher_batches, cfg.image_size, "Task2Vec 3/3 Fisher", progress,
        est.get("fisher"),
    )  # fmt: skip
    hessian, n_batches = fisher_diagonal(
        probe, modules, batches, _generator(cfg.seed, _FISHER_LABELS)
    )
    t4, c4 = time.perf_counter(), time.process_time()
    layout: tuple[LayerSlice, ...] = probe_layout(probe.trunk)
    meta = {
        "dataset": dataset or images.name,
        "classes": images.num_classes,
        "probe": what,
        "random_probe": what.startswith("random"),
        "procedure": "reference"
        if (cfg.batch_norm, cfg.sampling) == ("train", "weighted")
        else f"batch_norm={cfg.batch_norm}, sampling={cfg.sampling}",
        "n_images": sum(len(b) for b in plan.fisher_batches),
        "batch_size": cfg.effective_batch_size,
        "fisher_batches": n_batches,
        "head_features": len(labels),
        "head_steps": head_steps,
        "layout": "resnet18 conv+bn weights, named_modules order",
        "vector": cfg.vector,
        "dim": layout[-1].stop,
        "head_train_accuracy": head_acc,
        "seconds": {
            "setup": t1 - t0,
            "features": t2 - t1,
            "head": t3 - t2,
            "fisher": t4 - t3,
            "total": t4 - t0,
        },
        "cpu_seconds": {  # this process's CPU time: less sensitive to a shared machine
            "features": c2 - c1,
            "head": c3 - c2,
            "fisher": c4 - c3,
            "total": c4 - c0,
        },
        "device": str(device),
        "versions": {
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "python": platform.python_version(),
        },
        "config": asdict(cfg),
    }
    return TaskEmbedding(hessian.astype(np.float32), np.ones(len(hessian), np.float32), meta)
