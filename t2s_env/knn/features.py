"""Features for the k-NN evaluation: the backbone's pooled penultimate layer, L2-normalised (or
several stages' pooled outputs, each L2-normalised, concatenated and normalised again)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torchvision.transforms.v2 import functional as F
from tqdm.auto import tqdm

from t2s_env.pretrain import normalise, trunk


def prepare_images(images: Sequence[np.ndarray], resolution: int) -> torch.Tensor:
    """``uint8 (N, 3, R, R)``: each ``(H, W, 3)`` image resized (shorter side) and centre-cropped."""
    out = torch.empty((len(images), 3, resolution, resolution), dtype=torch.uint8)
    for i, image in enumerate(images):
        t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
        if t.shape[1:] != (resolution, resolution):
            t = F.center_crop(F.resize(t, [resolution], antialias=True), [resolution, resolution])
        out[i] = t
    return out


@torch.no_grad()
def extract_features(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    progress: bool = True,
    desc: str = "features",
    layers: Sequence[str] = ("layer4",),
) -> torch.Tensor:
    """L2-normalised pooled penultimate features ``float32 (N, D)`` (on the CPU).

    ``images`` is ``uint8 (N, 3, R, R)`` (see :func:`prepare_images`); ``model`` a torchvision
    ResNet (its classifier is skipped). ``layers`` names the stages read (``layer1`` ...
    ``layer4``); the default is the pooled penultimate layer.

    >>> from t2s_env.pretrain import build_backbone
    >>> model = build_backbone("resnet18", 10, seed=0)
    >>> feats = extract_features(model, torch.zeros(3, 3, 32, 32, dtype=torch.uint8), progress=False)
    >>> feats.shape, bool(torch.allclose(feats.norm(dim=1), torch.ones(3)))
    (torch.Size([3, 512]), True)
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    layers = tuple(layers)
    body = (trunk(model) if layers == ("layer4",) else _Stages(model, layers)).to(device).eval()
    chunks = []
    for start in tqdm(
        range(0, len(images), batch_size), desc=desc, disable=not progress, leave=False
    ):
        x = normalise(images[start : start + batch_size].to(device))
        with torch.autocast(device.type, dtype=torch.float16, enabled=device.type == "cuda"):
            f = body(x)
        chunks.append(torch.nn.functional.normalize(f.float(), dim=1).cpu())
    if not chunks:
        raise ValueError("no images to extract features from")
    return torch.cat(chunks)


class _Stages(nn.Module):
    """A ResNet's pooled stage outputs, each L2-normalised, concatenated: ``(N, sum D_i)``."""

    def __init__(self, model: nn.Module, layers: tuple[str, ...]) -> None:
        super().__init__()
        unknown = [x for x in layers if x not in ("layer1", "layer2", "layer3", "layer4")]
        if not layers or unknown:
            raise ValueError(f"layers must name ResNet stages layer1..layer4, got {layers!r}")
        self.model, self.layers = model, layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        pooled = []
        for name in ("layer1", "layer2", "layer3", "layer4"):
            x = getattr(m, name)(x)
            if name in self.layers:
                f = torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1)
                pooled.append(torch.nn.functional.normalize(f.float(), dim=1))
            if len(pooled) == len(self.layers):
                break  # the later stages are not read
        return torch.cat(pooled, dim=1)
