"""Backbones: torchvision's ResNet family and narrow ResNets for CPUs, built seeded, and their trunk.

A torchvision backbone is a plain torchvision model (its ``state_dict`` loads into
``torchvision.models.<arch>(num_classes=...)`` for fine-tuning). A narrow backbone
(:data:`NARROW_RESNETS`, e.g. ``resnet18_w32``: ResNet-18's layout with a quarter of its
channels, about 1/4 of its compute) is a :class:`torchvision.models.ResNet` too, built by
:class:`NarrowResNet`; its ``state_dict`` loads into ``build_backbone(arch, num_classes, seed)``.
The *trunk* is everything but the classifier: the global-average-pooled penultimate layer, the
features the k-NN evaluation reads.

>>> import torch
>>> model = build_backbone("resnet18", num_classes=10, seed=0)
>>> trunk(model)(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 512])
>>> feature_dim("resnet50"), feature_dim("resnet18_w32")
(2048, 256)
>>> trunk(build_backbone("resnet10_w32", 10, seed=0))(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 256])
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import BasicBlock

from t2s_env.pretrain.architectures import BACKBONES, NARROW_RESNETS


class NarrowResNet(torchvision.models.ResNet):
    """torchvision's ResNet with basic blocks and ``width`` channels in its first stage.

    The same stem (7x7 stride-2 convolution, max-pool), stages, pooling, head and initialisation
    as :class:`torchvision.models.ResNet`, whose ``forward`` it uses; only the channel counts
    differ (``width``, ``2 width``, ``4 width``, ``8 width``).
    """

    def __init__(self, layers: tuple[int, int, int, int], width: int, num_classes: int) -> None:
        nn.Module.__init__(self)  # torchvision's __init__ hard-codes 64 channels
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = width, 1, 1, 64
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(BasicBlock, width, layers[0])
        self.layer2 = self._make_layer(BasicBlock, 2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(BasicBlock, 4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(BasicBlock, 8 * width, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width, num_classes)
        for m in self.modules():  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)


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
        if arch in NARROW_RESNETS:
            return NarrowResNet(*NARROW_RESNETS[arch], num_classes=num_classes)
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
