"""Backbones: torchvision's ResNet family, built seeded, and their feature trunk.

A backbone is a plain torchvision model (its ``state_dict`` loads into
``torchvision.models.<arch>(num_classes=...)`` for fine-tuning). The *trunk* is everything but
the classifier: the global-average-pooled penultimate layer, the features the k-NN evaluation
reads.

>>> import torch
>>> model = build_backbone("resnet18", num_classes=10, seed=0)
>>> trunk(model)(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 512])
>>> feature_dim("resnet50")
2048
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn

BACKBONES: dict[str, int] = {
    "resnet18": 512,
    "resnet34": 512,
    "resnet50": 2048,
    "resnet101": 2048,
    "resnet152": 2048,
    "wide_resnet50_2": 2048,
}
"""Supported architectures (torchvision constructor names) and their feature dimension."""


def _check_arch(arch: str) -> None:
    if arch not in BACKBONES:
        raise ValueError(f"unknown backbone {arch!r}; supported: {sorted(BACKBONES)}")


def feature_dim(arch: str) -> int:
    """Size of the pooled penultimate layer of ``arch``."""
    _check_arch(arch)
    return BACKBONES[arch]


def build_backbone(arch: str, num_classes: int, seed: int) -> nn.Module:
    """A randomly initialised ``arch`` with a ``num_classes``-way head, seeded.

    The initialisation draws from torch's global generator, so it runs inside
    :func:`torch.random.fork_rng` seeded with ``seed``: the caller's random state is untouched.
    """
    _check_arch(arch)
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)


class _Trunk(nn.Module):
    """A ResNet without its classifier: ``(N, 3, H, W) -> (N, D)`` pooled features."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.body = nn.Sequential(*[m for name, m in model.named_children() if name != "fc"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.body(x), 1)


def trunk(model: nn.Module) -> nn.Module:
    """The feature trunk of a torchvision ResNet (shares its weights)."""
    if not isinstance(model, torchvision.models.ResNet):
        raise TypeError(f"expected a torchvision ResNet, got {type(model).__name__}")
    return _Trunk(model)
