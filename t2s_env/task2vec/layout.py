"""Which probe weight each entry of a Task2Vec vector belongs to.

The shipped vectors (``t2s_env.data.load_task2vec()``, 9,600 numbers) hold one value per output
filter of every ``Conv2d`` and per channel of every ``BatchNorm2d`` weight of torchvision's
ResNet-18, in ``named_modules()`` order, the classifier (``fc``) excluded:
``conv1 (64), bn1 (64), layer1.0.conv1 (64), layer1.0.bn1 (64), ..., layer2.0.downsample.0
(128), layer2.0.downsample.1 (128), ..., layer4.1.bn2 (512)``: 20 convolutions and 20
batch-norms, 4,800 filters each. This was read off the shipped vectors themselves: a conv
entry is a mean of squared gradients over ``in_channels x k x k`` weights while a batch-norm
entry is one squared gradient, so batch-norm blocks sit one to two orders of magnitude above
the conv blocks beside them, and the jumps fall exactly at these 40 boundaries in every one
of the 20 tasks (``tests/test_task2vec.py::test_shipped_vectors_follow_the_layout``).

>>> layout = resnet18_layout()
>>> len(layout), embedding_dim(layout)
(40, 9600)
>>> layout[0], layout[-1].name, layout[-1].stop
(LayerSlice(name='conv1', kind='conv', start=0, stop=64), 'layer4.1.bn2', 9600)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from torch import nn

__all__ = ["LayerSlice", "embedding_dim", "embedding_modules", "probe_layout", "resnet18_layout"]


@dataclass(frozen=True)
class LayerSlice:
    """Entries ``[start, stop)`` of the embedding belong to module ``name`` (one per filter)."""

    name: str
    kind: Literal["conv", "bn"]
    start: int
    stop: int


def embedding_modules(trunk: nn.Module) -> list[tuple[str, nn.Conv2d | nn.BatchNorm2d]]:
    """``(name, module)`` of every conv and batch-norm of ``trunk``, in module order.

    ``trunk`` is the probe without its classifier: a module named ``fc`` is skipped.
    """
    return [
        (name, m)
        for name, m in trunk.named_modules()
        if isinstance(m, nn.Conv2d | nn.BatchNorm2d) and not name.startswith("fc")
    ]


def probe_layout(trunk: nn.Module) -> tuple[LayerSlice, ...]:
    """The embedding layout of a probe network (its conv and batch-norm weights, in order)."""
    out, start = [], 0
    for name, m in embedding_modules(trunk):
        n = int(m.weight.shape[0])
        out.append(LayerSlice(name, "conv" if isinstance(m, nn.Conv2d) else "bn", start, start + n))
        start += n
    return tuple(out)


@lru_cache(maxsize=1)
def resnet18_layout() -> tuple[LayerSlice, ...]:
    """The layout of torchvision's ResNet-18, the probe of the shipped vectors."""
    from torchvision.models import resnet18

    return probe_layout(resnet18(weights=None))


def embedding_dim(layout: tuple[LayerSlice, ...]) -> int:
    """Length of the embedding with this layout."""
    return layout[-1].stop if layout else 0
