"""The ResNet-18 probe network of Task2Vec: ImageNet weights, a local file, or random init.

ImageNet weights are torchvision's ``ResNet18_Weights.IMAGENET1K_V1`` (the original release,
which Task2Vec used). They are read from the torch hub cache when present, downloaded by
torchvision when the user is online, and otherwise a :class:`ProbeWeightsError` says how to
provide them. A randomly initialised probe is only used when asked for (``"random"``).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "IMAGENET_URL",
    "OFFLINE_ENV",
    "Probe",
    "ProbeWeightsError",
    "build_probe",
    "imagenet_cache_file",
]

IMAGENET_URL = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
"""torchvision's ImageNet ResNet-18 weights (``ResNet18_Weights.IMAGENET1K_V1``)."""

OFFLINE_ENV = "T2S_OFFLINE"
"""Set this environment variable to ``1`` to never try a download."""


class ProbeWeightsError(RuntimeError):
    """The probe's weights cannot be loaded; the message says how to provide them."""


class Probe(nn.Module):
    """ResNet-18 trunk (``fc`` replaced by identity) and a linear classifier ``head``.

    ``trunk(x)`` gives the global-average-pooled 512-d features; ``head`` maps them to the
    task's classes. The embedding covers the trunk's convs and batch-norms only.
    """

    def __init__(self, trunk: nn.Module, num_classes: int) -> None:
        super().__init__()
        self.trunk = trunk
        self.head = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))


def imagenet_cache_file() -> Path:
    """Where torchvision keeps the downloaded ImageNet weights (follows ``$TORCH_HOME``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / IMAGENET_URL.rsplit("/", 1)[-1]


def _how_to_provide(reason: str) -> str:
    return (
        f"ImageNet weights for the ResNet-18 probe are not available: {reason}. Provide them in "
        f"one of these ways: (1) run once while online, and torchvision downloads {IMAGENET_URL} "
        f"into the torch hub cache; (2) copy that file to {imagenet_cache_file()} (the cache "
        "folder follows $TORCH_HOME); (3) pass a local ResNet-18 weights file "
        "(probe='/path/resnet18.pth'; t2s: --probe /path/resnet18.pth). A randomly initialised "
        "probe (probe='random'; t2s: --probe random) runs offline, but its embeddings are not "
        "comparable with the shipped ones."
    )


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises many kinds on a corrupt file
        raise ProbeWeightsError(f"cannot read probe weights file {path}: {exc}") from exc
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise ProbeWeightsError(f"probe weights file {path} holds no state dict")
    return {k.removeprefix("module."): v for k, v in obj.items()}


def _imagenet_state_dict(download: bool) -> tuple[dict[str, torch.Tensor], str]:
    cached = imagenet_cache_file()
    if cached.is_file():
        return _read_state_dict(cached), f"imagenet ({cached})"
    if not download or os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
        why = "downloads are disabled" if not download else f"${OFFLINE_ENV} is set"
        raise ProbeWeightsError(_how_to_provide(f"{cached} does not exist and {why}"))
    try:
        state = torch.hub.load_state_dict_from_url(IMAGENET_URL, progress=True, check_hash=True)
    except (OSError, RuntimeError) as exc:  # URLError is an OSError
        raise ProbeWeightsError(_how_to_provide(f"the download failed ({exc})")) from exc
    return state, f"imagenet ({IMAGENET_URL})"


def build_probe(
    weights: str | Path, num_classes: int, seed: int = 0, download: bool = True
) -> tuple[Probe, str]:
    """A probe for a ``num_classes`` task and a description of its weights for the record.

    Args:
        weights: ``"imagenet"``, ``"random"``, or the path of a ResNet-18 state dict.
        num_classes: Classes of the task (the head's outputs).
        seed: Seeds the head's (and a random trunk's) initialisation.
        download: Let torchvision download the ImageNet weights if they are not cached.

    >>> probe, what = build_probe("random", num_classes=3, seed=0)
    >>> what, probe.head.out_features
    ('random (seed 0)', 3)
    """
    from torchvision.models import resnet18

    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        trunk = resnet18(weights=None)
        probe = Probe(trunk, num_classes)
    if str(weights) == "random":
        what = f"random (seed {seed})"
    else:
        if str(weights) == "imagenet":
            state, what = _imagenet_state_dict(download)
        else:
            path = Path(weights).expanduser()
            if not path.is_file():
                raise ProbeWeightsError(
                    f"probe weights file {path} does not exist (probe must be 'imagenet', "
                    "'random' or the path of a ResNet-18 state dict)"
                )
            state, what = _read_state_dict(path), f"file ({path})"
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        try:
            missing, unexpected = trunk.load_state_dict(state, strict=False)
        except RuntimeError as exc:  # shape mismatches
            raise ProbeWeightsError(
                f"probe weights ({what}) do not fit torchvision's ResNet-18: {exc}"
            ) from exc
        missing = [k for k in missing if not k.startswith("fc.")]
        if missing or unexpected:
            raise ProbeWeightsError(
                f"probe weights ({what}) do not fit torchvision's ResNet-18: missing "
                f"{missing[:5]}{'...' if len(missing) > 5 else ''}, unexpected {unexpected[:5]}"
            )
    trunk.fc = nn.Identity()
    return probe, what
