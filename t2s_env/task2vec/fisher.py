"""Monte-Carlo Fisher Task2Vec embedding (Achille et al., ICCV 2019), as the shipped vectors.

1. Fit the probe's classifier head on the task with the trunk frozen (features cached).
2. Over a class-balanced sample of the task, in batches, draw labels from the probe's own
   predictive distribution ``y ~ p_w(y | x)`` (the Fisher needs the model's distribution, not
   the data's labels), back-propagate the batch's cross-entropy, and accumulate the squared
   gradients of every weight.
3. The embedding is the filter-wise mean of the accumulated squared gradients (divided by the
   number of batches) of every conv and batch-norm weight of the trunk, in the layout of
   :mod:`t2s_env.task2vec.layout` (9,600 numbers for ResNet-18).

The probe runs in eval mode throughout: batch-norm uses its running statistics, so features,
head and Fisher see the same network whatever the batch composition.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torchvision
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from t2s_env.datasets import ImageSet
from t2s_env.task2vec.layout import LayerSlice, embedding_modules, probe_layout
from t2s_env.task2vec.probe import Probe, build_probe

__all__ = ["Task2VecConfig", "TaskEmbedding", "embed_task", "preprocess"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Task2VecConfig:
    """How a task is embedded. Defaults follow the shipped embeddings."""

    n_images: int = 10_000
    """Size of the class-balanced sample the Fisher is estimated on."""
    batch_size: int = 64
    """Images per batch, for the head fit and for the Fisher."""
    image_size: int = 224
    """Images are resized (shorter side) and centre-cropped to this many pixels."""
    probe: str = "imagenet"
    """``"imagenet"``, ``"random"`` (recorded in the result), or a ResNet-18 weights file."""
    head_epochs: int = 10
    """Epochs of Adam on the cached features when fitting the classifier head."""
    head_lr: float = 1e-3
    """Learning rate of the head fit."""
    head_weight_decay: float = 1e-4
    """Weight decay of the head fit."""
    seed: int = 0
    """Seeds the class-balanced sample, the head's fit and the sampled labels."""
    probe_seed: int = 0
    """Seeds a random probe's trunk and the head's initialisation (fixed across samples)."""
    device: str = "auto"
    """``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ..."""
    download: bool = True
    """Let torchvision download the ImageNet weights when they are not cached."""

    def __post_init__(self) -> None:
        for name in ("n_images", "batch_size", "image_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.head_epochs < 0:
            raise ValueError(f"head_epochs must be >= 0, got {self.head_epochs}")
        if self.head_lr <= 0 or self.head_weight_decay < 0:
            raise ValueError("head_lr must be > 0 and head_weight_decay >= 0")

    def resolve_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)


@dataclass(frozen=True)
class TaskEmbedding:
    """A task's Task2Vec embedding: ``vector = hessian / scale`` (``scale`` is all ones here).

    ``meta`` records how it was made (dataset, probe weights, sample size, image size, seed,
    device, timings, versions), so a random-probe vector is never mistaken for a real one.
    """

    hessian: np.ndarray
    scale: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def vector(self) -> np.ndarray:
        return (self.hessian / self.scale).astype(np.float32)

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


def _batches(ims: ImageSet, batch_size: int, size: int, desc: str, progress: bool):
    for start in tqdm(range(0, len(ims), batch_size), desc=desc, disable=not progress, leave=False):
        items = [ims[i] for i in range(start, min(start + batch_size, len(ims)))]
        x = preprocess([im for im, _ in items], size)
        yield x, torch.tensor([y for _, y in items], dtype=torch.long)


def _fit_head(
    probe: Probe, ims: ImageSet, cfg: Task2VecConfig, device: torch.device, progress: bool
) -> float:
    """Fit ``probe.head`` on frozen trunk features; returns the final training accuracy."""
    feats, labels = [], []
    with torch.no_grad():
        for x, y in _batches(ims, cfg.batch_size, cfg.image_size, "Task2Vec features", progress):
            feats.append(probe.trunk(x.to(device)))
            labels.append(y.to(device))
    f, y = torch.cat(feats), torch.cat(labels)
    opt = torch.optim.Adam(
        probe.head.parameters(), lr=cfg.head_lr, weight_decay=cfg.head_weight_decay
    )
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    for _ in range(cfg.head_epochs):
        for idx in torch.randperm(len(y), generator=gen).split(cfg.batch_size):
            idx = idx.to(device)
            loss = F.cross_entropy(probe.head(f[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        return float((probe.head(f).argmax(1) == y).float().mean())


def _fisher(
    probe: Probe,
    modules: list[tuple[str, nn.Module]],
    ims: ImageSet,
    cfg: Task2VecConfig,
    device: torch.device,
    progress: bool,
) -> np.ndarray:
    """Filter-wise mean of the batch-averaged squared gradients, concatenated in order."""
    weights = [m.weight for _, m in modules]
    acc = [torch.zeros_like(w) for w in weights]
    gen = torch.Generator().manual_seed(cfg.seed + 2)
    n_batches = 0
    for x, _ in _batches(ims, cfg.batch_size, cfg.image_size, "Task2Vec Fisher", progress):
        logits = probe(x.to(device))
        # Labels from the model's own predictive distribution (Task2Vec, Sec. 3: the Fisher
        # is an expectation over y ~ p_w(y|x)); sampled on the CPU so any device agrees.
        probs = F.softmax(logits.detach().float(), dim=1).cpu()
        y = torch.multinomial(probs, 1, generator=gen).view(-1).to(device)
        loss = F.cross_entropy(logits, y)
        probe.zero_grad(set_to_none=True)
        loss.backward()
        for a, w in zip(acc, weights, strict=True):
            a += w.grad.detach() ** 2
        n_batches += 1
    return np.concatenate(
        [(a / n_batches).reshape(a.shape[0], -1).mean(1).cpu().double().numpy() for a in acc]
    )


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
        config: How to embed (defaults: :class:`Task2VecConfig`).
        progress: Show tqdm progress bars.
        dataset: The dataset spec, recorded in ``meta`` (default: ``images.name``).

    >>> from t2s_env.datasets import load_dataset
    >>> cfg = Task2VecConfig(n_images=20, batch_size=10, image_size=32, probe="random",
    ...                      head_epochs=1)
    >>> emb = embed_task(load_dataset("digits").train, cfg, progress=False)
    >>> emb.vector.shape, emb.meta["probe"], emb.meta["n_images"]
    ((9600,), 'random (seed 0)', 20)
    """
    cfg = config or Task2VecConfig()
    if images.num_classes < 2:
        raise ValueError(f"{images.name}: Task2Vec needs at least 2 classes")
    device = cfg.resolve_device()
    t0 = time.perf_counter()
    sample = images.balanced_sample(cfg.n_images, seed=cfg.seed)
    probe, what = build_probe(cfg.probe, images.num_classes, cfg.probe_seed, cfg.download)
    probe = probe.to(device).eval()
    for p in probe.trunk.parameters():
        p.requires_grad_(False)
    t1 = time.perf_counter()
    head_acc = _fit_head(probe, sample, cfg, device, progress)
    for p in probe.trunk.parameters():
        p.requires_grad_(True)
    t2 = time.perf_counter()
    modules = embedding_modules(probe.trunk)
    hessian = _fisher(probe, modules, sample, cfg, device, progress).astype(np.float32)
    t3 = time.perf_counter()
    layout: tuple[LayerSlice, ...] = probe_layout(probe.trunk)
    meta = {
        "dataset": dataset or images.name,
        "classes": images.num_classes,
        "probe": what,
        "random_probe": what.startswith("random"),
        "n_images": len(sample),
        "layout": "resnet18 conv+bn weights, named_modules order",
        "dim": layout[-1].stop,
        "head_train_accuracy": head_acc,
        "seconds": {"setup": t1 - t0, "head": t2 - t1, "fisher": t3 - t2, "total": t3 - t0},
        "device": str(device),
        "versions": {
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "python": platform.python_version(),
        },
        "config": asdict(cfg),
    }
    return TaskEmbedding(hessian, np.ones_like(hessian), meta)
