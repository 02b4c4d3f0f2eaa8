"""How a task is embedded (:class:`Task2VecConfig`), apart from the torch code that embeds it
(:mod:`t2s_env.task2vec.fisher`), so that a command line can offer the settings and their
defaults without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch

__all__ = [
    "BATCH_NORM_MODES",
    "LIVE_PROBE",
    "LIVE_TASK2VEC",
    "SAMPLING_MODES",
    "Task2VecConfig",
    "VECTOR_MODES",
    "config_record",
    "task2vec_options",
]

BATCH_NORM_MODES: tuple[str, ...] = ("train", "eval")
SAMPLING_MODES: tuple[str, ...] = ("weighted", "balanced")
VECTOR_MODES: tuple[str, ...] = ("fisher", "conv-log-z")
"""How the Fisher becomes the vector (:func:`t2s_env.task2vec.vector.task_vector`)."""


@dataclass(frozen=True)
class Task2VecConfig:
    """How a task is embedded. Defaults follow the reference procedure (the docstring of
    :mod:`t2s_env.task2vec.fisher`)."""

    n_images: int = 10_000
    """Images drawn for the Fisher, and features drawn per head epoch (the reference loader's
    ``num_samples``); with ``sampling="balanced"``, the size of the sample."""
    max_samples: int = 10_000
    """Caps the head's feature cache at ``max_samples // batch_size - 1`` batches of the first
    images in dataset order (the reference's ``max_samples``; unused with ``"balanced"``)."""
    batch_size: int = 64
    """Images per batch, for the features, the head fit and the Fisher (at most ``n_images``)."""
    image_size: int = 224
    """Images are resized (shorter side) and centre-cropped to this many pixels."""
    probe: str = "imagenet"
    """``"imagenet"``, ``"random"`` (recorded in the result), or a ResNet-18 weights file."""
    head_epochs: int = 10
    """Epochs of Adam on the cached features when fitting the classifier head."""
    head_lr: float = 4e-4
    """Learning rate of the head fit (the reference's ``classifier_opts``)."""
    head_weight_decay: float = 1e-4
    """Weight decay of the head fit."""
    batch_norm: Literal["train", "eval"] = "train"
    """``"train"``: batch statistics (the reference); ``"eval"``: running statistics."""
    sampling: Literal["weighted", "balanced"] = "weighted"
    """``"weighted"``: class-balanced draws with replacement (the reference);
    ``"balanced"``: one class-balanced sample without replacement."""
    seed: int = 0
    """Seeds the draws of images, of head batches and of the sampled labels."""
    probe_seed: int = 0
    """Seeds a random probe's trunk and the head's initialisation (fixed across samples)."""
    device: str = "auto"
    """``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ..."""
    download: bool = True
    """Let torchvision download the ImageNet weights when they are not cached."""
    vector: Literal["fisher", "conv-log-z"] = "fisher"
    """``"fisher"``: the filter-wise Fisher (the shipped paper vectors); ``"conv-log-z"``: its
    per-convolution z-scored log, batch-norm entries 0 (the live probe's; :mod:`~t2s_env.task2vec.vector`)."""

    def __post_init__(self) -> None:
        for name in ("n_images", "max_samples", "batch_size", "image_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.head_epochs < 0:
            raise ValueError(f"head_epochs must be >= 0, got {self.head_epochs}")
        if self.head_lr <= 0 or self.head_weight_decay < 0:
            raise ValueError("head_lr must be > 0 and head_weight_decay >= 0")
        if self.batch_norm not in BATCH_NORM_MODES:
            raise ValueError(
                f"batch_norm must be one of {BATCH_NORM_MODES}, got {self.batch_norm!r}"
            )
        if self.sampling not in SAMPLING_MODES:
            raise ValueError(f"sampling must be one of {SAMPLING_MODES}, got {self.sampling!r}")
        if self.vector not in VECTOR_MODES:
            raise ValueError(f"vector must be one of {VECTOR_MODES}, got {self.vector!r}")
        if self.probe == LIVE_PROBE:
            raise ValueError(
                f"probe {LIVE_PROBE!r} names a whole setting, not weights: use "
                "task2vec_options('live') or LIVE_TASK2VEC"
            )
        if self.sampling == "weighted" and self.max_samples < 2 * self.effective_batch_size:
            raise ValueError(
                f"max_samples ({self.max_samples}) must be >= 2 * batch_size "
                f"({2 * self.effective_batch_size}): the head's features are "
                "max_samples // batch_size - 1 batches"
            )

    @property
    def effective_batch_size(self) -> int:
        """``min(batch_size, n_images)``: a sample smaller than a batch makes one batch (with
        weighted draws, full batches only would otherwise leave none)."""
        return min(self.batch_size, self.n_images)

    def resolve_device(self) -> torch.device:
        import torch

        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)


def config_record(cfg: Task2VecConfig) -> dict:
    """``cfg`` as a dict for the record and for cache keys (a reward store's embedding method):
    ``vector`` is left out when it is ``"fisher"``, so keys made before the vector modes existed
    still find their embeddings.

    >>> "vector" in config_record(Task2VecConfig()), config_record(LIVE_TASK2VEC)["vector"]
    (False, 'conv-log-z')
    """
    from dataclasses import asdict

    out = asdict(cfg)
    if out["vector"] == "fisher":
        del out["vector"]
    return out


LIVE_PROBE = "live"
"""The named offline probe of the live tasks: ``task2vec_options("live")``, ``t2s embed --probe
live``, ``t2s train --task2vec-probe live``, the live env's ``task2vec_probe="live"``."""

LIVE_TASK2VEC = Task2VecConfig(
    n_images=2048, max_samples=2048, image_size=32, probe="random", probe_seed=0,
    vector="conv-log-z", download=False,
)  # fmt: skip
"""The one Task2Vec setting of the live tasks (:data:`LIVE_PROBE`): a seeded random ResNet-18
(no download, so it runs offline), 32 px, 2,048 Fisher draws, the reference procedure
otherwise, and the ``"conv-log-z"`` vector (:mod:`t2s_env.task2vec.vector`). The packaged live
vectors (``t2s_env.data.load_live_task2vec``) are made with it, and so is a user's new task.
Leaving each of the 24 live tasks out, its nearest other task by the agents' cosine is of its
transformation family for 23 of 24 (the raw Fisher of the same probe: 16 of 24; with another
seed of draws 24 and 10, another random probe 21 and 10), at about 20 CPU s a task:
``benchmarks/results/live_task2vec.md``. The 20 paper vectors keep their ImageNet
probe and the raw Fisher; the two kinds are not comparable."""


def task2vec_options(
    probe: str | Path | None = None,
    n_images: int | None = None,
    image_size: int | None = None,
) -> Task2VecConfig:
    """The :class:`Task2VecConfig` of the options every live entry point takes (``t2s train
    --task2vec-probe/--task2vec-images/--task2vec-image-size``, the live env's and source's
    ``task2vec_probe``, ``task2vec_images``, ``task2vec_image_size``); ``None`` keeps a default.

    ``probe``: ``"imagenet"`` (default; the torch hub cache or a download), ``"random"`` (runs
    offline; vectors not comparable with the shipped tasks'), ``"live"`` (:data:`LIVE_TASK2VEC`,
    the live tasks' offline setting, which fixes the images and the size), or a ResNet-18
    weights file.

    >>> cfg = task2vec_options("random", n_images=500, image_size=32)
    >>> cfg.probe, cfg.n_images, cfg.image_size, cfg.head_epochs
    ('random', 500, 32, 10)
    >>> task2vec_options("live") == LIVE_TASK2VEC
    True
    """
    if probe is not None and str(probe) == LIVE_PROBE:
        if n_images is not None or image_size is not None:
            raise ValueError(
                f"probe 'live' fixes the Task2Vec images ({LIVE_TASK2VEC.n_images}) and image "
                f"size ({LIVE_TASK2VEC.image_size} px); leave task2vec_images and "
                "task2vec_image_size unset"
            )
        return LIVE_TASK2VEC
    given = {"probe": probe, "n_images": n_images, "image_size": image_size}
    return Task2VecConfig(**{k: (str(v) if k == "probe" else v) for k, v in given.items()
                             if v is not None})  # fmt: skip
