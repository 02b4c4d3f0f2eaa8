"""Pre-training recipes as named, validated presets.

A :class:`Recipe` fixes everything that turns a simulator configuration into a reward: how many
images to render and at what size, the backbone and its training, and the k-NN evaluation.
Its :attr:`Recipe.id` (name plus a hash of every field) keys the reward store, so editing a
recipe never reuses measurements of the old one.

| preset  | backbone  | images            | epochs | where | time of one evaluation |
|---------|-----------|-------------------|--------|-------|------------------------|
| `tiny`  | ResNet-18 | 10 x 12 @ 32 px   | 1      | CPU   | seconds (tests)        |
| `smoke` | ResNet-18 | 10 x 100 @ 32 px  | 10     | CPU   | about a minute         |
| `cpu`   | ResNet-18, 1/4 width | 100 x 20 @ 32 px | 10 | CPU (one core) | about 30 CPU seconds |
| `cpu2`  | ResNet-10, 1/4 width, grayscale | 50 x 200 @ 32 px | 2 | CPU (one core) | about 40 CPU seconds |
| `cpu2c` | `cpu2`, scored after 0.5, 1 and 2 epochs (learning curves) | 50 x 200 @ 32 px | 2 | CPU (one core) | see `benchmarks/curve_cost.py` |
| `small` | ResNet-18 | 100 x 40 @ 64 px  | 30     | GPU   | minutes                |
| `paper` | ResNet-50 | 100 x 400 @ 224 px| 100    | GPU   | hours (see benchmarks) |

>>> get_recipe("paper").total_images
40000
>>> get_recipe("smoke").id.startswith("smoke@")
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from t2s_env.pretrain.architectures import BACKBONES


@dataclass(frozen=True)
class Recipe:
    """How to pre-train on rendered images and evaluate on a downstream task."""

    name: str
    """Preset name (the store keys on :attr:`id`, which adds a hash of the fields)."""
    arch: str = "resnet18"
    """torchvision architecture (see :data:`~t2s_env.pretrain.architectures.BACKBONES`)."""
    classes: int | None = None
    """Object classes rendered (the first ``classes`` of the simulator's); ``None``: all."""
    images_per_class: int = 100
    """Rendered images per object class."""
    resolution: int = 32
    """Side of rendered (and evaluated) images, pixels."""
    epochs: int = 10
    """Passes over the rendered set."""
    batch_size: int = 64
    """Images per optimisation step."""
    lr: float = 1e-3
    """Peak AdamW learning rate."""
    weight_decay: float = 0.05
    """AdamW weight decay (not applied to biases and norm weights)."""
    warmup_epochs: float = 1.0
    """Linear warm-up length before the cosine decay."""
    crop_scale: tuple[float, float] = (0.35, 1.0)
    """Area range of the random-resized crop (with horizontal flips)."""
    randaugment: bool = False
    """Per-image RandAugment (2 operations, magnitude 9)."""
    mixup_alpha: float = 0.0
    """Beta parameter of mixup (0: off)."""
    cutmix_alpha: float = 0.0
    """Beta parameter of cutmix (0: off); with both on, each batch picks one at random."""
    label_smoothing: float = 0.0
    """Label-smoothing mass spread over all classes."""
    amp: bool = False
    """Mixed precision (float16 autocast + gradient scaling); only on CUDA."""
    num_workers: int = 0
    """Data-loader worker processes for augmentation."""
    render_batch_size: int = 256
    """Images per simulator call while rendering."""
    knn_k: int = 5
    """Neighbours in the k-NN vote."""
    knn_temperature: float = 0.07
    """Vote weight ``exp(cosine / temperature)``."""
    knn_train_max: int | None = None
    """Cap on the task's training images used as k-NN memory (class-balanced sample)."""
    knn_test_max: int | None = None
    """Cap on the task's test images evaluated (class-balanced sample)."""
    grayscale: bool = False
    """Pre-train on the rendered images' luminance (ITU-R 601, in all three channels)."""
    feature_layers: tuple[str, ...] = ("layer4",)
    """The ResNet stages whose pooled outputs the k-NN reads: each L2-normalised, concatenated,
    normalised again (``("layer4",)``: the pooled penultimate layer)."""
    curve_epochs: tuple[float, ...] = ()
    """Learning-curve fidelities: epoch budgets (ascending, the last equal to :attr:`epochs`) at
    which one pre-training's backbone is also scored, without changing the training (``()``:
    only the final backbone is scored). Each is reached after ``round(e * steps_per_epoch)``
    optimisation steps."""
    curve_test_max: int | None = None
    """Cap on each task's test images scored at the curve epochs before the last (a
    class-balanced subset of the final evaluation's; the k-NN memory stays whole); ``None``:
    every curve point is scored like the final one."""

    def __post_init__(self) -> None:
        if not self.name or "@" in self.name:
            raise ValueError(f"recipe name must be non-empty without '@', got {self.name!r}")
        if self.arch not in BACKBONES:
            raise ValueError(f"arch must be one of {sorted(BACKBONES)}, got {self.arch!r}")
        positive = {
            "images_per_class": self.images_per_class,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "render_batch_size": self.render_batch_size,
            "knn_k": self.knn_k,
        }
        for field, value in positive.items():
            if int(value) != value or value < 1:
                raise ValueError(f"{field} must be an integer >= 1, got {value}")
        if self.classes is not None and self.classes < 2:
            raise ValueError(f"classes must be >= 2 or None, got {self.classes}")
        if not 16 <= self.resolution <= 1024:
            raise ValueError(f"resolution must be in [16, 1024] pixels, got {self.resolution}")
        if not (self.lr > 0 and self.weight_decay >= 0 and self.knn_temperature > 0):
            raise ValueError("lr and knn_temperature must be > 0 and weight_decay >= 0")
        if not 0 <= self.warmup_epochs <= self.epochs:
            raise ValueError(f"warmup_epochs must be in [0, epochs={self.epochs}]")
        lo, hi = self.crop_scale
        if not 0 < lo <= hi <= 1:
            raise ValueError(f"crop_scale must satisfy 0 < min <= max <= 1, got {self.crop_scale}")
        if self.mixup_alpha < 0 or self.cutmix_alpha < 0:
            raise ValueError("mixup_alpha and cutmix_alpha must be >= 0")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if self.num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {self.num_workers}")
        layers = self.feature_layers
        if (
            not isinstance(layers, tuple)
            or not layers
            or any(x not in FEATURE_LAYERS for x in layers)
            or len(set(layers)) != len(layers)
        ):
            raise ValueError(
                f"feature_layers must be a non-empty tuple of distinct names from "
                f"{FEATURE_LAYERS}, got {layers!r}"
            )
        if not isinstance(self.grayscale, bool):
            raise ValueError(f"grayscale must be True or False, got {self.grayscale!r}")
        curve = self.curve_epochs
        if not isinstance(curve, tuple) or any(
            isinstance(e, bool) or not isinstance(e, (int, float)) for e in curve
        ):
            raise ValueError(f"curve_epochs must be a tuple of numbers, got {curve!r}")
        if curve and (
            any(e <= 0 for e in curve)
            or any(b <= a for a, b in zip(curve, curve[1:], strict=False))
            or curve[-1] != self.epochs
        ):
            raise ValueError(
                f"curve_epochs must be ascending epoch budgets > 0 ending at epochs="
                f"{self.epochs}, got {curve!r}"
            )
        for field in ("knn_train_max", "knn_test_max", "curve_test_max"):
            value = getattr(self, field)
            if value is not None and value < 1:
                raise ValueError(f"{field} must be >= 1 or None, got {value}")

    @property
    def total_images(self) -> int | None:
        """Rendered images (``None`` when ``classes`` is ``None``: it depends on the simulator)."""
        return None if self.classes is None else self.classes * self.images_per_class

    def to_dict(self) -> dict[str, object]:
        """Every field, JSON-ready."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    @property
    def id(self) -> str:
        """``name@hash``: the store key; changes whenever any field changes.

        A field added after the first recipes (:data:`_LATER_FIELDS`) counts only when it is off
        its default, so the ids of recipes that do not use it stay what they were."""
        fields = {
            k: v for k, v in self.to_dict().items()
            if k not in _LATER_FIELDS or v != _LATER_FIELDS[k]
        }  # fmt: skip
        blob = json.dumps(fields, sort_keys=True).encode()
        return f"{self.name}@{hashlib.sha256(blob).hexdigest()[:10]}"

    def replace(self, **changes: object) -> Recipe:
        """A copy with ``changes`` (validated)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


FEATURE_LAYERS = ("layer1", "layer2", "layer3", "layer4")
"""The ResNet stages :attr:`Recipe.feature_layers` may name."""

_LATER_FIELDS: dict[str, object] = {
    "grayscale": False,
    "feature_layers": ["layer4"],
    "curve_epochs": [],
    "curve_test_max": None,
}
"""Fields added after the first recipes, and their defaults as :meth:`Recipe.to_dict` writes them."""

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("tiny", classes=10, images_per_class=12, resolution=32, epochs=1, batch_size=40,
               warmup_epochs=0.0, knn_train_max=300, knn_test_max=200),
        Recipe("smoke", classes=10, images_per_class=100, resolution=32, epochs=10, batch_size=64,
               warmup_epochs=1.0),
        # The CPU recipe (benchmarks/cpu_recipe_study.py): ResNet-18's layout at a quarter of
        # its width (1/4 of the compute of ResNet-18 at 32 px), the paper's 100 classes with
        # 20 images each, 10 epochs of AdamW in batches of 128. Seeded, so that every
        # configuration of a seed shares its initialisation, data order and augmentation draws.
        Recipe("cpu", arch="resnet18_w32", classes=100, images_per_class=20, resolution=32,
               epochs=10, batch_size=128, lr=2e-3, warmup_epochs=1.0),
        # The second CPU recipe (benchmarks/cpu_signal_study.py): ResNet-10 at 1/4 width, 50
        # classes x 200 images (5x the distinct images of `cpu`) for 2 epochs, trained on the
        # renders' luminance (the live tasks are grayscale); the k-NN reads the pooled outputs
        # of the last two stages. About 25 CPU seconds of render + pre-training.
        Recipe("cpu2", arch="resnet10_w32", classes=50, images_per_class=200, resolution=32,
               epochs=2, batch_size=128, lr=2e-3, warmup_epochs=0.2, grayscale=True,
               feature_layers=("layer3", "layer4")),
        # `cpu2` with learning curves (Task2Sim-CPU-v1): the same training, bit for bit, and the
        # same final accuracies; its backbone is also scored after 1/2 and 1 of its 2 epochs.
        # A recipe of its own (its id differs from `cpu2`'s), so that every cell measured with
        # it has a curve and a cost measured the same way.
        Recipe("cpu2c", arch="resnet10_w32", classes=50, images_per_class=200, resolution=32,
               epochs=2, batch_size=128, lr=2e-3, warmup_epochs=0.2, grayscale=True,
               feature_layers=("layer3", "layer4"), curve_epochs=(0.5, 1.0, 2.0)),
        Recipe("small", classes=None, images_per_class=40, resolution=64, epochs=30,
               batch_size=128, warmup_epochs=5.0, randaugment=True, mixup_alpha=0.8,
               cutmix_alpha=1.0, label_smoothing=0.1, amp=True, num_workers=8),
        # The paper's recipe: ResNet-50 from scratch on 40,000 images (100 classes x 400) at
        # 224 px, 100 epochs, AdamW lr 1e-3 wd 0.05, cosine with 20 warm-up epochs,
        # RandAugment, mixup/cutmix, label smoothing, mixed precision.
        Recipe("paper", arch="resnet50", classes=100, images_per_class=400, resolution=224,
               epochs=100, batch_size=256, lr=1e-3, weight_decay=0.05, warmup_epochs=20.0,
               crop_scale=(0.08, 1.0), randaugment=True, mixup_alpha=0.8, cutmix_alpha=1.0,
               label_smoothing=0.1, amp=True, num_workers=8),
    )
}  # fmt: skip
"""The named presets."""


def get_recipe(recipe: str | Recipe) -> Recipe:
    """The preset named ``recipe`` (a :class:`Recipe` is returned as is)."""
    if isinstance(recipe, Recipe):
        return recipe
    try:
        return RECIPES[recipe]
    except KeyError:
        raise ValueError(f"unknown recipe {recipe!r}; presets: {sorted(RECIPES)}") from None
