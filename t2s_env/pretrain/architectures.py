"""The backbone architectures a recipe may name, as plain data (no torch), so that recipes and
the command line can list and check them without importing torch; :mod:`t2s_env.pretrain.backbones`
builds them.
"""

from __future__ import annotations

__all__ = ["BACKBONES", "NARROW_RESNETS"]

NARROW_RESNETS: dict[str, tuple[tuple[int, int, int, int], int]] = {
    "resnet10_w32": ((1, 1, 1, 1), 32),
    "resnet18_w16": ((2, 2, 2, 2), 16),
    "resnet18_w32": ((2, 2, 2, 2), 32),
    "resnet18_w48": ((2, 2, 2, 2), 48),
}
"""Narrow ResNets: name -> (basic blocks per stage, channels of the first stage). Stage ``i``
has ``width * 2**i`` channels (torchvision's ResNet-18 is ``((2, 2, 2, 2), 64)``)."""

BACKBONES: dict[str, int] = {
    "resnet18": 512,
    "resnet34": 512,
    "resnet50": 2048,
    "resnet101": 2048,
    "resnet152": 2048,
    "wide_resnet50_2": 2048,
    **{name: 8 * width for name, (_, width) in NARROW_RESNETS.items()},
}
"""Supported architectures (torchvision constructor names and :data:`NARROW_RESNETS`) and their
feature dimension."""
