"""Render a configuration's pre-training set and train a backbone on it.

>>> import numpy as np
>>> from t2s_env.pretrain import get_recipe
>>> rng = np.random.default_rng(0)
>>> images = rng.integers(0, 255, (40, 32, 32, 3), dtype=np.uint8)
>>> labels = np.arange(40) % 4
>>> recipe = get_recipe("tiny").replace(classes=4, images_per_class=10)
>>> result = train_backbone(images, labels, recipe, seed=0, progress=False)
>>> result.images_seen, result.device
(40, 'cpu')
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from t2s_env.pretrain.augment import AugmentedImages, mix_batch, normalise, soft_targets
from t2s_env.pretrain.backbones import build_backbone
from t2s_env.pretrain.recipes import Recipe
from t2s_env.simulator import Simulator


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class TrainResult:
    """A trained backbone and how training went."""

    model: nn.Module
    seconds: float
    images_seen: int
    final_loss: float
    device: str
    curve_seconds: float = 0.0
    """Seconds spent in the ``at_curve_epoch`` calls (not counted in :attr:`seconds`)."""

    @property
    def images_per_second(self) -> float:
        return self.images_seen / self.seconds if self.seconds > 0 else float("nan")


def render_dataset(
    simulator: Simulator,
    config: Mapping[str, object],
    recipe: Recipe,
    seed: int,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The recipe's pre-training set for ``config``: ``uint8 (N, R, R, 3)`` images and labels."""
    n_classes = recipe.classes or len(simulator.class_names)
    if n_classes > len(simulator.class_names):
        raise ValueError(
            f"recipe {recipe.name!r} needs {n_classes} classes; simulator {simulator.name!r} "
            f"has {len(simulator.class_names)}"
        )
    total = n_classes * recipe.images_per_class
    res = recipe.resolution
    images = np.empty((total, res, res, 3), dtype=np.uint8)
    labels = np.empty(total, dtype=np.int64)
    filled = 0
    batches = simulator.render_batches(
        config, recipe.images_per_class, seed, res, recipe.render_batch_size, n_classes
    )
    with tqdm(total=total, desc="render", unit="img", disable=not progress, leave=False) as bar:
        for batch in batches:
            n = len(batch.labels)
            if filled + n > total or batch.images.shape[1:] != (res, res, 3):
                raise RuntimeError(
                    f"simulator {simulator.name!r} returned a batch of shape {batch.images.shape} "
                    f"after {filled} images; expected {total} images of ({res}, {res}, 3)"
                )
            images[filled : filled + n], labels[filled : filled + n] = batch.images, batch.labels
            filled += n
            bar.update(n)
    if filled != total:
        raise RuntimeError(f"simulator {simulator.name!r} rendered {filled} of {total} images")
    return images, labels


def luminance(images: np.ndarray) -> np.ndarray:
    """``uint8 (N, H, W, 3)`` images as their ITU-R 601 luminance, rounded, in all three channels.

    >>> luminance(np.array([[[[255, 0, 0], [10, 20, 30]]]], dtype=np.uint8))[0, 0].tolist()
    [[76, 76, 76], [18, 18, 18]]
    """
    y = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    y = np.clip(np.rint(y), 0, 255).astype(np.uint8)
    return np.repeat(y[..., None], 3, axis=-1)


def _param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    # No decay on biases and norm weights (the usual AdamW practice, DeiT/timm).
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0},
    ]


def _warmup_cosine(warmup_steps: int, total_steps: int):
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        t = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))

    return factor


def train_backbone(
    images: np.ndarray,
    labels: np.ndarray,
    recipe: Recipe,
    seed: int,
    device: str | torch.device | None = None,
    progress: bool = True,
    at_curve_epoch: Callable[[float, nn.Module], None] | None = None,
) -> TrainResult:
    """Train ``recipe.arch`` from scratch to classify ``images`` (``uint8 (N, H, W, 3)``).

    ``at_curve_epoch(epochs, model)`` is called at each of ``recipe.curve_epochs`` but the last
    (the returned model is that one), after ``round(epochs * steps_per_epoch)`` steps, with the
    model in eval mode; training then resumes unchanged (the call must not modify the model: it
    reads it under ``torch.inference_mode``), so the final weights are those of a training
    without the calls."""
    device = torch.device(device) if device is not None else default_device()
    labels = np.asarray(labels, dtype=np.int64)
    if recipe.grayscale:
        images = luminance(images)
    num_classes = int(labels.max()) + 1
    model = build_backbone(recipe.arch, max(num_classes, 2), seed).to(device)
    cuda = device.type == "cuda"
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    amp = recipe.amp and cuda
    data = AugmentedImages(
        images, labels, recipe.resolution, recipe.crop_scale, recipe.randaugment, seed
    )
    batch_size = min(recipe.batch_size, len(data))
    loader = DataLoader(
        data,
        batch_size=batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=recipe.num_workers,
        pin_memory=cuda,
        generator=torch.Generator().manual_seed(seed),
    )
    steps_per_epoch = len(loader)
    total_steps = steps_per_epoch * recipe.epochs
    curve_at = curve_steps(recipe, steps_per_epoch) if at_curve_epoch is not None else {}
    optimizer = torch.optim.AdamW(_param_groups(model, recipe.weight_decay), lr=recipe.lr)
    warmup = round(recipe.warmup_epochs * steps_per_epoch)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup_cosine(warmup, total_steps))
    scaler = torch.amp.GradScaler(device.type, enabled=amp)
    mix_rng = np.random.default_rng([seed, 1])
    model.train()
    start, seen, loss_sum, loss_n, step, curve_seconds = time.perf_counter(), 0, 0.0, 0, 0, 0.0
    bar = tqdm(total=total_steps, desc="pre-train", unit="step", disable=not progress, leave=False)
    for epoch in range(recipe.epochs):
        data.epoch = epoch
        loss_sum, loss_n = 0.0, 0
        for x_u8, y in loader:
            x = normalise(x_u8.to(device, non_blocking=True))
            if cuda:
                x = x.contiguous(memory_format=torch.channels_last)
            y = y.to(device, non_blocking=True)
            targets = soft_targets(y, model.fc.out_features, recipe.label_smoothing)
            x, targets = mix_batch(x, targets, recipe.mixup_alpha, recipe.cutmix_alpha, mix_rng)
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                logits = model(x)
            loss = torch.sum(-targets * torch.log_softmax(logits.float(), dim=1), dim=1).mean()
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            schedule.step()
            seen += len(x)
            loss_sum, loss_n = loss_sum + loss.item(), loss_n + 1
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss_sum / loss_n:.3f}")
            step += 1
            if step in curve_at and step < total_steps:
                t_curve = time.perf_counter()
                model.eval()
                with torch.inference_mode():
                    at_curve_epoch(curve_at[step], model)  # type: ignore[misc]
                model.train()
                curve_seconds += time.perf_counter() - t_curve
    bar.close()
    if cuda:
        torch.cuda.synchronize()
    model.eval()
    return TrainResult(
        model=model,
        seconds=time.perf_counter() - start - curve_seconds,
        images_seen=seen,
        final_loss=loss_sum / max(loss_n, 1),
        device=str(device),
        curve_seconds=curve_seconds,
    )


def curve_steps(recipe: Recipe, steps_per_epoch: int) -> dict[int, float]:
    """``{step: epochs}``: after how many optimisation steps each of ``recipe.curve_epochs`` is
    reached (``round(epochs * steps_per_epoch)``); a :class:`ValueError` when two fall on one
    step or one on step 0 (too few steps per epoch for the curve).

    >>> from t2s_env.pretrain import get_recipe
    >>> curve_steps(get_recipe("cpu2c"), 78)
    {39: 0.5, 78: 1.0, 156: 2.0}
    """
    steps = {e: round(e * steps_per_epoch) for e in recipe.curve_epochs}
    if len(set(steps.values())) != len(steps) or any(s < 1 for s in steps.values()):
        raise ValueError(
            f"recipe {recipe.name!r}: curve_epochs {recipe.curve_epochs} need distinct "
            f"optimisation steps >= 1, got {list(steps.values())} at {steps_per_epoch} steps "
            "per epoch"
        )
    return {s: e for e, s in steps.items()}
