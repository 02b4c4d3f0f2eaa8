"""Training-time augmentation: per-image crops/flips/RandAugment, per-batch mixup/cutmix.

Per-image transforms draw from torch's global generator (as torchvision's transforms do), so each
image is transformed inside :func:`torch.random.fork_rng` seeded from ``(seed, epoch, index)``:
the result is the same whatever the number of loader workers, and no caller's state changes.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalise(images: torch.Tensor) -> torch.Tensor:
    """``uint8 (N, 3, H, W)`` -> float, ImageNet mean/std normalised."""
    mean = torch.tensor(IMAGENET_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=images.device).view(1, 3, 1, 1)
    return (images.float() / 255.0 - mean) / std


class AugmentedImages(Dataset):
    """Rendered ``uint8 (N, H, W, 3)`` images as augmented ``uint8 (3, R, R)`` tensors.

    Set :attr:`epoch` before each pass; item ``i`` of epoch ``e`` is a pure function of
    ``(seed, e, i)``.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        resolution: int,
        crop_scale: tuple[float, float],
        randaugment: bool,
        seed: int,
    ) -> None:
        self.images, self.labels = images, np.asarray(labels, dtype=np.int64)
        self.seed, self.epoch = seed, 0
        ops: list[torch.nn.Module] = [
            v2.RandomResizedCrop(resolution, scale=crop_scale, antialias=True),
            v2.RandomHorizontalFlip(),
        ]
        if randaugment:
            ops.append(v2.RandAugment(num_ops=2, magnitude=9))
        self.transform = v2.Compose(ops)
        self.resolution = resolution
        self._crop = ops[0] if not randaugment else None

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = torch.from_numpy(np.ascontiguousarray(self.images[i])).permute(2, 0, 1)
        item_seed = np.random.SeedSequence([self.seed, self.epoch, int(i)]).generate_state(1)[0]
        with torch.random.fork_rng(devices=[]):
            # The CPU generator alone: the same draws as torch.manual_seed, which also seeds
            # every accelerator's generators and costs 40x more (half of a small epoch on a CPU).
            torch.default_generator.manual_seed(int(item_seed))
            image = self._crop_and_flip(image) if self._crop is not None else self.transform(image)
        return image, int(self.labels[i])

    def _crop_and_flip(self, image: torch.Tensor) -> torch.Tensor:
        """:attr:`transform` without RandAugment, called directly: the same draws in the same
        order (the crop's parameters, then the flip's coin), the same functional ops, so the
        same pixels (``tests/test_curves.py``), without the transforms' per-call dispatch (a
        third of the augmentation's CPU time)."""
        p = self._crop.make_params([image])
        res = [self.resolution, self.resolution]
        image = F.resized_crop(
            image, p["top"], p["left"], p["height"], p["width"], res, antialias=True
        )
        if torch.rand(1) < 0.5:  # v2.RandomHorizontalFlip: skipped when rand >= p
            image = F.horizontal_flip(image)
        return image


def soft_targets(labels: torch.Tensor, num_classes: int, smoothing: float) -> torch.Tensor:
    """One-hot targets with ``smoothing`` spread uniformly over the classes."""
    off = smoothing / num_classes
    targets = torch.full((len(labels), num_classes), off, device=labels.device)
    return targets.scatter_(1, labels.view(-1, 1), 1.0 - smoothing + off)


def mix_batch(
    x: torch.Tensor,
    targets: torch.Tensor,
    mixup_alpha: float,
    cutmix_alpha: float,
    rng: np.random.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mixup or cutmix (one chosen at random when both are on) of a batch with its reversal."""
    modes = [m for m, a in (("mixup", mixup_alpha), ("cutmix", cutmix_alpha)) if a > 0]
    if not modes:
        return x, targets
    mode = modes[int(rng.integers(len(modes)))]
    perm = torch.arange(len(x) - 1, -1, -1, device=x.device)
    if mode == "mixup":
        lam = float(rng.beta(mixup_alpha, mixup_alpha))
        x = lam * x + (1 - lam) * x[perm]
    else:
        lam = float(rng.beta(cutmix_alpha, cutmix_alpha))
        h, w = x.shape[-2:]
        cut_h, cut_w = int(h * np.sqrt(1 - lam)), int(w * np.sqrt(1 - lam))
        cy, cx = int(rng.integers(h)), int(rng.integers(w))
        y0, y1 = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, h)
        x0, x1 = max(cx - cut_w // 2, 0), min(cx + cut_w // 2, w)
        x = x.clone()
        x[..., y0:y1, x0:x1] = x[perm][..., y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (h * w)
    return x, lam * targets + (1 - lam) * targets[perm]
